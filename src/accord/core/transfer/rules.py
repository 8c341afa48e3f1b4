"""When a live package may go: the test-exchange rule, shared with every live release.

Sending is the data owner's act (the recipient's staff pull extracts; a package is
pushed). Who may send, under which agreement and to whom is decided on the one release
path (:func:`accord.core.plan.release.can_release` with the package channel). Where
the agreement requires a test exchange, a live package, like every live per-record
release, needs a receipted test package of the same dataset in exactly the same
schema: a schema change needs a new test.
"""

from __future__ import annotations

from accord.core.plan.release import test_exchange_done

__all__ = ["test_exchange_done"]
