"""``migrator catalog``: show the VM size catalog, refresh it from Azure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrator.cli.app import EXIT_OK, app
from migrator.cli.common import err_console, fail, out_console
from migrator.errors import MigratorError

if TYPE_CHECKING:
    import pandas as pd

    from migrator.azure.catalog import Catalog

catalog_app = typer.Typer(help="The Azure VM size catalog used for sizing and cost.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("show")
def show(
    region: Annotated[str, typer.Option("--region", help="Region of the catalog.")] = "westeurope",
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", help="A catalog file from 'catalog refresh'.")
    ] = None,
    series: Annotated[
        list[str] | None, typer.Option("--series", "--family", help="VM series such as Dsv5 (repeatable).")
    ] = None,
    min_vcpus: Annotated[int | None, typer.Option("--min-vcpus")] = None,
    max_vcpus: Annotated[int | None, typer.Option("--max-vcpus")] = None,
    min_memory: Annotated[float | None, typer.Option("--min-memory", help="GiB.")] = None,
    max_memory: Annotated[float | None, typer.Option("--max-memory", help="GiB.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show (0 for all).")] = 50,
) -> None:
    """List sizes with their hourly prices (filters by series, vCPU, memory, region)."""
    from migrator.azure.catalog import load_catalog

    try:
        cat = load_catalog(region, str(catalog_file) if catalog_file else "")
    except MigratorError as exc:
        fail(str(exc))
    sizes = _filtered(cat.sizes, series, (min_vcpus, max_vcpus), (min_memory, max_memory))
    sizes = sizes.sort_values(["series", "vcpus", "memory_gb", "name"], kind="mergesort")
    total = len(sizes)
    if limit:
        sizes = sizes.head(limit)
    out_console().print(_sizes_table(cat, sizes))
    if total > len(sizes):
        err_console().print(f"{total - len(sizes)} more sizes; use --limit 0 or filters", markup=False)
    raise typer.Exit(EXIT_OK)


Bounds = tuple[float | None, float | None]


def _filtered(sizes: pd.DataFrame, series: list[str] | None, vcpus: Bounds, memory: Bounds) -> pd.DataFrame:
    """The sizes of the given series (any case) within the vCPU and memory bounds (None: unbounded)."""
    if series:
        sizes = sizes[sizes["series"].str.lower().isin([s.lower() for s in series])]
    for column, (low, high) in (("vcpus", vcpus), ("memory_gb", memory)):
        if low is not None:
            sizes = sizes[sizes[column] >= low]
        if high is not None:
            sizes = sizes[sizes[column] <= high]
    return sizes


_COLUMNS = (
    "Size",
    "Series",
    "vCPU",
    "Memory GiB",
    "Data disks",
    "Linux $/h",
    "Windows $/h",
    "1y $/h",
    "3y $/h",
)
_FIELDS = (
    "name",
    "series",
    "vcpus",
    "memory_gb",
    "max_data_disks",
    "linux",
    "windows",
    "linux_1y",
    "linux_3y",
    "restrictions",
    "price_note",
)


def _sizes_table(cat: Catalog, sizes: pd.DataFrame) -> Table:
    table = Table(
        title=f"{cat.region}: {cat.origin}, prices of {cat.snapshot.get('prices')}", title_justify="left"
    )
    for col in (*_COLUMNS, "Note"):
        table.add_column(col, justify="right" if col not in ("Size", "Series", "Note") else "left")
    for values in zip(*(sizes[f].tolist() for f in _FIELDS), strict=True):
        r = dict(zip(_FIELDS, values, strict=True))
        table.add_row(
            Text(r["name"]),
            Text(r["series"]),
            str(r["vcpus"]),
            f"{r['memory_gb']:g}",
            str(r["max_data_disks"]),
            _price(r["linux"]),
            _price(r["windows"]),
            _price(r["linux_1y"]),
            _price(r["linux_3y"]),
            Text(("subscription-restricted; " if r["restrictions"] else "") + (r["price_note"] or "")),
        )
    return table


def _price(v: float) -> str:
    return "unknown" if v != v else f"{v:.4f}"


@catalog_app.command("refresh")
def refresh_command(
    region: Annotated[str, typer.Option("--region", help="Azure region name, e.g. westeurope.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Catalog file to write (default: catalog-REGION.json.gz here)."),
    ] = None,
    subscription: Annotated[
        str | None,
        typer.Option(
            "--subscription",
            help="Also read size capabilities and restrictions with the Compute resource SKUs API.",
        ),
    ] = None,
) -> None:
    """Rebuild the catalog from the public Azure Retail Prices API (and the SKUs API when a subscription is
    given)."""
    from migrator.azure import arm
    from migrator.azure import refresh as live
    from migrator.azure.build_catalog import write

    try:
        credential = None
        if subscription:
            arm.azure_sdk("'migrator catalog refresh --subscription'")
            credential = arm.make_credential("default")
        doc = live.refresh(region, fetch=live.http_fetch, subscription=subscription, credential=credential)
    except MigratorError as exc:
        fail(str(exc))
    target = out or Path(f"catalog-{region}.json.gz")
    path = write(doc, target.parent if target.parent != Path("") else Path("."))
    if path.name != target.name:
        path.replace(target)
        path = target
    err_console().print(
        f"wrote {path}: {doc['stats']['sizes']} sizes, {doc['stats']['priced']} priced; "
        f'use it with [sizing] catalog = "{path}" and region = "{region}"',
        markup=False,
    )
    raise typer.Exit(EXIT_OK)
