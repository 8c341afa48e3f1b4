"""The erasure repository: every change carries its audit event, written with it."""

from __future__ import annotations

import inspect

from accord.store.erasure_store import ERASURE_READ_METHODS, ErasureStore


def _public() -> list[str]:
    own = vars(ErasureStore)
    return [n for n, m in own.items() if inspect.isfunction(m) and not n.startswith("_")]


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    mutating = [n for n in _public() if n not in ERASURE_READ_METHODS]
    assert mutating
    for name in mutating:
        parameters = inspect.signature(getattr(ErasureStore, name)).parameters
        assert "audit" in parameters, name
        assert parameters["audit"].default is inspect.Parameter.empty, name
    for name in ERASURE_READ_METHODS:
        assert name in _public(), name
        assert "audit" not in inspect.signature(getattr(ErasureStore, name)).parameters
