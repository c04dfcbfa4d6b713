"""Escaping of inventory text for the places it ends up: Markdown tables, HTML, Mermaid labels and CSV cells.

Server names and application names come from spreadsheets people do not control. In Markdown a ``|`` breaks a
table and ``<script>`` would be HTML; in a spreadsheet a cell starting with ``=``, ``+``, ``-`` or ``@`` is a
formula (CSV injection, OWASP). Bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE...) would make a name
read differently from what it is ("Trojan Source"): Markdown and Mermaid show them as their code point. An
``@name`` would notify a GitHub user when PLAN.md or a diff is posted on a pull request: a zero-width joiner
after the ``@`` keeps the text and drops the mention.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_MD_SPECIAL = "\\`*_[]|"  # each gets a backslash before it (the backslash first)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# Embeddings, overrides, isolates and marks that reorder how text is displayed.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_SHOWN = str.maketrans({c: f"<U+{ord(c):04X}>" for c in BIDI_CONTROLS})
_HAS_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_MENTION = re.compile(r"(?<![A-Za-z0-9_.])@(?=[A-Za-z0-9_-])")  # as GitHub finds them: not in an e-mail
ZWJ = "\u200d"


def md_text(text: object) -> str:
    """Inline Markdown text: HTML escaped, Markdown emphasis/link/code characters escaped, one line;
    bidirectional controls shown as ``<U+202E>``, ``@mentions`` defused."""
    s = "" if text is None else str(text)
    if _HAS_BIDI.search(s):  # str.translate with a dict visits every character: only when needed
        s = s.translate(_BIDI_SHOWN)
    s = html.escape(s, quote=False)
    for c in _MD_SPECIAL:  # str.replace: a pass in C each, far faster than a regex with a template
        if c in s:
            s = s.replace(c, "\\" + c)
    if "@" in s:
        s = _MENTION.sub("@" + ZWJ, s)
    return " ".join(s.split())


def md_cell(text: object) -> str:
    """A Markdown table cell: like :func:`md_text`: one line, ``|`` and ``\\`` escaped, HTML ``< > &`` as
    entities."""
    return md_text(text)


_MERMAID = str.maketrans(
    {c: f"#{ord(c)};" for c in "\"#:;[](){}|`<>&'%"}
    | {"\n": " ", "\r": " ", "\t": " "}
    | {c: f"U+{ord(c):04X}" for c in BIDI_CONTROLS}
)

_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(chr(c) for c in _MERMAID)) + "]")


def mermaid_label(text: object) -> str:
    """A Mermaid label: every character with a meaning in Mermaid syntax becomes a Mermaid entity
    (``#35;``)."""
    s = "" if text is None else str(text)
    if _MERMAID_SPECIAL.search(s):  # most labels have none: str.translate with a dict is slow
        s = s.translate(_MERMAID)
    return " ".join(s.split())


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not execute: text starting like a formula gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_column(values: pd.Series) -> pd.Series:
    """:func:`csv_cell` of each text of a column at once (missing values become empty text)."""
    text = values.fillna("").astype(str)
    risky = text.str.startswith(_FORMULA_START)
    if risky.any():  # the few starting like a formula: cell by cell
        text = text.copy()
        text[risky] = text[risky].map(csv_cell)
    return text
