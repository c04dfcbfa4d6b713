"""Move groups and waves honour Azure Migrate's eight conditions, and say where they cannot."""

from __future__ import annotations

from typing import Any

from migrator.pipeline import plan_inventory
from migrator.planfile import as_records
from tests.conftest import inventory, server, settings


def _plan(
    servers: list[dict[str, Any]],
    deps: list[dict[str, Any]] | None = None,
    hosts=None,
    **sections: dict[str, Any],
) -> dict[str, Any]:
    sections.setdefault("planning", {"protected_waves": 0})
    return as_records(
        plan_inventory(inventory(servers, deps, hosts), settings(**sections)).document.to_dict()
    )


def _waves(doc: dict[str, Any]) -> dict[str, int | None]:
    return {s["name"]: s["wave"] for s in doc["servers"]}


def test_application_instance_is_one_move_group_and_prod_dev_apart() -> None:
    doc = _plan([server("p1", "erp"), server("p2", "erp"), server("d1", "erp", env="dev")])
    groups = {g["name"]: g["servers"] for g in doc["move_groups"]}
    assert groups == {"erp (dev)": ["d1"], "erp (prod)": ["p1", "p2"]}
    w = _waves(doc)
    assert w["d1"] < w["p1"] == w["p2"]  # (4) dev/test first, (5) never together
    assert doc["violations"] == []


def test_strong_two_way_dependency_joins_groups_across_applications() -> None:
    doc = _plan(
        [server("a1", "a"), server("b1", "b"), server("c1", "c")],
        [
            {"source": "a1", "target": "b1"},
            {"source": "b1", "target": "a1"},
            {"source": "c1", "target": "a1"},
        ],
    )
    names = [g["name"] for g in doc["move_groups"]]
    assert names == ["a (prod) + 1 coupled", "c (prod)"]


def test_target_moves_no_later_than_source() -> None:
    # Capacity of one server per wave forces an order; the database must go first.
    doc = _plan(
        [server("web", "shop-web"), server("api", "shop-api"), server("db", "shop-db")],
        [{"source": "web", "target": "api"}, {"source": "api", "target": "db"}],
        capacity={"max_servers": 1},
    )
    w = _waves(doc)
    assert w["db"] < w["api"] < w["web"]
    assert doc["violations"] == []


def test_dependency_cycle_shares_a_wave() -> None:
    doc = _plan(
        [server("x", "x"), server("y", "y"), server("z", "z")],
        [{"source": "x", "target": "y", "weight": 1}, {"source": "y", "target": "x", "weight": 1}],
        planning={"protected_waves": 0, "two_way_min_weight": 5},
    )  # too weak for condition 1, still a cycle for 3
    w = _waves(doc)
    assert w["x"] == w["y"]


def test_capacity_split_cuts_the_weakest_dependencies_and_is_reported() -> None:
    servers = [server(f"a{i}", "big") for i in range(4)] + [server(f"b{i}", "big") for i in range(4)]
    deps = [
        {"source": f"a{i}", "target": f"a{j}", "weight": 100} for i in range(4) for j in range(4) if i != j
    ]
    deps += [
        {"source": f"b{i}", "target": f"b{j}", "weight": 100} for i in range(4) for j in range(4) if i != j
    ]
    deps += [{"source": "a0", "target": "b0", "weight": 1}]
    doc = _plan(servers, deps, capacity={"max_servers": 4})
    parts = sorted(sorted(g["servers"]) for g in doc["move_groups"])
    assert parts == [[f"a{i}" for i in range(4)], [f"b{i}" for i in range(4)]]
    split = doc["move_groups"][0]["split"]
    assert split["of"] == 2 and split["cut_edges"] == 1 and split["cut_weight"] > 0
    assert {v["condition"] for v in doc["violations"]} == {
        2
    }  # the application is spread: reported, not hidden


def test_capacity_limits_hold_and_oversize_server_is_a_violation() -> None:
    servers = [server(f"s{i}", f"app{i}", cores=8) for i in range(10)] + [server("huge", "h", cores=500)]
    doc = _plan(servers, capacity={"max_servers": 3, "max_vcpus": 24})
    for w in doc["waves"]:
        if "huge" not in w["applications"] and "h" not in w["applications"]:
            assert w["servers"] <= 3 and w["vcpus"] <= 24
    assert [v["condition"] for v in doc["violations"]] == [8]


def test_high_criticality_kept_out_of_first_waves() -> None:
    servers = [server("crit", "core", criticality="critical")] + [
        server(f"s{i}", f"app{i}") for i in range(4)
    ]
    doc = _plan(servers, capacity={"max_servers": 1}, planning={"protected_waves": 2})
    assert _waves(doc)["crit"] >= 3
    assert doc["violations"] == []


def test_retired_and_retained_are_not_moved() -> None:
    doc = _plan(
        [
            server("m", "app"),
            server("old", "legacy", disposition="retire"),
            server("keep", "ot", disposition="retain"),
        ],
        [{"source": "m", "target": "old"}],
    )
    rows = {s["name"]: s for s in doc["servers"]}
    assert rows["old"]["wave"] is None and rows["keep"]["wave"] is None
    assert rows["old"]["decommission_date"] == rows["m"]["wave_end"]  # retired once its last user has moved
    assert rows["keep"]["decommission_date"] is None


def test_pins_place_servers_and_report_what_they_break() -> None:
    doc = _plan(
        [server("app1", "a", pinned_wave=1), server("db1", "d")],
        [{"source": "app1", "target": "db1"}],
        capacity={"max_servers": 1},
        planning={"protected_waves": 0},
    )
    w = _waves(doc)
    assert w["app1"] == 1
    assert [v["condition"] for v in doc["violations"]] == [3]


def test_shared_services_go_to_a_foundation_wave() -> None:
    servers = [server(f"s{i}", f"app{i}") for i in range(12)] + [
        server("dc01", "infra", role="domain-controller")
    ]
    deps = [{"source": f"s{i}", "target": "dc01", "port": 389} for i in range(12)]
    doc = _plan(servers, deps)
    assert doc["waves"][0]["kind"] == "foundation"
    assert _waves(doc)["dc01"] == 1
    assert min(w for n, w in _waves(doc).items() if n != "dc01") == 2
    hub = doc["shared_services"][0]
    assert hub["server"] == "dc01" and hub["top_ports"] == [389] and hub["decommission_date"] is not None


def test_cross_wave_dependencies_list_ports_and_hybrid_days() -> None:
    doc = _plan(
        [server("a", "a"), server("b", "b")],
        [{"source": "a", "target": "b", "port": 443, "weight": 9}],
        capacity={"max_servers": 1},
        calendar={"start": "2027-01-04", "wave_weeks": 2, "cadence_weeks": 2},
    )
    (c,) = doc["cross_wave_dependencies"]
    assert (c["source"], c["target"], c["ports"], c["connections"], c["hybrid_days"]) == (
        "a",
        "b",
        [443],
        9.0,
        14,
    )


def test_freeze_window_is_skipped() -> None:
    doc = _plan(
        [server(f"s{i}", f"a{i}") for i in range(3)],
        capacity={"max_servers": 1},
        calendar={
            "start": "2027-01-04",
            "wave_weeks": 1,
            "cadence_weeks": 1,
            "freeze": [{"name": "close", "start": "2027-01-12", "end": "2027-01-20"}],
        },
    )
    starts = [w["start"] for w in doc["waves"]]
    assert starts == ["2027-01-04", "2027-01-21", "2027-01-28"]


def test_every_wave_has_risk_and_confidence_with_reasons() -> None:
    doc = _plan([server("p", "a", criticality="critical"), server("d", "a", env="dev")])
    for w in doc["waves"]:
        assert w["risk"]["reasons"] and w["confidence"]["reasons"]
    prod = next(w for w in doc["waves"] if w["kind"] == "prod")
    assert prod["risk"]["score"] > next(w for w in doc["waves"] if w["kind"] == "nonprod")["risk"]["score"]
