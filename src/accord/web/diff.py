"""What changed between two revisions of a request, or two versions of an agreement,
field by field, in words a reviewer reads.

Pure: two documents in, a list of :class:`Change` out. A change says what it is about
(``Dataset dwp/carers_allowance, field postcode, transform``), whether it was added,
removed or changed, and the value before and after, written out (``generalise(age_band)``,
``yes``, ``not given``), so that the page can mark each with words and not colour alone.
Items of a list are matched by what names them (a dataset by its id, a field by its
name), not by position, so reordering is not a change and a new field is one addition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

__all__ = ["Change", "ChangeKind", "document_changes", "model_changes"]


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    what: str
    before: str
    after: str


_NOUNS = {
    "datasets": "dataset",
    "fields": "field",
    "data_journey": "data journey",
    "override_requests": "override asked for",
    "alternatives_considered": "alternative",
    "parties": "party",
    "channels": "channel",
    "processors": "processor",
    "conditions": "condition",
    "assurance_schemes": "assurance scheme",
}
"""What one item of each list is called."""

_NAMES = {
    "dpia": "DPIA",
    "art9_condition": "Article 9 condition",
    "schedule1_condition": "Schedule 1 condition",
    "valid_from": "valid from",
    "valid_to": "valid to",
    "start_date": "start date",
    "end_date": "end date",
    "min_cell_count": "smallest count shown",
    "per_record_answers": "answers per record",
    "max_rows_per_query": "most rows a query returns",
    "test_exchange": "test exchange first",
    "test_exchange_required": "test exchange first",
    "k_anonymity": "k-anonymity",
    "l_diversity": "l-diversity",
}

_KEYS = ("dataset", "name", "finding", "option", "organisation")
"""What names an item of a list of mappings, in order of preference."""

_MISSING: Any = object()


def _name(key: str) -> str:
    return _NAMES.get(key, key.replace("_", " "))


def _item_key(item: dict[str, Any], index: int) -> str:
    for key in _KEYS:
        if item.get(key):
            return str(item[key])
    if "from_party" in item:
        return f"{item['from_party']} to {item.get('to_party', '')}"
    return str(index + 1)


def _is_transform(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"kind", "argument"}


def _empty(value: Any) -> bool:
    return value is _MISSING or value is None or value in ("", [], {})


def render(value: Any) -> str:
    """A value as a reviewer reads it."""
    if _empty(value):
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_transform(value):
        return str(value["kind"]) + (f"({value['argument']})" if value["argument"] else "")
    if isinstance(value, dict):
        return "; ".join(f"{_name(k)}: {render(v)}" for k, v in value.items() if not _empty(v))
    if isinstance(value, list):
        return ", ".join(render(v) for v in value)
    return str(value)


def _label(path: tuple[str, ...]) -> str:
    text = ", ".join(path)
    return text[:1].upper() + text[1:]


def _compare(old: Any, new: Any, path: tuple[str, ...], key: str, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict) and not _is_transform(new):
        for k in dict.fromkeys([*new, *old]):
            _compare(old.get(k, _MISSING), new.get(k, _MISSING), (*path, _name(k)), k, out)
        return
    noun = _NOUNS.get(key, "item")
    if isinstance(old, list) and isinstance(new, list):
        if all(isinstance(v, dict) for v in (*old, *new)) and (old or new):
            olds = {_item_key(v, i): v for i, v in enumerate(old)}
            news = {_item_key(v, i): v for i, v in enumerate(new)}
            base = path[:-1]
            for name in dict.fromkeys([*news, *olds]):
                where = (*base, f"{noun} {name}")
                if name not in olds:
                    out.append(Change(ChangeKind.ADDED, _label(where), "", render(news[name])))
                elif name not in news:
                    out.append(Change(ChangeKind.REMOVED, _label(where), render(olds[name]), ""))
                else:
                    _compare(olds[name], news[name], where, "", out)
            return
        if not any(isinstance(v, dict | list) for v in (*old, *new)):
            for member in dict.fromkeys([*new, *old]):
                if member not in old:
                    out.append(Change(ChangeKind.ADDED, _label(path), "", render(member)))
                elif member not in new:
                    out.append(Change(ChangeKind.REMOVED, _label(path), render(member), ""))
            return
    if old == new or (_empty(old) and _empty(new)):
        return
    if _empty(old):
        out.append(Change(ChangeKind.ADDED, _label(path), "", render(new)))
    elif _empty(new):
        out.append(Change(ChangeKind.REMOVED, _label(path), render(old), ""))
    else:
        out.append(Change(ChangeKind.CHANGED, _label(path), render(old), render(new)))


def document_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every difference between two JSON documents, in the order the later one is written."""
    out: list[Change] = []
    _compare(before, after, (), "", out)
    return out


def model_changes(before: BaseModel | None, after: BaseModel) -> list[Change]:
    """The changes from one request (or agreement policy) to the next; none without a
    previous one."""
    if before is None:
        return []
    return document_changes(before.model_dump(mode="json"), after.model_dump(mode="json"))
