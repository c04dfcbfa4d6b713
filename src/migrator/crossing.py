"""Stage: dependencies that cross waves.

A dependency between two migrating servers in different waves is *temporary* hybrid traffic (between Azure
and the data center until the second side moves); one between a migrating server and one that stays is
*permanent*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.footprint import NEVER
from migrator.frames import CROSSING
from migrator.graph import DependencyGraph
from migrator.schedule import WavePlan
from migrator.shared_services import Scope


@dataclass(frozen=True)
class Crossing:
    pairs: pd.DataFrame  # frames.CROSSING: one row per server pair, temporary first, busiest first
    has_cross: np.ndarray  # per server: one of its dependencies crosses waves


def cross_wave_dependencies(
    servers: pd.DataFrame, graph: DependencyGraph, scope: Scope, waves: WavePlan
) -> Crossing:
    edges, planned, stays = graph.edges, scope.planned, scope.stays
    s, d = edges["src"].to_numpy(), edges["dst"].to_numpy()
    temporary = planned[s] & planned[d] & (waves.server_wave[s] != waves.server_wave[d])
    keep = temporary | (planned[s] & stays[d]) | (stays[s] & planned[d])
    has_cross = np.zeros(len(servers), dtype=bool)
    has_cross[s[keep]] = True
    has_cross[d[keep]] = True
    return Crossing(pairs=_pairs(servers, graph, waves, temporary, keep), has_cross=has_cross)


def _pairs(
    servers: pd.DataFrame, graph: DependencyGraph, waves: WavePlan, temporary: np.ndarray, keep: np.ndarray
) -> pd.DataFrame:
    edges = graph.edges
    ws = waves.server_wave[edges["src"].to_numpy()]
    wd = waves.server_wave[edges["dst"].to_numpy()]
    if not keep.any():
        return pd.DataFrame(columns=list(CROSSING.columns))
    sel = edges[keep].copy()
    kind = np.where(temporary[keep], "temporary", "permanent")
    ports = graph.ports.merge(sel[["src", "dst"]], on=["src", "dst"])
    ports = ports.dropna(subset=["port"]).sort_values(["src", "dst", "port"], kind="mergesort")
    sw, dw = ws[keep], wd[keep]
    days = np.abs((_wave_end(waves, sw) - _wave_end(waves, dw)).astype("timedelta64[D]").astype(np.int64))
    names = servers["name"].to_numpy()
    out = pd.DataFrame(
        {
            "source": names[sel["src"].to_numpy()],
            "target": names[sel["dst"].to_numpy()],
            "source_wave": pd.array(sw, dtype="Float64").astype("Int64"),
            "target_wave": pd.array(dw, dtype="Float64").astype("Int64"),
            "ports": ports_by_pair(sel, ports),
            "connections": sel["weight"].to_numpy(float),
            "hybrid_days": np.where(kind == "temporary", days, -1),
            "kind": kind,
        }
    )
    return out.sort_values(
        ["kind", "connections", "source", "target"], ascending=[False, False, True, True], kind="mergesort"
    ).reset_index(drop=True)


def _wave_end(waves: WavePlan, wave: np.ndarray) -> np.ndarray:
    """The end of each wave; for a server that stays (NaN), a date far in the future."""
    ends = waves.ends
    return np.where(np.isfinite(wave), ends[np.nan_to_num(wave, nan=1).astype(int) - 1], NEVER)


def ports_by_pair(pairs: pd.DataFrame, ports: pd.DataFrame) -> list[list[int]]:
    """The sorted port list of each (src, dst) row of ``pairs``; ``ports`` sorted by src, dst, port.

    One pass over arrays instead of a Python call per group (``tests/reference.py`` has the plain version).
    """
    key_sel = pairs["src"].to_numpy(np.int64) * (1 << 32) + pairs["dst"].to_numpy(np.int64)
    key_p = ports["src"].to_numpy(np.int64) * (1 << 32) + ports["dst"].to_numpy(np.int64)
    values = ports["port"].to_numpy(dtype=np.int64).tolist()
    # Each pair's ports are one run of the sorted keys: its bounds found by binary search, the run sliced
    # out of one Python list.
    starts = np.searchsorted(key_p, key_sel, side="left").tolist()
    ends = np.searchsorted(key_p, key_sel, side="right").tolist()
    return [values[a:b] for a, b in zip(starts, ends, strict=True)]
