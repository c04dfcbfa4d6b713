"""Pack move groups into waves.

Conditions honoured (Azure Migrate's wave planner, in priority order): (1) strong two-way dependencies
and (2) application instances are already inside move groups; (3) a dependency's target moves in the same or
an earlier wave than its source: move groups in a dependency cycle share a wave, and a group waits for the
groups it depends on; (4) dev/test waves come before production waves; (5) a wave is either production or
dev/test; (6, 7) high-criticality and high-complexity groups stay out of the first ``protected_waves``
migration waves; (8) a wave stays within its capacity. Pins place groups in a given wave whatever the rest
says. Within those rules lower-risk groups go first and wave sizes are balanced. What could not be honoured is
found afterwards by :mod:`migrator.conditions`, never hidden.

The scheduler places *bundles*: sets of move groups that must share a wave (a dependency cycle, split by pin
and, when it exceeds a wave's capacity, along its weakest dependencies). It walks the waves in order; each
wave takes a kind (production or dev/test), then is filled from the ready bundles of that class, lowest risk
first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from migrator.fastpaths import lowest_text, pair_codes, strong_components
from migrator.groups import capacity_load
from migrator.partition import partition
from migrator.settings import CapacitySettings, PlanningSettings

Split = tuple[tuple[int, ...], int, float, int]
"""A bundle split for capacity: (its move groups, parts, cut weight, cut edges)."""

CLASSES = ("nonprod", "prod")  # in the order their waves come (condition 4)
MAX_SKIPPED = 64  # bundles too large for the wave's room that are passed over before the wave is closed
EPS = 1e-9


@dataclass(frozen=True)
class WaveAssignment:
    group_wave: np.ndarray  # wave number per move group
    group_bundle: np.ndarray  # bundle per move group (groups that had to share a wave)
    wave_kind: dict[int, str]  # "prod" or "nonprod" per wave
    bundles_split: tuple[Split, ...]  # bundles split for capacity


def group_edges(server_group: np.ndarray, edges: pd.DataFrame) -> pd.DataFrame:
    """Dependencies between move groups: src group depends on dst group, weights summed."""
    gs = server_group[edges["src"].to_numpy()]
    gd = server_group[edges["dst"].to_numpy()]
    keep = (gs >= 0) & (gd >= 0) & (gs != gd)
    frame = pd.DataFrame({"src": gs[keep], "dst": gd[keep], "weight": edges["weight"].to_numpy()[keep]})
    return frame.groupby(["src", "dst"], sort=True)["weight"].sum().reset_index()


def schedule(
    groups: pd.DataFrame,
    gedges: pd.DataFrame,
    cap: CapacitySettings,
    planning: PlanningSettings,
    first_wave: int,
    group_system: np.ndarray | None = None,
) -> WaveAssignment:
    """A wave for every move group, from ``first_wave`` on (the rules are in the module docstring).
    ``group_system`` gives the coupled system of each move group (-1 for none, :mod:`migrator.systems`)."""
    if len(groups) == 0:
        return WaveAssignment(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), {}, ())
    bundle, splits = _bundles(groups, gedges, cap)
    systems = np.full(len(groups), -1, dtype=np.int64) if group_system is None else group_system
    facts = _bundle_facts(groups.assign(system=systems), bundle, cap, planning)
    dependencies = _bundle_dependencies(bundle, gedges, facts.rank)
    scheduler = _Scheduler.start(facts, dependencies, _soft_limits(facts, cap.balance))
    scheduler.run(first_wave, planning.protected_waves)
    return WaveAssignment(
        group_wave=np.asarray(scheduler.bundle_wave, dtype=np.int64)[bundle],
        group_bundle=bundle,
        wave_kind=scheduler.wave_kind,
        bundles_split=tuple(splits),
    )


# Bundles ----------------------------------------------------------------------------------------------------


def _bundles(
    groups: pd.DataFrame, gedges: pd.DataFrame, cap: CapacitySettings
) -> tuple[np.ndarray, list[Split]]:
    """Bundle per move group: strongly connected sets of groups (they must share a wave), split by pin and
    by capacity; and the capacity splits made."""
    scc = strong_components(len(groups), gedges["src"].to_numpy(), gedges["dst"].to_numpy())
    bundle = pair_codes(scc, groups["pin"].fillna(-1).to_numpy(float))
    sizes = np.bincount(bundle)
    multi = np.flatnonzero(sizes > 1)
    splits: list[Split] = []
    if not len(multi):
        return bundle, splits
    load = capacity_load(groups, cap)
    bundle_load = np.zeros((len(sizes), 3))
    np.add.at(bundle_load, bundle, load)
    over = multi[(bundle_load[multi] > 1 + EPS).any(axis=1)]
    if not len(over):
        return bundle, splits
    src, dst, weight = gedges["src"].to_numpy(), gedges["dst"].to_numpy(), gedges["weight"].to_numpy()
    inner = np.flatnonzero(bundle[src] == bundle[dst])
    inner = inner[np.argsort(bundle[src[inner]], kind="stable")]  # each bundle's edges, in their order
    edge_starts = np.searchsorted(bundle[src[inner]], over)
    edge_ends = np.searchsorted(bundle[src[inner]], over, side="right")
    by_bundle = np.argsort(bundle, kind="stable")
    member_starts = np.searchsorted(bundle[by_bundle], over)
    next_id = int(bundle.max()) + 1
    local = np.full(len(load), -1, dtype=np.int64)
    for b, e0, e1, m0 in zip(over.tolist(), edge_starts, edge_ends, member_starts, strict=True):
        members = by_bundle[m0 : m0 + sizes[b]]
        edges = inner[e0:e1]
        local[members] = np.arange(len(members))
        part = partition(len(members), local[src[edges]], local[dst[edges]], weight[edges], load[members])
        for p in range(1, part.k):
            bundle[members[part.parts == p]] = next_id
            next_id += 1
        splits.append((tuple(members.tolist()), part.k, part.cut_weight, part.cut_edges))
    return bundle, splits


@dataclass(frozen=True)
class _BundleFacts:
    """What the scheduler knows of each bundle (arrays indexed by bundle)."""

    load: np.ndarray  # bundles x 3: servers, vCPU, storage as fractions of a wave's capacity
    is_prod: np.ndarray  # holds a production group (then the whole bundle moves in a production wave)
    held: np.ndarray  # kept out of the protected first waves (conditions 6 and 7)
    pin: np.ndarray  # pinned wave, NaN when not pinned
    pinned: np.ndarray
    rank: np.ndarray  # order of preference: lower risk first, then name


def _bundle_facts(
    groups: pd.DataFrame, bundle: np.ndarray, cap: CapacitySettings, planning: PlanningSettings
) -> _BundleFacts:
    n_bundles = int(bundle.max()) + 1
    load = np.zeros((n_bundles, 3))
    np.add.at(load, bundle, capacity_load(groups, cap))
    g = groups.assign(bundle=bundle, is_prod=groups["klass"].eq("prod"))
    if n_bundles == len(groups):  # every move group a bundle of its own: its facts are the group's
        columns = {"is_prod": "prod", "crit": "crit", "complexity": "cplx", "pin": "pin", "name": "name"}
        by_bundle = np.empty(n_bundles, dtype=np.int64)
        by_bundle[bundle] = np.arange(n_bundles)
        agg = g[[*columns, "system"]].iloc[by_bundle].rename(columns=columns).reset_index(drop=True)
    else:
        by = g.groupby("bundle", sort=True)
        agg = by.agg(
            prod=("is_prod", "max"),
            crit=("crit", "max"),
            cplx=("complexity", "max"),
            pin=("pin", "min"),
            system=("system", "max"),
        )
        agg["name"] = lowest_text(g["name"], g["bundle"])
    crit, cplx = agg["crit"].to_numpy(), agg["cplx"].to_numpy()
    held = ((crit >= 2) | (cplx >= 2)) & (planning.protected_waves > 0)
    pin = agg["pin"].to_numpy()
    return _BundleFacts(
        load=load,
        is_prod=agg["prod"].to_numpy(),
        held=held,
        pin=pin,
        pinned=pin >= 0,
        rank=_rank(agg.assign(risk=crit * 3 + cplx, held=held)),
    )


def _rank(agg: pd.DataFrame) -> np.ndarray:
    """Order of preference of the bundles: lower risk first, then name; but the bundles of a coupled system
    (of one class, held or not) are ranked together, at the lowest risk and name among them, so that they
    fill the same wave and spill into the next one."""
    in_system = agg["system"].to_numpy() >= 0
    system = agg[in_system]
    together = [system["system"], system["prod"], system["held"]]
    key_risk = agg["risk"].to_numpy().copy()
    key_name = agg["name"].to_numpy(dtype=object).copy()
    key_risk[in_system] = system["risk"].groupby(together, sort=True).transform("min").to_numpy()
    key_name[in_system] = lowest_text(system["name"], together, transform=True).to_numpy(dtype=object)
    order = np.lexsort((agg["name"].to_numpy(), agg["risk"].to_numpy(), key_name, key_risk))
    rank = np.empty(len(agg), dtype=np.int64)
    rank[order] = np.arange(len(agg))
    return rank


def _bundle_dependencies(bundle: np.ndarray, gedges: pd.DataFrame, rank: np.ndarray) -> pd.DataFrame:
    """Dependencies between bundles (src waits for dst); cycles left after capacity splits are broken (those
    edges become violations)."""
    bs, bd = bundle[gedges["src"].to_numpy()], bundle[gedges["dst"].to_numpy()]
    keep = bs != bd
    edges = pd.DataFrame({"src": bs[keep], "dst": bd[keep], "w": gedges["weight"].to_numpy()[keep]})
    edges = edges.groupby(["src", "dst"], sort=True)["w"].sum().reset_index()
    if not len(edges):
        return edges
    scc = strong_components(len(rank), edges["src"].to_numpy(), edges["dst"].to_numpy())
    cyclic = scc[edges["src"].to_numpy()] == scc[edges["dst"].to_numpy()]
    if not cyclic.any():
        return edges
    return edges[~cyclic | _points_earlier(edges, cyclic, rank)]


def _points_earlier(edges: pd.DataFrame, cyclic: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Within a cycle, a bundle many others depend on goes first: the edges pointing to an earlier bundle."""
    n = len(rank)
    inflow = np.bincount(edges.loc[cyclic, "dst"], weights=edges.loc[cyclic, "w"], minlength=n)
    outflow = np.bincount(edges.loc[cyclic, "src"], weights=edges.loc[cyclic, "w"], minlength=n)
    pos = np.lexsort((rank, outflow - inflow))
    order = np.empty(n, dtype=np.int64)
    order[pos] = np.arange(n)
    return order[edges["dst"].to_numpy()] < order[edges["src"].to_numpy()]


def _soft_limits(facts: _BundleFacts, balance: bool) -> dict[str, np.ndarray]:
    """Per-class wave limits: condition 8 is the hard cap; balancing is a soft target below it, the class's
    load spread evenly over the waves it needs (plus 8%)."""
    soft = {}
    for klass, mask in (("nonprod", ~facts.is_prod & ~facts.pinned), ("prod", facts.is_prod & ~facts.pinned)):
        total = facts.load[mask].sum(axis=0)
        waves_needed = max(1, int(np.ceil(total.max() - EPS))) if mask.any() else 1
        limit = np.minimum(1.0, total / waves_needed * 1.08) if balance else np.ones(3)
        soft[klass] = np.maximum(limit, EPS)
    return soft


# The scheduler ----------------------------------------------------------------------------------------------


@dataclass
class _Wave:
    """The wave being filled (plain floats: the scheduler checks a wave's room once per bundle tried)."""

    number: int
    kind: str
    protected: bool  # one of the first ``protected_waves``: held bundles stay out
    top: tuple[float, ...]  # the limit plus the tolerance: a bundle fits while the load stays within it
    floor: tuple[float, ...]  # the limit less the tolerance: the wave is full once a load reaches it
    used: list[float]
    took_any: bool
    load: tuple[
        list[float], ...
    ]  # servers, vCPU and storage of every bundle (three lists: no list per bundle)

    def fits(self, b: int) -> bool:
        """Whether bundle ``b`` fits in the room left."""
        used, top, (servers, cores, storage) = self.used, self.top, self.load
        return (
            used[0] + servers[b] <= top[0] and used[1] + cores[b] <= top[1] and used[2] + storage[b] <= top[2]
        )

    def full(self) -> bool:
        used, floor = self.used, self.floor
        return used[0] >= floor[0] or used[1] >= floor[1] or used[2] >= floor[2]

    def add(self, b: int) -> None:
        used, (servers, cores, storage) = self.used, self.load
        used[0] += servers[b]
        used[1] += cores[b]
        used[2] += storage[b]


def _new_heaps() -> dict[tuple[str, bool], list[int]]:
    return {(klass, held): [] for klass in CLASSES for held in (False, True)}


@dataclass
class _Scheduler:
    """The bundles' facts as plain lists (the scheduler visits bundles one at a time)."""

    facts: _BundleFacts
    soft: dict[str, np.ndarray]  # wave limit per class
    waiting: list[int]  # per bundle: how many bundles it still waits for
    dependants: list[int]  # the bundles waiting for each bundle, bundle by bundle
    dependants_start: list[int]  # where each bundle's run in ``dependants`` starts (one more than bundles)
    pinned_by_wave: dict[int, list[int]]  # pinned bundles not yet placed
    bundle_wave: list[int]  # -1 until placed
    load: tuple[list[float], ...] = ()  # servers, vCPU, storage per bundle
    is_prod: list[bool] = field(default_factory=list)
    held: list[bool] = field(default_factory=list)
    pinned: list[bool] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    wave_kind: dict[int, str] = field(default_factory=dict)
    placed: int = 0
    by_rank: list[int] = field(default_factory=list)  # the bundle of each rank
    # Ready bundles by (class, held), as their ranks (distinct: a heap of ints pops in rank order, and fast);
    # a placed bundle may linger and is skipped when popped.
    heaps: dict[tuple[str, bool], list[int]] = field(default_factory=_new_heaps)
    # Bundles made ready by a placement in the current wave: tried first, so that a group and the groups
    # depending on it land together when capacity allows (fewer dependencies crossing waves).
    affine: list[int] = field(default_factory=list)  # ranks

    @classmethod
    def start(
        cls, facts: _BundleFacts, dependencies: pd.DataFrame, soft: dict[str, np.ndarray]
    ) -> _Scheduler:
        n = len(facts.rank)
        src, dst = dependencies["src"].to_numpy(), dependencies["dst"].to_numpy()
        waiting = np.bincount(src, minlength=n).astype(np.int64) if len(src) else np.zeros(n, dtype=np.int64)
        by_dst = np.argsort(dst, kind="stable")  # each bundle's dependants in the order of the dependencies
        # Pinned bundles do not wait for their targets; bundles depending on them do wait for them.
        pinned_by_wave: dict[int, list[int]] = {}
        for b in np.flatnonzero(facts.pinned).tolist():
            pinned_by_wave.setdefault(int(facts.pin[b]), []).append(b)
        scheduler = cls(
            facts,
            soft,
            waiting.tolist(),
            src[by_dst].tolist(),
            np.searchsorted(dst[by_dst], np.arange(n + 1)).tolist(),
            pinned_by_wave,
            [-1] * n,
            load=tuple(facts.load.T.tolist()),
            is_prod=facts.is_prod.astype(bool).tolist(),
            held=facts.held.astype(bool).tolist(),
            pinned=facts.pinned.astype(bool).tolist(),
            rank=facts.rank.tolist(),
            by_rank=np.argsort(facts.rank).tolist(),
        )
        ready = (waiting == 0) & ~facts.pinned
        for (klass, held), heap in scheduler.heaps.items():
            prod = facts.is_prod.astype(bool) == (klass == "prod")
            heap.extend(facts.rank[ready & prod & (facts.held.astype(bool) == held)].tolist())
            heapq.heapify(heap)
        return scheduler

    def run(self, first_wave: int, protected_waves: int) -> None:
        """Fill waves in order until every bundle is placed."""
        n = len(self.facts.rank)
        number = first_wave
        guard = 0
        while self.placed < n:
            guard += 1
            if guard > 4 * n + 10_000:  # pragma: no cover - defensive
                raise RuntimeError("wave scheduling did not converge")
            forced = self.pinned_by_wave.pop(number, [])
            protected = (number - first_wave) < protected_waves
            kind = self.choose_next_wave_kind(forced, protected)
            if kind:
                self.fill_wave(number, kind, protected, forced)
                number += 1
            elif self.pinned_by_wave:
                number = min(self.pinned_by_wave)  # nothing ready before the next pinned wave
            else:
                self.release_best()

    def choose_next_wave_kind(self, forced: list[int], protected: bool) -> str:
        """A pinned wave takes its pins' majority class; otherwise dev/test while any is ready (condition 4),
        preferring bundles the wave may take; "" when nothing is ready."""
        if forced:
            n_prod = sum(self.is_prod[b] for b in forced)
            return "prod" if n_prod * 2 > len(forced) else "nonprod"
        for klass in CLASSES:
            if self.ready(klass, False) or (not protected and self.ready(klass, True)):
                return klass
        for klass in CLASSES:
            if self.ready(klass, True):
                return klass
        return ""

    def ready(self, klass: str, held: bool) -> bool:
        """Whether a bundle of ``klass`` is ready; placed bundles lingering on top of its heap are dropped
        first, so that a wave is never opened for bundles already placed (it would stay empty: a gap in
        the wave numbers)."""
        heap = self.heaps[(klass, held)]
        while heap and self.bundle_wave[self.by_rank[heap[0]]] >= 0:
            heapq.heappop(heap)
        return bool(heap)

    def fill_wave(self, number: int, kind: str, protected: bool, forced: list[int]) -> None:
        """Place the wave's pins, then ready bundles of its class while they fit."""
        limit = self.soft[kind]
        top, floor = tuple((limit + EPS).tolist()), tuple((limit - EPS).tolist())
        wave = _Wave(number, kind, protected, top, floor, [0.0, 0.0, 0.0], bool(forced), self.load)
        for b in forced:
            wave.add(b)
        self.wave_kind[number] = kind
        for b in forced:
            self.place(b, number)
        self.affine.clear()
        for held in (False,) if protected else (False, True):
            self._take_from(self.heaps[(kind, held)], wave)
        if not wave.took_any and protected and self.ready(kind, True):
            # Nothing but held bundles is ready: place the lowest-risk held one rather than leave the wave
            # empty.
            self.place(self.by_rank[heapq.heappop(self.heaps[(kind, True)])], number)

    def _take_from(self, heap: list[int], wave: _Wave) -> None:
        """Take bundles for the wave, affine ones first, then from ``heap``, until the wave is full or too
        many bundles were passed over for lack of room (a wave's first bundle is taken whatever its size)."""
        skipped: list[int] = []
        bundle_wave, by_rank, pop = self.bundle_wave, self.by_rank, heapq.heappop
        (servers, cores, storage), used, top = self.load, wave.used, wave.top
        while len(skipped) < MAX_SKIPPED:
            b = self._next_affine(wave) if self.affine else -1
            if b < 0:
                if not heap:
                    break
                item = pop(heap)
                b = by_rank[item]
                if bundle_wave[b] >= 0:
                    continue
                if wave.took_any and not (  # wave.fits(b), inline: the scheduler's innermost loop
                    used[0] + servers[b] <= top[0]
                    and used[1] + cores[b] <= top[1]
                    and used[2] + storage[b] <= top[2]
                ):
                    skipped.append(item)
                    continue
            self.place(b, wave.number)
            wave.add(b)
            wave.took_any = True
            if wave.full():
                break
        for item in skipped:
            heapq.heappush(heap, item)

    def _next_affine(self, wave: _Wave) -> int:
        """The best bundle made ready in this wave that the wave may take and has room for (-1 when none)."""
        prod = wave.kind == "prod"
        while self.affine:
            b = self.by_rank[heapq.heappop(self.affine)]
            if (
                self.bundle_wave[b] < 0
                and self.is_prod[b] == prod
                and not (wave.protected and self.held[b])
                and wave.fits(b)
            ):
                return b
        return -1

    def place(self, b: int, number: int) -> None:
        """Put bundle ``b`` in wave ``number``; bundles it was the last wait of become ready (and affine)."""
        bundle_wave, waiting, pinned = self.bundle_wave, self.waiting, self.pinned
        bundle_wave[b] = number
        self.placed += 1
        for s in self.dependants[self.dependants_start[b] : self.dependants_start[b + 1]]:
            waiting[s] -= 1
            if waiting[s] == 0 and not pinned[s] and bundle_wave[s] < 0:
                self.push(s)
                heapq.heappush(self.affine, self.rank[s])

    def heap_key(self, b: int) -> tuple[str, bool]:
        return ("prod" if self.is_prod[b] else "nonprod", self.held[b])

    def push(self, b: int) -> None:
        heapq.heappush(self.heaps[self.heap_key(b)], self.rank[b])

    def release_best(self) -> None:
        """Only bundles waiting on each other remain (cannot happen after cycle breaking): release the best
        one."""
        rest = np.flatnonzero((np.asarray(self.bundle_wave) < 0) & ~self.facts.pinned)
        best = int(rest[np.argmin(self.facts.rank[rest])])
        self.waiting[best] = 0
        self.push(best)
