"""The eight wave-planning conditions, one small hand-built assignment each.

Every test below describes a finished wave assignment in a few lines (move groups in waves, servers in move
groups) where exactly one condition is broken, and states the one violation the checker must report: its
message, servers and waves, worked out by hand. A clean assignment reports nothing, and the registry in
``migrator.conditions`` is the single place the conditions, their rules, severities and numbering come from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import migrator
from migrator import conditions
from migrator.conditions import (
    CONDITIONS,
    CRITICAL_CONDITIONS,
    RULES,
    Condition,
    Violation,
    WaveContext,
    check_conditions,
    condition_numbers,
    markdown_list,
)
from migrator.settings import CapacitySettings

ROOT = Path(__file__).resolve().parents[1]
LOW, MEDIUM, HIGH, CRITICAL = 0, 1, 2, 3
ROOMY = CapacitySettings(max_servers=1000, max_vcpus=10_000, max_storage_gb=1_000_000)


# --- A tiny language for wave assignments ---------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A move group and the wave it was scheduled in."""

    name: str
    wave: int
    criticality: int = LOW
    complexity: int = LOW


@dataclass(frozen=True)
class Server:
    """A server in a move group; ``group=None``: not planned in a wave (shared service, retired, retained)."""

    name: str
    group: str | None
    app: str = ""
    klass: str = "prod"
    cores: float = 4
    storage_gb: float = 100


def plan(
    groups: Sequence[Group],
    servers: Sequence[Server],
    depends_on: Sequence[tuple[str, str]] = (),
    two_way: Sequence[tuple[str, str]] = (),
    capacity: CapacitySettings = ROOMY,
    first_wave: int = 1,
    protected_waves: int = 0,
) -> WaveContext:
    """The WaveContext of this assignment; ``depends_on`` holds (source, target) server names."""
    group_index = {g.name: i for i, g in enumerate(groups)}
    position = {s.name: i for i, s in enumerate(servers)}
    server_group = np.array([group_index[s.group] if s.group else -1 for s in servers], dtype=np.int64)
    group_wave = np.array([g.wave for g in groups], dtype=np.int64)
    wave = np.where(server_group >= 0, group_wave[np.maximum(server_group, 0)], np.nan).astype(float)
    src = np.array([position[a] for a, _ in depends_on], dtype=np.int64)
    dst = np.array([position[b] for _, b in depends_on], dtype=np.int64)
    pairs = sorted(tuple(sorted((position[a], position[b]))) for a, b in two_way)
    return WaveContext(
        names=np.array([s.name for s in servers], dtype=object),
        application=np.array([s.app for s in servers], dtype=object),
        instance=np.array([f"{s.app} ({s.klass})" if s.app else s.name for s in servers], dtype=object),
        klass=np.array([s.klass for s in servers], dtype=object),
        cores=np.array([s.cores for s in servers], dtype=float),
        storage_gb=np.array([s.storage_gb for s in servers], dtype=float),
        wave=wave,
        server_group=server_group,
        group_wave=group_wave,
        group_name=np.array([g.name for g in groups], dtype=object),
        group_criticality=np.array([g.criticality for g in groups], dtype=np.int64),
        group_complexity=np.array([g.complexity for g in groups], dtype=np.int64),
        dep_src=src,
        dep_dst=dst,
        two_way_a=np.array([a for a, _ in pairs], dtype=np.int64),
        two_way_b=np.array([b for _, b in pairs], dtype=np.int64),
        capacity=capacity,
        first_wave=first_wave,
        protected_waves=protected_waves,
    )


# --- A clean assignment ---------------------------------------------------------------------------


def test_an_assignment_that_honours_every_condition_reports_nothing() -> None:
    # Foundation wave 1 moves dns (a shared service, not in a move group); migration waves start at 2.
    # The shop's dev/test moves first, alone; production follows together, its critical group after the one
    # protected wave. Each wave is exactly at its limit of two servers, which is within it.
    ctx = plan(
        groups=[Group("shop (nonprod)", 2), Group("shop (prod)", 3, criticality=CRITICAL, complexity=HIGH)],
        servers=[
            Server("dns01", None),
            Server("shop-test", "shop (nonprod)", app="shop", klass="nonprod"),
            Server("shop-test-db", "shop (nonprod)", app="shop", klass="nonprod"),
            Server("shop-web", "shop (prod)", app="shop"),
            Server("shop-db", "shop (prod)", app="shop"),
        ],
        depends_on=[("shop-web", "shop-db"), ("shop-db", "shop-web"), ("shop-test", "shop-test-db")],
        two_way=[("shop-web", "shop-db")],
        capacity=CapacitySettings(max_servers=2, max_vcpus=8, max_storage_gb=200),
        first_wave=2,
        protected_waves=1,
    )
    assert check_conditions(ctx) == []


def test_servers_outside_the_waves_take_part_in_no_condition() -> None:
    # crm-old is retired (no move group): it neither splits crm nor mixes with dev/test nor counts for size.
    ctx = plan(
        groups=[Group("crm (prod)", 1)],
        servers=[
            Server("crm-app", "crm (prod)", app="crm"),
            Server("crm-old", None, app="crm", klass="nonprod", cores=999),
        ],
        two_way=[("crm-app", "crm-old")],
        capacity=CapacitySettings(max_servers=1, max_vcpus=4, max_storage_gb=100),
    )
    assert check_conditions(ctx) == []


# --- Each condition broken alone ------------------------------------------------------------------


def test_1_strong_two_way_partners_in_different_waves() -> None:
    # mail01 and ldap01 talk heavily both ways but were split: mail01 moves in wave 3, ldap01 in wave 1.
    # (In a real plan the pair is also two dependencies, one of which breaks condition 3; they are left out
    # here so that condition 1 is the only one at stake.)
    ctx = plan(
        groups=[Group("mail01", 3), Group("ldap01", 1)],
        servers=[Server("mail01", "mail01"), Server("ldap01", "ldap01")],
        two_way=[("mail01", "ldap01")],
    )
    assert check_conditions(ctx) == [
        Violation(
            1,
            "mail01 and ldap01 depend on each other but move in waves 3 and 1",
            ("mail01", "ldap01"),
            (1, 3),
        )
    ]


def test_2_an_application_spread_over_two_waves() -> None:
    # crm (prod) did not fit one wave and was split in two move groups: web and app in wave 1, db in wave 2.
    ctx = plan(
        groups=[Group("crm (prod) 1/2", 1), Group("crm (prod) 2/2", 2)],
        servers=[
            Server("crm-web", "crm (prod) 1/2", app="crm"),
            Server("crm-app", "crm (prod) 1/2", app="crm"),
            Server("crm-db", "crm (prod) 2/2", app="crm"),
        ],
    )
    assert check_conditions(ctx) == [
        Violation(
            2, "application crm (prod) is spread over waves 1, 2", ("crm-app", "crm-db", "crm-web"), (1, 2)
        )
    ]


def test_2_and_4_each_broken_application_lists_its_own_servers() -> None:
    # Production of a and b is split over waves 1 and 2, their dev/test moves in wave 3, c is whole; the
    # servers are listed in mixed order: each violation names its own application's servers.
    ctx = plan(
        groups=[Group("a 1/2", 1), Group("b 1/2", 1), Group("a 2/2", 2), Group("b 2/2", 2), Group("t", 3)],
        servers=[
            Server("b-web", "b 1/2", app="b"),
            Server("a-web", "a 1/2", app="a"),
            Server("c-web", "a 1/2", app="c"),
            Server("b-db", "b 2/2", app="b"),
            Server("a-test", "t", app="a", klass="nonprod"),
            Server("a-db", "a 2/2", app="a"),
            Server("b-test", "t", app="b", klass="nonprod"),
        ],
    )
    found = [(v.condition, v.message, v.servers) for v in check_conditions(ctx) if v.condition in (2, 4)]
    assert found == [
        (2, "application a (prod) is spread over waves 1, 2", ("a-db", "a-web")),
        (2, "application b (prod) is spread over waves 1, 2", ("b-db", "b-web")),
        (
            4,
            "application a: dev/test moves in wave 3, after production (wave 1)",
            ("a-db", "a-test", "a-web"),
        ),
        (
            4,
            "application b: dev/test moves in wave 3, after production (wave 1)",
            ("b-db", "b-test", "b-web"),
        ),
    ]


def test_3_a_group_moving_before_the_group_it_depends_on() -> None:
    # The shop (wave 1) uses the billing database, which only moves in wave 2: two server dependencies
    # point forward in time. One violation per pair of groups, with the first dependency (in server order)
    # as its example.
    ctx = plan(
        groups=[Group("shop (prod)", 1), Group("billing (prod)", 2)],
        servers=[
            Server("shop-web", "shop (prod)", app="shop"),
            Server("shop-api", "shop (prod)", app="shop"),
            Server("bill-db", "billing (prod)", app="billing"),
        ],
        depends_on=[("shop-api", "bill-db"), ("shop-web", "bill-db"), ("shop-web", "shop-api")],
    )
    assert check_conditions(ctx) == [
        Violation(
            3,
            "shop (prod) (wave 1) depends on billing (prod) which moves later (wave 2); "
            "2 server dependencies, for example shop-web → bill-db",
            ("shop-web", "bill-db"),
            (1, 2),
        )
    ]


def test_4_dev_test_moving_after_production() -> None:
    # erp's production moves in wave 1 and its test server only in wave 2: dev/test should go first.
    ctx = plan(
        groups=[Group("erp (prod)", 1), Group("erp (nonprod)", 2)],
        servers=[
            Server("erp-test", "erp (nonprod)", app="erp", klass="nonprod"),
            Server("erp-app", "erp (prod)", app="erp"),
        ],
    )
    assert check_conditions(ctx) == [
        Violation(
            4,
            "application erp: dev/test moves in wave 2, after production (wave 1)",
            ("erp-app", "erp-test"),
            (1, 2),
        )
    ]


def test_5_production_and_dev_test_in_one_wave() -> None:
    # Wave 1 moves the shop's production web server together with two lab (dev/test) servers.
    ctx = plan(
        groups=[Group("shop (prod)", 1), Group("lab (nonprod)", 1)],
        servers=[
            Server("shop-web", "shop (prod)", app="shop"),
            Server("lab-02", "lab (nonprod)", app="lab", klass="nonprod"),
            Server("lab-01", "lab (nonprod)", app="lab", klass="nonprod"),
        ],
    )
    assert check_conditions(ctx) == [
        Violation(
            5,
            "wave 1 moves production and dev/test servers together (2 dev/test)",
            ("lab-01", "lab-02"),
            (1,),
        )
    ]


def test_6_a_high_criticality_group_in_a_protected_wave() -> None:
    # A foundation wave 1 precedes, so migration waves start at 2 and the two protected ones are 2 and 3.
    # payments (high) sits in wave 3; ledger (critical) waits until wave 4; intranet (low) may go in wave 2.
    ctx = plan(
        groups=[
            Group("intranet (prod)", 2, criticality=LOW),
            Group("payments (prod)", 3, criticality=HIGH),
            Group("ledger (prod)", 4, criticality=CRITICAL),
        ],
        servers=[
            Server("intra01", "intranet (prod)", app="intranet"),
            Server("pay-db", "payments (prod)", app="payments"),
            Server("pay-api", "payments (prod)", app="payments"),
            Server("ledger01", "ledger (prod)", app="ledger"),
        ],
        first_wave=2,
        protected_waves=2,
    )
    assert check_conditions(ctx) == [
        Violation(
            6,
            "high-criticality group payments (prod) is in wave 3, one of the first 2 migration waves",
            ("pay-api", "pay-db"),
            (3,),
        )
    ]


def test_7_a_high_complexity_group_in_a_protected_wave() -> None:
    # sap is complex (many servers and partners) yet scheduled in wave 2, the second of two protected waves.
    ctx = plan(
        groups=[Group("hr (prod)", 1, complexity=MEDIUM), Group("sap (prod)", 2, complexity=HIGH)],
        servers=[
            Server("hr01", "hr (prod)", app="hr"),
            Server("sap-app", "sap (prod)", app="sap"),
            Server("sap-db", "sap (prod)", app="sap"),
        ],
        protected_waves=2,
    )
    assert check_conditions(ctx) == [
        Violation(
            7,
            "high-complexity group sap (prod) is in wave 2, one of the first 2 migration waves",
            ("sap-app", "sap-db"),
            (2,),
        )
    ]


def test_6_and_7_hold_nothing_back_without_protected_waves() -> None:
    ctx = plan(
        groups=[Group("sap (prod)", 1, criticality=CRITICAL, complexity=HIGH)],
        servers=[Server("sap-app", "sap (prod)", app="sap")],
        protected_waves=0,
    )
    assert check_conditions(ctx) == []


def test_8_waves_over_their_size_limits() -> None:
    # Limits: 2 servers, 10 vCPU, 250 GiB a wave. Wave 1 breaks all three, wave 2 is exactly at the limits,
    # wave 3 holds one big server over the vCPU limit only: each violation names just what is exceeded.
    ctx = plan(
        groups=[Group("a", 1), Group("b", 2), Group("c", 3)],
        servers=[
            Server("a1", "a"),
            Server("a2", "a"),
            Server("a3", "a"),
            Server("b1", "b", cores=5, storage_gb=125),
            Server("b2", "b", cores=5, storage_gb=125),
            Server("c1", "c", cores=16.5),
        ],
        capacity=CapacitySettings(max_servers=2, max_vcpus=10, max_storage_gb=250),
    )
    assert check_conditions(ctx) == [
        Violation(8, "wave 1 exceeds its limits: 3 servers > 2; 12 vCPU > 10; 300 GiB > 250", (), (1,)),
        Violation(8, "wave 3 exceeds its limits: 16.5 vCPU > 10", (), (3,)),
    ]


# --- Reporting: caps and order --------------------------------------------------------------------


def test_1_reports_at_most_500_split_pairs() -> None:
    # hub (wave 1) is strongly coupled both ways to 501 servers that all move in wave 2.
    spokes = [f"spoke{i:03d}" for i in range(501)]
    ctx = plan(
        groups=[Group("hub", 1), Group("spokes", 2)],
        servers=[Server("hub", "hub")] + [Server(name, "spokes") for name in spokes],
        two_way=[("hub", name) for name in spokes],
    )
    found = check_conditions(ctx)
    assert len(found) == 500
    assert [v.servers for v in found[:2]] == [("hub", "spoke000"), ("hub", "spoke001")]
    assert found[-1].servers == ("hub", "spoke499")


def test_a_violation_lists_at_most_50_servers_sorted_by_name() -> None:
    # big (prod) has 60 servers split over waves 1 and 2; the violation lists the first 50 names in order.
    names = [f"big{i:02d}" for i in range(60)]
    ctx = plan(
        groups=[Group("big (prod) 1/2", 1), Group("big (prod) 2/2", 2)],
        servers=[
            Server(name, f"big (prod) {1 + i % 2}/2", app="big") for i, name in enumerate(reversed(names))
        ],
    )
    [violation] = check_conditions(ctx)
    assert violation.condition == 2
    assert violation.servers == tuple(names[:50])


def test_violations_come_by_condition_then_waves_then_message() -> None:
    # Three groups move before the db group they depend on: web (wave 2), zeta and alpha (both wave 1); zeta's
    # server is also too big for wave 1. Condition 3 comes before 8; within it wave (1, 3) before (2, 3), and
    # alpha before zeta by message, whatever the order of the groups.
    ctx = plan(
        groups=[Group("web", 2), Group("zeta", 1), Group("alpha", 1), Group("db", 3)],
        servers=[
            Server("w1", "web"),
            Server("z1", "zeta", cores=20),
            Server("a1", "alpha"),
            Server("d1", "db"),
        ],
        depends_on=[("w1", "d1"), ("z1", "d1"), ("a1", "d1")],
        capacity=CapacitySettings(max_servers=50, max_vcpus=10, max_storage_gb=1000),
    )
    assert [(v.condition, v.waves, v.servers) for v in check_conditions(ctx)] == [
        (3, (1, 3), ("a1", "d1")),
        (3, (1, 3), ("z1", "d1")),
        (3, (2, 3), ("w1", "d1")),
        (8, (1,), ()),
    ]


def test_a_violation_carries_its_rule() -> None:
    violation = Violation(
        5, "wave 1 moves production and dev/test servers together (1 dev/test)", ("t1",), (1,)
    )
    assert violation.rule == "production and dev/test never share a wave"


# --- The registry ---------------------------------------------------------------------------------


def test_the_registry_numbers_the_conditions_1_to_8_in_priority_order() -> None:
    assert condition_numbers() == tuple(range(1, 9))
    assert [c.number for c in CONDITIONS] == list(condition_numbers())


def test_rules_and_critical_conditions_come_from_the_registry() -> None:
    assert {c.number: c.rule for c in CONDITIONS} == RULES
    assert CRITICAL_CONDITIONS == {c.number for c in CONDITIONS if c.critical} == {1, 2, 3, 5, 8}
    assert RULES == {
        1: "servers with strong two-way dependencies share a wave",
        2: "all servers of an application share a wave",
        3: "a dependency's target moves in the same or an earlier wave than its source",
        4: "dev/test moves before production",
        5: "production and dev/test never share a wave",
        6: "high-criticality applications are not in the earliest waves",
        7: "high-complexity applications are not in the earliest waves",
        8: "each wave stays within its size limits",
    }


def test_check_conditions_runs_exactly_the_registered_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    def always(ctx: WaveContext) -> list[Violation]:
        return [Violation(9, "always broken", (), ())]

    monkeypatch.setattr(conditions, "CONDITIONS", (Condition(9, "a rule added in one place", False, always),))
    ctx = plan(groups=[Group("erp (prod)", 1)], servers=[Server("erp-app", "erp (prod)", app="erp")])
    assert check_conditions(ctx) == [Violation(9, "always broken", (), ())]


def test_readme_lists_the_registered_conditions() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    waves_item = readme[readme.index("5. **Waves.**") :]
    listed = re.findall(r"^   \d+\. .*$", waves_item.split("\n\n")[0], flags=re.MULTILINE)
    assert "\n".join(listed) + "\n" == markdown_list(), "README's list of conditions: paste markdown_list()"


def test_the_plan_schema_accepts_exactly_the_registered_condition_numbers() -> None:
    schema_path = Path(migrator.__file__).parent / "schemas" / "plan.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    condition = schema["properties"]["violations"]["properties"]["condition"]["items"]  # a table's column
    assert (condition["minimum"], condition["maximum"]) == (
        min(condition_numbers()),
        max(condition_numbers()),
    )
