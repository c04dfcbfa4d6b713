"""Workbook reading with python-calamine: by content, not by the declared sheet size.

Some exports declare a sheet dimension of 1,048,575 rows while holding a few; calamine reads the cells that
exist, and trailing empty rows are dropped here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from migrator.errors import InputError
from migrator.inputs.base import check_exists

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
    """One sheet as a frame of cells (header from the first non-empty row, empty trailing rows dropped)."""
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    except Exception as exc:
        raise InputError(f"cannot read sheet '{sheet}': {exc}", file=path) from None
    while rows and all(c in ("", None) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"sheet '{sheet}' is empty", file=path, row=1)
    header = [str(h).strip() for h in rows[0]]
    width = len(header)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in rows[1:]]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        name = h or f"column_{i + 1}"
        if name in seen:
            name = f"{name} ({i + 1})"
        seen[name] = i
        header[i] = name
    frame = pd.DataFrame(body, columns=header, dtype=object)
    missing = [c for c in header_required if c not in frame.columns]
    if missing:
        raise InputError(f"sheet '{sheet}' lacks column '{missing[0]}'", file=path, row=1, column=missing[0])
    return frame
