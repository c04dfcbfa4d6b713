"""The wave scheduler, rule by rule, on move groups small enough to check by hand.

Each move group below is one server (1 vCPU, 10 GB) unless a test says otherwise; capacities are in servers.
Balancing is off unless a test is about it, so that a wave fills up to its capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from migrator.settings import CapacitySettings, PlanningSettings
from migrator.waves import WaveAssignment, group_edges, schedule

LOW, MEDIUM, HIGH, CRITICAL = 0, 1, 2, 3  # criticality and complexity ranks (see migrator.groups)


def group(
    name: str,
    klass: str = "prod",
    crit: int = LOW,
    complexity: int = LOW,
    pin: int | None = None,
    servers: int = 1,
    storage: float = 10,
) -> dict[str, Any]:
    return {
        "name": name,
        "klass": klass,
        "crit": crit,
        "complexity": complexity,
        "pin": np.nan if pin is None else float(pin),
        "servers_count": servers,
        "cores": float(servers),
        "storage_gb": storage,
    }


def plan(
    groups: list[dict[str, Any]],
    deps: Sequence[tuple[str, str, float]] | None = None,
    *,
    max_servers: int = 10,
    max_storage_gb: float = 1e6,
    balance: bool = False,
    protected_waves: int = 0,
    first_wave: int = 1,
) -> WaveAssignment:
    """Schedule ``groups``; ``deps`` are (source, target, weight): the source depends on the target."""
    frame = pd.DataFrame(groups, columns=list(group("")))
    index = {name: i for i, name in enumerate(frame["name"])}
    deps = deps or []
    edges = pd.DataFrame(
        {
            "src": [index[s] for s, _, _ in deps],
            "dst": [index[d] for _, d, _ in deps],
            "weight": [float(w) for _, _, w in deps],
        },
        dtype=object,
    ).astype({"src": np.int64, "dst": np.int64, "weight": float})
    gedges = group_edges(np.arange(len(frame)), edges)
    cap = CapacitySettings(
        max_servers=max_servers, max_vcpus=1e6, max_storage_gb=max_storage_gb, balance=balance
    )
    return schedule(frame, gedges, cap, PlanningSettings(protected_waves=protected_waves), first_wave)


def waves(groups: list[dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, int]:
    """Wave of each group by name."""
    assignment = plan(groups, *args, **kwargs)
    return {g["name"]: int(w) for g, w in zip(groups, assignment.group_wave, strict=True)}


# Condition 4 and 5: dev/test first, production and dev/test never together ----------------------------------


def test_dev_test_waves_come_before_production_waves() -> None:
    # The production group is lower risk (it would go first on risk alone): the class order wins.
    assignment = plan([group("shop (prod)", crit=LOW), group("shop (dev)", "nonprod", crit=HIGH)])
    assert list(assignment.group_wave) == [2, 1]
    assert assignment.wave_kind == {1: "nonprod", 2: "prod"}


def test_production_and_dev_test_never_share_a_wave() -> None:
    # One wave could hold all three servers.
    got = waves([group("crm (dev)", "nonprod"), group("erp (dev)", "nonprod"), group("erp (prod)")])
    assert got == {"crm (dev)": 1, "erp (dev)": 1, "erp (prod)": 2}
    # Not even when placing a dev/test group makes a production group ready.
    got = waves([group("erp (dev)", "nonprod"), group("web (prod)")], [("web (prod)", "erp (dev)", 1)])
    assert got == {"erp (dev)": 1, "web (prod)": 2}


# Condition 3: dependencies ----------------------------------------------------------------------------------


def test_a_dependency_target_moves_no_later_than_its_source() -> None:
    # One server a wave. By name alone the order would be api, db, web; the dependencies reverse it.
    got = waves(
        [group("api"), group("db"), group("web")],
        [("web", "api", 1), ("api", "db", 1)],
        max_servers=1,
    )
    assert got == {"db": 1, "api": 2, "web": 3}


def test_a_cycle_of_groups_is_one_bundle_and_shares_a_wave() -> None:
    # app and db depend on each other; db alone would be held out of the protected first wave, app would not:
    # the cycle moves as one bundle, after the protected wave, whole.
    groups = [group("app"), group("db", crit=CRITICAL), group("intranet")]
    assignment = plan(groups, [("app", "db", 1), ("db", "app", 1)], protected_waves=1)
    assert list(assignment.group_wave) == [2, 2, 1]
    bundle = assignment.group_bundle
    assert bundle[0] == bundle[1] != bundle[2]
    assert assignment.bundles_split == ()


def test_a_cycle_too_large_for_a_wave_is_split_and_the_depended_on_side_goes_first() -> None:
    # Two servers each, three a wave: the cycle cannot share a wave. It is cut in two (the cut weighs 5 + 1)
    # and db, which app depends on most, goes first although app comes first by name.
    groups = [group("app", servers=2), group("db", servers=2)]
    assignment = plan(groups, [("app", "db", 5), ("db", "app", 1)], max_servers=3)
    assert list(assignment.group_wave) == [2, 1]
    assert assignment.bundles_split == (((0, 1), 2, 6.0, 1),)


def test_each_cycle_too_large_for_a_wave_is_split_along_its_own_weakest_dependency() -> None:
    # Two cycles of three groups, their groups interleaved (a1 b1 a2 b2 a3 b3), two servers each, four a wave:
    # each cycle is cut in two along its own weakest dependencies (a3 and b1 are only weakly tied to the
    # rest), and neither split sees the other cycle's groups or dependencies.
    names = ["a1", "b1", "a2", "b2", "a3", "b3"]
    groups = [group(name, servers=2) for name in names]
    ring_a = [("a1", "a2", 9), ("a2", "a1", 9), ("a2", "a3", 1), ("a3", "a1", 1)]
    ring_b = [("b1", "b2", 1), ("b2", "b3", 9), ("b3", "b2", 9), ("b3", "b1", 1)]
    assignment = plan(groups, ring_a + ring_b, max_servers=4)
    assert assignment.bundles_split == (((0, 2, 4), 2, 2.0, 2), ((1, 3, 5), 2, 2.0, 2))
    wave = dict(zip(names, assignment.group_wave.tolist(), strict=True))
    assert wave["a1"] == wave["a2"] != wave["a3"]
    assert wave["b2"] == wave["b3"] != wave["b1"]


def test_a_group_made_ready_by_a_placement_joins_its_wave_when_it_fits() -> None:
    # Two servers a wave. db goes first (lowest risk); placing it makes web ready. By rank batch (medium, "b")
    # comes before web (medium, "w"), but web joins db's wave: one dependency fewer crosses waves.
    groups = [group("batch", crit=MEDIUM), group("db"), group("web", crit=MEDIUM)]
    got = waves(groups, [("web", "db", 1)], max_servers=2)
    assert got == {"db": 1, "web": 1, "batch": 2}


# Ordering within the rules ----------------------------------------------------------------------------------


def test_lower_risk_groups_go_first() -> None:
    # Risk is criticality x 3 + complexity; the name breaks ties.
    groups = [group("accounts", crit=HIGH), group("billing", complexity=HIGH), group("wiki")]
    assert waves(groups, max_servers=1) == {"wiki": 1, "billing": 2, "accounts": 3}


# Condition 8: capacity --------------------------------------------------------------------------------------


def test_a_wave_stays_within_its_capacity() -> None:
    groups = [group(name) for name in "abcde"]
    assert waves(groups, max_servers=2) == {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}


def test_every_capacity_limit_counts() -> None:
    # Room for ten servers but 100 GB: two 40 GB groups a wave.
    groups = [group(name, storage=40) for name in "abc"]
    assert waves(groups, max_storage_gb=100) == {"a": 1, "b": 1, "c": 2}


def test_balancing_spreads_a_class_evenly_over_the_waves_it_needs() -> None:
    # Six servers, five a wave: two waves are needed. Filling up gives 5 + 1; balancing aims at
    # 6 / 2 x 1.08 = 3.24 servers a wave and gives 3 + 3.
    groups = [group(name) for name in "abcdef"]
    filled = waves(groups, max_servers=5)
    balanced = waves(groups, max_servers=5, balance=True)
    assert sorted(filled.values()) == [1, 1, 1, 1, 1, 2]
    assert sorted(balanced.values()) == [1, 1, 1, 2, 2, 2]


def test_a_group_larger_than_a_wave_still_gets_a_wave_of_its_own() -> None:
    assert waves([group("big", servers=3), group("small")], max_servers=2) == {"big": 1, "small": 2}


def test_a_wave_closes_after_64_ready_groups_were_passed_over_for_lack_of_room() -> None:
    # Wave 1 takes a (90 of 100 servers); the 64 b groups (20 servers each) do not fit in what is left; c (5)
    # would, but the wave stops looking after 64 misses. The b groups then go five a wave (waves 2 to 13), the
    # last four with c in wave 14.
    groups = [group("a", servers=90)] + [group(f"b{i:02d}", servers=20) for i in range(64)]
    groups.append(group("c", servers=5))
    got = waves(groups, max_servers=100)
    assert [name for name, w in got.items() if w == 1] == ["a"]
    assert got["c"] == 14
    assert [name for name, w in got.items() if w == 14] == ["b60", "b61", "b62", "b63", "c"]


# Conditions 6 and 7: protected waves ------------------------------------------------------------------------


def test_high_criticality_and_high_complexity_groups_stay_out_of_the_protected_waves() -> None:
    groups = [group("billing", crit=HIGH), group("ledger", complexity=HIGH), group("wiki")]
    assert waves(groups, protected_waves=1) == {"wiki": 1, "billing": 2, "ledger": 2}
    assert waves(groups, protected_waves=0) == {"wiki": 1, "billing": 1, "ledger": 1}
    # Not even when placing a group makes a held group ready.
    got = waves([group("db"), group("billing", crit=HIGH)], [("billing", "db", 1)], protected_waves=1)
    assert got == {"db": 1, "billing": 2}


def test_a_protected_wave_takes_the_lowest_risk_held_group_when_nothing_else_is_ready() -> None:
    # Wave 2 is still protected but only held groups are left: rather than stay empty it takes one, the lowest
    # risk (ledger: 1 x 3 + 2 = 5 against billing's 2 x 3 + 0 = 6). Wave 3 is not protected.
    groups = [group("billing", crit=HIGH), group("ledger", crit=MEDIUM, complexity=HIGH), group("wiki")]
    assert waves(groups, protected_waves=2) == {"wiki": 1, "ledger": 2, "billing": 3}


def test_protected_waves_count_from_the_first_migration_wave() -> None:
    # With a foundation wave 1, migration starts in wave 2 and wave 2 is the protected one.
    groups = [group("billing", crit=HIGH), group("wiki")]
    assert waves(groups, protected_waves=1, first_wave=2) == {"wiki": 2, "billing": 3}


# Pins -------------------------------------------------------------------------------------------------------


def test_pinned_groups_move_in_their_wave_and_their_dependants_wait_for_them() -> None:
    # reports would go in wave 1 but depends on the group pinned to wave 3; no wave is left empty in between.
    groups = [group("crm"), group("erp", pin=3), group("hr"), group("reports")]
    assignment = plan(groups, [("reports", "erp", 1)])
    assert list(assignment.group_wave) == [1, 3, 1, 3]
    assert assignment.wave_kind == {1: "prod", 3: "prod"}


def test_a_pin_wins_over_a_dependency() -> None:
    # app is pinned to wave 1 and fills it: db, which app depends on, goes to wave 2 (condition 3 is broken,
    # and migrator.conditions reports it).
    assert waves([group("app", pin=1), group("db")], [("app", "db", 1)], max_servers=1) == {"app": 1, "db": 2}


def test_a_pinned_wave_takes_the_class_of_most_of_its_pins() -> None:
    groups = [
        group("a (dev)", "nonprod", pin=1),
        group("b (dev)", "nonprod", pin=1),
        group("c (prod)", pin=1),
    ]
    assert plan(groups).wave_kind == {1: "nonprod"}


def test_no_groups_no_waves() -> None:
    assignment = plan([])
    assert len(assignment.group_wave) == 0
    assert assignment.wave_kind == {}
