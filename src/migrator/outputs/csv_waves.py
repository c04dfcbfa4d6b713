"""waves.csv: one row per server, the file an architect edits and feeds back with ``--pins``."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

from migrator.azure.confidence import CONFIDENCE_COLUMNS
from migrator.outputs.escape import csv_cell
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
        frame[col] = frame[col].fillna("").astype(str).map(csv_cell)
    return frame


class WavesCsv:
    filename = "waves.csv"

    def render(self, result: PlanResult) -> bytes:
        buf = io.StringIO()
        waves_frame(result).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue().encode("utf-8")
