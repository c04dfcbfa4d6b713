"""Azure Migrate's "import servers using CSV" template.

Header as downloaded (UTF-8 with BOM): ``*Server name, IP addresses, *Cores, *Memory (In MB), *OS name, OS version,
OS architecture, Server type, Hypervisor, CPU utilization percentage, Memory utilization percentage, Network
adapters, Network In throughput, Network Out throughput, Boot type, Number of disks, Storage in use (In GB),
Disk 1 size (In GB), Disk 1 read throughput (MB per second), Disk 1 write throughput (MB per second), Disk 1 read
ops (operations per second), Disk 1 write ops (operations per second)``, the five disk columns repeated up to
20 disks. ``*`` marks mandatory columns; converters differ in casing. Limit: 20,000 servers per file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from migrator.errors import Finding, InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.csvio import read_csv_text, sniff_dialect
from migrator.inputs.mapping import find_columns, header_score, norm
from migrator.inputs.units import join_numbers, looks_decimal_comma, parse_numbers

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
}
_DISK = re.compile(
    r"^disk(\d+)(size\(ingb\)|sizeingb|readthroughput.*|writethroughput.*|readops.*|writeops.*)$"
)
MAX_ROWS = 20_000


class AzureMigrateCsvReader:
    name = "azure-migrate-csv"
    description = "Azure Migrate 'import servers using CSV' template"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        return header_score(header, REQUIRED, OPTIONAL)

    def read(self, path: Path) -> ReadResult:
        dialect = sniff_dialect(path)
        frame = read_csv_text(path, dialect)
        cols = find_columns(frame.columns, ALIASES)
        for req, key in (("*Server name", "name"), ("*Cores", "cores"), ("*Memory (In MB)", "memory_mb")):
            if key not in cols:
                raise InputError(
                    "mandatory column of the Azure Migrate template missing", file=path, row=1, column=req
                )
        if frame.empty:
            raise InputError("file has a header but no data rows", file=path, row=2)
        findings: list[Finding] = []
        if len(frame) > MAX_ROWS:
            findings.append(
                Finding(
                    "azure-migrate-limit",
                    f"{len(frame):,} servers: Azure Migrate itself imports at most {MAX_ROWS:,} per file",
                    str(path),
                )
            )
        dec = looks_decimal_comma(frame, dialect.delimiter)

        def num(key: str) -> pd.Series:
            if key not in cols:
                return pd.Series(np.nan, index=frame.index)
            return parse_numbers(frame[cols[key]], file=path, column=cols[key], decimal_comma=dec)

        out = pd.DataFrame(index=frame.index)
        out["name"] = frame[cols["name"]]
        out["ip"] = (
            frame[cols["ip"]].str.strip("[]; ").str.split(r"[,;\s]+").str.join(";") if "ip" in cols else ""
        )
        out["cores"] = num("cores")
        out["memory_gb"] = num("memory_mb") / 1024.0
        os_parts = [frame[cols[k]] for k in ("os_name", "os_version") if k in cols]
        os_text = os_parts[0] if os_parts else pd.Series("", index=frame.index)
        for part in os_parts[1:]:
            os_text = (os_text + " " + part).str.strip()
        if "os_arch" in cols:
            arch = frame[cols["os_arch"]].str.strip()
            os_text = os_text.where(arch.eq(""), os_text + " (" + arch + ")")
        out["os"] = os_text
        out["cpu_util_pct"] = num("cpu_util_pct")
        out["memory_util_pct"] = num("memory_util_pct")

        # Numbered disk columns: Disk N size / read+write throughput / read+write ops.
        disks: dict[int, dict[str, str]] = {}
        for col in frame.columns:
            m = _DISK.match(norm(col))
            if m:
                kind = "size" if m.group(2).startswith("size") else m.group(2)[:7]
                disks.setdefault(int(m.group(1)), {})[kind] = col
        sizes = []
        iops = pd.Series(0.0, index=frame.index)
        mbps = pd.Series(0.0, index=frame.index)
        any_perf = pd.Series(False, index=frame.index)
        for n in sorted(disks):
            d = disks[n]
            if "size" in d:
                sizes.append(parse_numbers(frame[d["size"]], file=path, column=d["size"], decimal_comma=dec))
            for kind, acc in (
                ("readops", "iops"),
                ("writeop", "iops"),
                ("readthr", "mbps"),
                ("writeth", "mbps"),
            ):
                if kind in d:
                    v = parse_numbers(frame[d[kind]], file=path, column=d[kind], decimal_comma=dec)
                    any_perf |= v.notna()
                    if acc == "iops":
                        iops = iops + v.fillna(0)
                    else:
                        mbps = mbps + v.fillna(0)
        if sizes:
            size_frame = pd.concat(sizes, axis=1)
            out["storage_gb"] = size_frame.sum(axis=1, min_count=1)
            out["disks_gb"] = join_numbers(sizes)
        else:
            out["storage_gb"] = np.nan
            out["disks_gb"] = ""
        in_use = num("storage_in_use")
        out["storage_gb"] = out["storage_gb"].fillna(in_use)
        out["iops"] = iops.where(any_perf)
        out["throughput_mbps"] = mbps.where(any_perf)
        mapped = {cols[k]: k for k in cols}
        for n in disks:
            for col in disks[n].values():
                mapped[col] = "disks"
        unmapped = tuple(c for c in frame.columns if c not in mapped)
        return ReadResult(
            path=str(path),
            format=self.name,
            servers=out,
            column_map=mapped,
            unmapped=unmapped,
            findings=tuple(findings),
            assumptions=(
                "Azure Migrate CSV: memory 'In MB' is MiB, divided by 1024 for GiB; disk sizes 'In GB' are GiB; "
                "storage is the sum of the disk sizes (storage in use when no disk is listed); IOPS and MB/s are read + write over all disks.",
            ),
        )


AZURE_MIGRATE_CSV = register(AzureMigrateCsvReader())
