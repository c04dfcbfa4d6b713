"""``migrator azure check``: reconcile a plan with a live subscription; check that the next waves can land."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrator.cli.app import EXIT_GATE, EXIT_OK, app
from migrator.cli.common import err_console, fail, out_console
from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.azure.arm import Connection
    from migrator.azure.check import CheckResult

azure_app = typer.Typer(
    help="Live checks against an Azure subscription (optional; never needed to plan).", no_args_is_help=True
)
app.add_typer(azure_app, name="azure")


def load_plan(path: Path) -> dict:
    """The plan to check (plan.json or its folder), or exit 2 with the loader's one-line error."""
    from migrator.planfile import load_plan as read_plan

    try:
        return read_plan(path)
    except MigratorError as exc:
        fail(str(exc))


@azure_app.command("check")
def check_command(
    plan: Annotated[Path, typer.Option("--plan", help="plan.json, or the folder holding it.")],
    subscription: Annotated[str, typer.Option("--subscription", help="Subscription ID the waves land in.")],
    region: Annotated[
        str | None, typer.Option("--region", help="Target region (default: the plan's sizing region).")
    ] = None,
    auth: Annotated[
        str, typer.Option("--auth", help="default, cli, environment or managed-identity.")
    ] = "default",
    cloud: Annotated[str, typer.Option("--cloud", help="public, usgov or china.")] = "public",
    arm_endpoint: Annotated[
        str | None, typer.Option("--arm-endpoint", help="ARM endpoint URL (Azure Stack Hub, private clouds).")
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="Date deciding which waves are due (default: today)."
        ),
    ] = None,
    match_tag: Annotated[
        str | None,
        typer.Option("--match-tag", help="VM tag naming the source server (else VMs match by name)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for azure-check.md and azure-check.json.")
    ] = None,
    fail_on_blocking: Annotated[
        bool, typer.Option("--fail-on-blocking", help="Exit 1 when a finding blocks the next wave.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            max=86_400,
            help="Seconds the whole check may take talking to Azure, retries included.",
        ),
    ] = 300.0,
) -> None:
    """Which planned servers have landed, which are missing or drifted, and whether sizes and quota let the
    next waves land."""
    from migrator.azure import arm

    _check_options(auth, cloud, arm_endpoint)
    try:
        arm.azure_sdk("'migrator azure check'")
    except MigratorError as exc:
        fail(str(exc))
    doc = load_plan(plan)
    conn = arm.Connection(subscription, auth, cloud, arm_endpoint, timeout)
    day = as_of.date() if as_of else dt.date.today()
    result = _run_check(doc, conn, day, region, match_tag)
    _print_check(result, day)
    if out is not None:
        _write_reports(result, out)
    if fail_on_blocking and result.blocking:
        err_console().print(f"gate tripped: {result.blocking} blocking findings", markup=False)
        raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)


def _check_options(auth: str, cloud: str, arm_endpoint: str | None) -> None:
    """Exit 2 on an --auth, --cloud or --arm-endpoint the check cannot use."""
    from migrator.azure import arm

    if auth not in arm.AUTH_CHOICES:
        fail(f"--auth must be one of {', '.join(arm.AUTH_CHOICES)}")
    if cloud not in arm.CLOUDS:
        fail(f"--cloud must be one of {', '.join(arm.CLOUDS)}")
    if arm_endpoint and not arm_endpoint.startswith("https://"):
        fail("--arm-endpoint must be an https:// URL")


def _run_check(
    doc: dict, conn: Connection, day: dt.date, region: str | None, match_tag: str | None
) -> CheckResult:
    """The check of the plan against the subscription, or exit 2 with one line on what went wrong."""
    from migrator.azure import arm
    from migrator.azure.check import check_plan

    try:
        client = arm.CLIENT_FACTORY(conn)
        return check_plan(doc, client, conn, day, region, match_tag)
    except MigratorError as exc:
        fail(str(exc))
    except Exception as exc:  # an SDK error outside the calls wrapped in check_plan
        fail(str(arm.describe_error(exc, conn, "talking to Azure")))


def _print_check(result: CheckResult, day: dt.date) -> None:
    """The findings as a table on stdout, then a one-line summary."""
    console = out_console()
    table = Table(title=f"Azure check of {result.region} as of {day}", title_justify="left")
    for col in ("Severity", "Kind", "Wave", "Server", "Finding"):
        table.add_column(col)
    for f in result.findings:
        style = "bold red" if f.severity == "blocking" else "yellow" if f.severity == "warning" else ""
        table.add_row(
            Text(f.severity, style=style),
            f.kind,
            "" if f.wave is None else str(f.wave),
            Text(f.server or ""),
            Text(f.message),
        )
    console.print(table)
    summary = result.to_dict()["summary"]
    console.print(
        Text(
            f"{summary['blocking']} blocking, {summary['warnings']} warnings; reconciliation: "
            + (", ".join(f"{n} {k}" for k, n in summary["reconciliation"].items()) or "nothing due")
        )
    )


def _write_reports(result: CheckResult, out: Path) -> None:
    from migrator.azure.check_report import check_json, check_markdown
    from migrator.outputs import write_files

    write_files(
        {"azure-check.json": check_json(result), "azure-check.md": check_markdown(result).encode()}, out
    )
    err_console().print(f"wrote azure-check.md, azure-check.json to {out}", markup=False)
