"""What an assessment reports: findings with a code, a severity, a reason and a fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.core.identity import Membership

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
    override_by: tuple[Membership, ...] = ()
    """Who may accept a blocking finding with a recorded reason: by default legal of each
    organisation whose data is asked for (the assessment fills it in). Empty for a
    blocking finding nobody may override (the request must change) and for findings that
    do not block."""

    def key(self) -> tuple[int, str, str]:
        return (SEVERITY_ORDER[self.severity], self.code, self.subject)

    @property
    def overridable(self) -> bool:
        return bool(self.override_by)

    def override_label(self) -> str:
        """Who may override, as reviewers read it: ``legal of dwp, legal of hmrc``."""
        if self.severity is not Severity.BLOCK:
            return ""
        if not self.override_by:
            return "no one: the request must change"
        return ", ".join(f"{m.role.value} of {m.organisation_id}" for m in self.override_by)

    @property
    def ref(self) -> str:
        """Identifies a finding across re-assessments, for overrides."""
        return f"{self.code}:{self.subject}" if self.subject else self.code
