"""The averaging attack (:mod:`attacks.averaging`) as an entry of the attack suite."""

from __future__ import annotations

from typing import Any

from attacks import Context, register
from attacks.averaging import run


@register("averaging_perturbed_releases")
def averaging_perturbed_releases(context: Context) -> dict[str, Any]:
    """Small cells recovered exactly from twelve perturbed releases (target 0)."""
    result = run(12, context.seed)
    return {
        "metric": "small cells recovered exactly from 12 perturbed releases",
        "value": result["small_cells_recovered"],
        "held": result["target_met"],
        **result,
    }
