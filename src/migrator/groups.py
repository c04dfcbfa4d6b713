"""Move groups: servers that must move together.

A move group starts as one application instance (an application in one environment, condition 2 with 5) and
absorbs servers tied to it by strong two-way dependencies (condition 1), across applications. Shared-service
hubs, retired and retained servers are not in move groups. Pins (an architect's wave choice) may split a group;
a group larger than a wave's capacity is split along its weakest dependencies (:mod:`migrator.partition`) and
the split is reported with what it cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.fastpaths import components
from migrator.partition import partition
from migrator.settings import CapacitySettings, PlanningSettings

CRIT_RANK = {"": 1, "low": 0, "medium": 1, "high": 2, "critical": 3}
COMPLEXITY_RANK = {"": -1, "low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class MoveGroups:
    """``server_group``: group number per server (-1 when the server is in no group); ``groups``: one row per group."""

    server_group: np.ndarray
    groups: pd.DataFrame


def capacity_load(frame: pd.DataFrame, cap: CapacitySettings) -> np.ndarray:
    """Load of each row as fractions of a wave's capacity (servers, vCPU, storage)."""
    servers = frame["servers_count"].to_numpy(float) if "servers_count" in frame else np.ones(len(frame))
    return np.column_stack(
        [
            servers / cap.max_servers,
            frame["cores"].to_numpy(float) / cap.max_vcpus,
            frame["storage_gb"].to_numpy(float) / cap.max_storage_gb,
        ]
    )


def env_class(environment: pd.Series, planning: PlanningSettings) -> pd.Series:
    nonprod = environment.isin(set(planning.nonprod_environments))
    return pd.Series(np.where(nonprod, "nonprod", "prod"), index=environment.index, dtype=object)


def instance_key(servers: pd.DataFrame, planning: PlanningSettings) -> pd.Series:
    """Application instance per server: application + environment (or the server alone when no application)."""
    app = servers["application"]
    env = servers["environment"].where(servers["environment"].ne(""), "unspecified")
    key = app + " (" + env + ")" if planning.group_by_environment else app.copy()
    return key.where(app.ne(""), servers["name"]).astype(object)


def build_groups(
    servers: pd.DataFrame,
    edges: pd.DataFrame,
    in_scope: np.ndarray,
    pins: pd.Series,
    planning: PlanningSettings,
    cap: CapacitySettings,
) -> MoveGroups:
    n = len(servers)
    idx = np.flatnonzero(in_scope)
    key = instance_key(servers, planning)
    codes, uniques = pd.factorize(key.to_numpy()[idx], sort=True)
    n_keys = len(uniques)
    pos = np.full(n, -1, dtype=np.int64)
    pos[idx] = np.arange(len(idx))

    # Strong two-way dependencies between in-scope servers (condition 1).
    e = edges[(pos[edges["src"].to_numpy()] >= 0) & (pos[edges["dst"].to_numpy()] >= 0)]
    e = e[e["weight"].to_numpy() > planning.two_way_min_weight]
    fwd = pd.MultiIndex.from_arrays([e["src"].to_numpy(), e["dst"].to_numpy()])
    rev = pd.MultiIndex.from_arrays([e["dst"].to_numpy(), e["src"].to_numpy()])
    two_way = e[fwd.isin(rev) & (e["src"].to_numpy() < e["dst"].to_numpy())]

    m = len(idx)
    rows = np.concatenate([np.arange(m), pos[two_way["src"].to_numpy()]])
    cols = np.concatenate([m + codes, pos[two_way["dst"].to_numpy()]])
    comp = components(m + n_keys, rows, cols)[:m]

    # Pins: one pin in a component moves the whole component; several pins split it (unpinned follow the earliest).
    pin = pins.to_numpy(dtype="float64", na_value=np.nan)[idx]
    frame = pd.DataFrame({"comp": comp, "pin": pin})
    pin_min = frame.groupby("comp")["pin"].transform("min").to_numpy()
    pin_eff = np.where(np.isnan(pin), pin_min, pin)
    sub = pd.DataFrame({"comp": comp, "pin": np.nan_to_num(pin_eff, nan=-1)})
    group_of, _ = pd.factorize(pd.MultiIndex.from_frame(sub), sort=True)
    pin_split = pd.Series(group_of).groupby(comp).nunique().to_numpy()[comp] > 1

    local = servers.iloc[idx]
    base = pd.DataFrame(
        {
            "group": group_of,
            "key": key.to_numpy()[idx],
            "klass": env_class(local["environment"], planning).to_numpy(),
            "environment": local["environment"].to_numpy(),
            "application": local["application"].to_numpy(),
            "cores": local["cores"].to_numpy(),
            "memory_gb": local["memory_gb"].to_numpy(),
            "storage_gb": local["storage_gb"].to_numpy(),
            "crit": local["criticality"].map(CRIT_RANK).to_numpy(),
            "cplx": local["complexity"].map(COMPLEXITY_RANK).to_numpy(),
            "pin": pin_eff,
            "pin_split": pin_split,
            "server": idx,
            "name": local["name"].to_numpy(),
        }
    )

    # Split groups that exceed a wave's capacity along their weakest dependencies.
    split_info: dict[int, tuple[str, int, int, float, int]] = {}
    loads = base.groupby("group")[["cores", "storage_gb"]].sum()
    loads["servers_count"] = base.groupby("group").size()
    over = loads.index[(capacity_load(loads, cap) > 1 + 1e-9).any(axis=1)]
    if len(over):
        new_group = base["group"].to_numpy().copy()
        next_id = int(new_group.max()) + 1
        internal = pd.DataFrame(
            {"u": pos[e["src"].to_numpy()], "v": pos[e["dst"].to_numpy()], "w": e["weight"].to_numpy()}
        )
        internal["gu"] = base["group"].to_numpy()[internal["u"].to_numpy()]
        internal["gv"] = base["group"].to_numpy()[internal["v"].to_numpy()]
        internal = internal[internal["gu"] == internal["gv"]]
        # Cutting a strong two-way dependency breaks condition 1, which outranks condition 2: make it costly.
        tw = pd.MultiIndex.from_arrays([pos[two_way["src"].to_numpy()], pos[two_way["dst"].to_numpy()]])
        pair = pd.MultiIndex.from_arrays(
            [np.minimum(internal["u"], internal["v"]), np.maximum(internal["u"], internal["v"])]
        )
        internal.loc[pair.isin(tw), "w"] = internal.loc[pair.isin(tw), "w"] * 1000.0
        by_group = dict(tuple(internal.groupby("gu")))
        members = base.groupby("group").indices
        for g in sorted(int(x) for x in over):
            rows_g = members[g]
            local_pos = np.full(m, -1, dtype=np.int64)
            local_pos[rows_g] = np.arange(len(rows_g))
            ed = by_group.get(g)
            uu = local_pos[ed["u"].to_numpy()] if ed is not None else np.zeros(0, dtype=np.int64)
            vv = local_pos[ed["v"].to_numpy()] if ed is not None else np.zeros(0, dtype=np.int64)
            ww = ed["w"].to_numpy(float) if ed is not None else np.zeros(0)
            sub_frame = base.iloc[rows_g].assign(servers_count=1)
            part = partition(len(rows_g), uu, vv, ww, capacity_load(sub_frame, cap))
            label = _label(base.iloc[rows_g])
            for p in range(part.k):
                gid = g if p == 0 else next_id + p - 1
                new_group[rows_g[part.parts == p]] = gid
                split_info[gid] = (label, p + 1, part.k, part.cut_weight, part.cut_edges)
            next_id += part.k - 1
        base["group"] = new_group

    groups = _summarise(base, edges, pos, planning)
    # Stable numbering: by name, then first server name.
    groups = groups.sort_values(["name", "first_server"], kind="mergesort").reset_index(drop=True)
    renumber = np.empty(int(groups["group"].max()) + 1 if len(groups) else 0, dtype=np.int64)
    renumber[groups["group"].to_numpy()] = np.arange(len(groups))
    groups["id"] = [f"MG-{i + 1:04d}" for i in range(len(groups))]
    split_rows = [split_info.get(int(g)) for g in groups["group"]]
    groups["split_from"] = [s[0] if s else "" for s in split_rows]
    groups["split_part"] = [s[1] if s else 0 for s in split_rows]
    groups["split_of"] = [s[2] if s else 0 for s in split_rows]
    groups["split_cut_weight"] = [s[3] if s else 0.0 for s in split_rows]
    groups["split_cut_edges"] = [s[4] if s else 0 for s in split_rows]
    groups = groups.drop(columns=["group"])
    server_group = np.full(n, -1, dtype=np.int64)
    server_group[idx] = renumber[base["group"].to_numpy()]
    return MoveGroups(server_group=server_group, groups=groups)


def _label(frame: pd.DataFrame) -> str:
    """The largest application instance of a group (ties by name), plus how many others are coupled to it."""
    keys = frame.groupby("key").size().sort_index().sort_values(ascending=False, kind="mergesort")
    first = str(keys.index[0])
    return first if len(keys) == 1 else f"{first} + {len(keys) - 1} coupled"


def _summarise(
    base: pd.DataFrame, edges: pd.DataFrame, pos: np.ndarray, planning: PlanningSettings
) -> pd.DataFrame:
    ordered = base.sort_values(["group", "key", "name"], kind="mergesort")
    g = ordered.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "servers_count": g.size(),
            "cores": g["cores"].sum(),
            "memory_gb": g["memory_gb"].sum(),
            "storage_gb": g["storage_gb"].sum(),
            "crit": g["crit"].max(),
            "cplx": g["cplx"].max(),
            "pin": g["pin"].min(),
            "pin_split": g["pin_split"].any(),
            "first_server": g["name"].min(),
        }
    )
    is_prod = ordered["klass"].eq("prod").groupby(ordered["group"]).max()
    out["klass"] = np.where(is_prod.reindex(out.index).to_numpy(), "prod", "nonprod")
    out["mixed_class"] = g["klass"].nunique() > 1
    key_sizes = ordered.groupby(["group", "key"]).size().reset_index(name="c")
    key_sizes = key_sizes.sort_values(["group", "c", "key"], ascending=[True, False, True], kind="mergesort")
    top = key_sizes.drop_duplicates("group").set_index("group")["key"]
    nkeys = key_sizes.groupby("group").size()
    out["name"] = [
        t if k == 1 else f"{t} + {k - 1} coupled"
        for t, k in zip(top.reindex(out.index), nkeys.reindex(out.index), strict=True)
    ]
    for col, label in (("application", "applications"), ("environment", "environments")):
        distinct = (
            ordered.loc[ordered[col].ne(""), ["group", col]]
            .drop_duplicates()
            .sort_values(["group", col], kind="mergesort")
        )
        out[label] = distinct.groupby("group")[col].agg(list).reindex(out.index)
        out[label] = [v if isinstance(v, list) else [] for v in out[label]]
    # Partners: other groups this group depends on or is depended on by.
    grp = np.full(len(pos), -1, dtype=np.int64)
    grp[base["server"].to_numpy()] = base["group"].to_numpy()
    gs, gd = grp[edges["src"].to_numpy()], grp[edges["dst"].to_numpy()]
    both = (gs >= 0) & (gd >= 0) & (gs != gd)
    pairs = pd.DataFrame(
        {"a": np.concatenate([gs[both], gd[both]]), "b": np.concatenate([gd[both], gs[both]])}
    ).drop_duplicates()
    partners = pairs.groupby("a").size()
    out["partners"] = partners.reindex(out.index, fill_value=0).to_numpy()
    derived = np.where(
        (out["servers_count"] >= planning.complexity_servers)
        | (out["partners"] >= planning.complexity_partners),
        2,
        np.where(
            (out["servers_count"] * 2 >= planning.complexity_servers)
            | (out["partners"] * 2 >= planning.complexity_partners),
            1,
            0,
        ),
    )
    out["complexity"] = np.where(out["cplx"] >= 0, out["cplx"], derived)
    out["complexity_source"] = np.where(out["cplx"] >= 0, "inventory", "derived")
    out = out.drop(columns=["cplx"])
    out.index.name = "group"
    return out.reset_index()
