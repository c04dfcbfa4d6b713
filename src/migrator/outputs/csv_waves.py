"""waves.csv: one row per server, the file an architect edits and feeds back with ``--pins``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrator.azure.confidence import CONFIDENCE_COLUMNS
from migrator.outputs.escape import csv_column
from migrator.plan_model import SIZING_FIELDS

if TYPE_CHECKING:
    from migrator.document import PlanResult

COLUMNS = [
    "server",
    "application",
    "environment",
    "move_group",
    "wave",
    "wave_start",
    "wave_end",
    "disposition",
    "decommission_date",
    "criticality",
    "shared_service",
]
SIZING_COLUMNS = [*SIZING_FIELDS, *CONFIDENCE_COLUMNS]  # when sizing ran
TEXT_COLUMNS = {
    "server",
    "application",
    "environment",
    "move_group",
    "criticality",
    "azure_size",
    "readiness_reason",
    "sizing_basis",
    "readiness",
    "sized_on_cpu_memory",
    "sized_on_disks",
}


def waves_frame(result: PlanResult) -> pd.DataFrame:
    table = result.servers
    cols = COLUMNS + [c for c in SIZING_COLUMNS if c in table.columns]
    frame = table[cols].copy()
    frame["shared_service"] = frame["shared_service"].map({True: "yes", False: ""})
    if "monthly_cost" in frame.columns:
        frame["monthly_cost"] = pd.to_numeric(frame["monthly_cost"], errors="coerce").round(2)
    for col in TEXT_COLUMNS & set(cols):
        frame[col] = csv_column(frame[col])
    return frame


def csv_text(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False, lineterminator="\\n")``, the same text, written a column at a time: each
    column turned into its cells' text as pandas turns it (numbers, nullable integers, booleans, text;
    missing cells empty), the cells the csv module would quote quoted by it, then the lines joined. pandas
    writes row by row through the csv module (about 5 s for 100,000 servers on a busy machine). A frame
    holding another kind of column is written by pandas."""
    texts = [_cells(frame[c]) for c in frame.columns]
    if any(t is None for t in texts) or not frame.columns.is_unique:
        buf = io.StringIO()
        frame.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()
    columns = [_quoted([str(c) for c in frame.columns])] if len(frame.columns) else [[]]
    lines = [
        ",".join(columns[0]),
        *map(",".join, zip(*[_quoted(t) for t in texts if t is not None], strict=True)),
    ]
    return "\n".join(lines) + "\n"


def _cells(column: pd.Series) -> list[str] | None:
    """The column's cells as pandas' ``to_csv`` hands them to the csv module, as text; None for a kind of
    column this does not know."""
    dtype = column.dtype
    missing = column.isna().to_numpy()
    if isinstance(dtype, pd.StringDtype):
        cells = column.to_numpy(dtype=object, na_value="")
    elif dtype == np.float64:  # pandas: values.astype(str); here each distinct value (bit for bit) once
        codes, distinct = pd.factorize(np.ascontiguousarray(column.to_numpy()).view(np.int64))
        cells = distinct.view(np.float64).astype(str).astype(object)[codes]
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        cells = column.to_numpy().astype(str).astype(object)
    elif isinstance(dtype, np.dtype) and dtype.kind == "b":
        cells = np.where(column.to_numpy(), "True", "False").astype(object)
    elif isinstance(dtype, np.dtype) and dtype.kind in "iu" or isinstance(dtype, pd.Int64Dtype):
        cells = column.astype(object).to_numpy().astype(str).astype(object)  # str() of each, as csv does
    else:
        return None
    cells[missing] = ""
    return cells.tolist()


_NEEDS_QUOTES = (",", '"', "\r", "\n")


def _quoted(cells: list[str]) -> list[str]:
    """Cells as the csv module writes them (QUOTE_MINIMAL): those holding a comma, a quote or a line break
    quoted by it, one by one; the others as they are."""
    joined = "\x00".join(cells)
    if not any(c in joined for c in _NEEDS_QUOTES):
        return cells
    risky = pd.Series(cells, dtype=object).str.contains('[,"\r\n]', regex=True).to_numpy()
    out = list(cells)
    for i in np.flatnonzero(risky).tolist():
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([cells[i], ""])
        out[i] = buf.getvalue()[:-2]  # the cell, without the empty one after it and the line end
    return out


class WavesCsv:
    filename = "waves.csv"

    def render(self, result: PlanResult) -> bytes:
        return csv_text(waves_frame(result)).encode("utf-8")

    def render_later(self, result: PlanResult) -> Callable[[], bytes]:
        data = self.render(result)
        return lambda: data
