"""A ten-second version of ``benchmarks/load.py`` in the suite: a real ``accord serve``
on loopback, twenty paced clients with the benchmark's mix (catalogue reads, queries in
place, Delta Sharing reads). It asserts what must hold on any machine, however loaded:
no 5xx answer and no connection error. Latency is the benchmark's to report, not the
suite's to assert.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    # The spawned client processes import the benchmark by its path too.
    monkeypatch.setenv("PYTHONPATH", str(BENCHMARKS))
    # Generous limits: the smoke run is about errors, not about the rate limiter.
    monkeypatch.setenv("ACCORD_RATE_PER_MINUTE", "100000")
    monkeypatch.setenv("ACCORD_RATE_BURST", "100000")
    module = importlib.import_module("load")
    yield module
    sys.modules.pop("load", None)


@pytest.mark.integration
def test_ten_seconds_of_load_answer_no_5xx_and_drop_no_connection(load: ModuleType) -> None:
    result = load.measure_load(clients=20, seconds=10, client_processes=1, rate=2.0, seed=16)
    overall = result["overall"]
    assert overall["count"] > 0
    assert overall["server_errors_5xx"] == 0, result
    assert overall["connection_errors"] == 0, result
    assert set(result["kinds"]) == {"metadata", "query", "delta"}, result
    assert result["health_under_load"]["server_errors_5xx"] == 0, result
