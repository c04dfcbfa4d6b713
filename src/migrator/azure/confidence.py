"""What each server was sized on, and Azure Migrate's confidence rating of the sizing data.

Azure Migrate rates a performance-based Azure VM assessment 1 to 5 stars by the share of the data points it
needs that it has: CPU and memory utilisation, disk IOPS and throughput, network in/out. An inventory holds
one percentile per counter, not time series, so here a counter present counts as its data point available
in full. Migrator counts four points per server (CPU, memory, disk IOPS, disk throughput): it never sizes on
network traffic and no inventory format it reads carries it, so counting it would cap every plan at 4 stars.
The rating of a wave or of the plan pools its migrating servers' data points, as Azure Migrate pools the
machines of an assessment. As Azure Migrate, no rating for as-on-premises sizing: it uses no utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Azure Migrate's bands: (lowest, highest) whole percent of data points available -> stars.
# Read 2026-11-24 at https://learn.microsoft.com/en-us/azure/migrate/concepts-assessment-calculation
# ("Confidence ratings (performance-based)"; the same table in "Troubleshoot assessment").
CONFIDENCE_BANDS: tuple[tuple[int, int, int], ...] = (
    (0, 20, 1),
    (21, 40, 2),
    (41, 60, 3),
    (61, 80, 4),
    (81, 100, 5),
)
CONFIDENCE_SOURCE = "https://learn.microsoft.com/en-us/azure/migrate/concepts-assessment-calculation"

DATA_POINTS = ("cpu_util_pct", "memory_util_pct", "iops", "throughput_mbps")
"""The inventory columns that are Azure Migrate's data points for one server, one point each."""

CONFIDENCE_COLUMNS = ("sized_on_cpu_memory", "sized_on_disks", "sizing_data_available", "confidence_stars")
"""Per-server columns :func:`server_confidence` adds to the sizing table (null for a server not migrating)."""


def whole_percent(share: np.ndarray | pd.Series | float) -> np.ndarray:
    """A share (0-1) in whole percent, halves up: the percent the stars are read from and PLAN.md shows."""
    return np.floor(np.clip(np.asarray(share, dtype=float), 0.0, 1.0) * 100.0 + 0.5 + 1e-9)


def stars(available: np.ndarray | pd.Series | float) -> np.ndarray:
    """Stars for shares (0-1) of data points available; the share is taken in whole percent first, as the
    bands are written (20% is 1 star, 21% is 2), and NaN gives 0 (no rating)."""
    share = np.asarray(available, dtype=float)
    pct = whole_percent(share)
    highs = np.array([high for _, high, _ in CONFIDENCE_BANDS], dtype=float)
    rating = np.array([s for _, _, s in CONFIDENCE_BANDS], dtype=np.int64)
    out = rating[np.minimum(np.searchsorted(highs, np.nan_to_num(pct), side="left"), len(highs) - 1)]
    return np.where(np.isnan(share), 0, out)


def server_confidence(servers: pd.DataFrame, basis: str, moving: np.ndarray) -> pd.DataFrame:
    """Per server: what CPU/memory and disks were sized on, the share of its data points the inventory has,
    and their stars (null when not migrating; stars null for as-on-premises sizing)."""
    known = servers[list(DATA_POINTS)].notna().to_numpy()
    cpu, mem, iops, mbps = known.T
    perf = basis == "performance"
    cpu_memory = np.where(
        perf & cpu & mem, "utilisation", np.where(perf & (cpu | mem), "partial", "allocation")
    )
    disks = np.where(iops | mbps, "performance", "size")
    share = known.mean(axis=1) if len(servers) else np.zeros(0)
    none = np.array(None, dtype=object)
    stars_or_na = np.where(moving & perf, stars(share).astype(object), none)
    return pd.DataFrame(
        {
            "sized_on_cpu_memory": pd.Series(np.where(moving, cpu_memory, none), servers.index, object),
            "sized_on_disks": pd.Series(np.where(moving, disks, none), servers.index, object),
            "sizing_data_available": np.where(moving, share, np.nan),
            "confidence_stars": pd.array(stars_or_na, dtype="Int64"),
        },
        index=servers.index,
    )


@dataclass(frozen=True)
class Rating:
    """A set of servers' confidence rating: how many were sized, the shares of them whose CPU and memory were
    sized on measured utilisation and whose disks on measured IOPS or throughput, the share of data points
    available, and the stars (None for as-on-premises)."""

    servers: int
    sized_on_utilisation: float
    disks_on_performance: float
    data_available: float
    stars: int | None


def rating(rows: pd.DataFrame) -> Rating | None:
    """The pooled rating of the sized servers among ``rows`` (columns of :data:`CONFIDENCE_COLUMNS`); None
    when none of them was sized. On arrays: called once per wave (thousands at enterprise scale)."""
    if "sized_on_cpu_memory" not in rows.columns:
        return None
    cpu_memory = rows["sized_on_cpu_memory"].to_numpy()
    sized = ~pd.isna(cpu_memory)
    n = int(sized.sum())
    if n == 0:
        return None
    available = float(rows["sizing_data_available"].to_numpy(dtype=float)[sized].mean())
    disks = rows["sized_on_disks"].to_numpy()[sized]
    rated = ~np.isnan(rows["confidence_stars"].to_numpy(dtype=float, na_value=np.nan)[sized])
    return Rating(
        servers=n,
        sized_on_utilisation=round(float(np.mean(cpu_memory[sized] == "utilisation")), 4),
        disks_on_performance=round(float(np.mean(disks == "performance")), 4),
        data_available=round(available, 4),
        stars=int(stars(available)) if rated.any() else None,
    )


def ratings_by(rows: pd.DataFrame, key: str) -> dict[int, Rating]:
    """:func:`rating` of every group of ``rows`` by the integer column ``key`` (rows without one left out),
    in one group-by instead of one call per wave; groups without a sized server are left out."""
    if "sized_on_cpu_memory" not in rows.columns or not len(rows):
        return {}
    cpu_memory = rows["sized_on_cpu_memory"].to_numpy()
    sized = ~pd.isna(cpu_memory)
    frame = pd.DataFrame(
        {
            "key": rows[key].to_numpy(),
            "n": sized.astype(np.int64),
            "available": np.where(sized, rows["sizing_data_available"].to_numpy(dtype=float), 0.0),
            "utilisation": (sized & (cpu_memory == "utilisation")).astype(np.int64),
            "performance": (sized & (rows["sized_on_disks"].to_numpy() == "performance")).astype(np.int64),
            "rated": sized & ~np.isnan(rows["confidence_stars"].to_numpy(dtype=float, na_value=np.nan)),
        }
    )
    per = frame.groupby("key", sort=True).sum()
    per = per[per["n"] > 0]
    available = per["available"].to_numpy() / per["n"].to_numpy()
    return {
        int(k): Rating(
            servers=int(n),
            sized_on_utilisation=round(float(u / n), 4),
            disks_on_performance=round(float(p / n), 4),
            data_available=round(float(a), 4),
            stars=int(stars(a)) if r else None,
        )
        for k, n, u, p, a, r in zip(
            per.index, per["n"], per["utilisation"], per["performance"], available, per["rated"], strict=True
        )
    }


def star_text(n: int | None) -> str:
    """Five stars, ``n`` of them filled ("★★★☆☆"); "n/a" without a rating."""
    return "n/a" if n is None else "★" * n + "☆" * (5 - n)
