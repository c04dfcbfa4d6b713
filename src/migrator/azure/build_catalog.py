"""Build the bundled catalog snapshot from the shared data.

Run as ``python -m migrator.azure.build_catalog SHARED_DIR``. Inputs (see shared/data/README.md): ARM resource
SKUs per region, per-size retail prices, managed-disk tiers, raw Retail Prices API meters (westeurope,
northeurope) and 1/3-year reservation rates (Dsv5/Esv5, eastus and westeurope). The per-size price files have
verified defects: about 42 sizes per region carry the Windows price as their Linux price. Every price is
cross-checked against the raw meters where they exist; a Linux price equal to the Windows price that no meter
can confirm is dropped (unknown), never trusted. Output: ``src/migrator/data/catalog-REGION.json.gz``
(deterministic gzip) and the catalog notes in ``catalog-SOURCES.md``.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

REGIONS = {"westeurope": "vm-eu-west.json", "northeurope": "vm-northeurope.json", "eastus": None}
OUT = Path(__file__).resolve().parents[1] / "data"


def _raw_prices(path: Path | None) -> dict[str, dict[str, float]]:
    """size (without Standard_) -> {'linux': price, 'windows': price} from pay-as-you-go VM meters."""
    if path is None or not path.exists():
        return {}
    out: dict[str, dict[str, float]] = {}
    for meter in json.loads(path.read_text()).values():
        product, sku = meter["productName"], meter["skuName"]
        if "Cloud Services" in product or "CloudServices" in product or meter["unitOfMeasure"] != "1 Hour":
            continue
        if re.search(r"(Spot|Low Priority)$", sku) or re.search(r"(Spot|Low Priority)$", meter["meterName"]):
            continue
        if not product.startswith("Virtual Machines"):
            continue
        size = (
            sku.removeprefix("Standard_").replace(" ", "_")
            if sku.startswith("Standard_")
            else meter["meterName"].replace(" ", "_")
        )
        kind = "windows" if product.endswith("Windows") else "linux"
        out.setdefault(size, {})[kind] = float(meter["retailPrice"])
    return out


def build(shared: Path, region: str) -> dict[str, Any]:
    cat = shared / "azure-catalog"
    skus = json.loads((cat / f"{region}.json").read_text())
    prices = json.loads((cat / f"{region}-pricing-USD.json").read_text())
    disks_path = cat / f"{region}-disks.json"
    disks = json.loads(disks_path.read_text()) if disks_path.exists() else None
    raw_name = REGIONS[region]
    raw = _raw_prices(cat / "retail-prices-raw" / raw_name if raw_name else None)
    reserved_path = cat / "reserved" / f"prices_{region}.json"
    reserved = (
        json.loads(reserved_path.read_text())["currencies"]["USD"]["vm_prices"]
        if reserved_path.exists()
        else {}
    )
    stats = {
        "sizes": 0,
        "linux_fixed_from_meters": 0,
        "linux_dropped_unverified": 0,
        "windows_fixed_from_meters": 0,
        "no_price": 0,
        "subscription_restricted": 0,
    }
    sizes = [
        _size_row(s, prices["prices"], raw, reserved, stats)
        for s in sorted(skus["skus"], key=lambda x: x["name"])
    ]
    return {
        "region": region,
        "currency": "USD",
        "snapshot": {
            "skus": skus["lastUpdated"][:10],
            "prices": prices["lastUpdated"][:10],
            "retail_meters": "2026-08-22" if raw else None,
            "reservations": "2026-08-03" if reserved else None,
            "disks": disks["lastUpdated"][:10] if disks else None,
        },
        "sources": _sources(bool(raw), bool(reserved)),
        "stats": stats,
        "sizes": sizes,
        "disks": _disk_rows(disks) if disks else [],
        "disk_prices": (
            "unknown: no trustworthy managed-disk price source in the snapshot "
            "(refresh the catalog to price disks)"
        ),
    }


def _size_row(
    s: dict[str, Any],
    prices: dict[str, dict[str, Any]],
    raw: dict[str, dict[str, float]],
    reserved: dict[str, dict[str, Any]],
    stats: dict[str, int],
) -> dict[str, Any]:
    """One size of the catalog: its capabilities, its cross-checked prices and reservation rates."""
    short = s["name"].removeprefix("Standard_")
    linux, windows, note = _checked_prices(prices.get(short, {}), raw.get(short, {}), stats)
    if linux is None and windows is None:
        stats["no_price"] += 1
    r = reserved.get(s["name"], {})
    restricted = list(s.get("restrictions") or [])
    if restricted:
        stats["subscription_restricted"] += 1
    stats["sizes"] += 1
    return {
        "name": s["name"],
        "family": s["family"],
        "vcpus": int(s["vCPUs"]),
        "memory_gb": float(s["memoryGB"]),
        "max_data_disks": int(s.get("maxDataDisks") or 0),
        "premium_io": bool(s.get("premiumIO")),
        "hyperv_generations": s.get("hyperVGenerations", ""),
        "arch": s.get("cpuArchitecture", "x64"),
        "zones": sorted(s.get("zones") or []),
        "restrictions": sorted(set(restricted)),
        "linux": linux,
        "windows": windows,
        "linux_1y": r.get("linux_1yr"),
        "linux_3y": r.get("linux_3yr"),
        "windows_1y": r.get("windows_1yr"),
        "windows_3y": r.get("windows_3yr"),
        "price_note": "; ".join(note),
    }


def _checked_prices(
    p: dict[str, Any], meter: dict[str, float], stats: dict[str, int]
) -> tuple[float | None, float | None, list[str]]:
    """Linux and Windows prices of the price file, cross-checked against the retail meters, and notes."""
    linux, windows = p.get("linux"), p.get("windows")
    note = []
    if meter:
        if "linux" in meter and linux is not None and abs(meter["linux"] - linux) > 1e-9:
            note.append(
                f"linux price {linux} in the price file replaced by the retail meter {meter['linux']}"
            )
            linux = meter["linux"]
            stats["linux_fixed_from_meters"] += 1
        if "windows" in meter and windows is not None and abs(meter["windows"] - windows) > 1e-9:
            note.append(f"windows price {windows} replaced by the retail meter {meter['windows']}")
            windows = meter["windows"]
            stats["windows_fixed_from_meters"] += 1
        linux = meter.get("linux", linux) if linux is None else linux
        windows = meter.get("windows", windows) if windows is None else windows
    if linux is not None and windows is not None and abs(linux - windows) < 1e-12 and "linux" not in meter:
        note.append(
            "linux price equals the windows price and no retail meter confirms it: linux price unknown"
        )
        linux = None
        stats["linux_dropped_unverified"] += 1
    return linux, windows, note


def _disk_rows(disks: dict[str, Any]) -> list[dict[str, Any]]:
    """The managed-disk tiers, once per (type, tier), without prices."""
    rows = []
    seen = set()
    for d in disks["disks"]:
        key = (d["name"], d["size"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "type": d["name"],
                "tier": d["size"],
                "label": d.get("tierLabel", ""),
                "max_size_gib": int(d["maxSizeGiB"]),
                "iops": int(d.get("maxIOPS") or 0),
                "mbps": float(d.get("maxThroughputMBps") or 0),
                "monthly_price": None,
            }
        )
    return rows


def _sources(raw: bool, reserved: bool) -> list[str]:
    sources = [
        "ARM resource SKUs and per-size retail prices: "
        "DarrenJohns/djtools-azure-vm-sku-locator data/ @f31f817 (MIT)"
    ]
    if raw:
        sources.append(
            "Retail Prices API meters: andy-diericks/azure-pricing-radar data/latest/ @cf741f2 (MIT)"
        )
    if reserved:
        sources.append(
            "1/3-year reservation rates (Dsv5, Esv5 only): "
            "KimTholstorf/azure-rvtools-cost-estimator docs/prices/ @b4a0138 (MIT)"
        )
    return sources


def write(catalog: dict[str, Any], out_dir: Path = OUT) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"catalog-{catalog['region']}.json.gz"
    data = json.dumps(catalog, sort_keys=True, separators=(",", ":")).encode()
    with path.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    return path


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    shared = Path(args[0]) if args else Path(__file__).resolve().parents[4] / "shared" / "data"
    for region in REGIONS:
        cat = build(shared, region)
        print(write(cat), cat["stats"], file=sys.stderr)


if __name__ == "__main__":
    main()
