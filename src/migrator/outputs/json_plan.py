"""plan.json: the versioned, machine-readable plan (sorted keys, no timestamps, no absolute paths)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from migrator.plan_model import TABLE_PATHS, PlanDocument

if TYPE_CHECKING:
    from migrator.document import PlanResult

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def dumps(document: PlanDocument | dict[str, Any]) -> bytes:
    """plan.json's bytes: sorted keys, two-space indent, UTF-8, newline at the end (orjson). A
    :class:`PlanDocument` is written as :meth:`PlanDocument.to_dict` gives it.

    The tables (waves, servers, move groups, dependencies, violations, consolidation moves: see
    :data:`migrator.plan_model.TABLE_PATHS` and :class:`migrator.plan_model.Table`) are written one column a
    line, ``"name": [...]`` without indent inside the array: a 100,000-server plan is tens of megabytes
    instead of the 150 of one indented record per server, and orjson writes each column in one call."""
    data = document.to_dict() if isinstance(document, PlanDocument) else document
    if not isinstance(data, dict) or not data:
        return orjson.dumps(data, option=OPTIONS) + b"\n"
    return _object(data, (), b"") + b"\n"


def _object(data: dict[str, Any], path: tuple[str, ...], indent: bytes) -> bytes:
    """``data`` (a dict on the way to a table) indented as orjson would, its tables one column a line."""
    return _joined(_members(data, path, indent), indent)


def _members(data: dict[str, Any], path: tuple[str, ...], indent: bytes) -> dict[str, bytes]:
    """Each key of ``data`` with its value, as a line (or lines) of the object."""
    inner = indent + b"  "
    parts = {}
    for key in data:
        value, here = data[key], (*path, key)
        if here in TABLE_PATHS and isinstance(value, dict) and value:
            body = _columns(value, inner)
        elif isinstance(value, dict) and value and any(p[: len(here)] == here for p in TABLE_PATHS):
            body = _object(value, here, inner)
        else:
            body = orjson.dumps(value, option=OPTIONS).replace(b"\n", b"\n" + inner)
        parts[key] = inner + orjson.dumps(key) + b": " + body
    return parts


def _joined(members: dict[str, bytes], indent: bytes) -> bytes:
    return b"{\n" + b",\n".join(members[k] for k in sorted(members)) + b"\n" + indent + b"}"


def _columns(table: dict[str, Any], indent: bytes) -> bytes:
    """A table's columns, one a line, each array (or coded column) on that line."""
    compact = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    inner = indent + b"  "
    lines = [inner + orjson.dumps(k) + b": " + orjson.dumps(table[k], option=compact) for k in sorted(table)]
    return b"{\n" + b",\n".join(lines) + b"\n" + indent + b"}"


def schema() -> dict[str, Any]:
    """The JSON Schema of plan.json (``src/migrator/schemas/plan.schema.json``)."""
    text = resources.files("migrator").joinpath("schemas/plan.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_document(document: PlanDocument | dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the document does not follow the schema."""
    import jsonschema

    data = document.to_dict() if isinstance(document, PlanDocument) else document
    jsonschema.validate(data, schema())


class PlanJson:
    filename = "plan.json"

    def render(self, result: PlanResult) -> bytes:
        return self.render_later(result)()

    def render_later(self, result: PlanResult) -> Callable[[], bytes]:
        """:func:`dumps` of the whole plan in two steps: the parts outside ``footprint`` dumped now from the
        plan without the reach stage's results (the stage may still be running beside: it adds only to
        ``footprint.target``); the returned function adds the footprint once the stage is done."""
        members = _members(result.draft.to_dict(), (), b"")

        def finish() -> bytes:
            members.update(_members(result.document.to_dict(only={"footprint"}), (), b""))
            return _joined(members, b"") + b"\n"

        return finish
