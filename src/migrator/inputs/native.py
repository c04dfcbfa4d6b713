"""migrator's own CSV format: ``servers.csv``, ``dependencies.csv`` and the optional ``hosts.csv``.

Column names are those of :mod:`migrator.schema` (case-insensitive). The format is strict: a column that is
not part of it is an error (with the closest known name suggested), except columns prefixed ``x_`` which are
kept for the user and ignored by planning.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from migrator.errors import InputError
from migrator.inputs.base import ReadResult, register
from migrator.inputs.csvio import encoding_findings, read_csv_text, sniff_dialect
from migrator.inputs.units import LIMITS, looks_decimal_comma, parse_numbers
from migrator.schema import TABLES, column_names, required_columns


def native_kind(header: Sequence[str]) -> str | None:
    cols = {h.strip().lower() for h in header}
    if {"source", "target"} <= cols:
        return "dependencies"
    if "name" in cols and ({"cores", "memory_gb", "storage_gb"} & cols):
        return "servers"
    if (
        "host" in cols
        and "name" not in cols
        and ({"cores", "memory_gb", "power_w", "rack", "cluster"} & cols)
    ):
        return "hosts"
    return None


# Other names the native format accepts for a column (the issue that defined it names both).
ALIASES: dict[str, dict[str, str]] = {"dependencies": {"connections": "weight", "bytes": "weight"}}


_WHICH_TABLE = (
    "servers (name, cores, memory_gb, storage_gb, ...), dependencies (source, target, ...) "
    "or hosts (host, ...)"
)


def _map_columns(columns: Sequence[str], kind: str, path: Path) -> tuple[dict[str, str], list[str]]:
    """File column -> canonical column, and the custom ``x_`` columns; any other column is an error."""
    known = column_names(kind)
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    aliases = ALIASES.get(kind, {})
    for col in columns:
        key = col.strip().lower()
        key = aliases.get(key, key) if aliases.get(key) not in mapping.values() else key
        if key in known:
            mapping[col] = key
        elif key.startswith("x_"):
            unmapped.append(col)
        else:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise InputError(
                f"unknown column for a {kind} file{hint}",
                file=path,
                row=1,
                column=col,
                expected="one of " + ", ".join(known) + " (or a custom column prefixed x_)",
            )
    return mapping, unmapped


def _parse_numbers(frame: pd.DataFrame, kind: str, path: Path, names: dict[str, str], comma: bool) -> None:
    """The numeric columns as numbers, each finite and in range; a mistake names the file's own column."""
    numeric = [c.name for c in TABLES[kind] if c.kind in ("float", "int") and c.name in frame.columns]
    for col in numeric:
        frame[col] = parse_numbers(
            frame[col],
            file=path,
            column=names[col],
            decimal_comma=comma,
            expected="a plain number without units",
            quantity=col if col in LIMITS else None,
        )


def _check_required(frame: pd.DataFrame, kind: str, path: Path) -> None:
    missing = [c for c in required_columns(kind) if c not in frame.columns]
    if missing:
        raise InputError(
            f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}",
            file=path,
            row=1,
            column=missing[0],
        )
    if frame.empty:
        raise InputError("file has a header but no data rows", file=path, row=2)


class NativeReader:
    name = "native"
    description = "migrator's own CSV (servers, dependencies or hosts, told apart by their header)"

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        kind = native_kind(header)
        if kind is None:
            return 0.0
        known = set(column_names(kind)) | set(ALIASES.get(kind, {}))
        cols = [h.strip().lower() for h in header]
        share = sum(c in known or c.startswith("x_") for c in cols) / max(len(cols), 1)
        # A column the format does not have (an RVTools tab's '# Cores') makes this a weak guess: another
        # format that knows every column wins; alone, the native reader names the unknown column.
        return 0.5 + 0.5 * share if share == 1 else 0.3 * share

    def read(self, path: Path) -> ReadResult:
        dialect = sniff_dialect(path)
        kind = native_kind(dialect.header)
        if kind is None:
            raise InputError(
                "cannot tell which table this is from its header", file=path, row=1, expected=_WHICH_TABLE
            )
        frame = read_csv_text(path, dialect)
        mapping, unmapped = _map_columns(list(frame.columns), kind, path)
        frame = frame.rename(columns=mapping)[list(mapping.values())]
        _check_required(frame, kind, path)
        names = {canonical: col for col, canonical in mapping.items()}
        _parse_numbers(frame, kind, path, names, looks_decimal_comma(frame, dialect.delimiter))
        frame["source_row"] = frame.index.to_numpy()
        tables = {kind: frame}
        return ReadResult(
            path=str(path),
            format=self.name,
            servers=tables.get("servers"),
            dependencies=tables.get("dependencies"),
            hosts=tables.get("hosts"),
            column_map=mapping,
            unmapped=tuple(unmapped),
            findings=tuple(encoding_findings(path, dialect)),
        )


NATIVE = register(NativeReader())
