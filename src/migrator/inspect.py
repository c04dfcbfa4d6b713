"""What a file holds and what planning will make of it: the core of ``migrator inspect``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migrator.errors import Finding, InputError, display_path
from migrator.inputs import detect, read_file
from migrator.validate import (
    in_file_terms,
    stack_tables,
    validate_dependencies,
    validate_hosts,
    validate_servers,
)

# What planning assumes when a server field is missing or empty everywhere.
ASSUMED = {
    "environment": "every server is planned as production",
    "application": "each server is its own move group",
    "criticality": "medium criticality",
    "disposition": "rehost",
    "cpu_util_pct": "sized as on premises (no CPU utilisation)",
    "memory_util_pct": "sized as on premises (no memory utilisation)",
    "host": "no hypervisor hosts: the footprint is counted in servers",
    "rack": "racks cannot be projected",
    "power_w": "kW cannot be projected for physical servers",
    "storage_gb": "storage counts as 0",
    "disks_gb": "one disk of the total storage size",
    "os": "readiness unknown (no operating system)",
    "ip": "dependencies naming only an IP cannot be matched",
}


@dataclass(frozen=True)
class FileReport:
    path: str
    format: str
    tables: dict[str, int]
    column_map: dict[str, str]
    unmapped: tuple[str, ...]
    findings: tuple[Finding, ...]
    assumptions: tuple[str, ...]
    assumed: dict[str, str] = field(default_factory=dict)
    error: InputError | None = None


def _format_of(path: str | Path) -> str:
    """The format detected for a file its reader refused (a bad cell), or 'unknown'."""
    try:
        return detect(Path(path)).name
    except InputError:
        return "unknown"


def inspect_file(path: str | Path, fmt: str | None = None) -> FileReport:
    try:
        res = read_file(path, fmt)
    except InputError as exc:
        return FileReport(display_path(path), fmt or _format_of(path), {}, {}, (), (), (), error=exc)
    tables = {
        t: len(getattr(res, t)) for t in ("servers", "dependencies", "hosts") if getattr(res, t) is not None
    }
    findings: list[Finding] = list(res.findings)
    assumed: dict[str, str] = {}
    error = None
    try:
        if res.servers is not None:
            servers = validate_servers(stack_tables([res], "servers"), findings)
            for col, meaning in ASSUMED.items():
                if col not in servers.columns:
                    continue
                values = servers[col]
                empty = values.isna() if values.dtype.kind == "f" else values.astype(str).eq("")
                if col == "storage_gb":
                    empty = values.eq(0)
                if bool(empty.all()):
                    assumed[col] = meaning
                elif bool(empty.any()):
                    assumed[col] = f"{int(empty.sum())} of {len(values)} servers: {meaning}"
        if res.dependencies is not None:
            validate_dependencies(stack_tables([res], "dependencies"))
        if res.hosts is not None:
            validate_hosts(stack_tables([res], "hosts"))
    except InputError as exc:
        error = in_file_terms(exc, [res])
    return FileReport(
        display_path(path),
        res.format,
        tables,
        dict(res.column_map),
        tuple(res.unmapped),
        tuple(dict.fromkeys(findings)),
        tuple(res.assumptions),
        assumed,
        error,
    )
