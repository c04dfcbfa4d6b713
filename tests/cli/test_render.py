"""The terminal's summary of a plan: the waves table and the lines under it, in the plan's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from migrator.cli.render import render_summary, waves_table
from migrator.errors import Finding
from migrator.pipeline import PlanInputs, run_plan
from migrator.plan_model import Finding as FindingModel
from migrator.plan_model import PlanDocument
from migrator.settings import load_settings

SAMPLE = Path(__file__).parents[2] / "inventories" / "sample"


@pytest.fixture(scope="module")
def doc() -> PlanDocument:
    inputs = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    return run_plan(inputs, load_settings(SAMPLE / "migrator.toml")).document


def shown(doc: PlanDocument, summary: bool = False) -> str:
    console = Console(width=140, record=True, color_system=None)
    if summary:
        render_summary(console, doc)
    else:
        console.print(waves_table(doc))
    return console.export_text()


def test_wave_kinds_read_as_in_every_other_view(doc: PlanDocument) -> None:
    kinds = {line.split()[1] for line in shown(doc).splitlines() if line.strip()[:1].isdigit()}
    assert kinds == {"foundation", "dev/test", "production"}


def test_sizes_are_whole_numbers_with_separators_and_cost_has_its_currency(doc: PlanDocument) -> None:
    big = doc.waves[2].model_copy(update={"storage_gb": 132_456.0, "vcpus": 1_234.0})
    text = shown(doc.model_copy(update={"waves": [doc.waves[1], big]}))
    assert "USD/month" in next(line for line in text.splitlines() if "Wave" in line)
    (row,) = [line.split() for line in text.splitlines() if line.strip().startswith(str(big.number))]
    assert row[4:6] == ["1,234", "132,456"]
    assert row[-1] == f"{big.cost.monthly_payg:,.0f}" if big.cost else "unknown"
    assert not any(cell.endswith(("k", "M")) for cell in row)


def test_one_of_a_thing_is_singular(doc: PlanDocument) -> None:
    one = doc.summary.model_copy(update={"servers": 1, "move_groups": 1, "waves": 1, "violations": 1})
    text = shown(doc.model_copy(update={"summary": one}), summary=True)
    assert (
        "1 server (" in text and "1 move group in 1 wave," in text and "1 planning condition broken" in text
    )
    assert "1 servers" not in text and "1 waves" not in text


def test_wave_numbers_a_pin_left_empty_show_as_one_row_explained_under_the_table(doc: PlanDocument) -> None:
    message = (
        "waves 4 to 6 hold no servers: pins place move groups in wave 7 and no other move group could move"
    )
    gap = FindingModel(**{**Finding("wave-gap", message, severity="info").__dict__})
    waves = [w for w in doc.waves if not 4 <= w.number <= 6]
    text = shown(doc.model_copy(update={"waves": waves, "findings": [*doc.findings, gap]}))
    rows = [line.split() for line in text.splitlines()]
    assert ["4–6", "empty"] in rows
    assert "Waves 4 to 6 hold no servers: pins place move groups in wave 7" in " ".join(text.split())


def test_the_footprint_today_counts_hosts_whole_and_kilowatts_to_two_decimals(doc: PlanDocument) -> None:
    hosts = doc.footprint.model_copy(update={"baseline": 3334.0, "unit": "hosts"})
    assert "Footprint: 3,334 hosts today;" in shown(doc.model_copy(update={"footprint": hosts}), summary=True)
    power = doc.footprint.model_copy(update={"baseline": 114.333, "unit": "kW"})
    assert "Footprint: 114.33 kW today;" in shown(doc.model_copy(update={"footprint": power}), summary=True)
