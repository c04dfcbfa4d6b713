"""`migrator diff`: a pull-request comment that tells what changed, golden-file checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.diff import diff_plans, load_plan_document
from migrator.outputs.diff_markdown import COMMENT_LIMIT, MARKER, diff_markdown

_register()
DATA = Path(__file__).parent / "data" / "diff"
GOLDEN = Path(__file__).parent / "golden" / "diff" / "old-new.md"
runner = CliRunner()


def test_markdown_matches_the_reviewed_golden_file() -> None:
    result = runner.invoke(app, ["diff", str(DATA / "old.json"), str(DATA / "new.json")])
    assert result.exit_code == 0, result.output
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(result.output)
    assert result.output == GOLDEN.read_text()
    assert result.output.startswith(MARKER)


def test_run_twice_byte_identical_and_escaped() -> None:
    a = runner.invoke(app, ["diff", str(DATA / "old.json"), str(DATA / "new.json")]).output
    b = runner.invoke(app, ["diff", str(DATA / "old.json"), str(DATA / "new.json")]).output
    assert a == b
    assert "<b>" not in a.replace("<!-- migrator-diff -->", "")


def test_json_reports_moves_waves_and_footprint() -> None:
    result = runner.invoke(app, ["diff", str(DATA / "old.json"), str(DATA / "new.json"), "--format", "json"])
    d = json.loads(result.output)
    assert [s["server"] for s in d["servers"]["added"]] == ["shop-p9"]
    assert [s["server"] for s in d["servers"]["removed"]] == ["crm-p2"]
    assert d["waves"]["added"] and all(w["moved_in_time"] for w in d["waves"]["changed"])
    assert d["footprint"]["reached_on"] == ["2027-04", "2027-05"]


def test_unknown_cost_is_unknown_not_zero() -> None:
    old = load_plan_document(DATA / "old.json")
    new = json.loads(json.dumps(old))
    new["waves"][0]["cost"] = None
    d = diff_plans(old, new).data
    (row,) = d["waves"]["changed"]
    assert row["monthly_payg"][1] is None and row["monthly_payg_delta"] is None
    assert "→ unknown" in diff_markdown(diff_plans(old, new))


def test_huge_diff_stays_under_the_comment_limit() -> None:
    old = load_plan_document(DATA / "old.json")
    new = json.loads(json.dumps(old))
    new["servers"] = [{**old["servers"][0], "name": f"added-server-with-a-long-name-{i:06d}", "wave": 7} for i in range(20_000)]
    text = diff_markdown(diff_plans(old, new))
    assert len(text) <= COMMENT_LIMIT
    assert "## Migration plan diff" in text and "and 19," in text


def test_identical_plans_say_so() -> None:
    text = runner.invoke(app, ["diff", str(DATA / "old.json"), str(DATA / "old.json")]).output
    assert "No change to waves, servers, violations or the footprint projection." in text


def test_bad_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text('{"schema_version": "9.0", "waves": []}')
    result = runner.invoke(app, ["diff", str(tmp_path), str(DATA / "new.json")])
    assert result.exit_code == 2 and "schema_version 9.0 is not supported" in result.output
    result = runner.invoke(app, ["diff", str(tmp_path / "nope.json"), str(DATA / "new.json")])
    assert result.exit_code == 2 and "plan not found" in result.output
