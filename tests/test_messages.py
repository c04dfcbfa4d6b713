"""What the plan says counts in good English: "1 server", "1 server dependency", never "1 servers"."""

from __future__ import annotations

import re
from pathlib import Path

from migrator.conditions import check_conditions
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings
from tests.test_conditions import Group, Server, plan

SAMPLE = Path(__file__).parents[1] / "inventories" / "sample"
ONE_OF_MANY = re.compile(r"(?<![\d.,])1 (?:[a-z/-]+ )?(?:servers|dependencies|waves|groups|hosts|rows)\b")


def test_the_sample_plan_says_one_server_not_one_servers() -> None:
    inputs = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    doc = run_plan(inputs, load_settings(SAMPLE / "migrator.toml")).document
    messages = [f.message for f in doc.findings] + [v.message for v in doc.violations]
    assert not [m for m in messages if ONE_OF_MANY.search(m)]
    assert (
        "dependencies name 1 server that is not in the inventory; kept as external endpoints: muc-oldfs01"
        in messages
    )


def test_a_single_dependency_pointing_forward_is_one_server_dependency() -> None:
    ctx = plan(
        groups=[Group("shop (prod)", 1), Group("billing (prod)", 2)],
        servers=[
            Server("shop-web", "shop (prod)", app="shop"),
            Server("bill-db", "billing (prod)", app="billing"),
        ],
        depends_on=[("shop-web", "bill-db")],
    )
    (violation,) = check_conditions(ctx)
    assert violation.message.endswith("; 1 server dependency, for example shop-web → bill-db")


def test_one_missing_host_and_one_pinned_server_read_as_one() -> None:
    from migrator.baseline import match_hosts
    from migrator.contradictions import capacity_findings
    from tests.conftest import inventory, server

    inv = inventory([server("a", host="esx01"), server("b", host="esx09")], hosts=[{"host": "esx01"}])
    _, findings = match_hosts(inv.servers, inv.hosts)
    words = {f.code: f.message for f in findings}
    assert words["hosts-not-listed"].startswith("1 host named by VMs is not in the host list")
    assert words["hosts-counted"].startswith("the footprint counts 2 hosts")
    settings = load_settings(None, {"capacity": {"max_servers": 1}})
    import pandas as pd

    (over,) = capacity_findings(pd.Series([1.0, 1.0, 2.0]), settings)
    assert over.message.startswith("2 servers are pinned to wave 1")
    assert not [m for m in (*words.values(), over.message) if ONE_OF_MANY.search(m)]
