"""A witness: a small separate service that countersigns the audit log's checkpoints.

It remembers the last (tree size, root) it signed and refuses any head that does not
extend it (RFC 9162 consistency proofs), so a deployment cannot roll its log back
or fork it and still get a countersignature. It runs on another machine, under
another operator, with its own key: :mod:`.policy` decides, :mod:`.state` keeps its
key and head, :mod:`.server` answers HTTP, :mod:`.client` is the deployment's side.
"""
