"""When servers leave the data center: shared services, retired and retained servers.

The calendar starts on Monday 2027-01-04 with four-week waves back to back, so wave 1 ends on 2027-01-31,
wave 2 on 2027-02-28 and wave 3 on 2027-03-28. Pins put servers in the wave a test needs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from migrator.pipeline import plan_inventory
from tests.conftest import inventory, server, settings

WAVE_END = {1: "2027-01-31", 2: "2027-02-28", 3: "2027-03-28"}


def _plan(servers: list[dict[str, Any]], deps: list[dict[str, Any]] | None = None, **sections: Any) -> Any:
    sections.setdefault("planning", {"protected_waves": 0})
    return plan_inventory(inventory(servers, deps), settings(**sections))


def _leaves(result: Any) -> dict[str, str]:
    table: pd.DataFrame = result.servers
    return dict(zip(table["server"], table["decommission_date"], strict=True))


def _dep(source: str, target: str) -> dict[str, str]:
    return {"source": source, "target": target}


def test_a_migrating_server_leaves_at_the_end_of_its_wave() -> None:
    leaves = _leaves(_plan([server("web", "shop", pinned_wave=3)]))
    assert leaves == {"web": WAVE_END[3]}


def test_a_retired_server_goes_when_its_last_user_has_moved() -> None:
    result = _plan(
        [
            server("app", "erp", pinned_wave=1),
            server("late", "crm", pinned_wave=3),
            server("old-db", "legacy", disposition="retire"),
        ],
        [_dep("app", "old-db"), _dep("late", "old-db")],
    )
    assert _leaves(result)["old-db"] == WAVE_END[3]


def test_a_retired_server_goes_with_its_application() -> None:
    # No dependency at all: the retired server still waits for the rest of its application.
    result = _plan([server("erp-1", "erp", pinned_wave=2), server("erp-old", "erp", disposition="retire")])
    assert _leaves(result)["erp-old"] == WAVE_END[2]


def test_an_unused_retired_server_goes_after_the_first_wave() -> None:
    result = _plan([server("web", "shop", pinned_wave=3), server("fax", "fax", disposition="retire")])
    assert _leaves(result)["fax"] == WAVE_END[1]


def test_a_retired_server_still_used_by_a_retained_one_is_reported() -> None:
    result = _plan(
        [
            server("mainframe-gw", "core", disposition="retain"),
            server("old-ftp", "ftp", disposition="retire"),
            server("web", "shop"),
        ],
        [_dep("mainframe-gw", "old-ftp")],
    )
    codes = {f.code if hasattr(f, "code") else f["code"]: f for f in _findings(result)}
    assert "retire-in-use" in codes
    assert _leaves(result)["mainframe-gw"] == ""  # retained: never leaves


def _findings(result: Any) -> list[Any]:
    doc = result.document
    return list(doc.findings if hasattr(doc, "findings") else doc["findings"])


def _shared(result: Any) -> dict[str, Any]:
    doc = result.document
    rows = doc.shared_services if hasattr(doc, "shared_services") else doc["shared_services"]
    out = {}
    for row in rows:
        row = row if isinstance(row, dict) else row.model_dump(by_alias=True)
        out[row["server"]] = row
    return out


def _estate_with_dns(**dns: Any) -> list[dict[str, Any]]:
    return [
        server("dns1", "infra", role="dns", **dns),
        server("web", "shop", pinned_wave=2),
        server("erp", "erp", pinned_wave=3),
    ]


def test_a_shared_service_moves_in_the_foundation_wave_and_goes_after_its_last_dependant() -> None:
    # erp is a peer of dns1 in the other direction (dns1 connects to it): it counts as a dependant too.
    result = _plan(_estate_with_dns(), [_dep("web", "dns1"), _dep("dns1", "erp")])
    row = _shared(result)["dns1"]
    assert row["wave"] == 1 and row["treatment"] == "foundation"
    assert row["decommission_date"] == WAVE_END[3]
    assert _leaves(result)["dns1"] == WAVE_END[3]


def test_a_shared_service_a_retained_server_uses_stays_on_premises() -> None:
    servers = [*_estate_with_dns(), server("plc-gw", "plant", disposition="retain")]
    result = _plan(servers, [_dep("web", "dns1"), _dep("plc-gw", "dns1")])
    row = _shared(result)["dns1"]
    assert row["decommission_date"] is None
    assert row["handling"].endswith("but retained servers still use it, so it stays")
    assert _leaves(result)["dns1"] == ""


def test_shared_services_can_move_last() -> None:
    result = _plan(
        _estate_with_dns(),
        [_dep("web", "dns1"), _dep("erp", "dns1")],
        shared_services={"treatment": "last"},
    )
    row = _shared(result)["dns1"]
    # Workloads take waves 2 and 3 as pinned (no foundation wave), so the shared services take wave 4.
    assert row["wave"] == 4 and row["handling"] == "moved last, in wave 4"
    assert _leaves(result)["dns1"] == "2027-04-25"


def test_shared_services_can_be_retained() -> None:
    result = _plan(_estate_with_dns(), [_dep("web", "dns1")], shared_services={"treatment": "retain"})
    row = _shared(result)["dns1"]
    assert row["handling"] == "retained on premises" and row["decommission_date"] is None


def test_each_shared_service_lists_its_busiest_ports_as_a_filter_per_service_would() -> None:
    import numpy as np

    from migrator.decommission import TOP_PORTS, _ports_by_service

    rng = np.random.default_rng(3)
    top = pd.DataFrame(
        {"dst": rng.integers(0, 9, 200), "port": rng.integers(1, 60, 200), "weight": rng.random(200)}
    ).sort_values(["dst", "weight", "port"], ascending=[True, False, True], kind="mergesort")
    got = _ports_by_service(top)
    for s in range(10):
        want = top[top["dst"] == s]["port"].head(TOP_PORTS).astype(int).tolist()
        assert got.get(s, []) == want
    assert max(len(p) for p in got.values()) == TOP_PORTS  # services with more ports are cut
    assert _ports_by_service(top.iloc[:0]) == {}


def test_servers_without_an_application_share_none() -> None:
    # A blank application is no application: the retired server waits for no other server without one.
    result = _plan([server("web", "", pinned_wave=3), server("fax", "", disposition="retire")])
    assert _leaves(result)["fax"] == WAVE_END[1]
