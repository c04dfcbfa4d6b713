"""Rebuild the catalog from live sources: ``migrator catalog refresh --region REGION``.

Prices come from the public Azure Retail Prices API over plain HTTPS (no login, no Azure SDK; pages follow
``NextPageLink``): pay-as-you-go VM meters (Linux and Windows told apart by the product name), 1- and 3-year
reservations (the term price divided by its hours) and managed-disk tiers (monthly prices). Size capabilities
come from the Compute resource SKUs API through azure-mgmt-compute (the ``migrator[azure]`` extra) when a
subscription is given; otherwise from the bundled snapshots (capabilities do not vary by region), keeping only
sizes that have a price meter in the region.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pandas as pd

from migrator.azure.arm import azure_sdk
from migrator.azure.catalog import BUNDLED_REGIONS, load_catalog
from migrator.errors import MigratorError

RETAIL_API = "https://prices.azure.com/api/retail/prices"
Fetch = Callable[[str], dict[str, Any]]
MAX_PAGES = 2000


class RefreshError(MigratorError):
    pass


def http_fetch(url: str, timeout: float = 60.0) -> dict[str, Any]:
    req = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "migrator"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - https URL built above
            return json.loads(resp.read())
    except Exception as exc:  # network errors become one clear line
        raise RefreshError(f"cannot read {url.split('?')[0]}: {exc}") from None


def retail_items(region: str, filter_extra: str, fetch: Fetch, currency: str = "USD") -> list[dict[str, Any]]:
    flt = f"armRegionName eq '{region}' and {filter_extra}"
    url = f"{RETAIL_API}?currencyCode='{currency}'&$filter={urllib.parse.quote(flt)}"
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = fetch(url)
        items.extend(page.get("Items", []))
        url = page.get("NextPageLink") or ""
        if not url:
            return items
    raise RefreshError(f"the Retail Prices API returned more than {MAX_PAGES} pages")


def _size_name(item: dict[str, Any]) -> str:
    arm = item.get("armSkuName") or ""
    if arm:
        return arm if arm.startswith("Standard_") else "Standard_" + arm
    return "Standard_" + str(item.get("skuName", "")).replace(" ", "_")


def vm_prices(items: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """size -> linux/windows pay-as-you-go and reservation hourly rates."""
    out: dict[str, dict[str, float]] = {}
    for it in items:
        product, sku, meter = it.get("productName", ""), it.get("skuName", ""), it.get("meterName", "")
        if (
            "Cloud Services" in product
            or re.search(r"(Spot|Low Priority)$", sku)
            or re.search(r"(Spot|Low Priority)$", meter)
        ):
            continue
        os_kind = "windows" if product.endswith("Windows") else "linux"
        size = _size_name(it)
        price = float(it.get("retailPrice", it.get("unitPrice", 0.0)))
        kind = it.get("type", "Consumption")
        if kind == "Consumption" and it.get("unitOfMeasure") == "1 Hour":
            out.setdefault(size, {})[os_kind] = price
        elif kind == "Reservation":
            term = it.get("reservationTerm", "")
            hours = 8760.0 if term.startswith("1") else 26280.0 if term.startswith("3") else 0.0
            if hours:
                # Reservation meters are compute only; Windows adds its licence at the pay-as-you-go
                # difference later.
                out.setdefault(size, {})["linux_" + ("1y" if hours == 8760.0 else "3y")] = price / hours
    for p in out.values():
        for term in ("1y", "3y"):
            if f"linux_{term}" in p and "windows" in p and "linux" in p:
                p[f"windows_{term}"] = p[f"linux_{term}"] + (p["windows"] - p["linux"])
    return out


_DISK = re.compile(r"^(P|E|S)(\d+) (LRS|ZRS) Disk$")
_DISK_TYPES = {"P": "Premium_LRS", "E": "StandardSSD_LRS", "S": "Standard_LRS"}


def disk_prices(items: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for it in items:
        m = _DISK.match(it.get("meterName", ""))
        if not m or m.group(3) != "LRS" or "Month" not in it.get("unitOfMeasure", ""):
            continue
        out[(_DISK_TYPES[m.group(1)], f"{m.group(1)}{m.group(2)}")] = float(it.get("retailPrice", 0.0))
    return out


def sku_capabilities(
    region: str, subscription: str, credential: Any, **client_kwargs: Any
) -> list[dict[str, Any]]:
    """Resource SKUs of the region through the real ComputeManagementClient (lazily imported)."""
    compute = azure_sdk("'migrator catalog refresh --subscription'").compute
    client = compute.ComputeManagementClient(credential, subscription, **client_kwargs)
    return [
        _capabilities(sku)
        for sku in client.resource_skus.list(filter=f"location eq '{region}'")
        if sku.resource_type == "virtualMachines"
    ]


def _capabilities(sku: Any) -> dict[str, Any]:
    """One size of the resource SKUs API in the catalog's shape."""
    caps = {c.name: c.value for c in (sku.capabilities or [])}
    zones = sorted({z for li in (sku.location_info or []) for z in (li.zones or [])})
    restrictions = sorted(
        {
            str(getattr(r.reason_code, "value", r.reason_code))
            for r in (sku.restrictions or [])
            if r.reason_code
        }
    )
    regional = any(
        getattr(r.type, "value", r.type) == "Location"
        and getattr(r.reason_code, "value", r.reason_code) != "NotAvailableForSubscription"
        for r in (sku.restrictions or [])
    )
    return {
        "name": sku.name,
        "family": sku.family or "",
        "vcpus": int(float(caps.get("vCPUs") or 0)),
        "memory_gb": float(caps.get("MemoryGB") or 0),
        "max_data_disks": int(float(caps.get("MaxDataDiskCount") or 0)),
        "premium_io": caps.get("PremiumIO", "False") == "True",
        "hyperv_generations": caps.get("HyperVGenerations", ""),
        "arch": caps.get("CpuArchitectureType", "x64"),
        "zones": zones,
        "restrictions": restrictions,
        "regional_restriction": regional,
    }


_CAPABILITY_KEYS = (
    "name",
    "family",
    "vcpus",
    "memory_gb",
    "max_data_disks",
    "premium_io",
    "hyperv_generations",
    "arch",
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a table as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _bundled_capabilities() -> dict[str, dict[str, Any]]:
    caps: dict[str, dict[str, Any]] = {}
    for region in BUNDLED_REGIONS:
        for row in _records(load_catalog(region).sizes):
            caps.setdefault(
                row["name"], {k: row[k] for k in _CAPABILITY_KEYS} | {"zones": [], "restrictions": []}
            )
    return caps


def refresh(
    region: str,
    fetch: Fetch = http_fetch,
    subscription: str | None = None,
    credential: Any = None,
    today: dt.date | None = None,
    **client_kwargs: Any,
) -> dict[str, Any]:
    """A catalog document for ``region`` (the same shape as the bundled snapshots)."""
    today = today or dt.date.today()
    vm_items = retail_items(region, "serviceName eq 'Virtual Machines'", fetch)
    if not vm_items:
        raise RefreshError(
            f"the Retail Prices API has no Virtual Machines prices for region '{region}' (is the name right?)"
        )
    prices = vm_prices(vm_items)
    disk_items = retail_items(
        region, "serviceName eq 'Storage' and contains(productName, 'Managed Disks')", fetch
    )
    if subscription:
        sizes = sku_capabilities(region, subscription, credential, **client_kwargs)
        cap_source = f"Compute resource SKUs API, subscription {subscription[:8]}..., {today.isoformat()}"
    else:
        caps = _bundled_capabilities()
        sizes = [caps[name] for name in sorted(prices) if name in caps]
        cap_source = (
            "capabilities from the bundled snapshots (no subscription given); "
            "sizes limited to those priced in the region"
        )
    rows = _size_rows(sizes, prices)
    disks = _disk_tiers(disk_prices(disk_items))
    day = today.isoformat()
    return {
        "region": region,
        "currency": "USD",
        "snapshot": {
            "prices": day,
            "skus": day,
            "retail_meters": day,
            "reservations": day,
            "disks": day if disks else None,
        },
        "sources": [
            f"Azure Retail Prices API ({len(vm_items)} VM meters, {len(disk_items)} storage meters), {day}",
            cap_source,
        ],
        "stats": {
            "sizes": len(rows),
            "priced": sum(1 for r in rows if r["linux"] is not None or r["windows"] is not None),
        },
        "sizes": rows,
        "disks": disks,
        "disk_prices": "from the Retail Prices API" if disks else "unknown: no managed-disk meters returned",
    }


def _size_rows(sizes: list[dict[str, Any]], prices: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """The catalog's size rows: capabilities and the region's prices, by name."""
    rows = []
    for s in sorted(sizes, key=lambda x: x["name"]):
        p = prices.get(s["name"], {})
        linux, windows = p.get("linux"), p.get("windows")
        rows.append(
            {
                **s,
                "linux": linux,
                "windows": windows,
                "linux_1y": p.get("linux_1y"),
                "linux_3y": p.get("linux_3y"),
                "windows_1y": p.get("windows_1y"),
                "windows_3y": p.get("windows_3y"),
                "price_note": ""
                if linux is not None or windows is not None
                else "no pay-as-you-go meter in the region",
            }
        )
    return rows


def _disk_tiers(prices: dict[tuple[str, str], float]) -> list[dict[str, Any]]:
    """The managed-disk tiers with the region's monthly prices (None when not priced)."""
    base = load_catalog("westeurope").disks  # tier sizes and limits are the same in every region
    return [{**row, "monthly_price": prices.get((row["type"], row["tier"]))} for row in _records(base)]
