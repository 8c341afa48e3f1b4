"""Hypothesis strategies for text that is nearly, exactly or nothing like an identifier.

Valid-shaped values are generated from the validators' own patterns, then roughed up
the way real extracts are: case changed, ASCII and Unicode spaces inserted, characters
swapped for look-alikes that Python's Unicode-aware ``upper`` used to fold into ASCII.
"""

from __future__ import annotations

from hypothesis import strategies as st

from accord.core.identifiers import NINO_PATTERN, POSTCODE_PATTERN

NOISE = " \t\n\r\f\v\u00a0\u2003\x1c\x85-/.\ufb06\u017f\u0131\uff10\uff11\u0661AZaz09"

NHS_SHAPE = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"


@st.composite
def roughen(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    chars = list(draw(base))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        op = draw(st.sampled_from(["lower", "insert", "replace", "delete"]))
        at = draw(st.integers(min_value=0, max_value=max(len(chars) - 1, 0)))
        if op == "lower" and chars:
            chars[at] = chars[at].lower()
        elif op == "insert":
            chars.insert(at, draw(st.sampled_from(NOISE)))
        elif op == "replace" and chars:
            chars[at] = draw(st.sampled_from(NOISE))
        elif op == "delete" and chars:
            del chars[at]
    return "".join(chars)


def identifier_text(pattern: str) -> st.SearchStrategy[str | None]:
    """Values around ``pattern``: exact, roughened, or arbitrary text, and sometimes null."""
    exact = st.from_regex(pattern, fullmatch=True)
    return st.one_of(exact, roughen(exact), st.text(max_size=14), st.none())


NINO_TEXT = identifier_text(NINO_PATTERN)
POSTCODE_TEXT = identifier_text(POSTCODE_PATTERN)
NHS_TEXT = identifier_text(NHS_SHAPE)
