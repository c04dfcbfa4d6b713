"""Azure Migrate agentless dependency-analysis exports, aggregated to weighted server-to-server edges.

Two layouts: ``Timeslot`` (or ``Time slot``), ``Source server name``, ``Source IP``, ``Source application``,
``Source process``, ``Destination server name``, ``Destination IP``, ``Destination application``,
``Destination process``, ``Destination port``; and the newer ``Date, Source Appliance Name, Source Machine
ARM ID, Source Server Name, ...`` that may end with ``Connection Count``. One row per connection per 6-hour
slot (the same flow repeats, at most 30 days): rows are added up per flow, the weight being the connection
count when given, else the number of slots the flow was seen in. A destination with only an IP is matched to
the inventory by IP when planning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from migrator.errors import Finding
from migrator.inputs.base import ReadResult, register
from migrator.inputs.mapping import norm

ALIASES = {
    "slot": ["Timeslot", "Time slot", "Date"],
    "source": ["Source server name"],
    "source_ip": ["Source IP"],
    "source_application": ["Source application"],
    "source_process": ["Source process"],
    "target": ["Destination server name"],
    "target_ip": ["Destination IP"],
    "target_application": ["Destination application"],
    "target_process": ["Destination process"],
    "port": ["Destination port"],
    "count": ["Connection Count", "Connections"],
}
KEYS = ["source", "source_ip", "source_process", "target", "target_ip", "target_process", "port"]


ASSUMPTION = (
    "Dependency export: rows repeat per 6-hour slot; "
    "a flow's weight is its connection count, or the number of slots it was seen in."
)


def _flow_findings(flows: pd.DataFrame, n_rows: int, cols: dict[str, str], path: Path) -> list[Finding]:
    weight = (
        "(weight = connection count)"
        if "count" in cols
        else "(weight = number of 6-hour slots the flow was seen in)"
    )
    findings = [
        Finding(
            "dependency-rows",
            f"{n_rows:,} export rows aggregated into {len(flows):,} flows " + weight,
            str(path),
            severity="info",
        )
    ]
    ip_only = flows["target"].eq("") & flows["target_ip"].ne("")
    if ip_only.any():
        findings.append(
            Finding(
                "ip-only-destinations",
                f"{int(ip_only.sum())} flows name their destination by IP only; matched to the inventory "
                "by IP, the rest are reported as external endpoints",
                str(path),
                column=cols.get("target_ip", ""),
                severity="info",
            )
        )
    return findings


class DependencyExportReader:
    name = "azure-migrate-dependencies"
    description = "Azure Migrate agentless dependency analysis export (Timeslot or Date layout)"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        have = {norm(h) for h in header}
        if {"sourceservername", "destinationport"} <= have and ({"timeslot", "date"} & have):
            return 0.95
        return 0.0

    def read(self, path: Path) -> ReadResult:
        # DuckDB, out of core, with the statement `migrator deps aggregate` runs (migrator.telemetry): rows
        # added up per flow in the order each flow first appears, bad cells named by row and column.
        from migrator.telemetry import read_export

        flows, n_rows, src = read_export(path)
        cols = src.columns
        mapped = {v: k for k, v in cols.items()}
        return ReadResult(
            path=str(path),
            format=self.name,
            dependencies=flows,
            column_map=mapped,
            unmapped=tuple(c for c in src.header if c not in mapped),
            findings=tuple([*src.findings, *_flow_findings(flows, n_rows, cols, path)]),
            assumptions=(ASSUMPTION,),
        )


DEPENDENCY_EXPORT = register(DependencyExportReader())
