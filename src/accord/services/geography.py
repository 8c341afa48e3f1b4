"""The geography ``in_area`` compiles with, read from the catalogue.

A cohort ``in_area(postcode)`` is resolved when the agreement's plan is compiled: the
compiler needs where each postcode, output area and LSOA lies, and which districts the
recipient serves. The where comes from the catalogue's postcode directory, a dataset
tagged ``postcode-directory`` with ``postcode``, ``oa_code``, ``lsoa_code`` and
``la_code`` columns (the ONS directory, or the synthetic one ``accord synth generate
worklessness`` writes); the which from the recipient's declared areas. Callers pass the
result to :func:`accord.core.expressions.to_sqlglot` as ``areas=``.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from accord.core.catalogue import SourceKind
from accord.core.expressions.areas import AreaLookup, lookup_from_rows
from accord.errors import ValidationError
from accord.store import Store

__all__ = ["POSTCODE_DIRECTORY_TAG", "area_lookup"]

POSTCODE_DIRECTORY_TAG = "postcode-directory"
_COLUMNS = ("postcode", "oa_code", "lsoa_code", "la_code")


def area_lookup(store: Store, served: tuple[str, ...]) -> AreaLookup:
    """The catalogue's postcode directory as an :class:`AreaLookup` serving ``served``.

    Raises a :class:`ValidationError` naming the fix when the catalogue holds none, so a
    cohort using ``in_area`` fails closed rather than selecting nobody or everybody.
    """
    directories = [
        d
        for d in store.list_datasets()
        if POSTCODE_DIRECTORY_TAG in d.tags and d.source_kind is SourceKind.FILE
    ]
    if not directories:
        raise ValidationError(
            "in_area() needs a postcode directory in the catalogue: register one tagged "
            f"{POSTCODE_DIRECTORY_TAG!r} with columns {', '.join(_COLUMNS)}"
        )
    dataset = min(directories, key=lambda d: d.id)
    missing = [c for c in _COLUMNS if c not in {f.name for f in dataset.fields}]
    if missing:
        raise ValidationError(
            f"postcode directory {dataset.id} lacks the columns {', '.join(missing)}"
        )
    version = store.get_version(dataset.id)
    rows = pq.read_table(version.location, columns=list(_COLUMNS)).to_pylist()
    return lookup_from_rows(rows, served=served)
