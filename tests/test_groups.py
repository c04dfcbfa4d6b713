"""Move groups, rule by rule, on inventories small enough to check by hand.

Servers have 2 vCPU and 100 GB unless a test says otherwise; capacities are in servers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from migrator.generate import generate_estate, write_estate
from migrator.graph import build_graph
from migrator.groups import (
    COMPLEXITY_RANK,
    CRIT_RANK,
    GroupBuilder,
    MoveGroups,
    build_groups,
    coupled_name,
    two_way_pairs,
)
from migrator.pipeline import PlanInputs, load_inventory
from migrator.settings import CapacitySettings, PlanningSettings, load_settings
from migrator.shared_services import plan_scope


def server(
    name: str, app: str = "", env: str = "prod", criticality: str = "", complexity: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "application": app,
        "environment": env,
        "cores": 2.0,
        "memory_gb": 8.0,
        "storage_gb": 100.0,
        "criticality": criticality,
        "complexity": complexity,
    }


def edges_between(names: list[str], deps: Sequence[tuple[str, str, float]]) -> pd.DataFrame:
    """Server dependencies (source, target, weight) as the graph's edge table."""
    index = {name: i for i, name in enumerate(names)}
    return pd.DataFrame(
        {
            "src": np.array([index[s] for s, _, _ in deps], dtype=np.int64),
            "dst": np.array([index[d] for _, d, _ in deps], dtype=np.int64),
            "weight": np.array([w for _, _, w in deps], dtype=float),
        }
    )


def groups_of(
    servers: list[dict[str, Any]],
    deps: Sequence[tuple[str, str, float]] | None = None,
    pins: dict[str, int] | None = None,
    out_of_scope: tuple[str, ...] = (),
    max_servers: int = 50,
    **planning: Any,
) -> MoveGroups:
    frame = pd.DataFrame(servers)
    names = list(frame["name"])
    pin_series = pd.Series([(pins or {}).get(n) for n in names], dtype="Float64")
    in_scope = ~frame["name"].isin(out_of_scope).to_numpy()
    return build_groups(
        frame,
        edges_between(names, deps or []),
        in_scope,
        pin_series,
        PlanningSettings(**planning),
        CapacitySettings(max_servers=max_servers),
    )


def members(moves: MoveGroups, servers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Servers of each group, by group id."""
    ids = moves.groups["id"].to_numpy()
    out: dict[str, list[str]] = {}
    for s, g in zip(servers, moves.server_group, strict=True):
        if g >= 0:
            out.setdefault(str(ids[g]), []).append(s["name"])
    return out


def names(moves: MoveGroups) -> list[str]:
    return list(moves.groups["name"])


# Conditions 2 and 5: one application instance per environment ----------------------------------------------


def test_a_move_group_is_one_application_in_one_environment() -> None:
    servers = [server("p1", "erp"), server("p2", "erp"), server("d1", "erp", "dev"), server("c1", "crm")]
    moves = groups_of(servers)
    # Numbered by name: crm (prod), erp (dev), erp (prod).
    assert names(moves) == ["crm (prod)", "erp (dev)", "erp (prod)"]
    assert members(moves, servers) == {"MG-0001": ["c1"], "MG-0002": ["d1"], "MG-0003": ["p1", "p2"]}
    assert list(moves.groups["klass"]) == ["prod", "nonprod", "prod"]


def test_a_server_with_no_application_is_a_group_of_its_own_and_out_of_scope_servers_are_in_none() -> None:
    servers = [server("lonely"), server("hub", "ad"), server("p1", "erp")]
    moves = groups_of(servers, out_of_scope=("hub",))
    assert names(moves) == ["erp (prod)", "lonely"]
    assert list(moves.server_group) == [1, -1, 0]


# Condition 1: strong two-way dependencies ------------------------------------------------------------------


def test_a_strong_two_way_dependency_joins_groups_across_applications() -> None:
    # a1 and b1 talk both ways (weight 3 each way); c1 only calls a1.
    servers = [server("a1", "a"), server("b1", "b"), server("c1", "c")]
    deps = [("a1", "b1", 3), ("b1", "a1", 3), ("c1", "a1", 3)]
    assert names(groups_of(servers, deps)) == ["a (prod) + 1 coupled", "c (prod)"]
    # Three each way is not strong when the threshold is 5.
    assert names(groups_of(servers, deps, two_way_min_weight=5)) == ["a (prod)", "b (prod)", "c (prod)"]


def test_two_way_pairs_are_the_in_scope_edges_heavier_than_the_threshold_both_ways() -> None:
    # 0-1: 2 both ways. 1-2: 5 one way, 0.5 back. 2-3: 1 both ways, but 3 is out of scope.
    edges = pd.DataFrame(
        {
            "src": [0, 1, 1, 2, 2, 3],
            "dst": [1, 0, 2, 1, 3, 2],
            "weight": [2.0, 2.0, 5.0, 0.5, 1.0, 1.0],
        }
    )
    in_scope = np.array([True, True, True, False])
    pairs = two_way_pairs(edges, in_scope, 1.0)
    assert pairs.to_dict("list") == {"src": [0], "dst": [1], "weight": [2.0]}
    # With no threshold 1-2 is strong both ways too; rows keep the edges' order and index (src < dst only).
    assert list(two_way_pairs(edges, in_scope, 0.0).index) == [0, 2]


# Naming ----------------------------------------------------------------------------------------------------


def test_a_group_is_named_after_its_largest_instance_plus_how_many_are_coupled() -> None:
    servers = [server("e1", "erp"), server("e2", "erp"), server("c1", "crm"), server("h1", "hr")]
    deps = [(a, b, 1) for a, b in (("e1", "c1"), ("c1", "e1"), ("e2", "h1"), ("h1", "e2"))]
    assert names(groups_of(servers, deps)) == ["erp (prod) + 2 coupled"]


def test_equal_instances_name_the_group_by_the_first_name() -> None:
    servers = [server("e1", "erp"), server("c1", "crm")]
    assert names(groups_of(servers, [("e1", "c1", 1), ("c1", "e1", 1)])) == ["crm (prod) + 1 coupled"]


def test_coupled_name() -> None:
    assert coupled_name("erp (prod)", 1) == "erp (prod)"
    assert coupled_name("erp (prod)", 3) == "erp (prod) + 2 coupled"


# Pins ------------------------------------------------------------------------------------------------------


def test_one_pin_moves_the_whole_group() -> None:
    servers = [server("p1", "erp"), server("p2", "erp")]
    groups = groups_of(servers, pins={"p1": 3}).groups
    assert groups[["name", "pin", "pin_split"]].to_dict("records") == [
        {"name": "erp (prod)", "pin": 3.0, "pin_split": False}
    ]


def test_different_pins_split_a_group_and_unpinned_servers_follow_the_earliest() -> None:
    servers = [server("p1", "erp"), server("p2", "erp"), server("p3", "erp")]
    moves = groups_of(servers, pins={"p1": 2, "p3": 4})
    assert members(moves, servers) == {"MG-0001": ["p1", "p2"], "MG-0002": ["p3"]}
    assert list(moves.groups["pin"]) == [2.0, 4.0]
    assert list(moves.groups["pin_split"]) == [True, True]


# Condition 8: a group larger than a wave -------------------------------------------------------------------


def test_a_group_larger_than_a_wave_is_split_along_its_weakest_dependency() -> None:
    # Two cliques of four (weight 100 both ways), one weak call between them (a0 -> b0, weight 1); four a
    # wave.
    servers = [server(f"a{i}", "big") for i in range(4)] + [server(f"b{i}", "big") for i in range(4)]
    deps = [(f"{c}{i}", f"{c}{j}", 100) for c in "ab" for i in range(4) for j in range(4) if i != j]
    deps.append(("a0", "b0", 1))
    moves = groups_of(servers, deps, max_servers=4)
    assert members(moves, servers) == {
        "MG-0001": ["a0", "a1", "a2", "a3"],
        "MG-0002": ["b0", "b1", "b2", "b3"],
    }
    split = ["name", "split_from", "split_part", "split_of", "split_cut_weight", "split_cut_edges"]
    assert moves.groups[split].to_dict("records") == [
        {
            "name": "big (prod)",
            "split_from": "big (prod)",
            "split_part": part,
            "split_of": 2,
            "split_cut_weight": 1.0,
            "split_cut_edges": 1,
        }
        for part in (1, 2)
    ]


def test_a_group_within_capacity_is_not_split() -> None:
    groups = groups_of([server("p1", "erp"), server("p2", "erp")], max_servers=2).groups
    assert groups[["split_from", "split_part", "split_of"]].to_dict("records") == [
        {"split_from": "", "split_part": 0, "split_of": 0}
    ]


# Criticality and complexity --------------------------------------------------------------------------------


def test_ranks_follow_the_schema_levels_and_empty_values() -> None:
    assert CRIT_RANK == {"": 1, "low": 0, "medium": 1, "high": 2, "critical": 3}
    assert COMPLEXITY_RANK == {"": -1, "low": 0, "medium": 1, "high": 2}


def test_a_group_takes_its_highest_criticality_and_complexity() -> None:
    servers = [server("p1", "erp", criticality="low"), server("p2", "erp", "prod", "critical", "medium")]
    groups = groups_of(servers).groups
    assert groups[["crit", "complexity", "complexity_source"]].to_dict("records") == [
        {"crit": 3, "complexity": 1, "complexity_source": "inventory"}
    ]


def test_complexity_is_derived_from_size_and_partners_when_the_inventory_has_none() -> None:
    # High from 4 servers or 2 partner groups, medium from half of either. erp (4 servers): high by size;
    # crm (2 servers, no partner): medium by size; hr (1 server, depends on erp and web): high by partners;
    # web (1 server, 1 partner): medium by partners.
    servers = [server(f"e{i}", "erp") for i in range(4)]
    servers += [server("c1", "crm"), server("c2", "crm"), server("h1", "hr"), server("w1", "web")]
    moves = groups_of(
        servers, [("h1", "e0", 1), ("h1", "w1", 1)], complexity_servers=4, complexity_partners=2
    )
    got = moves.groups[["name", "servers_count", "partners", "complexity", "complexity_source"]]
    assert got.to_dict("list") == {
        "name": ["crm (prod)", "erp (prod)", "hr (prod)", "web (prod)"],
        "servers_count": [2, 4, 1, 1],
        "partners": [0, 1, 2, 1],
        "complexity": [1, 2, 2, 1],
        "complexity_source": ["derived"] * 4,
    }


def test_a_group_lists_its_applications_and_environments_sorted_and_without_blanks() -> None:
    # erp (prod), crm (test) and a server with no application are coupled by strong two-way dependencies;
    # "solo" has no application and no environment.
    servers = [server("e1", "erp"), server("e2", "erp"), server("c1", "crm", "test"), server("x1", env="")]
    servers.append(server("solo", env=""))
    deps = [(a, b, 1) for a, b in (("e1", "c1"), ("c1", "e1"), ("e2", "x1"), ("x1", "e2"))]
    groups = groups_of(servers, deps).groups
    assert groups[["name", "applications", "environments"]].to_dict("records") == [
        {"name": "erp (prod) + 2 coupled", "applications": ["crm", "erp"], "environments": ["prod", "test"]},
        {"name": "solo", "applications": [], "environments": []},
    ]


# One estate, many capacities (the what-it-takes search re-plans at other wave capacities) -------------------


@pytest.fixture(scope="module")
def estate(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, pd.Series, PlanningSettings]:
    """A generated estate of 800 servers, a third of them pinned (splitting some groups)."""
    folder = tmp_path_factory.mktemp("estate")
    write_estate(generate_estate(800, seed=11), folder)
    settings = load_settings(None, {}, environ={})
    files = [[Path(folder) / name] for name in ("servers.csv", "dependencies.csv", "hosts.csv")]
    inventory = load_inventory(PlanInputs(files[0], files[1], files[2]), settings)
    servers = inventory.servers
    graph = build_graph(servers, inventory.dependencies, settings.shared_services)
    scope = plan_scope(servers, graph, settings.shared_services)
    pins = pd.Series(pd.NA, index=servers.index, dtype="Float64")
    pinned = np.flatnonzero(scope.planned)[::3]
    pins.iloc[pinned] = (np.arange(len(pinned)) % 3 + 1).astype(float)
    return servers, graph.edges, scope.planned, pins, settings.planning


def _capacity(servers: int) -> CapacitySettings:
    return CapacitySettings(max_servers=servers, max_vcpus=6 * servers, max_storage_gb=400 * servers)


def test_the_builder_makes_at_every_capacity_the_groups_build_groups_makes(
    estate: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, pd.Series, PlanningSettings],
) -> None:
    builder = GroupBuilder(*estate)
    splits = []
    for servers in (5000, 15, 45, 15):  # one builder, capacities in any order, one asked twice
        expected, got = build_groups(*estate, _capacity(servers)), builder.at(_capacity(servers))
        pd.testing.assert_frame_equal(got.groups, expected.groups)
        np.testing.assert_array_equal(got.server_group, expected.server_group)
        pd.testing.assert_frame_equal(got.two_way, expected.two_way)
        splits.append(int((got.groups["split_of"] > 0).sum()))
    assert splits[0] == 0 and min(splits[1:]) > 0 and max(splits) > 30  # no split at all, a few, more
    assert bool(builder.formed.base["pin_split"].any())  # pins split some groups too
