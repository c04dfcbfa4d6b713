"""``migrator diff OLD NEW``: what changed between two plans, as a pull-request comment or JSON."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.app import EXIT_OK, app
from migrator.cli.common import fail


class DiffFormat(StrEnum):
    markdown = "markdown"
    json = "json"


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier plan: plan.json or its folder.")],
    new: Annotated[Path, typer.Argument(help="The later plan: plan.json or its folder.")],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", help="markdown (a PR comment) or json.")
    ] = DiffFormat.markdown,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Compare two plans: servers that changed wave, waves added/removed/moved, capacity, cost, footprint and
    target."""
    from migrator.diff import diff_plans, load_plan_document
    from migrator.errors import MigratorError
    from migrator.outputs import write_files
    from migrator.outputs.diff_markdown import diff_json, diff_markdown

    try:
        result = diff_plans(load_plan_document(old), load_plan_document(new))
    except MigratorError as exc:
        fail(str(exc))
    text = diff_markdown(result) if fmt == DiffFormat.markdown else diff_json(result)
    if output is None:
        sys.stdout.write(text)
    else:
        write_files({output.name: text.encode("utf-8")}, output.parent if str(output.parent) else Path("."))
    raise typer.Exit(EXIT_OK)
