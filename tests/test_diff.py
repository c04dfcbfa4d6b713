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
    new["servers"] = [
        {**old["servers"][0], "name": f"added-server-with-a-long-name-{i:06d}", "wave": 7}
        for i in range(20_000)
    ]
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


# Hand-made plans following the plan.json contract (sizing partly null): every kind of change, escaping,
# unknown cost.

HAND = (DATA / "hand-old.json", DATA / "hand-new.json")
GOLDEN_DIR = GOLDEN.parent


def _golden(name: str, text: str) -> str:
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_hand_made_markdown_and_json_match_golden_files() -> None:
    md = runner.invoke(app, ["diff", *map(str, HAND)])
    js = runner.invoke(app, ["diff", *map(str, HAND), "--format", "json"])
    assert md.exit_code == 0 and js.exit_code == 0
    assert md.output == _golden("hand-made.md", md.output)
    assert js.output == _golden("hand-made.json", js.output)


def test_hand_made_diff_reports_every_kind_of_change() -> None:
    d = diff_plans(load_plan_document(HAND[0]), load_plan_document(HAND[1])).data
    assert [(m["server"], m["from"], m["to"]) for m in d["servers"]["moved"]] == [
        ("db01", 2, 4),
        ("hr01", 3, 4),
        ("hr02", 3, 4),
    ]
    assert [a["server"] for a in d["servers"]["added"]] == ["app|new"] and [
        r["server"] for r in d["servers"]["removed"]
    ] == ["web02"]
    assert d["servers"]["resized"] == [{"server": "hr02", "from": "Standard_D4s_v5", "to": "Standard_D8s_v5"}]
    assert [w["wave"] for w in d["waves"]["added"]] == [4] and [w["wave"] for w in d["waves"]["removed"]] == [
        3
    ]
    w1, w2 = d["waves"]["changed"]
    assert (
        w1["monthly_payg"] == [None, 120.0] and w1["monthly_payg_delta"] is None and not w1["moved_in_time"]
    )
    assert w2["moved_in_time"] and (w2["start_shift_days"], w2["end_shift_days"]) == (14, 14)
    assert (
        (w2["servers_in"], w2["servers_out"]) == (1, 2)
        and w2["servers"] == [3, 2]
        and w2["vcpus"] == [12.0, 8.0]
    )
    assert [v["condition"] for v in d["violations"]["added"]] == [2] and [
        v["condition"] for v in d["violations"]["removed"]
    ] == [4]
    assert d["footprint"]["met"] == [True, False] and d["footprint"]["reached_on"] == ["2027-04", None]
    assert d["footprint"]["reduction_at_target"] == [0.75, 0.5]
    assert [(m["month"], m["before"], m["after"]) for m in d["footprint_timeline"]] == [
        ("2027-02", 3.0, 4.0),
        ("2027-03", 2.0, 3.0),
        ("2027-04", 1.0, 2.0),
    ]


def test_hand_made_markdown_reads_well_and_is_escaped() -> None:
    text = diff_markdown(diff_plans(load_plan_document(HAND[0]), load_plan_document(HAND[1])))
    summary = text.split("<details>", 1)[0]
    assert summary.startswith(MARKER + "\n## Migration plan diff\n")
    assert "met → not met" in summary and "reached 2027-04 → not reached" in summary
    assert "unknown → 1,534.50" in summary  # a run-rate one plan does not know is unknown, never 0
    assert "| 1 | 2027-01-04 to 2027-01-29 | foundation | 2 |  | 8 | 400 | unknown → 120.00 | low |" in text
    assert "(+14 days)" in text and "+1 / -2" in text
    assert "app\\|new" in text and "hr\\|pay &lt;b&gt;" in text and "&lt;br&gt;" in text
    assert "<b>" not in text and "<br>" not in text
    assert text.count("<details>") == text.count("</details>") == 11
    assert " 0.00" not in text and "| 0 |" not in text


def test_output_file_equals_stdout_and_folders_are_accepted(tmp_path: Path) -> None:
    for i, src in enumerate(HAND):
        folder = tmp_path / f"plan{i}"
        folder.mkdir()
        (folder / "plan.json").write_bytes(src.read_bytes())
    out = tmp_path / "comments" / "diff.md"
    result = runner.invoke(
        app, ["diff", str(tmp_path / "plan0"), str(tmp_path / "plan1"), "--output", str(out)]
    )
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8") == runner.invoke(app, ["diff", *map(str, HAND)]).output


def test_damaged_plans_exit_2_with_one_line(tmp_path: Path) -> None:
    good = json.loads(HAND[0].read_text())
    cases = {
        "list.json": "[]",
        "text.json": "not json at all",
        "nowaves.json": json.dumps({"schema_version": "1.0"}),
        "v2.json": json.dumps({**good, "schema_version": "2.0"}),
        "wavekeys.json": json.dumps({**good, "waves": [{"number": 1, "start": "2027-01-04"}]}),
        "wavedate.json": json.dumps({**good, "waves": [{**good["waves"][0], "start": "next monday"}]}),
        "servers.json": json.dumps({**good, "servers": {"a": 1}}),
        "footprint.json": json.dumps({**good, "footprint": [1, 2]}),
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(body)
        result = runner.invoke(app, ["diff", str(tmp_path / name), str(HAND[1])])
        assert result.exit_code == 2, (name, result.output)
        lines = result.output.strip().splitlines()
        assert (
            len(lines) == 1
            and lines[0].startswith("error: ")
            and name in lines[0]
            and "Traceback" not in result.output
        ), (name, result.output)


def test_huge_diff_of_every_kind_keeps_the_summary_and_closes_its_tags() -> None:
    old = load_plan_document(HAND[0])
    new = json.loads(json.dumps(old))
    long = "x" * 60
    old["servers"] = [
        {
            **old["servers"][0],
            "name": f"srv-{long}-{i:05d}",
            "application": f"app|{i % 97} <i>",
            "wave": 1 + i % 3,
        }
        for i in range(30_000)
    ]
    new["servers"] = [{**s, "wave": 1 + (s["wave"] % 3)} for s in old["servers"][:25_000]]
    new["servers"] += [{**old["servers"][0], "name": f"new-{long}-{i:05d}", "wave": 2} for i in range(5_000)]
    old["waves"] = [
        {**old["waves"][0], "number": n, "start": "2027-01-04", "end": "2027-01-29"} for n in range(1, 3_001)
    ]
    new["waves"] = [
        {**w, "number": w["number"] + 1_000, "start": "2027-02-01", "end": "2027-02-26", "servers": 7}
        for w in old["waves"]
    ]
    old["violations"] = [
        {"condition": 1, "message": f"old problem {i} {long}", "waves": [1, 2], "servers": []}
        for i in range(4_000)
    ]
    new["violations"] = [
        {"condition": 3, "message": f"new problem {i} {long}", "waves": [3], "servers": []}
        for i in range(4_000)
    ]
    new["footprint"] = {
        **old["footprint"],
        "timeline": [{"month": f"{2030 + m // 12}-{m % 12 + 1:02d}", "remaining": 1.0} for m in range(600)],
    }
    old["summary"] = {**old["summary"], "servers": 30_000}
    new["summary"] = {**new["summary"], "servers": 30_000}
    result = diff_plans(old, new)
    text = diff_markdown(result)
    assert len(text) <= COMMENT_LIMIT
    assert (
        text.startswith(MARKER)
        and "- **Servers**: 30,000; 25,000 changed wave, 5,000 added, 5,000 removed" in text
    )
    assert text.count("<details>") == text.count("</details>") > 5
    assert "_and 24,9" in text and "more (see `migrator diff --format json`)" in text
    assert diff_markdown(result) == text  # deterministic
    small = diff_markdown(result, limit=4_000)
    assert len(small) <= 4_000 and small.startswith(MARKER) and "- **Target**" in small
