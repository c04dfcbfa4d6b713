"""Coupled systems: applications that exchange heavy traffic are found, named, and kept in adjacent waves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from migrator.generate import generate_estate
from migrator.settings import CapacitySettings, PlanningSettings
from migrator.systems import Systems, _systems, detect_systems, system_waves
from migrator.waves import group_edges, schedule
from tests.test_waves import group

# Two systems of three applications: heavy traffic inside each (erp the heaviest of the first, mes of the
# second), light traffic between them, and a lone application that talks a little to erp.
APPS = ["erp", "erp-tax", "erp-hr", "mes", "mes-hist", "mes-label", "wiki"]
HEAVY = [
    ("erp-tax", "erp", 100),
    ("erp-hr", "erp", 90),
    ("erp-tax", "erp-hr", 20),
    ("mes-hist", "mes", 100),
    ("mes-label", "mes", 80),
    ("mes-label", "mes-hist", 60),
]
LIGHT = [("mes", "erp", 5), ("wiki", "erp", 3)]


def estate(links: list[tuple[str, str, int]], servers_per_app: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each application has ``servers_per_app`` servers talking to each other; a link joins the first servers
    of two applications."""
    servers = pd.DataFrame({"application": np.repeat(APPS, servers_per_app)})
    first = {app: i * servers_per_app for i, app in enumerate(APPS)}
    inside = [(first[a] + 1, first[a], 500) for a in APPS]  # traffic inside an application counts neither way
    rows = inside + [(first[s], first[d], w) for s, d, w in links]
    edges = pd.DataFrame(rows, columns=["src", "dst", "weight"])
    return servers, edges


def detect(links: list[tuple[str, str, int]], planned: np.ndarray | None = None) -> Systems:
    servers, edges = estate(links)
    return detect_systems(servers, edges, np.ones(len(servers), bool) if planned is None else planned)


def test_two_coupled_systems_are_found_and_named_after_their_heaviest_application() -> None:
    systems = detect(HEAVY + LIGHT).systems
    assert [(s.id, s.name, s.applications) for s in systems] == [
        ("SYS-001", "mes + 2 applications", ("mes", "mes-hist", "mes-label")),
        ("SYS-002", "erp + 2 applications", ("erp", "erp-hr", "erp-tax")),
    ]
    mes, erp = systems
    assert (mes.internal_weight, mes.external_weight) == (240.0, 5.0)
    assert (erp.internal_weight, erp.external_weight) == (210.0, 8.0)


def test_a_lone_application_is_in_no_system() -> None:
    result = detect(HEAVY + LIGHT)
    servers, _ = estate(HEAVY + LIGHT)
    wiki = servers["application"].eq("wiki").to_numpy()
    assert (result.server_system[wiki] == -1).all()
    assert (result.server_system[~wiki] >= 0).all()


def test_a_community_that_talks_more_outside_than_inside_is_no_system() -> None:
    # Communities as Louvain might propose them: {0, 1} exchange 10 with each other and 30 with 2 and 3.
    pairs = pd.DataFrame({"a": [0, 0, 1, 2], "b": [1, 2, 3, 3], "weight": [10.0, 15.0, 15.0, 40.0]})
    names = np.array(["a", "b", "c", "d"], dtype=object)
    systems, index = _systems(pairs, np.array([0, 0, 1, 1]), names)
    assert [(s.applications, s.internal_weight, s.external_weight) for s in systems] == [
        (("c", "d"), 40.0, 30.0)
    ]
    assert index.tolist() == [-1, -1, 0, 0]


def test_servers_that_do_not_move_are_left_out() -> None:
    servers, _ = estate(HEAVY + LIGHT)
    planned = ~servers["application"].isin(["mes", "mes-hist", "mes-label"]).to_numpy()
    assert [s.name for s in detect(HEAVY + LIGHT, planned).systems] == ["erp + 2 applications"]


def test_same_systems_whatever_the_order_of_the_dependencies() -> None:
    servers, edges = estate(HEAVY + LIGHT)
    planned = np.ones(len(servers), bool)
    shuffled = edges.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a, b = detect_systems(servers, edges, planned), detect_systems(servers, shuffled, planned)
    assert a.systems == b.systems and (a.server_system == b.server_system).all()


def test_a_system_takes_its_move_groups_majority_system() -> None:
    result = Systems((), np.array([0, 0, 1, -1, -1, 1, 1]))
    assert result.group_system(np.array([0, 0, 0, 1, -1, 2, 2]), 4).tolist() == [0, -1, 1, -1]


def test_waves_spanned_and_weight_crossing_waves_inside_each_system() -> None:
    result = Systems((), np.array([0, 0, 1, 1, -1]))
    result = Systems(tuple(detect(HEAVY).systems), result.server_system)
    edges = pd.DataFrame({"src": [0, 2, 3, 4], "dst": [1, 3, 0, 0], "weight": [7.0, 5.0, 11.0, 13.0]})
    spans = system_waves(result, np.array([1.0, 2.0, 3.0, 3.0, 1.0]), edges)
    assert spans == [((1, 2), 7.0), ((3,), 0.0)]


# Scheduling: a system's move groups in the same or adjacent waves ----------------------------------------


def waves(groups: list[dict], max_servers: int, group_system: np.ndarray | None = None) -> dict[str, int]:
    """Wave of each one-server move group (no dependencies, no balancing), by name."""
    frame = pd.DataFrame(groups)
    gedges = group_edges(np.arange(len(frame)), pd.DataFrame({"src": [], "dst": [], "weight": []}, dtype=int))
    cap = CapacitySettings(max_servers=max_servers, max_vcpus=1e6, max_storage_gb=1e6, balance=False)
    planning = PlanningSettings(protected_waves=0)
    assignment = schedule(frame, gedges, cap, planning, 1, group_system)
    return {g["name"]: int(w) for g, w in zip(groups, assignment.group_wave, strict=True)}


def test_a_system_fills_one_wave_and_spills_into_the_next() -> None:
    names = ["a-erp", "b", "c", "d", "e", "f", "g-erp", "h-erp"]
    groups = [group(n) for n in names]
    apart = waves(groups, max_servers=2)
    assert {apart[n] for n in ("a-erp", "g-erp", "h-erp")} == {1, 4}  # name order alone spreads erp
    system = np.array([0, -1, -1, -1, -1, -1, 0, 0])
    together = waves(groups, max_servers=2, group_system=system)
    assert {together[n] for n in ("a-erp", "g-erp", "h-erp")} == {1, 2}
    assert max(together.values()) == max(apart.values())  # no wave more


def test_two_systems_with_room_for_exactly_one_per_wave_stay_whole() -> None:
    groups = [group(n) for n in ("a-x", "b-y", "c-y", "d-x")]
    assert waves(groups, max_servers=2) == {"a-x": 1, "b-y": 1, "c-y": 2, "d-x": 2}
    kept = waves(groups, max_servers=2, group_system=np.array([0, 1, 1, 0]))
    assert kept == {"a-x": 1, "d-x": 1, "b-y": 2, "c-y": 2}


def test_generated_coupled_systems_are_found() -> None:
    generated = generate_estate(1500, seed=3, coupled_systems=True)
    servers, deps = generated.servers, generated.dependencies
    position = pd.Series(np.arange(len(servers)), index=servers["name"])
    edges = pd.DataFrame(
        {
            "src": position[deps["source"]].to_numpy(),
            "dst": position[deps["target"]].to_numpy(),
            "weight": deps["weight"].to_numpy(float),
        }
    )
    planned = servers["role"].eq("").to_numpy()
    found = detect_systems(servers, edges, planned).systems
    assert len(found) >= 20
    assert np.median([len(s.applications) for s in found]) <= 5


def test_plan_names_each_system_and_the_waves_it_spans(tmp_path) -> None:
    from migrator.generate import write_estate
    from migrator.outputs.json_plan import dumps
    from migrator.outputs.markdown import render_markdown
    from migrator.pipeline import PlanInputs, run_plan
    from migrator.settings import load_settings

    write_estate(generate_estate(800, seed=11, coupled_systems=True), tmp_path)
    inputs = PlanInputs([tmp_path / "servers.csv"], [tmp_path / "dependencies.csv"], [tmp_path / "hosts.csv"])
    settings = load_settings(None, {"sizing": {"enabled": False}}, environ={})
    doc = run_plan(inputs, settings).document
    assert doc.systems and all(
        s.waves == sorted(set(s.waves)) and s.crossing_weight >= 0 for s in doc.systems
    )
    assert [s.id for s in doc.systems] == [f"SYS-{i:03d}" for i in range(1, len(doc.systems) + 1)]
    plan_md = render_markdown(doc)
    assert "## Coupled systems" in plan_md and doc.systems[0].name in plan_md
    assert dumps(run_plan(inputs, settings).document) == dumps(doc)  # the same plan, byte for byte
