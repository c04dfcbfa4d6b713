"""The Azure VM size catalog: a bundled snapshot per region, or a file from ``migrator catalog refresh``."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from migrator.errors import InputError

BUNDLED_REGIONS = ("eastus", "northeurope", "westeurope")
_SIZE = re.compile(r"^Standard_([A-Z]+)(\d+)(-\d+)?([a-z]*)(?:_([A-Za-z0-9]+))?(?:_(v\d+))?$")


def series_of(name: str) -> str:
    """Standard_D4s_v5 -> Dsv5, Standard_E20ads_v5 -> Eadsv5, Standard_F8s_v2 -> Fsv2; '' when not parsed."""
    m = _SIZE.match(name)
    if not m:
        return ""
    prefix, _, constrained, suffix, extra, version = m.groups()
    if version is None and extra and extra.startswith("v") and extra[1:].isdigit():
        version, extra = extra, None
    if constrained or extra:
        return ""  # constrained-core and accelerator variants are never chosen automatically
    return f"{prefix}{suffix}{version or ''}"


@dataclass(frozen=True)
class Catalog:
    region: str
    currency: str
    sizes: (
        pd.DataFrame
    )  # one row per size: name, series, vcpus, memory_gb, max_data_disks, premium_io, linux, windows, ...
    disks: pd.DataFrame  # type, tier, max_size_gib, iops, mbps, monthly_price
    snapshot: dict[str, Any]
    sources: tuple[str, ...]
    stats: dict[str, Any]
    disk_prices: str
    origin: str

    def info(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "currency": self.currency,
            "snapshot": self.snapshot,
            "sources": list(self.sources),
            "stats": self.stats,
            "disk_prices": self.disk_prices,
            "origin": self.origin,
        }


def _from_document(doc: dict[str, Any], origin: str) -> Catalog:
    sizes = pd.DataFrame(doc["sizes"])
    sizes["series"] = sizes["name"].map(series_of)
    for col in ("linux", "windows", "linux_1y", "linux_3y", "windows_1y", "windows_3y"):
        sizes[col] = pd.to_numeric(sizes[col], errors="coerce").astype(float)
    disks = pd.DataFrame(
        doc.get("disks") or [],
        columns=["type", "tier", "label", "max_size_gib", "iops", "mbps", "monthly_price"],
    )
    disks["monthly_price"] = pd.to_numeric(disks["monthly_price"], errors="coerce").astype(float)
    return Catalog(
        region=doc["region"],
        currency=doc.get("currency", "USD"),
        sizes=sizes,
        disks=disks,
        snapshot=doc.get("snapshot", {}),
        sources=tuple(doc.get("sources", ())),
        stats=doc.get("stats", {}),
        disk_prices=doc.get("disk_prices", ""),
        origin=origin,
    )


def read_catalog_file(path: str | Path) -> Catalog:
    p = Path(path)
    if not p.exists():
        raise InputError("catalog file not found", file=p)
    if p.is_dir():
        raise InputError(
            "catalog file is a folder", file=p, expected="a file from 'migrator catalog refresh'"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the catalog file: {exc.strerror or exc}", file=p) from None
    try:
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as exc:  # truncated: EOFError, damaged: zlib.error
        raise InputError(f"not a catalog file: damaged gzip ({exc})", file=p) from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not a catalog file: {_short(exc)}", file=p) from None
    if not isinstance(doc, dict) or "sizes" not in doc or "region" not in doc:
        raise InputError("not a catalog file (no 'sizes' or 'region')", file=p)
    try:
        return _from_document(doc, p.name)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"not a catalog file: {type(exc).__name__}: {exc}", file=p) from None


def _short(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


@lru_cache(maxsize=8)
def load_catalog(region: str, path: str = "") -> Catalog:
    """The catalog for a region: ``path`` when given, else the bundled snapshot."""
    if path:
        cat = read_catalog_file(path)
        if cat.region != region:
            raise InputError(f"catalog is for region '{cat.region}', not '{region}'", file=path)
        return cat
    if region not in BUNDLED_REGIONS:
        raise InputError(
            f"no bundled catalog for region '{region}'",
            expected=(
                f"one of {', '.join(BUNDLED_REGIONS)}, "
                f"or run 'migrator catalog refresh --region {region}' and set sizing.catalog"
            ),
        )
    data = resources.files("migrator").joinpath(f"data/catalog-{region}.json.gz").read_bytes()
    return _from_document(json.loads(gzip.decompress(data)), f"bundled snapshot ({region})")
