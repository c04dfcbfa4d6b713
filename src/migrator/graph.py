"""The dependency graph: dependency rows resolved to servers, aggregated to weighted edges, hubs detected.

Rows name servers by name (case-insensitive, with or without a DNS suffix) or, failing that, by IP. What does not
resolve is kept: private or internet endpoints outside the inventory, and names not in the inventory, each reported.
Shared-service hubs (domain controllers, DNS, monitoring, ...) are found from the ``role`` column and, unless
disabled, from the graph: a server whose peers span many applications. Hubs are planned apart so they do not
glue the estate into one move group.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.errors import Finding, display_path
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


def _resolve(
    names: pd.Series, ips: pd.Series, name_index: pd.Index, short_index: pd.Index, ip_index: pd.Series
) -> np.ndarray:
    """Server position for each endpoint, or -1."""
    lower = names.str.lower()
    pos = name_index.get_indexer(lower)
    missing = (pos < 0) & lower.ne("").to_numpy()
    if missing.any():
        short = lower[missing].str.split(".", n=1).str[0]
        pos[missing] = short_index.get_indexer(short)
    missing = pos < 0
    if missing.any() and len(ip_index):
        by_ip = ip_index.reindex(ips[missing].to_numpy()).to_numpy()
        found = ~pd.isna(by_ip)
        idx = np.flatnonzero(missing)
        pos[idx[found]] = by_ip[found].astype(np.int64)
    return pos


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


def build_graph(
    servers: pd.DataFrame, deps: pd.DataFrame, group_key: pd.Series, settings: SharedServiceSettings
) -> DependencyGraph:
    findings: list[Finding] = []
    n = len(servers)
    lower = servers["name"].str.lower()
    name_index = pd.Index(lower)
    short = lower.str.split(".", n=1).str[0]
    short_unique = ~short.duplicated(keep=False)
    short_index = pd.Index(short.where(short_unique, "\x00dup"))
    ip_rows = servers.loc[servers["ip"].ne(""), "ip"].str.split(r"[;,\s]+").explode()
    ip_rows = ip_rows[ip_rows.ne("")]
    ip_rows = ip_rows[~ip_rows.duplicated(keep=False)]
    ip_index = pd.Series(ip_rows.index.to_numpy(), index=ip_rows.to_numpy())

    if len(deps):
        src = _resolve(deps["source"], deps["source_ip"], name_index, short_index, ip_index)
        dst = _resolve(deps["target"], deps["target_ip"], name_index, short_index, ip_index)
    else:
        src = dst = np.zeros(0, dtype=np.int64)
    ok = (src >= 0) & (dst >= 0)
    self_loop = ok & (src == dst)
    ok &= ~self_loop

    # Unresolved endpoints: outside the inventory.
    ext_frames = []
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
            ext_frames.append(part[["server", "address", "direction", "port", "weight"]])
    neither = (src < 0) & (dst < 0)
    stats = {
        "rows": len(deps),
        "resolved_rows": int(ok.sum()),
        "self_loops": int(self_loop.sum()),
        "external_rows": int(sum(len(f) for f in ext_frames)),
        "unresolved_rows": int(neither.sum()),
    }
    if neither.any():
        unknown = (
            pd.concat([deps.loc[neither, "source"], deps.loc[neither, "target"]]).replace("", np.nan).dropna()
        )
        names = sorted(set(unknown))
        findings.append(
            Finding(
                "unknown-servers",
                f"{int(neither.sum())} dependency rows name no inventory server at either end; ignored. Names: "
                + ", ".join(names[:20])
                + (f" and {len(names) - 20} more" if len(names) > 20 else ""),
                file=display_path(str(deps.loc[neither, "_file"].iat[0])),
                row=int(deps.loc[neither, "_row"].iat[0]),
            )
        )
    if ext_frames:
        ext = pd.concat(ext_frames, ignore_index=True)
        ext["server"] = ext["server"].astype(np.int64)
        external = (
            ext.groupby(["server", "address", "direction"], sort=True)
            .agg(
                weight=("weight", "sum"),
                rows=("weight", "size"),
                ports=("port", lambda p: sorted({int(x) for x in p.dropna()})),
            )
            .reset_index()
        )
        kinds = {a: _classify(a) for a in external["address"].unique()}
        external["kind"] = external["address"].map(kinds)
        unresolved = external[external["kind"].eq("unresolved-name")]
        if len(unresolved):
            names = sorted(unresolved["address"].unique())
            findings.append(
                Finding(
                    "unknown-servers",
                    f"dependencies name {len(names)} servers that are not in the inventory; kept as external endpoints: "
                    + ", ".join(names[:20])
                    + (f" and {len(names) - 20} more" if len(names) > 20 else ""),
                )
            )
    else:
        external = pd.DataFrame(
            {
                "server": pd.Series(dtype=np.int64),
                "address": pd.Series(dtype=object),
                "direction": pd.Series(dtype=object),
                "weight": pd.Series(dtype=float),
                "rows": pd.Series(dtype=np.int64),
                "ports": pd.Series(dtype=object),
                "kind": pd.Series(dtype=object),
            }
        )

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

    hubs = detect_hubs(servers, edges, group_key, settings, n)
    return DependencyGraph(
        edges=edges, ports=ports, external=external, shared_services=hubs, findings=tuple(findings), stats=stats
    )


def detect_hubs(
    servers: pd.DataFrame, edges: pd.DataFrame, group_key: pd.Series, settings: SharedServiceSettings, n: int
) -> pd.DataFrame:
    """Shared-service hubs: role column first, then peers spanning many applications."""
    role = servers["role"].to_numpy()
    forced = servers["role"].isin(SHARED_ROLES).to_numpy()
    forbidden = servers["role"].isin(NOT_SHARED_ROLES).to_numpy()
    peers = np.zeros(n, dtype=np.int64)
    peer_apps = np.zeros(n, dtype=np.int64)
    if len(edges):
        src, dst = edges["src"].to_numpy(), edges["dst"].to_numpy()
        und = pd.DataFrame(
            {"a": np.concatenate([src, dst]), "b": np.concatenate([dst, src])}
        ).drop_duplicates()
        peers = np.bincount(und["a"].to_numpy(), minlength=n)
        # Peers that are themselves declared shared services do not make a server a hub.
        und = und[~forced[und["b"].to_numpy()]]
        app_codes, _ = pd.factorize(
            servers["application"].where(servers["application"].ne(""), servers["name"])
        )
        und["app"] = app_codes[und["b"].to_numpy()]
        napps = und.drop_duplicates(["a", "app"])["a"].to_numpy()
        peer_apps = np.bincount(napps, minlength=n)
    n_apps = max(int(servers["application"].replace("", np.nan).nunique()), 1)
    need_apps = max(settings.min_applications, int(np.ceil(settings.application_share * n_apps)))
    detected = (peer_apps >= need_apps) & (peers >= settings.min_dependants) & ~forbidden & ~forced
    if not settings.detect:
        detected[:] = False
    is_hub = forced | detected
    idx = np.flatnonzero(is_hub)
    return pd.DataFrame(
        {
            "server": idx.astype(np.int64),
            "role": [r if r else "shared service" for r in role[idx]],
            "detected_by": np.where(forced[idx], "role", "graph"),
            "peers": peers[idx],
            "applications": peer_apps[idx],
        }
    )
