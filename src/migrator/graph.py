"""The dependency graph: dependency rows resolved to servers, aggregated to weighted edges; shared services.

Rows name servers by name (case-insensitive, with or without a DNS suffix) or, failing that, by IP. What does
not resolve is kept: private or internet endpoints outside the inventory, and names not in the inventory, each
reported. Shared services (domain controllers, DNS, monitoring, ...) are found from the ``role`` column and,
unless disabled, from the graph: a server whose peers span many applications. Shared services are planned
apart so they do not glue the estate into one move group.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.errors import Finding, display_path
from migrator.outputs.text import plural
from migrator.schema import NOT_SHARED_ROLES, SHARED_ROLES
from migrator.settings import SharedServiceSettings


@dataclass(frozen=True)
class DependencyGraph:
    """Edges between servers (integer positions in the servers table), aggregated over rows.

    ``edges``: src, dst, weight, rows (directed: src depends on dst).
    ``ports``: src, dst, port, weight per distinct port (for reporting the traffic that crosses waves).
    ``external``: server, address, kind (private | internet | unresolved-name), direction, ports, weight.
    ``shared_services``: server position -> (role, detected_by, peers, applications).
    """

    edges: pd.DataFrame
    ports: pd.DataFrame
    external: pd.DataFrame
    shared_services: pd.DataFrame
    findings: tuple[Finding, ...]
    stats: dict[str, int]


_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def _classify(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unresolved-name"
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return "local"
    return "private" if any(ip in net for net in _PRIVATE if net.version == ip.version) else "internet"


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # what ipaddress accepts: 0-255, no leading zero
_DOTTED_QUAD = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


def _kinds(addresses: pd.Series) -> pd.Series:
    """``_classify`` of each address: dotted-quad IPv4 addresses by their octets, in arrays (an estate's
    telemetry names many thousands); anything else one distinct address at a time."""
    unique = pd.Series(addresses.unique(), dtype=object)
    kind = np.full(len(unique), "", dtype=object)
    quad = unique.str.fullmatch(_DOTTED_QUAD).fillna(False).to_numpy(bool)
    if quad.any():
        octets = unique[quad].str.split(".", expand=True).astype(np.int64).to_numpy()
        a, b = octets[:, 0], octets[:, 1]
        local = (a == 127) | ((a == 169) & (b == 254)) | ((a >= 224) & (a <= 239)) | (octets.sum(axis=1) == 0)
        private = (a == 10) | ((a == 172) & (b >= 16) & (b <= 31)) | ((a == 192) & (b == 168))
        private |= (a == 100) & (b >= 64) & (b <= 127)  # the _PRIVATE networks
        kind[quad] = np.where(local, "local", np.where(private, "private", "internet"))
    kind[~quad] = [_classify(x) for x in unique[~quad]]
    return addresses.map(pd.Series(kind, index=unique.to_numpy()))


@dataclass(frozen=True)
class _ServerLookup:
    """Where an endpoint is in the servers table: by full name, by unique short name, by unique IP."""

    names: pd.Index
    short_names: pd.Index
    ips: pd.Series  # IP -> server position

    @classmethod
    def of(cls, servers: pd.DataFrame) -> _ServerLookup:
        lower = servers["name"].str.lower()
        short = lower.str.split(".", n=1).str[0]
        short_unique = ~short.duplicated(keep=False)
        return cls(
            names=pd.Index(lower),
            # a short name two servers share matches neither (one placeholder each: the index stays unique)
            short_names=pd.Index(
                short.where(short_unique, "\x00dup" + pd.Series(range(len(short)), short.index).astype(str))
            ),
            ips=_unique_ips(servers["ip"]),
        )

    def resolve(self, names: pd.Series, ips: pd.Series) -> np.ndarray:
        """Server position for each endpoint, or -1. Names are looked up once per distinct spelling."""
        codes, spellings = pd.factorize(names, use_na_sentinel=False)
        pos = self._by_name(pd.Series(spellings))[codes]
        missing = pos < 0
        if missing.any() and len(self.ips):
            by_ip = self.ips.reindex(ips[missing].to_numpy()).to_numpy()
            found = ~pd.isna(by_ip)
            idx = np.flatnonzero(missing)
            pos[idx[found]] = by_ip[found].astype(np.int64)
        return pos

    def _by_name(self, names: pd.Series) -> np.ndarray:
        """Server position for each name (full name, then unique short name), or -1."""
        lower = names.str.lower()
        pos = self.names.get_indexer(pd.Index(lower))
        missing = (pos < 0) & lower.ne("").to_numpy()
        if missing.any():
            short = lower[missing].str.split(".", n=1).str[0]
            pos[missing] = self.short_names.get_indexer(pd.Index(short))
        return np.asarray(pos, dtype=np.int64)


_IP_SEPARATOR = r"[;,\s]+"


def _unique_ips(ip: pd.Series) -> pd.Series:
    """IP -> server position, for the IPs (a cell may list several) that exactly one server has."""
    listed = ip[ip.ne("")]
    several = listed.str.contains(_IP_SEPARATOR, regex=True, na=False).to_numpy(bool)
    split = (
        listed[several].str.split(_IP_SEPARATOR).explode()
    )  # only the cells listing several: the slow part
    ip_rows = pd.concat([listed[~several], split[split.ne("")]])
    ip_rows = ip_rows[~ip_rows.duplicated(keep=False)]
    return pd.Series(ip_rows.index.to_numpy(), index=ip_rows.to_numpy())


def _some_names(names: list[str], shown: int = 20) -> str:
    """The first names, and how many more there are."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _rows_naming_no_server(deps: pd.DataFrame, neither: np.ndarray) -> Finding:
    unknown = (
        pd.concat([deps.loc[neither, "source"], deps.loc[neither, "target"]]).replace("", np.nan).dropna()
    )
    return Finding(
        "unknown-servers",
        f"{int(neither.sum())} dependency rows name no inventory server at either end; ignored. Names: "
        + _some_names(sorted(set(unknown))),
        file=display_path(str(deps["_file"].to_numpy()[neither][0])),
        row=int(deps["_row"].to_numpy()[neither][0]),
    )


def _external_rows(deps: pd.DataFrame, src: np.ndarray, dst: np.ndarray) -> list[pd.DataFrame]:
    """Rows with one end in the inventory and the other outside it, from the inventory server's side."""
    frames = []
    for here, there, there_name, there_ip, direction in (
        (src, dst, "target", "target_ip", "outbound"),
        (dst, src, "source", "source_ip", "inbound"),
    ):
        mask = (here >= 0) & (there < 0)
        if mask.any():
            part = deps.loc[mask, [there_name, there_ip, "port", "weight"]].copy()
            part["address"] = part[there_ip].where(part[there_ip].ne(""), part[there_name])
            part["server"] = here[mask]
            part["direction"] = direction
            frames.append(part[["server", "address", "direction", "port", "weight"]])
    return frames


_NO_EXTERNAL = {
    "server": np.int64,
    "address": object,
    "direction": object,
    "weight": float,
    "rows": np.int64,
    "ports": object,
    "kind": object,
}


def _external_endpoints(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """External rows aggregated per server, address and direction, each address classified."""
    if not frames:
        return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in _NO_EXTERNAL.items()})
    ext = pd.concat(frames, ignore_index=True)
    ext["server"] = ext["server"].astype(np.int64)
    grouped = ext.groupby(["server", "address", "direction"], sort=True)
    external = grouped.agg(weight=("weight", "sum"), rows=("weight", "size")).reset_index()
    external["ports"] = _distinct_ports(grouped.ngroup(), ext["port"], len(external))
    external["kind"] = _kinds(external["address"])
    return external


def _distinct_ports(group: pd.Series, port: pd.Series, n: int) -> list[list[int]]:
    """Per group (numbered 0..n-1; NaN for a row in none): its distinct ports, ascending, as Python ints."""
    group_of = group.fillna(-1).to_numpy(np.int64)
    has = port.notna().to_numpy(bool) & (group_of >= 0)
    pairs = pd.DataFrame({"group": group_of[has], "port": port[has].to_numpy(np.int64)}).drop_duplicates()
    pairs = pairs.sort_values(["group", "port"], kind="mergesort")
    bounds = np.searchsorted(pairs["group"].to_numpy(), np.arange(n + 1)).tolist()
    ports = pairs["port"].tolist()
    return [ports[lo:hi] for lo, hi in itertools.pairwise(bounds)]


def _names_not_in_inventory(external: pd.DataFrame) -> Finding | None:
    unresolved = external[external["kind"].eq("unresolved-name")]
    if not len(unresolved):
        return None
    names = sorted(unresolved["address"].unique())
    return Finding(
        "unknown-servers",
        f"dependencies name {plural(len(names), 'server')} that {'is' if len(names) == 1 else 'are'} not in "
        "the inventory; "
        "kept as external endpoints: " + _some_names(names),
    )


def _edges_and_ports(
    deps: pd.DataFrame, src: np.ndarray, dst: np.ndarray, ok: np.ndarray, n: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolved rows summed per (src, dst) edge and per (src, dst, port), in that order (no port last)."""
    src, dst = src[ok].astype(np.int64), dst[ok].astype(np.int64)
    weight = deps["weight"].to_numpy(float)[ok]
    edge_key, edge_weight, edge_rows, edge = group_sums(src * n + dst, weight)
    edges = pd.DataFrame(
        {"src": edge_key // n, "dst": edge_key % n, "weight": edge_weight, "rows": edge_rows}
    )
    port = deps["port"].to_numpy()[ok]  # as the rows had it: int64, or float64 when a port is missing
    port_rank, port_values = pd.factorize(port, sort=True, use_na_sentinel=False)
    width = max(len(port_values), 1)
    port_key, port_weight, _, _ = group_sums(edge * width + port_rank, weight)
    edge_of = port_key // width
    ports = pd.DataFrame(
        {
            "src": edges["src"].to_numpy()[edge_of],
            "dst": edges["dst"].to_numpy()[edge_of],
            "port": port_values.take(port_key % width),
            "weight": port_weight,
        }
    )
    return edges, ports


LARGEST_GROUP = 256  # group_sums hands larger groups to pandas (it takes one numpy step per rank)


def group_sums(key: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys in ascending order, each one's sum of values and number of rows, and each row's
    group: exactly ``pd.Series(values).groupby(key, sort=True)``'s sum and size (pandas adds a group's values
    in row order with Kahan compensation, skipping NaN), without pandas' hashing: a stable sort, then one
    vectorised compensated step per rank within the groups (pandas sums groups over ``LARGEST_GROUP``)."""
    order = np.argsort(np.asarray(key, dtype=np.int64), kind="stable")
    ranked = np.asarray(key, dtype=np.int64)[order]
    new = np.ones(len(ranked), dtype=bool)
    new[1:] = ranked[1:] != ranked[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    inverse = np.empty_like(group)
    inverse[order] = group
    size = np.diff(np.append(starts, len(ranked)))
    values = np.asarray(values, dtype=float)[order]
    rank = np.arange(len(ranked)) - starts[group]
    big = (size > LARGEST_GROUP)[group]  # rows of the groups pandas sums
    total = _compensated_sums(group, values, rank, np.flatnonzero(~big & ~np.isnan(values)), len(starts))
    if big.any():
        summed = pd.Series(values[big]).groupby(group[big], sort=True).sum()
        total[summed.index.to_numpy()] = summed.to_numpy(float)
    return ranked[starts], total, size.astype(np.int64), inverse


def _compensated_sums(
    group: np.ndarray, values: np.ndarray, rank: np.ndarray, rows: np.ndarray, n: int
) -> np.ndarray:
    """Per group, its ``rows`` (no NaN among them) added as pandas adds them: Kahan-compensated, in rank order
    (the rank of a row within its group, under ``LARGEST_GROUP``), one vectorised step per rank."""
    by_rank = rows[np.argsort(rank[rows].astype(np.int16), kind="stable")]  # small: numpy radix-sorts it
    per_rank = np.bincount(rank[by_rank])
    bounds = np.cumsum(per_rank)
    total, compensation = np.zeros(n), np.zeros(n)
    with np.errstate(invalid="ignore", over="ignore"):  # infinite values: as in pandas, no warning
        for lo, hi in zip((bounds - per_rank).tolist(), bounds.tolist(), strict=True):
            at = group[by_rank[lo:hi]]
            y = values[by_rank[lo:hi]] - compensation[at]
            t = total[at] + y
            c = t - total[at] - y
            c[~np.isfinite(c)] = 0.0  # pandas resets the compensation after an infinite value
            compensation[at], total[at] = c, t
    return total


def build_graph(
    servers: pd.DataFrame, deps: pd.DataFrame, settings: SharedServiceSettings
) -> DependencyGraph:
    """Resolve the dependency rows to servers, aggregate them, keep the outside, find the shared services."""
    if len(deps):
        lookup = _ServerLookup.of(servers)
        src = lookup.resolve(deps["source"], deps["source_ip"])
        dst = lookup.resolve(deps["target"], deps["target_ip"])
    else:
        src = dst = np.zeros(0, dtype=np.int64)
    ok = (src >= 0) & (dst >= 0)
    self_loop = ok & (src == dst)
    ok &= ~self_loop
    neither = (src < 0) & (dst < 0)
    ext_frames = _external_rows(deps, src, dst)
    stats = {
        "rows": len(deps),
        "resolved_rows": int(ok.sum()),
        "self_loops": int(self_loop.sum()),
        "external_rows": int(sum(len(f) for f in ext_frames)),
        "unresolved_rows": int(neither.sum()),
    }
    external = _external_endpoints(ext_frames)
    findings = [_rows_naming_no_server(deps, neither)] if neither.any() else []
    not_in_inventory = _names_not_in_inventory(external)
    if not_in_inventory is not None:
        findings.append(not_in_inventory)
    edges, ports = _edges_and_ports(deps, src, dst, ok, len(servers))
    return DependencyGraph(
        edges=edges,
        ports=ports,
        external=external,
        shared_services=detect_shared_services(servers, edges, settings),
        findings=tuple(findings),
        stats=stats,
    )


def _peer_counts(
    servers: pd.DataFrame, edges: pd.DataFrame, declared: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per server: distinct peers (either direction), and distinct applications among its peers.

    Peers that are themselves declared shared services do not count towards the applications.
    """
    n = len(servers)
    if not len(edges):
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    src, dst = edges["src"].to_numpy(np.int64), edges["dst"].to_numpy(np.int64)
    pair = pd.unique(np.concatenate([src * n + dst, dst * n + src]))  # (server, peer), each once
    server, peer = pair // n, pair % n
    peers = np.bincount(server, minlength=n)
    application = servers["application"]
    app_codes, apps = pd.factorize(application.where(application.ne(""), servers["name"]))
    counted = ~declared[peer]
    width = len(apps) + 1  # codes from -1 (no application nor name)
    server_app = pd.unique(server[counted] * width + app_codes[peer[counted]] + 1)
    return peers, np.bincount(server_app // width, minlength=n)


def detect_shared_services(
    servers: pd.DataFrame, edges: pd.DataFrame, settings: SharedServiceSettings
) -> pd.DataFrame:
    """Shared services: the role column first, then servers whose peers span many applications."""
    role = servers["role"].to_numpy()
    declared = servers["role"].isin(SHARED_ROLES).to_numpy()
    forbidden = servers["role"].isin(NOT_SHARED_ROLES).to_numpy()
    peers, peer_apps = _peer_counts(servers, edges, declared)
    n_apps = max(int(servers["application"].replace("", np.nan).nunique()), 1)
    need_apps = max(settings.min_applications, int(np.ceil(settings.application_share * n_apps)))
    detected = (peer_apps >= need_apps) & (peers >= settings.min_dependants) & ~forbidden & ~declared
    if not settings.detect:
        detected[:] = False
    idx = np.flatnonzero(declared | detected)
    return pd.DataFrame(
        {
            "server": idx.astype(np.int64),
            "role": [r if r else "shared service" for r in role[idx]],
            "detected_by": np.where(declared[idx], "role", "graph"),
            "peers": peers[idx],
            "applications": peer_apps[idx],
        }
    )
