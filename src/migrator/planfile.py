"""Reading a plan back: ``plan.json`` (or the folder holding it), as the commands that consume a plan need it.

One loader for every reader of a written plan (``migrator diff``, ``migrator azure check``). A missing file,
a folder without ``plan.json``, a file that is not JSON, not an object, lacks ``schema_version`` or ``waves``,
or has an unsupported major version raises one :class:`InputError` naming the file; so does a plan of the
current version that breaks its schema (the first place named: ``waves[3].number: Input should be a valid
integer``), so a damaged plan is never read as a plan with unknown values. A 2.x plan's tables (columns) are
returned as 1.x's lists of records (:func:`as_records`): readers handle 1.x, 2.0 and 2.1 alike.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from migrator.errors import InputError

PLAN_FILE = "plan.json"
SUPPORTED_MAJORS = ("1", "2")  # 2.x writes the long lists as tables (columns); read as 1.x's records
# 1.x plans were written by many versions of migrator under one schema_version ("1.0"), with fields added over
# time: only what readers use is checked in them. From 2.0 on a plan of the current version must follow its
# whole schema.
WHOLE_SCHEMA_FROM = "2"
# Where PlanDocument holds a table (plan_model.Table: the long lists per wave, server, move group, dependency,
# violation, consolidation move), as keys from the document down; a 2.0 plan has the first four.
TABLE_PATHS = (
    ("servers",),
    ("move_groups",),
    ("cross_wave_dependencies",),
    ("move_group_dependencies",),
    ("waves",),  # 2.1
    ("violations",),  # 2.1
    ("footprint", "consolidation_moves"),  # 2.1
)


def plan_path(path: str | Path) -> Path:
    """The plan file a path names: the path itself, or ``plan.json`` inside it when it is a folder."""
    p = Path(path)
    if p.is_dir() and not (p.name == PLAN_FILE and not (p / PLAN_FILE).exists()):
        return p / PLAN_FILE
    return p  # a file, or a folder named plan.json standing where the file should be (refused on loading)


def load_plan(path: str | Path, validate: bool = True) -> dict[str, Any]:
    """The plan document at ``path`` (a plan.json, or a folder holding one); InputError when it is not one,
    or (``validate``) when it breaks the schema of its version."""
    p = plan_path(path)
    if not p.exists():
        raise InputError("plan not found", file=p, expected="a plan.json or a folder holding one")
    if p.is_dir():
        raise InputError("not a plan.json: a folder", file=p, expected="a plan.json or a folder holding one")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a plan.json: {exc}", file=p) from None
    except RecursionError:
        raise InputError("not a plan.json: nested too deeply", file=p) from None
    except OSError as exc:
        raise InputError(f"cannot read the plan: {exc.strerror or exc}", file=p) from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "waves" not in doc:
        raise InputError("not a plan.json (no schema_version or waves)", file=p)
    if str(doc["schema_version"]).split(".")[0] not in SUPPORTED_MAJORS:
        raise InputError(
            f"plan schema_version {doc['schema_version']} is not supported",
            file=p,
            expected=" or ".join(f"{m}.x" for m in SUPPORTED_MAJORS),
        )
    if validate:
        check_schema(doc, p)
    doc = as_records(doc, p)
    if validate:
        _check(_PlanCore, doc, p, "plan.json is damaged")
    return doc


def as_records(doc: dict[str, Any], file: str | Path = PLAN_FILE) -> dict[str, Any]:
    """A 2.x plan with its tables (``{"name": [...], "wave": [...]}``) as lists of records (1.x:
    ``[{"name": ..., "wave": ...}]``, keys sorted), a coded column (``{"values": [...], "codes": [...]}``)
    read as its values, so a reader of plans handles every version alike; a 1.x plan as it is. A list where
    a table may stand (2.0's waves) stays as it is."""
    if str(doc.get("schema_version")).split(".")[0] == "1":
        return doc
    for *up, name in TABLE_PATHS:
        node: Any = doc
        for key in up:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(name), dict):
            node[name] = _records(node[name], ".".join((*up, name)), file)
    return doc


def _records(table: dict[str, Any], name: str, file: str | Path) -> list[dict[str, Any]]:
    keys = sorted(k for k, v in table.items() if v is not None)  # a null column is an absent one
    try:
        columns = [decoded(table[k]) for k in keys]
    except ValueError as exc:
        raise InputError(f"not a plan.json: {name}: {exc}", file=file) from None
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) > 1:
        raise InputError(f"not a plan.json: {name} is not a table of equally long columns", file=file)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def decoded(column: Any) -> Any:
    """A coded column (plan_model.Coded: ``{"values": [...], "codes": [...]}``) as the list of its values;
    anything else as it is. ValueError when a code points at no value."""
    if not (isinstance(column, dict) and set(column) == {"values", "codes"}):
        return column
    values, codes = column["values"], column["codes"]
    if not isinstance(values, list) or not isinstance(codes, list):
        raise ValueError("a coded column's values and codes are lists")
    if not all(type(c) is int and 0 <= c < len(values) for c in codes):
        raise ValueError(f"a coded column's codes are positions in its {len(values)} values")
    return [values[c] for c in codes]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _WaveCore(_Loose):
    number: int = Field(ge=0)
    start: dt.date
    end: dt.date
    servers: int | None = Field(None, ge=0)
    vcpus: float | None = None
    storage_gb: float | None = None


class _ServerCore(_Loose):
    name: str
    wave: int | None = None
    application: str | None = None
    azure_size: str | None = None


class _ViolationCore(_Loose):
    message: str


class _PlanCore(_Loose):
    """What readers of a plan (``diff``, ``azure check``) rely on, in every supported version: a damaged
    value there is refused rather than read as "unknown" (what one reader needs more, it checks itself)."""

    schema_version: str
    waves: list[_WaveCore]
    servers: list[_ServerCore] = []
    violations: list[_ViolationCore] = []
    summary: dict[str, Any] = {}
    footprint: dict[str, Any] = {}


def check_schema(doc: Any, file: str | Path) -> None:
    """InputError naming the first place where ``doc`` breaks plan.json's schema (``plan.schema.json``), for
    a plan of the version migrator writes now (older versions: the parts readers use, checked on loading).

    The schema is generated from :class:`migrator.plan_model.PlanDocument`, so the model validates it: the
    rules of ``plan.schema.json``, some twenty times faster than a JSON Schema validator on a large plan.
    """
    from migrator.plan_model import SCHEMA_VERSION, PlanDocument

    if SCHEMA_VERSION.split(".")[0] < WHOLE_SCHEMA_FROM:
        return
    if isinstance(doc, dict) and str(doc.get("schema_version")) == SCHEMA_VERSION:
        _check(PlanDocument, doc, file, f"plan.json does not follow its schema {SCHEMA_VERSION}")


def _check(model: type[BaseModel], doc: Any, file: str | Path, problem: str) -> None:
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        shown = repr(first.get("input"))
        got = (
            "" if first["type"] == "missing" else f", got {shown if len(shown) <= 60 else shown[:57] + '...'}"
        )
        raise InputError(
            f"{problem}: {where or 'the document'}: {first['msg']}{got}{more}",
            file=file,
            expected="a plan.json written by 'migrator plan'",
        ) from None
