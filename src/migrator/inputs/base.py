"""The reader interface: every input format turns a file into canonical tables.

A reader is a small object with a ``name`` (the ``--format`` value), a ``sniff`` method that scores a
file's header, and a ``read`` method that returns a :class:`ReadResult`: the canonical tables it found
(servers, dependencies, hosts; see :mod:`migrator.schema`), how it mapped columns, and the findings.
Readers never validate business rules; :mod:`migrator.validate` does that for every format alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from migrator.errors import Finding, InputError


@dataclass(frozen=True)
class ReadResult:
    """What one file held, already in canonical column names (values not yet validated)."""

    path: str
    format: str
    servers: pd.DataFrame | None = None
    dependencies: pd.DataFrame | None = None
    hosts: pd.DataFrame | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # source column -> canonical column
    unmapped: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    assumptions: tuple[str, ...] = ()  # unit conversions and derivations, echoed in the plan
    row_offset: int = 1  # file row of the first data row minus one (header row is row 1 in a CSV)
    # A tool's export (Azure Migrate, RVTools): two rows with one server name are two machines, kept and told
    # apart in validation. False (the native format) makes a repeated name an error the user fixes.
    exported: bool = False


@runtime_checkable
class Reader(Protocol):
    name: str
    description: str

    def sniff(self, path: Path, header: Sequence[str]) -> float:
        """How sure (0..1) the reader is that a file with this header is its format."""

    def read(self, path: Path) -> ReadResult:
        """Read the file into canonical tables; raise InputError for what cannot be read."""


_REGISTRY: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    _REGISTRY[reader.name] = reader
    return reader


def readers() -> dict[str, Reader]:
    from migrator.inputs import _load_builtin  # noqa: PLC0415 - registers the built-in readers

    _load_builtin()
    return dict(sorted(_REGISTRY.items()))


def check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", file=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=path, expected="a header row and at least one data row")
