"""Footprint projection: what actually shrinks the data center, month by month.

Physical units are hypervisor hosts and physical servers. A host is freed when no VM is left on it, or when
the remaining VMs of its cluster fit on fewer hosts at today's consolidation ratio (plus the HA reserve);
retired servers free their capacity on their decommission date; retained servers never do. The metric is
hosts, racks (a rack is freed when none of its units is left), kW (power of the units left) or servers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.errors import Finding
from migrator.settings import FootprintSettings, Settings, TargetSettings

UNITS = {"hosts": "hosts", "racks": "racks", "kw": "kW", "servers": "servers"}
NEVER = np.datetime64("2262-01-01")


@dataclass(frozen=True)
class FootprintPoint:
    month: str
    remaining: float
    reduction: float


@dataclass(frozen=True)
class Footprint:
    metric: str
    unit: str
    baseline: float
    timeline: tuple[FootprintPoint, ...]
    target_reduction: float
    target_by: dt.date
    met: bool
    reached_on: str | None
    value_at_target: float
    max_achievable: float
    minimum_remaining: float
    units: dict[str, int]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Units:
    hosts: pd.DataFrame  # host, cluster, rack, power_w, code, cluster_code
    vm_host: np.ndarray  # host code per server, -1 for a physical server
    physical: np.ndarray  # server positions of physical servers


def _units(servers: pd.DataFrame, hosts: pd.DataFrame) -> _Units:
    is_vm = servers["host"].ne("").to_numpy()
    inv = pd.DataFrame({"host": servers["host"], "cluster": servers["cluster"], "rack": servers["rack"]})[
        is_vm
    ]
    from_vms = inv.groupby(inv["host"].str.lower(), sort=True).agg(
        host=("host", "first"), cluster=("cluster", "max"), rack=("rack", "max")
    )
    table = (
        hosts[["host", "cluster", "rack", "power_w"]].copy()
        if len(hosts)
        else pd.DataFrame(columns=["host", "cluster", "rack", "power_w"])
    )
    table.index = table["host"].str.lower()
    missing = from_vms.index.difference(table.index)
    extra = from_vms.loc[missing].assign(power_w=np.nan)
    merged = pd.concat([table, extra]) if len(extra) else table
    # Fill a host's cluster and rack from its VMs when the hosts table leaves them empty.
    for col in ("cluster", "rack"):
        known = from_vms[col].reindex(merged.index).fillna("")
        merged[col] = merged[col].where(merged[col].astype(str).ne(""), known).fillna("").astype(str)
    merged = merged.sort_index(kind="mergesort")
    merged["code"] = np.arange(len(merged))
    merged["cluster_code"] = pd.factorize(
        np.where(
            merged["cluster"].ne(""), "c:" + merged["cluster"].str.lower(), "h:" + merged.index.to_numpy()
        ),
        sort=True,
    )[0]
    vm_host = merged["code"].reindex(servers["host"].str.lower()).fillna(-1).to_numpy(dtype=np.int64).copy()
    vm_host[~is_vm] = -1
    return _Units(hosts=merged.reset_index(drop=True), vm_host=vm_host, physical=np.flatnonzero(~is_vm))


def choose_metric(requested: str, servers: pd.DataFrame, units: _Units) -> tuple[str, list[str]]:
    notes: list[str] = []
    phys = servers.iloc[units.physical]
    all_power = (
        bool(units.hosts["power_w"].notna().all() and phys["power_w"].notna().all())
        and (len(units.hosts) + len(phys)) > 0
    )
    all_racks = (
        bool(units.hosts["rack"].ne("").all() and phys["rack"].ne("").all())
        and (len(units.hosts) + len(phys)) > 0
    )
    has_hosts = len(units.hosts) > 0
    if requested == "auto":
        metric = "kw" if all_power else "racks" if all_racks else "hosts" if has_hosts else "servers"
        notes.append(
            f"metric chosen automatically: {metric} ("
            + (
                "every physical unit has a power figure"
                if metric == "kw"
                else "every physical unit has a rack"
                if metric == "racks"
                else "hosts are known but not every unit's power or rack"
                if metric == "hosts"
                else "no host data"
            )
            + ")"
        )
        return metric, notes
    if requested == "kw" and not all_power:
        notes.append(
            "kW requested but some physical units have no power_w: they count as 0 W, "
            "so the projection understates the footprint"
        )
    if requested == "racks" and not all_racks:
        notes.append("racks requested but some physical units have no rack: they are not counted")
    return requested, notes


def departure_months(leave: np.ndarray) -> set[pd.Period]:
    """The months in which some server leaves: the only months where the footprint can change."""
    finite = leave[leave < NEVER]
    return set(pd.PeriodIndex(pd.DatetimeIndex(finite), freq="M").unique()) if len(finite) else set()


def project_plan(
    servers: pd.DataFrame,
    hosts: pd.DataFrame,
    leave: np.ndarray,
    dates: list[tuple[dt.date, dt.date]],
    settings: Settings,
) -> tuple[Footprint, list[Finding]]:
    """The footprint from the calendar start until the target date, the last wave or the last departure."""
    start = settings.calendar.start
    horizon = max(settings.target.by, dates[-1][1] if dates else start)
    gone = leave < NEVER
    if gone.any():
        horizon = max(horizon, pd.Timestamp(leave[gone].max()).date())
    return project(servers, hosts, leave, start, horizon, settings.target, settings.footprint)


def project(
    servers: pd.DataFrame,
    hosts: pd.DataFrame,
    leave: np.ndarray,  # datetime64[D] per server; NEVER for servers that stay
    start: dt.date,
    end: dt.date,
    target: TargetSettings,
    settings: FootprintSettings,
) -> tuple[Footprint, list[Finding]]:
    units = _units(servers, hosts)
    metric, notes = choose_metric(target.metric, servers, units)
    estate = _Estate.build(servers, units, leave, settings)
    baseline = estate.value_at(metric, np.datetime64(start) - np.timedelta64(1, "D"))
    timeline, reached = _timeline(estate, metric, baseline, start, end, target.reduction)
    at_target = estate.value_at(metric, np.datetime64(target.by))
    floor = estate.value_at(metric, NEVER - np.timedelta64(1, "D"))
    red_target = 0.0 if baseline <= 0 else 1 - at_target / baseline
    max_red = 0.0 if baseline <= 0 else 1 - floor / baseline
    met = red_target >= target.reduction - 1e-9
    findings: list[Finding] = []
    if not met and max_red < target.reduction - 1e-9:
        findings.append(
            Finding(
                "target-unreachable",
                f"the target of {target.reduction:.0%} cannot be reached by any schedule: what is retained "
                f"keeps {floor:g} of {baseline:g} {UNITS[metric]} (at most {max_red:.1%})",
                severity="warning",
            )
        )
    idle_standalone = int((estate.idle_hosts & ~estate.in_cluster).sum())
    if idle_standalone:
        notes.append(
            f"{idle_standalone} standalone hosts run no inventoried VM; nothing in the plan frees them"
        )
    fp = Footprint(
        metric=metric,
        unit=UNITS[metric],
        baseline=baseline,
        timeline=tuple(timeline),
        target_reduction=target.reduction,
        target_by=target.by,
        met=met,
        reached_on=reached,
        value_at_target=at_target,
        max_achievable=max_red,
        minimum_remaining=floor,
        units={
            "hosts": estate.host_count,
            "physical_servers": len(units.physical),
            "clusters": int((estate.hosts_per_cluster > 1).sum()),
        },
        notes=tuple(notes),
    )
    return fp, findings


def _timeline(
    estate: _Estate, metric: str, baseline: float, start: dt.date, end: dt.date, reduction: float
) -> tuple[list[FootprintPoint], str | None]:
    """The footprint at the end of every month, and the first month the target reduction is reached."""
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    # The footprint changes only in months where something leaves: evaluate those, carry the value forward.
    change = departure_months(estate.leave)
    timeline = []
    reached = None
    value = baseline
    for m in months:
        if m in change or m == months[0]:
            value = estate.value_at(metric, np.datetime64(m.end_time.date()))
        red = 0.0 if baseline <= 0 else 1 - value / baseline
        timeline.append(FootprintPoint(str(m), value, red))
        if reached is None and red >= reduction - 1e-9:
            reached = str(m)
    return timeline, reached


@dataclass(frozen=True)
class _Estate:
    """The physical units and what runs on them, arranged to evaluate the footprint on any day quickly."""

    leave: np.ndarray  # per server
    consolidate: bool
    cluster: np.ndarray  # cluster code per host
    in_cluster: np.ndarray  # per host: belongs to a named cluster
    hosts_per_cluster: np.ndarray
    reserve: np.ndarray  # HA reserve hosts per cluster
    idle_hosts: np.ndarray  # per host: runs no inventoried VM today
    dens_cores: np.ndarray  # per cluster: VM cores per usable host today
    dens_mem: np.ndarray  # per cluster: VM memory per usable host today
    vm_host: np.ndarray  # host per VM
    vm_cores: np.ndarray
    vm_mem: np.ndarray
    vm_leave: np.ndarray
    host_power: np.ndarray
    host_rack: np.ndarray
    phys_leave: np.ndarray
    phys_power: np.ndarray
    phys_rack: np.ndarray

    @property
    def host_count(self) -> int:
        return len(self.cluster)

    @property
    def cluster_count(self) -> int:
        return len(self.hosts_per_cluster)

    @classmethod
    def build(
        cls, servers: pd.DataFrame, units: _Units, leave: np.ndarray, settings: FootprintSettings
    ) -> _Estate:
        nh = len(units.hosts)
        cluster = units.hosts["cluster_code"].to_numpy()
        in_cluster = units.hosts["cluster"].ne("").to_numpy()
        ncl = int(cluster.max()) + 1 if nh else 0
        hosts_per_cluster = np.bincount(cluster, minlength=ncl)
        vm = units.vm_host >= 0
        vh = units.vm_host[vm]
        cores = servers["cores"].to_numpy(float)[vm]
        mem = servers["memory_gb"].to_numpy(float)[vm]
        vm_cluster = cluster[vh] if nh else np.zeros(0, dtype=np.int64)
        has_ha = np.bincount(cluster, weights=in_cluster, minlength=ncl) > 0
        reserve = np.where(has_ha, settings.ha_reserve_hosts, 0) if nh else np.zeros(0)
        effective = np.maximum(hosts_per_cluster - reserve, 1)
        base_cores = np.bincount(vm_cluster, weights=cores, minlength=ncl)
        base_mem = np.bincount(vm_cluster, weights=mem, minlength=ncl)
        phys = units.physical
        return cls(
            leave=leave,
            consolidate=settings.consolidate,
            cluster=cluster,
            in_cluster=in_cluster,
            hosts_per_cluster=hosts_per_cluster,
            reserve=reserve,
            idle_hosts=np.bincount(vh, minlength=nh) == 0,
            dens_cores=np.where(base_cores > 0, base_cores / effective, np.inf),
            dens_mem=np.where(base_mem > 0, base_mem / effective, np.inf),
            vm_host=vh,
            vm_cores=cores,
            vm_mem=mem,
            vm_leave=leave[vm],
            host_power=units.hosts["power_w"].fillna(0).to_numpy(float),
            host_rack=units.hosts["rack"].to_numpy(),
            phys_leave=leave[phys],
            phys_power=np.nan_to_num(servers["power_w"].to_numpy(float)[phys], nan=0.0),
            phys_rack=servers["rack"].to_numpy()[phys],
        )

    def kept_hosts(self, day: np.datetime64) -> np.ndarray:
        """Per host: still needed after ``day`` (its cluster's remaining VMs consolidated, plus reserve)."""
        nh, ncl, cluster = self.host_count, self.cluster_count, self.cluster
        left = self.vm_leave > day
        vh = self.vm_host[left]
        rem_count = np.bincount(vh, minlength=nh)
        rem_cores = np.bincount(vh, weights=self.vm_cores[left], minlength=nh)
        occupied = rem_count > 0
        c_vms = np.bincount(cluster, weights=rem_count, minlength=ncl)
        c_occ = np.bincount(cluster, weights=occupied, minlength=ncl)
        idle = np.bincount(cluster, weights=self.idle_hosts, minlength=ncl)
        if self.consolidate:
            c_rem_cores = np.bincount(cluster, weights=rem_cores, minlength=ncl)
            vm_cluster = cluster[vh] if nh else np.zeros(0, dtype=np.int64)
            c_rem_mem = np.bincount(vm_cluster, weights=self.vm_mem[left], minlength=ncl)
            needed = np.ceil(np.maximum(c_rem_cores / self.dens_cores, c_rem_mem / self.dens_mem) - 1e-9)
            needed = needed + self.reserve
            kept_c = np.where(
                c_vms > 0, np.minimum(np.minimum(needed, self.hosts_per_cluster), c_occ + idle), 0
            )
        else:
            kept_c = np.where(c_vms > 0, c_occ + idle, 0)
        # Keep the hosts with the most load in each cluster.
        order = np.lexsort((np.arange(nh), -rem_cores, -occupied.astype(int), cluster))
        sorted_cluster = cluster[order]
        first = np.searchsorted(sorted_cluster, sorted_cluster, side="left")
        kept = np.zeros(nh, dtype=bool)
        kept[order] = (np.arange(nh) - first) < kept_c[sorted_cluster]
        return kept

    def value_at(self, metric: str, day: np.datetime64) -> float:
        """The footprint in ``metric`` once every server leaving on or before ``day`` has left."""
        if metric == "servers":
            return float((self.leave > day).sum())
        kept = self.kept_hosts(day)
        phys_left = self.phys_leave > day
        if metric == "hosts":
            return float(kept.sum() + phys_left.sum())
        if metric == "kw":
            return float((self.host_power[kept].sum() + self.phys_power[phys_left].sum()) / 1000.0)
        racks = set(self.host_rack[kept & (self.host_rack != "")])
        racks |= set(self.phys_rack[phys_left & (self.phys_rack != "")])
        return float(len(racks))
