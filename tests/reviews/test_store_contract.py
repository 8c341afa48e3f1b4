"""The reviews repository keeps the store's promise: no change without its audit event."""

from __future__ import annotations

import inspect

from accord.store.base import StoreBase
from accord.store.reviews_store import REVIEWS_READ_METHODS, ReviewsStore


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    own = {
        name
        for name, member in inspect.getmembers(ReviewsStore, inspect.isfunction)
        if not name.startswith("_") and not hasattr(StoreBase, name)
    }
    assert own >= REVIEWS_READ_METHODS
    mutating = own - REVIEWS_READ_METHODS
    assert mutating == {"recertify", "record_event"}
    for name in mutating:
        audit = inspect.signature(getattr(ReviewsStore, name)).parameters["audit"]
        assert audit.default is inspect.Parameter.empty, name
    for name in REVIEWS_READ_METHODS:
        assert "audit" not in inspect.signature(getattr(ReviewsStore, name)).parameters
