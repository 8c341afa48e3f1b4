"""Turning the answers of the request's question pages into a SharingRequest.

Pure and typed: no I/O, no web framework. ``steps`` names the question pages and
their order; ``questions`` reads each page's form into answers (or field errors);
``answers`` builds the request from the answers so far, or says what is missing, and
lays them out for the "check your answers" page.
"""

from __future__ import annotations

from accord.web.forms.answers import (
    Built,
    Problem,
    answers_from_request,
    build,
    check_sections,
)
from accord.web.forms.steps import STEPS, Step, next_step, step_for_finding

__all__ = [
    "STEPS",
    "Built",
    "Problem",
    "Step",
    "answers_from_request",
    "build",
    "check_sections",
    "next_step",
    "step_for_finding",
]
