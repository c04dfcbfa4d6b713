"""Stage: fewer dependencies across waves, by moving whole move groups between the greedy schedule's waves.

Every dependency between two waves is a connection stretched across the WAN for weeks. After
:func:`migrator.waves.schedule` has packed the waves, this stage moves *units* between them to reduce the
dependency weight that crosses waves. A unit is a set of move groups that must share a wave: a scheduler
bundle (a dependency cycle), together with split groups that share a wave now and must keep sharing it
(strong two-way pairs, condition 1; an application instance, condition 2). A move group is never split.

A move keeps every rule the schedule kept, by construction: pinned units and units mixing production and
dev/test never move; a unit only joins a wave of its kind (condition 5); a dependency's target stays in the
same or an earlier wave than its source, and an application's dev/test before its production, wherever
they are now (conditions 3 and 4); a high-criticality or high-complexity unit never enters the first
``protected_waves`` (6, 7); a wave never goes over its capacity (8: servers, vCPU, storage; the greedy
schedule's balancing is a soft target and is not kept); and a wave is never emptied, so the waves, their
kinds and their dates stay as they are. So no condition is broken more often than before.

Two methods: OR-Tools CP-SAT solves the connected parts of the unit graph small enough for a model (the
other units fixed, their room in each wave as the capacity); a Kernighan–Lin / Fiduccia–Mattheyses-style
local search (the best single move of a unit, else the best swap of two units between waves) improves the
rest. Both have deterministic budgets derived from ``planning.optimise_seconds`` (CP-SAT's deterministic
time, one worker, fixed seed; a count of evaluations for the local search), so the same inputs give the
same plan on any machine.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrator import background
from migrator.fastpaths import components
from migrator.settings import CapacitySettings, Settings
from migrator.waves import WaveAssignment

if TYPE_CHECKING:
    from ortools.sat.python import cp_model  # imported where a model is solved: start-up stays light

EVALS_PER_SECOND = 150_000  # local-search work (neighbour visits) per second of ``optimise_seconds``
SOLVER_SHARE = 0.7  # share of ``optimise_seconds`` given to CP-SAT (in deterministic time)
SOLVER_PART_TIME = 0.25  # CP-SAT deterministic time per part at most
MAX_MODEL_UNITS = 60  # movable units in one CP-SAT model at most
MODEL_VARS_PER_SECOND = 5_000  # CP-SAT model building and solving, counted in variables
MAX_PASSES = 20
FILLER_WAVES = 3  # waves of the heaviest neighbours a neighbourhood takes room-making units from
SWAP_SCAN = 24  # units of the target wave tried for a swap
LONG_LIST = 64  # a unit's list this long is read with numpy, a shorter one item by item
SCALE = 1000  # capacity and weights in integers for CP-SAT
EPS = 1e-9
NO_LOWER, NO_UPPER = -(1 << 30), 1 << 30  # a unit's order bounds when nothing must come before or after it


@dataclass(frozen=True)
class GroupLinks:
    """Server-level facts the optimiser keeps, as move-group pairs (k x 2 arrays) and flags per group."""

    together: np.ndarray  # groups that keep sharing a wave while they do now (conditions 1, 2 across splits)
    before: np.ndarray  # (a, b): a's wave stays not later than b's while it is now (condition 4)
    mixed: np.ndarray  # per group: holds production and dev/test servers (never moved)


@dataclass(frozen=True)
class Problem:
    """What the optimisation is given: the greedy schedule of the move groups, and what every move keeps."""

    groups: pd.DataFrame
    gedges: pd.DataFrame  # dependencies between move groups (frames.GROUP_EDGES)
    assignment: WaveAssignment  # the greedy schedule's waves
    links: GroupLinks
    settings: Settings
    first_wave: int  # the first wave that moves workloads

    @property
    def searched(self) -> bool:
        """There is a search: the optimisation is on, with a budget, and there are move groups to move."""
        return _searching(self.settings) and len(self.groups) >= 2


def _searching(settings: Settings) -> bool:
    return settings.planning.optimise and settings.planning.optimise_seconds > 0


@dataclass(frozen=True)
class OptimisationStats:
    """What the optimisation did: dependency weight between planned servers, and the part crossing waves."""

    enabled: bool
    total_weight: float
    crossing_before: float
    crossing_after: float
    moves: int = 0
    swaps: int = 0
    solved_parts: int = 0  # parts of the unit graph solved by CP-SAT
    seconds: float = 0.0
    lower_bound: float = 0.0  # weight crossing waves in any plan keeping condition 5, pins and capacity

    @property
    def share_before(self) -> float:
        return self.crossing_before / self.total_weight if self.total_weight > 0 else 0.0

    @property
    def share_after(self) -> float:
        return self.crossing_after / self.total_weight if self.total_weight > 0 else 0.0

    @property
    def share_lower_bound(self) -> float:
        return self.lower_bound / self.total_weight if self.total_weight > 0 else 0.0


def group_links(
    server_group: np.ndarray,
    application: np.ndarray,
    klass: np.ndarray,
    instance: np.ndarray,
    two_way: tuple[np.ndarray, np.ndarray],
    n_groups: int,
) -> GroupLinks:
    """The links between move groups the optimiser must respect, from per-server arrays."""
    a, b = two_way
    ga, gb = server_group[a], server_group[b]
    keep = (ga >= 0) & (gb >= 0) & (ga != gb)
    inside = server_group >= 0
    inst = pd.DataFrame({"key": instance[inside], "g": server_group[inside]}).drop_duplicates()
    inst = inst.sort_values(["key", "g"], kind="mergesort")
    same = inst["key"].to_numpy()[1:] == inst["key"].to_numpy()[:-1]
    chain = np.column_stack([inst["g"].to_numpy()[:-1][same], inst["g"].to_numpy()[1:][same]])
    together = np.concatenate([np.column_stack([ga[keep], gb[keep]]), chain]).astype(np.int64)
    frame = pd.DataFrame({"app": application, "klass": klass, "g": server_group})[inside]
    mixed = np.zeros(n_groups, dtype=bool)
    mixed[frame.groupby("g")["klass"].nunique().loc[lambda s: s > 1].index.to_numpy(np.int64)] = True
    frame = frame[frame["app"] != ""].drop_duplicates()
    pairs = frame[frame["klass"] == "nonprod"].merge(frame[frame["klass"] == "prod"], on="app")
    before = pairs[["g_x", "g_y"]].drop_duplicates().to_numpy(np.int64).reshape(-1, 2)
    return GroupLinks(together=together.reshape(-1, 2), before=before, mixed=mixed)


def planned_weight(server_group: np.ndarray, edges: pd.DataFrame) -> float:
    """Dependency weight between servers planned in move groups (shared services and others excluded)."""
    both = (server_group[edges["src"].to_numpy()] >= 0) & (server_group[edges["dst"].to_numpy()] >= 0)
    return float(edges["weight"].to_numpy(float)[both].sum())


def crossing_weight(group_wave: np.ndarray, gedges: pd.DataFrame) -> float:
    """Dependency weight between move groups in different waves."""
    s, d = gedges["src"].to_numpy(), gedges["dst"].to_numpy()
    return float(gedges["weight"].to_numpy(float)[group_wave[s] != group_wave[d]].sum())


def lower_bound(groups: pd.DataFrame, gedges: pd.DataFrame, capacity: float = np.inf) -> float:
    """Weight that crosses waves in any plan that keeps condition 5, the pins and ``capacity`` servers a wave.

    Each move group ``g`` can share its wave only with neighbours of its class (production or dev/test) that
    are not pinned to another wave, and only as many of their servers as the wave has room for beside it
    (``capacity - size(g)``). The most weight it can keep is then at most a fractional knapsack: neighbours
    no larger than the room, taken in order of weight per server until it is full. Whatever ``g`` cannot
    keep crosses, and each crossing dependency is counted at both its groups, so half the sum over groups of
    (weight to other groups - the most it can keep) is a lower bound; without a capacity it is the weight
    between production and dev/test groups and between groups pinned to different waves. Vectorised over
    group pairs; ``tests/test_optimise.py`` checks it against the best plan found by brute force.
    """
    g, h = gedges["src"].to_numpy(), gedges["dst"].to_numpy()
    w = gedges["weight"].to_numpy(float)
    klass, pin = groups["klass"].to_numpy(), groups["pin"].to_numpy(float)
    apart = (klass[g] != klass[h]) | (np.isfinite(pin[g]) & np.isfinite(pin[h]) & (pin[g] != pin[h]))
    if not np.isfinite(capacity):
        return float(w[apart & (g != h)].sum())
    size = groups["servers_count"].to_numpy(float)
    pair = pd.DataFrame(
        {"g": np.concatenate([g, h]), "h": np.concatenate([h, g]), "w": np.concatenate([w, w])}
    )
    pair["ok"] = ~np.concatenate([apart, apart])
    pair = pair[pair["g"] != pair["h"]]
    incident = float(pair["w"].sum())
    kept = pair[pair["ok"]].groupby(["g", "h"], as_index=False, sort=True).agg(w=("w", "sum"))
    kept["size"] = size[kept["h"].to_numpy()]
    kept["room"] = capacity - size[kept["g"].to_numpy()]
    kept = kept[kept["size"] <= kept["room"]]  # a neighbour larger than the room never fits beside g
    kept["ratio"] = kept["w"] / kept["size"]
    kept = kept.sort_values(["g", "ratio", "h"], ascending=[True, False, True], kind="mergesort")
    taken_before = kept.groupby("g")["size"].cumsum().to_numpy() - kept["size"].to_numpy()
    share = np.clip((kept["room"].to_numpy() - taken_before) / kept["size"].to_numpy(), 0.0, 1.0)
    return max(0.0, 0.5 * (incident - float((kept["w"].to_numpy() * share).sum())))


def optimise(problem: Problem, total_weight: float) -> tuple[WaveAssignment, OptimisationStats]:
    """A better assignment (fewer dependencies across waves, no rule broken more) and what was done;
    ``total_weight``: the dependency weight between planned servers (:func:`planned_weight`)."""
    return optimise_later(problem, total_weight)()


WARM_UP_SERVERS = 10_000  # a larger estate's problem outgrows the waiting process' pipe (0.7 MB at 10,000)
# a process ready to search (warm_up), and the time limit it was started with
_ready: tuple[background.Waiting[Problem, _Found | None], float] | None = None


def warm_up(settings: Settings, servers: int) -> None:
    """Start a process that imports CP-SAT, then waits for the next :func:`optimise_later` to give it its
    problem (on a second core, when there is one: :func:`migrator.background.start_waiting`): the import then
    costs a plan nothing, done while the move groups and their schedule are made. Nothing happens when the
    optimisation is off, when such a process is already waiting, or for more than ``WARM_UP_SERVERS``
    servers: their problem would not fit the process' input pipe (1 MiB). The process searches one problem;
    one it cannot take after all is searched in a process forked then, as without it."""
    global _ready
    if _ready is not None or not _searching(settings) or servers > WARM_UP_SERVERS:
        return
    # scipy's graph routines: the search uses them, and so do this process' move groups; imported before the
    # fork, once for both (CP-SAT is used by the search alone)
    import scipy.sparse.csgraph  # noqa: F401

    limit = _limit(settings)
    _ready = background.start_waiting(_model_class, _solve_problem, limit), limit


def optimise_later(
    problem: Problem, total_weight: float
) -> Callable[[], tuple[WaveAssignment, OptimisationStats]]:
    """:func:`optimise` in two steps: the search starts now, beside this process (in the process
    :func:`warm_up` started, given the problem, or else in a child forked now: :mod:`migrator.background`; its
    result is small: the waves of the move groups and four counts), while this process goes on with the
    figures of the assignment as it stands and whatever the caller does next; the returned function waits
    for the search. The same assignment either way (it is deterministic)."""
    global _ready
    search: background.Pending[_Found | None] = background.Pending.now(lambda: None)
    ready, _ready = _ready, None  # taken in any case: a waiting process not given the problem is stopped
    if problem.searched:
        limit = _limit(problem.settings)
        if ready is not None and ready[1] == limit:
            search = ready[0].give(problem)
        if not search.in_child:
            search = background.start(partial(_solve_problem, problem), limit)
    p = problem
    enabled = p.settings.planning.optimise
    stats = unchanged_stats(p.groups, p.gedges, p.assignment, p.settings.capacity, total_weight, enabled)
    return partial(_searched, p.assignment, p.gedges, stats, search)


def _limit(settings: Settings) -> float:
    """How long the search's process may run before it is deemed stuck: a long budget is no fault (ten times
    ``optimise_seconds``: the budget is deterministic and takes longer on a slow machine)."""
    return max(background.LIMIT_SECONDS, 10 * settings.planning.optimise_seconds)


@dataclass(frozen=True)
class _Found:
    """What the search found: the waves of the move groups, and what it did to get there."""

    group_wave: np.ndarray
    moves: int
    swaps: int
    solved: int
    seconds: float


def _solve_problem(problem: Problem) -> _Found | None:
    t0 = time.perf_counter()
    improved, state = _optimised(problem)
    if state is None:
        return None
    seconds = time.perf_counter() - t0
    return _Found(improved.group_wave, state.moves, state.swaps, state.solved, seconds)


def _searched(
    assignment: WaveAssignment,
    gedges: pd.DataFrame,
    stats: OptimisationStats,
    search: background.Pending[_Found | None],
) -> tuple[WaveAssignment, OptimisationStats]:
    found = search.result()
    if found is None:
        return assignment, stats
    improved = dataclasses.replace(assignment, group_wave=found.group_wave)
    return improved, dataclasses.replace(
        stats,
        crossing_after=crossing_weight(found.group_wave, gedges),
        moves=found.moves,
        swaps=found.swaps,
        solved_parts=found.solved,
        seconds=found.seconds,
    )


def unchanged_stats(
    groups: pd.DataFrame,
    gedges: pd.DataFrame,
    assignment: WaveAssignment,
    capacity: CapacitySettings,
    total_weight: float,
    enabled: bool,
) -> OptimisationStats:
    """The figures of ``assignment`` as it stands (the greedy schedule's): the weight crossing its waves
    before and after (the same), and the lower bound any plan keeping ``capacity`` reaches."""
    before = crossing_weight(assignment.group_wave, gedges)
    bound = lower_bound(groups, gedges, largest_wave(groups, assignment, capacity))
    return OptimisationStats(enabled, total_weight, before, before, lower_bound=bound)


def optimised(problem: Problem) -> WaveAssignment:
    """The assignment :func:`optimise` makes, without what it reports (the weights crossing waves before and
    after, the lower bound): for a caller that wants only the waves (a capacity probe of the reach stage)."""
    return _optimised(problem)[0]


def _optimised(problem: Problem) -> tuple[WaveAssignment, _State | None]:
    """The better assignment and the search's state (None, and the assignment as it was, when there is no
    search)."""
    assignment, planning = problem.assignment, problem.settings.planning
    if not problem.searched:
        return assignment, None
    state = _State.build(problem)
    state.solved = _solve_parts(state, planning.optimise_seconds * SOLVER_SHARE)
    state.budget = int(planning.optimise_seconds * (1 - SOLVER_SHARE) * EVALS_PER_SECOND)
    _local_search(state)
    improved = dataclasses.replace(assignment, group_wave=np.asarray(state.wave, dtype=np.int64)[state.unit])
    return improved, state


def largest_wave(groups: pd.DataFrame, assignment: WaveAssignment, capacity: CapacitySettings) -> float:
    """Servers a wave can hold: the capacity, or more where pins already made a wave larger."""
    load = pd.Series(groups["servers_count"].to_numpy(float)).groupby(assignment.group_wave).sum()
    return float(max(capacity.max_servers, load.max() if len(load) else 0.0))


# Units and their rules --------------------------------------------------------------------------------------


def _units(assignment: WaveAssignment, links: GroupLinks) -> np.ndarray:
    """Unit per move group: its bundle, joined with the groups it must keep sharing a wave with."""
    gw, bundle = assignment.group_wave, assignment.group_bundle
    t = links.together
    t = t[gw[t[:, 0]] == gw[t[:, 1]]] if len(t) else t
    n = len(gw)
    first = np.full(int(bundle.max()) + 1, -1, dtype=np.int64)
    first[bundle[::-1]] = np.arange(n)[::-1]  # the first group of each bundle
    u = np.concatenate([np.arange(n), t[:, 0]])
    v = np.concatenate([first[bundle], t[:, 1]])
    labels = components(n, u, v)
    _, unit = np.unique(labels, return_inverse=True)
    return np.asarray(unit, dtype=np.int64)


def _unit_pairs(unit: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    ua, ub = unit[a], unit[b]
    keep = ua != ub
    frame = pd.DataFrame({"a": ua[keep], "b": ub[keep], "w": w[keep]})
    return frame.groupby(["a", "b"], sort=True)["w"].sum().reset_index()


@dataclass
class _Lists:
    """A list per unit, kept as one flat array grouped by unit (``starts``: where each unit's run begins, one
    more than units) and made a Python list when first read: the optimiser visits only some of the units."""

    starts: list[int]
    items: np.ndarray
    made: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, n: int, owner: np.ndarray, items: np.ndarray) -> _Lists:
        """``items[i]`` appended to the list of unit ``owner[i]``, in the order given."""
        order = np.argsort(owner, kind="stable")
        return cls(np.searchsorted(owner[order], np.arange(n + 1)).tolist(), items[order])

    def __getitem__(self, u: int) -> list[int]:
        got = self.made.get(u)
        if got is None:
            got = self.made[u] = self.items[self.starts[u] : self.starts[u + 1]].tolist()
        return got

    def array(self, u: int) -> np.ndarray:
        """Unit ``u``'s list as an array (a view, nothing made)."""
        return self.items[self.starts[u] : self.starts[u + 1]]

    def runs(self, units: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The lists of ``units`` one after the other: where each item is in ``items``, and the position in
        ``units`` of the unit it belongs to."""
        first = np.array([self.starts[u] for u in units], dtype=np.int64)
        counts = np.array([self.starts[u + 1] for u in units], dtype=np.int64) - first
        owner = np.repeat(np.arange(len(units)), counts)
        return np.arange(len(owner)) + np.repeat(first - (np.cumsum(counts) - counts), counts), owner


@dataclass
class _Rows:
    """The rows of an array as tuples of floats, made when first read (no object per unit up front for the
    garbage collector to walk)."""

    array: np.ndarray
    made: dict[int, tuple[float, ...]] = field(default_factory=dict)

    def __getitem__(self, u: int) -> tuple[float, ...]:
        got = self.made.get(u)
        if got is None:
            got = self.made[u] = tuple(self.array[u].tolist())
        return got


@dataclass
class _Adjacency:
    """Neighbours of each unit with the dependency weight to them (both directions summed), as
    :class:`_Lists` of (neighbour, weight) pairs."""

    neighbours: _Lists
    weights: np.ndarray  # in the order of ``neighbours.items``
    made: dict[int, list[tuple[int, float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, n: int, pairs: pd.DataFrame) -> _Adjacency:
        """From unit pairs (a, b, w): each row appended to a's list as (b, w) and to b's as (a, w), row by
        row."""
        a, b, w = pairs["a"].to_numpy(np.int64), pairs["b"].to_numpy(np.int64), pairs["w"].to_numpy(float)
        rows = np.tile(np.arange(len(a)), 2)
        owner = np.concatenate([a, b])
        order = np.lexsort((rows, owner))
        neighbours = _Lists.of(n, owner[order], np.concatenate([b, a])[order])
        return cls(neighbours, np.concatenate([w, w])[order])

    def __getitem__(self, u: int) -> list[tuple[int, float]]:
        got = self.made.get(u)
        if got is None:
            start, end = self.neighbours.starts[u], self.neighbours.starts[u + 1]
            got = self.made[u] = list(zip(self.neighbours[u], self.weights[start:end].tolist(), strict=True))
        return got

    def busy(self) -> np.ndarray:
        """Each unit's dependency weight, summed neighbour by neighbour in its list's order."""
        starts = np.asarray(self.neighbours.starts)
        owner = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        return np.bincount(owner, weights=self.weights, minlength=len(starts) - 1)


@dataclass
class _State:
    """The units, their rules and the waves' load, in plain lists (the local search visits them one at a
    time)."""

    unit: np.ndarray  # unit per move group
    wave: list[int]  # wave per unit
    load: _Rows  # servers, vCPU, storage per unit
    movable: list[bool]
    prod: list[bool]
    may_protect: list[bool]  # may sit in a protected wave (not held, or already there)
    adj: _Adjacency  # neighbours and dependency weight, both directions summed
    lower: _Lists  # units whose wave must stay <= this unit's
    upper: _Lists  # units whose wave must stay >= this unit's
    kind: dict[int, str]
    protected_until: int  # waves below this number are protected
    limit: tuple[float, float, float]
    loads: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # ``load`` as an array
    waves: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # ``wave`` as an array
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))  # linked unit pairs
    busy: list[float] = field(default_factory=list)  # dependency weight per unit
    used: dict[int, list[float]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    budget: int = 0
    work: int = 0
    moves: int = 0
    swaps: int = 0
    solved: int = 0  # parts solved by CP-SAT that improved

    @classmethod
    def build(cls, problem: Problem) -> _State:
        groups, gedges, assignment, links = problem.groups, problem.gedges, problem.assignment, problem.links
        settings, first_wave = problem.settings, problem.first_wave
        unit = _units(assignment, links)
        n = int(unit.max()) + 1
        facts = _unit_facts(groups, unit, assignment.group_wave, links, settings, first_wave)
        src, dst = gedges["src"].to_numpy(), gedges["dst"].to_numpy()
        undirected = _unit_pairs(
            unit, np.minimum(src, dst), np.maximum(src, dst), gedges["weight"].to_numpy(float)
        )
        adj = _Adjacency.of(n, undirected)
        a, b = _orders(unit, assignment.group_wave, gedges, links)
        loads = facts[["servers", "cores", "storage"]].to_numpy(float)
        state = cls(
            unit=unit,
            wave=facts["wave"].tolist(),
            waves=facts["wave"].to_numpy(np.int64).copy(),
            load=_Rows(loads),
            movable=facts["movable"].tolist(),
            prod=facts["prod"].tolist(),
            may_protect=facts["may_protect"].tolist(),
            adj=adj,
            lower=_Lists.of(n, b, a),
            upper=_Lists.of(n, a, b),
            kind=dict(assignment.wave_kind),
            protected_until=first_wave + settings.planning.protected_waves,
            limit=_limits(settings.capacity),
            loads=loads,
            pairs=undirected[["a", "b"]].to_numpy(np.int64).reshape(-1, 2),
            busy=adj.busy().tolist(),
        )
        state.fill_waves()
        return state

    def fill_waves(self) -> None:
        """Each wave's load (summed unit by unit, in unit order) and members."""
        wave = np.asarray(self.wave, dtype=np.int64)
        used = [np.bincount(wave, weights=self.loads[:, d]) for d in range(3)]
        order = np.argsort(wave, kind="stable")
        waves, starts = np.unique(wave[order], return_index=True)
        for w, units in zip(waves.tolist(), np.split(order, starts[1:]), strict=True):
            self.used[w] = [float(used[0][w]), float(used[1][w]), float(used[2][w])]
            self.members[w] = set(units.tolist())

    def bounds(self, u: int) -> tuple[int, int]:
        """The waves ``u`` may take by the order rules: not before its latest ``lower``, not after its
        earliest ``upper``."""
        return _extreme(self, self.lower, u, max, NO_LOWER), _extreme(self, self.upper, u, min, NO_UPPER)

    def may_take(self, u: int, w: int) -> bool:
        """Whether wave ``w`` is within ``bounds(u)`` (the upper bound read only when the lower one holds)."""
        lowest = _extreme(self, self.lower, u, max, NO_LOWER)
        return lowest <= w and w <= _extreme(self, self.upper, u, min, NO_UPPER)

    def allowed(self, u: int, w: int) -> bool:
        """Kind and protected waves (the order bounds are checked by the caller)."""
        kind = self.kind.get(w)
        return kind == ("prod" if self.prod[u] else "nonprod") and (
            self.may_protect[u] or w >= self.protected_until
        )

    def fits(self, w: int, add: Sequence[float], remove: Sequence[float] = (0.0, 0.0, 0.0)) -> bool:
        used = self.used[w]
        return all(used[d] + add[d] - remove[d] <= self.limit[d] for d in range(3))

    def relocate(self, u: int, w: int) -> None:
        a = self.wave[u]
        for d in range(3):
            self.used[a][d] -= self.load[u][d]
            self.used[w][d] += self.load[u][d]
        self.members[a].discard(u)
        self.members[w].add(u)
        self.wave[u] = w
        self.waves[u] = w

    def weights_by_wave(self, u: int) -> dict[int, float]:
        """The dependency weight from ``u`` to each wave that holds a neighbour, added up neighbour by
        neighbour in the order of ``adj`` (a long list with numpy: ``bincount`` adds in the same order)."""
        start, end = self.adj.neighbours.starts[u], self.adj.neighbours.starts[u + 1]
        self.work += end - start + 1
        if end - start <= LONG_LIST:
            out: dict[int, float] = defaultdict(float)
            for v, x in self.adj[u]:
                out[self.wave[v]] += x
            return out
        waves = self.waves[self.adj.neighbours.items[start:end]]
        sums = np.bincount(waves, weights=self.adj.weights[start:end])
        present = np.flatnonzero(np.bincount(waves))
        return dict(zip(present.tolist(), sums[present].tolist(), strict=True))

    def weights_to(self, u: int, a: int, b: int) -> tuple[float, float]:
        """``weights_by_wave(u)`` at waves ``a`` and ``b`` (0 where no neighbour is), the same sums (added in
        the same order) and the same work counted, without the other waves."""
        start, end = self.adj.neighbours.starts[u], self.adj.neighbours.starts[u + 1]
        if end - start > LONG_LIST:
            by_wave = self.weights_by_wave(u)
            return by_wave.get(a, 0.0), by_wave.get(b, 0.0)
        self.work += end - start + 1
        wave, to_a, to_b = self.wave, 0.0, 0.0
        for v, x in self.adj[u]:
            w = wave[v]
            if w == a:
                to_a += x
            if w == b:
                to_b += x
        return to_a, to_b


def _extreme(state: _State, lists: _Lists, u: int, pick: Callable[..., int], default: int) -> int:
    """The latest (``max``) or earliest (``min``) wave of the units in ``lists[u]`` (``default`` when there is
    none): a long list with numpy."""
    items = lists[u]
    if len(items) <= LONG_LIST:
        return pick(map(state.wave.__getitem__, items), default=default)
    waves = state.waves[lists.array(u)]
    return int(waves.max() if pick is max else waves.min())


def _limits(cap: CapacitySettings) -> tuple[float, float, float]:
    """Capacity per wave as condition 8 checks it (with the same tolerance, a little tighter)."""
    return (float(cap.max_servers) + 0.5, cap.max_vcpus + EPS / 2, cap.max_storage_gb + EPS / 2)


def _unit_facts(
    groups: pd.DataFrame,
    unit: np.ndarray,
    group_wave: np.ndarray,
    links: GroupLinks,
    settings: Settings,
    first_wave: int,
) -> pd.DataFrame:
    planning = settings.planning
    held = ((groups["crit"].to_numpy() >= 2) | (groups["complexity"].to_numpy() >= 2)) & (
        planning.protected_waves > 0
    )
    g = pd.DataFrame(
        {
            "unit": unit,
            "wave": group_wave,
            "servers": groups["servers_count"].to_numpy(float),
            "cores": groups["cores"].to_numpy(float),
            "storage": groups["storage_gb"].to_numpy(float),
            "prod": groups["klass"].eq("prod").to_numpy(),
            "nonprod": groups["klass"].ne("prod").to_numpy(),
            "frozen": groups["pin"].notna().to_numpy() | links.mixed,
            "held": held,
        }
    )
    agg = g.groupby("unit", sort=True).agg(
        wave=("wave", "min"),
        top=("wave", "max"),
        servers=("servers", "sum"),
        cores=("cores", "sum"),
        storage=("storage", "sum"),
        prod=("prod", "max"),
        nonprod=("nonprod", "max"),
        frozen=("frozen", "max"),
        held=("held", "max"),
    )
    protected = agg["wave"] < first_wave + planning.protected_waves
    agg["movable"] = ~agg["frozen"] & ~(agg["prod"] & agg["nonprod"]) & (agg["wave"] == agg["top"])
    agg["may_protect"] = ~agg["held"] | protected
    return agg


def _orders(
    unit: np.ndarray, group_wave: np.ndarray, gedges: pd.DataFrame, links: GroupLinks
) -> tuple[np.ndarray, np.ndarray]:
    """Unit pairs (a, b) whose order holds now and must keep holding: wave[a] <= wave[b]. From dependencies
    (the target a not later than the source b) and from applications (dev/test a before production b).
    Distinct, in order, one unit never paired with itself."""
    dep_a, dep_b = gedges["dst"].to_numpy(), gedges["src"].to_numpy()
    a = np.concatenate([dep_a, links.before[:, 0]])
    b = np.concatenate([dep_b, links.before[:, 1]])
    holds = group_wave[a] <= group_wave[b]
    ua, ub = unit[a[holds]], unit[b[holds]]
    n = int(unit.max()) + 1 if len(unit) else 1
    pairs = np.unique((ua * n + ub)[ua != ub])
    return pairs // n, pairs % n


# Local search -----------------------------------------------------------------------------------------------


def _local_search(state: _State) -> None:
    """Passes over the units, busiest first: each takes its best move, else its best swap, while one gains."""
    order = _busiest_first(state, np.asarray(state.movable, dtype=bool) & (np.asarray(state.busy) > 0))
    for _ in range(MAX_PASSES):
        improved = False
        for u in order:
            if state.work >= state.budget:
                return
            improved |= _improve(state, u)
        if not improved:
            return


def _improve(state: _State, u: int) -> bool:
    a = state.wave[u]
    by_wave = state.weights_by_wave(u)
    here = by_wave.get(a, 0.0)
    lo, hi = state.bounds(u)
    best, best_w, blocked = EPS, -1, []
    for w, x in sorted(by_wave.items()):
        gain = x - here
        if w == a or gain <= EPS or not (lo <= w <= hi) or not state.allowed(u, w):
            continue
        if state.fits(w, state.load[u]) and len(state.members[a]) > 1:
            if gain > best:
                best, best_w = gain, w
        else:
            blocked.append((-gain, w))
    if best_w >= 0:
        state.relocate(u, best_w)
        state.moves += 1
        return True
    return any(_swap(state, u, w, -neg_gain, by_wave) for neg_gain, w in sorted(blocked)[:2])


def _swap(state: _State, u: int, b: int, gain_u: float, by_wave_u: dict[int, float]) -> bool:
    """Swap ``u`` (in wave a) with the unit of wave ``b`` that gains most, when the pair gains."""
    a = state.wave[u]
    linked = set(state.lower[u]) | set(state.upper[u])
    to_u = dict(state.adj[u])
    best, best_v = EPS, -1
    for v in sorted(state.members[b])[:SWAP_SCAN]:
        state.work += 1
        if not state.movable[v] or v in linked or not state.allowed(v, a):
            continue
        if not state.may_take(v, a):
            continue
        to_a, to_b = state.weights_to(v, a, b)
        gain = gain_u + to_a - to_b - 2 * to_u.get(v, 0.0)
        if (
            gain > best
            and state.fits(a, state.load[v], state.load[u])
            and state.fits(b, state.load[u], state.load[v])
        ):
            best, best_v = gain, v
    if best_v < 0:
        return False
    state.relocate(u, b)
    state.relocate(best_v, a)
    state.swaps += 1
    return True


# CP-SAT on the parts small enough for a model ---------------------------------------------------------------


def _solve_parts(state: _State, seconds: float) -> int:
    """Solve the parts (small connected parts of the unit graph, then the neighbourhood of each busy unit)
    while the budget lasts; returns how many parts improved. The budget counts the solver's deterministic time
    and the model sizes, never the clock."""
    remaining, improved = seconds, 0
    for members in _parts(state):
        remaining -= state.work / EVALS_PER_SECOND  # choosing the part
        state.work = 0
        if remaining <= 0:
            break
        used, better = _solve_part(state, members, min(remaining, SOLVER_PART_TIME))
        remaining -= used
        improved += better
    state.work = 0
    return improved


def _parts(state: _State) -> Iterator[list[int]]:
    """Movable units to solve together: each connected part of the unit graph with 2 to MAX_MODEL_UNITS of
    them (smallest unit first); then, busiest first, each unit with its heaviest neighbours and, to make room,
    the lightest units of the waves they are in."""
    n, pairs = len(state.wave), state.pairs
    if not len(pairs):
        return
    label = components(n, pairs[:, 0], pairs[:, 1])
    movable = np.asarray(state.movable, dtype=bool)
    sizes = np.bincount(label[movable], minlength=int(label.max()) + 1)
    small = (sizes >= 2) & (sizes <= MAX_MODEL_UNITS)
    for c in np.flatnonzero(small):
        yield np.flatnonzero((label == c) & movable).tolist()
    busy = np.asarray(state.busy)
    for seed in _busiest_first(state, movable):
        if busy[seed] > 0:
            yield _neighbourhood(state, seed, busy, movable)


def _busiest_first(state: _State, chosen: np.ndarray) -> list[int]:
    """The ``chosen`` units, busiest first (then by number)."""
    units = np.flatnonzero(chosen)
    return units[np.lexsort((units, -np.asarray(state.busy)[units]))].tolist()


def _neighbourhood(state: _State, seed: int, busy: np.ndarray, movable: np.ndarray) -> list[int]:
    """The seed, its heaviest movable neighbours, and the least busy units (then by number) of the seed's
    wave and of its FILLER_WAVES heaviest neighbours' waves (room to swap with)."""
    weight = dict(state.adj[seed])
    near = sorted((v for v in weight if state.movable[v]), key=lambda v: (-weight[v], v))
    chosen = {seed, *near[: MAX_MODEL_UNITS // 2]}
    waves = dict.fromkeys([state.wave[seed], *(state.wave[v] for v in near[:FILLER_WAVES])])
    pool = np.concatenate([np.fromiter(state.members[w], np.int64, len(state.members[w])) for w in waves])
    pool = pool[movable[pool] & ~np.isin(pool, list(chosen))]
    state.work += len(pool) + len(weight)
    fillers = pool[np.lexsort((pool, busy[pool]))[: max(0, MAX_MODEL_UNITS - len(chosen))]]
    return sorted(chosen | set(fillers.tolist()))


def _solve_part(state: _State, movable: list[int], dt: float) -> tuple[float, bool]:
    model = _PartModel(state, movable)
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = dt
    status = solver.solve(model.model)
    used = solver.deterministic_time + len(model.model.proto.variables) / MODEL_VARS_PER_SECOND
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value <= model.current + 0.5:
        return used, False
    old = {u: state.wave[u] for u in movable}
    for (u, w), var in model.x.items():
        if solver.boolean_value(var) and state.wave[u] != w:
            state.relocate(u, w)
    if all(state.fits(w, (0.0, 0.0, 0.0)) and state.members[w] for w in model.window):
        state.moves += sum(state.wave[u] != old[u] for u in movable)
        return used, True
    for u, w in old.items():  # rounding let the model overfill a wave: keep the assignment as it was
        state.relocate(u, w)
    return used, False


@functools.cache
def _model_class() -> type[cp_model.CpModel]:
    """CP-SAT's model without the pre-PEP 8 method aliases ``CpModel`` sets on each new model (for a small
    model, setting them takes longer than adding its constraints). ortools is imported here, where a model is
    first built: start-up stays light."""
    from ortools.sat.python import cp_model

    boolean = cp_model.Domain(0, 1)

    class Model(cp_model.CpModel):
        def _add_pre_pep8_methods(self) -> None:
            pass

        def new_bool_var(self, name: str) -> cp_model.IntVar:  # one domain object for every variable
            return cp_model.IntVar(self.model_proto).with_name(name).with_domain(boolean)

    try:  # these are CP-SAT's internals (ortools 9.15): another version gets the plain model
        probe = Model()
        var = probe.new_bool_var("probe")
        if list(probe.proto.variables[0].domain) == [0, 1] and var.name == "probe":
            return Model
    except (AttributeError, TypeError):
        pass
    return cp_model.CpModel


class _PartModel:
    """CP-SAT model of one part: the wave of each movable unit among the waves the part uses, the rest fixed;
    maximise the dependency weight inside waves."""

    def __init__(self, state: _State, movable: list[int]) -> None:
        from ortools.sat.python.cp_model import LinearExpr

        self.state, self.model, self.linear = state, _model_class()(), LinearExpr
        self.inside = set(movable)
        self.marked = np.zeros(len(state.wave), dtype=bool)  # ``inside`` as a mask over the units
        self.marked[movable] = True
        self.window = sorted({state.wave[u] for u in movable})
        self.kinds = [(w, state.kind.get(w)) for w in self.window]
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.options: dict[int, list[int]] = {}  # waves each unit may take, as in ``window``
        self.hints: tuple[list[int], list[int]] = ([], [])  # the current waves, variable by variable
        for u in movable:
            self._choices(u)
        self.model.model_proto.solution_hint.vars.extend(self.hints[0])
        self.model.model_proto.solution_hint.values.extend(self.hints[1])
        self._orders(movable)
        self._capacity(movable)
        self.current = self._objective(movable)

    def _outside(self, units: np.ndarray) -> np.ndarray:
        """The waves of those of ``units`` that are not in the part."""
        return self.state.waves[units[~self.marked[units]]]

    def _choices(self, u: int) -> None:
        s, wave = self.state, self.state.wave
        lower, upper = self._outside(s.lower.array(u)), self._outside(s.upper.array(u))
        lo = int(lower.max()) if len(lower) else NO_LOWER
        hi = int(upper.min()) if len(upper) else NO_UPPER
        now, kind, anywhere = wave[u], "prod" if s.prod[u] else "nonprod", s.may_protect[u]
        options = [  # as State.allowed says, with the order bounds
            w
            for w, k in self.kinds
            if w == now or (lo <= w <= hi and k == kind and (anywhere or w >= s.protected_until))
        ]
        variables = []
        for w in options:
            self.x[u, w] = var = self.model.new_bool_var(f"x{u}_{w}")
            self.hints[0].append(var.index)
            self.hints[1].append(int(w == now))
            variables.append(var)
        self.options[u] = options
        self.model.add_exactly_one(variables)

    def _orders(self, movable: list[int]) -> None:
        """wave(p) <= wave(u) for the ordered pairs in the part: sum(w x[p, w]) - sum(w x[u, w]) <= 0."""
        x = self.x
        for u in movable:
            later = [x[u, w] for w in self.options[u]]
            minus = [-w for w in self.options[u]]
            for p in self.state.lower[u]:
                if p in self.inside:
                    earlier = self.options[p]
                    terms = [x[p, w] for w in earlier] + later
                    self.model.add(self.linear.weighted_sum(terms, earlier + minus) <= 0)

    def _capacity(self, movable: list[int]) -> None:
        """Per wave of the window: the room the fixed units leave (their loads summed one by one, in the
        order of the wave's members: a running sum), and no wave emptied."""
        s, x = self.state, self.x
        for w in self.window:
            here = [u for u in movable if (u, w) in x]
            members = np.fromiter(s.members[w], np.int64, len(s.members[w]))
            fixed = members[~self.marked[members]]
            variables = [x[u, w] for u in here]
            if not len(fixed):
                self.model.add(self.linear.sum(variables) >= 1)  # no wave is emptied
            used = np.cumsum(s.loads[fixed], axis=0)[-1].tolist() if len(fixed) else [0, 0, 0]
            need = np.ceil(s.loads[here] * SCALE).T.astype(np.int64).tolist()
            for d in range(3):
                room = s.limit[d] - used[d]
                self.model.add(self.linear.weighted_sum(variables, need[d]) <= int(np.floor(room * SCALE)))

    def _objective(self, movable: list[int]) -> int:
        """Set the objective (weight kept inside waves, in integers); return its value now. A neighbour in
        the part adds a variable true when both share a wave (each pair once); the neighbours outside it
        weigh on the unit's variable of their wave, summed per unit and wave (CP-SAT sums a variable's terms
        in any case)."""
        s, x = self.state, self.x
        at, owner = s.adj.neighbours.runs(movable)
        v, unit = s.adj.neighbours.items[at], np.asarray(movable, dtype=np.int64)[owner]
        iw = np.round(s.adj.weights[at] * SCALE).astype(np.int64)
        inside, wave_v = self.marked[v], s.waves[v]
        current = int(iw[(~inside | (v > unit)) & (wave_v == s.waves[unit])].sum())
        variables: list[cp_model.IntVar] = []
        coefficients: list[int] = []
        for i in np.flatnonzero(inside & (v > unit)).tolist():  # pairs in the part, in the order of adj
            u, other = movable[owner[i]], int(v[i])
            same = self.model.new_bool_var(f"same{u}_{other}")
            both = [self._both(u, other, w) for w in self.options[u] if (other, w) in x]
            self.model.add(same <= (self.linear.sum(both) if both else 0))
            variables.append(same)
            coefficients.append(int(iw[i]))
        for (i, w), weight in _summed(owner[~inside], wave_v[~inside], iw[~inside]):
            var = x.get((movable[i], w))
            if var is not None:
                variables.append(var)
                coefficients.append(weight)
        self.model.maximize(self.linear.weighted_sum(variables, coefficients) if variables else 0)
        return current

    def _both(self, u: int, v: int, w: int) -> cp_model.IntVar:
        z = self.model.new_bool_var(f"z{u}_{v}_{w}")
        self.model.add_implication(z, self.x[u, w])
        self.model.add_implication(z, self.x[v, w])
        return z


def _summed(a: np.ndarray, b: np.ndarray, values: np.ndarray) -> list[tuple[tuple[int, int], int]]:
    """``values`` (integers) summed per distinct pair (a, b), the pairs in order."""
    if not len(a):
        return []
    order = np.lexsort((b, a))
    a, b, values = a[order], b[order], values[order]
    start = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    sums = np.add.reduceat(values, start)
    return list(zip(zip(a[start].tolist(), b[start].tolist(), strict=True), sums.tolist(), strict=True))
