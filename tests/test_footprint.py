"""The footprint shrinks only when hosts, racks or power are really freed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from migrator.footprint import NEVER, project
from migrator.settings import FootprintSettings, TargetSettings
from tests.conftest import inventory, server


def _project(servers, hosts, leave, metric="hosts", reserve=0, consolidate=True, reduction=0.5):
    inv = inventory(servers, None, hosts)
    dates = np.array([np.datetime64(d) if d else NEVER for d in leave], dtype="datetime64[D]")
    fp, findings = project(
        inv.servers,
        inv.hosts,
        dates,
        dt.date(2027, 1, 1),
        dt.date(2027, 6, 30),
        TargetSettings(metric=metric, reduction=reduction, by=dt.date(2027, 6, 30)),
        FootprintSettings(ha_reserve_hosts=reserve, consolidate=consolidate),
    )
    return fp, findings, {p.month: p.remaining for p in fp.timeline}


HOSTS = [{"host": f"h{i}", "cluster": "c1", "rack": f"r{i // 2}", "power_w": 500} for i in range(4)]


def _vms(n_per_host=2):
    return [
        server(f"vm{h}{j}", "a", host=f"h{h}", cluster="c1", cores=4, mem=16)
        for h in range(4)
        for j in range(n_per_host)
    ]


def test_host_freed_only_when_empty_without_consolidation() -> None:
    leave = ["2027-02-10", None] + [None] * 6  # one VM of h0 leaves: h0 still runs vm01
    fp, _, months = _project(_vms(), HOSTS, leave, consolidate=False)
    assert fp.baseline == 4 and months["2027-02"] == 4
    leave = ["2027-02-10", "2027-03-05"] + [None] * 6
    _, _, months = _project(_vms(), HOSTS, leave, consolidate=False)
    assert months["2027-02"] == 4 and months["2027-03"] == 3


def test_consolidation_frees_hosts_when_remaining_vms_fit_on_fewer() -> None:
    # Half the VMs leave, one from each host: no host is empty, but the rest fit on two hosts.
    leave = ["2027-02-10", None] * 4
    fp, _, months = _project(_vms(), HOSTS, leave)
    assert months["2027-01"] == 4 and months["2027-02"] == 2
    # With an HA reserve of one host, one more stays.
    _, _, months = _project(_vms(), HOSTS, leave, reserve=1)
    assert months["2027-02"] == 3  # ceil(16/ (32/3)) = 2 hosts needed, + 1 reserve


def test_retained_servers_bound_the_best_achievable() -> None:
    leave = ["2027-02-10"] * 6 + [None, None]  # the last two VMs (on h3) are retained
    fp, findings, months = _project(_vms(), HOSTS, leave, reduction=0.9)
    assert months["2027-02"] == 1
    assert fp.max_achievable == 0.75 and not fp.met
    assert [f.code for f in findings] == ["target-unreachable"]


def test_racks_and_kw_metrics() -> None:
    leave = ["2027-02-10"] * 4 + [None] * 4  # h0 and h1 (rack r0) empty
    fp, _, months = _project(_vms(), HOSTS, leave, metric="racks")
    assert fp.baseline == 2 and months["2027-02"] == 1
    fp, _, months = _project(_vms(), HOSTS, leave, metric="kw")
    assert fp.baseline == 2.0 and months["2027-02"] == 1.0
    assert fp.met and fp.reached_on == "2027-02"


def test_physical_servers_and_auto_metric() -> None:
    servers = [server("p1", "a", rack="r9", power_w=800), server("p2", "a", rack="r9", power_w=700)]
    fp, _, months = _project(servers, None, ["2027-03-01", None], metric="auto")
    assert fp.metric == "kw" and fp.baseline == 1.5 and months["2027-03"] == 0.7
    servers = [server("p1", "a"), server("p2", "a")]
    fp, _, _ = _project(servers, None, ["2027-03-01", None], metric="auto")
    assert fp.metric == "servers"  # no host, rack or power known: nothing else to count


def test_servers_metric_counts_everything_left() -> None:
    fp, _, months = _project(_vms(1), HOSTS, ["2027-01-15", None, None, None], metric="servers")
    assert fp.baseline == 4 and months["2027-01"] == 3
    assert isinstance(pd.Series(list(months.values())).sum(), float | np.floating)
