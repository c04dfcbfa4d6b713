"""`migrator catalog show` and `migrator catalog refresh` through the CLI (no network: the fetcher is
replaced)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrator.azure import refresh as live
from migrator.azure.catalog import read_catalog_file
from migrator.cli import _register, app
from tests.azure.test_refresh import _fetch

_register()
runner = CliRunner()


def test_show_filters_by_series_and_vcpus() -> None:
    result = runner.invoke(
        app,
        ["catalog", "show", "--series", "Dsv5", "--max-vcpus", "4"],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Standard_D2s_v5" in result.output and "Standard_D4s_v5" in result.output
    assert "Standard_D8s_v5" not in result.output and "Standard_E2s_v5" not in result.output


def test_show_unknown_region_exits_2() -> None:
    result = runner.invoke(app, ["catalog", "show", "--region", "mars"])
    assert result.exit_code == 2 and "no bundled catalog for region 'mars'" in result.output


def test_refresh_writes_a_catalog_sizing_can_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(live, "http_fetch", _fetch(calls))
    out = tmp_path / "catalog-swedencentral.json.gz"
    result = runner.invoke(app, ["catalog", "refresh", "--region", "swedencentral", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cat = read_catalog_file(out)
    assert cat.region == "swedencentral" and "Standard_D2s_v5" in set(cat.sizes["name"])
    assert calls and all(c.startswith("https://prices.azure.com/") for c in calls)


def test_refresh_network_failure_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def down(url: str) -> dict[str, Any]:
        raise live.RefreshError(
            "cannot read https://prices.azure.com/api/retail/prices: "
            "[Errno -3] Temporary failure in name resolution"
        )

    monkeypatch.setattr(live, "http_fetch", down)
    result = runner.invoke(
        app, ["catalog", "refresh", "--region", "westeurope", "--out", str(tmp_path / "c.json.gz")]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output and "cannot read" in result.output
