"""Consolidation of what stays: which hosts keep the retained VMs, and where each retained VM moves.

Retained VMs (servers that never leave) are packed onto the fewest hosts in the fewest racks of their scope:
their cluster (``consolidation = "cluster"``, what DRS does) or their data center (``"datacenter"``: a VM
may move to another cluster of the same data center). A scope keeps enough hosts to hold its retained load at
each host's capacity (today's density of its cluster, or hosts.csv cores x ``overcommit`` and memory_gb)
plus the HA reserve of every cluster it keeps hosts in. Hosts are taken rack by rack: racks already kept
open (retained physical servers, racks another scope keeps) first, then the racks offering most capacity,
ties to the racks with most retained load (fewer moves), then by name. In a data center two orders are
tried, rack by rack and cluster by cluster (one HA reserve per cluster kept), and the one keeping fewer
racks, then fewer hosts, then moving fewer VMs wins. A scope whose retained load does not fit its hosts
keeps its VMs where they are.

Loops run over scopes (clusters or data centers), never over servers: moves are assigned by running sums.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

EPS = 1e-9


@dataclass(frozen=True)
class HostTable:
    """The hosts as arrays: cluster, data-center and rack codes (rack -1 unknown), capacity per host."""

    cluster: np.ndarray
    dc: np.ndarray
    rack: np.ndarray
    cap_cores: np.ndarray
    cap_mem: np.ndarray
    reserve: np.ndarray  # HA reserve hosts per cluster code

    @cached_property
    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean vCPU and memory capacity of a host, per cluster code (the size of a reserve host)."""
        n = np.maximum(np.bincount(self.cluster), 1)
        return (
            np.bincount(self.cluster, weights=self.cap_cores) / n,
            np.bincount(self.cluster, weights=self.cap_mem) / n,
        )


@dataclass(frozen=True)
class Retained:
    """The retained VMs: host code, cores, memory, and a sort key (name order) per VM."""

    host: np.ndarray
    cores: np.ndarray
    mem: np.ndarray
    name_rank: np.ndarray


@dataclass(frozen=True)
class Choice:
    """Hosts kept for the retained load, each retained VM's destination host, scopes that could not fit."""

    kept: np.ndarray  # bool per host
    pick_rank: np.ndarray  # per host: position in its scope's chosen order (kept hosts fill in this order)
    dest: np.ndarray  # destination host per retained VM (its own host when it stays)
    infeasible: tuple[tuple[int, float, float, float, float], ...]  # scope, need cores/mem, has cores/mem


def scope_of(mode: str, hosts: HostTable) -> np.ndarray:
    """The consolidation scope of every host: its cluster, or its data center."""
    return hosts.dc if mode == "datacenter" else hosts.cluster


def choose(mode: str, hosts: HostTable, retained: Retained, forced_racks: np.ndarray) -> Choice:
    """The hosts that stay and where each retained VM goes (``mode`` cluster or datacenter)."""
    nh = len(hosts.cluster)
    scope = scope_of(mode, hosts)
    nscope = int(scope.max()) + 1 if nh else 0
    r_cores = np.bincount(retained.host, weights=retained.cores, minlength=nh)
    r_mem = np.bincount(retained.host, weights=retained.mem, minlength=nh)
    r_count = np.bincount(retained.host, minlength=nh)
    has_ret = np.bincount(scope, weights=r_count, minlength=nscope) > 0
    nrack = int(max(hosts.rack.max(initial=-1), forced_racks.max(initial=-1))) + 1
    open_racks = np.zeros(nrack + 1, dtype=bool)  # last slot: unknown rack (never "open")
    open_racks[forced_racks[forced_racks >= 0]] = True
    kept = np.zeros(nh, dtype=bool)
    pick_rank = np.full(nh, nh, dtype=np.int64)
    infeasible = []
    members_of = _members(scope, nscope)
    # Largest scopes first, so smaller ones fill racks the larger ones keep open; name (code) breaks ties.
    need = np.bincount(scope, weights=r_cores, minlength=nscope)
    for s in np.lexsort((np.arange(nscope), -need)):
        if not has_ret[s]:
            continue
        idx = members_of[s]
        load = (float(r_cores[idx].sum()), float(r_mem[idx].sum()))
        orders = [_rack_first(idx, hosts, r_cores, open_racks)]
        if mode == "datacenter":
            orders.append(_cluster_first(idx, hosts, r_cores, open_racks))
        best = _best_pick(orders, hosts, load, r_count, open_racks)
        if best is None:
            has = (float(hosts.cap_cores[idx].sum()), float(hosts.cap_mem[idx].sum()))
            infeasible.append((int(s), load[0], load[1], has[0], has[1]))
            kept[idx[r_count[idx] > 0]] = True  # its retained VMs stay where they are
            continue
        order, n = best
        kept[order[:n]] = True
        pick_rank[order] = np.arange(len(order))
        open_racks[hosts.rack[order[:n]]] = True
    dest = _assign(hosts, scope, kept, pick_rank, retained, r_cores)
    return Choice(kept=kept, pick_rank=pick_rank, dest=dest, infeasible=tuple(infeasible))


def _members(codes: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]


def _rack_stats(idx: np.ndarray, hosts: HostTable, r_cores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per host of ``idx``: the capacity and the retained load of its rack within the scope (a host without a
    rack is a rack of its own)."""
    rack = hosts.rack[idx]
    key = np.where(rack >= 0, rack, -1 - np.arange(len(idx)))
    _, inv = np.unique(key, return_inverse=True)
    cap = np.bincount(inv, weights=hosts.cap_cores[idx])[inv]
    ret = np.bincount(inv, weights=r_cores[idx])[inv]
    return cap, ret


def _rack_first(idx: np.ndarray, hosts: HostTable, r_cores: np.ndarray, open_racks: np.ndarray) -> np.ndarray:
    """Hosts of a scope rack by rack: open racks, most capacity, most retained load, rack code; inside a rack
    most retained load, then host code."""
    cap, ret = _rack_stats(idx, hosts, r_cores)
    rack = hosts.rack[idx]
    closed = ~open_racks[rack]
    keys = (idx, -r_cores[idx], rack, -ret, -np.round(cap, 6), closed)
    return idx[np.lexsort(keys)]


def _cluster_first(
    idx: np.ndarray, hosts: HostTable, r_cores: np.ndarray, open_racks: np.ndarray
) -> np.ndarray:
    """Hosts of a data center cluster by cluster (most capacity, most retained load, code), and inside a
    cluster rack by rack as :func:`_rack_first`."""
    cl = hosts.cluster[idx]
    _, inv = np.unique(cl, return_inverse=True)
    c_cap = np.bincount(inv, weights=hosts.cap_cores[idx])[inv]
    c_ret = np.bincount(inv, weights=r_cores[idx])[inv]
    cap, ret = _rack_stats(idx, hosts, r_cores)
    rack = hosts.rack[idx]
    closed = ~open_racks[rack]
    keys = (idx, -r_cores[idx], rack, -ret, -np.round(cap, 6), closed, cl, -c_ret, -np.round(c_cap, 6))
    return idx[np.lexsort(keys)]


def _best_pick(
    orders: Sequence[np.ndarray],
    hosts: HostTable,
    load: tuple[float, float],
    r_count: np.ndarray,
    open_racks: np.ndarray,
) -> tuple[np.ndarray, int] | None:
    """The order (and how many of its first hosts) keeping fewest new racks, then hosts, then moving fewest
    VMs; None when no order holds the load."""
    best: tuple[tuple[int, int, int], np.ndarray, int] | None = None
    for order in orders:
        picked = _prefix(order, hosts, load)
        if picked is None:
            continue
        order, n = picked
        racks = hosts.rack[order[:n]]
        new_racks = len(np.unique(racks[(racks >= 0) & ~open_racks[racks]]))
        moved = int(r_count[order[n:]].sum())
        score = (new_racks, n, moved)
        if best is None or score < best[0]:
            best = (score, order, n)
    return None if best is None else (best[1], best[2])


def _prefix(order: np.ndarray, hosts: HostTable, load: tuple[float, float]) -> tuple[np.ndarray, int] | None:
    """The fewest first hosts of ``order`` holding ``load`` once every cluster they touch keeps its HA reserve
    (reserve hosts at the cluster's mean capacity); a cluster contributing no more than its reserve is dropped
    and the hosts after it tried. Returns the order (possibly rearranged) and the count kept."""
    means = hosts.means
    n = _covering(order, hosts, load, means)
    if n is None:
        return None
    for _ in range(3):
        cl = hosts.cluster[order[:n]]
        uniq, counts = np.unique(cl, return_counts=True)
        useless = uniq[counts <= hosts.reserve[uniq]]
        if len(useless) == 0:
            return order, n
        drop = np.isin(hosts.cluster[order], useless) & (np.arange(len(order)) < n)
        trial = np.concatenate([order[~drop], order[drop]])
        m = _covering(trial, hosts, load, means)
        if m is None or m > n:
            return order, n
        order, n = trial, m
    return order, n


def _covering(
    order: np.ndarray, hosts: HostTable, load: tuple[float, float], means: tuple[np.ndarray, np.ndarray]
) -> int | None:
    cl = hosts.cluster[order]
    first = np.zeros(len(order), dtype=bool)
    _, first_pos = np.unique(cl, return_index=True)
    first[first_pos] = True
    mean_c, mean_m = means
    res = hosts.reserve[cl] * first
    eff_c = np.cumsum(hosts.cap_cores[order]) - np.cumsum(res * mean_c[cl])
    eff_m = np.cumsum(hosts.cap_mem[order]) - np.cumsum(res * mean_m[cl])
    ok = np.flatnonzero((eff_c >= load[0] - EPS) & (eff_m >= load[1] - EPS))
    return int(ok[0]) + 1 if len(ok) else None


def _assign(
    hosts: HostTable,
    scope: np.ndarray,
    kept: np.ndarray,
    pick_rank: np.ndarray,
    retained: Retained,
    r_cores: np.ndarray,
) -> np.ndarray:
    """Each retained VM's destination: its own host when kept, else the kept hosts of its scope filled in
    their chosen order by running sums of spare vCPU capacity (the last ones filled hold the HA reserve)."""
    dest = retained.host.copy()
    movers = np.flatnonzero(~kept[retained.host])
    if len(movers) == 0:
        return dest
    nscope = int(scope.max()) + 1
    targets = np.flatnonzero(kept)
    targets = targets[np.lexsort((targets, pick_rank[targets], scope[targets]))]
    spare = np.maximum(hosts.cap_cores[targets] - r_cores[targets], 0.0)
    cum = np.cumsum(spare)
    t_scope = scope[targets]
    seg_lo = np.searchsorted(t_scope, np.arange(nscope), side="left")
    seg_hi = np.searchsorted(t_scope, np.arange(nscope), side="right")
    base = np.concatenate([[0.0], cum])[seg_lo]
    m_scope = scope[retained.host[movers]]
    movers = movers[np.lexsort((retained.name_rank[movers], m_scope))]
    m_scope = scope[retained.host[movers]]
    size = retained.cores[movers]
    run = np.cumsum(size)
    seg_start = np.searchsorted(m_scope, m_scope, side="left")
    before = np.concatenate([[0.0], run])[seg_start]
    start = run - size - before  # vCPUs placed before this VM in its scope
    pos = np.searchsorted(cum, base[m_scope] + start, side="right")
    pos = np.clip(pos, seg_lo[m_scope], seg_hi[m_scope] - 1)
    dest[movers] = targets[pos]
    return dest


def window_starts(
    days: np.ndarray, freezes: Sequence[tuple[dt.date, dt.date]], length_days: int, never: np.datetime64
) -> np.ndarray:
    """The first day of the consolidation window after each day: the next day, or the day after a freeze the
    window (``length_days`` long) would overlap. ``never`` stays ``never``."""
    out = np.full(len(days), never, dtype="datetime64[D]")
    finite = days < never
    if not finite.any():
        return out
    uniq, inv = np.unique(days[finite], return_inverse=True)
    ordered = sorted(freezes)
    starts = []
    for day in uniq.astype(dt.date):
        start = day + dt.timedelta(days=1)
        moved = True
        while moved:
            moved = False
            for f_start, f_end in ordered:
                if start <= f_end and start + dt.timedelta(days=length_days - 1) >= f_start:
                    start, moved = f_end + dt.timedelta(days=1), True
        starts.append(np.datetime64(start, "D"))
    out[finite] = np.array(starts, dtype="datetime64[D]")[inv]
    return out
