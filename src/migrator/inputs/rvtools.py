"""RVTools exports: the .xlsx workbook (vInfo, vHost, vDisk tabs) or its tabs saved as CSV.

vInfo has one row per VM (``VM, Powerstate, Template, CPUs, Memory, Provisioned MiB, In Use MiB, OS according
to the VMware Tools, Host, Cluster, Datacenter, Folder, Annotation``, then custom attributes); vHost one row
per host (the physical footprint); vDisk one row per virtual disk. Older RVTools versions label the same MiB
values "MB". Templates and powered-off VMs are kept and flagged (see validation), never silently planned.
Hyper-V estates exported with RVTools headers read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from migrator.errors import Finding, InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.csvio import encoding_findings, read_csv_text, sniff_dialect
from migrator.inputs.mapping import find_columns, header_score
from migrator.inputs.units import Cells, looks_decimal_comma
from migrator.inputs.xlsx import is_workbook, read_sheet, sheet_names

VINFO_REQUIRED = ("VM", "CPUs", "Memory")
VINFO_OPTIONAL = (
    "Powerstate",
    "Template",
    "Provisioned MiB",
    "In Use MiB",
    "Host",
    "Cluster",
    "Datacenter",
    "Primary IP Address",
    "OS according to the VMware Tools",
    "OS according to the configuration file",
    "Folder",
    "Annotation",
    "Firmware",
    "NICs",
)
VHOST_REQUIRED = ("Host", "# Cores")
VINFO = {
    "name": ["VM"],
    "power_state": ["Powerstate"],
    "template": ["Template"],
    "cores": ["CPUs"],
    "memory_mib": ["Memory"],
    "disk_mib": ["Total disk capacity MiB", "Total disk capacity MB"],
    "provisioned_mib": ["Provisioned MiB", "Provisioned MB"],
    "in_use_mib": ["In Use MiB", "In Use MB"],
    "ip": ["Primary IP Address", "IP Address"],
    "os_tools": ["OS according to the VMware Tools", "OS according to the VM Tools"],
    "os_config": ["OS according to the configuration file", "OS"],
    "host": ["Host"],
    "cluster": ["Cluster"],
    "datacenter": ["Datacenter"],
    "folder": ["Folder"],
    "annotation": ["Annotation"],
    "cpu_util_pct": ["CPU Usage %"],
    "application": ["Application", "App"],
    "environment": ["Environment", "Env"],
    "criticality": ["Criticality"],
    "disposition": ["Disposition", "Migration strategy"],
    "uuid": ["VM UUID"],
    "boot_type": ["Firmware"],
    "nics": ["NICs"],
}
VHOST = {
    "host": ["Host"],
    "cluster": ["Cluster"],
    "datacenter": ["Datacenter"],
    "cores": ["# Cores"],
    "memory_mib": ["# Memory", "Memory"],
    "power_w": ["Power", "Power W"],
}
VDISK = {"vm": ["VM"], "capacity_mib": ["Capacity MiB", "Capacity MB"], "disk": ["Disk"], "uuid": ["VM UUID"]}

ASSUMPTION = (
    "RVTools: Memory, Provisioned and disk capacities are MiB (older versions label them MB), "
    "divided by 1024 for GiB; "
    "storage is the total disk capacity (provisioned space when the disk total is absent)."
)
_VINFO_TEXT = (
    "host",
    "cluster",
    "datacenter",
    "folder",
    "annotation",
    "application",
    "environment",
    "criticality",
    "disposition",
)


# How each number of vInfo and vHost is checked: the quantity it is, and its unit in the file (MiB).
_QUANTITY = {
    "memory_mib": ("memory_gb", 1 / 1024, "MiB"),
    "disk_mib": ("storage_gb", 1 / 1024, "MiB"),
    "provisioned_mib": ("storage_gb", 1 / 1024, "MiB"),
    "in_use_mib": ("storage_gb", 1 / 1024, "MiB"),
    "capacity_mib": ("disk_gb", 1 / 1024, "MiB"),
}


def _vms(cells: Cells) -> tuple[pd.DataFrame, pd.Series]:
    """One row per VM, and its storage in GiB from vInfo (NaN when vInfo has no disk total)."""
    out = pd.DataFrame(index=cells.frame.index)
    out["name"] = cells.text("name")
    out["power_state"] = cells.text("power_state")
    out["template"] = cells.text("template").str.lower().replace({"": "false"})
    out["cores"] = cells.num("cores")
    out["memory_gb"] = cells.num("memory_mib") / 1024.0
    storage = cells.num("disk_mib").fillna(cells.num("provisioned_mib")) / 1024.0
    out["ip"] = cells.text("ip")
    os_tools, os_config = cells.text("os_tools"), cells.text("os_config")
    out["os"] = os_tools.where(os_tools.ne(""), os_config)
    for key in _VINFO_TEXT:
        out[key] = cells.text(key)
    out["cpu_util_pct"] = cells.num("cpu_util_pct")
    out["boot_type"] = cells.text("boot_type")  # vSphere writes bios or efi
    out["nics"] = cells.num("nics")
    out["source_row"] = cells.frame.index.to_numpy()
    return out, storage


def _vinfo(
    frame: pd.DataFrame, path: Path, decimal_comma: bool, disks: pd.DataFrame | None
) -> tuple[pd.DataFrame, dict[str, str], list[Finding]]:
    cols = find_columns(frame.columns, VINFO)
    for key, label in (("name", "VM"), ("cores", "CPUs"), ("memory_mib", "Memory")):
        if key not in cols:
            raise InputError("vInfo column missing", file=path, row=1, column=label)
    cells = Cells(frame, cols, path, decimal_comma, _QUANTITY)
    out, storage = _vms(cells)
    out["disks_gb"] = ""
    findings: list[Finding] = []
    if disks is not None and len(disks):
        vm, owner = _disk_owner(cells.text("name"), cells.text("uuid"), disks, path, findings)
        per_vm = disks.groupby(owner, sort=False)
        sizes = per_vm["txt"].agg(";".join)
        totals = per_vm["gib"].sum()
        out["disks_gb"] = vm.map(sizes).fillna("").astype(object)
        storage = storage.fillna(vm.map(totals))
    out["storage_gb"] = storage
    if "cpu_util_pct" in cols:
        findings.append(
            Finding(
                "point-in-time-utilisation",
                "RVTools 'CPU Usage %' is a point-in-time reading, not a percentile: "
                "performance-based sizing may be off",
                str(path),
                column=cols["cpu_util_pct"],
                severity="info",
            )
        )
    return out, cols, findings


def _disk_owner(
    names: pd.Series, uuids: pd.Series, disks: pd.DataFrame, path: Path, findings: list[Finding]
) -> tuple[pd.Series, pd.Series]:
    """The key of each VM and of each vDisk row: the VM UUID when both tabs have one, else the name. A name
    two VMs share (several vCenters in one export) owns no vDisk rows without UUIDs: they cannot be told
    apart."""
    if uuids.ne("").all() and disks["uuid"].ne("").all():
        return uuids, disks["uuid"]
    shared = names.str.lower().duplicated(keep=False)
    if shared.any():
        findings.append(
            Finding(
                "rvtools-disks-shared-name",
                f"{int(shared.sum())} VMs share a name with another and vDisk has no VM UUID to tell "
                "their disks apart: their storage is vInfo's provisioned space, without per-disk sizes",
                str(path),
                column="VM",
            )
        )
    return names.where(~shared, "\x00shared"), disks["vm"]


def _vhost(frame: pd.DataFrame, path: Path, decimal_comma: bool) -> pd.DataFrame:
    cols = find_columns(frame.columns, VHOST)
    if "host" not in cols:
        raise InputError("vHost column missing", file=path, row=1, column="Host")
    out = pd.DataFrame(index=frame.index)
    for key in ("host", "cluster", "datacenter"):
        out[key] = frame[cols[key]].astype(str).str.strip() if key in cols else ""
    cells = Cells(frame, cols, path, decimal_comma, _QUANTITY)
    out["cores"] = cells.num("cores")
    out["memory_gb"] = cells.num("memory_mib") / 1024.0
    out["power_w"] = cells.num("power_w")
    out["rack"] = ""
    out["source_row"] = frame.index.to_numpy()
    return out[out["host"].ne("")]


def _vdisk(frame: pd.DataFrame, path: Path) -> pd.DataFrame | None:
    cols = find_columns(frame.columns, VDISK)
    if "vm" not in cols or "capacity_mib" not in cols:
        return None
    gib = Cells(frame, cols, path, False, _QUANTITY).num("capacity_mib") / 1024.0
    disks = pd.DataFrame({"vm": frame[cols["vm"]].astype(str).str.strip(), "gib": gib})
    uuid = frame[cols["uuid"]] if "uuid" in cols else pd.Series("", index=frame.index)
    disks["uuid"] = uuid.astype(object).where(uuid.notna(), "").astype(str).str.strip()
    disks["txt"] = disks["gib"].round(1).astype(str).str.replace(r"\.0$", "", regex=True)
    return disks[disks["gib"].notna()]


class RvtoolsReader:
    name = "rvtools"
    description = "RVTools export: .xlsx workbook (vInfo, vHost, vDisk) or a vInfo / vHost tab saved as CSV"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        if is_workbook(path):
            return 0.95 if "sheet:vInfo" in header else 0.0
        return max(
            header_score(header, VINFO_REQUIRED, VINFO_OPTIONAL),
            0.7 if header_score(header, VHOST_REQUIRED) else 0.0,
        )

    def read(self, path: Path) -> ReadResult:
        if is_workbook(path):
            return self._read_workbook(path)
        dialect = sniff_dialect(path)
        frame = read_csv_text(path, dialect)
        if frame.empty:
            raise InputError("file has a header but no data rows", file=path, row=2)
        dec = looks_decimal_comma(frame, dialect.delimiter)
        if header_score(list(frame.columns), VINFO_REQUIRED):
            servers, cols, findings = _vinfo(frame, path, dec, None)
            findings = encoding_findings(path, dialect) + findings
            return ReadResult(
                path=str(path),
                format=self.name,
                servers=servers,
                exported=True,
                column_map={v: k for k, v in cols.items()},
                unmapped=tuple(c for c in frame.columns if c not in cols.values()),
                findings=tuple(findings),
                assumptions=(ASSUMPTION,),
            )
        hosts = _vhost(frame, path, dec)
        cols = find_columns(frame.columns, VHOST)
        return ReadResult(
            path=str(path),
            format=self.name,
            hosts=hosts,
            column_map={v: k for k, v in cols.items()},
            unmapped=tuple(c for c in frame.columns if c not in cols.values()),
            findings=tuple(encoding_findings(path, dialect)),
            assumptions=(ASSUMPTION,),
        )

    def _read_workbook(self, path: Path) -> ReadResult:
        sheets = sheet_names(path)
        if "vInfo" not in sheets:
            raise InputError(
                "workbook has no vInfo sheet", file=path, expected="an RVTools export with a vInfo tab"
            )
        vinfo = read_sheet(path, "vInfo")
        disks = _vdisk(read_sheet(path, "vDisk"), path) if "vDisk" in sheets else None
        servers, cols, findings = _vinfo(vinfo, path, False, disks)
        hosts = _vhost(read_sheet(path, "vHost"), path, False) if "vHost" in sheets else None
        used = [s for s in ("vInfo", "vHost", "vDisk") if s in sheets]
        findings.append(
            Finding(
                "rvtools-sheets",
                f"read sheets {', '.join(used)}; ignored {', '.join(s for s in sheets if s not in used)}",
                str(path),
                severity="info",
            )
        )
        return ReadResult(
            path=str(path),
            format=self.name,
            servers=servers,
            hosts=hosts,
            exported=True,
            column_map={v: k for k, v in cols.items()},
            unmapped=tuple(c for c in vinfo.columns if c not in cols.values()),
            findings=tuple(findings),
            assumptions=(ASSUMPTION,),
        )


RVTOOLS = register(RvtoolsReader())
