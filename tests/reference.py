"""Plain reference implementations (networkx, straightforward loops) of what planning does with fast paths.

Production code never switches to these; ``tests/test_generate.py`` patches them in and checks that a whole
plan comes out byte-identical, and ``tests/test_fastpaths.py`` compares them function by function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd


def _labels(
    g: Any, n: int, a: np.ndarray, b: np.ndarray, finder: Callable[[Any], Iterable[set[int]]]
) -> np.ndarray:
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for i, comp in enumerate(sorted(finder(g), key=min)):
        labels[list(comp)] = i
    return labels


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return _labels(nx.Graph(), n, u, v, nx.connected_components)


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    return _labels(nx.DiGraph(), n, src, dst, nx.strongly_connected_components)


def ports_by_pair(pairs: pd.DataFrame, ports: pd.DataFrame) -> list[list[int]]:
    """The sorted port list of each (src, dst) row of ``pairs``, one pandas group at a time."""
    grouped = ports.groupby(["src", "dst"])["port"].agg(lambda p: sorted(int(x) for x in p))
    return [
        grouped.get((s, d), []) for s, d in zip(pairs["src"].tolist(), pairs["dst"].tolist(), strict=True)
    ]


def every_month(leave: np.ndarray) -> set[pd.Period]:
    """Evaluate the footprint in every month instead of only the months where something leaves."""
    return set(pd.period_range("1900-01", "2262-01", freq="M"))
