"""``migrator deps aggregate``: raw dependency telemetry (Azure Migrate exports, native rows; CSV, CSV.gz,
Parquet) aggregated by DuckDB into one native ``dependencies.csv``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.app import EXIT_OK, app
from migrator.cli.common import err_console, fail
from migrator.outputs.text import plural

deps_app = typer.Typer(
    name="deps",
    help="Raw dependency telemetry: aggregate exports of any size into migrator's dependencies format.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(deps_app)


def parse_time(text: str | None, option: str, end: bool = False) -> datetime | None:
    """An ISO date or date and time; a date alone given to --until means the end of that day."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r}: not a date (expected YYYY-MM-DD or YYYY-MM-DD HH:MM)")
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None) - (value.utcoffset() or timedelta(0))
    if end and len(text.strip()) == 10:
        value += timedelta(days=1)
    return value


def parse_ports(text: str | None) -> tuple[int, ...]:
    """``53,123,161-162`` to the ports it names."""
    ports: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            fail(f"--exclude-ports {part!r}: not a port or range (expected for example 53,123,161-162)")
        if not 0 <= first <= last <= 65535:
            fail(f"--exclude-ports {part!r}: ports are 0 to 65535, a range low-high")
        ports.update(range(first, last + 1))
    return tuple(sorted(ports))


def parse_processes(text: str | None) -> tuple[str, ...]:
    return tuple(sorted({p.strip().lower() for p in (text or "").split(",") if p.strip()}))


@deps_app.command("aggregate")
def aggregate_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Raw exports: files or glob patterns (quote them: 'exports/**/*.csv.gz'); .csv, .csv.gz, "
            ".parquet; Azure Migrate dependency exports (both layouts) or native dependencies.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The dependencies.csv to write.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Keep rows at or after this time (YYYY-MM-DD[ HH:MM]).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Keep rows before this time; a date alone includes that whole day."),
    ] = None,
    exclude_ports: Annotated[
        str | None,
        typer.Option("--exclude-ports", help="Destination ports to leave out, e.g. 53,123,161-162 (noise)."),
    ] = None,
    exclude_processes: Annotated[
        str | None,
        typer.Option(
            "--exclude-processes",
            help="Processes to leave out at either end, case-insensitive, e.g. dns.exe,MonAgentCore.exe.",
        ),
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB's memory cap; beyond it, it spills to disk.")
    ] = "1GB",
    temp_dir: Annotated[
        Path | None,
        typer.Option("--temp-dir", help="Where DuckDB spills (default: the system's temporary folder)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Aggregate raw dependency rows per flow (source, target, port, protocol, IPs, processes) into the
    native dependencies format, sorted; a flow's weight is its connection count, or its number of rows."""
    from migrator.errors import MigratorError
    from migrator.telemetry import EngineOptions, Filters, aggregate_to_csv, expand

    start, end = parse_time(since, "--since"), parse_time(until, "--until", end=True)
    if start is not None and end is not None and end <= start:
        fail("--until must be after --since")
    filters = Filters(start, end, parse_ports(exclude_ports), parse_processes(exclude_processes))
    try:
        summary = aggregate_to_csv(
            expand(files), out, filters, EngineOptions(memory_limit=memory_limit, temp_directory=temp_dir)
        )
    except MigratorError as exc:
        fail(str(exc))
    if not quiet:
        err_console().print(
            f"{plural(summary.rows, 'row')} from {plural(summary.files, 'file')} aggregated into "
            f"{plural(summary.flows, 'flow')}: {out}",
            markup=False,
        )
    raise typer.Exit(EXIT_OK)
