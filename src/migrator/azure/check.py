"""Check a plan against a live subscription: what has landed, what can land, what quota it needs.

* Reconciliation, for waves whose end date is on or before ``as_of``: which planned servers exist as Azure VMs
  (matched by a tag naming the source server, by name, or by the name's Azure form: characters a VM name
  cannot hold made ``-``, so ``db (10.0.0.5)`` and ``db #2``, the names that tell apart rows of an export
  sharing a name, match the VMs ``db-10.0.0.5`` and ``db-2``), which are missing, which run another size
  than the plan says, their power state, and the VMs in the region nobody planned.
* Landing, for the waves still to come: whether every planned size is offered in the region (and its zones)
  for this subscription (Compute resource SKUs), and whether the regional vCPU quota of each VM family, and in
  total, covers what the waves add one after another (Compute usage), naming the first wave that runs short.

Blocking findings (a size that cannot be deployed, a quota shortfall) are what a CI gate should stop on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from migrator.azure.arm import AzureAccessError, Connection, describe_error, drain


@dataclass(frozen=True)
class CheckFinding:
    # missing | size-drift | stopped | unplanned (reconciliation);
    # size-unavailable | size-restricted | zone-restricted | quota (landing)
    kind: str
    severity: str  # blocking | warning | info
    message: str
    wave: int | None = None
    server: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "wave": self.wave,
            "server": self.server,
        }


@dataclass(frozen=True)
class CheckResult:
    as_of: dt.date
    subscription: str
    region: str
    due_waves: tuple[int, ...]
    upcoming_waves: tuple[int, ...]
    reconciliation: tuple[dict[str, Any], ...]
    quota: tuple[dict[str, Any], ...]
    sizes: tuple[dict[str, Any], ...]
    findings: tuple[CheckFinding, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> int:
        return sum(1 for f in self.findings if f.severity == "blocking")

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.reconciliation:
            counts[r["status"]] += 1
        return {
            "as_of": self.as_of.isoformat(),
            "subscription": self.subscription,
            "region": self.region,
            "due_waves": list(self.due_waves),
            "upcoming_waves": list(self.upcoming_waves),
            "summary": {
                "blocking": self.blocking,
                "warnings": sum(1 for f in self.findings if f.severity == "warning"),
                "reconciliation": dict(sorted(counts.items())),
            },
            "reconciliation": list(self.reconciliation),
            "quota": list(self.quota),
            "sizes": list(self.sizes),
            "findings": [f.to_dict() for f in self.findings],
        }


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def _power_state(vm: Any) -> str:
    view = getattr(vm, "instance_view", None)
    for status in getattr(view, "statuses", None) or []:
        code = status.code or ""
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1]
    return "unknown"


def collect(client: Any, conn: Connection, region: str) -> tuple[list[Any], list[Any], list[Any]]:
    """VMs of the subscription, resource SKUs and vCPU usage of the region, each paged through the SDK."""
    try:
        action = "listing virtual machines"
        vms = list(drain(client.virtual_machines.list_all(status_only="true"), conn, action))
    except Exception as exc:
        raise describe_error(exc, conn, "listing virtual machines") from None
    try:
        skus = [
            s
            for s in drain(
                client.resource_skus.list(filter=f"location eq '{region}'"), conn, "reading resource SKUs"
            )
            if s.resource_type == "virtualMachines"
        ]
    except Exception as exc:
        raise describe_error(exc, conn, "reading the Compute resource SKUs") from None
    try:
        usage = list(drain(client.usage.list(region), conn, f"reading the vCPU quota of {region}"))
    except Exception as exc:
        raise describe_error(exc, conn, f"reading the vCPU quota of {region}") from None
    return vms, skus, usage


def check_plan(
    plan: dict[str, Any],
    client: Any,
    conn: Connection,
    as_of: dt.date,
    region: str | None = None,
    match_tag: str | None = None,
) -> CheckResult:
    region = (region or ((plan.get("settings") or {}).get("sizing") or {}).get("region") or "").lower()
    if not region:
        raise AzureAccessError("the plan names no target region: pass --region")
    vms, skus, usage = collect(client, conn, region)
    waves = {w["number"]: w for w in plan.get("waves", [])}
    due = sorted(n for n, w in waves.items() if dt.date.fromisoformat(w["end"]) <= as_of)
    upcoming = sorted(n for n, w in waves.items() if dt.date.fromisoformat(w["end"]) > as_of)
    moving = [
        s
        for s in plan.get("servers", [])
        if s.get("wave") is not None and s.get("disposition") not in ("retire", "retain")
    ]
    findings: list[CheckFinding] = []
    planned_names = {s["name"].lower() for s in plan.get("servers", [])}
    recon, matched_ids = _reconcile(moving, vms, waves, due, (match_tag, planned_names), findings)
    recon += _unplanned(vms, matched_ids, planned_names, region, findings)
    upcoming_servers = [s for s in moving if s["wave"] in upcoming and s.get("azure_size")]
    size_rows, sized = _check_sizes(upcoming_servers, skus, region, findings)
    quota_rows = _check_quota(upcoming, upcoming_servers, sized, usage, region, findings)
    order = {"blocking": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.wave or 0, f.kind, f.server or "", f.message))
    return CheckResult(
        as_of=as_of,
        subscription=conn.subscription,
        region=region,
        due_waves=tuple(due),
        upcoming_waves=tuple(upcoming),
        reconciliation=tuple(recon),
        quota=tuple(quota_rows),
        sizes=tuple(size_rows),
        findings=tuple(findings),
    )


# --- reconciliation of the due waves ------------------------------------------------------------------------


def _actual_size(vm: Any) -> Any:
    return _value(vm.hardware_profile.vm_size) if vm.hardware_profile else None


_NOT_IN_VM_NAMES = re.compile(r"[^A-Za-z0-9_.-]+")


def azure_vm_name(server: str) -> str:
    """A server name as an Azure VM may be named: runs of characters a VM name cannot hold (spaces, ``#``,
    parentheses) become ``-``, and no ``-`` or ``.`` at either end."""
    return _NOT_IN_VM_NAMES.sub("-", server).strip("-.")


def _match(s: dict[str, Any], by_tag: dict[str, Any], by_name: dict[str, Any], planned: set[str]) -> Any:
    """The VM of a planned server: by tag, by name, else by the name's Azure form (unless another planned
    server has that name)."""
    name = s["name"].lower()
    vm = by_tag.get(name) or by_name.get(name)
    azure = azure_vm_name(name)
    if vm is None and azure != name and azure not in planned:
        vm = by_name.get(azure)
    return vm


def _reconcile(
    moving: list[dict[str, Any]],
    vms: list[Any],
    waves: dict[int, dict[str, Any]],
    due: list[int],
    match: tuple[str | None, set[str]],
    findings: list[CheckFinding],
) -> tuple[list[dict[str, Any]], set[str]]:
    """A row per planned server of a due wave (and per server that landed early), and the VMs matched.

    ``match``: the tag naming the source server, and the names of all planned servers.
    """
    match_tag, planned = match
    by_name: dict[str, Any] = {}
    by_tag: dict[str, Any] = {}
    for vm in vms:
        by_name.setdefault(vm.name.lower(), vm)
        if match_tag and vm.tags and match_tag in vm.tags:
            by_tag.setdefault(str(vm.tags[match_tag]).lower(), vm)
    matched_ids: set[str] = set()
    recon = []
    for s in sorted(moving, key=lambda s: (s["wave"], s["name"])):
        vm = _match(s, by_tag, by_name, planned)
        if vm is not None:
            matched_ids.add(vm.id)
        if s["wave"] in due:
            recon.append(_due_row(s, vm, waves[s["wave"]]["end"], findings))
        elif vm is not None:
            recon.append(
                {
                    "server": s["name"],
                    "wave": s["wave"],
                    "status": "early",
                    "planned_size": s.get("azure_size"),
                    "actual_size": _actual_size(vm),
                    "power_state": _power_state(vm),
                    "vm": vm.name,
                    "location": vm.location,
                }
            )
    return recon, matched_ids


def _due_row(s: dict[str, Any], vm: Any, wave_end: str, findings: list[CheckFinding]) -> dict[str, Any]:
    """The reconciliation of a server whose wave is due: missing, size-drift or landed (and stopped)."""
    row: dict[str, Any] = {
        "server": s["name"],
        "wave": s["wave"],
        "planned_size": s.get("azure_size"),
        "actual_size": None,
        "power_state": None,
        "vm": None,
        "location": None,
    }
    if vm is None:
        row["status"] = "missing"
        findings.append(
            CheckFinding(
                "missing",
                "warning",
                f"{s['name']} was due in wave {s['wave']} (ended {wave_end}) but no Azure VM matches it",
                s["wave"],
                s["name"],
            )
        )
        return row
    actual = _actual_size(vm)
    row.update(actual_size=actual, power_state=_power_state(vm), vm=vm.name, location=vm.location)
    planned = s.get("azure_size")
    if planned and actual and actual.lower() != planned.lower():
        row["status"] = "size-drift"
        findings.append(
            CheckFinding(
                "size-drift",
                "warning",
                f"{s['name']} runs as {actual}, the plan says {planned}",
                s["wave"],
                s["name"],
            )
        )
    else:
        row["status"] = "landed"
    if row["power_state"] in ("deallocated", "stopped"):
        findings.append(
            CheckFinding(
                "stopped",
                "warning",
                f"{s['name']} landed but its VM {vm.name} is {row['power_state']}",
                s["wave"],
                s["name"],
            )
        )
    return row


def _unplanned(
    vms: list[Any], matched_ids: set[str], planned_names: set[str], region: str, findings: list[CheckFinding]
) -> list[dict[str, Any]]:
    """A row per VM of the region that no planned server matches."""
    rows = []
    for vm in sorted(vms, key=lambda v: v.name.lower()):
        if vm.id in matched_ids or (vm.location or "").lower() != region or vm.name.lower() in planned_names:
            continue
        rows.append(
            {
                "server": None,
                "wave": None,
                "status": "unplanned",
                "planned_size": None,
                "actual_size": _actual_size(vm),
                "power_state": _power_state(vm),
                "vm": vm.name,
                "location": vm.location,
            }
        )
        findings.append(CheckFinding("unplanned", "info", f"Azure VM {vm.name} in {region} is in no plan"))
    return rows


# --- can the next waves land: sizes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sized:
    """What the resource SKUs say of the sizes the upcoming waves need (offered sizes only)."""

    family_of: dict[str, str]
    vcpus_of: dict[str, float]


def _check_sizes(
    upcoming_servers: list[dict[str, Any]], skus: list[Any], region: str, findings: list[CheckFinding]
) -> tuple[list[dict[str, Any]], _Sized]:
    """A row per size the upcoming waves need: offered in the region, restricted, in which zones."""
    sku_by_name = {s.name.lower(): s for s in skus}
    first_wave_of: dict[str, int] = {}
    for s in upcoming_servers:
        first_wave_of[s["azure_size"]] = min(first_wave_of.get(s["azure_size"], 10**9), s["wave"])
    size_rows = []
    sized = _Sized(family_of={}, vcpus_of={})
    for size in sorted(first_wave_of):
        sku = sku_by_name.get(size.lower())
        wave = first_wave_of[size]
        if sku is None:
            size_rows.append(
                {
                    "size": size,
                    "first_wave": wave,
                    "available": False,
                    "family": None,
                    "zones": [],
                    "restrictions": [],
                }
            )
            findings.append(
                CheckFinding(
                    "size-unavailable",
                    "blocking",
                    f"{size} (first needed in wave {wave}) is not offered in {region}",
                    wave,
                )
            )
            continue
        sized.family_of[size] = sku.family or ""
        caps = {c.name: c.value for c in (sku.capabilities or [])}
        sized.vcpus_of[size] = float(caps.get("vCPUs", 0) or 0)
        size_rows.append(_offered_size(size, wave, sku, region, findings))
    return size_rows, sized


def _offered_size(
    size: str, wave: int, sku: Any, region: str, findings: list[CheckFinding]
) -> dict[str, Any]:
    """The row of a size the region offers, with a finding when this subscription may not deploy it."""
    zones = sorted({z for li in (sku.location_info or []) for z in (li.zones or [])})
    restricted_zones: set[str] = set()
    blocked = False
    reasons = []
    for r in sku.restrictions or []:
        kind, reason = _value(r.type), _value(r.reason_code)
        reasons.append(f"{kind}:{reason}")
        if kind == "Location":
            blocked = True
        elif kind == "Zone" and r.restriction_info and r.restriction_info.zones:
            restricted_zones.update(r.restriction_info.zones)
    if blocked:
        findings.append(
            CheckFinding(
                "size-restricted",
                "blocking",
                f"{size} (first needed in wave {wave}) is restricted for this subscription in {region} "
                f"({', '.join(reasons)}): request access or choose another size",
                wave,
            )
        )
    elif restricted_zones:
        findings.append(
            CheckFinding(
                "zone-restricted",
                "warning",
                f"{size} is restricted in zones {', '.join(sorted(restricted_zones))} of {region}",
                wave,
            )
        )
    return {
        "size": size,
        "first_wave": wave,
        "available": not blocked,
        "family": sku.family,
        "zones": zones,
        "restricted_zones": sorted(restricted_zones),
        "restrictions": reasons,
    }


# --- quota: cumulative vCPUs per family and in total, wave by wave ------------------------------------------


def _check_quota(
    upcoming: list[int],
    upcoming_servers: list[dict[str, Any]],
    sized: _Sized,
    usage: list[Any],
    region: str,
    findings: list[CheckFinding],
) -> list[dict[str, Any]]:
    """A row per upcoming wave and quota it draws on; a finding for the first wave that runs short of each."""
    usage_by = {(_value(u.name.value) or "").lower(): u for u in usage if u.name is not None}
    need: dict[str, float] = defaultdict(float)
    quota_rows = []
    short_reported: set[str] = set()
    for wave in upcoming:
        for fam, v in sorted(_added_vcpus(wave, upcoming_servers, sized).items()):
            need[fam] += v
            u = usage_by.get(fam.lower())
            label = "total regional vCPUs" if fam == "cores" else fam
            if u is None:
                if fam not in short_reported:
                    short_reported.add(fam)
                    findings.append(
                        CheckFinding("quota", "warning", f"no quota reported for {label} in {region}", wave)
                    )
                continue
            row = _quota_row(wave, label, need[fam], u)
            quota_rows.append(row)
            if row["shortfall"] > 0 and fam not in short_reported:
                short_reported.add(fam)
                findings.append(
                    CheckFinding(
                        "quota",
                        "blocking",
                        f"wave {wave} brings {label} to {need[fam]:g} new vCPUs, "
                        f"{row['shortfall']:g} more than the free quota ({u.limit:g} limit, "
                        f"{u.current_value:g} in use): request a quota increase before wave {wave}",
                        wave,
                    )
                )
    return quota_rows


def _added_vcpus(wave: int, upcoming_servers: list[dict[str, Any]], sized: _Sized) -> dict[str, float]:
    """The vCPUs a wave adds per VM family, and in total under 'cores'."""
    added: dict[str, float] = defaultdict(float)
    for s in upcoming_servers:
        if s["wave"] == wave and s["azure_size"] in sized.family_of:
            v = float(s.get("azure_vcpus") or sized.vcpus_of.get(s["azure_size"], 0))
            added[sized.family_of[s["azure_size"]]] += v
            added["cores"] += v
    return added


def _quota_row(wave: int, label: str, needed: float, u: Any) -> dict[str, Any]:
    free = float(u.limit) - float(u.current_value)
    return {
        "wave": wave,
        "family": label,
        "needed_cumulative": needed,
        "in_use": float(u.current_value),
        "limit": float(u.limit),
        "shortfall": max(0.0, needed - free),
    }
