"""Errors and findings the core reports instead of printing.

``InputError`` is raised for anything the user must fix (a file, a row, a column, what was expected);
the CLI turns it into one line on stderr and exit code 2, never a traceback. ``Finding`` is a
non-fatal observation (a warning) that is listed in ``plan.json`` and ``PLAN.md``, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def display_path(path: str | Path, in_output: bool = True) -> str:
    """A path relative to the working directory when possible.

    In files migrator writes (``in_output``) an absolute path outside it is cut to its name, so outputs do not
    depend on where a checkout lives; in messages it is kept.
    """
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix() if not p.is_absolute() or not in_output else p.name


class MigratorError(Exception):
    """Base class of every error migrator raises on purpose."""


class InputError(MigratorError):
    """Bad input: names the file, the row (1-based, header is row 1) and the column when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = display_path(file, in_output=False) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.message = message
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        # One line whatever the file held (a header cell of a workbook may contain a line break).
        return text.replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(InputError):
    """A bad configuration value or an unknown key."""


@dataclass(frozen=True, order=True)
class Finding:
    """A non-fatal problem found in the input or the plan, shown to the user and kept in plan.json."""

    code: str
    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    severity: str = "warning"  # "warning" | "info"

    def render(self) -> str:
        where = [
            w
            for w in (
                self.file,
                f"row {self.row}" if self.row is not None else "",
                f"column '{self.column}'" if self.column else "",
            )
            if w
        ]
        return (", ".join(where) + ": " if where else "") + self.message
