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

from migrator.errors import Finding, InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.csvio import encoding_findings, read_csv_text, sniff_dialect
from migrator.inputs.mapping import find_columns, norm
from migrator.inputs.units import parse_numbers

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


def _check_columns(frame: pd.DataFrame, cols: dict[str, str], path: Path) -> None:
    for key, label in (("source", "Source server name"), ("port", "Destination port")):
        if key not in cols:
            raise InputError("dependency export column missing", file=path, row=1, column=label)
    if "target" not in cols and "target_ip" not in cols:
        raise InputError(
            "dependency export column missing", file=path, row=1, column="Destination server name"
        )
    if frame.empty:
        raise InputError("file has a header but no data rows", file=path, row=2)


def _flows(frame: pd.DataFrame, cols: dict[str, str], path: Path) -> tuple[pd.DataFrame, int]:
    """Rows added up per flow (in the order each flow first appears), and how many rows there were."""
    rows = pd.DataFrame(index=frame.index)
    for key in KEYS[:-1]:
        rows[key] = frame[cols[key]].astype(str).str.strip() if key in cols else ""
    port = parse_numbers(
        frame[cols["port"]], file=path, column=cols["port"], expected="a port number", quantity="port"
    )
    rows["port"] = port.fillna(-1).astype("int64")
    if "count" in cols:
        count = parse_numbers(frame[cols["count"]], file=path, column=cols["count"], quantity="weight")
        rows["weight"] = count.fillna(1.0)
    else:
        rows["weight"] = 1.0
    rows["_first_row"] = frame.index.to_numpy()  # read_csv_text indexes rows by their row in the file
    grouped = (
        rows.groupby(KEYS, sort=True, dropna=False)
        .agg(weight=("weight", "sum"), slots=("weight", "size"), source_row=("_first_row", "min"))
        .reset_index()
    )
    grouped["port"] = grouped["port"].astype(object).where(grouped["port"] >= 0, "")
    grouped["protocol"] = "tcp"
    grouped = grouped.sort_values("source_row", kind="mergesort").reset_index(drop=True)
    return grouped.drop(columns=["slots"]), len(rows)


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
        dialect = sniff_dialect(path)
        frame = read_csv_text(path, dialect)
        cols = find_columns(frame.columns, ALIASES)
        _check_columns(frame, cols, path)
        flows, n_rows = _flows(frame, cols, path)
        mapped = {v: k for k, v in cols.items()}
        return ReadResult(
            path=str(path),
            format=self.name,
            dependencies=flows,
            column_map=mapped,
            unmapped=tuple(c for c in frame.columns if c not in mapped),
            findings=tuple(encoding_findings(path, dialect) + _flow_findings(flows, n_rows, cols, path)),
            assumptions=(ASSUMPTION,),
        )


DEPENDENCY_EXPORT = register(DependencyExportReader())
