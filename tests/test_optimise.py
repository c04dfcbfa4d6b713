"""The optimisation stage: whole move groups moved between waves to cut the dependency weight crossing waves,
never breaking a condition more, never going over capacity, never moving a pin.

The hand-built cases start from a given greedy assignment and have an optimum one can check by hand; the
generated estate checks the rules end to end against :mod:`migrator.conditions`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

from migrator import background
from migrator import optimise as opt
from migrator import schedule as sched
from migrator.generate import generate_estate, write_estate
from migrator.optimise import GroupLinks, OptimisationStats, optimise
from migrator.pipeline import PlanInputs, load_inventory, plan_inventory
from migrator.planfile import as_records
from migrator.settings import Settings, load_settings
from migrator.waves import WaveAssignment, group_edges


def groups_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """One server (1 vCPU, 10 GB) per group: (name, klass)."""
    return pd.DataFrame(
        {
            "name": [n for n, _ in rows],
            "klass": [k for _, k in rows],
            "crit": 0,
            "complexity": 0,
            "pin": np.nan,
            "servers_count": 1,
            "cores": 1.0,
            "storage_gb": 10.0,
        }
    )


def run(
    rows: list[tuple[str, str]],
    deps: list[tuple[str, str, float]],
    waves: list[int],
    *,
    max_servers: int = 2,
    pins: dict[str, int] | None = None,
    critical: tuple[str, ...] = (),
    protected_waves: int = 0,
    optimise_seconds: float = 2.0,
    early: bool = False,
) -> tuple[dict[str, int], OptimisationStats]:
    """Optimise the assignment ``waves`` (one per group); ``deps`` are (source, target, weight). ``early``:
    through an :class:`~migrator.optimise.Optimiser` made before the schedule, as the pipeline does."""
    groups = groups_frame(rows)
    for name, wave in (pins or {}).items():
        groups.loc[groups["name"] == name, "pin"] = float(wave)
    groups.loc[groups["name"].isin(critical), "crit"] = 3
    index = {n: i for i, (n, _) in enumerate(rows)}
    edges = pd.DataFrame(
        {
            "src": [index[s] for s, _, _ in deps],
            "dst": [index[d] for _, d, _ in deps],
            "weight": [w for *_, w in deps],
        }
    ).astype({"src": np.int64, "dst": np.int64, "weight": float})
    gedges = group_edges(np.arange(len(rows)), edges)
    group_wave = np.array(waves, dtype=np.int64)
    kinds = {int(w): k for w, (_, k) in zip(waves, rows, strict=True)}
    assignment = WaveAssignment(group_wave, np.arange(len(rows)), kinds, ())
    none = np.zeros((0, 2), dtype=np.int64)
    links = GroupLinks(together=none, before=none, mixed=np.zeros(len(rows), dtype=bool))
    settings = Settings.model_validate(
        {
            "capacity": {"max_servers": max_servers, "max_vcpus": 1e6, "max_storage_gb": 1e6},
            "planning": {"protected_waves": protected_waves, "optimise_seconds": optimise_seconds},
        }
    )
    if early:
        opt.warm_up(settings, len(rows))
    problem = opt.Problem(groups, gedges, assignment, links, settings, 1)
    out, stats = optimise(problem, float(edges["weight"].sum()))
    return {n: int(w) for (n, _), w in zip(rows, out.group_wave, strict=True)}, stats


# Two coupled systems, room for exactly one per wave: the greedy schedule interleaved them.
SYSTEMS = [("erp", "prod"), ("crm", "prod"), ("erp-reports", "prod"), ("crm-portal", "prod")]
SYSTEM_DEPS = [("erp-reports", "erp", 10.0), ("crm-portal", "crm", 10.0)]
INTERLEAVED = [1, 1, 2, 2]


@pytest.mark.parametrize("method", ["solver", "local search"])
def test_two_coupled_systems_each_end_up_whole_in_a_wave(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    if method == "solver":
        monkeypatch.setattr(opt, "MAX_PASSES", 0)  # no local search: CP-SAT alone
    else:
        monkeypatch.setattr(opt, "SOLVER_SHARE", 0.0)  # no solver: moves and swaps alone
    waves, stats = run(SYSTEMS, SYSTEM_DEPS, INTERLEAVED)
    assert waves["erp"] == waves["erp-reports"]
    assert waves["crm"] == waves["crm-portal"]
    assert waves["erp"] != waves["crm"]  # one system per wave: capacity holds
    assert (stats.crossing_before, stats.crossing_after) == (20.0, 0.0)
    assert stats.share_before == 1.0 and stats.share_after == 0.0


def test_a_pinned_group_stays_and_the_others_come_to_it() -> None:
    waves, _ = run(SYSTEMS, SYSTEM_DEPS, INTERLEAVED, pins={"erp-reports": 2})
    assert waves["erp-reports"] == 2
    assert waves["erp"] == 2  # erp joined its pinned satellite (its target moves no later: still true)
    assert waves["crm"] == waves["crm-portal"] == 1


def test_a_target_never_moves_after_its_source() -> None:
    # erp-reports cannot join erp (wave 1 is full); erp could join erp-reports in wave 2 and gain 10 - 1, but
    # billing, pinned in wave 1, depends on erp: erp would move after a server that depends on it.
    rows = [("erp", "prod"), ("erp-reports", "prod"), ("billing", "prod")]
    deps = [("erp-reports", "erp", 10.0), ("billing", "erp", 1.0)]
    waves, stats = run(rows, deps, [1, 2, 1], pins={"billing": 1})
    assert waves == {"erp": 1, "erp-reports": 2, "billing": 1}
    assert stats.crossing_after == stats.crossing_before == 10.0


def test_a_critical_group_never_enters_the_protected_first_waves() -> None:
    # payments (critical) would gain by joining its target ledger in wave 2, one of the 2 protected waves.
    rows = [("ledger", "prod"), ("payments", "prod"), ("intranet", "prod"), ("wiki", "prod")]
    deps = [("payments", "ledger", 10.0)]
    waves, _ = run(rows, deps, [2, 3, 1, 3], max_servers=5, critical=("payments",), protected_waves=2)
    assert waves["payments"] == 3
    waves, _ = run(rows, deps, [2, 3, 1, 3], max_servers=5, protected_waves=2)
    assert waves["payments"] == 2  # not critical: it joins


def test_production_never_joins_a_dev_test_wave_and_no_wave_is_emptied() -> None:
    rows = [("erp-dev", "nonprod"), ("erp", "prod"), ("crm", "prod")]
    deps = [("erp", "erp-dev", 5.0), ("crm", "erp", 1.0)]
    waves, stats = run(rows, deps, [1, 2, 3], max_servers=5)
    assert waves["erp"] == 2 and waves["erp-dev"] == 1  # the only wave erp could join is dev/test
    assert waves["crm"] == 3  # joining erp would empty wave 3 (the waves and their dates stay)
    assert stats.crossing_after == stats.crossing_before
    assert (
        stats.lower_bound == 5.0
    )  # production and dev/test never share a wave: erp -> erp-dev always crosses


def test_optimisation_off_keeps_the_greedy_schedule() -> None:
    rows = SYSTEMS
    groups = groups_frame(rows)
    assignment = WaveAssignment(np.array(INTERLEAVED), np.arange(4), {1: "prod", 2: "prod"}, ())
    gedges = pd.DataFrame({"src": [2, 3], "dst": [0, 1], "weight": [10.0, 10.0]})
    none = np.zeros((0, 2), dtype=np.int64)
    links = GroupLinks(none, none, np.zeros(4, dtype=bool))
    settings = Settings.model_validate({"planning": {"optimise": False}})
    out, stats = optimise(opt.Problem(groups, gedges, assignment, links, settings, 1), 20.0)
    assert out is assignment
    assert not stats.enabled and stats.crossing_after == stats.crossing_before == 20.0


# A generated estate, pins and tight capacity, end to end --------------------------------------------------


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("estate")
    write_estate(generate_estate(600, seed=7), folder)
    inputs = PlanInputs([folder / "servers.csv"], [folder / "dependencies.csv"], [folder / "hosts.csv"])
    inventory = load_inventory(inputs, load_settings(None, {}))
    movable = inventory.servers[inventory.servers["disposition"].ne("retain")]  # retained: never pinned
    names = movable["name"].sort_values(kind="mergesort").to_numpy()
    pins = pd.DataFrame(
        {"server": names[::40], "wave": pd.array((np.arange(len(names[::40])) % 6) + 2, dtype="Int64")}
    )
    return inventory, pins


def plan(estate: tuple[Any, pd.DataFrame], optimise_on: bool) -> dict[str, Any]:
    inventory, pins = estate
    overrides = {
        "capacity": {"max_servers": 25, "max_vcpus": 120, "max_storage_gb": 6000},
        "planning": {"optimise": optimise_on},
    }
    return as_records(plan_inventory(inventory, load_settings(None, overrides), pins).document.to_dict())


def test_the_search_runs_beside_the_plan_and_finds_the_waves_it_finds_in_one_process(
    estate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pipeline sizes the servers while the search runs in a child process on a second core: the child
    # starts before the move groups are made (it imports CP-SAT meanwhile) and is given the problem.
    events: list[str] = []
    real_waiting, real_give, real_schedule = background.start_waiting, background.Waiting.give, sched.schedule
    searches: list[background.Pending[Any]] = []

    def start_waiting(prepare: Any, compute: Any, *args: Any) -> Any:
        events.append("search process" if compute is opt._solve_problem else "other process")
        assert prepare is opt._model_class  # what it does while it waits: import CP-SAT
        return real_waiting(prepare, compute, *args)

    def give(self: Any, value: Any) -> Any:
        pending = real_give(self, value)
        if isinstance(value, opt.Problem):
            events.append("given")
            searches.append(pending)
        return pending

    def schedule(*args: Any) -> Any:
        events.append("schedule")
        return real_schedule(*args)

    monkeypatch.setattr(background, "start_waiting", start_waiting)
    monkeypatch.setattr(background.Waiting, "give", give)
    monkeypatch.setattr(sched, "schedule", schedule)
    monkeypatch.delenv(background.ENV, raising=False)
    beside = plan(estate, True)
    assert events == ["search process", "schedule", "given"]
    assert len(searches) == 1 and searches[0].in_child == background.available()
    found = beside["summary"]["optimisation"]
    assert found["crossing_after"] < found["crossing_before"]  # it found better waves
    monkeypatch.setenv(background.ENV, "1")
    assert plan(estate, True) == beside


def test_a_problem_no_process_waits_for_is_searched_in_a_process_forked_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # More servers than WARM_UP_SERVERS (their problem would not fit the pipe), or the waiting process
    # gone: the search is forked once the problem is known, and finds the same waves.
    def found(early: bool) -> tuple[dict[str, int], OptimisationStats]:
        waves, stats = run(SYSTEMS, SYSTEM_DEPS, INTERLEAVED, early=early)
        return waves, dataclasses.replace(stats, seconds=0.0)  # all but the time it took

    expected = found(False)
    assert expected[0] != dict(zip([n for n, _ in SYSTEMS], INTERLEAVED, strict=True))  # it moved groups
    real_start, real_waiting = background.start, background.start_waiting
    forked: list[background.Pending[Any]] = []
    waiting: list[Any] = []

    def start(compute: Any, *args: Any) -> Any:
        pending = real_start(compute, *args)
        forked.append(pending)
        return pending

    def start_waiting_then_gone(*args: Any) -> Any:
        waiting.append(real_waiting(*args))
        if waiting[-1]._pid is not None:
            os.kill(waiting[-1]._pid, signal.SIGKILL)
            os.waitpid(waiting[-1]._pid, 0)
        return waiting[-1]

    monkeypatch.setattr(background, "start", start)
    monkeypatch.setattr(background, "start_waiting", start_waiting_then_gone)
    monkeypatch.delenv(background.ENV, raising=False)
    monkeypatch.setattr(opt, "WARM_UP_SERVERS", len(SYSTEMS) - 1)
    assert found(True) == expected and not waiting  # no process waited
    assert len(forked) == 1 and forked[0].in_child == background.available()
    monkeypatch.setattr(opt, "WARM_UP_SERVERS", len(SYSTEMS))
    assert found(True) == expected and len(waiting) == background.available()
    assert len(forked) == 2 and forked[1].in_child == background.available()


@pytest.mark.parametrize("early", [False, True])
def test_a_search_given_a_long_budget_is_not_cut_short_as_a_stuck_child(
    monkeypatch: pytest.MonkeyPatch, early: bool
) -> None:
    limits: list[float] = []
    real_start, real_waiting = background.start, background.start_waiting

    def start(compute: Any, limit: float = background.LIMIT_SECONDS) -> Any:
        limits.append(limit)
        return real_start(compute, limit)

    def start_waiting(prepare: Any, compute: Any, limit: float = background.LIMIT_SECONDS) -> Any:
        limits.append(limit)
        return real_waiting(prepare, compute, limit)

    monkeypatch.setattr(background, "start", start)
    monkeypatch.setattr(background, "start_waiting", start_waiting)
    run(SYSTEMS, SYSTEM_DEPS, INTERLEAVED, optimise_seconds=300, early=early)
    assert limits == [3000]  # ten times the budget: a deterministic budget takes longer on a slow machine


def test_on_a_generated_estate_no_condition_is_broken_more_and_pins_and_capacity_hold(estate: Any) -> None:
    greedy, better = plan(estate, False), plan(estate, True)
    before = Counter(v["condition"] for v in greedy["violations"])
    after = Counter(v["condition"] for v in better["violations"])
    assert all(after[c] <= before[c] for c in range(1, 9)), (before, after)  # no condition broken more
    over_before = {tuple(v["waves"]) for v in greedy["violations"] if v["condition"] == 8}
    over_after = {tuple(v["waves"]) for v in better["violations"] if v["condition"] == 8}
    assert over_after <= over_before  # no wave newly over its capacity
    _, pins = estate
    wave_of = {s["name"]: s["wave"] for s in better["servers"]}
    assert all(
        wave_of[s] == w for s, w in zip(pins["server"], pins["wave"], strict=True) if wave_of[s] is not None
    )
    calendar = [(w["number"], w["kind"], w["start"], w["end"]) for w in better["waves"]]
    assert calendar == [(w["number"], w["kind"], w["start"], w["end"]) for w in greedy["waves"]]
    o = better["summary"]["optimisation"]
    assert o["enabled"] and o["crossing_after"] < o["crossing_before"]
    assert 0 < o["lower_bound"] <= o["crossing_after"]
    assert better["summary"]["cross_wave_weight_share"] == o["share_after"] < o["share_before"]
    assert greedy["summary"]["cross_wave_weight_share"] == o["share_before"]


def test_the_same_inputs_give_the_same_plan_with_optimisation_on(estate: Any) -> None:
    first, second = plan(estate, True), plan(estate, True)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_group_links_tie_split_instances_and_order_dev_test_before_production() -> None:
    server_group = np.array([0, 1, 2, 3, -1])
    application = np.array(["erp", "erp", "erp", "erp", "dns"])
    klass = np.array(["prod", "prod", "nonprod", "nonprod", "prod"])
    instance = np.array(["erp (prod)", "erp (prod)", "erp (dev)", "erp (dev)", "dns"])
    links = opt.group_links(server_group, application, klass, instance, (np.array([0]), np.array([2])), 4)
    assert sorted(map(tuple, links.together.tolist())) == [(0, 1), (0, 2), (2, 3)]
    assert sorted(map(tuple, links.before.tolist())) == [(2, 0), (2, 1), (3, 0), (3, 1)]
    assert not links.mixed.any()


def bound_of(rows: list[tuple[str, str, int]], deps: list[tuple[str, str, float]], capacity: float) -> float:
    """The lower bound for groups (name, klass, servers) and dependencies (source, target, weight)."""
    groups = groups_frame([(n, k) for n, k, _ in rows]).assign(servers_count=[s for *_, s in rows])
    index = {n: i for i, (n, *_) in enumerate(rows)}
    gedges = pd.DataFrame(
        {
            "src": [index[s] for s, *_ in deps],
            "dst": [index[d] for _, d, _ in deps],
            "weight": [w for *_, w in deps],
        }
    ).astype({"src": np.int64, "dst": np.int64, "weight": float})
    return opt.lower_bound(groups, gedges, capacity)


def test_the_lower_bound_counts_what_no_wave_has_room_for() -> None:
    # a hub talks to four one-server applications; a wave holds the hub and one of them
    star = [("hub", "prod", 1)] + [(f"leaf{i}", "prod", 1) for i in range(4)]
    deps = [(f"leaf{i}", "hub", 1.0) for i in range(4)]
    # the hub keeps 1 of its 4, the leaves keep theirs: (3 + 0) / 2
    assert bound_of(star, deps, capacity=2) == 1.5
    assert bound_of(star, deps, capacity=5) == 0.0  # room for all: nothing has to cross
    # without a capacity the bound is what condition 5 forces apart: production and dev/test
    mixed = [("erp", "prod", 1), ("erp-dev", "nonprod", 1), ("crm", "prod", 1)]
    mixed_deps = [("erp-dev", "erp", 4.0), ("crm", "erp", 1.0)]
    assert bound_of(mixed, mixed_deps, capacity=np.inf) == 4.0
    # a group that fills its wave alone keeps nothing, and nothing keeps it
    assert bound_of([("big", "prod", 3), ("small", "prod", 1)], [("small", "big", 2.0)], capacity=3) == 2.0


def test_the_lower_bound_never_exceeds_the_best_possible_plan() -> None:
    """Brute force: every assignment of six groups to waves, capacity in servers and classes kept."""
    import itertools

    rng = np.random.default_rng(7)
    labels = np.array(list(itertools.product(range(6), repeat=6)))  # wave of each group, all 6^6 ways
    for _ in range(25):
        size = rng.integers(1, 3, 6)
        klass = np.where(rng.random(6) < 0.25, "nonprod", "prod")
        src, dst = np.triu_indices(6, 1)
        keep = rng.random(len(src)) < 0.5
        src, dst = src[keep], dst[keep]
        weight = rng.integers(1, 10, len(src)).astype(float)
        capacity = int(rng.integers(2, 5))
        load = np.stack([(labels == w) @ size for w in range(6)], axis=1)
        same_class_apart = np.ones(len(labels), dtype=bool)
        for a, b in itertools.combinations(range(6), 2):
            if klass[a] != klass[b]:
                same_class_apart &= labels[:, a] != labels[:, b]
        feasible = (load <= capacity).all(axis=1) & same_class_apart
        crossing = ((labels[:, src] != labels[:, dst]) * weight).sum(axis=1)
        best = crossing[feasible].min()
        rows = [(f"g{i}", str(klass[i]), int(size[i])) for i in range(6)]
        deps = [(f"g{s}", f"g{d}", float(w)) for s, d, w in zip(src, dst, weight, strict=True)]
        assert bound_of(rows, deps, capacity) <= best + 1e-9


# The optimiser's bookkeeping, against the plain loops it replaces -------------------------------------------


def test_unit_neighbours_are_listed_in_the_order_the_pairs_add_them() -> None:
    # Pairs sorted by (a, b), both orientations present (as unit pairs can be): each row adds (b, w) to a's
    # list and (a, w) to b's, row by row; a unit's weight is summed along its list.
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 12, 200), rng.integers(0, 12, 200)
    keep = a != b
    pairs = pd.DataFrame({"a": a[keep], "b": b[keep], "w": rng.random(int(keep.sum())) * 1e3})
    pairs = pairs.groupby(["a", "b"], sort=True)["w"].sum().reset_index()
    expected: list[list[tuple[int, float]]] = [[] for _ in range(14)]
    for x, y, w in zip(pairs["a"].tolist(), pairs["b"].tolist(), pairs["w"].tolist(), strict=True):
        expected[x].append((y, w))
        expected[y].append((x, w))
    adjacency = opt._Adjacency.of(14, pairs)
    assert [adjacency[u] for u in range(14)] == expected
    assert adjacency.busy().tolist() == [sum(w for _, w in row) for row in expected]
    earlier: list[list[int]] = [[] for _ in range(14)]  # as the order bounds are listed: b's list gets a
    for x, y in zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=True):
        earlier[y].append(x)
    lower = opt._Lists.of(14, pairs["b"].to_numpy(), pairs["a"].to_numpy())
    assert [lower[u] for u in range(14)] == earlier


def reference_model(state: Any, movable: list[int]) -> Any:
    """The part's CP-SAT model built term by term with ``CpModel``'s own helpers (as the optimiser first
    built it)."""
    from ortools.sat.python import cp_model

    model, inside = cp_model.CpModel(), set(movable)
    window = sorted({state.wave[u] for u in movable})
    x: dict[tuple[int, int], Any] = {}
    for u in movable:
        lo = max((state.wave[p] for p in state.lower[u] if p not in inside), default=-(1 << 30))
        hi = min((state.wave[q] for q in state.upper[u] if q not in inside), default=1 << 30)
        options = [w for w in window if w == state.wave[u] or (lo <= w <= hi and state.allowed(u, w))]
        for w in options:
            x[u, w] = model.new_bool_var(f"x{u}_{w}")
            model.add_hint(x[u, w], w == state.wave[u])
        model.add_exactly_one(x[u, w] for w in options)
    for u in movable:
        for p in state.lower[u]:
            if p in inside:
                model.add(
                    sum(w * x[p, w] for w in window if (p, w) in x)
                    <= sum(w * x[u, w] for w in window if (u, w) in x)
                )
    reference_capacity(model, state, movable, window, x)
    model.maximize(sum(reference_objective(model, state, movable, window, x)))
    return model


def reference_capacity(
    model: Any, state: Any, movable: list[int], window: list[int], x: dict[Any, Any]
) -> None:
    for w in window:
        here = [u for u in movable if (u, w) in x]
        fixed = [u for u in state.members[w] if u not in movable]
        if not fixed:
            model.add(sum(x[u, w] for u in here) >= 1)
        for d in range(3):
            room = state.limit[d] - sum(state.load[u][d] for u in fixed)
            terms = [int(np.ceil(state.load[u][d] * opt.SCALE)) * x[u, w] for u in here]
            model.add(sum(terms) <= int(np.floor(room * opt.SCALE)))


def reference_objective(
    model: Any, state: Any, movable: list[int], window: list[int], x: dict[Any, Any]
) -> list[Any]:
    terms = []
    for u in movable:
        for v, weight in state.adj[u]:
            iw = int(round(weight * opt.SCALE))
            if v in movable and v > u:
                same = model.new_bool_var(f"same{u}_{v}")
                both = []
                for w in [w for w in window if (u, w) in x and (v, w) in x]:
                    z = model.new_bool_var(f"z{u}_{v}_{w}")
                    model.add_implication(z, x[u, w])
                    model.add_implication(z, x[v, w])
                    both.append(z)
                model.add(same <= sum(both))
                terms.append(iw * same)
            elif v not in movable and (u, state.wave[v]) in x:
                terms.append(iw * x[u, state.wave[v]])
    return terms


def test_each_part_model_is_the_model_built_term_by_term(
    estate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The part models are built in batches (weighted sums, hints at once, one domain for every boolean):
    # CP-SAT must get the very same model, variable for variable and constraint for constraint, so that it
    # finds the same waves.
    real, checked = opt._PartModel, []
    monkeypatch.setenv(background.ENV, "1")  # the search in this process: the models are checked here

    def part_model(state: Any, movable: list[int]) -> Any:
        built = real(state, movable)
        assert str(built.model.proto) == str(reference_model(state, movable).proto)
        checked.append(len(movable))
        return built

    monkeypatch.setattr(opt, "_PartModel", part_model)
    plan(estate, True)
    assert len(checked) >= 5 and max(checked) > 2


def test_the_lean_cp_sat_model_is_used_where_its_internals_are_there() -> None:
    from ortools.sat.python import cp_model

    from migrator.optimise import _model_class

    model_class = _model_class()
    assert model_class is not cp_model.CpModel  # ortools as pyproject installs it: the fast model
    model = model_class()
    model.new_bool_var("x")
    assert list(model.proto.variables[0].domain) == [0, 1] and model.proto.variables[0].name == "x"
