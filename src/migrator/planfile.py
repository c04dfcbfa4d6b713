"""Reading a plan back: ``plan.json`` (or the folder holding it), as the commands that consume a plan need it.

One loader for every reader of a written plan (``migrator diff``, ``migrator azure check``). A missing file,
a folder without ``plan.json``, a file that is not JSON, not an object, lacks ``schema_version`` or ``waves``,
or has an unsupported major version raises one :class:`InputError` naming the file. What a consumer reads
beyond that (the diff's wave keys, for example) it checks itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.errors import InputError

PLAN_FILE = "plan.json"
SUPPORTED_MAJOR = "1"


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
    if str(doc["schema_version"]).split(".")[0] != SUPPORTED_MAJOR:
        raise InputError(
            f"plan schema_version {doc['schema_version']} is not supported",
            file=p,
            expected=f"{SUPPORTED_MAJOR}.x",
        )
    return doc
