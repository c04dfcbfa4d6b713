"""Workbook reading with python-calamine: by content, not by the declared sheet size.

Some exports declare a sheet dimension of 1,048,575 rows while holding a few; calamine reads the cells that
exist, and trailing empty rows are dropped here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from migrator.errors import InputError
from migrator.inputs.base import check_exists
from migrator.inputs.csvio import CONTROL, CONTROL_EXPECTED, clean_header, control_message

XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    check_exists(path)
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputError(f"cannot open the workbook: {exc}", file=path) from None


def read_sheet(path: Path, sheet: str, header_required: tuple[str, ...] = ()) -> pd.DataFrame:
    """One sheet as a frame of cells: header from the first non-empty row, empty rows dropped, text in Unicode
    NFC. The frame's index is each row's number as the spreadsheet shows it (rows above the header counted); a
    text cell holding a control character (NUL, escape...) is refused with its row and column."""
    from python_calamine import CalamineWorkbook

    try:
        data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        rows = data.to_python(skip_empty_area=True)
        first_row = int(data.start[0]) + 1 if data.start else 1
    except Exception as exc:
        raise InputError(f"cannot read sheet '{sheet}': {exc}", file=path) from None
    numbers = list(range(first_row, first_row + len(rows)))
    kept = [(n, r) for n, r in zip(numbers, rows, strict=True) if not all(c in ("", None) for c in r)]
    if not kept:
        raise InputError(f"sheet '{sheet}' is empty", file=path, row=1)
    header_row, first = kept[0]
    header = [clean_header(str(h).strip(), path, header_row) for h in first]
    width = len(header)
    body = [list(r[:width]) + [""] * (width - len(r)) for _, r in kept[1:]]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        name = h or f"column_{i + 1}"
        if name in seen:
            name = f"{name} ({i + 1})"
        seen[name] = i
        header[i] = name
    frame = pd.DataFrame(
        body, columns=header, dtype=object, index=pd.Index([n for n, _ in kept[1:]], dtype="int64")
    )
    for column in frame.columns:
        frame[column] = _clean_text(frame[column], path, column)
    missing = [c for c in header_required if c not in frame.columns]
    if missing:
        raise InputError(
            f"sheet '{sheet}' lacks column '{missing[0]}'", file=path, row=header_row, column=missing[0]
        )
    return frame


def _clean_text(values: pd.Series, path: Path, column: str) -> pd.Series:
    """The text cells of a column in NFC (numbers and dates as they are); a control character is refused."""
    is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
    if not is_text.any():
        return values
    text = values[is_text].astype(str)
    bad = text.str.contains(CONTROL, regex=True)
    if bad.any():
        row = int(bad.index[np.flatnonzero(bad.to_numpy())[0]])
        cell = str(text[row])
        raise InputError(control_message(cell), file=path, row=row, column=column, expected=CONTROL_EXPECTED)
    out = values.copy()
    out[is_text] = text.str.normalize("NFC")
    return out
