"""The one plan loader: plan.json or its folder, every damaged case one InputError naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.errors import InputError
from migrator.planfile import load_plan, plan_path

_register()
GOOD = {"schema_version": "1.0", "waves": [], "servers": []}


def _write(folder: Path, body: str, name: str = "plan.json") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_a_file_and_its_folder_load_the_same_document(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(GOOD))
    assert plan_path(tmp_path) == path and plan_path(path) == path
    assert load_plan(path) == load_plan(tmp_path) == load_plan(str(tmp_path)) == GOOD


def test_a_minor_version_is_accepted(tmp_path: Path) -> None:
    assert (
        load_plan(_write(tmp_path, json.dumps({**GOOD, "schema_version": "1.7"})))["schema_version"] == "1.7"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json at all", "not a plan.json: "),
        ("[]", "not a plan.json (no schema_version or waves)"),
        ('"text"', "not a plan.json (no schema_version or waves)"),
        (json.dumps({"schema_version": "1.0"}), "not a plan.json (no schema_version or waves)"),
        (json.dumps({"waves": []}), "not a plan.json (no schema_version or waves)"),
        (
            json.dumps({**GOOD, "schema_version": "3.0"}),
            "plan schema_version 3.0 is not supported (expected 1.x or 2.x)",
        ),
    ],
)
def test_damaged_plans_raise_one_line_naming_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body, "damaged.json")
    with pytest.raises(InputError) as err:
        load_plan(path)
    text = str(err.value)
    assert message in text and "damaged.json" in text and "\n" not in text


def test_non_utf8_bytes_are_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(InputError, match="not a plan.json"):
        load_plan(path)


def test_missing_file_and_folder_without_plan(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_plan(tmp_path / "nope.json")
    assert "nope.json" in str(err.value) and "plan not found" in str(err.value)
    with pytest.raises(InputError) as err:
        load_plan(tmp_path)  # a folder without plan.json
    assert str(err.value).endswith("plan.json: plan not found (expected a plan.json or a folder holding one)")


def test_diff_and_azure_check_report_the_same_line(tmp_path: Path) -> None:
    """Both commands read plans through the loader: the same damaged file gives the same one-line error."""
    bad = _write(tmp_path, "{}")
    runner = CliRunner()
    diff = runner.invoke(app, ["diff", str(bad), str(bad)])
    check = runner.invoke(app, ["azure", "check", "--plan", str(tmp_path), "--subscription", "0000"])
    assert diff.exit_code == check.exit_code == 2
    assert diff.output == check.output
    assert diff.output.startswith("error: ") and "not a plan.json" in diff.output
    assert len(diff.output.strip().splitlines()) == 1
