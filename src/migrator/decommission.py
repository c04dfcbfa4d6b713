"""Stage: when each server leaves the data center.

A migrating server leaves at the end of its wave. A retired server is decommissioned once the last migrating
server that uses it (or shares its application) has moved. A shared service is decommissioned on premises
after its last dependant moves (in either direction: a backup server connects to the servers it protects),
unless something that stays still uses it. Retained servers never leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migrator.errors import Finding
from migrator.footprint import NEVER
from migrator.graph import DependencyGraph
from migrator.outputs.text import plural
from migrator.schedule import WavePlan
from migrator.shared_services import Scope

TOP_PORTS = 8  # ports listed per shared service


@dataclass(frozen=True)
class Decommission:
    leave: np.ndarray  # datetime64[D] per server: the day it stops using the data center; NEVER when it stays
    shared_services: list[dict[str, Any]]  # one row per shared service (plan.json ``shared_services``)
    findings: list[Finding]


@dataclass(frozen=True)
class _Usage:
    """Who uses the servers whose date depends on their users: retired servers and shared services."""

    pairs: pd.DataFrame  # dst (the used server), user, leave (the user's), user_planned, user_stays
    last_user: pd.Series  # dst -> the latest leave date of a planned user
    first_end: np.datetime64  # end of the first migration wave (or the calendar start when there is none)


def plan_decommission(
    servers: pd.DataFrame, graph: DependencyGraph, scope: Scope, waves: WavePlan, start: np.datetime64
) -> Decommission:
    leave, usage = _leave(servers, graph, scope, waves, start)
    findings = _retired_but_in_use(servers, scope, usage)
    handling = _shared_handling(leave, servers, graph, scope, waves, usage)
    rows = _shared_service_rows(handling, servers, graph, scope, waves)
    return Decommission(leave=leave, shared_services=rows, findings=findings)


def leave_dates(
    servers: pd.DataFrame, graph: DependencyGraph, scope: Scope, waves: WavePlan, start: np.datetime64
) -> np.ndarray:
    """The ``leave`` of :func:`plan_decommission` alone (no findings, no shared-service rows): for a caller
    that only needs when each server leaves (a capacity probe of the reach stage)."""
    leave, usage = _leave(servers, graph, scope, waves, start)
    _shared_handling(leave, servers, graph, scope, waves, usage)
    return leave


def _leave(
    servers: pd.DataFrame, graph: DependencyGraph, scope: Scope, waves: WavePlan, start: np.datetime64
) -> tuple[np.ndarray, _Usage]:
    """When each server leaves, shared services aside (their dates come with their handling), and who uses
    the servers whose date depends on their users."""
    leave = np.full(len(servers), NEVER, dtype="datetime64[D]")
    moved = scope.planned & np.isfinite(waves.server_wave)
    leave[moved] = waves.end_of(waves.server_wave[moved])
    usage = _usage(graph, scope, waves, leave, start)
    _retire_dates(leave, servers, scope, usage, moved)
    return leave, usage


def _usage(
    graph: DependencyGraph, scope: Scope, waves: WavePlan, leave: np.ndarray, start: np.datetime64
) -> _Usage:
    es, ed = graph.edges["src"].to_numpy(), graph.edges["dst"].to_numpy()
    # A retired server is used by the servers that depend on it; a shared service by every peer (either way).
    # The pairs that matter only: (dst, user) = (edge dst, edge src), then (edge src, edge dst) for shared
    # services, numbered as in the two lists one after the other.
    ahead, back = np.flatnonzero(scope.retire[ed] | scope.shared[ed]), np.flatnonzero(scope.shared[es])
    kept = np.concatenate([ahead, back + len(ed)])
    dst, user = np.concatenate([ed[ahead], es[back]]), np.concatenate([es[ahead], ed[back]])
    pairs = pd.DataFrame(
        {
            "dst": dst,
            "user": user,
            "leave": leave[user],
            "user_planned": scope.planned[user],
            "user_stays": scope.stays[user],
        },
        index=kept,
    )
    last_user = pairs[pairs["user_planned"]].groupby("dst")["leave"].max()
    ends = waves.ends
    first_end = ends[waves.first_wave - 1] if len(waves.dates) >= waves.first_wave else start
    return _Usage(pairs=pairs, last_user=last_user, first_end=first_end)


def _retire_dates(
    leave: np.ndarray, servers: pd.DataFrame, scope: Scope, usage: _Usage, moved: np.ndarray
) -> None:
    """Retired servers go once every migrating server using them (or sharing their application) has moved."""
    app, names = pd.factorize(servers["application"].to_numpy())  # applications as numbers (-1: none)
    app[np.isin(app, np.flatnonzero(names == ""))] = -1
    kept = moved & (app >= 0)
    app_last = pd.Series(leave[kept]).groupby(app[kept]).max()
    r_idx = np.flatnonzero(scope.retire)
    r_dates = np.full(len(r_idx), usage.first_end, dtype="datetime64[D]")
    by_user = usage.last_user.reindex(r_idx).to_numpy()
    by_app = app_last.reindex(app[r_idx]).to_numpy()
    for candidate in (by_user, by_app):
        cand = np.asarray(candidate, dtype="datetime64[D]")
        ok = ~np.isnat(cand)
        r_dates[ok] = np.maximum(r_dates[ok], cand[ok])
    leave[r_idx] = r_dates


def _retired_but_in_use(servers: pd.DataFrame, scope: Scope, usage: _Usage) -> list[Finding]:
    pairs = usage.pairs
    blocked = pairs[pairs["user_stays"] & scope.retire[pairs["dst"].to_numpy()]]["dst"].unique()
    if not len(blocked):
        return []
    names = servers["name"].to_numpy()
    return [
        Finding(
            "retire-in-use",
            f"{plural(len(blocked), 'server')} marked retire {'is' if len(blocked) == 1 else 'are'} still "
            "used by retained servers: " + ", ".join(sorted(names[blocked])[:20]),
        )
    ]


def _ports_by_service(top: pd.DataFrame) -> dict[int, list[int]]:
    """The first ``TOP_PORTS`` ports of each shared service (``top`` sorted by service, busiest first): one
    pass over the rows, not one scan per service."""
    head = top.groupby("dst", sort=False).head(TOP_PORTS)
    dst, port = head["dst"].to_numpy(), head["port"].to_numpy().astype(int)
    if not len(dst):
        return {}
    starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]])
    ends = np.r_[starts[1:], len(dst)]
    return {int(dst[a]): port[a:b].tolist() for a, b in zip(starts, ends, strict=True)}


def _top_ports(graph: DependencyGraph, scope: Scope) -> pd.DataFrame:
    """The ports each shared service is reached on, busiest first (dst, port, weight)."""
    ports = graph.ports[scope.shared[graph.ports["dst"].to_numpy()]]
    return (
        ports.dropna(subset=["port"])
        .groupby(["dst", "port"])["weight"]
        .sum()
        .reset_index()
        .sort_values(["dst", "weight", "port"], ascending=[True, False, True], kind="mergesort")
    )


def _shared_handling(
    leave: np.ndarray,
    servers: pd.DataFrame,
    graph: DependencyGraph,
    scope: Scope,
    waves: WavePlan,
    usage: _Usage,
) -> list[tuple[str, str, np.datetime64 | None]]:
    """Each shared service's disposition, what happens to it on premises and when it goes (None: never), in
    the order of ``graph.shared_services``; its leave date set where it goes."""
    pairs = usage.pairs
    used_by_stayers = set(pairs.loc[pairs["user_stays"], "dst"].tolist())
    out = []
    for s in graph.shared_services["server"].tolist():
        disposition = str(servers["disposition"].iat[s])
        how, decommission = _handling(s, disposition, scope, waves, usage, s in used_by_stayers)
        if decommission is not None:
            leave[s] = decommission
        out.append((disposition, how, decommission))
    return out


def _shared_service_rows(
    handling: list[tuple[str, str, np.datetime64 | None]],
    servers: pd.DataFrame,
    graph: DependencyGraph,
    scope: Scope,
    waves: WavePlan,
) -> list[dict[str, Any]]:
    top_ports = _ports_by_service(_top_ports(graph, scope))
    names = servers["name"].to_numpy()
    rows: list[dict[str, Any]] = []
    found = graph.shared_services
    for s, role, detected_by, peers, applications, (disposition, how, decommission) in zip(
        found["server"].tolist(),
        found["role"].tolist(),
        found["detected_by"].tolist(),
        found["peers"].tolist(),
        found["applications"].tolist(),
        handling,
        strict=True,
    ):
        wave = waves.server_wave[s]
        rows.append(
            {
                "server": str(names[s]),
                "role": str(role),
                "detected_by": str(detected_by),
                "dependants": int(peers),
                "applications": int(applications),
                "treatment": scope.treatment if disposition not in ("retain", "retire") else disposition,
                "handling": how,
                "wave": None if not np.isfinite(wave) else int(wave),
                "decommission_date": _day(decommission),
                "top_ports": top_ports.get(s, []),
                "disposition": disposition,
            }
        )
    rows.sort(key=lambda r: (-int(r["dependants"]), str(r["server"])))
    return rows


def _day(day: np.datetime64 | None) -> str | None:
    return None if day is None or pd.isna(day) else str(pd.Timestamp(day).date())


def _handling(
    s: int, disposition: str, scope: Scope, waves: WavePlan, usage: _Usage, used_by_stayers: bool
) -> tuple[str, np.datetime64 | None]:
    """What happens to shared service ``s`` on premises, and when its on-premises copy goes (None: never)."""
    last = usage.last_user.get(s)
    last = None if last is None or pd.isna(last) else last
    if disposition == "retain" or scope.treatment == "retain":
        return "retained on premises", None
    if disposition == "retire":
        return "retired once its last dependant has moved", usage.first_end if last is None else last
    if scope.treatment == "foundation":
        how = (
            "extended to Azure in the foundation wave (wave 1); "
            "on-premises copy decommissioned after its last dependant moves"
        )
        if used_by_stayers:
            return how + ", but retained servers still use it, so it stays", None
        ends = waves.ends
        return how, ends[0] if last is None else max(ends[0], last)
    wave = waves.server_wave[s : s + 1]
    return f"moved last, in wave {int(wave[0])}", waves.end_of(wave)[0]
