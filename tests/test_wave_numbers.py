"""Wave numbers run without gaps: every number from the first wave to the last holds a move group, unless a
pin names a later wave and nothing else can move before it (then the gap is the user's, and said)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from migrator.document import PlanResult
from migrator.pipeline import PlanInputs, load_inventory, plan_inventory
from migrator.settings import load_settings
from tests.test_waves import group, plan, waves


def numbers_used(assignment_waves: dict[str, int]) -> list[int]:
    return sorted(set(assignment_waves.values()))


def test_a_group_placed_with_the_group_it_waits_for_opens_no_empty_wave() -> None:
    # "app" becomes ready when "db" is placed and joins it in wave 1, which it fills (it stays behind in the
    # ready queue); no dev/test wave may be opened for it again: production follows in wave 2, not 3.
    got = waves(
        [group("db", "nonprod"), group("app", "nonprod"), group("web", "prod")],
        [("app", "db", 5)],
        max_servers=2,
    )
    assert got == {"db": 1, "app": 1, "web": 2}


def test_many_chains_fill_consecutive_waves() -> None:
    # Forty dev/test chains of two, four per wave, then production: every number from 1 to the last is used.
    groups = [group(f"{kind}{i:02d}", "nonprod") for i in range(40) for kind in ("db", "app")]
    groups += [group(f"web{i:02d}") for i in range(25)]
    deps = [(f"app{i:02d}", f"db{i:02d}", 1.0) for i in range(40)]
    used = numbers_used(waves(groups, deps, max_servers=8))
    assert used == list(range(1, used[-1] + 1))


def test_a_pin_to_a_later_wave_keeps_its_number() -> None:
    # Only the pinned group exists: wave 5 is what the user wrote, so waves 1 to 4 stay empty.
    assert waves([group("erp", pin=5)]) == {"erp": 5}
    assert list(plan([group("erp", pin=5)]).group_wave) == [5]


SAMPLE = Path(__file__).parents[1] / "inventories" / "sample"


def sample_plan(pins: pd.DataFrame | None = None) -> PlanResult:
    settings = load_settings(SAMPLE / "migrator.toml")
    inputs = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    return plan_inventory(load_inventory(inputs, settings), settings, pins)


def test_the_sample_plan_numbers_its_waves_without_gaps() -> None:
    doc = sample_plan().document
    assert [w.number for w in doc.waves] == list(range(1, len(doc.waves) + 1))
    assert not [f for f in doc.findings if f.code == "wave-gap"]


def test_a_gap_a_pin_forces_keeps_the_pinned_number_and_is_explained() -> None:
    servers = pd.read_csv(SAMPLE / "servers.csv")
    erp = servers.loc[servers["application"].eq("erp") & servers["environment"].eq("prod"), "name"]
    result = sample_plan(pd.DataFrame({"server": erp, "wave": 40}))
    doc = result.document
    numbers = [w.number for w in doc.waves]
    assert 40 in numbers and numbers != list(range(1, len(numbers) + 1))
    last_before = max(n for n in numbers if n < 40)
    (gap,) = [f for f in doc.findings if f.code == "wave-gap"]
    assert gap.message == (
        f"waves {last_before + 1} to 39 hold no servers: pins place move groups in wave 40 and no other move "
        "group could move before it"
    )
    table = result.servers  # the per-server table behind waves.csv
    assert set(table.loc[table["server"].isin(erp), "wave"]) == {40}
