"""`migrator plan` through typer's CliRunner: files, exit codes, gates, --check and determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.outputs.json_plan import validate_document
from migrator.planfile import as_records
from tests.conftest import SAMPLE, server, write_csv

_register()
runner = CliRunner()
SAMPLE_ARGS = [
    str(SAMPLE / "servers.csv"),
    "--deps",
    str(SAMPLE / "dependencies.csv"),
    "--hosts",
    str(SAMPLE / "hosts.csv"),
    "--config",
    str(SAMPLE / "migrator.toml"),
]


def _plan(*args: str) -> object:
    return runner.invoke(app, ["plan", *args], env={"NO_COLOR": "1"})


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    result = _plan(*SAMPLE_ARGS, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_writes_the_plan_files_and_a_summary(sample_plan: Path) -> None:
    names = sorted(p.name for p in sample_plan.iterdir())
    assert {"PLAN.md", "plan.json", "waves.csv"} <= set(names)
    assert not [n for n in names if n.endswith(".tmp")]


def test_plan_json_follows_its_schema(sample_plan: Path) -> None:
    doc = json.loads((sample_plan / "plan.json").read_text())
    validate_document(doc)
    assert doc["schema_version"] == "2.1"
    assert doc["footprint"]["target"]["reduction"] == 0.6


def test_waves_csv_has_one_row_per_server(sample_plan: Path) -> None:
    lines = (sample_plan / "waves.csv").read_text().splitlines()
    assert lines[0].startswith(
        "server,application,environment,move_group,wave,wave_start,wave_end,disposition"
    )
    assert len(lines) - 1 == json.loads((sample_plan / "plan.json").read_text())["summary"]["servers"]


def test_same_inputs_give_byte_identical_files(sample_plan: Path, tmp_path: Path) -> None:
    assert _plan(*SAMPLE_ARGS, "--out", str(tmp_path), "--quiet").exit_code == 0
    for name in ("PLAN.md", "plan.json", "waves.csv"):
        assert (tmp_path / name).read_bytes() == (sample_plan / name).read_bytes(), name


def test_the_plan_is_the_same_in_one_process(sample_plan: Path, tmp_path: Path) -> None:
    """Child processes (the reach stage, the coupled systems, the chart) change nothing in any file."""
    result = runner.invoke(
        app, ["plan", *SAMPLE_ARGS, "--out", str(tmp_path), "--quiet"], env={"MIGRATOR_PROCESSES": "1"}
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(sample_plan) for p in sample_plan.rglob("*") if p.is_file())
    for name in files:
        assert (tmp_path / name).read_bytes() == (sample_plan / name).read_bytes(), name


def test_committed_sample_plan_is_current() -> None:
    """plans/sample is regenerated with the README command; this fails when it is stale."""
    result = _plan(*SAMPLE_ARGS, "--out", str(SAMPLE.parents[1] / "plans" / "sample"), "--check", "--quiet")
    assert result.exit_code == 0, (
        "plans/sample is stale: rerun the README quick-start command\n" + result.output
    )


def test_check_reports_stale_files_and_writes_nothing(sample_plan: Path, tmp_path: Path) -> None:
    for p in sample_plan.iterdir():
        if p.is_file():  # the wave pages (waves/) are left out: missing, so stale too
            (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "PLAN.md").write_text("old\n")
    (tmp_path / "footprint.png").write_bytes(b"\x89PNG old")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = _plan(*SAMPLE_ARGS, "--out", str(tmp_path), "--check", "--quiet")
    assert result.exit_code == 1
    assert "stale:" in result.output and "PLAN.md: first difference at line 1" in result.output
    assert "footprint.png: binary content differs (8 bytes committed" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_bad_input_exits_2_names_the_place_and_writes_nothing(tmp_path: Path) -> None:
    servers = write_csv(tmp_path / "servers.csv", [server("a"), server("b", memory_gb="lots")], header=None)
    out = tmp_path / "out"
    result = _plan(str(servers), "--out", str(out))
    assert result.exit_code == 2
    assert "servers.csv, row 3, column 'memory_gb': not a number: 'lots'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_unknown_config_key_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text("[capacity]\nmax_servrs = 3\n")
    result = _plan(str(SAMPLE / "servers.csv"), "--config", str(cfg), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "unknown setting 'capacity.max_servrs'" in result.output


def test_gates_exit_1_only_when_asked(tmp_path: Path) -> None:
    args = [*SAMPLE_ARGS, "--out", str(tmp_path), "--quiet"]
    assert _plan(*args, "--target-reduction", "0.95").exit_code == 0
    missed = _plan(*args, "--target-reduction", "0.95", "--fail-on", "target")
    assert missed.exit_code == 1 and "footprint target is not met" in missed.output
    assert (
        _plan(*args, "--fail-on", "critical").exit_code == 1
    )  # the sample's capacity forces application splits


def test_pins_from_an_edited_waves_csv_are_kept(sample_plan: Path, tmp_path: Path) -> None:
    rows = (sample_plan / "waves.csv").read_text().splitlines()
    header = rows[0].split(",")
    i_server, i_wave = header.index("server"), header.index("wave")
    edited = [rows[0]]
    target = None
    for line in rows[1:]:
        cells = line.split(",")
        if target is None and cells[i_wave] not in ("", "1"):
            target = cells[i_server]
            cells[i_wave] = "18"
        edited.append(",".join(cells))
    (tmp_path / "waves.csv").write_text("\n".join(edited) + "\n")
    out = tmp_path / "replan"
    assert (
        _plan(*SAMPLE_ARGS, "--out", str(out), "--pins", str(tmp_path / "waves.csv"), "--quiet").exit_code
        == 0
    )
    doc = as_records(json.loads((out / "plan.json").read_text()))
    assert {s["name"]: s["wave"] for s in doc["servers"]}[target] == 18
    # Everything else keeps its wave too.
    before = as_records(json.loads((sample_plan / "plan.json").read_text()))
    old = {s["name"]: s["wave"] for s in before["servers"]}
    new = {s["name"]: s["wave"] for s in doc["servers"]}
    assert sum(old[k] != new[k] for k in old) == 1


def test_version_and_help_are_fast_paths() -> None:
    assert runner.invoke(app, ["--version"]).output.startswith("migrator ")
    result = runner.invoke(app, ["plan", "--help"])
    assert result.exit_code == 0 and "--fail-on" in result.output


def test_pins_survive_formula_escaping(tmp_path: Path) -> None:
    servers = write_csv(tmp_path / "s.csv", [server("=calc01", "a"), server("web01", "b")])
    out = tmp_path / "p"
    assert _plan(str(servers), "--out", str(out), "--quiet").exit_code == 0
    text = (out / "waves.csv").read_text()
    assert "'=calc01" in text
    lines = [line.split(",") for line in text.splitlines()]
    i_wave = lines[0].index("wave")
    for cells in lines[1:]:
        if cells[0] == "'=calc01":
            cells[i_wave] = "7"
    (tmp_path / "edited.csv").write_text("\n".join(",".join(c) for c in lines) + "\n")
    assert (
        _plan(str(servers), "--out", str(out), "--pins", str(tmp_path / "edited.csv"), "--quiet").exit_code
        == 0
    )
    doc = as_records(json.loads((out / "plan.json").read_text()))
    assert {s["name"]: s["wave"] for s in doc["servers"]}["=calc01"] == 7


def test_no_progress_or_colour_when_not_a_terminal(tmp_path: Path) -> None:
    result = _plan(*SAMPLE_ARGS, "--out", str(tmp_path))
    assert result.exit_code == 0
    assert "planning:" not in result.output and "\x1b[" not in result.output


def test_bad_pins_file_names_row_and_column(tmp_path: Path) -> None:
    pins = tmp_path / "waves.csv"
    pins.write_text("server,wave\nmuc-dc01,1\nmuc-erp-app01p,soon\n")
    result = _plan(*SAMPLE_ARGS, "--out", str(tmp_path / "o"), "--pins", str(pins))
    assert result.exit_code == 2
    assert "row 3, column 'wave': not a wave number: 'soon'" in result.output
    assert (
        str(tmp_path) in result.output
    )  # messages keep the path as given; plan files never hold absolute paths
    assert not (tmp_path / "o").exists()


def test_the_command_line_honours_migrator_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGRATOR_CONFIG", str(SAMPLE / "migrator.toml"))
    monkeypatch.setenv("MIGRATOR_CAPACITY__MAX_SERVERS", "7")
    args = [a for a in SAMPLE_ARGS if a not in ("--config", str(SAMPLE / "migrator.toml"))]
    result = _plan(*args, "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    echoed = json.loads((tmp_path / "plan.json").read_text())["settings"]
    assert echoed["capacity"]["max_servers"] == 7  # MIGRATOR_CAPACITY__MAX_SERVERS
    assert echoed["calendar"]["start"] == "2027-02-01"  # the file MIGRATOR_CONFIG names
