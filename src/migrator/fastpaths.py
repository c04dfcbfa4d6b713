"""Graph primitives with a fast path (scipy.sparse.csgraph, vectorised numpy) and a plain reference path
(networkx, straightforward loops). Planning uses the fast path; ``reference_mode()`` switches to the reference
one so a test can check that both give the same plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

_REFERENCE: ContextVar[bool] = ContextVar("migrator_reference_paths", default=False)


@contextmanager
def reference_mode() -> Iterator[None]:
    token = _REFERENCE.set(True)
    try:
        yield
    finally:
        _REFERENCE.reset(token)


def is_reference() -> bool:
    return _REFERENCE.get()


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` vertices (undirected edges u-v)."""
    if not is_reference():
        graph = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        return connected_components(graph, directed=False)[1]
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for i, comp in enumerate(sorted(nx.connected_components(g), key=min)):
        labels[list(comp)] = i
    return labels


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Strongly-connected-component label of each of ``n`` vertices (directed edges src->dst)."""
    if not is_reference():
        graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        return connected_components(graph, directed=True, connection="strong")[1]
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for i, comp in enumerate(sorted(nx.strongly_connected_components(g), key=min)):
        labels[list(comp)] = i
    return labels
