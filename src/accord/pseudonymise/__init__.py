"""Pseudonymisation: linkage-domain keys and HMAC-SHA256 over SQL and Arrow.

A *linkage domain* names a set of shares whose pseudonyms are meant to link: two
datasets pseudonymised for the same domain (and key version) give the same pseudonym
for the same identifier, and datasets in different domains share none. The
pseudonym of a value is ``HMAC-SHA256(domain key, UTF-8 bytes of the value)`` as
lowercase hex, whichever path computes it:

- :mod:`accord.pseudonymise.domain_keys` -- the key store (create, rotate, list; key
  material only to in-process callers, never exported);
- :mod:`accord.pseudonymise.hmac_sql` -- the HMAC as a sqlglot expression for DuckDB,
  PostgreSQL and Spark SQL, so a plan pseudonymises in place;
- :mod:`accord.pseudonymise.vectorised` -- the fast path over Arrow arrays and record
  batches, in parallel processes, for extracts.

The package imports nothing heavy itself: the worker processes of the parallel path
import only :mod:`accord.pseudonymise._kernel`, which needs the standard library alone.
"""
