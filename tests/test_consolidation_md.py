"""PLAN.md's "Data-center exits" and "Consolidation of what stays" sections (outputs/footprint_md.py)."""

from __future__ import annotations

from types import SimpleNamespace

from migrator import plan_model as pm
from migrator.outputs import footprint_md


def _move(i: int, name: str = "") -> pm.ConsolidationMove:
    return pm.ConsolidationMove(
        server=name or f"vm{i:04d}",
        application="ledger",
        datacenter="DC-A",
        from_host=f"a{i % 7:02d}",
        from_cluster="CA2",
        from_rack="RA3",
        to_cluster="CA1",
        to_rack="RA1",
        date="2027-03-15" if i < 150 else "2027-06-14",
    )


def _units(hosts: int, racks: int) -> pm.DataCenterUnits:
    return pm.DataCenterUnits(hosts=hosts, racks=racks, physical_servers=0, kw=hosts * 0.5, servers=hosts * 4)


def _doc(moves: list[pm.ConsolidationMove], mode: str = "datacenter") -> SimpleNamespace:
    sites = [
        pm.DataCenter(
            name="DC-A",
            today=_units(12, 3),
            at_target=_units(4, 1),
            empties_on=None,
            kept_open_by=[pm.KeptOpenBy(application="ledger", servers=["a01-keep", "a02-keep"])],
            remaining=[3.0, 1.0],
        ),
        pm.DataCenter(
            name="DC-B", today=_units(4, 2), at_target=_units(0, 0), empties_on="2027-04", kept_open_by=[],
            remaining=[2.0, 0.0],
        ),
    ]  # fmt: skip
    footprint = SimpleNamespace(
        consolidation=mode,
        consolidation_moves=moves,
        datacenters=sites,
        target=SimpleNamespace(by="2029-12-31"),
    )
    return SimpleNamespace(footprint=footprint)


def test_moves_are_listed_with_their_windows_capped_and_escaped() -> None:
    moves = [_move(i) for i in range(249)] + [_move(249, "evil|name")]
    text = "\n".join(footprint_md.consolidation_moves(_doc(moves)))
    assert "250 retained VMs move within their data center" in text
    assert "in 2 windows from 2027-03-15 to 2027-06-14" in text
    assert text.count("| 2027-") == footprint_md.MAX_MOVE_ROWS
    assert "200 of 250 moves shown; all in plan.json `footprint.consolidation_moves`" in text
    assert "<details><summary>Consolidation moves (250)</summary>" in text
    text = "\n".join(footprint_md.consolidation_moves(_doc([_move(1, "evil|name")])))
    assert "evil\\|name" in text and "evil|name" not in text


def test_without_consolidation_the_section_says_so() -> None:
    text = "\n".join(footprint_md.consolidation_moves(_doc([], mode="none")))
    assert "Consolidation is off" in text


def test_data_center_table_says_when_a_site_empties_and_what_keeps_the_other_open() -> None:
    text = "\n".join(footprint_md.datacenters(_doc([])))
    assert "1 of 2 data centers empty by the end of the plan" in text
    assert "| DC-A | 12 / 4 | 3 / 1 | 0 / 0 | 6.00 / 2.00 | stays open | ledger (2) |" in text
    assert "| DC-B | 4 / 0 | 2 / 0 | 0 / 0 | 2.00 / 0.00 | 2027-04 |  |" in text
