"""Input formats: one module per format, each a :class:`~migrator.inputs.base.Reader`.

:func:`read_file` detects the format from the file's header (or takes ``fmt``) and returns canonical tables.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from migrator.errors import InputError
from migrator.inputs.base import Reader, ReadResult, check_exists, readers

# Modules that register a reader when imported. A format added later appends its module here.
BUILTIN_READERS: tuple[str, ...] = (
    "migrator.inputs.native",
    "migrator.inputs.azure_migrate",
    "migrator.inputs.rvtools",
    "migrator.inputs.dependency_export",
    "migrator.inputs.discovery_report",
)

_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_READERS:
        importlib.import_module(module)


def _header(path: Path) -> list[str]:
    """A CSV's header, or for a workbook its sheet names as ``sheet:NAME``."""
    from migrator.inputs.csvio import sniff_dialect
    from migrator.inputs.xlsx import is_workbook, sheet_names

    if is_workbook(path):
        return [f"sheet:{s}" for s in sheet_names(path)]
    if path.suffix.lower() in (".gz", ".parquet", ".pq"):  # raw dependency exports, read by DuckDB
        from migrator.telemetry import file_header

        return list(file_header(path))
    return list(sniff_dialect(path).header)


def detect(path: Path) -> Reader:
    """The reader whose ``sniff`` scores this file highest (ties broken by name)."""
    check_exists(path)
    header = _header(path)
    scored = sorted(
        ((r.sniff(path, header), name) for name, r in readers().items()), key=lambda t: (-t[0], t[1])
    )
    if not scored or scored[0][0] <= 0:
        raise InputError(
            "cannot recognise the format from its header",
            file=path,
            row=1,
            expected="one of the formats listed by 'migrator inspect --formats' (or force one with --format)",
        )
    return readers()[scored[0][1]]


def read_file(path: str | Path, fmt: str | None = None) -> ReadResult:
    from migrator.inputs.csvio import dialects_remembered

    p = Path(path)
    check_exists(p)
    if fmt:
        available = readers()
        if fmt not in available:
            raise InputError(f"unknown format '{fmt}'", expected="one of " + ", ".join(available))
        return available[fmt].read(p)
    with dialects_remembered():  # detection and the reader sniff the file once
        return detect(p).read(p)


__all__ = ["BUILTIN_READERS", "ReadResult", "Reader", "detect", "read_file", "readers"]
