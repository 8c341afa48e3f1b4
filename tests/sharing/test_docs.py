"""docs/delta-sharing.md names every audit action the server writes, and the URL life."""

from __future__ import annotations

import re
from pathlib import Path

import accord.services.sharing as sharing

ROOT = Path(__file__).parents[2]


def test_every_audited_action_is_documented() -> None:
    docs = (ROOT / "docs" / "delta-sharing.md").read_text()
    source = Path(sharing.__file__).read_text()
    actions = set(re.findall(r'"((?:sharing|share\.token)\.[a-z.]+)"', source))
    assert actions >= {"sharing.query", "sharing.file", "share.token.issue"}
    for action in actions:
        assert f"`{action}`" in docs, f"{action} is not in docs/delta-sharing.md"


def test_the_documented_url_life_is_the_real_one() -> None:
    docs = (ROOT / "docs" / "delta-sharing.md").read_text()
    assert sharing.URL_SECONDS == 300
    assert "A URL lives five minutes" in docs
