"""The plan table: one row per server with its move group, wave, dates and sizing (frames.PLAN_TABLE).

``waves.csv`` is this table; plan.json's ``servers`` are built from it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from migrator.footprint import NEVER
from migrator.groups import MoveGroups
from migrator.schedule import WavePlan
from migrator.shared_services import Scope

SHARED_SERVICES_GROUP = "shared-services"  # the move_group of a shared service


def server_table(
    servers: pd.DataFrame,
    klass: pd.Series,
    moves: MoveGroups,
    waves: WavePlan,
    leave: np.ndarray,
    scope: Scope,
    sizing: pd.DataFrame | None,
) -> pd.DataFrame:
    sg, groups = moves.server_group, moves.groups
    ids = groups["id"].to_numpy() if len(groups) else np.array([], dtype=object)
    group_id = np.where(sg >= 0, ids[np.maximum(sg, 0)] if len(ids) else "", "")
    group_id = np.where(scope.shared, SHARED_SERVICES_GROUP, group_id)
    wave = waves.server_wave
    table = pd.DataFrame(
        {
            "server": servers["name"].to_numpy(),
            "application": servers["application"].to_numpy(),
            "environment": servers["environment"].to_numpy(),
            "move_group": group_id,
            "wave": pd.array(wave, dtype="Float64").astype("Int64"),
            "wave_start": _days(waves.starts, wave),
            "wave_end": _days(waves.ends, wave),
            "disposition": servers["disposition"].to_numpy(),
            "decommission_date": np.where(leave >= NEVER, "", leave.astype(str)),
            "criticality": servers["criticality"].to_numpy(),
            "host": servers["host"].to_numpy(),
            "cluster": servers["cluster"].to_numpy(),
            "cores": servers["cores"].to_numpy(),
            "memory_gb": servers["memory_gb"].to_numpy(),
            "storage_gb": servers["storage_gb"].to_numpy(),
            "class": klass.to_numpy(),
            "shared_service": scope.shared,
        }
    )
    if sizing is not None:
        for col in sizing.columns:
            table[col] = sizing[col].array
    return table.sort_values(
        ["wave", "move_group", "server"], na_position="last", kind="mergesort"
    ).reset_index(drop=True)


def _days(days: np.ndarray, wave: np.ndarray) -> np.ndarray:
    """The day of each server's wave as ISO text, '' when it has no wave."""
    out = np.full(len(wave), "", dtype=object)
    ok = np.isfinite(wave)
    if ok.any():
        out[ok] = days[wave[ok].astype(int) - 1].astype(str)
    return out
