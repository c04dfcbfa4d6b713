"""Capacity-bounded partitioning on graphs where the best cut is plain to see.

Loads are fractions of a wave's capacity (a part may hold at most 1 in every dimension).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from migrator.partition import Partition, partition


def split(n: int, edges: list[tuple[int, int, float]], load: Sequence[object]) -> Partition:
    u = np.array([a for a, _, _ in edges], dtype=np.int64)
    v = np.array([b for _, b, _ in edges], dtype=np.int64)
    w = np.array([c for _, _, c in edges], dtype=float)
    return partition(n, u, v, w, np.asarray(load, dtype=float))


def part_loads(p: Partition, load: np.ndarray) -> np.ndarray:
    sums = np.zeros((p.k, load.shape[1]))
    np.add.at(sums, p.parts, load)
    return sums


def test_vertices_that_fit_together_stay_together() -> None:
    p = split(3, [(0, 1, 1), (1, 2, 1)], [0.3, 0.3, 0.3])
    assert (list(p.parts), p.k, p.cut_weight, p.cut_edges) == ([0, 0, 0], 1, 0.0, 0)


def test_two_triangles_joined_by_one_weak_edge_are_cut_at_that_edge() -> None:
    # Six vertices of a quarter each (1.5 in all): two parts are needed; the cheapest cut is the 2-3 bridge.
    triangles = [(0, 1, 10), (1, 2, 10), (0, 2, 10), (3, 4, 10), (4, 5, 10), (3, 5, 10)]
    p = split(6, [*triangles, (2, 3, 1)], [0.25] * 6)
    assert list(p.parts) == [0, 0, 0, 1, 1, 1]  # parts numbered by their first vertex
    assert (p.k, p.cut_weight, p.cut_edges) == (2, 1.0, 1)


def test_edges_in_either_direction_and_repeated_are_summed_and_self_loops_ignored() -> None:
    p = split(2, [(0, 1, 2), (1, 0, 3), (0, 1, 1), (0, 0, 50)], [0.6, 0.6])
    assert (list(p.parts), p.cut_weight, p.cut_edges) == ([0, 1], 6.0, 1)


def test_a_vertex_larger_than_a_wave_gets_a_part_of_its_own() -> None:
    p = split(3, [(0, 1, 5), (1, 2, 1)], [1.5, 0.2, 0.2])
    assert list(p.parts) == [0, 1, 1]
    assert (p.k, p.cut_weight, p.cut_edges) == (2, 5.0, 1)


def test_every_dimension_counts() -> None:
    # Servers fit together (0.4 + 0.4) but storage does not (0.7 + 0.7).
    p = split(2, [(0, 1, 1)], [[0.4, 0.7], [0.4, 0.7]])
    assert p.k == 2


def test_unconnected_parts_are_packed_into_as_few_parts_as_fit() -> None:
    # Five vertices of 0.3 and no edges: 1.5 in all, two parts (0.9 + 0.6 or similar), never more.
    p = split(5, [], [0.3] * 5)
    assert p.k == 2
    assert (part_loads(p, np.full((5, 1), 0.3)) <= 1 + 1e-9).all()


def test_a_large_graph_is_split_within_capacity_and_the_same_way_every_time() -> None:
    rng = np.random.default_rng(7)
    n = 400
    u, v = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    w = rng.integers(1, 100, 2000).astype(float)
    load = rng.random((n, 3)) * 0.02  # about 4 waves' worth
    first, again = partition(n, u, v, w, load), partition(n, u, v, w, load)
    assert first.k >= int(np.ceil(load.sum(axis=0).max()))
    assert (part_loads(first, load) <= 1 + 1e-9).all()
    assert np.array_equal(first.parts, again.parts)
    assert (first.k, first.cut_weight, first.cut_edges) == (again.k, again.cut_weight, again.cut_edges)
    crossing = first.parts[u] != first.parts[v]
    assert first.cut_weight == float(w[crossing & (u != v)].sum())


def test_nothing_to_split() -> None:
    p = partition(0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 3)))
    assert (len(p.parts), p.k) == (0, 0)
