"""Markdown tables built a column at a time: every column escaped in one pass over one joined string.

Escaping a 100,000-server plan cell by cell meant well over a million calls of
:func:`~migrator.outputs.escape.md_text`; here a column's cells are joined with a separator no inventory text
holds, escaped by one call of ``md_text`` (a few passes of C-level string methods), and split again
(:func:`md_column`, equal to ``md_text`` cell by cell, which ``tests/outputs/test_reports.py`` checks).
Numbers are formatted the same way (:func:`number_column`).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from migrator.outputs.escape import md_text
from migrator.outputs.text import number

_SEP = "\x00"
LONG = 1_000  # cells from which a column is converted the vectorised way


def _cells(values: Iterable[Any]) -> list[str]:
    """Each value as text; ``None`` and NaN empty."""
    values = list(values)
    if len(values) < LONG:
        return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    out = list(map(str, values))
    for i in np.flatnonzero(pd.isna(pd.Series(values, dtype=object)).to_numpy()).tolist():
        v = values[i]  # pandas' missing values are more than None and NaN: keep the others' text
        if v is None or (isinstance(v, float) and v != v):
            out[i] = ""
    return out


def md_column(values: Iterable[Any] | pd.Series) -> list[str]:
    """Each value as :func:`~migrator.outputs.escape.md_text` would escape it (``None``/NaN: empty)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        cells = values.to_numpy(dtype=object, na_value="").tolist()
    elif isinstance(values, pd.Series):
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
    return md_text(joined).replace(" " + _SEP, _SEP).replace(_SEP + " ", _SEP).split(_SEP)


def number_column(values: pd.Series | np.ndarray, digits: int = 0, missing: str = "unknown") -> list[str]:
    """Numbers with thousands separators and ``digits`` decimals (``12,345.60``), as
    :func:`migrator.outputs.text.number` writes each (``-0`` reads as ``0``; NaN or no value: ``missing``)."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if arr.size == 0:
        return []
    codes, distinct = pd.factorize(arr.view(np.int64))  # each distinct value (bit for bit) formatted once
    out = np.array([number(x, digits) for x in distinct.view(float).tolist()], dtype=object)
    out[np.isnan(distinct.view(float))] = missing
    return out[codes].tolist()


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
    head = list(_head(tuple(headers)))
    if not columns or not len(columns[0]):
        return head
    return [*head, *row_lines(columns)]


@functools.lru_cache(maxsize=256)
def _head(headers: tuple[str, ...]) -> tuple[str, str]:
    """A table's header line and rule (the same few headers on every wave's page: escaped once)."""
    return (
        "| " + " | ".join(md_text(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    )


def row_lines(columns: Sequence[Sequence[str]]) -> list[str]:
    """One table line per row of escaped columns (``| a | b |``), equally long columns of text."""
    if not columns:
        return []
    if len({len(c) for c in columns}) > 1:
        raise ValueError("columns of different lengths")
    line = "| " + " | ".join(["{}"] * len(columns)) + " |"
    return list(map(line.format, *columns))


def details(summary: str, body: str, open_: bool = False) -> str:
    """A collapsed block (GitHub renders ``<details>``); ``summary`` is plain text, escaped here."""
    tag = "<details open>" if open_ else "<details>"
    return f"{tag}<summary>{html.escape(summary, quote=False)}</summary>\n\n{body}\n</details>\n"
