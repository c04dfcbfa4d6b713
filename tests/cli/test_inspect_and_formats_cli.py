"""`migrator inspect` and `migrator plan` on the exports people have."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.planfile import as_records

_register()
runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "inputs"


def test_inspect_shows_format_mapping_and_assumptions() -> None:
    result = runner.invoke(app, ["inspect", str(DATA / "rvtools-small-complete.xlsx")], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "rvtools" in result.output
    assert "Provisioned MiB" in result.output and "provisioned_mib" in result.output
    assert "missing application: each server is its own move group" in result.output
    assert "sample-archive-01" in result.output  # powered off: flagged


def test_inspect_bad_file_exits_2_with_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "servers.csv"
    p.write_text("name,cores,memory_gb,storage_gb\na,2,8,100\nb,two,8,100\n")
    result = runner.invoke(app, ["inspect", str(p)])
    assert result.exit_code == 2
    assert "row 3, column 'cores': not a number" in result.output


def test_inspect_lists_formats() -> None:
    result = runner.invoke(app, ["inspect", "--formats"])
    assert result.exit_code == 0
    for name in (
        "native",
        "rvtools",
        "azure-migrate-csv",
        "azure-migrate-dependencies",
        "azure-migrate-discovery-report",
    ):
        assert name in result.output


def test_plan_from_rvtools_workbook_and_dependency_export(tmp_path: Path) -> None:
    deps = tmp_path / "deps.csv"
    deps.write_text(
        "Timeslot,Source server name,Source IP,Source application,Source process,Destination server name,"
        "Destination IP,Destination application,Destination process,Destination port\n"
        "2026-01-01 00:00,sample-web-01,10.10.1.10,nginx,nginx,,10.10.2.20,SQL,sqlservr.exe,1433\n"
        "2026-01-01 06:00,sample-web-01,10.10.1.10,nginx,nginx,,10.10.2.20,SQL,sqlservr.exe,1433\n"
        "2026-01-01 06:00,sample-web-01,10.10.1.10,nginx,nginx,,8.8.8.8,,,53\n"
    )
    out = tmp_path / "plan"
    result = runner.invoke(
        app,
        [
            "plan",
            str(DATA / "rvtools-small-complete.xlsx"),
            "--deps",
            str(deps),
            "--out",
            str(out),
            "--max-servers",
            "1",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = as_records(json.loads((out / "plan.json").read_text()))
    waves = {s["name"]: s["wave"] for s in doc["servers"]}
    assert waves["sample-db-01"] < waves["sample-web-01"]  # matched by IP: the database moves first
    assert (
        doc["external_endpoints"][0]["address"] == "8.8.8.8"
        and doc["external_endpoints"][0]["kind"] == "internet"
    )
    assert {i["format"] for i in doc["inputs"]} == {"rvtools", "azure-migrate-dependencies"}
    assert doc["footprint"]["metric"] == "hosts"


def test_several_inventories_with_duplicates_are_reported(tmp_path: Path) -> None:
    extra = tmp_path / "physical.csv"
    extra.write_text(
        "name,ip,cores,memory_gb,storage_gb\nsample-db-01,10.10.2.20,8,64,500\nbare01,10.10.9.9,16,128,2000\n"
    )
    out = tmp_path / "plan"
    result = runner.invoke(
        app, ["plan", str(DATA / "rvtools-small-complete.xlsx"), str(extra), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    doc = as_records(json.loads((out / "plan.json").read_text()))
    codes = {f["code"] for f in doc["findings"]}
    assert {"duplicate-server", "duplicate-ip"} & codes
    assert doc["summary"]["servers"] == 4
