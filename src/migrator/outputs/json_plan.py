"""plan.json: the versioned, machine-readable plan (sorted keys, no timestamps, no absolute paths)."""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.document import PlanResult


def dumps(document: dict[str, Any]) -> bytes:
    """Sorted keys, two-space indent, UTF-8, newline at the end (orjson: a 100,000-server plan in well under a second)."""
    import orjson

    return (
        orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
        + b"\n"
    )


def schema() -> dict[str, Any]:
    """The JSON Schema of plan.json (``src/migrator/schemas/plan.schema.json``)."""
    text = resources.files("migrator").joinpath("schemas/plan.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_document(document: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the document does not follow the schema."""
    import jsonschema

    jsonschema.validate(document, schema())


class PlanJson:
    filename = "plan.json"

    def render(self, result: PlanResult) -> bytes:
        return dumps(result.document)
