"""A retained server never moves: a pin on one is refused, naming the row that pins it."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import InputError
from migrator.pins import read_pins
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings
from tests.conftest import server, write_csv

SETTINGS = load_settings(None, {"sizing": {"enabled": False}}, environ={})


def test_a_pins_file_pinning_a_retained_server_is_refused_with_its_row(tmp_path: Path) -> None:
    servers = write_csv(
        tmp_path / "servers.csv",
        [server("app1", "erp"), server("legacy1", "erp", disposition="retain")],
    )
    pins = write_csv(tmp_path / "pins.csv", [{"server": "app1", "wave": 2}, {"server": "LEGACY1", "wave": 3}])
    with pytest.raises(InputError) as refused:
        run_plan(PlanInputs([servers], pins=pins), SETTINGS)
    assert refused.value.file is not None and refused.value.file.endswith("pins.csv")
    assert refused.value.column == "wave"
    if "row" in read_pins(pins).columns:  # the reader keeps the file's row numbers
        assert refused.value.row == 3
    assert "'LEGACY1' is retained (disposition retain): it never moves" in str(refused.value)


def test_an_inventory_pinning_a_retained_server_is_refused_with_its_row(tmp_path: Path) -> None:
    servers = write_csv(
        tmp_path / "servers.csv",
        [
            server("app1", "erp", pinned_wave=2),
            server("app2", "erp", pinned_wave=""),
            server("legacy1", "erp", disposition="retain", pinned_wave=4),
        ],
    )
    with pytest.raises(InputError) as refused:
        run_plan(PlanInputs([servers]), SETTINGS)
    assert refused.value.row == 4 and refused.value.column == "pinned_wave"
    assert refused.value.file is not None and refused.value.file.endswith("servers.csv")


def test_retained_servers_without_a_pin_plan_as_before(tmp_path: Path) -> None:
    servers = write_csv(
        tmp_path / "servers.csv",
        [
            server("app1", "erp", pinned_wave=2),
            server("legacy1", "erp", disposition="retain", pinned_wave=""),
        ],
    )
    plan = run_plan(PlanInputs([servers]), SETTINGS).document
    assert plan.summary.migrating == 1
