"""Stage: what it takes to meet the footprint target, one knob at a time.

When the plan misses the target, each knob is changed alone to the smallest change that meets it: more servers
a wave (``capacity.max_servers``, with the vCPU and storage limits scaled in proportion), a shorter
cadence (``calendar.cadence_weeks``, and ``calendar.wave_weeks`` with it when a wave would outlast the
cadence), an earlier start (``calendar.start``, in whole weeks). Each is found by re-planning: the calendar
knobs change only the dates (every server leaves at the end of the same wave as before, so the leave dates are
re-dated and the footprint re-projected); the capacity knob re-schedules the waves (and re-forms the move
groups only when the plan split a group to fit a wave); the graph, the shared services, the coupled systems
and the sizing are reused.

The search is a bisection whose first probes are guessed from how late the target is reached (the time a
schedule takes falls about as one over the capacity), and it ends only on a value that meets the target while
one step less (one server fewer a wave, one week longer cadence, one week later start) does not; within five
servers a wave of a capacity that meets, the one below it is probed first (the schedule is not monotone in
its capacity, and that probe ends the search when it misses). When the plan meets the target: the slack in
months and the latest start (whole weeks later) that still meets it.

A capacity probe is a whole re-schedule (about a second at 100,000 servers). Where the next probe is known
before the current one ends (a capacity this close to the last that missed: if it meets, the one below it is
next), that one starts at once in a child process on the other core (:mod:`migrator.background`) and is
dropped when the current one misses: the same probes, the same answer, fewer rounds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migrator import background
from migrator import footprint as fp
from migrator.dates import wave_dates
from migrator.decommission import leave_dates, plan_decommission
from migrator.footprint import NEVER, Footprint
from migrator.graph import DependencyGraph
from migrator.groups import GroupBuilder, MoveGroups
from migrator.optimise import GroupLinks
from migrator.schedule import WavePlan, plan_waves
from migrator.settings import CalendarSettings, CapacitySettings, Settings
from migrator.shared_services import Scope
from migrator.systems import Systems

SERVERS, CADENCE, START = "capacity.max_servers", "calendar.cadence_weeks", "calendar.start"
MAX_START_WEEKS = 520  # the earliest start tried: ten years before the plan's
WEEKS_A_MONTH = 365.25 / 12 / 7
CAPACITY_NEAR = 5  # servers a wave: this close to a capacity that meets, the one below it is probed first
AHEAD_SECONDS = 0.2  # a probe known in advance starts in a child process when the last probe took this long


@dataclass(frozen=True)
class Change:
    """One knob changed alone: its new value (None: no value within bounds meets the target, ``reason`` says
    why), every setting changed with it, and the month the target is then reached."""

    setting: str
    value: int | str | None
    settings: dict[str, int | float | str]
    reached_on: str | None
    reason: str = ""


@dataclass(frozen=True)
class Reach:
    met: bool
    to_meet: tuple[Change, ...] = ()
    slack_months: int | None = None  # met: months from the month the target is reached to the target date
    latest_start: dt.date | None = None  # met: the latest start (whole weeks later) that still meets it
    probes: int = 0  # re-plans it took


@dataclass(frozen=True)
class Stages:
    """What the plan's stages produced that a knob does not change, and the base schedule."""

    servers: pd.DataFrame
    hosts: pd.DataFrame
    graph: DependencyGraph
    scope: Scope
    pinned: pd.Series
    moves: MoveGroups
    systems: Systems
    links: Callable[[MoveGroups], GroupLinks]  # the optimisation's server-level facts for some move groups
    base_links: GroupLinks
    waves: WavePlan
    leave: np.ndarray
    footprint: Footprint
    groups: GroupBuilder | None = None  # the move groups at any capacity (made here when not given)


@dataclass(frozen=True)
class Outcome:
    met: bool
    reached_on: str | None
    reduction: float | None = None  # at the target date, when the whole projection was made


def what_it_takes(stages: Stages, settings: Settings) -> Reach:
    """The slack and latest start when the target is met; the smallest change of each knob when it is not."""
    base = stages.footprint
    trials = _Trials(stages, settings)
    trials.seed(settings, base)
    if base.met:
        return _slack(trials, settings, base)
    if base.reached_on is None and base.max_achievable < settings.target.reduction - 1e-9:
        reason = (
            f"no schedule meets it: what is retained keeps {base.minimum_remaining:g} of {base.baseline:g} "
            f"{base.unit} (at most {base.max_achievable:.1%})"
        )
        return Reach(False, tuple(Change(s, None, {}, None, reason) for s in (SERVERS, CADENCE, START)))
    changes = (_capacity(trials, settings), _cadence(trials, settings), _start(trials, settings))
    return Reach(False, changes, probes=trials.count)


class _Trials:
    """Re-plans with one knob changed, each value once (cached), and its outcome against the target."""

    def __init__(self, stages: Stages, settings: Settings) -> None:
        self.st, self.settings = stages, settings
        self.count = 0
        self.cache: dict[tuple[str, int], Outcome] = {}
        self.wave_of = _wave_of_leave(stages.leave, stages.waves)
        self.waves_count = len(stages.waves.dates)
        self.split = bool((stages.moves.groups["split_of"] > 0).any()) if len(stages.moves.groups) else False
        self.prepared = _prepare(stages, settings)
        self.retained = stages.leave >= NEVER
        self.builder = stages.groups
        self.ahead: dict[tuple[str, int], background.Pending[Outcome]] = {}  # probes started in advance
        self.last_seconds = 0.0  # how long the last probe took

    def probe(self, knob: str, value: int, run: Callable[[], Outcome]) -> Outcome:
        key = (knob, value)
        if key not in self.cache:
            self.count += 1
            t0 = time.perf_counter()
            pending = self.ahead.pop(key, None)
            self.cache[key] = pending.result() if pending is not None else run()
            self.last_seconds = time.perf_counter() - t0
        return self.cache[key]

    def start_ahead(self, knob: str, value: int, run: Callable[[], Outcome]) -> None:
        """Start the probe of ``value`` in a child process, for :meth:`probe` to collect if it is asked for
        (only when a second core is free to run it and probes are slow enough to be worth a process)."""
        key = (knob, value)
        if key in self.cache or key in self.ahead or self.last_seconds < AHEAD_SECONDS:
            return
        if background.available():
            self.ahead[key] = background.start(run)

    def drop_ahead(self) -> None:
        """Probes started in advance and not asked for: stopped."""
        for pending in self.ahead.values():
            pending.cancel()
        self.ahead.clear()

    def seed(self, settings: Settings, base: Footprint) -> None:
        """The plan itself is every knob's unchanged value."""
        outcome = Outcome(base.met, base.reached_on, _reduction(base))
        for key in ((SERVERS, settings.capacity.max_servers), (CADENCE, settings.calendar.cadence_weeks)):
            self.cache[key] = outcome
        self.cache[(START, 0)] = outcome

    def with_calendar(self, calendar: CalendarSettings) -> Outcome:
        """The outcome with other dates: every server leaves at the end of the same wave as before."""
        leave, dates = self.redated(calendar)
        return self.outcome(leave, dates, self.settings.model_copy(update={"calendar": calendar}))

    def redated(self, calendar: CalendarSettings) -> tuple[np.ndarray, list[tuple[dt.date, dt.date]]]:
        """The leave dates and wave dates on another calendar: the wave each server leaves at the end of
        is kept (the decommission stage re-run when some server leaves on another day)."""
        dates = wave_dates(self.waves_count, calendar)
        if self.wave_of is None:
            st, waves = self.st, dataclasses.replace(self.st.waves, dates=dates)
            start = np.datetime64(calendar.start)
            return plan_decommission(st.servers, st.graph, st.scope, waves, start).leave, dates
        ends = np.array([e.isoformat() for _, e in dates], dtype="datetime64[D]")
        leave = np.full(len(self.st.leave), NEVER, dtype="datetime64[D]")
        finite = self.wave_of >= 0
        leave[finite] = ends[self.wave_of[finite]]
        return leave, dates

    def with_capacity(self, capacity: CapacitySettings) -> Outcome:
        """The outcome of the waves re-scheduled at another capacity (move groups re-formed only when the
        plan split one to fit a wave), projected in full (the reduction at the target date guides the
        search). Only what decides when servers leave is computed: no optimisation figures, no findings."""
        st, settings = self.st, self.settings.model_copy(update={"capacity": capacity})
        moves, links = st.moves, st.base_links
        if self.split:
            moves = self.groups().at(capacity)
            links = st.links(moves)
        group_system = st.systems.group_system(moves.server_group, len(moves.groups))
        waves = plan_waves(moves, st.graph, st.scope, settings, group_system, links, report=False)
        leave = leave_dates(st.servers, st.graph, st.scope, waves, np.datetime64(settings.calendar.start))
        if self.prepared is None or not np.array_equal(leave >= NEVER, self.retained):
            projected, _ = fp.project_plan(st.servers, st.hosts, leave, waves.dates, settings)
        else:  # the same servers stay: the footprint's preparation holds
            first, end = fp.plan_span(leave, waves.dates, settings)
            freezes = settings.calendar.freeze
            projected, _ = self.prepared.project(leave, first, end, settings.target, freezes)
        return Outcome(projected.met, projected.reached_on, _reduction(projected))

    def groups(self) -> GroupBuilder:
        if self.builder is None:
            st = self.st
            self.builder = GroupBuilder(
                st.servers, st.graph.edges, st.scope.planned, st.pinned, self.settings.planning
            )
        return self.builder

    def outcome(self, leave: np.ndarray, dates: list[tuple[dt.date, dt.date]], settings: Settings) -> Outcome:
        if self.prepared is None:
            projected, _ = fp.project_plan(self.st.servers, self.st.hosts, leave, dates, settings)
            return Outcome(projected.met, projected.reached_on)
        target, calendar = settings.target, settings.calendar
        gone = leave < NEVER
        last = pd.Timestamp(leave[gone].max()).date() if gone.any() else calendar.start
        end = max(target.by, last, dates[-1][1] if dates else calendar.start) + dt.timedelta(days=400)
        reached = self.prepared.reached_on(leave, calendar.start, end, target, calendar.freeze)
        by_month = _month(target.by.isoformat()[:7])
        if reached is None or _month(reached) != by_month or _month_end(target.by):
            return Outcome(reached is not None and _month(reached) <= by_month, reached)
        # Reached in the target's month, which ends after the target date: the whole projection decides.
        projected, _ = fp.project_plan(self.st.servers, self.st.hosts, leave, dates, settings)
        return Outcome(projected.met, reached)


def _reduction(projected: Footprint) -> float:
    return 0.0 if projected.baseline <= 0 else 1 - projected.value_at_target / projected.baseline


def _prepare(stages: Stages, settings: Settings) -> Any:
    """The footprint's schedule-independent part, to re-project many schedules cheaply (None when the
    footprint module offers no such preparation: each trial then projects in full)."""
    prepare = getattr(fp, "prepare", None)
    if prepare is None:
        return None
    retained = stages.leave >= NEVER
    return prepare(stages.servers, stages.hosts, retained, settings.target, settings.footprint)


def _wave_of_leave(leave: np.ndarray, waves: WavePlan) -> np.ndarray | None:
    """The wave (0-based) at whose end each server leaves (-1: never), or None when some server leaves on
    another day (then each calendar re-runs the decommission stage)."""
    if not waves.dates:
        return None
    ends = waves.ends
    gone = leave < NEVER
    at = np.searchsorted(ends, leave[gone])
    if (at >= len(ends)).any() or (ends[np.minimum(at, len(ends) - 1)] != leave[gone]).any():
        return None
    out = np.full(len(leave), -1, dtype=np.int64)
    out[gone] = at
    return out


# The search


@dataclass
class _Search:
    """The smallest value in (lo, hi] that meets the target while one step less does not; ``lo`` is known
    not to meet. ``guess(lo, top)`` places the probes (``top``: the least value known to meet, None before
    one is found); a guess that does not halve the bracket twice running gives way to bisection. Within
    ``near`` of the least value known to meet, the value one below it is probed: when that misses, the search
    ends (the outcome is not monotone near the answer, so a probe in between rarely saves one). So a probe
    within ``near`` of ``lo`` that meets makes the value one below it the next: ``ahead`` (when given) is
    told that value before the probe runs, to start it in advance."""

    meets: Callable[[int], bool]
    guess: Callable[[int, int | None], int]
    lo: int
    hi: int
    top: int | None = None
    slow: int = field(default=0)  # guesses in a row that did not halve the bracket
    near: int = 0
    ahead: Callable[[int], None] | None = None

    def run(self) -> int | None:
        while self.top is None or self.top - self.lo > 1:
            if self.top is None and self.lo >= self.hi:
                return None
            before = (self.top if self.top is not None else self.hi + 1) - self.lo
            v = self._next()
            if self.ahead is not None and v - 1 > self.lo and v - self.lo <= self.near:
                self.ahead(v - 1)  # the next probe if this one meets
            if self.meets(v):
                self.top = v
            else:
                self.lo = v
            after = (self.top if self.top is not None else self.hi + 1) - self.lo
            self.slow = 0 if 2 * after <= before else self.slow + 1
        return self.top

    def _next(self) -> int:
        if self.top is None:  # no value known to meet yet: the guess, else the upper bound
            return int(
                min(max(self.guess(self.lo, None) if self.slow < 2 else self.hi, self.lo + 1), self.hi)
            )
        if self.top - self.lo <= self.near:
            return self.top - 1
        if self.slow < 2:
            return int(min(max(self.guess(self.lo, self.top), self.lo + 1), self.top - 1))
        self.slow = 0
        return (self.lo + self.top) // 2


def _month(text: str) -> int:
    year, month = text.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def _late(outcome: Outcome, settings: Settings) -> float | None:
    """Months from the target date's month to the month the target is reached (None: never)."""
    if outcome.reached_on is None:
        return None
    return float(_month(outcome.reached_on) - _month(settings.target.by.isoformat()[:7]))


def _months_from_start(outcome: Outcome, settings: Settings) -> float | None:
    if outcome.reached_on is None:
        return None
    return float(_month(outcome.reached_on) - _month(settings.calendar.start.isoformat()[:7]) + 1)


# The knobs


def _scaled(settings: Settings, servers: int) -> CapacitySettings:
    cap = settings.capacity
    return CapacitySettings(
        max_servers=servers,
        max_vcpus=round(cap.max_vcpus / cap.max_servers * servers, 2),
        max_storage_gb=round(cap.max_storage_gb / cap.max_servers * servers, 2),
        balance=cap.balance,
    )


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _capacity(trials: _Trials, settings: Settings) -> Change:
    """More servers a wave, vCPU and storage limits in proportion; at most one wave for every planned
    server."""
    cap = settings.capacity
    ceiling = _ceiling(trials, settings)

    def replan(x: int) -> Callable[[], Outcome]:
        return lambda: trials.with_capacity(_scaled(settings, x))

    def run(x: int) -> Outcome:
        return trials.probe(SERVERS, x, replan(x))

    def guess(lo: int, top: int | None) -> int:
        return _capacity_guess(settings, (lo, run(lo)), None if top is None else (top, run(top)))

    def ahead(x: int) -> None:
        trials.start_ahead(SERVERS, x, replan(x))

    try:
        found = _Search(
            lambda x: run(x).met, guess, cap.max_servers, ceiling, near=CAPACITY_NEAR, ahead=ahead
        ).run()
    finally:
        trials.drop_ahead()
    if found is None:
        return Change(
            SERVERS,
            None,
            {},
            None,
            f"even waves of {ceiling:,} servers (every planned server at once) reach it only in "
            f"{run(ceiling).reached_on or 'no month of the projection'}",
        )
    new = _scaled(settings, found)
    changed: dict[str, int | float | str] = {SERVERS: found, "capacity.max_vcpus": _number(new.max_vcpus)}
    changed["capacity.max_storage_gb"] = _number(new.max_storage_gb)
    return Change(SERVERS, found, changed, run(found).reached_on)


def _ceiling(trials: _Trials, settings: Settings) -> int:
    """The server limit at which one wave holds every planned server (and their vCPU and storage)."""
    st, cap = trials.st, settings.capacity
    planned = st.scope.planned
    cores = float(st.servers["cores"].to_numpy(float)[planned].sum())
    storage = float(st.servers["storage_gb"].to_numpy(float)[planned].sum())
    return max(
        int(planned.sum()),
        math.ceil(cores / (cap.max_vcpus / cap.max_servers)),
        math.ceil(storage / (cap.max_storage_gb / cap.max_servers)),
        cap.max_servers + 1,
    )


def _capacity_guess(settings: Settings, low: tuple[int, Outcome], high: tuple[int, Outcome] | None) -> int:
    """Where the target is first met: between a value that misses and one that meets, where the reduction at
    the target date crosses the target (linear in between); from the one that misses alone, where the time
    to reach the target (taken as falling with one over the capacity) fits before the target date, a little
    beyond to bracket it."""
    lo, at_lo = low
    want = settings.target.reduction
    if high is not None:
        top, at_top = high
        r_lo, r_top = at_lo.reduction, at_top.reduction
        if r_lo is None or r_top is None or r_top <= r_lo:
            return (lo + top) // 2
        return lo + math.ceil((want - r_lo) / (r_top - r_lo) * (top - lo) - 1e-9)
    room = _month(settings.target.by.isoformat()[:7]) - _month(settings.calendar.start.isoformat()[:7]) + 1
    months = _months_from_start(at_lo, settings)
    if months is None or room <= 0:
        return 2 * lo
    return math.ceil(lo * months / room * 1.02) + 1


def _cadence_calendar(settings: Settings, weeks: int) -> CalendarSettings:
    cal = settings.calendar
    return cal.model_copy(update={"cadence_weeks": weeks, "wave_weeks": min(cal.wave_weeks, weeks)})


def _cadence(trials: _Trials, settings: Settings) -> Change:
    """A shorter cadence (and shorter waves when a wave would outlast it), down to a wave every week."""
    cal = settings.calendar

    def run(shorter: int) -> Outcome:
        weeks = cal.cadence_weeks - shorter
        return trials.probe(CADENCE, weeks, lambda: trials.with_calendar(_cadence_calendar(settings, weeks)))

    found = _Search(lambda s: run(s).met, lambda lo, top: lo + 1, 0, cal.cadence_weeks - 1).run()
    if found is None:
        why = (
            "the cadence is already one week"
            if cal.cadence_weeks == 1
            else f"even a wave every week reaches it only in {run(cal.cadence_weeks - 1).reached_on}"
        )
        return Change(CADENCE, None, {}, None, why)
    weeks = cal.cadence_weeks - found
    changed: dict[str, int | float | str] = {CADENCE: weeks}
    if weeks < cal.wave_weeks:
        changed["calendar.wave_weeks"] = weeks
    return Change(CADENCE, weeks, changed, run(found).reached_on)


def _between(lo: int, late_lo: float | None, top: int, late_top: float | None) -> int:
    """Where the months late cross zero between ``lo`` and ``top`` (linear in between), else the middle."""
    if late_lo is None or late_top is None or late_lo == late_top:
        return (lo + top) // 2
    return lo + math.ceil(late_lo / (late_lo - late_top) * (top - lo) - 1e-9)


def _shifted(settings: Settings, weeks: int) -> CalendarSettings:
    return settings.calendar.model_copy(update={"start": settings.calendar.start + dt.timedelta(weeks=weeks)})


def _start(trials: _Trials, settings: Settings) -> Change:
    """An earlier start, in whole weeks, up to ten years earlier."""

    def run(earlier: int) -> Outcome:
        return trials.probe(START, -earlier, lambda: trials.with_calendar(_shifted(settings, -earlier)))

    def guess(lo: int, top: int | None) -> int:
        late = _late(run(lo), settings)
        if top is not None:
            return _between(lo, late, top, _late(run(top), settings))
        return lo + 52 if late is None else lo + max(1, math.ceil(late * WEEKS_A_MONTH))

    found = _Search(lambda k: run(k).met, guess, 0, MAX_START_WEEKS).run()
    if found is None:
        return Change(START, None, {}, None, "even a start ten years earlier does not meet it")
    start = _shifted(settings, -found).start.isoformat()
    return Change(START, start, {START: start}, run(found).reached_on)


def _slack(trials: _Trials, settings: Settings, base: Footprint) -> Reach:
    """Met: the months to spare, and the latest start (whole weeks later) that still meets the target."""
    reached = base.reached_on
    slack = None if reached is None else _month(settings.target.by.isoformat()[:7]) - _month(reached)
    span = (settings.target.by - settings.calendar.start).days // 7

    def run(later: int) -> Outcome:
        return trials.probe(START, later, lambda: trials.with_calendar(_shifted(settings, later)))

    def guess(lo: int, top: int | None) -> int:
        late = _late(run(lo), settings)
        if top is not None:
            return _between(lo, late, top, _late(run(top), settings))
        return lo + 1 if late is None else lo + max(1, math.floor(-late * WEEKS_A_MONTH) + 1)

    misses = _Search(lambda k: not run(k).met, guess, 0, max(span, 1)).run()
    latest = _shifted(settings, (misses - 1) if misses is not None else max(span, 1)).start
    return Reach(True, (), slack, latest, trials.count)
