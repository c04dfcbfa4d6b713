"""Azure Migrate Export's discovery report (xlsx, sheet ``Discovery_Report``).

One row per discovered machine: ``Machine Name, Environment, Operating System, Cores, Memory (in MB), Total
Disks, IP Addresses, MAC Addresses, Boot Type, Power Stats, ...``. IP cells hold several addresses as
``[ipv6,...,ipv4];``. The report has no disk sizes: storage is unknown and counts as 0 in wave totals
(reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from migrator.errors import InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.mapping import find_columns
from migrator.inputs.units import parse_numbers
from migrator.inputs.xlsx import is_workbook, read_sheet, sheet_names

SHEET = "Discovery_Report"
ASSUMPTION = (
    "Discovery report: memory 'in MB' is MiB, divided by 1024 for GiB; several IPs per cell are split."
)
ALIASES = {
    "name": ["Machine Name"],
    "environment": ["Environment"],
    "os": ["Operating System"],
    "cores": ["Cores"],
    "memory_mb": ["Memory (in MB)"],
    "ip": ["IP Addresses"],
    "power": ["Power Stats", "Power Status"],
    "disks": ["Total Disks"],
    "boot_type": ["Boot Type"],
    "nics": ["Total Network Adapters"],
}


def split_ip_cell(values: pd.Series) -> pd.Series:
    """'[2404:f801::1,10.150.90.250];' -> '2404:f801::1;10.150.90.250' (vectorised)."""
    text = values.astype(str).str.replace(r"[\[\]\s]", "", regex=True)
    text = text.str.replace(r"[,;]+", ";", regex=True).str.strip(";")
    return text.where(values.notna(), "").astype(object)


class DiscoveryReportReader:
    name = "azure-migrate-discovery-report"
    description = "Azure Migrate Export discovery report (.xlsx, Discovery_Report sheet)"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        return 0.95 if is_workbook(path) and f"sheet:{SHEET}" in header else 0.0

    def read(self, path: Path) -> ReadResult:
        if SHEET not in sheet_names(path):
            raise InputError(f"workbook has no {SHEET} sheet", file=path)
        frame = read_sheet(path, SHEET)
        cols = find_columns(frame.columns, ALIASES)
        for key, label in (("name", "Machine Name"), ("cores", "Cores"), ("memory_mb", "Memory (in MB)")):
            if key not in cols:
                raise InputError("discovery report column missing", file=path, row=1, column=label)
        out = pd.DataFrame(index=frame.index)
        out["name"] = frame[cols["name"]].astype(str).str.strip()
        out["cores"] = parse_numbers(frame[cols["cores"]], file=path, column=cols["cores"], quantity="cores")
        memory = parse_numbers(
            frame[cols["memory_mb"]],
            file=path,
            column=cols["memory_mb"],
            quantity="memory_gb",
            scale=1 / 1024,
        )
        out["memory_gb"] = memory / 1024.0
        out["storage_gb"] = float("nan")
        out["os"] = frame[cols["os"]].astype(str).str.strip() if "os" in cols else ""
        out["ip"] = split_ip_cell(frame[cols["ip"]]) if "ip" in cols else ""
        out["environment"] = (
            frame[cols["environment"]].astype(str).str.strip() if "environment" in cols else ""
        )
        if "boot_type" in cols:
            out["boot_type"] = frame[cols["boot_type"]].fillna("").astype(str).str.strip()
        if "nics" in cols:
            out["nics"] = parse_numbers(frame[cols["nics"]], file=path, column=cols["nics"], quantity="nics")
        if "power" in cols:
            out["power_state"] = frame[cols["power"]].astype(str).str.strip().str.lower()
        out["source_row"] = frame.index.to_numpy()
        mapped = {v: k for k, v in cols.items()}
        return ReadResult(
            path=str(path),
            format=self.name,
            servers=out,
            exported=True,
            column_map=mapped,
            unmapped=tuple(c for c in frame.columns if c not in mapped),
            assumptions=(ASSUMPTION,),
        )


DISCOVERY_REPORT = register(DiscoveryReportReader())
