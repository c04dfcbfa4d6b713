"""The plan document's models: the committed schema is the generated one, plan.json round-trips byte for byte,
unknown keys and values outside the closed sets are refused, and a built plan validates against both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest

from migrator import plan_model as pm
from migrator.conditions import RULES
from migrator.outputs.json_plan import dumps, schema, validate_document
from migrator.pipeline import plan_inventory
from migrator.plan_model import PlanDocument
from migrator.planfile import as_records, load_plan
from tests.conftest import ROOT, inventory, server, settings

SCHEMA_FILE = ROOT / "src" / "migrator" / "schemas" / "plan.schema.json"
REAL_PLANS = [ROOT / "plans" / "sample" / "plan.json"]
V1_PLANS = [  # written by migrator plan 1.x (tables as lists of records), sizing off
    ROOT / "tests" / "data" / "diff" / "old.json",
    ROOT / "tests" / "data" / "diff" / "new.json",
]


def test_committed_schema_is_generated_from_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == pm.schema_text(), (
        "src/migrator/schemas/plan.schema.json is stale: "
        "python -m migrator.plan_model > src/migrator/schemas/plan.schema.json"
    )
    assert schema() == pm.json_schema()  # what the package ships is what validate_document uses


def test_write_schema(tmp_path: Path) -> None:
    pm.write_schema(tmp_path / "plan.schema.json")
    assert (tmp_path / "plan.schema.json").read_bytes() == SCHEMA_FILE.read_bytes()


def test_schema_bounds_come_from_the_registries() -> None:
    top = pm.json_schema()
    assert "$defs" not in top and "$ref" not in json.dumps(top)  # every part inline, where a reader looks

    def column(table: str, name: str) -> dict[str, Any]:
        return top["properties"][table]["properties"][name]["items"]

    condition = column("violations", "condition")
    assert (condition["minimum"], condition["maximum"]) == (min(RULES), max(RULES))
    assert top["properties"]["schema_version"]["const"] == pm.SCHEMA_VERSION == "2.1"
    group = top["properties"]["move_groups"]  # a table: one array per field
    assert group["properties"]["criticality"]["items"]["enum"] == ["low", "medium", "high", "critical"]
    split = group["properties"]["split"]["items"]["anyOf"][0]
    assert "class" in group["required"] and "from" in split["required"]
    server = top["properties"]["servers"]
    assert set(pm.SIZING_FIELDS) <= set(server["required"]) and "monthly_cost_1y" not in server["required"]
    assert server["properties"]["readiness"]["items"]["anyOf"][0]["enum"][0] == "Ready"


@pytest.mark.parametrize("path", REAL_PLANS, ids=lambda p: p.name)
def test_real_plans_round_trip_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    doc = PlanDocument.model_validate_json(data)
    assert dumps(doc) == data
    jsonschema.validate(json.loads(data), schema())


def test_hand_made_diff_fixtures_are_not_whole_plans() -> None:
    """tests/data/diff/hand-*.json carry only what the diff reads: the schema says what is missing."""
    hand = json.loads((ROOT / "tests" / "data" / "diff" / "hand-old.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        validate_document(hand)
    with pytest.raises(pydantic.ValidationError):
        PlanDocument.model_validate(hand)


def _sample() -> dict[str, Any]:
    return json.loads(REAL_PLANS[0].read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(unknown=1),
        lambda d: d["summary"].update(servers_total=1),
        lambda d: d["servers"].update(colour=["blue"] * len(d["servers"]["name"])),
        lambda d: d["waves"]["risk"][0].update(weight=1),
        lambda d: d["move_groups"].pop("class"),
        lambda d: d["violations"]["condition"].__setitem__(0, max(RULES) + 1),
        lambda d: d["servers"]["readiness"].__setitem__(0, "Maybe"),
        lambda d: d["waves"]["kind"].__setitem__(0, "pilot"),
        lambda d: d["footprint"]["timeline"][0].update(month="2027-2"),
        lambda d: d.update(schema_version="1.0"),
    ],
    ids=[
        "unknown key",
        "unknown summary key",
        "unknown server key",
        "unknown risk key",
        "missing class",
        "condition out of range",
        "readiness",
        "wave kind",
        "month",
        "schema version",
    ],
)
def test_model_and_schema_refuse_a_damaged_plan(damage: Any) -> None:
    doc = _sample()
    damage(doc)
    with pytest.raises(pydantic.ValidationError):
        PlanDocument.model_validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate_document(doc)


def test_models_are_frozen() -> None:
    doc = PlanDocument.model_validate(_sample())
    with pytest.raises(pydantic.ValidationError):
        doc.summary.waves = 3  # type: ignore[misc]


def test_rows_from_columns_equal_constructed_ones() -> None:
    records = as_records(_sample())["servers"][:3]
    columns = {k: [r[k] for r in records] for k in records[0]}
    rows = pm.ServerRecord.from_columns(columns)
    for row, values in zip(rows, records, strict=True):
        assert row == pm.ServerRecord.model_construct(**values) == pm.ServerRecord.model_validate(values)
        assert row.model_fields_set == set(values) and row.plain() == values
    bare = {k: v for k, v in columns.items() if pm.ServerRecord.model_fields[k].is_required()}
    row = pm.ServerRecord.from_columns(bare)[0]  # sizing did not run: its optional columns are absent
    assert row.monthly_cost_ahb is None and "monthly_cost_ahb" not in row.plain()
    assert row.plain() == row.model_dump(by_alias=True, exclude_unset=True)
    assert PlanDocument.model_fields["servers"].is_required() and pm.Row.from_columns({}) == []


def test_tables_are_flat_when_they_say_so() -> None:
    """A flat table's columns go to plan.json as they are (no serializer); only waves and move groups hold
    models."""
    tables = [PlanDocument.model_fields[name].annotation for name in pm.TABLES]
    tables.append(pm.Footprint.model_fields["consolidation_moves"].annotation)
    assert len(tables) == len(pm.TABLE_PATHS)
    for table in tables:
        assert issubclass(table, pm.Table)  # type: ignore[arg-type]
        holds_models = table.RECORD in (pm.Wave, pm.MoveGroup)  # type: ignore[union-attr]
        assert table.FLAT is issubclass(table.RECORD, pm.Row) is (not holds_models)  # type: ignore[union-attr]
        for field in table.RECORD.model_fields.values():  # type: ignore[union-attr]
            assert not table.FLAT or (
                field.alias is None and not isinstance(field.annotation, type(pm.PlanModel))
            )


def test_a_table_reads_as_its_records() -> None:
    """plan.json 2.x keeps columns; in Python a table still iterates, counts and indexes as records."""
    doc = PlanDocument.model_validate(_sample())
    records = as_records(_sample())
    assert len(doc.servers) == len(records["servers"]) == doc.summary.servers
    assert [s.plain() for s in doc.servers] == records["servers"]
    assert (
        doc.servers[0].name == records["servers"][0]["name"]
        and doc.servers.column("name")[0] == doc.servers[0].name
    )
    assert [g.model_dump(by_alias=True) for g in doc.move_groups] == records["move_groups"]
    assert doc == PlanDocument.model_validate(_sample())  # records built (and kept) do not change equality


def test_a_table_refuses_columns_of_different_lengths() -> None:
    doc = _sample()
    doc["servers"]["name"].append("one-too-many")
    with pytest.raises(pydantic.ValidationError, match="columns of different lengths"):
        PlanDocument.model_validate(doc)


def test_plan_json_writes_one_column_a_line() -> None:
    text = dumps(PlanDocument.model_validate(_sample())).decode()
    lines = text.splitlines()
    start = lines.index('  "servers": {')
    assert lines[start + 1].startswith('    "application": ["') and lines[start + 1].endswith("],")
    waves = lines.index('  "waves": {')  # 2.1: waves, violations and consolidation moves are tables too
    assert lines[waves + 1].startswith('    "applications": [["') and lines[waves + 1].endswith("]],")
    assert lines[lines.index('  "violations": {') + 1].startswith('    "condition": [')
    moves = lines.index('    "consolidation_moves": {')  # inside footprint
    assert lines[moves + 1].startswith('      "application": ["') and lines[moves + 10] == "    },"
    assert len(lines) < 1_500  # 296 servers, 104 move groups: one line per column, not per value
    assert json.loads(text) == PlanDocument.model_validate(_sample()).to_dict()


def test_a_table_takes_a_list_of_its_records() -> None:
    """Code (and tests) may still hand a table its records: they become its columns."""
    doc = PlanDocument.model_validate(_sample())
    waves = list(doc.waves)
    table = pm.WaveTable.model_validate(waves)
    assert table == doc.waves and table.column("number") == [w.number for w in waves]
    moves = pm.Footprint.model_validate({**doc.footprint.__dict__, "consolidation_moves": []})
    assert len(moves.consolidation_moves) == 0 and moves.consolidation_moves.plain()["server"] == []
    with pytest.raises(pydantic.ValidationError):
        pm.WaveTable.model_validate([w.model_dump() for w in waves])  # JSON's tables are columns


def _as_2x(path: Path, folder: Path) -> Path:
    """The 1.x plan at ``path`` written by 2.x (tables as columns) into ``folder``."""
    old = json.loads(path.read_text(encoding="utf-8"))
    new = {**old, "schema_version": pm.SCHEMA_VERSION}
    for name in pm.TABLES:
        table = PlanDocument.model_fields[name].annotation
        rows, fields = old[name], table.model_fields.items()  # type: ignore[union-attr]
        columns = [
            f.alias or k for k, f in fields if f.is_required() or any((f.alias or k) in r for r in rows)
        ]
        new[name] = {c: [r[c] for r in rows] for c in columns}
    folder.mkdir()
    written = folder / "plan.json"
    written.write_bytes(dumps(PlanDocument.model_validate(new)))
    return written


@pytest.mark.parametrize("path", V1_PLANS, ids=lambda p: p.name)
def test_a_1x_plan_loads_as_the_same_plan_written_in_2x(path: Path, tmp_path: Path) -> None:
    """Readers of plans (migrator diff, azure check) go through load_plan: both versions load alike."""
    written = _as_2x(path, tmp_path / "v2")
    assert written.stat().st_size < path.stat().st_size
    assert {**load_plan(written), "schema_version": "1.0"} == load_plan(path)


def test_diff_reads_1x_and_2x_plans_alike(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrator.cli import _register, app

    _register()
    old, new = V1_PLANS
    v2 = [str(_as_2x(p, tmp_path / p.stem)) for p in (old, new)]
    runner = CliRunner()
    as_1x = runner.invoke(app, ["diff", str(old), str(new), "--format", "json"])
    as_2x = runner.invoke(app, ["diff", *v2, "--format", "json"])
    mixed = runner.invoke(app, ["diff", str(old), v2[1], "--format", "json"])
    assert as_1x.exit_code == as_2x.exit_code == mixed.exit_code == 0
    assert as_1x.output == as_2x.output == mixed.output and '"moved"' in as_1x.output


def _plan(sizing: bool) -> PlanDocument:
    servers = [
        server("web1", "shop", cpu_util_pct=20, memory_util_pct=40, os="Windows Server 2019"),
        server("db1", "shop", cores=8, mem=64, storage=2000, os="Ubuntu 22.04"),
        server("dev1", "shop", env="dev"),
        server("old1", "legacy", disposition="retire"),
        server("keep1", "mainframe", disposition="retain", host="esx1"),
    ]
    deps = [
        {"source": "web1", "target": "db1", "port": 5432},
        {"source": "web1", "target": "old1", "port": 80},
        {"source": "web1", "target": "203.0.113.9", "port": 443},
    ]
    inv = inventory(servers, deps, [{"host": "esx1", "cluster": "c1", "cores": 32, "memory_gb": 256}])
    return plan_inventory(inv, settings(sizing={"enabled": sizing}, planning={"protected_waves": 0})).document


@pytest.mark.parametrize("sizing", [True, False], ids=["sizing", "no sizing"])
def test_a_built_plan_validates(sizing: bool) -> None:
    doc = _plan(sizing)
    data = doc.to_dict()
    assert PlanDocument.model_validate(data).to_dict() == data  # no value of a wrong type slipped through
    assert PlanDocument.model_validate_json(dumps(doc)) == doc
    validate_document(doc)
    columns = data["servers"]
    assert set(pm.SIZING_FIELDS) <= set(columns) and len(columns["name"]) == 5
    assert ("monthly_cost_1y" in columns) is sizing and (doc.cost is None) is not sizing
    assert doc.external_endpoints[0].kind == "internet" and doc.summary.servers == 5
