"""Build a dataset's fields from what a source says about itself and what Accord suggests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from accord.core.catalogue import FieldSpec, Problem
from accord.core.semantics import category_for, suggest_field
from accord.core.vocabulary import DataType, SemanticType
from accord.errors import ValidationError

__all__ = ["TEXT_SEMANTICS", "apply_overrides", "suggest_fields"]

TEXT_SEMANTICS = frozenset(
    {SemanticType.NINO, SemanticType.NHS_NUMBER, SemanticType.POSTCODE, SemanticType.PHONE}
)
"""Identifiers are text even when they are all digits: they are compared, never summed,
and their formatting (a phone number's leading zero, an NHS number's spacing) matters."""


def suggest_fields(
    names: Sequence[str],
    data_types: Sequence[DataType],
    samples: Sequence[Sequence[str | None]],
    *,
    nullable: Sequence[bool] | None = None,
    retype_identifiers: bool = True,
) -> tuple[FieldSpec, ...]:
    """One unconfirmed FieldSpec per column, with suggested category and semantic type.

    ``retype_identifiers`` turns a numeric column suggested as an identifier into
    VARCHAR; it is off for in-place tables, whose types belong to their database.
    """
    fields = []
    for index, (name, inferred, sample) in enumerate(zip(names, data_types, samples, strict=True)):
        category, semantic = suggest_field(name, sample, inferred)
        retype = retype_identifiers and semantic in TEXT_SEMANTICS
        fields.append(
            FieldSpec(
                name=name,
                data_type=DataType.VARCHAR if retype else inferred,
                category=category,
                semantic_type=semantic,
                nullable=True if nullable is None else nullable[index],
            )
        )
    return tuple(fields)


def apply_overrides(
    fields: Sequence[FieldSpec],
    overrides: Mapping[str, SemanticType] | None,
    *,
    retype_identifiers: bool = True,
) -> tuple[FieldSpec, ...]:
    """The owner's semantic types replace the suggestions, with the category to match.

    An overridden field is ``confirmed``: the owner has said what it is. Naming a
    column that does not exist is the caller's mistake, not the file's, so it raises.
    """
    if not overrides:
        return tuple(fields)
    known = {spec.name for spec in fields}
    if unknown := sorted(set(overrides) - known):
        problems = [
            Problem("unknown_column", f"no column {name!r} to override", column=name)
            for name in unknown
        ]
        raise ValidationError(
            f"overrides name columns the source does not have: {', '.join(unknown)}",
            problems=problems,
        )
    result = []
    for spec in fields:
        if spec.name in overrides:
            semantic = SemanticType(overrides[spec.name])
            data_type = spec.data_type
            if retype_identifiers and semantic in TEXT_SEMANTICS:
                data_type = DataType.VARCHAR
            result.append(
                replace(
                    spec,
                    semantic_type=semantic,
                    category=category_for(semantic, spec.name),
                    data_type=data_type,
                    confirmed=True,
                )
            )
        else:
            result.append(spec)
    return tuple(result)
