"""Graph primitives with a fast path (scipy.sparse.csgraph, vectorised numpy) and a plain reference path
(networkx, straightforward loops). Planning uses the fast path; ``reference_mode()`` switches to the reference
one so a test can check that both give the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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

    return _networkx_labels(nx.Graph(), n, u, v, nx.connected_components)


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Strongly-connected-component label of each of ``n`` vertices (directed edges src->dst)."""
    if not is_reference():
        graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        return connected_components(graph, directed=True, connection="strong")[1]
    import networkx as nx

    return _networkx_labels(nx.DiGraph(), n, src, dst, nx.strongly_connected_components)


def _networkx_labels(
    g: Any, n: int, a: np.ndarray, b: np.ndarray, finder: Callable[[Any], Iterable[set[int]]]
) -> np.ndarray:
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for i, comp in enumerate(sorted(finder(g), key=min)):
        labels[list(comp)] = i
    return labels
