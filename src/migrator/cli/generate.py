"""``migrator generate``: a realistic synthetic estate in the native format (for trials and benchmarks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.app import EXIT_OK, app
from migrator.cli.common import err_console, fail


@app.command("generate")
def generate_command(
    servers: Annotated[int, typer.Option("--servers", "-n", help="Number of servers.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for servers.csv, dependencies.csv, hosts.csv.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 42,
    deps_per_server: Annotated[
        float, typer.Option("--deps-per-server", help="Dependency rows per server.")
    ] = 10.0,
    coupled_systems: Annotated[
        bool,
        typer.Option(
            "--coupled-systems",
            help="Group applications 2 to 5 at a time into systems that talk to each other about as much as "
            "they talk inside themselves.",
        ),
    ] = False,
    datacenters: Annotated[
        int, typer.Option("--datacenters", min=1, help="Data centers the clusters are dealt out to.")
    ] = 1,
    spread: Annotated[
        bool,
        typer.Option(
            "--spread",
            help="Place VMs on hosts in a random order, so retained VMs sit in every rack (default: "
            "application by application).",
        ),
    ] = False,
) -> None:
    """Generate a seeded, realistic estate: applications, tiers, environments, clusters, hubs, heavy-tailed
    dependencies."""
    from migrator.generate import Sites, generate_estate, write_estate

    try:
        estate = generate_estate(
            servers,
            seed=seed,
            deps_per_server=deps_per_server,
            coupled_systems=coupled_systems,
            sites=Sites(datacenters, spread),
        )
    except ValueError as exc:
        fail(str(exc))
    paths = write_estate(estate, out)
    err_console().print(
        f"wrote {len(estate.servers):,} servers, {len(estate.dependencies):,} dependency rows, "
        f"{len(estate.hosts):,} hosts: " + ", ".join(str(p) for p in paths),
        markup=False,
    )
    raise typer.Exit(EXIT_OK)
