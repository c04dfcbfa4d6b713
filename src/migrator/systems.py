"""Stage: coupled systems, applications that exchange heavy traffic (an ERP and its satellites, a plant's MES
with its historians and label printers).

The application graph has one node per application and, between two applications, the dependency weight
between their planned servers summed over both directions (shared services and servers that do not move in a
wave are left out: everyone talks to a domain controller). Louvain community detection (networkx's algorithm
and fixed seed, run by :func:`migrator.fastpaths.louvain`) proposes communities, and splits again on its own
any with more than ``MAX_APPLICATIONS``. An application whose traffic with the rest of its community is under
``MIN_MEMBER_SHARE`` of the heaviest member's leaves it.
A community then counts as a **system** when it holds at least two applications and the traffic between its
applications is at least ``MIN_INTERNAL_SHARE`` of all the cross-application traffic its applications have
(inside the system plus with applications outside it): most of what they exchange with other applications,
they exchange with each other. Traffic inside one application counts neither way.

The scheduler (:mod:`migrator.waves`) ranks a system's move groups together, so that they fill the same wave
and spill into the next one when capacity runs out; PLAN.md names each system and the waves it spans.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator import fastpaths
from migrator.graph import group_sums

SEED = 0
MAX_APPLICATIONS = 8  # a larger community is split again on its own
MIN_INTERNAL_SHARE = 0.5
MIN_MEMBER_SHARE = 0.1  # a member's traffic with the rest, at least this share of the heaviest member's


@dataclass(frozen=True)
class System:
    id: str  # SYS-001, ... in order of internal weight (heaviest first), then name
    name: str  # the heaviest application, "+ N applications"
    applications: tuple[str, ...]  # sorted by name
    internal_weight: float  # between the system's applications, both directions
    external_weight: float  # between its applications and applications outside it


@dataclass(frozen=True)
class Systems:
    systems: tuple[System, ...]
    server_system: np.ndarray  # system index per server, -1 when its application is in none

    def group_system(self, server_group: np.ndarray, n_groups: int) -> np.ndarray:
        """System per move group: the one most of its servers belong to (lowest index on ties), -1 when
        none of them is in a system."""
        out = np.full(n_groups, -1, dtype=np.int64)
        keep = (server_group >= 0) & (self.server_system >= 0)
        if not keep.any():
            return out
        pairs = pd.DataFrame({"group": server_group[keep], "system": self.server_system[keep]})
        counts = pairs.groupby(["group", "system"], sort=True).size().reset_index(name="n")
        best = counts.sort_values(["group", "n", "system"], ascending=[True, False, True], kind="mergesort")
        best = best.drop_duplicates("group")
        out[best["group"].to_numpy()] = best["system"].to_numpy()
        return out


def detect_systems(servers: pd.DataFrame, edges: pd.DataFrame, planned: np.ndarray) -> Systems:
    """Coupled systems among the applications of the planned servers (the rule is in the module docstring)."""
    application = servers["application"].fillna("").astype(str).to_numpy()
    codes, names = pd.factorize(application, sort=True)
    app_of = np.where(planned & (application != ""), codes, -1)
    pairs = _application_pairs(app_of, edges)
    if not len(pairs):
        return Systems((), np.full(len(servers), -1, dtype=np.int64))
    label = _members(pairs, _communities(pairs, len(names)))
    systems, index = _systems(pairs, label, np.asarray(names, dtype=object))
    server_system = np.where(app_of >= 0, index[np.maximum(app_of, 0)], -1)
    return Systems(systems, server_system.astype(np.int64))


def _application_pairs(app_of: np.ndarray, edges: pd.DataFrame) -> pd.DataFrame:
    """Undirected application pairs (a < b) with their dependency weight summed over both directions."""
    a, b = app_of[edges["src"].to_numpy()], app_of[edges["dst"].to_numpy()]
    keep = (a >= 0) & (b >= 0) & (a != b)
    low, high = np.minimum(a[keep], b[keep]).astype(np.int64), np.maximum(a[keep], b[keep]).astype(np.int64)
    width = int(high.max()) + 1 if len(high) else 1
    pair, weight, _, _ = group_sums(low * width + high, edges["weight"].to_numpy(float)[keep])
    return pd.DataFrame({"a": pair // width, "b": pair % width, "weight": weight})


def _communities(pairs: pd.DataFrame, n_apps: int) -> np.ndarray:
    """Louvain community per application (-1 for applications without cross-application traffic)."""
    # The graph networkx would hold: nodes in ascending order, each node's neighbours in the order of the
    # (sorted) pairs that name it, which is ascending too.
    a, b, w = pairs["a"].to_numpy(), pairs["b"].to_numpy(), pairs["weight"].to_numpy(float)
    nodes = np.unique(np.concatenate([a, b]))
    pos_a, pos_b = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    ends = np.concatenate([np.column_stack([pos_a, pos_b]), np.column_stack([pos_b, pos_a])])
    weights = np.concatenate([w, w])
    order = np.lexsort((np.tile(np.arange(len(a)), 2), ends[:, 0]))  # by node, then pair order
    starts = np.searchsorted(ends[order, 0], np.arange(len(nodes) + 1))
    nbr, wt = ends[order, 1].tolist(), weights[order].tolist()
    adj = [list(zip(nbr[i:j], wt[i:j], strict=True)) for i, j in itertools.pairwise(starts.tolist())]
    label = np.full(n_apps, -1, dtype=np.int64)
    root = _Graph(nodes.tolist(), adj, len(nodes))
    for i, members in enumerate(sorted(_split(root), key=min)):
        label[sorted(members)] = i
    return label


@dataclass(frozen=True)
class _Graph:
    """The application graph, or the view ``networkx.Graph.subgraph`` gives of part of it: node labels in
    networkx's node order, adjacency (positions) in its order, and the number of nodes of the whole graph."""

    labels: list[int]
    adj: fastpaths.Adjacency
    root_size: int

    def subgraphs(self, parts: list[list[int]]) -> list[_Graph]:
        """What networkx's subgraph view of each part (sorted labels) iterates: the part in the order of the
        Python set of it when it holds fewer than half the whole graph's nodes (in the whole graph's ascending
        order otherwise), each node's neighbours within the part in the whole graph's order."""
        pos = {label: i for i, label in enumerate(self.labels)}
        old, parent = self.labels, self.adj
        out = []
        for members in parts:
            inside = set(members)
            labels = list(inside) if 2 * len(inside) < self.root_size else members
            new = {label: i for i, label in enumerate(labels)}
            adj = [[(new[old[q]], w) for q, w in parent[pos[u]] if old[q] in new] for u in labels]
            out.append(_Graph(labels, adj, self.root_size))
        return out


def _split(graph: _Graph) -> list[set[int]]:
    """Louvain communities; one larger than ``MAX_APPLICATIONS`` is split again on its own (modularity within
    it), which finds the small systems a large graph's modularity merges (its resolution limit)."""
    found = fastpaths.louvain(graph.labels, graph.adj, SEED)
    if len(found) == 1:
        return found
    found = sorted(found, key=min)
    big = [sorted(members) for members in found if len(members) > MAX_APPLICATIONS]
    parts = iter(graph.subgraphs(big))
    out: list[set[int]] = []
    for members in found:
        out.extend(_split(next(parts)) if len(members) > MAX_APPLICATIONS else [members])
    return out


def _members(pairs: pd.DataFrame, label: np.ndarray) -> np.ndarray:
    """An application whose traffic with the rest of its community is under ``MIN_MEMBER_SHARE`` of the
    heaviest member's leaves it (a lone application that talks a little to an ERP is not part of it)."""
    a, b, w = pairs["a"].to_numpy(), pairs["b"].to_numpy(), pairs["weight"].to_numpy()
    inside = label[a] == label[b]
    app_inside = np.bincount(a[inside], weights=w[inside], minlength=len(label))
    app_inside += np.bincount(b[inside], weights=w[inside], minlength=len(label))
    has = label >= 0
    heaviest = np.zeros(int(label.max()) + 1)
    np.maximum.at(heaviest, label[has], app_inside[has])
    weak = has & (app_inside < MIN_MEMBER_SHARE * heaviest[np.maximum(label, 0)])
    out = label.copy()
    out[weak] = label.max() + 1 + np.arange(int(weak.sum()))  # each on its own
    return out


def _systems(
    pairs: pd.DataFrame, label: np.ndarray, names: np.ndarray
) -> tuple[tuple[System, ...], np.ndarray]:
    """The communities that count as systems, and the system index per application (-1 when none)."""
    a, b, w = pairs["a"].to_numpy(), pairs["b"].to_numpy(), pairs["weight"].to_numpy()
    n = int(label.max()) + 1
    inside = label[a] == label[b]
    internal = np.bincount(label[a][inside], weights=w[inside], minlength=n)
    touching = np.bincount(label[a], weights=w, minlength=n) + np.bincount(label[b], weights=w, minlength=n)
    external = touching - 2 * internal
    size = np.bincount(label[label >= 0], minlength=n)
    share = internal / np.maximum(internal + external, 1e-12)
    chosen = np.flatnonzero((size >= 2) & (share >= MIN_INTERNAL_SHARE) & (internal > 0))
    # Each application's weight inside its community, for naming the system after its heaviest application.
    app_inside = np.bincount(a[inside], weights=w[inside], minlength=len(label))
    app_inside += np.bincount(b[inside], weights=w[inside], minlength=len(label))
    found = []
    for c in chosen.tolist():
        members = np.flatnonzero(label == c)
        members = members[np.argsort(names[members], kind="stable")]
        heaviest = members[np.lexsort((names[members], -app_inside[members]))[0]]
        others = len(members) - 1
        name = f"{names[heaviest]} + {others} application{'s' if others > 1 else ''}"
        found.append((c, name, tuple(str(x) for x in names[members]), float(internal[c]), float(external[c])))
    found.sort(key=lambda f: (-f[3], f[1]))
    index = np.full(len(label), -1, dtype=np.int64)
    systems = []
    for i, (c, name, apps, inner, outer) in enumerate(found):
        index[label == c] = i
        systems.append(System(f"SYS-{i + 1:03d}", name, apps, inner, outer))
    return tuple(systems), index


def system_waves(
    systems: Systems, server_wave: np.ndarray, edges: pd.DataFrame
) -> list[tuple[tuple[int, ...], float]]:
    """Per system: the waves its servers move in, and the dependency weight between its servers that crosses
    waves."""
    n = len(systems.systems)
    sys_of, finite = systems.server_system, np.isfinite(server_wave)
    in_system = (sys_of >= 0) & finite
    waves = pd.DataFrame({"s": sys_of[in_system], "w": server_wave[in_system].astype(np.int64)})
    spans = waves.drop_duplicates().sort_values(["s", "w"]).groupby("s")["w"].apply(tuple).to_dict()
    src, dst = edges["src"].to_numpy(), edges["dst"].to_numpy()
    same = (sys_of[src] >= 0) & (sys_of[src] == sys_of[dst]) & finite[src] & finite[dst]
    crossing = same & (server_wave[src] != server_wave[dst])
    weight = np.bincount(
        sys_of[src][crossing], weights=edges["weight"].to_numpy(float)[crossing], minlength=n
    )
    return [(tuple(int(x) for x in spans.get(i, ())), float(weight[i])) for i in range(n)]
