"""The dependency graph: resolution by name, short name and IP; external endpoints; shared services."""

from __future__ import annotations

import numpy as np

from migrator.graph import build_graph
from migrator.settings import SharedServiceSettings
from tests.conftest import inventory, server


def _graph(servers, deps, **detection):
    inv = inventory(servers, deps)
    return inv, build_graph(inv.servers, inv.dependencies, SharedServiceSettings(**detection))


def test_rows_aggregate_to_weighted_edges_and_resolve_by_fqdn_and_ip() -> None:
    inv, g = _graph(
        [server("web01", ip="10.0.0.1"), server("DB01", ip="10.0.0.2")],
        [
            {"source": "web01", "target": "db01", "port": 1433, "weight": 5},
            {"source": "web01.corp.example", "target": "DB01", "port": 1433, "weight": 7},
            {"source": "", "source_ip": "10.0.0.1", "target": "", "target_ip": "10.0.0.2", "port": 1434},
        ],
    )
    assert g.edges[["src", "dst", "weight", "rows"]].values.tolist() == [[0, 1, 13.0, 3]]
    assert sorted(g.ports["port"].astype(int).tolist()) == [1433, 1434]


def test_external_endpoints_are_kept_and_classified() -> None:
    _, g = _graph(
        [server("app1")],
        [
            {"source": "app1", "target": "", "target_ip": "203.0.113.7", "port": 443, "weight": 3},
            {"source": "app1", "target": "", "target_ip": "10.9.9.9", "port": 445},
            {"source": "app1", "target": "ghost01", "port": 22},
        ],
    )
    kinds = dict(zip(g.external["address"], g.external["kind"], strict=True))
    assert kinds == {"203.0.113.7": "internet", "10.9.9.9": "private", "ghost01": "unresolved-name"}
    assert any("ghost01" in f.message for f in g.findings)


def test_rows_naming_no_inventory_server_are_reported() -> None:
    _, g = _graph([server("a")], [{"source": "x", "target": "y"}])
    assert g.stats["unresolved_rows"] == 1
    assert "x, y" in g.findings[0].message


def test_shared_service_detected_from_graph_and_role_overrides() -> None:
    servers = [server(f"s{i}", f"app{i}") for i in range(12)] + [
        server("mon01", "infra"),
        server("dc01", "infra", role="domain-controller"),
        server("busy", "infra", role="app"),
    ]
    deps = [{"source": f"s{i}", "target": t} for i in range(12) for t in ("mon01", "busy")] + [
        {"source": "s0", "target": "dc01"}
    ]
    _, g = _graph(servers, deps, min_applications=5, min_dependants=10)
    found = dict(zip(g.shared_services["server"], g.shared_services["detected_by"], strict=True))
    names = {i: s["name"] for i, s in enumerate(servers)}
    assert {names[i]: how for i, how in found.items()} == {"mon01": "graph", "dc01": "role"}


def test_detection_can_be_disabled() -> None:
    servers = [server(f"s{i}", f"app{i}") for i in range(12)] + [server("mon01", "infra")]
    deps = [{"source": f"s{i}", "target": "mon01"} for i in range(12)]
    _, g = _graph(servers, deps, detect=False)
    assert len(g.shared_services) == 0
    assert np.all(g.edges["dst"] == 12)


def test_no_dependencies_give_empty_typed_tables_and_declared_shared_services_only() -> None:
    _, g = _graph([server("a"), server("dc01", role="dns")], [])
    assert len(g.edges) == len(g.ports) == len(g.external) == 0
    assert list(g.external.columns) == ["server", "address", "direction", "weight", "rows", "ports", "kind"]
    assert g.external["server"].dtype == np.int64 and not g.findings
    assert g.shared_services[["server", "role", "detected_by"]].values.tolist() == [[1, "dns", "role"]]
    assert g.stats == {
        "rows": 0,
        "resolved_rows": 0,
        "self_loops": 0,
        "external_rows": 0,
        "unresolved_rows": 0,
    }
