"""The tokenizer: text to a list of tokens, each remembering its offset.

It knows the whole lexical grammar, so anything outside it (``;``, ``--``,
``/*``, ``||``, backticks) stops here with its position, before the parser or any
SQL is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from accord.core.expressions.errors import FilterSyntaxError

__all__ = ["KEYWORDS", "Kind", "Token", "tokenize"]

KEYWORDS = frozenset(
    {
        "and",
        "between",
        "date",
        "false",
        "in",
        "interval",
        "is",
        "like",
        "not",
        "null",
        "or",
        "true",
    }
)
"""Words that cannot name a column unquoted (double-quote them to use one as a name)."""


class Kind(Enum):
    IDENT = "identifier"
    QUOTED_IDENT = "quoted identifier"
    KEYWORD = "keyword"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    OP = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    PLUS = "'+'"
    MINUS = "'-'"
    END = "end of input"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    """The token's value: keywords lower-cased, strings and quoted names unescaped."""
    offset: int

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is Kind.END:
            return "end of input"
        if self.kind is Kind.STRING:
            return "a string"
        return repr(self.text)


_SPACE = re.compile(r"[ \t\r\n]+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_OPERATORS = ("<=", ">=", "<>", "!=", "==", "=", "<", ">")
_PUNCTUATION = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    ",": Kind.COMMA,
    "+": Kind.PLUS,
    "-": Kind.MINUS,
}


def _forbidden(char: str) -> bool:
    """NUL and lone surrogates: no database stores them, so no filter may contain them."""
    return char == "\0" or "\ud800" <= char <= "\udfff"


def _quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """Read a ``quote``-delimited run starting at ``start``; a doubled quote is one quote."""
    pieces: list[str] = []
    i = start + 1
    while True:
        j = text.find(quote, i)
        if j < 0:
            what = "string" if quote == "'" else "quoted identifier"
            raise FilterSyntaxError(f"unterminated {what}", text=text, offset=start)
        pieces.append(text[i:j])
        if text.startswith(quote * 2, j):
            pieces.append(quote)
            i = j + 2
            continue
        return "".join(pieces), j + 1


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one ``END`` token."""
    tokens: list[Token] = []
    for i, char in enumerate(text):
        if _forbidden(char):
            raise FilterSyntaxError("invalid character", text=text, offset=i)
    i = 0
    while i < len(text):
        char = text[i]
        if space := _SPACE.match(text, i):
            i = space.end()
        elif word := _WORD.match(text, i):
            value = word.group()
            if value.lower() in KEYWORDS:
                tokens.append(Token(Kind.KEYWORD, value.lower(), i))
            else:
                tokens.append(Token(Kind.IDENT, value, i))
            i = word.end()
        elif number := _NUMBER.match(text, i):
            after = number.end()
            if after < len(text) and (text[after].isalnum() or text[after] in "_."):
                raise FilterSyntaxError("malformed number", text=text, offset=i)
            kind = Kind.DECIMAL if number.group(1) else Kind.INTEGER
            tokens.append(Token(kind, number.group(), i))
            i = after
        elif char in "'\"":
            value, end = _quoted(text, i, char)
            if char == '"' and not value:
                raise FilterSyntaxError("empty quoted identifier", text=text, offset=i)
            tokens.append(Token(Kind.STRING if char == "'" else Kind.QUOTED_IDENT, value, i))
            i = end
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token(Kind.OP, op, i))
            i += len(op)
        elif char in _PUNCTUATION:
            if text.startswith("--", i):
                raise FilterSyntaxError("comments are not allowed", text=text, offset=i)
            tokens.append(Token(_PUNCTUATION[char], char, i))
            i += 1
        else:
            raise FilterSyntaxError(_unexpected(text, i), text=text, offset=i)
    tokens.append(Token(Kind.END, "", len(text)))
    return tokens


def _unexpected(text: str, i: int) -> str:
    if text.startswith("/*", i):
        return "comments are not allowed"
    if text[i] == ";":
        return "';' is not allowed: a filter is one expression, not statements"
    if text.startswith("||", i):
        return "'||' is not an operator in filters"
    return f"unexpected character {text[i]!r}"
