"""A wave's risk and confidence: each rule's points and reason, on waves of a few servers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from migrator.risk import Score, wave_confidence, wave_risk

QUIET = "dev/test or low-criticality servers with no known cross-wave dependencies"


def members(criticality: list[str], cross: list[bool] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"criticality": criticality, "has_cross": cross or [False] * len(criticality)})


def groups(complexity: list[int], pinned: list[bool] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"complexity": complexity, "pinned": pinned or [False] * len(complexity)})


def risk(
    kind: str = "nonprod",
    crit: list[str] | None = None,
    cross: list[bool] | None = None,
    complexity: list[int] | None = None,
    pinned: list[bool] | None = None,
    fill: float = 0.5,
    violations: int = 0,
) -> tuple[str, int, tuple[str, ...]]:
    s = wave_risk(
        1, kind, members(crit or ["low"], cross), groups(complexity or [0], pinned), fill, violations
    )
    return s.level, s.score, s.reasons


def test_a_quiet_dev_test_wave_is_low_risk() -> None:
    assert risk() == ("low", 0, (QUIET,))


def test_production_adds_25_and_a_foundation_wave_20() -> None:
    assert risk("prod") == ("low", 25, ("production workloads",))
    assert risk("foundation") == ("low", 20, ("shared services every later wave relies on",))


def test_the_most_critical_servers_count_critical_25_high_15_medium_5() -> None:
    assert risk(crit=["critical", "critical", "high"]) == ("low", 25, ("2 business-critical servers",))
    assert risk(crit=["high", "high", "medium"]) == ("low", 15, ("2 high-criticality servers",))
    assert risk(crit=["medium", "low"]) == ("low", 5, (QUIET,))  # points without a reason


def test_high_complexity_groups_add_10_each_up_to_20() -> None:
    assert risk(complexity=[2, 1]) == ("low", 10, ("1 high-complexity move group",))
    assert risk(complexity=[2, 2, 2]) == ("low", 20, ("3 high-complexity move groups",))


def test_cross_wave_dependencies_add_up_to_20_by_share_of_servers() -> None:
    reason = "25% of its servers keep dependencies across waves (hybrid traffic)"
    assert risk(crit=["low"] * 4, cross=[True, False, False, False]) == ("low", 5, (reason,))


def test_a_wave_over_90_percent_full_adds_10() -> None:
    assert risk(fill=0.9) == ("low", 0, (QUIET,))
    assert risk(fill=0.95) == ("low", 10, ("uses 95% of a capacity limit",))


def test_broken_conditions_add_5_each_up_to_20() -> None:
    assert risk(violations=1) == ("low", 5, ("1 planning condition broken in this wave",))
    assert risk(violations=2) == ("low", 10, ("2 planning conditions broken in this wave",))
    assert risk(violations=7) == ("low", 20, ("7 planning conditions broken in this wave",))


def test_a_pin_is_a_reason_without_points() -> None:
    assert risk(pinned=[True]) == ("low", 0, ("placed (in part) by a manual pin",))


def test_levels_and_the_cap_at_100() -> None:
    # 25 + 5 = 30: medium. 25 + 25 + 10 = 60: high. Everything: 25 + 25 + 20 + 20 + 10 + 20 = 120, capped.
    assert risk("prod", crit=["medium"])[:2] == ("medium", 30)
    assert risk("prod", crit=["critical"], complexity=[2])[:2] == ("high", 60)
    worst = risk("prod", ["critical"], [True], [2, 2], [True, False], fill=1.0, violations=4)
    assert worst == (
        "high",
        100,
        (
            "production workloads",
            "1 business-critical server",
            "2 high-complexity move groups",
            "100% of its servers keep dependencies across waves (hybrid traffic)",
            "uses 100% of a capacity limit",
            "4 planning conditions broken in this wave",
            "placed (in part) by a manual pin",
        ),
    )


# Confidence ------------------------------------------------------------------------------------------------


def known(n: int) -> pd.DataFrame:
    """``n`` servers about which everything is known."""
    return pd.DataFrame(
        {
            "has_deps": [True] * n,
            "cpu_util_pct": [30.0] * n,
            "memory_util_pct": [40.0] * n,
            "application": ["erp"] * n,
            "criticality": ["high"] * n,
            "power_state": ["on"] * n,
        }
    )


def test_everything_known_is_full_confidence() -> None:
    reason = "dependencies, utilisation, application and criticality known for every server"
    assert wave_confidence(known(3)) == Score("high", 100, (reason,))
    assert wave_confidence(known(0)) == Score("high", 100, ("no servers",))


def test_each_gap_costs_its_weight_times_the_share_of_servers() -> None:
    # Of 4 servers: 1 without dependencies (40 x 1/4 = 10), 2 without utilisation (20 x 2/4 = 10), 1 without
    # application (20 x 1/4 = 5), 4 without criticality (10), none off: 100 - 35 = 65, medium.
    m = known(4)
    m.loc[0, "has_deps"] = False
    m.loc[1, "cpu_util_pct"] = np.nan
    m.loc[2, "memory_util_pct"] = np.nan
    m.loc[3, "application"] = ""
    m["criticality"] = ""
    assert wave_confidence(m) == Score(
        "medium",
        65,
        (
            "1 of 4 servers have no observed dependencies (missing dependency data would hide links)",
            "2 of 4 servers have no utilisation data (sized as on premises)",
            "1 of 4 servers have no application",
            "4 of 4 servers have no criticality",
        ),
    )


def test_nothing_known_is_no_confidence() -> None:
    m = known(2).assign(
        has_deps=False, cpu_util_pct=np.nan, application="", criticality="", power_state="off"
    )
    score = wave_confidence(m)
    assert (score.level, score.score, len(score.reasons)) == ("low", 0, 5)
    assert score.reasons[-1] == "2 of 2 servers are powered off"
