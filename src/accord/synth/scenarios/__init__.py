"""The scenarios, by the name the CLI takes: one module per seed's story."""

from __future__ import annotations

from accord.synth.scenarios.base import Scenario
from accord.synth.scenarios.carers import CarersScenario
from accord.synth.scenarios.provider import ProviderScenario
from accord.synth.scenarios.trust import TrustScenario
from accord.synth.scenarios.worklessness import WorklessnessScenario

__all__ = ["SCENARIOS", "Scenario"]

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        CarersScenario(),
        WorklessnessScenario(),
        TrustScenario(),
        ProviderScenario(),
    )
}
