"""Header matching shared by the export readers: names compared without case, spaces, '*' or punctuation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_NON_ALNUM = re.compile(r"[^a-z0-9#%]+")


def norm(name: str) -> str:
    return _NON_ALNUM.sub("", str(name).lower().replace("\ufeff", ""))


def find_columns(columns: Iterable[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """canonical name -> the file's column, for each canonical name one of whose aliases is present."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(norm(col), col)
    found: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            match = by_norm.get(norm(alias))
            if match is not None:
                found[canonical] = match
                break
    return found


def header_score(header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()) -> float:
    """0 when a required header is missing, else 0.6 plus up to 0.4 for the optional ones present."""
    have = {norm(h) for h in header}
    if not all(norm(r) in have for r in required):
        return 0.0
    if not optional:
        return 0.9
    return 0.6 + 0.4 * sum(norm(o) in have for o in optional) / len(optional)
