"""Stage: waves on a calendar.

Move groups are packed into waves by :func:`migrator.waves.schedule`; this stage adds the shared services
(a foundation wave before the workloads, or a wave after them), gives every server its wave and every wave its
kind and dates (:mod:`migrator.dates`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from migrator.dates import wave_dates
from migrator.errors import Finding
from migrator.footprint import NEVER
from migrator.graph import DependencyGraph
from migrator.groups import MoveGroups
from migrator.optimise import (
    GroupLinks,
    OptimisationStats,
    Problem,
    optimise_later,
    optimised,
    planned_weight,
    unchanged_stats,
)
from migrator.settings import Settings
from migrator.shared_services import Scope
from migrator.waves import WaveAssignment, group_edges, schedule


@dataclass(frozen=True)
class WavePlan:
    assignment: WaveAssignment  # the move groups' waves, as the scheduler placed them
    group_edges: pd.DataFrame  # dependencies between move groups (frames.GROUP_EDGES)
    server_wave: np.ndarray  # float per server: its wave, NaN when it does not move in one
    wave_kind: dict[int, str]  # prod | nonprod | foundation | shared-services
    dates: list[tuple[dt.date, dt.date]]  # first and last day of waves 1..N
    first_wave: int  # the first wave that moves workloads
    optimisation: OptimisationStats | None = None  # the dependency weight crossing waves, before and after
    findings: tuple[Finding, ...] = ()  # wave numbers left empty, and why (pins)

    @property
    def group_wave(self) -> np.ndarray:
        return self.assignment.group_wave

    @property
    def starts(self) -> np.ndarray:
        """First day of each wave (datetime64[D]; one NaT when there is no wave)."""
        return np.array([s.isoformat() for s, _ in self.dates] or ["NaT"], dtype="datetime64[D]")

    @property
    def ends(self) -> np.ndarray:
        """Last day of each wave (datetime64[D]; one NaT when there is no wave)."""
        return np.array([e.isoformat() for _, e in self.dates] or ["NaT"], dtype="datetime64[D]")

    def end_of(self, waves: np.ndarray) -> np.ndarray:
        """Last day of each given wave (float wave numbers); NEVER where the wave is NaN."""
        out = np.full(len(waves), NEVER, dtype="datetime64[D]")
        ok = np.isfinite(waves)
        out[ok] = self.ends[waves[ok].astype(np.int64) - 1]
        return out


def plan_waves(
    moves: MoveGroups,
    graph: DependencyGraph,
    scope: Scope,
    settings: Settings,
    group_system: np.ndarray | None = None,
    links: GroupLinks | None = None,
    report: bool = True,
) -> WavePlan:
    """``group_system``: the coupled system of each move group (-1 for none), kept in the same or adjacent
    waves when capacity allows. ``links``: the server-level facts the optimisation keeps
    (:mod:`migrator.optimise`); without them the greedy schedule stands. ``report=False``: the same waves and
    dates without what the plan reports of them (no optimisation figures, no findings), for a caller that
    only needs when each server moves (a capacity probe of the reach stage)."""
    if not report:
        gedges, assignment = _greedy(moves, graph, scope, settings, group_system)
        first = scope.first_wave
        if links is not None:
            assignment = optimised(Problem(moves.groups, gedges, assignment, links, settings, first))
        return _wave_plan(moves, scope, settings, gedges, assignment, None)
    return plan_waves_later(moves, graph, scope, settings, group_system, links)()


def plan_waves_later(
    moves: MoveGroups,
    graph: DependencyGraph,
    scope: Scope,
    settings: Settings,
    group_system: np.ndarray | None = None,
    links: GroupLinks | None = None,
) -> Callable[[], WavePlan]:
    """:func:`plan_waves` in two steps: the greedy schedule now, and its optimisation started beside this
    process (:func:`migrator.optimise.optimise_later`); the returned function waits for it and gives the plan.
    What the caller does in between runs beside the optimisation."""
    gedges, assignment = _greedy(moves, graph, scope, settings, group_system)
    total = planned_weight(moves.server_group, graph.edges)
    if links is None:  # the greedy schedule stands
        stats = unchanged_stats(moves.groups, gedges, assignment, settings.capacity, total, False)
        return partial(_wave_plan, moves, scope, settings, gedges, assignment, stats)
    problem = Problem(moves.groups, gedges, assignment, links, settings, scope.first_wave)
    optimising = optimise_later(problem, total)
    return lambda: _wave_plan(moves, scope, settings, gedges, *optimising())


def _greedy(
    moves: MoveGroups,
    graph: DependencyGraph,
    scope: Scope,
    settings: Settings,
    group_system: np.ndarray | None,
) -> tuple[pd.DataFrame, WaveAssignment]:
    """The dependencies between move groups, and the greedy schedule's waves."""
    gedges = group_edges(moves.server_group, graph.edges)
    planning, first = settings.planning, scope.first_wave
    return gedges, schedule(moves.groups, gedges, settings.capacity, planning, first, group_system)


def _wave_plan(
    moves: MoveGroups,
    scope: Scope,
    settings: Settings,
    gedges: pd.DataFrame,
    assignment: WaveAssignment,
    optimisation: OptimisationStats | None,
) -> WavePlan:
    """Every server's wave, the waves' kinds (shared services placed) and dates; with the ``optimisation``'s
    figures, what the plan reports of them too (the wave gaps' findings)."""
    sg = moves.server_group
    server_wave = np.full(len(sg), np.nan)
    server_wave[sg >= 0] = assignment.group_wave[sg[sg >= 0]]
    wave_kind = dict(assignment.wave_kind)
    _place_shared_services(server_wave, wave_kind, scope)
    last = int(np.nanmax(server_wave)) if np.isfinite(server_wave).any() else 0
    pins = moves.groups["pin"].to_numpy(dtype="float64", na_value=np.nan)
    return WavePlan(
        assignment=assignment,
        group_edges=gedges,
        server_wave=server_wave,
        wave_kind=wave_kind,
        dates=wave_dates(last, settings.calendar),
        first_wave=scope.first_wave,
        optimisation=optimisation,
        findings=wave_gaps(server_wave, pins) if optimisation is not None else (),
    )


def wave_gaps(server_wave: np.ndarray, group_pin: np.ndarray) -> tuple[Finding, ...]:
    """Wave numbers before the last wave that hold no server, one finding per run of them, said where they
    come from. The scheduler opens no empty wave: a gap comes from a pin naming a later wave when nothing else
    could move before it (every remaining move group waits for the pinned ones). Pins keep the numbers the
    user wrote, so the gap stays and is explained."""
    used = np.unique(server_wave[np.isfinite(server_wave)]).astype(np.int64)
    if not len(used):
        return ()
    empty = np.setdiff1d(np.arange(1, int(used[-1]) + 1), used)
    pinned = set(np.unique(group_pin[np.isfinite(group_pin)]).astype(np.int64).tolist())
    findings = []
    for run in np.split(empty, np.flatnonzero(np.diff(empty) > 1) + 1) if len(empty) else []:
        first, last = int(run[0]), int(run[-1])
        waves = f"wave {first} holds" if first == last else f"waves {first} to {last} hold"
        why = (
            f": pins place move groups in wave {last + 1} and no other move group could move before it"
            if last + 1 in pinned
            else ""
        )
        findings.append(Finding("wave-gap", f"{waves} no servers{why}", severity="info"))
    return tuple(findings)


def _place_shared_services(server_wave: np.ndarray, wave_kind: dict[int, str], scope: Scope) -> None:
    """Migrating shared services move in the foundation wave (1), or in a wave of their own after the rest."""
    moving = scope.shared_migrating
    if not moving.any():
        return
    if scope.treatment == "foundation":
        server_wave[moving] = 1
        wave_kind[1] = "foundation"
    elif scope.treatment == "last":
        finite = np.isfinite(server_wave)
        last_migration = int(np.nanmax(server_wave)) if finite.any() else scope.first_wave - 1
        server_wave[moving] = last_migration + 1
        wave_kind[last_migration + 1] = "shared-services"
