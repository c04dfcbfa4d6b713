"""``migrator plan``: inventories in, plan files out, a summary on the terminal."""

from __future__ import annotations

import datetime as dt
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from migrator.cli.app import EXIT_GATE, EXIT_OK, app
from migrator.cli.common import drop_none, err_console, fail, out_console, progress_reporter
from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.document import PlanResult
    from migrator.pipeline import PlanInputs


class Gate(StrEnum):
    target = "target"
    critical = "critical"
    violations = "violations"


# The command's arguments and options, one alias each (typer reads the annotations).
ServersArg = Annotated[
    list[Path],
    typer.Argument(help="Server inventory files (native CSV, or any supported export).", show_default=False),
]
DepsOpt = Annotated[list[Path] | None, typer.Option("--deps", "-d", help="Dependency files (repeatable).")]
HostsOpt = Annotated[list[Path] | None, typer.Option("--hosts", help="Hypervisor host files (repeatable).")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="migrator.toml (default: $MIGRATOR_CONFIG).")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for PLAN.md, waves.csv, plan.json.")]
PinsOpt = Annotated[Path | None, typer.Option("--pins", help="An edited waves.csv: keep its wave choices.")]
FormatOpt = Annotated[str | None, typer.Option("--format", help="Force the format of the server files.")]
StartOpt = Annotated[
    dt.datetime | None, typer.Option("--start", formats=["%Y-%m-%d"], help="First day of the first wave.")
]
MaxServersOpt = Annotated[int | None, typer.Option("--max-servers", help="Most servers per wave.")]
MaxVcpusOpt = Annotated[float | None, typer.Option("--max-vcpus", help="Most vCPUs per wave.")]
MaxStorageOpt = Annotated[float | None, typer.Option("--max-storage-gb", help="Most storage (GiB) per wave.")]
ReductionOpt = Annotated[
    float | None, typer.Option("--target-reduction", help="Footprint reduction to reach, 0-1.")
]
TargetByOpt = Annotated[
    dt.datetime | None, typer.Option("--target-by", formats=["%Y-%m-%d"], help="Date to reach it by.")
]
MetricOpt = Annotated[
    str | None, typer.Option("--metric", help="Footprint: auto, hosts, racks, kw, datacenters, servers.")
]
FailOnOpt = Annotated[
    list[Gate] | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when the target is missed (target), a critical condition is broken (critical) "
        "or any condition is (violations). Repeatable.",
    ),
]
CheckOpt = Annotated[
    bool,
    typer.Option(
        "--check", help="Write nothing; exit 1 when the files in --out differ from what the inputs give now."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")]


@app.command("plan")
def plan_command(
    servers: ServersArg,
    deps: DepsOpt = None,
    hosts: HostsOpt = None,
    config: ConfigOpt = None,
    out: OutOpt = Path("plan"),
    pins: PinsOpt = None,
    fmt: FormatOpt = None,
    start: StartOpt = None,
    max_servers: MaxServersOpt = None,
    max_vcpus: MaxVcpusOpt = None,
    max_storage_gb: MaxStorageOpt = None,
    target_reduction: ReductionOpt = None,
    target_by: TargetByOpt = None,
    metric: MetricOpt = None,
    fail_on: FailOnOpt = None,
    check: CheckOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Plan the migration: move groups, dated waves, cost and the footprint projection."""
    from migrator.pipeline import PlanInputs

    overrides = _overrides(
        start, (max_servers, max_vcpus, max_storage_gb), (target_reduction, target_by, metric)
    )
    inputs = PlanInputs(servers=servers, dependencies=deps or [], hosts=hosts or [], pins=pins, format=fmt)
    result, files = _run(inputs, config, overrides, quiet)
    if check:
        _check_files(files, out, quiet)
    else:
        _write(files, out, quiet)

    if not quiet:
        from migrator.cli.render import render_summary

        render_summary(out_console(), result.document)
    warnings = [f for f in result.document.findings if f.severity == "warning"]
    for finding in warnings[:20] if not quiet else []:
        err_console().print(f"warning: {finding.message}", markup=False)
    if len(warnings) > 20 and not quiet:
        err_console().print(
            f"... and {len(warnings) - 20} more warnings in PLAN.md and plan.json", markup=False
        )

    gates = set(fail_on or [])
    tripped = []
    if Gate.target in gates and not result.target_met:
        tripped.append("the footprint target is not met")
    if Gate.critical in gates and result.critical_violations:
        tripped.append(f"{result.critical_violations} critical planning conditions are broken")
    if Gate.violations in gates and result.document.violations:
        tripped.append(f"{len(result.document.violations)} planning conditions are broken")
    if tripped:
        err_console().print("gate tripped: " + "; ".join(tripped), markup=False)
        raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)


def _stale_files(files: dict[str, bytes], out: Path) -> list[tuple[str, str]]:
    """Each plan file in ``out`` that is not what ``files`` holds, and why: missing, differing (a damaged
    plan.json says where it breaks the schema) or left over from an earlier plan (``waves/wave-019.md``)."""
    from migrator.outputs.folder import plan_files_in

    stale = []
    for name, data in sorted(files.items()):
        path = out / name
        if not path.exists():
            stale.append((name, "missing"))
        elif not path.is_file():
            stale.append((name, "not a file"))
        else:
            try:
                old = path.read_bytes()
            except OSError as exc:
                stale.append((name, f"cannot be read: {exc.strerror or exc}"))
                continue
            if old != data:
                stale.append((name, _why(name, old, data)))
    extra = sorted(set(plan_files_in(out, files)) - files.keys())
    stale.extend((name, "left over from an earlier plan (this plan has no such file)") for name in extra)
    return stale


def _why(name: str, old: bytes, new: bytes) -> str:
    if not name.endswith((".json", ".md", ".csv")):
        return f"binary content differs ({len(old):,} bytes committed, {len(new):,} now)"
    if name.endswith(".json"):
        return _why_json(name, old, new)
    old_lines, new_lines = (
        old.decode("utf-8", "replace").splitlines(),
        new.decode("utf-8", "replace").splitlines(),
    )
    for i, (x, y) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if x != y:
            return f"first difference at line {i}"
    return f"{len(old_lines)} lines committed, {len(new_lines)} now"


def _why_json(name: str, old: bytes, new: bytes) -> str:
    """Which top-level keys differ; for a damaged file (not JSON, not an object, off its schema), what is
    wrong with it."""
    import json

    from migrator.errors import InputError
    from migrator.planfile import PLAN_FILE, check_schema

    try:
        a, b = json.loads(old), json.loads(new)
    except (ValueError, RecursionError) as exc:
        return f"damaged: not JSON ({type(exc).__name__})"
    if not isinstance(a, dict) or not isinstance(b, dict):
        return "damaged: not a JSON object"
    if name == PLAN_FILE:
        try:
            check_schema(a, name)
        except InputError as exc:
            return "damaged: " + exc.message
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return "differs in " + ", ".join(keys) if keys else "formatting differs"


def _overrides(
    start: dt.datetime | None,
    capacity: tuple[int | None, float | None, float | None],
    target: tuple[float | None, dt.datetime | None, str | None],
) -> dict[str, Any]:
    """The settings given as flags, as the nested dict load_settings takes (flags not given left out)."""
    max_servers, max_vcpus, max_storage_gb = capacity
    reduction, by, metric = target
    return drop_none(
        {
            "calendar": {"start": start.date() if start else None},
            "capacity": {
                "max_servers": max_servers,
                "max_vcpus": max_vcpus,
                "max_storage_gb": max_storage_gb,
            },
            "target": {"reduction": reduction, "by": by.date() if by else None, "metric": metric},
        }
    )


def _run(
    inputs: PlanInputs, config: Path | None, overrides: dict[str, Any], quiet: bool
) -> tuple[PlanResult, dict[str, bytes]]:
    """The settings in force, the plan and its files; exit 2 on bad input."""
    from migrator.outputs import chart, render_plan
    from migrator.pipeline import STAGES, run_plan
    from migrator.settings import load_settings

    try:
        settings = load_settings(config, overrides, environ=os.environ)
        chart.warm_up([*inputs.servers, *inputs.dependencies, *inputs.hosts])  # small inputs: matplotlib
        with progress_reporter(not quiet, STAGES) as progress:
            result = run_plan(inputs, settings, progress=progress, footprint_ready=chart.draw_soon)
            return result, render_plan(result)
    except MigratorError as exc:
        fail(str(exc))


def _check_files(files: dict[str, bytes], out: Path, quiet: bool) -> None:
    """--check: exit 1 naming the stale files when the plan in ``out`` is not what the inputs give now."""
    stale = _stale_files(files, out)
    if stale:
        for name, why in stale:
            err_console().print(f"stale: {out / name}: {why}", markup=False)
        err_console().print(
            "the committed plan is stale: "
            "run the same 'migrator plan' command without --check and commit the result",
            markup=False,
        )
        raise typer.Exit(EXIT_GATE)
    if not quiet:
        err_console().print(f"{out}: plan files are up to date", markup=False)


def _write(files: dict[str, bytes], out: Path, quiet: bool) -> None:
    """Replace the plan in ``out`` whole (a fresh folder swapped in, under a lock); exit 2 naming the path
    when it cannot be written."""
    from migrator.outputs import write_plan

    try:
        write_plan(files, out)
    except MigratorError as exc:
        fail(str(exc))
    if not quiet:
        top = sorted({name.split("/", 1)[0] + ("/" if "/" in name else "") for name in files})
        err_console().print(f"wrote {', '.join(top)} to {out}", markup=False)
