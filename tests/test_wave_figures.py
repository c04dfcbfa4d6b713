"""Every wave's figures come from one group-by over all waves (issue 15: thousands of waves at enterprise
scale); each equals what the per-wave function gives on that wave's rows alone."""

from __future__ import annotations

import pandas as pd
import pytest

from migrator.azure.confidence import rating, ratings_by
from migrator.document import PlanResult, wave_cost, wave_costs
from migrator.generate import generate_estate
from migrator.pipeline import plan_inventory
from migrator.risk import facts_by_wave, facts_of, server_flags
from migrator.settings import load_settings
from migrator.validate import validate
from tests.estates import native_results


@pytest.fixture(scope="module")
def planned() -> PlanResult:
    """600 generated servers at 20 a wave (retire and retain among them, sizing on): about 40 waves."""
    estate = generate_estate(600, seed=7)
    inventory = validate(native_results(estate))
    settings = load_settings(None, {"capacity": {"max_servers": 20}, "planning": {"optimise": False}})
    return plan_inventory(inventory, settings)


def _by_wave(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    placed = frame[frame["wave"].notna()]
    return {int(w): rows for w, rows in placed.groupby("wave", sort=True)}


def test_costs_of_all_waves_equal_each_wave_alone(planned: PlanResult) -> None:
    table = planned.servers[planned.servers["wave"].notna()]
    together = wave_costs(table, "USD")
    alone = {w: wave_cost(rows, "USD") for w, rows in _by_wave(table).items()}
    assert len(alone) > 20 and together == alone


def test_ratings_of_all_waves_equal_each_wave_alone(planned: PlanResult) -> None:
    table = planned.servers
    alone = {w: rating(rows) for w, rows in _by_wave(table).items()}
    assert ratings_by(table[table["wave"].notna()], "wave") == {
        w: r for w, r in alone.items() if r is not None
    }


def test_risk_facts_of_all_waves_equal_each_wave_alone() -> None:
    members = pd.DataFrame(
        {
            "wave": [1, 1, 2, 2, 2, None],
            "criticality": ["critical", "high", "", "medium", "low", "critical"],
            "has_cross": [True, False, False, True, True, True],
            "has_deps": [True, False, True, True, False, False],
            "cpu_util_pct": [10.0, None, 5.0, 5.0, None, None],
            "memory_util_pct": [10.0, 20.0, None, 5.0, 1.0, None],
            "application": ["erp", "", "crm", "crm", "", "x"],
            "power_state": ["on", "off", "on", "on", "off", "on"],
        }
    )
    groups = pd.DataFrame({"wave": [1, 2, 2], "complexity": [2, 2, 0], "pinned": [False, True, False]})
    together = facts_by_wave(members, groups)
    alone = {
        w: facts_of(rows.drop(columns="wave"), groups[groups["wave"] == w])
        for w, rows in _by_wave(members).items()
    }
    assert together == alone and together[2].no_crit == 1 and together[1].pinned_groups == 0
    assert set(server_flags(members)) == {"critical", "high", "medium", "cross"} | {
        "no_deps",
        "no_util",
        "no_app",
        "no_crit",
        "off",
    }
