"""Graph primitives on scipy.sparse.csgraph: connected and strongly connected components of integer graphs.

The planning stages label vertices by component many times over graphs of up to millions of edges; networkx
would cost seconds there. ``tests/reference.py`` holds the networkx versions the tests prove these equal to.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` vertices (undirected edges u-v)."""
    graph = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1])


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Strongly-connected-component label of each of ``n`` vertices (directed edges src->dst)."""
    graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=True, connection="strong")[1])
