"""Graph primitives: connected and strongly connected components of integer graphs (scipy.sparse.csgraph), and
networkx's Louvain communities without networkx's graph objects; and the lowest text per group without
pyarrow's query engine (:func:`lowest_text`).

The planning stages label vertices by component many times over graphs of up to millions of edges; networkx
would cost seconds there. ``tests/reference.py`` holds the networkx versions the tests prove these equal to
(tests/test_fastpaths_louvain.py for Louvain).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` vertices (undirected edges u-v)."""
    import scipy.sparse as sp  # scipy imported when first needed: start-up stays light
    from scipy.sparse.csgraph import connected_components

    graph = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1])


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Strongly-connected-component label of each of ``n`` vertices (directed edges src->dst)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=True, connection="strong")[1])


def lowest_text(text: pd.Series, by: Any, transform: bool = False) -> pd.Series:
    """``text.groupby(by, sort=True).min()`` (or ``.transform("min")``) for text without missing values,
    compared through the texts' ranks: pandas takes the minimum of an Arrow string column with pyarrow's
    Acero engine, whose import alone costs 0.06 s of a plan. The same values, in the same order."""
    rank, uniques = pd.factorize(text, sort=True)
    grouped = pd.Series(rank, index=text.index).groupby(by, sort=True)
    low = grouped.transform("min") if transform else grouped.min()
    return pd.Series(uniques.take(low.to_numpy()), index=low.index, name=text.name)


def pair_codes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Code per row of the distinct (first, second) pairs, numbered in their sorted order."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    codes = np.empty(len(order), dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return codes


# --- Louvain communities, exactly as networkx computes them ------------------------------------------------
#
# ``louvain`` gives what ``networkx.community.louvain_communities(G, weight="weight", seed=seed)`` gives
# (resolution 1, threshold 1e-7, networkx 3.x) for a graph without self-loops, a few times faster: no graph
# views, no networkx objects per level, community indices in lists. Every floating-point sum is taken in the
# order networkx takes it (node order, then adjacency order, Python's ``sum``), the random generator is
# ``random.Random(seed)`` shuffling lists of the same lengths, and the modularity that decides when to stop
# iterates the same Python sets, so the communities are the same, not merely as good.
# tests/test_fastpaths_louvain.py proves it against networkx on random graphs and their subgraph views.

# Per node position: (neighbour position, weight) in adjacency order.
Adjacency = list[list[tuple[int, float]]]
THRESHOLD = 0.0000001  # networkx's default modularity gain threshold between levels


def louvain(labels: list[int], adj: Adjacency, seed: int) -> list[set[int]]:
    """Louvain communities (sets of labels) of the graph whose nodes, in networkx's node order, are
    ``labels`` and whose adjacency (networkx's order, positions into ``labels``) is ``adj``."""
    if not any(adj):
        return [{label} for label in labels]
    rng = random.Random(seed)
    pos_of = {label: i for i, label in enumerate(labels)}
    no_loops: list[float | bool] = [False] * len(labels)
    mod = _singletons_modularity(_degrees(adj, no_loops))
    graph = _copy(adj)  # networkx works on a copy built from the graph's edges
    degrees = _degrees(graph, no_loops)
    m = sum(degrees) / 2
    level_labels: Sequence[int] = labels
    level_pos: Mapping[int, int] | Sequence[int] = pos_of
    where = list(range(len(labels)))  # the level node of each original node
    com, inner, improvement = _one_level(graph, degrees, no_loops, level_labels, m, rng)
    improvement = True
    while improvement:
        com, inner = _drop_empty(com, inner)
        where = [com[x] for x in where]
        new_mod = _modularity(graph, level_labels, level_pos, degrees, inner)
        if new_mod - mod <= THRESHOLD:
            break
        mod = new_mod
        graph, loops = _gen_graph(graph, com, len(inner))
        degrees = _degrees(graph, loops)
        level_labels = level_pos = range(len(inner))
        com, inner, improvement = _one_level(graph, degrees, loops, level_labels, m, rng)
    found: list[set[int]] = [set() for _ in range(max(where) + 1)]
    for label, w in zip(labels, where, strict=True):
        found[w].add(label)
    return found


def _degrees(adj: Adjacency, loops: list[float | bool]) -> list[float]:
    """Weighted degrees as networkx's DegreeView sums them (a self-loop counted twice)."""
    return [sum([w for _, w in nbrs]) + loop for nbrs, loop in zip(adj, loops, strict=True)]


def _copy(adj: Adjacency) -> Adjacency:
    """The adjacency of ``G.__class__()`` after ``add_weighted_edges_from(G.edges(data="weight"))``."""
    out: Adjacency = [[] for _ in adj]
    seen: set[int] = set()
    for p, nbrs in enumerate(adj):
        for q, w in nbrs:
            if q not in seen:
                out[p].append((q, w))
                if q != p:
                    out[q].append((p, w))
        seen.add(p)
    return out


def _one_level(
    adj: Adjacency,
    degrees: list[float],
    loops: list[float | bool],
    labels: Sequence[int],
    m: float,
    rng: random.Random,
) -> tuple[list[int], list[set[int]], bool]:
    """networkx's ``_one_level``: nodes move, in a shuffled order, to the neighbouring community with the best
    modularity gain until none moves. Returns the community of each node, the communities' node labels
    (Python sets changed in networkx's order: the modularity iterates them) and whether any node moved."""
    node2com = list(range(len(adj)))
    inner = [{label} for label in labels]
    stot = list(degrees)
    nbrs = [[(q, w) for q, w in row if q != p] for p, row in enumerate(adj)] if any(loops) else adj
    order = list(range(len(adj)))
    rng.shuffle(order)
    two_m2 = 2 * m**2
    nb_moves, improvement = 1, False
    while nb_moves > 0:
        nb_moves = 0
        for u in order:
            best_com = own = node2com[u]
            weights2com: dict[int, float] = {}  # in the order networkx's defaultdict fills
            for q, wt in nbrs[u]:
                c = node2com[q]
                weights2com[c] = weights2com.get(c, 0.0) + wt
            if own not in weights2com:
                weights2com[own] = 0.0
            degree = degrees[u]
            stot[own] -= degree
            remove_cost = -weights2com[own] / m + (stot[own] * degree) / two_m2
            best_mod: float = 0
            for nbr_com, wt in weights2com.items():
                gain = remove_cost + wt / m - (stot[nbr_com] * degree) / two_m2
                if gain > best_mod:
                    best_mod, best_com = gain, nbr_com
            stot[best_com] += degree
            if best_com != own:
                inner[own].remove(labels[u])
                inner[best_com].add(labels[u])
                improvement = True
                nb_moves += 1
                node2com[u] = best_com
    return node2com, inner, improvement


def _drop_empty(com: list[int], inner: list[set[int]]) -> tuple[list[int], list[set[int]]]:
    """The communities left non-empty, numbered in order (networkx's ``filter(len, ...)``)."""
    renumber = [-1] * len(inner)
    kept: list[set[int]] = []
    for c, members in enumerate(inner):
        if members:
            renumber[c] = len(kept)
            kept.append(members)
    return [renumber[c] for c in com], kept


def _singletons_modularity(degrees: list[float]) -> float:
    """networkx's ``modularity`` of one community per node, in a graph without self-loops."""
    deg_sum = sum(degrees)
    m = deg_sum / 2
    norm = 1 / deg_sum**2
    contributions = []
    for degree in degrees:
        out_degree_sum = 0 + degree  # sum() over the one node
        contributions.append(0 / m - out_degree_sum * out_degree_sum * norm)
    return sum(contributions)


def _modularity(
    adj: Adjacency,
    labels: Sequence[int],
    pos_of: Mapping[int, int] | Sequence[int],
    degrees: list[float],
    communities: list[set[int]],
) -> float:
    """networkx's ``modularity`` (resolution 1), summed in its order: each community's nodes as ``set()``
    iterates them, each internal edge from the first of its ends seen."""
    deg_sum = sum(degrees)
    m = deg_sum / 2
    norm = 1 / deg_sum**2
    contributions = []
    for community in communities:
        comm = set(community)
        seen: set[int] = set()
        inside = []
        for u in comm:
            for q, w in adj[pos_of[u]]:
                v = labels[q]
                if v not in seen and v in comm:
                    inside.append(w)
            seen.add(u)
        out_degree_sum = sum([degrees[pos_of[u]] for u in comm])
        contributions.append(sum(inside) / m - out_degree_sum * out_degree_sum * norm)
    return sum(contributions)


def _gen_graph(adj: Adjacency, com: list[int], n: int) -> tuple[Adjacency, list[float | bool]]:
    """networkx's ``_gen_graph``: one node per community, edge weights summed in edge order (a community's
    internal weight becomes a self-loop). Returns the adjacency and each node's self-loop weight or False."""
    weight: dict[tuple[int, int], float] = {}
    order: list[list[int]] = [[] for _ in range(n)]
    seen: set[int] = set()
    for p, nbrs in enumerate(adj):
        c1 = com[p]
        for q, w in nbrs:
            if q in seen:
                continue
            c2 = com[q]
            key = (c1, c2) if c1 <= c2 else (c2, c1)
            temp = weight.get(key)
            if temp is None:
                weight[key] = w + 0
                order[c1].append(c2)
                if c1 != c2:
                    order[c2].append(c1)
            else:
                weight[key] = w + temp
        seen.add(p)
    out = [[(c2, weight[(c1, c2) if c1 <= c2 else (c2, c1)]) for c2 in row] for c1, row in enumerate(order)]
    loops: list[float | bool] = [weight.get((c, c), False) for c in range(n)]
    return out, loops
