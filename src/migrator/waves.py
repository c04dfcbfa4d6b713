"""Pack move groups into waves.

Conditions honoured (Azure Migrate's wave planner, in priority order): (1) strong two-way dependencies and
(2) application instances are already inside move groups; (3) a dependency's target moves in the same or an
earlier wave than its source: move groups in a dependency cycle share a wave, and a group waits for the groups it
depends on; (4) dev/test waves come before production waves; (5) a wave is either production or dev/test;
(6, 7) high-criticality and high-complexity groups stay out of the first ``protected_waves`` migration waves;
(8) a wave stays within its capacity. Pins place groups in a given wave whatever the rest says. Within those
rules lower-risk groups go first and wave sizes are balanced. What could not be honoured is found afterwards by
:mod:`migrator.conditions`, never hidden.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.fastpaths import strong_components
from migrator.groups import capacity_load
from migrator.partition import partition
from migrator.settings import CapacitySettings, PlanningSettings


@dataclass(frozen=True)
class WaveAssignment:
    group_wave: np.ndarray  # wave number per move group
    group_unit: np.ndarray  # scheduling unit per move group (groups that had to share a wave)
    wave_class: dict[int, str]
    units_split: tuple[
        tuple[tuple[int, ...], int, float, int], ...
    ]  # (groups in the cyclic set, parts, cut weight, cut edges)


def group_edges(server_group: np.ndarray, edges: pd.DataFrame) -> pd.DataFrame:
    """Dependencies between move groups: src group depends on dst group, weights summed."""
    gs = server_group[edges["src"].to_numpy()]
    gd = server_group[edges["dst"].to_numpy()]
    keep = (gs >= 0) & (gd >= 0) & (gs != gd)
    frame = pd.DataFrame({"src": gs[keep], "dst": gd[keep], "weight": edges["weight"].to_numpy()[keep]})
    return frame.groupby(["src", "dst"], sort=True)["weight"].sum().reset_index()


def _units(
    groups: pd.DataFrame, gedges: pd.DataFrame, cap: CapacitySettings
) -> tuple[np.ndarray, list[tuple[tuple[int, ...], int, float, int]]]:
    """Scheduling units: strongly connected sets of groups (they must share a wave), split by pin and by capacity."""
    ng = len(groups)
    scc = strong_components(ng, gedges["src"].to_numpy(), gedges["dst"].to_numpy())
    pin = groups["pin"].fillna(-1).to_numpy()
    unit, _ = pd.factorize(pd.MultiIndex.from_arrays([scc, pin]), sort=True)
    unit = np.asarray(unit, dtype=np.int64)
    splits: list[tuple[tuple[int, ...], int, float, int]] = []
    sizes = np.bincount(unit)
    multi = np.flatnonzero(sizes > 1)
    if len(multi):
        load = capacity_load(groups, cap)
        uload = np.zeros((len(sizes), 3))
        np.add.at(uload, unit, load)
        over = [u for u in multi if (uload[u] > 1 + 1e-9).any()]
        next_unit = int(unit.max()) + 1
        for u in over:
            members = np.flatnonzero(unit == u)
            local = np.full(ng, -1, dtype=np.int64)
            local[members] = np.arange(len(members))
            ls, ld = local[gedges["src"].to_numpy()], local[gedges["dst"].to_numpy()]
            inside = (ls >= 0) & (ld >= 0)
            part = partition(
                len(members), ls[inside], ld[inside], gedges["weight"].to_numpy()[inside], load[members]
            )
            for p in range(1, part.k):
                unit[members[part.parts == p]] = next_unit
                next_unit += 1
            splits.append((tuple(int(m) for m in members), part.k, part.cut_weight, part.cut_edges))
    return unit, splits


def schedule(
    groups: pd.DataFrame,
    gedges: pd.DataFrame,
    cap: CapacitySettings,
    planning: PlanningSettings,
    first_wave: int,
) -> WaveAssignment:
    ng = len(groups)
    if ng == 0:
        return WaveAssignment(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), {}, ())
    unit, splits = _units(groups, gedges, cap)
    nu = int(unit.max()) + 1
    load = capacity_load(groups, cap)
    uload = np.zeros((nu, 3))
    np.add.at(uload, unit, load)
    g = groups.assign(unit=unit, is_prod=groups["klass"].eq("prod"))
    agg = g.groupby("unit", sort=True).agg(
        prod=("is_prod", "max"),
        crit=("crit", "max"),
        cplx=("complexity", "max"),
        pin=("pin", "min"),
        name=("name", "min"),
    )
    is_prod = agg["prod"].to_numpy()
    held = ((agg["crit"].to_numpy() >= 2) | (agg["cplx"].to_numpy() >= 2)) & (planning.protected_waves > 0)
    pin = agg["pin"].to_numpy()
    risk = agg["crit"].to_numpy() * 3 + agg["cplx"].to_numpy()
    names = agg["name"].to_numpy()
    order_key = np.lexsort((names, risk))  # lower risk first, then name
    rank = np.empty(nu, dtype=np.int64)
    rank[order_key] = np.arange(nu)

    # Unit-level dependencies; cycles left after capacity splits are broken (those edges become violations).
    us, ud = unit[gedges["src"].to_numpy()], unit[gedges["dst"].to_numpy()]
    keep = us != ud
    uedges = pd.DataFrame({"src": us[keep], "dst": ud[keep], "w": gedges["weight"].to_numpy()[keep]})
    uedges = uedges.groupby(["src", "dst"], sort=True)["w"].sum().reset_index()
    if len(uedges):
        uscc = strong_components(nu, uedges["src"].to_numpy(), uedges["dst"].to_numpy())
        cyc = uscc[uedges["src"].to_numpy()] == uscc[uedges["dst"].to_numpy()]
        if cyc.any():
            # Within a cycle, a unit many others depend on goes first: keep edges pointing to an earlier unit.
            inflow = np.bincount(uedges.loc[cyc, "dst"], weights=uedges.loc[cyc, "w"], minlength=nu)
            outflow = np.bincount(uedges.loc[cyc, "src"], weights=uedges.loc[cyc, "w"], minlength=nu)
            score = outflow - inflow
            pos = np.lexsort((rank, score))
            order = np.empty(nu, dtype=np.int64)
            order[pos] = np.arange(nu)
            consistent = order[uedges["dst"].to_numpy()] < order[uedges["src"].to_numpy()]
            uedges = uedges[~cyc | consistent]
    # Pinned units do not wait for their targets; units depending on them do wait for them.
    pinned = pin >= 0
    waiting = (
        np.bincount(uedges["src"], minlength=nu).astype(np.int64)
        if len(uedges)
        else np.zeros(nu, dtype=np.int64)
    )
    dependants: dict[int, list[int]] = {}
    if len(uedges):
        for d, s in zip(uedges["dst"].to_numpy().tolist(), uedges["src"].to_numpy().tolist(), strict=True):
            dependants.setdefault(d, []).append(s)

    # Balanced per-class limits (condition 8 is the hard cap; balancing is a soft target below it).
    soft = {}
    for klass, mask in (("nonprod", ~is_prod & ~pinned), ("prod", is_prod & ~pinned)):
        total = uload[mask].sum(axis=0)
        waves_needed = max(1, int(np.ceil(total.max() - 1e-9))) if mask.any() else 1
        soft[klass] = np.minimum(1.0, total / waves_needed * 1.08) if cap.balance else np.ones(3)
        soft[klass] = np.maximum(soft[klass], 1e-9)

    heaps: dict[tuple[str, bool], list[tuple[int, int]]] = {
        (k, h): [] for k in ("nonprod", "prod") for h in (False, True)
    }

    def push(u: int) -> None:
        heapq.heappush(heaps[("prod" if is_prod[u] else "nonprod", bool(held[u]))], (int(rank[u]), u))

    for u in np.flatnonzero((waiting == 0) & ~pinned).tolist():
        push(u)
    pinned_by_wave: dict[int, list[int]] = {}
    for u in np.flatnonzero(pinned).tolist():
        pinned_by_wave.setdefault(int(pin[u]), []).append(u)

    unit_wave = np.full(nu, -1, dtype=np.int64)
    wave_class: dict[int, str] = {}
    placed = 0
    w = first_wave

    # Units that became ready because of a placement in the current wave: tried first, so that a group and the
    # groups depending on it land together when capacity allows (fewer dependencies crossing waves).
    affine: list[tuple[int, int]] = []

    def place(u: int, wave: int) -> None:
        nonlocal placed
        unit_wave[u] = wave
        placed += 1
        for s in dependants.get(u, ()):
            waiting[s] -= 1
            if waiting[s] == 0 and not pinned[s] and unit_wave[s] < 0:
                push(s)
                heapq.heappush(affine, (int(rank[s]), s))

    guard = 0
    while placed < nu:
        guard += 1
        if guard > 4 * nu + 10_000:  # pragma: no cover - defensive
            raise RuntimeError("wave scheduling did not converge")
        used = np.zeros(3)
        forced = pinned_by_wave.pop(w, [])
        for u in forced:
            used += uload[u]
        protected = (w - first_wave) < planning.protected_waves
        if forced:
            n_prod = sum(bool(is_prod[u]) for u in forced)
            klass = "prod" if n_prod * 2 > len(forced) else "nonprod"
        else:
            klass = ""
            for k in ("nonprod", "prod"):
                if heaps[(k, False)] or (not protected and heaps[(k, True)]):
                    klass = k
                    break
            if not klass:
                for k in ("nonprod", "prod"):
                    if heaps[(k, True)]:
                        klass = k
                        break
        if not klass:
            if pinned_by_wave:
                w = min(pinned_by_wave)
                continue
            # Only units waiting on each other remain (cannot happen after cycle breaking); release the best one.
            rest = np.flatnonzero((unit_wave < 0) & ~pinned)
            best: int = int(rest[np.argmin(rank[rest])])
            waiting[best] = 0
            push(best)
            continue
        wave_class[w] = klass
        for u in forced:
            place(u, w)
        candidates = [(klass, False)] if protected else [(klass, False), (klass, True)]
        limit = soft[klass]
        took_any = bool(forced)
        affine.clear()
        for key in candidates:
            heap = heaps[key]
            skipped: list[tuple[int, int]] = []
            while len(skipped) < 64:
                u = -1
                while affine:
                    _, a = heapq.heappop(affine)
                    if (
                        unit_wave[a] < 0
                        and bool(is_prod[a]) == (klass == "prod")
                        and not (protected and held[a])
                        and ((used + uload[a]) <= limit + 1e-9).all()
                    ):
                        u = a
                        break
                if u < 0:
                    if not heap:
                        break
                    item = heapq.heappop(heap)
                    u = item[1]
                    if unit_wave[u] >= 0:
                        continue
                    if took_any and not ((used + uload[u]) <= limit + 1e-9).all():
                        skipped.append(item)
                        continue
                place(u, w)
                used += uload[u]
                took_any = True
                if (used >= limit - 1e-9).any():
                    break
            for item in skipped:
                heapq.heappush(heap, item)
        if not took_any and protected:
            # Nothing but held units is ready: place the lowest-risk held one rather than leave the wave empty.
            heap = heaps[(klass, True)]
            u = heapq.heappop(heap)[1]
            place(u, w)
        w += 1
    group_wave = unit_wave[unit]
    return WaveAssignment(
        group_wave=group_wave, group_unit=unit, wave_class=wave_class, units_split=tuple(splits)
    )
