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
from tests.conftest import ROOT, inventory, server, settings

SCHEMA_FILE = ROOT / "src" / "migrator" / "schemas" / "plan.schema.json"
REAL_PLANS = [
    ROOT / "plans" / "sample" / "plan.json",
    ROOT / "tests" / "data" / "diff" / "old.json",  # written by migrator plan, sizing off
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

    def items(name: str) -> dict[str, Any]:
        return top["properties"][name]["items"]

    condition = items("violations")["properties"]["condition"]
    assert (condition["minimum"], condition["maximum"]) == (min(RULES), max(RULES))
    assert top["properties"]["schema_version"]["const"] == pm.SCHEMA_VERSION == "1.0"
    group = items("move_groups")
    assert group["properties"]["criticality"]["enum"] == ["low", "medium", "high", "critical"]
    split = group["properties"]["split"]["anyOf"][0]
    assert "class" in group["required"] and "from" in split["required"]
    server = items("servers")
    assert set(pm.SIZING_FIELDS) <= set(server["required"]) and "monthly_cost_1y" not in server["required"]


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
        lambda d: d["servers"][0].update(colour="blue"),
        lambda d: d["waves"][0]["risk"].update(weight=1),
        lambda d: d["move_groups"][0].pop("class"),
        lambda d: d["violations"][0].update(condition=max(RULES) + 1),
        lambda d: d["servers"][0].update(readiness="Maybe"),
        lambda d: d["waves"][0].update(kind="pilot"),
        lambda d: d["footprint"]["timeline"][0].update(month="2027-2"),
        lambda d: d.update(schema_version="2.0"),
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
    records = _sample()["servers"][:3]
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


def test_rows_are_flat() -> None:
    """Row.plain skips pydantic's serializer: a row may have no alias and no nested model."""
    for name in pm.ROWS:
        model = PlanDocument.model_fields[name].annotation.__args__[0]  # type: ignore[union-attr]
        assert issubclass(model, pm.Row)
        for field in model.model_fields.values():
            assert field.alias is None and not isinstance(field.annotation, type(pm.PlanModel))


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
    record = data["servers"][0]
    assert set(pm.SIZING_FIELDS) <= set(record)
    assert ("monthly_cost_1y" in record) is sizing and (doc.cost is None) is not sizing
    assert doc.external_endpoints[0].kind == "internet" and doc.summary.servers == 5
