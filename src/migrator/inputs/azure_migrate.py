"""Azure Migrate's "import servers using CSV" template.

Header as downloaded (UTF-8 with BOM): ``*Server name, IP addresses, *Cores, *Memory (In MB), *OS name,
OS version, OS architecture, Server type, Hypervisor, CPU utilization percentage, Memory utilization
percentage, Network adapters, Network In throughput, Network Out throughput, Boot type, Number of disks,
Storage in use (In GB), Disk 1 size (In GB), Disk 1 read throughput (MB per second), Disk 1 write throughput
(MB per second), Disk 1 read ops (operations per second), Disk 1 write ops (operations per second)``, the
five disk columns repeated up to 20 disks. ``*`` marks mandatory columns; converters differ in casing.
Limit: 20,000 servers per file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from migrator.errors import Finding, InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.csvio import encoding_findings, read_csv_text, sniff_dialect
from migrator.inputs.mapping import find_columns, header_score, norm
from migrator.inputs.units import Cells, join_numbers, looks_decimal_comma

REQUIRED = ("Server name", "Cores", "Memory (In MB)", "OS name")
OPTIONAL = (
    "IP addresses",
    "OS version",
    "OS architecture",
    "CPU utilization percentage",
    "Memory utilization percentage",
    "Number of disks",
    "Storage in use (In GB)",
    "Disk 1 size (In GB)",
    "Server type",
    "Hypervisor",
)
ALIASES = {
    "name": ["Server name"],
    "ip": ["IP addresses"],
    "cores": ["Cores"],
    "memory_mb": ["Memory (In MB)"],
    "os_name": ["OS name"],
    "os_version": ["OS version"],
    "os_arch": ["OS architecture"],
    "cpu_util_pct": ["CPU utilization percentage"],
    "memory_util_pct": ["Memory utilization percentage"],
    "storage_in_use": ["Storage in use (In GB)"],
    "disk_count": ["Number of disks"],
    "boot_type": ["Boot type"],
    "nics": ["Network adapters"],
}
_DISK = re.compile(
    r"^disk(\d+)(size\(ingb\)|sizeingb|readthroughput.*|writethroughput.*|readops.*|writeops.*)$"
)
MAX_ROWS = 20_000


ASSUMPTION = (
    "Azure Migrate CSV: memory 'In MB' is MiB, divided by 1024 for GiB; disk sizes 'In GB' are GiB; "
    "storage is the sum of the disk sizes (storage in use when no disk is listed); "
    "IOPS and MB/s are read + write over all disks."
)
# Disk performance columns (by the first 7 letters of their normalised name) and the total each adds to.
_DISK_PERF = (("readops", "iops"), ("writeop", "iops"), ("readthr", "mbps"), ("writeth", "mbps"))


# How each number of the template is checked: the quantity it is, and its unit in the file.
_QUANTITY = {
    "memory_mb": ("memory_gb", 1 / 1024, "MB"),
    "storage_in_use": ("storage_gb", 1.0, "GB"),
}
_DISK_QUANTITY = {"size": "disk_gb", "readops": "iops", "writeop": "iops", "readthr": "throughput_mbps"}


def _check_columns(frame: pd.DataFrame, cols: dict[str, str], path: Path) -> None:
    for req, key in (("*Server name", "name"), ("*Cores", "cores"), ("*Memory (In MB)", "memory_mb")):
        if key not in cols:
            raise InputError(
                "mandatory column of the Azure Migrate template missing", file=path, row=1, column=req
            )
    if frame.empty:
        raise InputError("file has a header but no data rows", file=path, row=2)


def _os_text(frame: pd.DataFrame, cols: Mapping[str, str]) -> pd.Series:
    """OS name and version joined, with the architecture in parentheses when given."""
    os_parts = [frame[cols[k]] for k in ("os_name", "os_version") if k in cols]
    os_text = os_parts[0] if os_parts else pd.Series("", index=frame.index)
    for part in os_parts[1:]:
        os_text = (os_text + " " + part).str.strip()
    if "os_arch" in cols:
        arch = frame[cols["os_arch"]].str.strip()
        os_text = os_text.where(arch.eq(""), os_text + " (" + arch + ")")
    return os_text


def _disk_columns(columns: pd.Index) -> dict[int, dict[str, str]]:
    """Numbered disk columns: disk number -> {size | readops | writeop | readthr | writeth: column}."""
    disks: dict[int, dict[str, str]] = {}
    for col in columns:
        m = _DISK.match(norm(col))
        if m:
            kind = "size" if m.group(2).startswith("size") else m.group(2)[:7]
            disks.setdefault(int(m.group(1)), {})[kind] = col
    return disks


def _add_disks(out: pd.DataFrame, t: Cells, disks: dict[int, dict[str, str]]) -> None:
    """Storage (the sum of the disk sizes, else storage in use), per-disk sizes, IOPS and MB/s."""
    index = t.frame.index
    sizes = []
    totals = {"iops": pd.Series(0.0, index=index), "mbps": pd.Series(0.0, index=index)}
    any_perf = pd.Series(False, index=index)
    for n in sorted(disks):
        d = disks[n]
        if "size" in d:
            sizes.append(t.numbers(d["size"], "disk_gb", unit="GB"))
        for kind, total in _DISK_PERF:
            if kind in d:
                v = t.numbers(d[kind], _DISK_QUANTITY.get(kind, "throughput_mbps"))
                any_perf |= v.notna()
                totals[total] = totals[total] + v.fillna(0)
    if sizes:
        out["storage_gb"] = pd.concat(sizes, axis=1).sum(axis=1, min_count=1)
        out["disks_gb"] = join_numbers(sizes)
    else:
        out["storage_gb"] = np.nan
        out["disks_gb"] = ""
    out["storage_gb"] = out["storage_gb"].fillna(t.num("storage_in_use"))
    out["iops"] = totals["iops"].where(any_perf)
    out["throughput_mbps"] = totals["mbps"].where(any_perf)


def _servers(t: Cells, disks: dict[int, dict[str, str]]) -> pd.DataFrame:
    frame, cols = t.frame, t.cols
    out = pd.DataFrame(index=frame.index)
    out["name"] = frame[cols["name"]]
    out["ip"] = (
        frame[cols["ip"]].str.strip("[]; ").str.split(r"[,;\s]+").str.join(";") if "ip" in cols else ""
    )
    out["cores"] = t.num("cores")
    out["memory_gb"] = t.num("memory_mb") / 1024.0
    out["os"] = _os_text(frame, cols)
    out["cpu_util_pct"] = t.num("cpu_util_pct")
    out["memory_util_pct"] = t.num("memory_util_pct")
    out["boot_type"] = frame[cols["boot_type"]].fillna("").astype(str) if "boot_type" in cols else ""
    out["nics"] = t.num("nics")
    _add_disks(out, t, disks)
    out["source_row"] = frame.index.to_numpy()
    return out


class AzureMigrateCsvReader:
    name = "azure-migrate-csv"
    description = "Azure Migrate 'import servers using CSV' template"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        return header_score(header, REQUIRED, OPTIONAL)

    def read(self, path: Path) -> ReadResult:
        dialect = sniff_dialect(path)
        frame = read_csv_text(path, dialect)
        cols = find_columns(frame.columns, ALIASES)
        _check_columns(frame, cols, path)
        findings = encoding_findings(path, dialect)
        if len(frame) > MAX_ROWS:
            findings.append(
                Finding(
                    "azure-migrate-limit",
                    f"{len(frame):,} servers: Azure Migrate itself imports at most {MAX_ROWS:,} per file",
                    str(path),
                )
            )
        disks = _disk_columns(frame.columns)
        cells = Cells(frame, cols, path, looks_decimal_comma(frame, dialect.delimiter), _QUANTITY)
        out = _servers(cells, disks)
        mapped = {cols[k]: k for k in cols}
        for n in disks:
            for col in disks[n].values():
                mapped[col] = "disks"
        return ReadResult(
            path=str(path),
            format=self.name,
            servers=out,
            exported=True,
            column_map=mapped,
            unmapped=tuple(c for c in frame.columns if c not in mapped),
            findings=tuple(findings),
            assumptions=(ASSUMPTION,),
        )


AZURE_MIGRATE_CSV = register(AzureMigrateCsvReader())
