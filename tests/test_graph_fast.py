"""The graph stage's vectorised resolution and aggregation give exactly what the plain pandas versions gave
(kept here as the reference): names looked up once per spelling, edges and ports grouped on one integer key,
peers counted on integer pairs."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from migrator import graph
from migrator.graph import _edges_and_ports, _peer_counts, _ServerLookup
from tests.conftest import inventory, server


def _reference_resolve(servers: pd.DataFrame, names: pd.Series, ips: pd.Series) -> np.ndarray:
    """Every row's name lowered and looked up, then its short name, then its IP."""
    lower_names = servers["name"].str.lower()
    short_names = lower_names.str.split(".", n=1).str[0]
    unique_short = ~short_names.duplicated(keep=False)
    placeholder = "\x00dup" + pd.Series(range(len(short_names)), short_names.index).astype(str)
    ip_rows = servers.loc[servers["ip"].ne(""), "ip"].str.split(r"[;,\s]+").explode()
    ip_rows = ip_rows[ip_rows.ne("")]
    ip_rows = ip_rows[~ip_rows.duplicated(keep=False)]
    by_ip_index = pd.Series(ip_rows.index.to_numpy(), index=ip_rows.to_numpy())
    lower = names.str.lower()
    pos = pd.Index(lower_names).get_indexer(pd.Index(lower))
    missing = (pos < 0) & lower.ne("").to_numpy()
    if missing.any():
        short = lower[missing].str.split(".", n=1).str[0]
        pos[missing] = pd.Index(short_names.where(unique_short, placeholder)).get_indexer(pd.Index(short))
    missing = pos < 0
    if missing.any() and len(by_ip_index):
        by_ip = by_ip_index.reindex(ips[missing].to_numpy()).to_numpy()
        found = ~pd.isna(by_ip)
        pos[np.flatnonzero(missing)[found]] = by_ip[found].astype(np.int64)
    return pos


def _reference_edges_and_ports(
    deps: pd.DataFrame, src: np.ndarray, dst: np.ndarray, ok: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.DataFrame(
        {
            "src": src[ok],
            "dst": dst[ok],
            "port": deps["port"].to_numpy()[ok],
            "weight": deps["weight"].to_numpy()[ok],
        }
    )
    edges = (
        rows.groupby(["src", "dst"], sort=True)
        .agg(weight=("weight", "sum"), rows=("weight", "size"))
        .reset_index()
    )
    ports = rows.groupby(["src", "dst", "port"], sort=True, dropna=False)["weight"].sum().reset_index()
    return edges, ports


def _reference_peer_counts(
    servers: pd.DataFrame, edges: pd.DataFrame, declared: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(servers)
    src, dst = edges["src"].to_numpy(), edges["dst"].to_numpy()
    und = pd.DataFrame({"a": np.concatenate([src, dst]), "b": np.concatenate([dst, src])}).drop_duplicates()
    peers = np.bincount(und["a"].to_numpy(), minlength=n)
    und = und[~declared[und["b"].to_numpy()]]
    app_codes, _ = pd.factorize(servers["application"].where(servers["application"].ne(""), servers["name"]))
    und["app"] = app_codes[und["b"].to_numpy()]
    return peers, np.bincount(und.drop_duplicates(["a", "app"])["a"].to_numpy(), minlength=n)


def _estate(seed: int, n: int = 60, rows: int = 400):
    """Servers with mixed-case names, DNS suffixes, short names two servers share, one or several IPs (some
    shared); rows naming them by any spelling, by IP only, or naming nobody; ports sometimes missing."""
    rng = random.Random(seed)
    servers, spellings = [], []
    for i in range(n):
        short = rng.choice([f"srv{i:02d}", f"SRV{i:02d}", f"dup{i % 4}"])
        shared = short.startswith("dup")  # full names stay unique: a shared short name has its own suffix
        name = short + (f".z{i}.corp" if shared else rng.choice(["", ".corp.example", ".EU.corp"]))
        ip = rng.choice(["", f"10.0.0.{i}", f"10.0.0.{i}; 10.1.0.{i}", f"10.0.0.{i % 7}", f" 10.2.0.{i},"])
        servers.append(server(name, app=rng.choice(["", "erp", "mes", "crm", f"app{i % 9}"]), ip=ip))
        spellings += [name, name.upper(), short.lower(), short + ".other.example"]
    deps = []
    for _ in range(rows):
        ends = []
        for _ in range(2):
            kind = rng.random()
            if kind < 0.8:
                ends.append((rng.choice(spellings), ""))
            elif kind < 0.9:
                ends.append(("", rng.choice([f"10.0.0.{rng.randrange(n)}", f"10.1.0.{rng.randrange(n)}"])))
            else:
                ends.append((rng.choice(["ghost", "GHOST.corp", "203.0.113.9"]), ""))
        port = rng.choice([443, 1433, 22, ""])
        (source, source_ip), (target, target_ip) = ends
        weight = rng.choice([1, 2.5, 0.1, 7.3])
        deps.append(dict(source=source, source_ip=source_ip, target=target, target_ip=target_ip, port=port))
        deps[-1]["weight"] = weight
    return inventory(servers, deps)


@pytest.mark.parametrize("seed", range(12))
def test_resolution_is_the_row_by_row_one(seed: int) -> None:
    inv = _estate(seed)
    lookup = _ServerLookup.of(inv.servers)
    deps = inv.dependencies
    for names, ips in (("source", "source_ip"), ("target", "target_ip")):
        found = lookup.resolve(deps[names], deps[ips])
        np.testing.assert_array_equal(found, _reference_resolve(inv.servers, deps[names], deps[ips]))
        assert (found >= 0).mean() > 0.5 and (found < 0).any()  # both outcomes occur


@pytest.mark.parametrize("seed", range(12))
def test_edges_ports_and_peers_are_the_grouped_ones(seed: int) -> None:
    inv = _estate(seed)
    deps, lookup = inv.dependencies, _ServerLookup.of(inv.servers)
    src = lookup.resolve(deps["source"], deps["source_ip"])
    dst = lookup.resolve(deps["target"], deps["target_ip"])
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    edges, ports = _edges_and_ports(deps, src, dst, ok, len(inv.servers))
    expected_edges, expected_ports = _reference_edges_and_ports(deps, src, dst, ok)
    pd.testing.assert_frame_equal(edges, expected_edges, check_exact=True)
    pd.testing.assert_frame_equal(ports, expected_ports, check_exact=True)
    assert ports["port"].isna().any() and (edges["rows"] > 1).any()
    declared = np.zeros(len(inv.servers), bool)
    declared[::5] = True
    for got, want in zip(
        _peer_counts(inv.servers, edges, declared),
        _reference_peer_counts(inv.servers, edges, declared),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def test_a_cell_listing_several_ips_is_split_and_a_shared_ip_matches_nobody() -> None:
    ips = graph._unique_ips(pd.Series(["10.0.0.1; 10.0.0.2", "10.0.0.3", "10.0.0.3", " 10.0.0.4,", ""]))
    assert ips.to_dict() == {"10.0.0.1": 0, "10.0.0.2": 0, "10.0.0.4": 3}


def _pandas_sums(key: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grouped = pd.Series(values).groupby(key, sort=True)
    return grouped.sum().index.to_numpy(), grouped.sum().to_numpy(), grouped.size().to_numpy()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("largest", [graph.LARGEST_GROUP, 3])
def test_group_sums_are_pandas_groupby_sums_to_the_last_bit(seed: int, largest: int, monkeypatch) -> None:
    # Kahan-compensated sums of awkward values (thirds, huge and tiny ones, NaN skipped, infinities, -0.0), in
    # groups of up to 40 rows; with a small LARGEST_GROUP the large groups go to pandas itself.
    monkeypatch.setattr(graph, "LARGEST_GROUP", largest)
    rng = np.random.default_rng(seed)
    n = 3000
    key = rng.integers(0, 200, n) * 7919 - 50_000
    values = rng.choice([1 / 3, 0.1, 1e16, -1e16, 1e-9, 2.5, -0.0, np.nan], n) * rng.integers(1, 40, n)
    values[rng.integers(0, n, 3)] = rng.choice([np.inf, -np.inf], 3)
    keys, sums, sizes, inverse = graph.group_sums(key, values)
    expected_keys, expected_sums, expected_sizes = _pandas_sums(key, values)
    np.testing.assert_array_equal(keys, expected_keys)
    np.testing.assert_array_equal(sizes, expected_sizes)
    assert sums.tobytes() == expected_sums.tobytes()  # bit for bit (NaN, -0.0 and infinities included)
    np.testing.assert_array_equal(keys[inverse], key)
    assert not np.array_equal(sums, np.bincount(np.searchsorted(keys, key), np.nan_to_num(values)))


def test_group_sums_of_nothing() -> None:
    keys, sums, sizes, inverse = graph.group_sums(np.zeros(0, dtype=np.int64), np.zeros(0))
    assert len(keys) == len(sums) == len(sizes) == len(inverse) == 0


def _reference_external(part: pd.DataFrame) -> pd.DataFrame:
    """The per-group Python aggregation the stage used: each group's distinct ports sorted in a lambda."""
    external = (
        part.groupby(["server", "address", "direction"], sort=True)
        .agg(
            weight=("weight", "sum"),
            rows=("weight", "size"),
            ports=("port", lambda p: sorted({int(x) for x in p.dropna()})),
        )
        .reset_index()
    )
    external["kind"] = external["address"].map(graph._classify)
    return external


@pytest.mark.parametrize("seed", range(4))
def test_external_endpoints_are_the_per_group_aggregation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 2000
    part = pd.DataFrame(
        {
            "server": rng.integers(0, 40, k),
            "address": rng.choice(["203.0.113.7", "10.1.2.3", "ghost", "fe80::1", "8.8.8.8"], k).tolist(),
            "direction": rng.choice(["outbound", "inbound"], k).tolist(),
            "port": pd.Series(rng.choice([443, 80, 53, 8080, -1], k)).replace(-1, None).astype("Int64"),
            "weight": rng.random(k) / 3,
        }
    )
    part.loc[part["address"].eq("ghost"), "port"] = pd.NA  # groups without any port: an empty list
    found = graph._external_endpoints([part])
    pd.testing.assert_frame_equal(found, _reference_external(part), check_exact=True)
    assert found["ports"].map(len).eq(0).any() and found["ports"].map(len).gt(1).any()


def test_address_kinds_are_those_ipaddress_gives() -> None:
    # Every IPv4 range boundary the classification draws, spellings ipaddress refuses (leading zeros, an octet
    # over 255, three octets, spaces, non-ASCII digits), IPv6 and names.
    rng = np.random.default_rng(0)
    octets = rng.choice(
        [0, 1, 9, 10, 15, 16, 31, 32, 63, 64, 99, 100, 127, 128, 168, 169, 172, 192], (3000, 4)
    )
    octets[:, 0] = rng.choice([0, 1, 10, 100, 126, 127, 128, 169, 172, 192, 223, 224, 239, 240, 255], 3000)
    addresses = [".".join(map(str, row)) for row in octets.tolist()]
    addresses += ["0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5"]
    addresses += [
        " 10.0.0.1",
        "10.0.0.1 ",
        "١٠.0.0.1",
        "fe80::1",
        "::1",
        "2001:db8::1",
        "ghost",
        "",
        "a.b.c.d",
    ]
    series = pd.Series(addresses + addresses[:50], dtype=object)
    found = graph._kinds(series)
    assert found.tolist() == [graph._classify(a) for a in series]
    assert set(found) == {"local", "private", "internet", "unresolved-name"}
