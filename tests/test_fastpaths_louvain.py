"""fastpaths.louvain finds the very communities networkx's louvain_communities finds (same seed), on graphs
and on the subgraph views the coupled-systems stage splits, and systems._communities gives the labels the
networkx version of the stage gave."""

from __future__ import annotations

import inspect
import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from migrator import systems
from migrator.fastpaths import THRESHOLD, Adjacency, _degrees, _modularity, louvain
from migrator.generate import generate_estate


def _as_adjacency(graph: nx.Graph) -> tuple[list[int], Adjacency]:
    """A networkx graph (or view) in the form louvain takes: its node order and adjacency order."""
    labels = list(graph.nodes())
    pos = {label: i for i, label in enumerate(labels)}
    return labels, [[(pos[v], d["weight"]) for v, d in graph[u].items()] for u in labels]


def _random_graph(seed: int, unit: bool = False) -> nx.Graph:
    """Nodes (spread out, so that a set of them does not iterate in ascending order) added in a shuffled
    order; edges of mixed weights (repeated ones, integers, fractions), or all of weight 1 (ties between
    communities, decided by the order of the neighbours)."""
    rng = random.Random(seed)
    n = rng.randint(2, 150)
    graph = nx.Graph()
    nodes = list(range(0, 7 * n, 7))
    rng.shuffle(nodes)
    graph.add_nodes_from(nodes)
    for _ in range(rng.randint(1, 4 * n)):
        a, b = rng.sample(nodes, 2)
        weight = 1.0 if unit else rng.choice([1.0, 2.5, float(rng.randint(1, 9)), rng.random() * 100])
        graph.add_edge(a, b, weight=weight)
    return graph


def _same(found: list[set[int]], expected: list[set[int]]) -> bool:
    return sorted(map(sorted, found)) == sorted(map(sorted, expected))


@pytest.mark.parametrize("seed", range(60))
def test_louvain_finds_networkx_communities(seed: int) -> None:
    graph = _random_graph(seed)
    expected = nx.community.louvain_communities(graph, weight="weight", seed=0)
    assert _same(louvain(*_as_adjacency(graph), 0), expected)


@pytest.mark.parametrize("seed", range(60))
def test_louvain_finds_networkx_communities_of_a_subgraph_view(seed: int) -> None:
    graph = _random_graph(seed, unit=seed % 2 == 0)
    nodes = sorted(graph.nodes())
    view = graph.subgraph(sorted(random.Random(seed).sample(nodes, max(2, len(nodes) // 3))))
    expected = nx.community.louvain_communities(view, weight="weight", seed=0)
    assert _same(louvain(*_as_adjacency(view), 0), expected)


@pytest.mark.parametrize("seed", range(20))
def test_modularity_is_networkx_to_the_last_bit(seed: int) -> None:
    # The modularity decides when Louvain stops (a gain under the threshold): summed in another order, it
    # could differ in its last bits and stop a level earlier or later.
    graph = _random_graph(seed)
    labels, adj = _as_adjacency(graph)
    rng = random.Random(seed)
    parts: dict[int, set[int]] = {}
    for label in labels:
        parts.setdefault(rng.randint(0, 5), set()).add(label)
    communities = list(parts.values())
    pos_of = {label: i for i, label in enumerate(labels)}
    found = _modularity(adj, labels, pos_of, _degrees(adj, [False] * len(labels)), communities)
    assert found == nx.community.modularity(graph, communities, weight="weight")


def test_the_threshold_is_networkx_default() -> None:
    parameters = inspect.signature(nx.community.louvain_communities).parameters
    assert parameters["threshold"].default == THRESHOLD
    assert parameters["resolution"].default == 1


def test_a_graph_without_edges_is_one_community_per_node() -> None:
    assert louvain([5, 2, 9], [[], [], []], 0) == [{5}, {2}, {9}]


def _networkx_split(graph: nx.Graph) -> list[set[int]]:
    """The stage's recursion as it was written on networkx (subgraph views of the whole graph)."""
    found = nx.community.louvain_communities(graph, weight="weight", seed=systems.SEED)
    if len(found) == 1:
        return found
    out: list[set[int]] = []
    for members in sorted(found, key=min):
        big = len(members) > systems.MAX_APPLICATIONS
        out.extend(_networkx_split(graph.subgraph(sorted(members))) if big else [members])
    return out


def _networkx_communities(pairs: pd.DataFrame, n_apps: int) -> np.ndarray:
    graph = nx.Graph()
    graph.add_nodes_from(np.unique(np.concatenate([pairs["a"].to_numpy(), pairs["b"].to_numpy()])).tolist())
    graph.add_weighted_edges_from(
        zip(pairs["a"].tolist(), pairs["b"].tolist(), pairs["weight"].tolist(), strict=True)
    )
    label = np.full(n_apps, -1, dtype=np.int64)
    for i, members in enumerate(sorted(_networkx_split(graph), key=min)):
        label[sorted(members)] = i
    return label


def _generated(servers: int, seed: int, coupled: bool) -> tuple[np.ndarray, pd.DataFrame, int]:
    """Application code per server (-1 for shared services) and server edges of a generated estate."""
    estate = generate_estate(servers, seed=seed, coupled_systems=coupled)
    position = pd.Series(np.arange(len(estate.servers)), index=estate.servers["name"])
    deps = estate.dependencies
    edges = pd.DataFrame(
        {
            "src": position[deps["source"]].to_numpy(),
            "dst": position[deps["target"]].to_numpy(),
            "weight": deps["weight"].to_numpy(float) / 3,  # thirds: sums that depend on the order of adding
        }
    )
    codes, names = pd.factorize(estate.servers["application"].fillna("").astype(str), sort=True)
    return np.where(estate.servers["role"].eq("").to_numpy(), codes, -1), edges, len(names)


def test_application_pairs_are_the_grouped_sums() -> None:
    app_of, edges, _ = _generated(3000, 1, True)
    a, b = app_of[edges["src"].to_numpy()], app_of[edges["dst"].to_numpy()]
    keep = (a >= 0) & (b >= 0) & (a != b)
    low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    frame = pd.DataFrame({"a": low, "b": high, "weight": edges["weight"].to_numpy(float)[keep]})
    expected = frame.groupby(["a", "b"], sort=True)["weight"].sum().reset_index()
    pd.testing.assert_frame_equal(systems._application_pairs(app_of, edges), expected, check_exact=True)


@pytest.mark.parametrize(("servers", "seed", "coupled"), [(3000, 1, True), (3000, 2, False), (1200, 5, True)])
def test_communities_are_the_networkx_ones_on_generated_estates(
    servers: int, seed: int, coupled: bool
) -> None:
    app_of, edges, n_apps = _generated(servers, seed, coupled)
    pairs = systems._application_pairs(app_of, edges)
    label = systems._communities(pairs, n_apps)
    # enough communities (and splits of big ones) for the comparison to mean something
    assert label.max() > 20
    np.testing.assert_array_equal(label, _networkx_communities(pairs, n_apps))


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_subgraphs_iterate_as_networkx_views_do(share: float) -> None:
    # A part under half the graph iterates in the order of the Python set of it, a larger one in the
    # graph's order; each node's neighbours in the whole graph's order; a part of a part likewise.
    rng = random.Random(7)
    nodes = list(range(0, 2000, 7))
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for a, b in sorted({tuple(sorted(rng.sample(nodes, 2))) for _ in range(1500)}):
        graph.add_edge(a, b, weight=1.0)
    labels, adj = _as_adjacency(graph)
    whole = systems._Graph(labels, adj, len(labels))
    part = sorted(rng.sample(nodes, int(share * len(nodes))))
    inner = sorted(rng.sample(part, len(part) // 2))
    (mine,) = whole.subgraphs([part])
    (mine_inner,) = mine.subgraphs([inner])
    for got, view in ((mine, graph.subgraph(part)), (mine_inner, graph.subgraph(part).subgraph(inner))):
        assert (got.labels, got.adj) == _as_adjacency(view)
    assert mine.labels != part if share < 0.5 else mine.labels == part
