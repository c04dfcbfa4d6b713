"""The fast graph primitives give what the plain networkx / loop versions in tests/reference.py give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from migrator.crossing import ports_by_pair
from migrator.fastpaths import components, lowest_text, strong_components
from tests import reference


def _random_graph(seed: int, n: int = 200, m: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, m), rng.integers(0, n, m)


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Two labellings describe the same components (labels themselves may differ)."""
    pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
    return pairs["a"].is_unique and pairs["b"].is_unique


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_match_networkx(seed: int) -> None:
    u, v = _random_graph(seed)
    assert _same_partition(components(200, u, v), reference.components(200, u, v))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_strong_components_match_networkx(seed: int) -> None:
    u, v = _random_graph(seed, m=400)
    fast, slow = strong_components(200, u, v), reference.strong_components(200, u, v)
    assert _same_partition(fast, slow)
    assert len(np.unique(fast)) < 200  # the random graph has real cycles, so the test means something


def test_strong_components_of_a_small_graph() -> None:
    # 0 -> 1 -> 2 -> 0 is a cycle; 3 depends on it; 4 is alone.
    labels = strong_components(5, np.array([0, 1, 2, 3]), np.array([1, 2, 0, 0]))
    assert labels[0] == labels[1] == labels[2]
    assert len({labels[0], labels[3], labels[4]}) == 3


def test_ports_by_pair_matches_the_grouped_version() -> None:
    ports = pd.DataFrame({"src": [0, 0, 0, 1, 2], "dst": [1, 1, 2, 0, 0], "port": [443, 80, 22, 1433, 53]})
    ports = ports.sort_values(["src", "dst", "port"], kind="mergesort")
    pairs = pd.DataFrame({"src": [0, 2, 1, 0, 3], "dst": [1, 0, 0, 2, 3]})
    assert ports_by_pair(pairs, ports) == [[80, 443], [53], [1433], [22], []]
    assert ports_by_pair(pairs, ports) == reference.ports_by_pair(pairs, ports)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_lowest_text_per_group_is_pandas_minimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    texts = ["app-01", "App-01", "app-1", "äpp", "zeta", "Z", "db 10", "db 9", "", "東京-01"]
    text = pd.Series(rng.choice(texts, 2_000), dtype="str")
    key = pd.Series(rng.integers(0, 40, 2_000))
    other = pd.Series(rng.integers(0, 3, 2_000))
    assert lowest_text(text, key).equals(text.groupby(key, sort=True).min())
    both = [key, other]
    assert lowest_text(text, both, transform=True).equals(text.groupby(both, sort=True).transform("min"))
