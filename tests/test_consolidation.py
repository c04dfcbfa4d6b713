"""Consolidation of what stays, on a hand-built estate whose answers were worked out by hand.

Two data centers. DC-A: racks RA1, RA2, RA3 of four hosts each; cluster CA1 = a01-a04 (RA1) + a05, a06 (RA2),
cluster CA2 = a07, a08 (RA2) + a09-a12 (RA3). DC-B: cluster CB1 = b01, b02 (RB1) + b03, b04 (RB2). Every host
runs four VMs of 4 vCPU / 16 GiB, one of them retained: retained VMs sit in every rack. The other VMs leave at
the end of a wave: DC-A's on 2027-03-05, DC-B's on 2027-04-09. HA reserve one host per cluster.

Today's density (VM load per host beyond the reserve): CA1 and CA2 96 vCPU / 5 hosts = 19.2 vCPU, CB1 64 / 3 =
21.33 vCPU. Retained load: 24 vCPU per DC-A cluster, 48 in DC-A, 16 in CB1.

- none: a host is freed only when empty; every host keeps a retained VM: 16 hosts, 5 racks, 2 data centers.
- cluster: CA1 needs ceil(24 / 19.2) + 1 = 3 hosts, taken in its largest rack (a01-a03, RA1); CA2 3 hosts in
  RA3 (a09-a11; RA1 holds none of CA2's hosts); CB1 ceil(16 / 21.33) + 1 = 2 hosts in RB1: 8 hosts, 3 racks
  (RA1, RA3, RB1), RA2 and RB2 emptied.
- datacenter: DC-A's 48 vCPU fit on a01-a04 (4 x 19.2 = 76.8 minus one reserve host = 57.6): one cluster, one
  rack (RA1); DC-B as in cluster mode: 6 hosts, 2 racks.

Moves are dated on the first day of the consolidation window (7 days) after the departures that make room on
the destination: DC-A's window would open on 2027-03-06 but overlaps the freeze of 2027-03-08..14, so it opens
on 2027-03-15; DC-B's opens on 2027-04-10.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from migrator.footprint import NEVER, prepare, project
from migrator.settings import FootprintSettings, FreezeWindow, TargetSettings
from tests.conftest import inventory, server

A_HOSTS = {
    **{f"a{i:02d}": ("CA1", "RA1") for i in range(1, 5)},
    "a05": ("CA1", "RA2"),
    "a06": ("CA1", "RA2"),
    "a07": ("CA2", "RA2"),
    "a08": ("CA2", "RA2"),
    **{f"a{i:02d}": ("CA2", "RA3") for i in range(9, 13)},
}
B_HOSTS = {"b01": ("CB1", "RB1"), "b02": ("CB1", "RB1"), "b03": ("CB1", "RB2"), "b04": ("CB1", "RB2")}
FREEZE = FreezeWindow(name="patch week", start=dt.date(2027, 3, 8), end=dt.date(2027, 3, 14))
A_LEAVE, B_LEAVE = "2027-03-05", "2027-04-09"


def _estate(b_retained: bool = True, cores: float | None = None):
    hosts, servers, leave = [], [], []
    for dc, table, day in (("DC-A", A_HOSTS, A_LEAVE), ("DC-B", B_HOSTS, B_LEAVE)):
        for host, (cluster, rack) in table.items():
            hosts.append({"host": host, "cluster": cluster, "datacenter": dc, "rack": rack, "power_w": 500})
            if cores is not None:
                hosts[-1].update(cores=cores, memory_gb=512)
            for j in range(4):
                keep = j == 0 and (dc == "DC-A" or b_retained)
                app = "ledger" if keep and dc == "DC-A" else "mes" if keep else "web"
                name = f"{host}-{'keep' if keep else f'vm{j}'}"
                servers.append(server(name, app, cores=4, mem=16, host=host, cluster=cluster, datacenter=dc))
                leave.append(None if keep else day)
    return servers, hosts, leave


def _project(mode: str, metric: str = "racks", b_retained: bool = True, **extra):
    servers, hosts, leave = _estate(b_retained, extra.pop("cores", None))
    inv = inventory(servers, None, hosts)
    dates = np.array([np.datetime64(d) if d else NEVER for d in leave], dtype="datetime64[D]")
    return project(
        inv.servers,
        inv.hosts,
        dates,
        dt.date(2027, 1, 4),
        dt.date(2027, 12, 31),
        TargetSettings(metric=metric, reduction=0.5, by=dt.date(2027, 12, 31)),
        FootprintSettings(consolidation=mode, **extra),
        (FREEZE,),
    )


@pytest.mark.parametrize(
    ("mode", "hosts", "racks", "datacenters"),
    [("none", 16, 5, 2), ("cluster", 8, 3, 2), ("datacenter", 6, 2, 2)],
)
def test_what_stays_under_each_consolidation_mode(mode, hosts, racks, datacenters) -> None:
    for metric, expected in (("hosts", hosts), ("racks", racks), ("datacenters", datacenters)):
        fp, _ = _project(mode, metric)
        assert fp.consolidation == mode
        assert fp.minimum_remaining == expected, metric
    assert _project(mode, "hosts")[0].baseline == 16 and _project(mode, "racks")[0].baseline == 5


def test_racks_fall_when_the_consolidation_windows_open() -> None:
    fp, _ = _project("datacenter")
    months = {p.month: p.remaining for p in fp.timeline}
    assert (months["2027-02"], months["2027-03"], months["2027-04"]) == (5, 3, 2)
    fp, _ = _project("none")
    assert {p.remaining for p in fp.timeline} == {5}


def test_every_move_is_listed_with_where_from_where_to_and_a_date_clear_of_freezes() -> None:
    fp, _ = _project("cluster")
    moves = fp.moves
    assert moves is not None
    # CA1: a04-a06's retained VMs go to RA1; CA2: a07, a08 and a12's to RA3; CB1: b03, b04's to RB1.
    by_server = moves.set_index("server")
    assert sorted(by_server.index) == [
        "a04-keep", "a05-keep", "a06-keep", "a07-keep", "a08-keep", "a12-keep", "b03-keep", "b04-keep"
    ]  # fmt: skip
    assert by_server.loc["a05-keep", ["from_host", "from_cluster", "from_rack"]].tolist() == [
        "a05",
        "CA1",
        "RA2",
    ]
    assert by_server.loc["a05-keep", ["to_cluster", "to_rack"]].tolist() == ["CA1", "RA1"]
    assert by_server.loc["a07-keep", ["to_cluster", "to_rack"]].tolist() == ["CA2", "RA3"]
    assert set(moves.loc[moves["datacenter"] == "DC-A", "date"]) == {"2027-03-15"}  # not in the freeze
    assert set(moves.loc[moves["datacenter"] == "DC-B", "date"]) == {"2027-04-10"}
    assert list(moves["date"]) == sorted(moves["date"])


def test_datacenter_mode_moves_retained_vms_across_clusters_of_one_data_center() -> None:
    fp, _ = _project("datacenter")
    moves = fp.moves
    assert moves is not None
    dc_a = moves[moves["datacenter"] == "DC-A"]
    assert len(dc_a) == 8 and set(dc_a["to_cluster"]) == {"CA1"} and set(dc_a["to_rack"]) == {"RA1"}
    assert {"CA2"} <= set(dc_a["from_cluster"])
    assert not (moves["datacenter"].eq("DC-B") & moves["to_rack"].ne("RB1")).any()  # never across sites


def test_data_center_exits_say_when_a_site_empties_and_what_keeps_the_other_open() -> None:
    fp, _ = _project("datacenter", "datacenters", b_retained=False)
    assert fp.baseline == 2 and fp.minimum_remaining == 1
    sites = {d.name: d for d in fp.datacenters}
    assert sites["DC-B"].empties_on == "2027-04" and sites["DC-B"].kept_open_by == ()
    assert sites["DC-A"].empties_on is None
    assert [app for app, _ in sites["DC-A"].kept_open_by] == ["ledger"]
    assert len(sites["DC-A"].kept_open_by[0][1]) == 12
    assert sites["DC-A"].today["racks"] == 3 and sites["DC-A"].at_target["racks"] == 1
    assert sites["DC-A"].at_target["hosts"] == 4 and sites["DC-B"].at_target["hosts"] == 0
    assert sites["DC-B"].remaining[:3] == (1.0, 1.0, 1.0) and sites["DC-B"].remaining[3] == 0.0


def test_a_data_center_whose_retained_load_cannot_fit_keeps_its_vms_where_they_are() -> None:
    # 4 physical cores a host at one vCPU per core: DC-A's 48 retained vCPU need more than its 12 hosts hold
    # beyond the reserves (44), DC-B's 16 more than its 4 hosts (12).
    fp, findings = _project("datacenter", "racks", cores=4, overcommit=1.0)
    limits = [f.message for f in findings if f.code == "consolidation-infeasible"]
    assert len(limits) == 2 and "data center DC-A" in limits[0] and "stay where they are" in limits[0]
    assert fp.moves is not None and fp.moves.empty
    assert fp.minimum_remaining == 5  # every rack keeps its retained VM, as without consolidation


def test_hardware_capacity_with_overcommit_packs_tighter_than_todays_density() -> None:
    # 16 cores x 4 vCPU per core = 64 vCPU a host: DC-A's 48 retained vCPU fit on one host plus a reserve.
    fp, _ = _project("datacenter", "hosts", cores=16, overcommit=4.0)
    assert fp.minimum_remaining == 2 + 2


def test_consolidate_false_is_the_same_as_none() -> None:
    fp, _ = _project("datacenter", "racks", consolidate=False)
    assert fp.consolidation == "none" and fp.minimum_remaining == 5


def test_a_prepared_estate_reprojects_other_schedules_as_the_full_projection_does() -> None:
    servers, hosts, leave = _estate()
    inv = inventory(servers, None, hosts)
    target = TargetSettings(metric="racks", reduction=0.5, by=dt.date(2027, 12, 31))
    retained = np.array([d is None for d in leave])
    prep = prepare(inv.servers, inv.hosts, retained, target, FootprintSettings())
    for shift in (0, 40, 200):  # the same estate, its waves later and later
        days = [np.datetime64(d) + np.timedelta64(shift, "D") if d else NEVER for d in leave]
        dates = np.array(days, dtype="datetime64[D]")
        full, _ = prep.project(dates, dt.date(2027, 1, 4), dt.date(2027, 12, 31), target, (FREEZE,))
        quick = prep.reached_on(dates, dt.date(2027, 1, 4), dt.date(2027, 12, 31), target, (FREEZE,))
        assert quick == full.reached_on
    assert quick is not None and quick > "2027-04"


def test_more_consolidation_never_keeps_more_racks_on_a_generated_estate() -> None:
    from migrator.generate import Sites, generate_estate

    estate = generate_estate(600, seed=3, sites=Sites(datacenters=2, spread=True))
    inv = inventory(estate.servers.astype(str).replace({"nan": ""}).to_dict("records"), None,
                    estate.hosts.astype(str).to_dict("records"))  # fmt: skip
    retained = inv.servers["disposition"].eq("retain").to_numpy()
    leave = np.where(retained, NEVER, np.datetime64("2027-06-30")).astype("datetime64[D]")
    target = TargetSettings(metric="racks", by=dt.date(2029, 12, 31))
    kept = []
    for mode in ("none", "cluster", "datacenter"):
        fp, _ = project(inv.servers, inv.hosts, leave, dt.date(2027, 1, 4), target.by, target,
                        FootprintSettings(consolidation=mode))  # fmt: skip
        kept.append(fp.minimum_remaining)
        moved = fp.moves
        assert moved is not None and set(moved["server"]) <= set(inv.servers["name"][retained])
    assert kept[0] >= kept[1] >= kept[2] and kept[0] > kept[2]
