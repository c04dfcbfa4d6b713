"""``migrator inspect``: what was detected in each file, and what planning will assume."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrator.cli.app import EXIT_INPUT, EXIT_OK, app
from migrator.cli.common import err_console, out_console


@app.command("inspect")
def inspect_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Inventory or dependency files.", show_default=False)
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Force a format instead of detecting it.")
    ] = None,
    formats: Annotated[bool, typer.Option("--formats", help="List the formats migrator reads.")] = False,
) -> None:
    """Show the detected format, mapped and unmapped columns, row counts, problems and assumptions of each
    file."""
    from migrator.inputs import readers
    from migrator.inspect import inspect_file

    out = out_console()
    if formats or not files:
        table = Table(title="Formats", title_justify="left")
        table.add_column("--format")
        table.add_column("What")
        for name, reader in readers().items():
            table.add_row(name, reader.description)
        out.print(table)
        raise typer.Exit(EXIT_OK)
    failed = False
    for path in files:
        rep = inspect_file(path, fmt)
        out.print(Text(f"{rep.path}: {rep.format}", style="bold"))
        if rep.tables:
            out.print(Text("  rows: " + ", ".join(f"{t} {n:,}" for t, n in rep.tables.items())))
        if rep.column_map:
            table = Table(show_header=True, box=None, padding=(0, 2))
            table.add_column("column in the file")
            table.add_column("read as")
            for src, dst in rep.column_map.items():
                table.add_row(Text(str(src)), Text(str(dst)))
            out.print(table)
        if rep.unmapped:
            out.print(Text("  not used: " + ", ".join(rep.unmapped)))
        for a in rep.assumptions:
            out.print(Text(f"  conversion: {a}"))
        for col, meaning in rep.assumed.items():
            out.print(Text(f"  missing {col}: {meaning}"))
        for f in rep.findings:
            out.print(Text(f"  {f.severity}: {f.render()}"))
        if rep.error is not None:
            failed = True
            err_console().print(f"error: {rep.error}", markup=False)
        out.print("")
    raise typer.Exit(EXIT_INPUT if failed else EXIT_OK)
