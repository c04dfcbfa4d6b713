"""Markdown tables built a column at a time: every column escaped in one pass over one joined string.

Escaping a 100,000-server plan cell by cell meant well over a million calls of
:func:`~migrator.outputs.escape.md_text`; here a column's cells are joined with a separator no inventory text
holds, escaped by one call of ``md_text`` (a few passes of C-level string methods), and split again
(:func:`md_column`, equal to ``md_text`` cell by cell, which ``tests/outputs/test_reports.py`` checks).
Numbers are formatted the same way (:func:`number_column`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from migrator.outputs.escape import md_text

_SEP = "\x00"
SMALL = 1_000  # rows up to which a table is joined row by row
_EDGE = re.compile(" ?\x00 ?")
_NEGATIVE_ZERO = re.compile("(?:(?<=\x00)|^)-(?=0(?:\\.0*)?(?:\x00|$))")  # -0.00 reads as 0.00
_THOUSANDS = re.compile(r"(?<=\d)(?=(?:\d{3})+(?!\d))")


def _cells(values: Iterable[Any]) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]


def md_column(values: Iterable[Any] | pd.Series) -> list[str]:
    """Each value as :func:`~migrator.outputs.escape.md_text` would escape it (``None``/NaN: empty)."""
    if isinstance(values, pd.Series):
        cells = values.astype(object).where(values.notna(), "").astype(str).tolist()
    else:
        cells = _cells(values)
    if not cells:
        return []
    joined = _SEP.join(cells)
    if joined.count(_SEP) != len(cells) - 1:  # a cell holds the separator itself: cell by cell
        return [md_text(c) for c in cells]
    # md_text on the joined column: the separator is neither whitespace nor special, so each cell is escaped
    # as alone, but for the spaces md_text keeps around a separator where it would strip them at a cell's ends
    return _EDGE.sub(_SEP, md_text(joined)).split(_SEP)


def number_column(values: pd.Series | np.ndarray, digits: int = 0, missing: str = "unknown") -> list[str]:
    """Numbers with thousands separators and ``digits`` decimals (``12,345.60``), a column at a time."""
    if digits > 3:
        raise ValueError("number_column formats up to 3 decimals")
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if arr.size == 0:
        return []
    known = ~np.isnan(arr)
    text = np.char.mod(f"%.{digits}f", np.where(known, arr, 0.0))  # as f"{x:.2f}" rounds
    joined = _THOUSANDS.sub(",", _NEGATIVE_ZERO.sub("", _SEP.join(text.tolist())))  # decimals take no comma
    out = np.array(joined.split(_SEP), dtype=object)
    out[~known] = missing
    return [str(x) for x in out.tolist()]


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An escaped Markdown table from rows (each column escaped in one pass)."""
    rows = list(rows)
    columns = [md_column(col) for col in zip(*rows, strict=True)] if rows else []
    return table_of_columns(headers, columns)


def table_of_columns(headers: Sequence[str], columns: Sequence[Sequence[str]]) -> str:
    """A Markdown table from columns already escaped (:func:`md_column`, :func:`number_column`)."""
    return "\n".join([*table_lines(headers, columns)]) + "\n"


def table_lines(headers: Sequence[str], columns: Sequence[Sequence[str]]) -> list[str]:
    """The header, the rule and one line per row of escaped columns."""
    head = [
        "| " + " | ".join(md_text(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    if not columns or not len(columns[0]):
        return head
    if len(columns[0]) <= SMALL:  # a few rows: plain joins beat pandas' per-operation overhead
        return [*head, *("| " + " | ".join(row) + " |" for row in zip(*columns, strict=True))]
    body = pd.Series(["| "] * len(columns[0]), dtype=object)
    for i, col in enumerate(columns):
        body = body + (" | " if i else "") + pd.Series(list(col), dtype=object)
    return [*head, *(body + " |").tolist()]


def details(summary: str, body: str, open_: bool = False) -> str:
    """A collapsed block (GitHub renders ``<details>``); ``summary`` is plain text, escaped here."""
    tag = "<details open>" if open_ else "<details>"
    return f"{tag}<summary>{html.escape(summary, quote=False)}</summary>\n\n{body}\n</details>\n"
