"""Capacity-bounded graph partitioning along the weakest dependencies (METIS through pymetis).

Used to split a move group, or a set of move groups that must share a wave, when it exceeds a wave's
capacity: METIS computes a k-way partition that minimises the weight of the cut edges while balancing the
load, and ``k`` grows until every part fits. Deterministic (fixed seed) and fast on graphs of hundreds of
thousands of vertices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy and pymetis are imported where a graph is split: start-up stays light
    import scipy.sparse as sp


@dataclass(frozen=True)
class Partition:
    parts: np.ndarray  # part number per vertex, 0..k-1, numbered by first vertex
    k: int
    cut_weight: float
    cut_edges: int


def _number_by_first(parts: np.ndarray) -> np.ndarray:
    _, first = np.unique(parts, return_index=True)
    order = np.argsort(first, kind="stable")
    remap = np.empty(parts.max() + 1, dtype=np.int64)
    remap[np.unique(parts)[order]] = np.arange(len(order))
    return remap[parts]


def partition(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    weight: np.ndarray,
    load: np.ndarray,
) -> Partition:
    """Split ``n`` vertices so that every part's ``load`` (n x d, as fractions of capacity) is at most 1 in
    each dimension.

    ``u``, ``v``, ``weight`` are undirected edges (either direction, duplicates summed). A vertex whose own
    load exceeds 1 is put in a part of its own (it cannot fit anyway).
    """
    if n == 0:
        return Partition(np.zeros(0, dtype=np.int64), 0, 0.0, 0)
    load = np.asarray(load, dtype=float).reshape(n, -1)
    if (load.sum(axis=0) <= 1.0 + 1e-9).all():
        return Partition(np.zeros(n, dtype=np.int64), 1, 0.0, 0)
    adj = _adjacency(n, u, v, weight)
    # Over-partition into parts of about half a wave, then merge parts greedily along the heaviest
    # dependencies while the merged part still fits: METIS balances parts, the merge lets tightly coupled
    # parts reunite.
    parts = _number_by_first(_merge(_over_partition(adj, load), adj, load))
    coo = adj.tocoo()
    upper = coo.row < coo.col
    crossing = upper & (parts[coo.row] != parts[coo.col])
    return Partition(parts, int(parts.max()) + 1, float(coo.data[crossing].sum()), int(crossing.sum()))


def _adjacency(n: int, u: np.ndarray, v: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """Symmetric weighted adjacency matrix, self-loops dropped and duplicates summed."""
    import scipy.sparse as sp

    mask = u != v
    u, v, weight = u[mask], v[mask], weight[mask]
    adj = sp.coo_matrix(
        (np.concatenate([weight, weight]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
    ).tocsr()
    adj.sum_duplicates()
    adj.sort_indices()
    return adj


def _over_partition(adj: sp.csr_matrix, load: np.ndarray) -> np.ndarray:
    """METIS parts, numbered 0..k-1, each within capacity (or a lone oversize vertex), ``k`` growing from two
    parts a wave until they fit (at most 64 tries)."""
    import pymetis

    n = adj.shape[0]
    w = adj.data
    scaled = np.maximum(1, np.round(w / w.max() * 10_000)).astype(np.int64) if len(w) else None
    vweights = np.maximum(1, np.round(load.max(axis=1) * 1000)).astype(np.int64)
    k = max(2, int(np.ceil(load.sum(axis=0).max() * 2)))
    best = None
    options = pymetis.Options(seed=1, ufactor=100)
    for _ in range(64):
        if 2 * k >= n:  # METIS needs several vertices per part; singletons are merged back later
            parts = np.arange(n, dtype=np.int64)
        else:
            _, membership = pymetis.part_graph(
                k,
                pymetis.CSRAdjacency(adj.indptr.astype(np.int64), adj.indices.astype(np.int64)),
                eweights=scaled,
                vweights=vweights,
                options=options,
            )
            parts = np.asarray(membership, dtype=np.int64)
        best = parts = _split_oversize(parts, load)
        sums = np.zeros((parts.max() + 1, load.shape[1]))
        np.add.at(sums, parts, load)
        single = np.bincount(parts) == 1
        if ((sums <= 1.0 + 1e-9).all(axis=1) | single).all():
            break
        k = int(np.ceil(k * 1.15)) + 1
    assert best is not None
    return np.unique(best, return_inverse=True)[1].astype(np.int64)


def _merge(parts: np.ndarray, adj: sp.csr_matrix, load: np.ndarray) -> np.ndarray:
    """Merge parts along the heaviest inter-part weight while the merged load fits (Kruskal with a
    capacity)."""
    import scipy.sparse as sp

    k = int(parts.max()) + 1
    sums = np.zeros((k, load.shape[1]))
    np.add.at(sums, parts, load)
    coo = adj.tocoo()
    pu, pv = parts[coo.row], parts[coo.col]
    keep = pu < pv
    between = sp.coo_matrix((coo.data[keep], (pu[keep], pv[keep])), shape=(k, k)).tocsr()
    between.sum_duplicates()
    b = between.tocoo()
    order = np.lexsort((b.col, b.row, -b.data))
    parent = list(range(k))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in order.tolist():
        a, c = find(int(b.row[i])), find(int(b.col[i]))
        if a == c:
            continue
        merged = sums[a] + sums[c]
        if (merged <= 1.0 + 1e-9).all():
            lo, hi = min(a, c), max(a, c)
            parent[hi] = lo
            sums[lo] = merged
    # Parts with no dependency between them: first-fit decreasing, so a split makes as few parts as it can.
    roots = sorted({find(i) for i in range(k)}, key=lambda r: (-sums[r].max(), r))
    bins: list[int] = []
    for r in roots:
        for b in bins[-64:]:
            merged = sums[b] + sums[r]
            if (merged <= 1.0 + 1e-9).all():
                parent[r] = b
                sums[b] = merged
                break
        else:
            bins.append(r)
    final = np.array([find(i) for i in range(k)], dtype=np.int64)
    return final[parts]


def _split_oversize(parts: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Vertices that alone exceed capacity get a part of their own."""
    big = (load > 1.0 + 1e-9).any(axis=1)
    if not big.any():
        return parts
    parts = parts.copy()
    start = parts.max() + 1
    parts[big] = start + np.arange(int(big.sum()))
    return parts
