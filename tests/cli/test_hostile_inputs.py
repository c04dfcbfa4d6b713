"""The issue-16 cases on the command line: every user mistake is exit 2 and one line naming the file, the
setting or the path; an unexpected error is exit 70 and one line asking for a bug report; no traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from migrator.cli import _register, app
from migrator.plan_model import SCHEMA_VERSION
from migrator.planfile import as_records
from tests.conftest import server, write_csv

_register()
runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", **(env or {})})


def _one_line_error(result: Result, code: int, *needles: str) -> str:
    """The command failed with ``code`` and exactly one line on the terminal, holding each needle."""
    lines = result.output.strip().splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output and "Aborted!" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def servers(tmp_path: Path) -> Path:
    rows = [server("web01", "shop"), server("web02", "shop"), server("db01", "erp")]
    return write_csv(tmp_path / "servers.csv", rows)


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "migrator.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- settings and files that are folders -------------------------------------------------------------------


def test_a_config_path_that_is_a_folder_is_named(servers: Path, tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    out = tmp_path / "out"
    result = _run("plan", str(servers), "--config", str(tmp_path / "conf"), "--out", str(out))
    _one_line_error(result, 2, "conf: config file is a folder")
    via_env = _run("plan", str(servers), "--out", str(out), env={"MIGRATOR_CONFIG": str(tmp_path / "conf")})
    _one_line_error(via_env, 2, "conf: config file is a folder")
    assert not out.exists()


def test_a_catalog_that_is_a_folder_is_named(servers: Path, tmp_path: Path) -> None:
    (tmp_path / "cat").mkdir()
    cfg = _toml(tmp_path, f'[sizing]\ncatalog = "{tmp_path / "cat"}"\n')
    result = _run("plan", str(servers), "--config", str(cfg), "--out", str(tmp_path / "out"))
    _one_line_error(result, 2, "cat: catalog file is a folder")


@pytest.mark.parametrize("damage", ["truncated", "bits"])
def test_a_corrupt_gzip_catalog_is_one_line_not_aborted(servers: Path, tmp_path: Path, damage: str) -> None:
    good = gzip.compress(json.dumps({"region": "westeurope", "sizes": [{"name": "x"}] * 2000}).encode())
    bad = good[: len(good) // 2] if damage == "truncated" else good[:20] + b"\xff" * 40 + good[60:]
    (tmp_path / "cat.json.gz").write_bytes(bad)
    cfg = _toml(tmp_path, f'[sizing]\ncatalog = "{tmp_path / "cat.json.gz"}"\n')
    result = _run("plan", str(servers), "--config", str(cfg), "--out", str(tmp_path / "out"))
    _one_line_error(result, 2, "cat.json.gz: not a catalog file: damaged gzip")


# --- numbers and dates out of range ------------------------------------------------------------------------


@pytest.mark.parametrize("wave", ["1000000000", "1e20", "inf", "10001"])
def test_a_pin_beyond_any_plan_is_refused_by_row_and_column(servers: Path, tmp_path: Path, wave: str) -> None:
    pins = tmp_path / "pins.csv"
    pins.write_text(f"server,wave\nweb01,2\ndb01,{wave}\n", encoding="utf-8")
    result = _run("plan", str(servers), "--pins", str(pins), "--out", str(tmp_path / "out"))
    _one_line_error(result, 2, "pins.csv, row 3, column 'wave': not a wave number", "from 1 to 10,000")


@pytest.mark.parametrize(
    ("toml", "setting"),
    [
        ("[calendar]\nstart = 9999-12-01\n", "calendar.start"),
        ("[[calendar.freeze]]\nstart = 2027-02-01\nend = 9999-12-31\n", "calendar.freeze.0.end"),
        ("[target]\nby = 9999-12-31\n", "target.by"),
        ("[calendar]\nstart = 0001-01-01\n", "calendar.start"),
    ],
)
def test_dates_a_calendar_cannot_hold_are_refused_naming_the_setting(
    servers: Path, tmp_path: Path, toml: str, setting: str
) -> None:
    cfg = _toml(tmp_path, toml)
    result = _run("plan", str(servers), "--config", str(cfg), "--out", str(tmp_path / "out"))
    _one_line_error(result, 2, f"migrator.toml, column '{setting}': setting '{setting}'")


@pytest.mark.parametrize("wave", [100, 10_000])
def test_waves_running_past_the_last_day_a_calendar_holds_are_refused(
    servers: Path, tmp_path: Path, wave: int
) -> None:
    """Each date is in range, yet a pin to wave 100 every two years runs past what pandas' dates hold (2262)
    and one to wave 10,000 past the year 9999."""
    cfg = _toml(tmp_path, "[calendar]\nstart = 2199-01-04\nwave_weeks = 52\ncadence_weeks = 104\n")
    pins = tmp_path / "pins.csv"
    pins.write_text(f"server,wave\nweb01,{wave}\n", encoding="utf-8")
    args = ["plan", str(servers), "--config", str(cfg), "--pins", str(pins), "--out", str(tmp_path / "out")]
    _one_line_error(_run(*args), 2, "setting 'calendar':", "run past 2261-12-31")


# --- contradictory pins ------------------------------------------------------------------------------------


def test_the_same_server_pinned_twice_under_different_case_is_a_warning(
    servers: Path, tmp_path: Path
) -> None:
    pins = tmp_path / "pins.csv"
    pins.write_text("server,wave\nweb01,2\nWEB01,5\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _run("plan", str(servers), "--pins", str(pins), "--out", str(out))
    assert result.exit_code == 0, result.output
    expected = (
        "'WEB01' is pinned twice to different waves ('web01' row 2: wave 2; 'WEB01' row 3: wave 5): "
        "the last row counts, wave 5"
    )
    assert f"warning: {expected}" in result.output
    doc = as_records(json.loads((out / "plan.json").read_text(encoding="utf-8")))
    assert [f["message"] for f in doc["findings"] if f["code"] == "pin-conflict"] == [expected]
    waves_csv = (out / "waves.csv").read_text(encoding="utf-8").splitlines()
    header = waves_csv[0].split(",")
    web01 = next(line.split(",") for line in waves_csv if line.startswith("web01,"))
    assert web01[header.index("wave")] == "5"


# --- diff --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def a_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    rows = [server("web01", "shop"), server("web02", "shop"), server("db01", "erp")]
    servers = write_csv(out.parent / f"{out.name}-servers.csv", rows)
    result = _run("plan", str(servers), "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    return out


def test_diff_output_to_a_folder_or_an_unwritable_place_is_named(a_plan: Path, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    into_folder = _run("diff", str(a_plan), str(a_plan), "--output", str(tmp_path / "folder"))
    _one_line_error(into_folder, 2, "folder: cannot write a file: a folder is in the way")
    (tmp_path / "file").write_text("x")
    under_a_file = _run("diff", str(a_plan), str(a_plan), "--output", str(tmp_path / "file" / "diff.md"))
    _one_line_error(under_a_file, 2, "file: cannot write:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"], "no temporary file left"


def _damaged(a_plan: Path, tmp_path: Path, damage: str) -> Path:
    target = tmp_path / "damaged" / "plan.json"
    target.parent.mkdir()
    text = (a_plan / "plan.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    if damage == "list":
        target.write_text("[]")
    elif damage == "folder":
        target.mkdir()
    elif damage == "truncated":
        target.write_text(text[: len(text) // 2])
    elif damage == "nested":
        target.write_text('{"schema_version": "1.0", "waves": ' + "[" * 50_000 + "]" * 50_000 + "}")
    elif damage == "wave numbers":
        doc["waves"]["number"] = ["x"] * len(doc["waves"]["number"])  # plan.json 2.1: waves are columns
        target.write_text(json.dumps(doc))
    elif damage == "summary":
        doc["summary"] = {**doc["summary"], "servers": "lots"}
        target.write_text(json.dumps(doc))
    return target.parent


WHOLE_SCHEMA = pytest.mark.skipif(SCHEMA_VERSION.startswith("1."), reason="whole schema checked from 2.0 on")
DAMAGES = {
    "list": "not a plan.json (no schema_version or waves)",
    "folder": "plan.json: not a plan.json: a folder",
    "truncated": "not a plan.json: ",
    "nested": "not a plan.json: nested too deeply",
    "wave numbers": "waves.number[0]: Input should be a valid integer",  # 2.1: a table's column
    "summary": "summary.servers: Input should be a valid integer",
}


@pytest.mark.parametrize(
    "damage", [pytest.param(d, marks=WHOLE_SCHEMA) if d == "summary" else d for d in sorted(DAMAGES)]
)
def test_diff_of_a_damaged_plan_says_what_is_wrong_instead_of_diffing_it(
    a_plan: Path, tmp_path: Path, damage: str
) -> None:
    bad = _damaged(a_plan, tmp_path, damage)
    for args in ((str(bad), str(a_plan)), (str(a_plan), str(bad))):
        _one_line_error(_run("diff", *args), 2, DAMAGES[damage])


STALE = {
    "list": "damaged: not a JSON object",
    "folder": "not a file",
    "truncated": "damaged: not JSON",
    "nested": "damaged: not JSON (RecursionError)",
    "wave numbers": "damaged: plan.json does not follow its schema",
    "summary": "damaged: plan.json does not follow its schema",
}


@pytest.mark.parametrize(
    "damage",
    [pytest.param(d, marks=WHOLE_SCHEMA) if d in ("summary", "wave numbers") else d for d in sorted(STALE)],
)
def test_check_of_a_damaged_plan_json_reports_it_stale_saying_why(
    a_plan: Path, tmp_path: Path, damage: str
) -> None:
    bad = _damaged(a_plan, tmp_path, damage)
    for p in a_plan.rglob("*"):
        if p.is_file() and p.name != "plan.json":
            (bad / p.relative_to(a_plan)).parent.mkdir(parents=True, exist_ok=True)
            (bad / p.relative_to(a_plan)).write_bytes(p.read_bytes())
    servers = a_plan.parent / f"{a_plan.name}-servers.csv"
    result = _run("plan", str(servers), "--out", str(bad), "--check", "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"stale: {bad / 'plan.json'}: {STALE[damage]}" in result.output


def test_check_reports_missing_and_left_over_plan_files_but_not_the_users(
    a_plan: Path, tmp_path: Path
) -> None:
    committed = tmp_path / "committed"
    for p in a_plan.rglob("*"):
        if p.is_file():
            (committed / p.relative_to(a_plan)).parent.mkdir(parents=True, exist_ok=True)
            (committed / p.relative_to(a_plan)).write_bytes(p.read_bytes())
    (committed / "waves.csv").unlink()
    (committed / "waves").mkdir(exist_ok=True)
    (committed / "waves" / "wave-099.md").write_text("an earlier plan's wave\n")
    (committed / "NOTES.md").write_text("the user's notes\n")
    servers = a_plan.parent / f"{a_plan.name}-servers.csv"
    result = _run("plan", str(servers), "--out", str(committed), "--check", "--quiet")
    assert result.exit_code == 1, result.output
    stale = [line for line in result.output.splitlines() if line.startswith("stale: ")]
    assert stale == [
        f"stale: {committed / 'waves.csv'}: missing",
        f"stale: {committed / 'waves' / 'wave-099.md'}: "
        "left over from an earlier plan (this plan has no such file)",
    ]


# --- the top level ----------------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_asking_for_a_bug_report_exit_70(
    servers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import migrator.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(migrator.pipeline, "run_plan", broken)
    result = _run("plan", str(servers), "--out", str(tmp_path / "out"))
    line = _one_line_error(
        result, 70, "internal error: ZeroDivisionError: division by zero", "bug in migrator"
    )
    assert "MIGRATOR_TRACEBACK=1" in line
    assert not (tmp_path / "out").exists()
    shown = _run("plan", str(servers), "--out", str(tmp_path / "out"), env={"MIGRATOR_TRACEBACK": "1"})
    assert isinstance(shown.exception, ZeroDivisionError), "MIGRATOR_TRACEBACK=1 lets the traceback through"


def test_ctrl_c_exits_130_with_one_line(
    servers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import migrator.pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(migrator.pipeline, "run_plan", interrupted)
    _one_line_error(_run("plan", str(servers), "--out", str(tmp_path / "out")), 130, "interrupted")


def test_a_user_mistake_no_command_caught_is_still_exit_2(
    monkeypatch: pytest.MonkeyPatch, a_plan: Path
) -> None:
    from migrator.errors import InputError
    from migrator.outputs import diff_markdown

    def refuse(*args: object) -> str:
        raise InputError("something the user must fix", file="x.csv", row=3)

    monkeypatch.setattr(diff_markdown, "diff_markdown", refuse)
    _one_line_error(_run("diff", str(a_plan), str(a_plan)), 2, "x.csv, row 3: something the user must fix")


# --- contradictory settings and pins: warnings in the terminal and findings in the plan -----------------


@pytest.mark.parametrize(
    ("toml", "code", "words"),
    [
        (
            "[calendar]\nstart = 2027-01-04\n[target]\nby = 2026-06-30\n",
            "target-before-start",
            "the target date (target.by 2026-06-30) is before the first wave starts "
            "(calendar.start 2027-01-04)",
        ),
        (
            "[calendar]\nstart = 2027-01-04\n[target]\nby = 2027-01-20\n",
            "target-before-first-wave",
            "the target date (target.by 2027-01-20) is before the first wave ends (2027-01-31)",
        ),
        (
            "[calendar]\nstart = 2027-01-04\n[target]\nby = 2027-06-30\n"
            '[[calendar.freeze]]\nname = "year end"\nstart = 2027-01-01\nend = 2027-06-15\n',
            "freeze-no-room",
            "the freeze windows leave no room for a 4-week wave between calendar.start 2027-01-04 and the "
            "target date 2027-06-30: year end (2027-01-01 to 2027-06-15)",
        ),
    ],
)
def test_a_calendar_that_cannot_meet_its_target_is_a_warning(
    servers: Path, tmp_path: Path, toml: str, code: str, words: str
) -> None:
    out = tmp_path / "out"
    result = _run("plan", str(servers), "--config", str(_toml(tmp_path, toml)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"warning: {words}" in result.output
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in doc["findings"] if words in f["message"]] == [code]


def test_more_servers_pinned_to_a_wave_than_its_capacity_is_a_warning(servers: Path, tmp_path: Path) -> None:
    pins = tmp_path / "pins.csv"
    pins.write_text("server,wave\nweb01,1\nweb02,1\ndb01,1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _run("plan", str(servers), "--pins", str(pins), "--max-servers", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    words = "3 servers are pinned to wave 1, more than a wave may move (capacity.max_servers 2)"
    assert f"warning: {words}" in result.output
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in doc["findings"] if words in f["message"]] == ["pins-over-capacity"]
