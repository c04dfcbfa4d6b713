"""Reading a plan back: ``plan.json`` (or the folder holding it), as the commands that consume a plan need it.

One loader for every reader of a written plan (``migrator diff``, ``migrator azure check``). A missing file,
a folder without ``plan.json``, a file that is not JSON, not an object, lacks ``schema_version`` or ``waves``,
or has an unsupported major version raises one :class:`InputError` naming the file. What a consumer reads
beyond that (the diff's wave keys, for example) it checks itself. A 2.x plan's tables (columns) are
returned as 1.x's lists of records (:func:`as_records`): readers handle both versions alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.errors import InputError

PLAN_FILE = "plan.json"
SUPPORTED_MAJORS = ("1", "2")  # 2.x writes the long lists as tables (columns); read as 1.x's records
TABLES = ("servers", "move_groups", "cross_wave_dependencies", "move_group_dependencies")


def plan_path(path: str | Path) -> Path:
    """The plan file a path names: the path itself, or ``plan.json`` inside it when it is a folder."""
    p = Path(path)
    return p / PLAN_FILE if p.is_dir() else p


def load_plan(path: str | Path) -> dict[str, Any]:
    """The plan document at ``path`` (a plan.json, or a folder holding one); InputError when it is not one."""
    p = plan_path(path)
    if not p.exists():
        raise InputError("plan not found", file=p, expected="a plan.json or a folder holding one")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a plan.json: {exc}", file=p) from None
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
    return as_records(doc, p)


def as_records(doc: dict[str, Any], file: str | Path = PLAN_FILE) -> dict[str, Any]:
    """A 2.x plan with its tables (``{"name": [...], "wave": [...]}``) as lists of records (1.x:
    ``[{"name": ..., "wave": ...}]``, keys sorted), so a reader of plans handles both versions alike; a 1.x
    plan as it is."""
    if str(doc.get("schema_version")).split(".")[0] == "1":
        return doc
    for name in TABLES:
        table = doc.get(name)
        if not isinstance(table, dict):
            continue
        keys = sorted(k for k, v in table.items() if v is not None)  # a null column is an absent one
        columns = [table[k] for k in keys]
        if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) > 1:
            raise InputError(f"not a plan.json: {name} is not a table of equally long columns", file=file)
        doc[name] = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    return doc
