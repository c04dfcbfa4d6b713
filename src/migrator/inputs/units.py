"""Numbers and units as exports write them.

Inventory tools disagree on units and number formats: RVTools writes MiB (older versions label the same
values "MB"), Azure Migrate's template asks for memory "In MB" and disks "In GB", European exports use decimal
commas. Readers parse numbers with the helpers here, convert units themselves (MiB / 1024 = GiB) and state
each conversion in the plan's assumptions.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from migrator.errors import InputError

_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_numbers(
    values: pd.Series,
    *,
    file: str | Path,
    column: str,
    decimal_comma: bool = False,
    row_offset: int = 1,
    expected: str = "a plain number",
) -> pd.Series:
    """Text to float (NaN when empty). Decimal commas and thousands separators are understood; anything else
    that is not a number (``16 GB``, ``n/a``) raises an InputError naming the file, row and column."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = (
        values.astype(object)
        .where(values.notna(), "")
        .astype(str)
        .str.strip()
        .str.replace("\u00a0", "", regex=False)
    )
    text = text.str.replace(" ", "", regex=False)
    empty = text.eq("") | text.str.lower().isin(["nan", "none", "null"])
    if decimal_comma:
        dotted = text.str.match(_THOUSANDS_DOT.pattern)
        text = text.where(~dotted, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    else:
        grouped = text.str.match(_THOUSANDS_COMMA.pattern)
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
        comma = text.str.match(_DECIMAL_COMMA.pattern)
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
    bad = numbers.isna() & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = values.iloc[i]
        unit = " (a number with a unit in it)" if re.search(r"\d\s*[A-Za-z%]", str(raw)) else ""
        raise InputError(
            f"not a number{unit}: {raw!r}",
            file=file,
            row=i + 1 + row_offset,
            column=column,
            expected=expected,
        )
    return numbers


def looks_decimal_comma(frame: pd.DataFrame, delimiter: str) -> bool:
    """A semicolon-separated file whose numeric-looking cells use commas as the decimal mark."""
    if delimiter != ";":
        return False
    sample = frame.head(200)
    for col in sample.columns:
        s = sample[col].astype(str)
        if s.str.match(_DECIMAL_COMMA.pattern).any():
            return True
    return False


def join_numbers(columns: list[pd.Series], sep: str = ";") -> pd.Series:
    """Per row, the non-empty numbers of several columns joined as text ('128;512'), column by column."""
    acc = pd.Series("", index=columns[0].index, dtype=object)
    for col in columns:
        text = col.round(3).astype(str).str.replace(r"\.0$", "", regex=True).where(col.notna(), "")
        acc = acc.str.cat(text.astype(object), sep=sep)
    return acc.str.replace(sep + "+", sep, regex=True).str.strip(sep).astype(object)
