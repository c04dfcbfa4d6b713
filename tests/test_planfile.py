"""The one plan loader: plan.json or its folder, every damaged case one InputError naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.errors import InputError
from migrator.plan_model import SCHEMA_VERSION
from migrator.planfile import load_plan, plan_path
from tests.conftest import SAMPLE

_register()
# A minimal 1.x plan: only what readers use is checked in 1.x plans (planfile.WHOLE_SCHEMA_FROM).
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
            json.dumps({**GOOD, "schema_version": "99.0"}),
            "plan schema_version 99.0 is not supported (expected 1.x",
        ),
        ("[" * 100_000 + "]" * 100_000, "not a plan.json: nested too deeply"),
        (
            json.dumps({**GOOD, "waves": [{"number": "x", "start": "2027-01-04", "end": "2027-01-31"}]}),
            "plan.json is damaged: waves[0].number: Input should be a valid integer",
        ),
        (
            json.dumps(
                {**GOOD, "waves": [{"number": 1, "start": "soon", "end": "2027-01-31", "servers": 3}]}
            ),
            "plan.json is damaged: waves[0].start: Input should be a valid date",
        ),
        (json.dumps({**GOOD, "waves": {}}), "plan.json is damaged: waves: Input should be a valid list"),
        (
            json.dumps({**GOOD, "servers": [{"wave": 2}]}),
            "plan.json is damaged: servers[0].name: Field required",
        ),
        (json.dumps({**GOOD, "summary": []}), "plan.json is damaged: summary: Input should be a valid dict"),
    ],
)
def test_damaged_plans_raise_one_line_naming_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body, "damaged.json")
    with pytest.raises(InputError) as err:
        load_plan(path)
    text = str(err.value)
    assert message in text and "damaged.json" in text and "\n" not in text


def test_a_folder_named_plan_json_is_not_a_plan(tmp_path: Path) -> None:
    (tmp_path / "plan" / "plan.json").mkdir(parents=True)
    with pytest.raises(InputError, match=r"plan/plan.json: not a plan.json: a folder"):
        load_plan(tmp_path / "plan")


@pytest.fixture(scope="module")
def written_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A plan of the version migrator writes now (the sample estate)."""
    out = tmp_path_factory.mktemp("plan")
    result = CliRunner().invoke(app, ["plan", str(SAMPLE / "servers.csv"), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return dict(json.loads((out / "plan.json").read_text(encoding="utf-8")))


@pytest.mark.skipif(SCHEMA_VERSION.startswith("1."), reason="the whole schema is checked from 2.0 on")
def test_a_plan_of_the_current_version_is_checked_against_its_whole_schema(
    tmp_path: Path, written_plan: dict[str, object]
) -> None:
    """Beyond what readers use: any value off the schema (here the summary's server count) is named."""
    assert load_plan(_write(tmp_path, json.dumps(written_plan)))["schema_version"] == SCHEMA_VERSION
    summary = dict(written_plan["summary"])  # type: ignore[call-overload]
    damaged = {**written_plan, "summary": {**summary, "servers": "many"}}
    with pytest.raises(InputError) as err:
        load_plan(_write(tmp_path, json.dumps(damaged), "damaged.json"))
    assert f"damaged.json: plan.json does not follow its schema {SCHEMA_VERSION}: summary.servers: " in str(
        err.value
    )
    assert "got 'many'" in str(err.value)
    assert load_plan(tmp_path / "damaged.json", validate=False)["summary"]["servers"] == "many"


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


# plan.json 2.1: waves, violations and consolidation moves are tables too, and readiness_reason a coded column

PLAN_2_0 = Path(__file__).parent / "data" / "diff" / "sample-2.0.json"  # the sample plan as 2.0 wrote it


def _as_current(path: Path, folder: Path) -> Path:
    """The plan at ``path`` (any version) written by this version of migrator into ``folder``."""
    from migrator.outputs.json_plan import dumps
    from migrator.plan_model import TABLE_PATHS, PlanDocument

    doc = {**load_plan(path, validate=False), "schema_version": SCHEMA_VERSION}
    for *up, name in TABLE_PATHS:
        node, model = doc, PlanDocument
        for key in up:
            node, model = node[key], model.model_fields[key].annotation  # type: ignore[assignment]
        table = model.model_fields[name].annotation
        fields = table.model_fields.items()  # type: ignore[union-attr]
        rows = node[name]
        keys = [f.alias or k for k, f in fields if f.is_required() or any((f.alias or k) in r for r in rows)]
        node[name] = {k: [r[k] for r in rows] for k in keys}
    folder.mkdir()
    written = folder / "plan.json"
    written.write_bytes(dumps(PlanDocument.model_validate(doc)))
    return written


def test_a_2_0_plan_loads_as_the_same_plan_written_in_2_1(tmp_path: Path) -> None:
    """Waves, violations and consolidation moves were lists of records in 2.0: both load alike."""
    old = load_plan(PLAN_2_0)
    assert old["schema_version"] == "2.0" and isinstance(json.loads(PLAN_2_0.read_text())["waves"], list)
    written = _as_current(PLAN_2_0, tmp_path / "now")
    new = json.loads(written.read_text(encoding="utf-8"))
    assert isinstance(new["waves"], dict) and isinstance(new["footprint"]["consolidation_moves"], dict)
    assert written.stat().st_size < PLAN_2_0.stat().st_size
    assert {**load_plan(written), "schema_version": "2.0"} == old
    assert old["violations"] and old["footprint"]["consolidation_moves"]  # the sample has some of each


def test_diff_reads_a_2_0_and_a_2_1_plan_alike(tmp_path: Path) -> None:
    written = str(_as_current(PLAN_2_0, tmp_path / "now"))
    runner = CliRunner()
    both_2_0 = runner.invoke(app, ["diff", str(PLAN_2_0), str(PLAN_2_0), "--format", "json"])
    mixed = runner.invoke(app, ["diff", str(PLAN_2_0), written, "--format", "json"])
    backwards = runner.invoke(app, ["diff", written, str(PLAN_2_0), "--format", "json"])
    assert both_2_0.exit_code == mixed.exit_code == backwards.exit_code == 0, mixed.output
    assert both_2_0.output == mixed.output == backwards.output


def test_a_coded_column_is_written_once_per_value_and_read_back(tmp_path: Path) -> None:
    """readiness_reason repeats a few long texts over every server: written as its values and codes."""
    written = _as_current(PLAN_2_0, tmp_path / "now")
    servers = json.loads(written.read_text(encoding="utf-8"))["servers"]
    reason = servers["readiness_reason"]
    assert set(reason) == {"values", "codes"} and len(reason["codes"]) == len(servers["name"])
    assert len(reason["values"]) == len(set(reason["values"])) < len(reason["codes"])
    reasons = [r["readiness_reason"] for r in load_plan(written)["servers"]]
    assert reasons == [reason["values"][c] for c in reason["codes"]] and "" in reasons


@pytest.mark.parametrize(
    ("codes", "message"),
    [([0, 7], "codes are positions in its 2 values"), ([0, "1"], "codes are positions"), ("0", "are lists")],
)
def test_a_coded_column_pointing_nowhere_is_refused(tmp_path: Path, codes: object, message: str) -> None:
    doc = json.loads(_as_current(PLAN_2_0, tmp_path / "now").read_text(encoding="utf-8"))
    doc["servers"]["readiness_reason"] = {"values": ["", "Endorsed"], "codes": codes}
    for validate in (True, False):
        with pytest.raises(InputError, match=message):
            load_plan(_write(tmp_path, json.dumps(doc), "damaged.json"), validate=validate)
