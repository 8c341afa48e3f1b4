"""What an assessment reports: findings with a code, a severity, a reason and a fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    BLOCK = "block"
    """Must be resolved, or overridden by legal with a recorded reason, before approval."""
    WARN = "warn"
    """A reviewer must look at it."""
    ADVICE = "advice"
    """A better way to ask."""


SEVERITY_ORDER = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.ADVICE: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    reason: str
    fix: str
    subject: str = ""
    """The dataset or ``dataset.field`` it is about, where it is about one."""

    def key(self) -> tuple[int, str, str]:
        return (SEVERITY_ORDER[self.severity], self.code, self.subject)

    @property
    def ref(self) -> str:
        """Identifies a finding across re-assessments, for overrides."""
        return f"{self.code}:{self.subject}" if self.subject else self.code
