"""Footprint projection: what actually shrinks the data center, month by month.

Physical units are hypervisor hosts and physical servers, in racks and data centers. Retired servers free
their capacity on their decommission date, migrating ones at the end of their wave; retained servers never
leave, but what stays is consolidated (``footprint.consolidation``, see :mod:`migrator.consolidation`): the
hosts chosen to hold it are kept, every retained VM elsewhere moves there in the consolidation window after
the departures that make room on its destination. Any other host is freed when its last VM leaves or, with
consolidation, in the window after its cluster's remaining VMs fit on fewer hosts (plus the HA reserve). A
rack, and a data center, is freed with its last unit. The metric is hosts, racks, kW, data centers or servers.

Linear in servers plus months: every unit gets the day it is freed (sorts and running sums over the leave
dates), and the timeline is one search per month over the sorted days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.consolidation import Choice, HostTable, Retained, choose, window_starts
from migrator.errors import Finding
from migrator.outputs.text import plural
from migrator.settings import FootprintSettings, FreezeWindow, Settings, TargetSettings

UNITS = {"hosts": "hosts", "racks": "racks", "kw": "kW", "servers": "servers", "datacenters": "data centers"}
NEVER = np.datetime64("2262-01-01")


@dataclass(frozen=True)
class FootprintPoint:
    month: str
    remaining: float
    reduction: float


@dataclass(frozen=True)
class DataCenterExit:
    """A data center: its units today and at the target date, the month it empties, what keeps it open."""

    name: str
    today: dict[str, float]
    at_target: dict[str, float]
    empties_on: str | None
    kept_open_by: tuple[tuple[str, tuple[str, ...]], ...]  # (application, retained servers)
    remaining: tuple[float, ...]  # the metric at the end of every month of the timeline


MOVE_COLUMNS = (
    "server",
    "application",
    "datacenter",
    "from_host",
    "from_cluster",
    "from_rack",
    "to_cluster",
    "to_rack",
    "date",
)


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
    consolidation: str = "none"
    moves: pd.DataFrame | None = None  # MOVE_COLUMNS, one row per retained VM that moves
    datacenters: tuple[DataCenterExit, ...] = ()


@dataclass(frozen=True)
class _Units:
    hosts: pd.DataFrame  # host, cluster, datacenter, rack, power_w, cores, memory_gb, code, cluster_code
    vm_host: np.ndarray  # host code per server, -1 for a physical server
    physical: np.ndarray  # server positions of physical servers
    host_dc: np.ndarray  # data-center code per host
    host_rack: np.ndarray  # rack code per host (-1: unknown)
    phys_dc: np.ndarray
    phys_rack: np.ndarray
    dc_names: np.ndarray  # name per data-center code ("" when the inventory names none)
    server_dc: np.ndarray  # data-center code per server (a VM's is its host's)


def _host_fields(vms: pd.DataFrame) -> pd.DataFrame:
    """Per host named by VMs (lower-case name as index, sorted): its first spelling, and the greatest cluster,
    data center and rack its VMs give (codes of sorted values and a maximum per host, no Python per group)."""
    codes, keys = pd.factorize(vms["host"].str.lower().to_numpy(), sort=True)
    first = np.full(len(keys), len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    out = pd.DataFrame({"host": vms["host"].to_numpy()[first]}, index=pd.Index(keys, dtype=object))
    for col in ("cluster", "datacenter", "rack"):
        values, names = pd.factorize(vms[col].to_numpy(), sort=True)
        best = np.full(len(keys), -1, dtype=np.int64)
        np.maximum.at(best, codes, values)
        out[col] = np.asarray(names, dtype=object)[best] if len(names) else ""
    return out


def _units(servers: pd.DataFrame, hosts: pd.DataFrame) -> _Units:
    is_vm = servers["host"].ne("").to_numpy()
    cols = ["host", "cluster", "datacenter", "rack"]
    from_vms = _host_fields(servers[cols][is_vm])
    keep = [*cols, "power_w", "cores", "memory_gb"]
    table = hosts[keep].copy() if len(hosts) else pd.DataFrame(columns=keep)
    table.index = table["host"].str.lower()
    missing = from_vms.index.difference(table.index)
    extra = from_vms.loc[missing].assign(power_w=np.nan, cores=np.nan, memory_gb=np.nan)
    merged = pd.concat([table, extra]) if len(extra) else table
    # Fill a host's cluster, data center and rack from its VMs when the hosts table leaves them empty.
    for col in ("cluster", "datacenter", "rack"):
        known = from_vms[col].reindex(merged.index).fillna("")
        merged[col] = merged[col].where(merged[col].astype(str).ne(""), known).fillna("").astype(str)
    for col in ("power_w", "cores", "memory_gb"):
        merged[col] = pd.to_numeric(merged[col], errors="coerce").astype(float)
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
    physical = np.flatnonzero(~is_vm)
    nh = len(merged)
    dcs = np.concatenate([merged["datacenter"].to_numpy(str), servers["datacenter"].to_numpy(str)[physical]])
    dc_code, dc_names = pd.factorize(dcs, sort=True)
    racks = np.concatenate([merged["rack"].to_numpy(str), servers["rack"].to_numpy(str)[physical]])
    rack_key = pd.Series(np.char.add(np.char.add(dcs.astype(str), "\x1f"), racks)).where(racks != "")
    rack_code = pd.factorize(rack_key, sort=True, use_na_sentinel=True)[0]
    server_dc = np.zeros(len(servers), dtype=np.int64)
    server_dc[is_vm] = dc_code[:nh][np.maximum(vm_host[is_vm], 0)]
    server_dc[physical] = dc_code[nh:]
    return _Units(
        hosts=merged.reset_index(drop=True),
        vm_host=vm_host,
        physical=physical,
        host_dc=dc_code[:nh],
        host_rack=rack_code[:nh],
        phys_dc=dc_code[nh:],
        phys_rack=rack_code[nh:],
        dc_names=np.asarray(dc_names, dtype=object),
        server_dc=server_dc,
    )


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
    """The months in which some unit is freed: the only months where the footprint can change."""
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
    start, end = plan_span(leave, dates, settings)
    return project(
        servers, hosts, leave, start, end, settings.target, settings.footprint, settings.calendar.freeze
    )


def plan_span(
    leave: np.ndarray, dates: list[tuple[dt.date, dt.date]], settings: Settings
) -> tuple[dt.date, dt.date]:
    """The months the timeline covers: from the calendar start to the target date, the last wave's end or the
    last departure (the projection extends it to the last consolidation window)."""
    start = settings.calendar.start
    horizon = max(settings.target.by, dates[-1][1] if dates else start)
    gone = leave < NEVER
    if gone.any():
        horizon = max(horizon, pd.Timestamp(leave[gone].max()).date())
    return start, horizon


def prepare(
    servers: pd.DataFrame,
    hosts: pd.DataFrame,
    retained: np.ndarray,
    target: TargetSettings,
    settings: FootprintSettings,
) -> Prepared:
    """What does not depend on the wave dates: the units, the metric, the hosts kept for the retained load
    (``retained``: per server, never leaves) and each retained VM's destination. Reuse it to project many
    schedules of the same estate (:meth:`Prepared.reached_on`)."""
    units = _units(servers, hosts)
    metric, notes = choose_metric(target.metric, servers, units)
    estate = _Estate.build(servers, units, retained, settings)
    return Prepared(servers, units, metric, tuple(notes), estate, settings)


def project(
    servers: pd.DataFrame,
    hosts: pd.DataFrame,
    leave: np.ndarray,  # datetime64[D] per server; NEVER for servers that stay
    start: dt.date,
    end: dt.date,
    target: TargetSettings,
    settings: FootprintSettings,
    freezes: Sequence[FreezeWindow] = (),
) -> tuple[Footprint, list[Finding]]:
    prep = prepare(servers, hosts, leave >= NEVER, target, settings)
    return prep.project(leave, start, end, target, freezes)


@dataclass(frozen=True)
class Prepared:
    servers: pd.DataFrame
    units: _Units
    metric: str
    notes: tuple[str, ...]
    estate: _Estate
    settings: FootprintSettings

    def releases(self, leave: np.ndarray, start: dt.date, freezes: Sequence[FreezeWindow]) -> Releases:
        return self.estate.releases(leave, start, freezes)

    def reached_on(
        self, leave: np.ndarray, start: dt.date, end: dt.date, target: TargetSettings, freezes: Sequence = ()
    ) -> str | None:
        """The first month the target reduction is reached (None: not by ``end``), without the document's
        details: for re-projecting many schedules of the same estate."""
        times, weights, _ = _events(
            self.metric, self.estate, self.units, self.releases(leave, start, freezes), leave
        )
        end = _through_last_release(end, times)
        months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
        values, baseline = _values(times, weights, months, start)
        return _first_reached(months, values, baseline, target.reduction)

    def project(
        self,
        leave: np.ndarray,
        start: dt.date,
        end: dt.date,
        target: TargetSettings,
        freezes: Sequence[FreezeWindow] = (),
    ) -> tuple[Footprint, list[Finding]]:
        rel = self.releases(leave, start, freezes)
        times, weights, dcs = _events(self.metric, self.estate, self.units, rel, leave)
        end = _through_last_release(end, times)
        months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
        values, baseline = _values(times, weights, months, start)
        reached = _first_reached(months, values, baseline, target.reduction)
        at_target = _value_at(times, weights, start, _day(target.by))
        floor = float(weights[times >= _day(NEVER)].sum())
        red = np.zeros(len(values)) if baseline <= 0 else 1 - values / baseline
        timeline = [
            FootprintPoint(str(m), float(v), float(r)) for m, v, r in zip(months, values, red, strict=True)
        ]
        max_red = 0.0 if baseline <= 0 else 1 - floor / baseline
        met = (0.0 if baseline <= 0 else 1 - at_target / baseline) >= target.reduction - 1e-9
        findings = _findings(self, floor, baseline, max_red, met, target)
        fp = Footprint(
            metric=self.metric,
            unit=UNITS[self.metric],
            baseline=baseline,
            timeline=tuple(timeline),
            target_reduction=target.reduction,
            target_by=target.by,
            met=met,
            reached_on=reached,
            value_at_target=at_target,
            max_achievable=max_red,
            minimum_remaining=floor,
            units=self._unit_counts(),
            notes=self.notes + _notes(self, rel),
            consolidation=self.settings.mode,
            moves=_moves_frame(self, rel),
            datacenters=_datacenters(self, rel, leave, (times, weights, dcs), months, start, target.by),
        )
        return fp, findings

    def _unit_counts(self) -> dict[str, int]:
        est = self.estate
        return {
            "hosts": len(est.cluster),
            "physical_servers": len(self.units.physical),
            "clusters": int((est.hosts_per_cluster > 1).sum()),
            "datacenters": int(len(np.unique(np.concatenate([self.units.host_dc, self.units.phys_dc])))),
        }


def _findings(
    prep: Prepared, floor: float, baseline: float, max_red: float, met: bool, target: TargetSettings
) -> list[Finding]:
    findings: list[Finding] = []
    if not met and max_red < target.reduction - 1e-9:
        findings.append(
            Finding(
                "target-unreachable",
                f"the target of {target.reduction:.0%} cannot be reached by any schedule: what is retained "
                f"keeps {floor:g} of {baseline:g} {UNITS[prep.metric]} (at most {max_red:.1%})",
                severity="warning",
            )
        )
    est, units = prep.estate, prep.units
    for scope, need_c, need_m, has_c, has_m in est.choice.infeasible:
        where = (
            f"data center {_dc_label(units.dc_names[scope])}"
            if prep.settings.mode == "datacenter"
            else f"cluster {est.cluster_names[scope]}"
        )
        findings.append(
            Finding(
                "consolidation-infeasible",
                f"{where}: its retained VMs need {need_c:g} vCPU and {need_m:g} GiB, more than its hosts "
                f"hold ({has_c:g} vCPU, {has_m:g} GiB at the capacity assumed); they stay where they are",
                severity="warning",
            )
        )
    return findings


def _notes(prep: Prepared, rel: Releases) -> tuple[str, ...]:
    est = prep.estate
    notes = []
    idle_standalone = int((est.idle_hosts & ~est.in_cluster).sum())
    if idle_standalone:
        notes.append(
            f"{plural(idle_standalone, 'standalone host')} {'runs' if idle_standalone == 1 else 'run'} no "
            "inventoried VM; nothing in the plan frees them"
        )
    if prep.settings.mode != "none":
        notes.append(
            f"consolidation ({prep.settings.mode}): {plural(len(rel.movers), 'retained VM')} "
            f"{'moves' if len(rel.movers) == 1 else 'move'} onto "
            f"{plural(int(est.choice.kept.sum()), 'host')} kept for what stays "
            "(plan.json footprint.consolidation_moves)"
        )
    return tuple(notes)


def _dc_label(name: str) -> str:
    return name if name else "(no data center named)"


def _day(d: dt.date | np.datetime64) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))  # type: ignore[call-overload]


def _month(day: int) -> str:
    return _date(day).strftime("%Y-%m")


def _through_last_release(end: dt.date, times: np.ndarray) -> dt.date:
    """``end``, or the day the last unit is freed when later (a consolidation window after the last wave)."""
    finite = times[times < NEVER_D]
    return max(end, _date(int(finite.max()))) if len(finite) else end


def _date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=day)


def _value_at(times: np.ndarray, weights: np.ndarray, start: dt.date, day: int) -> float:
    """The footprint once every unit freed on or before ``day`` is gone (units freed before the start are
    not part of it)."""
    return float(weights[(times >= _day(start)) & (times > day)].sum())


def _values(
    times: np.ndarray, weights: np.ndarray, months: pd.PeriodIndex, start: dt.date
) -> tuple[np.ndarray, float]:
    """The footprint at the end of every month (running sums over the units sorted by the day they are
    freed), and the baseline (what stands the day before the start)."""
    counted = times >= _day(start)
    t, w = times[counted], weights[counted]
    order = np.argsort(t, kind="stable")
    t, w = t[order], w[order]
    suffix = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])
    baseline = float(suffix[0]) if len(w) else 0.0
    if not len(months):
        return np.zeros(0), baseline
    month_ends = (months + 1).to_timestamp().to_numpy().astype("datetime64[D]").astype(np.int64) - 1
    # The footprint changes only in months where a unit is freed: evaluate those, carry the value forward.
    change = departure_months(t[t < _day(NEVER)].astype("datetime64[D]"))
    evaluate = np.array([m in change for m in months]) if change else np.zeros(len(months), dtype=bool)
    evaluate[0] = True
    idx = np.flatnonzero(evaluate)
    vals = suffix[np.searchsorted(t, month_ends[idx], side="right")]
    return vals[np.searchsorted(idx, np.arange(len(months)), side="right") - 1], baseline


def _first_reached(
    months: pd.PeriodIndex, values: np.ndarray, baseline: float, reduction: float
) -> str | None:
    if baseline <= 0 or not len(values):
        return None
    hit = np.flatnonzero(1 - values / baseline >= reduction - 1e-9)
    return str(months[hit[0]]) if len(hit) else None


BEFORE = _day(dt.date(1900, 1, 1))  # freed before any plan starts: a cluster that runs no VM today
EMPTY = np.iinfo(np.int64).min  # "empty since always": a host that runs no VM today
NEVER_D = _day(NEVER)


@dataclass(frozen=True)
class Releases:
    """The day each unit is freed (int days since 1970), and the retained VMs that move, with their day."""

    host: np.ndarray
    phys: np.ndarray
    movers: np.ndarray  # positions in the estate's retained-VM arrays
    move_day: np.ndarray


def _max_by(codes: np.ndarray, values: np.ndarray, n: int, empty: int) -> np.ndarray:
    out = np.full(n, empty, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


def _days(leave: np.ndarray) -> np.ndarray:
    return np.minimum(leave, NEVER).astype("datetime64[D]").astype(np.int64)


def _windows(days: np.ndarray, freezes: Sequence[FreezeWindow], length: int) -> np.ndarray:
    out = window_starts(days.astype("datetime64[D]"), [(f.start, f.end) for f in freezes], length, NEVER)
    return np.where(days >= NEVER_D, NEVER_D, out.astype(np.int64))


@dataclass(frozen=True)
class _Estate:
    """The physical units, what runs on them and the hosts kept for what stays, arranged to find the day
    every unit is freed from the servers' leave dates with sorts and running sums."""

    mode: str
    cluster: np.ndarray  # cluster code per host
    cluster_names: np.ndarray
    in_cluster: np.ndarray  # per host: belongs to a named cluster
    hosts_per_cluster: np.ndarray
    reserve: np.ndarray  # HA reserve hosts per cluster
    unit_cores: np.ndarray  # per cluster: mean vCPU capacity of a host
    unit_mem: np.ndarray
    idle_hosts: np.ndarray
    vm_pos: np.ndarray  # server position of every VM
    vm_host: np.ndarray
    vm_cores: np.ndarray
    vm_mem: np.ndarray
    retained_vms: np.ndarray  # positions in the VM arrays of the retained VMs (the choice's order)
    choice: Choice
    host_power: np.ndarray
    phys_pos: np.ndarray
    phys_power: np.ndarray
    window_days: int

    @classmethod
    def build(
        cls, servers: pd.DataFrame, units: _Units, retained: np.ndarray, settings: FootprintSettings
    ) -> _Estate:
        nh = len(units.hosts)
        cluster = units.hosts["cluster_code"].to_numpy()
        in_cluster = units.hosts["cluster"].ne("").to_numpy()
        ncl = int(cluster.max()) + 1 if nh else 0
        vm_pos = np.flatnonzero(units.vm_host >= 0)
        vh = units.vm_host[vm_pos]
        cores = servers["cores"].to_numpy(float)[vm_pos]
        mem = servers["memory_gb"].to_numpy(float)[vm_pos]
        has_ha = np.bincount(cluster, weights=in_cluster, minlength=ncl) > 0
        reserve = np.where(has_ha, settings.ha_reserve_hosts, 0).astype(np.int64)
        cap_c, cap_m = _capacity(units, cluster, reserve, vh, cores, mem, settings.overcommit)
        count = np.maximum(np.bincount(cluster, minlength=ncl), 1)
        hosts = HostTable(cluster, units.host_dc, units.host_rack, cap_c, cap_m, reserve)
        ret_vm = np.flatnonzero(retained[vm_pos])
        order = np.argsort(servers["name"].to_numpy(str)[vm_pos[ret_vm]], kind="stable")
        rank = np.empty(len(ret_vm), dtype=np.int64)
        rank[order] = np.arange(len(ret_vm))
        kept_ret = Retained(vh[ret_vm], cores[ret_vm], mem[ret_vm], rank)
        forced = units.phys_rack[retained[units.physical]]
        if settings.mode == "none" or not nh:
            choice = Choice(np.zeros(nh, dtype=bool), np.zeros(nh, dtype=np.int64), kept_ret.host.copy(), ())
        else:
            choice = choose(settings.mode, hosts, kept_ret, forced)
        names = units.hosts.groupby("cluster_code", sort=True)["cluster"].first()
        return cls(
            mode=settings.mode,
            cluster=cluster,
            cluster_names=np.where(names.ne(""), names, units.hosts.groupby("cluster_code")["host"].first()),
            in_cluster=in_cluster,
            hosts_per_cluster=np.bincount(cluster, minlength=ncl),
            reserve=reserve,
            unit_cores=np.bincount(cluster, weights=cap_c, minlength=ncl) / count,
            unit_mem=np.bincount(cluster, weights=cap_m, minlength=ncl) / count,
            idle_hosts=np.bincount(vh, minlength=nh) == 0,
            vm_pos=vm_pos,
            vm_host=vh,
            vm_cores=cores,
            vm_mem=mem,
            retained_vms=ret_vm,
            choice=choice,
            host_power=units.hosts["power_w"].fillna(0).to_numpy(float),
            phys_pos=units.physical,
            phys_power=np.nan_to_num(servers["power_w"].to_numpy(float)[units.physical], nan=0.0),
            window_days=settings.consolidation_window_days,
        )

    def releases(self, leave: np.ndarray, start: dt.date, freezes: Sequence[FreezeWindow]) -> Releases:
        """The day every host is freed: a host kept for what stays never; a host whose retained VMs move when
        its other VMs have left and its retained VMs have moved; any other host when its last VM leaves, or
        earlier, in the consolidation window after its cluster's remaining VMs fit on fewer hosts (DRS)."""
        nh, start_d = len(self.cluster), _day(start)
        vl = _days(leave[self.vm_pos])
        ret = np.zeros(len(vl), dtype=bool)
        ret[self.retained_vms] = True
        if not np.array_equal(ret, vl >= NEVER_D):
            raise ValueError("the leave dates retain other servers than the footprint was prepared for")
        e_all = _max_by(self.vm_host, vl, nh, EMPTY)
        e_non = _max_by(self.vm_host[~ret], vl[~ret], nh, EMPTY)
        src, dest = self.vm_host[self.retained_vms], self.choice.dest
        movers = np.flatnonzero(dest != src)
        move_day = _windows(np.maximum(e_non[dest[movers]], start_d - 1), freezes, self.window_days)
        vl2 = vl.copy()
        out = self.cluster[dest[movers]] != self.cluster[src[movers]]
        vl2[self.retained_vms[movers[out]]] = move_day[out]
        holds = np.zeros(nh, dtype=bool)
        holds[src[movers]] = True
        drs = self._count_release(vl2, e_all, holds, start_d)
        freed = np.minimum(e_all, _windows(drs, freezes, self.window_days))
        freed = np.where(self.idle_hosts, drs, freed)
        last_move = _max_by(src[movers], move_day, nh, EMPTY)
        freed = np.where(holds, np.maximum(e_non, last_move), freed)
        freed = np.where(self.choice.kept, NEVER_D, freed)
        return Releases(host=freed, phys=_days(leave[self.phys_pos]), movers=movers, move_day=move_day)

    def _needed(self, cores: np.ndarray, mem: np.ndarray, cl: np.ndarray) -> np.ndarray:
        """Hosts a cluster needs for a load: capacity plus HA reserve (all of them without consolidation)."""
        if self.mode == "none":
            return self.hosts_per_cluster[cl]
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.maximum(cores / self.unit_cores[cl], mem / self.unit_mem[cl])
        need = np.ceil(np.nan_to_num(need, nan=0.0, posinf=1e12) - 1e-9) + self.reserve[cl]
        return np.minimum(need, self.hosts_per_cluster[cl]).astype(np.int64)

    def _count_release(
        self, vl2: np.ndarray, e_all: np.ndarray, holds: np.ndarray, start_d: int
    ) -> np.ndarray:
        """Per host, the day its cluster's remaining VMs first fit on fewer hosts than its rank (hosts kept
        for what stays first, then hosts holding retained VMs, then the last to empty): running sums over the
        VMs sorted by cluster and leave day, one search per host."""
        nh, ncl, cluster = len(self.cluster), len(self.hosts_per_cluster), self.cluster
        vc = cluster[self.vm_host]
        order = np.lexsort((vl2, vc))
        sc, sl = vc[order], vl2[order]
        seg = np.searchsorted(sc, np.arange(ncl))
        tot_c = np.bincount(vc, weights=self.vm_cores, minlength=ncl)
        tot_m = np.bincount(vc, weights=self.vm_mem, minlength=ncl)
        n_c = np.bincount(vc, minlength=ncl)
        cum_c = np.cumsum(self.vm_cores[order])
        cum_m = np.cumsum(self.vm_mem[order])
        rem_c = tot_c[sc] - (cum_c - np.concatenate([[0.0], cum_c])[seg[sc]])
        rem_m = tot_m[sc] - (cum_m - np.concatenate([[0.0], cum_m])[seg[sc]])
        rem_n = n_c[sc] - (np.arange(len(sc)) - seg[sc] + 1)
        k = np.where(rem_n > 0, self._needed(rem_c, rem_m, sc), 0)
        k_start = np.where(n_c > 0, self._needed(tot_c, tot_m, np.arange(ncl)), 0)
        e_key = np.where(e_all == EMPTY, -NEVER_D - 1, e_all)
        h_order = np.lexsort((np.arange(nh), -e_key, ~holds, ~self.choice.kept, cluster))
        rank = np.empty(nh, dtype=np.int64)
        rank[h_order] = np.arange(nh) - np.searchsorted(cluster[h_order], cluster[h_order], side="left")
        width = nh + 2
        idx = np.searchsorted(sc * width + (width - 1 - k), cluster * width + (width - 1 - rank), side="left")
        safe = np.minimum(idx, max(len(sc) - 1, 0))
        found = (idx < len(sc)) & (sc[safe] == cluster) if len(sc) else np.zeros(nh, dtype=bool)
        day = np.where(found, sl[safe] if len(sc) else 0, NEVER_D)
        at_start = k_start[cluster] <= rank
        return np.where(at_start, np.where(n_c[cluster] > 0, start_d - 1, BEFORE), day)


def _capacity(
    units: _Units,
    cluster: np.ndarray,
    reserve: np.ndarray,
    vm_host: np.ndarray,
    cores: np.ndarray,
    mem: np.ndarray,
    overcommit: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """vCPU and memory each host holds: its cores x ``overcommit`` and its memory when hosts.csv gives them
    and an overcommit is set, else today's density of its cluster (VM load per host beyond the HA reserve),
    or of its data center for a cluster running no VM."""
    ncl = len(reserve)
    per_cl = np.bincount(cluster, minlength=ncl)
    usable = np.maximum(per_cl - reserve, 1).astype(float)
    vm_cl = cluster[vm_host]
    load_c = np.bincount(vm_cl, weights=cores, minlength=ncl)
    load_m = np.bincount(vm_cl, weights=mem, minlength=ncl)
    dc = units.host_dc
    cl_dc = np.zeros(ncl, dtype=np.int64)
    cl_dc[cluster] = dc
    ndc = int(dc.max()) + 1 if len(dc) else 0
    dc_usable = np.maximum(np.bincount(cl_dc, weights=usable * (load_c > 0), minlength=ndc), 1)
    dc_c = np.bincount(cl_dc, weights=load_c, minlength=ndc) / dc_usable
    dc_m = np.bincount(cl_dc, weights=load_m, minlength=ndc) / dc_usable
    dens_c = np.where(load_c > 0, load_c / usable, np.where(dc_c[cl_dc] > 0, dc_c[cl_dc], 1.0))
    dens_m = np.where(load_m > 0, load_m / usable, np.where(dc_m[cl_dc] > 0, dc_m[cl_dc], 1.0))
    cap_c, cap_m = dens_c[cluster], dens_m[cluster]
    if overcommit is not None:
        hw_c = units.hosts["cores"].to_numpy(float) * overcommit
        hw_m = units.hosts["memory_gb"].to_numpy(float)
        known = (hw_c > 0) & (hw_m > 0)
        cap_c, cap_m = np.where(known, hw_c, cap_c), np.where(known, hw_m, cap_m)
    return cap_c, cap_m


def _rack_times(est: _Estate, units: _Units, rel: Releases) -> tuple[np.ndarray, np.ndarray]:
    """The day each rack is freed (its last unit freed) and its data center, per rack code."""
    rack = np.concatenate([units.host_rack, units.phys_rack])
    times = np.concatenate([rel.host, rel.phys])
    dcs = np.concatenate([units.host_dc, units.phys_dc])
    known = rack >= 0
    n = int(rack.max()) + 1 if known.any() else 0
    rack_dc = np.zeros(n, dtype=np.int64)
    rack_dc[rack[known]] = dcs[known]
    return _max_by(rack[known], times[known], n, EMPTY), rack_dc


def _events(
    metric: str, est: _Estate, u: _Units, rel: Releases, leave: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit of the metric: the day it is freed, its weight and its data center."""
    if metric == "servers":
        return _days(leave), np.ones(len(leave)), u.server_dc
    times = np.concatenate([rel.host, rel.phys])
    dcs = np.concatenate([u.host_dc, u.phys_dc])
    if metric == "hosts":
        return times, np.ones(len(times)), dcs
    if metric == "kw":
        return times, np.concatenate([est.host_power, est.phys_power]) / 1000.0, dcs
    if metric == "racks":
        rack_t, rack_dc = _rack_times(est, u, rel)
        return rack_t, np.ones(len(rack_t)), rack_dc
    ndc = len(u.dc_names)
    return _max_by(dcs, times, ndc, EMPTY), np.ones(ndc), np.arange(ndc)


def _moves_frame(prep: Prepared, rel: Releases) -> pd.DataFrame:
    """One row per retained VM that moves: from its host, cluster and rack to its destination's cluster and
    rack, on the first day of its consolidation window; by date, then server name."""
    est, hosts = prep.estate, prep.units.hosts
    vms = est.retained_vms[rel.movers]
    src = est.vm_host[vms]
    dest = est.choice.dest[rel.movers]
    pos = est.vm_pos[vms]
    frame = pd.DataFrame(
        {
            "server": prep.servers["name"].to_numpy()[pos].astype(str),
            "application": prep.servers["application"].to_numpy()[pos].astype(str),
            "datacenter": hosts["datacenter"].to_numpy(str)[src],
            "from_host": hosts["host"].to_numpy(str)[src],
            "from_cluster": hosts["cluster"].to_numpy(str)[src],
            "from_rack": hosts["rack"].to_numpy(str)[src],
            "to_cluster": hosts["cluster"].to_numpy(str)[dest],
            "to_rack": hosts["rack"].to_numpy(str)[dest],
            "date": rel.move_day.astype("datetime64[D]").astype(str),
        },
        columns=list(MOVE_COLUMNS),
    )
    return frame.sort_values(["date", "server"], kind="mergesort").reset_index(drop=True)


def _unit_counts_at(
    prep: Prepared, rel: Releases, leave_d: np.ndarray, day: int, start_d: int
) -> pd.DataFrame:
    """Per data center: hosts, racks, physical servers, kW and servers standing after ``day`` (units freed
    before the start never counted)."""
    u, est = prep.units, prep.estate
    ndc = len(u.dc_names)

    def standing(t: np.ndarray) -> np.ndarray:
        return (t >= start_d) & (t > day)

    rack_t, rack_dc = _rack_times(est, u, rel)
    h, p = standing(rel.host), standing(rel.phys)
    return pd.DataFrame(
        {
            "hosts": np.bincount(u.host_dc, weights=h, minlength=ndc),
            "racks": np.bincount(rack_dc, weights=standing(rack_t), minlength=ndc),
            "physical_servers": np.bincount(u.phys_dc, weights=p, minlength=ndc),
            "kw": np.round(
                (
                    np.bincount(u.host_dc, weights=est.host_power * h, minlength=ndc)
                    + np.bincount(u.phys_dc, weights=est.phys_power * p, minlength=ndc)
                )
                / 1000.0,
                3,
            ),
            "servers": np.bincount(u.server_dc, weights=standing(leave_d), minlength=ndc),
        }
    )


def _kept_open_by(prep: Prepared, leave_d: np.ndarray) -> dict[int, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Per data center: its retained servers by application (application name, then server names)."""
    stay = np.flatnonzero(leave_d >= NEVER_D)
    dc = prep.units.server_dc[stay]
    app = prep.servers["application"].to_numpy()[stay].astype(str)
    name = prep.servers["name"].to_numpy()[stay].astype(str)
    order = np.lexsort((name, app, dc))
    dc, app, name = dc[order], app[order], name[order]
    cut = np.flatnonzero((dc[1:] != dc[:-1]) | (app[1:] != app[:-1])) + 1
    out: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for lo, hi in zip(np.concatenate([[0], cut]), np.concatenate([cut, [len(dc)]]), strict=True):
        if hi > lo:
            out.setdefault(int(dc[lo]), []).append((str(app[lo]), tuple(name[lo:hi].tolist())))
    return {d: tuple(v) for d, v in out.items()}


def _datacenters(
    prep: Prepared,
    rel: Releases,
    leave: np.ndarray,
    events: tuple[np.ndarray, np.ndarray, np.ndarray],
    months: pd.PeriodIndex,
    start: dt.date,
    by: dt.date,
) -> tuple[DataCenterExit, ...]:
    """One entry per data center (by name): units today and at the target date, the month its last unit is
    freed (None: something stays), the retained servers that keep it open, its metric month by month."""
    u = prep.units
    leave_d, start_d = _days(leave), _day(start)
    today = _unit_counts_at(prep, rel, leave_d, start_d - 1, start_d)
    at_target = _unit_counts_at(prep, rel, leave_d, _day(by), start_d)
    dc_t = _max_by(
        np.concatenate([u.host_dc, u.phys_dc]), np.concatenate([rel.host, rel.phys]), len(u.dc_names), EMPTY
    )
    kept_by = _kept_open_by(prep, leave_d)
    times, weights, dcs = events
    out = []
    for d in np.argsort(u.dc_names.astype(str), kind="stable"):
        mine = dcs == d
        values, _ = _values(times[mine], weights[mine], months, start)
        empties = None if dc_t[d] >= NEVER_D else _month(int(max(dc_t[d], start_d)))
        out.append(
            DataCenterExit(
                name=str(u.dc_names[d]),
                today={k: float(v) for k, v in today.iloc[d].items()},
                at_target={k: float(v) for k, v in at_target.iloc[d].items()},
                empties_on=empties,
                kept_open_by=kept_by.get(int(d), ()) if empties is None else (),
                remaining=tuple(float(v) for v in values),
            )
        )
    return tuple(out)
