"""Numbers and units as exports write them.

Inventory tools disagree on units and number formats: RVTools writes MiB (older versions label the same
values "MB"), Azure Migrate's template asks for memory "In MB" and disks "In GB", European exports use decimal
commas. Readers parse numbers with the helpers here, convert units themselves (MiB / 1024 = GiB) and state
each conversion in the plan's assumptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from migrator.errors import InputError

_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class Limit:
    """The range a quantity may take, in migrator's units (GiB, W, %...), and whether it is whole."""

    minimum: float
    maximum: float
    integer: bool = False
    unit: str = ""


# Every number an inventory holds, by what it means. The bounds are far beyond any real machine; they exist so
# that a typo (or 1e309, read as infinity) is refused with its row and column instead of overflowing a sum
# later in planning.
LIMITS: dict[str, Limit] = {
    "cores": Limit(0, 1_000_000),
    "memory_gb": Limit(0, 1e9, unit="GiB"),
    "storage_gb": Limit(0, 1e15, unit="GiB"),
    "disk_gb": Limit(0, 1e12, unit="GiB"),
    "cpu_util_pct": Limit(0, 100, unit="%"),
    "memory_util_pct": Limit(0, 100, unit="%"),
    "power_w": Limit(0, 1e9, unit="W"),
    "iops": Limit(0, 1e15),
    "throughput_mbps": Limit(0, 1e15, unit="MB/s"),
    "nics": Limit(0, 1_000_000, integer=True),
    "disk_count": Limit(0, 1_000_000, integer=True),
    "pinned_wave": Limit(1, 10_000, integer=True),
    "port": Limit(0, 65535, integer=True),
    "weight": Limit(0, 1e15),
}


def shown(value: object) -> str:
    """A cell as the file had it, for a message: text quoted, a spreadsheet's 150.0 as '150'."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return repr(str(int(value)))
    return repr(str(value))


def _plain(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e18 else f"{value:g}"


def expected_range(limit: Limit, scale: float = 1.0, unit: str = "") -> str:
    """What a value of this quantity may be, in the file's unit (``scale``: file unit -> migrator's)."""
    if not np.isfinite(limit.maximum):
        return "a finite number"
    lo, hi = _plain(limit.minimum / scale), _plain(limit.maximum / scale)
    whole = "a whole number" if limit.integer else "a number"
    return f"{whole} from {lo} to {hi}" + (f" {unit}" if unit else "")


def check_range(
    numbers: pd.Series,
    raw: pd.Series,
    limit: Limit,
    *,
    file: str | Path,
    column: str,
    rows: np.ndarray,
    scale: float = 1.0,
    unit: str = "",
) -> None:
    """Refuse the first value that is not finite, out of ``limit`` (checked on ``numbers * scale``) or not
    whole when it must be, naming the file's row and column and showing the cell as written."""
    values = numbers.to_numpy(dtype=float)
    known = ~np.isnan(values)
    scaled = values * scale
    checks = (
        (known & ~np.isfinite(values), "not a finite number"),
        (known & np.isfinite(values) & ((scaled < limit.minimum) | (scaled > limit.maximum)), "out of range"),
        (known & np.isfinite(values) & limit.integer & (values != np.floor(values)), "not a whole number"),
    )
    for bad, message in checks:
        if bad.any():
            where = np.flatnonzero(bad)
            i = int(where[0])
            more = f" ({len(where) - 1} more rows like it)" if len(where) > 1 else ""
            raise InputError(
                f"{message}: {shown(raw.iloc[i])}{more}",
                file=file,
                row=int(rows[i]),
                column=column,
                expected=expected_range(limit, scale, unit or limit.unit if scale == 1.0 else unit),
            )


def parse_numbers(
    values: pd.Series,
    *,
    file: str | Path,
    column: str,
    decimal_comma: bool = False,
    row_offset: int | None = None,
    expected: str = "a plain number",
    quantity: str | None = None,
    scale: float = 1.0,
    unit: str = "",
) -> pd.Series:
    """Text to float (NaN when empty). Decimal commas and thousands separators are understood; anything else
    that is not a number (``16 GB``, ``n/a``) raises an InputError naming the file, row and column.

    Rows: the series' index is the file's row of each value (as :func:`~migrator.inputs.csvio.read_csv_text`
    and :func:`~migrator.inputs.xlsx.read_sheet` index their frames), unless ``row_offset`` is given (row =
    position + 1 + row_offset). With ``quantity`` (a key of :data:`LIMITS`) every value must also be finite
    and in range once multiplied by ``scale`` (MiB read as GiB: 1/1024); messages show the cell as written.
    """
    rows = _rows(values, row_offset)
    numbers = _to_float(values, decimal_comma)
    unread = numbers.isna().to_numpy().copy()
    if unread.any():  # empty, or not a number: told apart on those cells only
        unread[unread] = ~_is_empty(values[unread]).to_numpy()
    if unread.any():
        i = int(np.flatnonzero(unread)[0])
        raw = values.iloc[i]
        unit_in = " (a number with a unit in it)" if re.search(r"\d\s*[A-Za-z%]", str(raw)) else ""
        raise InputError(
            f"not a number{unit_in}: {shown(raw)}",
            file=file,
            row=int(rows[i]),
            column=column,
            expected=expected,
        )
    limit = LIMITS[quantity] if quantity else Limit(-np.inf, np.inf)
    check_range(numbers, values, limit, file=file, column=column, rows=rows, scale=scale, unit=unit)
    return numbers


def _rows(values: pd.Series, row_offset: int | None) -> np.ndarray:
    if (
        row_offset is None
        and pd.api.types.is_integer_dtype(values.index)
        and not isinstance(values.index, pd.RangeIndex)
    ):
        return values.index.to_numpy()
    return np.arange(len(values)) + 1 + (1 if row_offset is None else row_offset)


def _is_empty(values: pd.Series) -> pd.Series:
    """Whether each cell is empty (or says nan, none, null); text looked at once per distinct value (a
    column left empty in 100,000 rows is one value)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.isna()
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = pd.Series(uniques, dtype=values.dtype)
    text = distinct.astype(object).where(distinct.notna(), "").astype(str).str.strip()
    empty = (text.eq("") | text.str.lower().isin(["nan", "none", "null"])).to_numpy(bool)
    return pd.Series(empty[codes], index=values.index)


def _to_float(values: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = _as_arrow_text(values) if not decimal_comma else None
    if text is None:
        return _to_float_text(values, decimal_comma)
    # Fast path (Arrow): plain numbers parse at once, empty cells are NaN; only the other cells (1,024,
    # 1 024, 1,5, n/a) go through the slower cleaning.
    empty = pc.fill_null(pc.equal(text, ""), True)
    try:  # a column of plain numbers (the usual case) casts at once
        parsed = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), text), pa.float64())
        plain = pc.invert(empty)
    except pa.ArrowInvalid:
        plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_NUMBER), False)
        parsed = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
    numbers = pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index, dtype=float)
    retry = pc.and_(pc.invert(plain), pc.invert(empty))
    other = np.asarray(retry.to_numpy(zero_copy_only=False), dtype=bool)
    if other.any():
        numbers[other] = _to_float_text(values[other], decimal_comma).to_numpy()
    return numbers


_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _as_arrow_text(values: pd.Series) -> pa.Array | None:
    """A column of text as an Arrow string array (None when it holds anything but text)."""
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return None
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _to_float_text(values: pd.Series, decimal_comma: bool) -> pd.Series:
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
    return pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)


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


@dataclass(frozen=True)
class Cells:
    """A sheet's cells by canonical key (``cols``: key -> the file's column): numbers parsed and checked as
    ``quantities`` says (key -> quantity of :data:`LIMITS`, scale, unit in the file; NaN when the column is
    absent), text stripped ('' when absent)."""

    frame: pd.DataFrame
    cols: Mapping[str, str]
    path: Path
    decimal_comma: bool
    quantities: Mapping[str, tuple[str, float, str]]

    def numbers(self, column: str, quantity: str, scale: float = 1.0, unit: str = "") -> pd.Series:
        """The numbers of the file's ``column``, checked as ``quantity``."""
        return parse_numbers(
            self.frame[column],
            file=self.path,
            column=column,
            decimal_comma=self.decimal_comma,
            quantity=quantity,
            scale=scale,
            unit=unit,
        )

    def num(self, key: str) -> pd.Series:
        if key not in self.cols:
            return pd.Series(np.nan, index=self.frame.index)
        quantity, scale, unit = self.quantities.get(key, (key, 1.0, ""))
        return self.numbers(self.cols[key], quantity, scale, unit)

    def text(self, key: str) -> pd.Series:
        if key not in self.cols:
            return pd.Series("", index=self.frame.index, dtype=object)
        values = self.frame[self.cols[key]]
        return values.astype(object).where(values.notna(), "").astype(str).str.strip()
