"""Move groups: servers that must move together.

A move group starts as one application instance (an application in one environment, condition 2 with 5)
and absorbs servers tied to it by strong two-way dependencies (condition 1), across applications.
Shared-service hubs, retired and retained servers are not in move groups. Pins (an architect's wave choice)
may split a group; a group larger than a wave's capacity is split along its weakest dependencies
(:mod:`migrator.partition`) and the split is reported with what it cut. A group is named after its largest
application instance: "erp (prod)", or "erp (prod) + 2 coupled" when two other instances joined it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.fastpaths import components, lowest_text, pair_codes
from migrator.partition import partition
from migrator.schema import COMPLEXITY_LEVELS, CRITICALITY_LEVELS
from migrator.settings import CapacitySettings, PlanningSettings

# Ranks in the order schema lists the levels; an empty criticality counts as medium, an empty complexity is
# unknown (-1: derived from the group's size and dependencies).
CRIT_RANK = {"": CRITICALITY_LEVELS.index("medium"), **{lv: i for i, lv in enumerate(CRITICALITY_LEVELS)}}
COMPLEXITY_RANK = {"": -1, **{lv: i for i, lv in enumerate(COMPLEXITY_LEVELS)}}


@dataclass(frozen=True)
class MoveGroups:
    """``server_group``: group number per server (-1 when the server is in no group); ``groups``: one row per
    group."""

    server_group: np.ndarray
    groups: pd.DataFrame
    two_way: pd.DataFrame  # the strong two-way dependencies (``two_way_pairs``) the groups were formed from


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
    """Application instance per server: application + environment (the server alone when no application)."""
    app = servers["application"]
    env = servers["environment"].where(servers["environment"].ne(""), "unspecified")
    key = app + " (" + env + ")" if planning.group_by_environment else app.copy()
    return key.where(app.ne(""), servers["name"]).astype(object)


def two_way_pairs(edges: pd.DataFrame, in_scope: np.ndarray, min_weight: float) -> pd.DataFrame:
    """Strong two-way dependencies between in-scope servers (condition 1): the rows of ``edges`` (src < dst)
    whose weight, and the weight of the edge back, exceed ``min_weight``; in edge order."""
    return _two_way(_strong_in_scope(edges, in_scope, min_weight))


def _strong_in_scope(edges: pd.DataFrame, in_scope: np.ndarray, min_weight: float) -> pd.DataFrame:
    """Edges between in-scope servers heavier than ``min_weight``."""
    src, dst = edges["src"].to_numpy(), edges["dst"].to_numpy()
    return edges[in_scope[src] & in_scope[dst] & (edges["weight"].to_numpy() > min_weight)]


def _two_way(strong: pd.DataFrame) -> pd.DataFrame:
    """The rows (src < dst) of ``strong`` whose reverse edge is in ``strong`` too."""
    src, dst = strong["src"].to_numpy(), strong["dst"].to_numpy()
    fwd = pd.MultiIndex.from_arrays([src, dst])
    rev = pd.MultiIndex.from_arrays([dst, src])
    return strong[fwd.isin(rev) & (src < dst)]


def coupled_name(instance: str, instances: int) -> str:
    """A move group's name: its largest application instance, and how many others are coupled to it."""
    return instance if instances == 1 else f"{instance} + {instances - 1} coupled"


def build_groups(
    servers: pd.DataFrame,
    edges: pd.DataFrame,
    in_scope: np.ndarray,
    pins: pd.Series,
    planning: PlanningSettings,
    cap: CapacitySettings,
) -> MoveGroups:
    """Move groups of the in-scope servers: application instances joined by strong two-way dependencies, split
    by pins, then by capacity."""
    formed = _Formed.form(servers, edges, in_scope, pins, planning)
    base = formed.base.copy()
    base["group"], split_info = _split_oversize(formed, cap)
    groups = _summarise(base, edges, formed.pos, planning)
    server_group, numbered = _numbered(groups, split_info, base, len(servers))
    return MoveGroups(server_group=server_group, groups=numbered, two_way=formed.two_way)


@dataclass(frozen=True)
class _Formed:
    """The groups before the capacity split: one row per in-scope server (``base``), the strong dependencies
    between in-scope servers, the two-way ones among them, and each server's row among the in-scope ones."""

    base: pd.DataFrame
    strong: pd.DataFrame
    two_way: pd.DataFrame
    pos: np.ndarray

    @classmethod
    def form(
        cls,
        servers: pd.DataFrame,
        edges: pd.DataFrame,
        in_scope: np.ndarray,
        pins: pd.Series,
        planning: PlanningSettings,
    ) -> _Formed:
        idx = np.flatnonzero(in_scope)
        pos = np.full(len(servers), -1, dtype=np.int64)  # row of each in-scope server among them
        pos[idx] = np.arange(len(idx))
        key = instance_key(servers, planning).to_numpy()[idx]
        strong = _strong_in_scope(edges, in_scope, planning.two_way_min_weight)
        two_way = _two_way(strong)
        comp = _coupled_instances(key, pos[two_way["src"].to_numpy()], pos[two_way["dst"].to_numpy()])
        group, pin, pin_split = _split_by_pins(comp, pins.to_numpy(dtype="float64", na_value=np.nan)[idx])
        base = _server_rows(servers.iloc[idx], idx, key, group, pin, pin_split, planning)
        return cls(base, strong, two_way, pos)

    def loads(self) -> pd.DataFrame:
        """Per group: its servers, vCPU and storage."""
        by_group = self.base.groupby("group")
        loads = by_group[["cores", "storage_gb"]].sum()
        loads["servers_count"] = by_group.size()
        return loads

    def internal_edges(self) -> pd.DataFrame:
        """The strong edges inside a group (:func:`_internal_edges`), in order of group."""
        internal = _internal_edges(self.base["group"].to_numpy(), self.strong, self.two_way, self.pos)
        return internal.sort_values("gu", kind="mergesort")


class GroupBuilder:
    """The move groups of one estate at any wave capacity, each as :func:`build_groups` makes them: what the
    capacity does not change (instances, strong two-way dependencies, pins, the summary of every group before
    the capacity split) is worked out once; :meth:`at` splits the groups over the capacity and summarises only
    the parts they make."""

    def __init__(
        self,
        servers: pd.DataFrame,
        edges: pd.DataFrame,
        in_scope: np.ndarray,
        pins: pd.Series,
        planning: PlanningSettings,
    ) -> None:
        self.formed = _Formed.form(servers, edges, in_scope, pins, planning)
        self.n, self.planning = len(servers), planning
        self.loads = self.formed.loads()
        self.described = _describe(self.formed.base)
        # Each dependency between two in-scope servers, as rows among them (-1: a server in no group).
        self.ends = (self.formed.pos[edges["src"].to_numpy()], self.formed.pos[edges["dst"].to_numpy()])
        group = self.formed.base["group"].to_numpy()
        self.pairs = _group_pairs(group, *self.ends)
        self._internal: pd.DataFrame | None = None

    def at(self, cap: CapacitySettings) -> MoveGroups:
        """The move groups when a wave holds ``cap``."""
        formed = self.formed
        over = _over(self.loads, cap)
        base, described = formed.base, self.described
        split_info: SplitInfo = {}
        if len(over):
            if self._internal is None:
                self._internal = formed.internal_edges()
            base = base.copy()
            labels = self.described["name"]
            base["group"], split_info = _split_groups(formed.base, over, labels, self._internal, cap)
            group = base["group"].to_numpy()
            changed = np.isin(group, over) | (group > self.loads.index.max())
            described = pd.concat([described.drop(labels=list(over)), _describe(base[changed])]).sort_index()
        partners = self._partners(base["group"].to_numpy(), over).reindex(described.index, fill_value=0)
        groups = _finish(described, partners.to_numpy(), self.planning)
        server_group, numbered = _numbered(groups, split_info, base, self.n)
        return MoveGroups(server_group=server_group, groups=numbered, two_way=formed.two_way)

    def _partners(self, group: np.ndarray, over: np.ndarray) -> pd.Series:
        """Partners per group after the groups ``over`` were split (``group``: per server row): the pairs
        between groups left whole are kept, those of the split groups' parts found again."""
        a, b = self.pairs
        if not len(over):
            return pd.Series(a).value_counts(sort=False)
        was_over = np.zeros(int(self.loads.index.max()) + 1, dtype=bool)
        was_over[over] = True
        kept = ~(was_over[a] | was_over[b])
        u, v = self.ends
        pre = self.formed.base["group"].to_numpy()
        inside = (u >= 0) & (v >= 0)
        touched = np.zeros(len(u), dtype=bool)
        touched[inside] = was_over[pre[u[inside]]] | was_over[pre[v[inside]]]
        new, _ = _group_pairs(group, u[touched], v[touched])
        return pd.Series(np.concatenate([a[kept], new])).value_counts(sort=False)


def _coupled_instances(key: np.ndarray, tw_u: np.ndarray, tw_v: np.ndarray) -> np.ndarray:
    """Component per server: servers of one application instance (conditions 2 and 5), and servers joined by
    a strong two-way dependency (``tw_u``-``tw_v``, condition 1), are in one component."""
    codes, uniques = pd.factorize(key, sort=True)
    m = len(key)
    rows = np.concatenate([np.arange(m), tw_u])
    cols = np.concatenate([m + codes, tw_v])
    return components(m + len(uniques), rows, cols)[:m]


def _split_by_pins(comp: np.ndarray, pin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group per server, its effective pin, and whether pins split its component. One pin in a component moves
    the whole component; several pins split it (the unpinned servers follow the earliest pin)."""
    frame = pd.DataFrame({"comp": comp, "pin": pin})
    pin_min = frame.groupby("comp")["pin"].transform("min").to_numpy()
    pin_eff = np.where(np.isnan(pin), pin_min, pin)
    group = pair_codes(comp, np.nan_to_num(pin_eff, nan=-1))  # in order of component, then pin (none first)
    pin_split = pd.Series(group).groupby(comp).nunique().to_numpy()[comp] > 1
    return group, pin_eff, pin_split


def _server_rows(
    local: pd.DataFrame,
    idx: np.ndarray,
    key: np.ndarray,
    group: np.ndarray,
    pin: np.ndarray,
    pin_split: np.ndarray,
    planning: PlanningSettings,
) -> pd.DataFrame:
    """One row per in-scope server with what grouping needs."""
    return pd.DataFrame(
        {
            "group": group,
            "key": key,
            "klass": env_class(local["environment"], planning).to_numpy(),
            "environment": local["environment"].to_numpy(),
            "application": local["application"].to_numpy(),
            "cores": local["cores"].to_numpy(),
            "memory_gb": local["memory_gb"].to_numpy(),
            "storage_gb": local["storage_gb"].to_numpy(),
            "crit": local["criticality"].map(CRIT_RANK).to_numpy(),
            "cplx": local["complexity"].map(COMPLEXITY_RANK).to_numpy(),
            "pin": pin,
            "pin_split": pin_split,
            "server": idx,
            "name": local["name"].to_numpy(),
        }
    )


SplitInfo = dict[
    int, tuple[str, int, int, float, int]
]  # group -> (name before, part, parts, cut weight, edges)


def _over(loads: pd.DataFrame, cap: CapacitySettings) -> np.ndarray:
    """The groups (of ``loads``, one row per group) that exceed a wave's capacity, in order."""
    return loads.index.to_numpy()[(capacity_load(loads, cap) > 1 + 1e-9).any(axis=1)]


def _split_oversize(formed: _Formed, cap: CapacitySettings) -> tuple[np.ndarray, SplitInfo]:
    """Split groups that exceed a wave's capacity along their weakest dependencies: the new group per server
    and what each split made."""
    over = _over(formed.loads(), cap)
    base = formed.base
    if not len(over):
        return base["group"].to_numpy().copy(), {}
    labels = _group_names(base[np.isin(base["group"].to_numpy(), over)])
    return _split_groups(base, over, labels, formed.internal_edges(), cap)


def _split_groups(
    base: pd.DataFrame, over: np.ndarray, labels: pd.Series, internal: pd.DataFrame, cap: CapacitySettings
) -> tuple[np.ndarray, SplitInfo]:
    """Split the groups ``over`` (sorted; ``labels``: their names) along their weakest dependencies
    (``internal``: the strong edges inside groups, in order of group): the new group per server (the first
    part keeps the group's number, the others are numbered after every group) and what each split made."""
    group = base["group"].to_numpy().copy()
    split_info: SplitInfo = {}
    order = np.argsort(group, kind="stable")  # each group's rows, ascending
    bounds = np.searchsorted(group[order], np.stack([over, over + 1]))
    edge_bounds = np.searchsorted(internal["gu"].to_numpy(), np.stack([over, over + 1]))
    u, v, w = internal["u"].to_numpy(), internal["v"].to_numpy(), internal["w"].to_numpy(float)
    load = capacity_load(base, cap)
    next_id = int(group.max()) + 1
    for i, (g, label) in enumerate(zip(over.tolist(), labels.reindex(over).tolist(), strict=True)):
        rows = order[bounds[0, i] : bounds[1, i]]
        inside = slice(edge_bounds[0, i], edge_bounds[1, i])
        # Partition the group's servers (its inside edges as positions among them) into parts fitting a wave.
        uu, vv = np.searchsorted(rows, u[inside]), np.searchsorted(rows, v[inside])
        part = partition(len(rows), uu, vv, w[inside], load[rows])
        for p in range(part.k):
            gid = g if p == 0 else next_id + p - 1
            group[rows[part.parts == p]] = gid
            split_info[gid] = (label, p + 1, part.k, part.cut_weight, part.cut_edges)
        next_id += part.k - 1
    return group, split_info


def _internal_edges(
    group: np.ndarray, strong: pd.DataFrame, two_way: pd.DataFrame, pos: np.ndarray
) -> pd.DataFrame:
    """Strong edges inside a group (u, v: server rows; w: weight; gu: group). Cutting a strong two-way
    dependency breaks condition 1, which outranks condition 2: its weight is made costly."""
    internal = pd.DataFrame(
        {
            "u": pos[strong["src"].to_numpy()],
            "v": pos[strong["dst"].to_numpy()],
            "w": strong["weight"].to_numpy(),
        }
    )
    internal["gu"] = group[internal["u"].to_numpy()]
    internal["gv"] = group[internal["v"].to_numpy()]
    internal = internal[internal["gu"] == internal["gv"]]
    tw = pd.MultiIndex.from_arrays([pos[two_way["src"].to_numpy()], pos[two_way["dst"].to_numpy()]])
    pair = pd.MultiIndex.from_arrays(
        [np.minimum(internal["u"], internal["v"]), np.maximum(internal["u"], internal["v"])]
    )
    internal.loc[pair.isin(tw), "w"] = internal.loc[pair.isin(tw), "w"] * 1000.0
    return internal


def _numbered(
    groups: pd.DataFrame, split_info: SplitInfo, base: pd.DataFrame, n: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Stable numbering (by name, then first server name), the split columns and the group of every server."""
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
    server_group[base["server"].to_numpy()] = renumber[base["group"].to_numpy()]
    return server_group, groups


def _group_names(frame: pd.DataFrame) -> pd.Series:
    """Name per group of ``frame`` (columns group, key): its largest application instance (ties by name), and
    how many others are coupled to it."""
    sizes = frame.groupby(["group", "key"]).size().reset_index(name="c")
    sizes = sizes.sort_values(["group", "c", "key"], ascending=[True, False, True], kind="mergesort")
    top = sizes.drop_duplicates("group").set_index("group")["key"]
    others = sizes.groupby("group").size().reindex(top.index) - 1
    coupled = top.astype(object) + " + " + others.astype(str) + " coupled"
    return pd.Series(np.where(others.to_numpy() > 0, coupled, top), index=top.index, dtype=object)


def _summarise(
    base: pd.DataFrame, edges: pd.DataFrame, pos: np.ndarray, planning: PlanningSettings
) -> pd.DataFrame:
    """One row per group: totals, class, name, applications and environments, partners, complexity."""
    described = _describe(base)
    partners = _partners(base, edges, len(pos)).reindex(described.index, fill_value=0).to_numpy()
    return _finish(described, partners, planning)


def _describe(base: pd.DataFrame) -> pd.DataFrame:
    """One row per group of ``base`` (indexed by group): totals, class, name, applications, environments."""
    ordered = base.sort_values(["group", "key", "name"], kind="mergesort")
    out = _totals(ordered)
    out["name"] = list(_group_names(ordered).reindex(out.index))
    for col, label in (("application", "applications"), ("environment", "environments")):
        out[label] = _distinct(ordered, col, out.index)
    return out


def _finish(described: pd.DataFrame, partners: np.ndarray, planning: PlanningSettings) -> pd.DataFrame:
    """The groups described, with their partners and complexity, one row each (column ``group``)."""
    out = described.copy()
    out["partners"] = partners
    out["complexity"], out["complexity_source"] = _complexity(out, planning)
    out = out.drop(columns=["cplx"])
    out.index.name = "group"
    return out.reset_index()


def _totals(ordered: pd.DataFrame) -> pd.DataFrame:
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
        }
    )
    out["first_server"] = lowest_text(ordered["name"], ordered["group"])
    # A group holding any production server is production (condition 5 then reports the mix).
    is_prod = ordered["klass"].eq("prod").groupby(ordered["group"]).max()
    out["klass"] = np.where(is_prod.reindex(out.index).to_numpy(), "prod", "nonprod")
    out["mixed_class"] = g["klass"].nunique() > 1
    return out


def _distinct(ordered: pd.DataFrame, col: str, index: pd.Index) -> list[list[str]]:
    """Sorted distinct non-empty values of ``col`` per group (of ``index``, in order)."""
    distinct = (
        ordered.loc[ordered[col].ne(""), ["group", col]]
        .drop_duplicates()
        .sort_values(["group", col], kind="mergesort")
    )
    group, values = distinct["group"].to_numpy(), distinct[col].tolist()
    wanted = index.to_numpy()
    starts, ends = np.searchsorted(group, wanted, "left"), np.searchsorted(group, wanted, "right")
    return [values[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _partners(base: pd.DataFrame, edges: pd.DataFrame, n: int) -> pd.Series:
    """Per group: how many other groups it depends on or is depended on by."""
    grp = np.full(n, -1, dtype=np.int64)
    grp[base["server"].to_numpy()] = base["group"].to_numpy()
    a, _ = _group_pairs(grp, edges["src"].to_numpy(), edges["dst"].to_numpy())
    return pd.Series(a).value_counts(sort=False)


def _group_pairs(group: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ordered pairs of different groups (both ways) that the dependencies ``u``-``v`` (rows of
    ``group``, -1 for none; a group of -1: a server in no group) join."""
    inside = (u >= 0) & (v >= 0)
    gs, gd = group[u[inside]], group[v[inside]]
    both = (gs >= 0) & (gd >= 0) & (gs != gd)
    pairs = pd.DataFrame(
        {"a": np.concatenate([gs[both], gd[both]]), "b": np.concatenate([gd[both], gs[both]])}
    ).drop_duplicates()
    return pairs["a"].to_numpy(), pairs["b"].to_numpy()


def _complexity(out: pd.DataFrame, planning: PlanningSettings) -> tuple[np.ndarray, np.ndarray]:
    """The inventory's complexity when given, else derived: high from ``complexity_servers`` servers or
    ``complexity_partners`` partners, medium from half of either."""
    servers, partners = out["servers_count"], out["partners"]
    derived = np.where(
        (servers >= planning.complexity_servers) | (partners >= planning.complexity_partners),
        2,
        np.where(
            (servers * 2 >= planning.complexity_servers) | (partners * 2 >= planning.complexity_partners),
            1,
            0,
        ),
    )
    given = out["cplx"] >= 0
    return np.where(given, out["cplx"], derived), np.where(given, "inventory", "derived")
