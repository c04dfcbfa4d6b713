"""Escaping of inventory text for the places it ends up: Markdown tables, HTML, Mermaid labels and CSV cells.

Server names and application names come from spreadsheets people do not control. In Markdown a ``|`` breaks a
table and ``<script>`` would be HTML; in a spreadsheet a cell starting with ``=``, ``+``, ``-`` or ``@`` is a
formula (CSV injection, OWASP).
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def md_text(text: object) -> str:
    """Inline Markdown text: HTML escaped, Markdown emphasis/link/code characters escaped, one line."""
    s = "" if text is None else str(text)
    s = html.escape(s, quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.split())


def md_cell(text: object) -> str:
    """A Markdown table cell: like :func:`md_text`: one line, ``|`` and ``\\`` escaped, HTML ``< > &`` as
    entities."""
    return md_text(text)


_MERMAID = str.maketrans({c: f"#{ord(c)};" for c in "\"#:;[](){}|`<>&'%"} | {"\n": " ", "\r": " ", "\t": " "})


def mermaid_label(text: object) -> str:
    """A Mermaid label: every character with a meaning in Mermaid syntax becomes a Mermaid entity
    (``#35;``)."""
    s = "" if text is None else str(text)
    return " ".join(s.translate(_MERMAID).split())


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not execute: text starting like a formula gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value
