"""Settings and pins that contradict each other: reported as findings (terminal and plan), never silently
planned around."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from migrator.dates import _clear_of_freezes
from migrator.errors import Finding
from migrator.outputs.text import plural
from migrator.settings import Settings


def calendar_findings(settings: Settings) -> list[Finding]:
    """The target date before the first wave can end, or freeze windows leaving no room for a wave by then."""
    calendar, by = settings.calendar, settings.target.by
    length = dt.timedelta(weeks=calendar.wave_weeks) - dt.timedelta(days=1)
    if by < calendar.start:
        return [
            Finding(
                "target-before-start",
                f"the target date (target.by {by}) is before the first wave starts (calendar.start "
                f"{calendar.start}): no server can move by then",
            )
        ]
    freezes = sorted(calendar.freeze, key=lambda f: (f.start, f.end))
    first = _clear_of_freezes(calendar.start, length, freezes)
    if first + length <= by:
        return []
    if first != calendar.start:
        names = ", ".join(f"{f.name} ({f.start} to {f.end})" for f in freezes if f.start <= by)
        return [
            Finding(
                "freeze-no-room",
                f"the freeze windows leave no room for a {calendar.wave_weeks}-week wave between "
                f"calendar.start {calendar.start} and the target date {by}: {names}",
            )
        ]
    return [
        Finding(
            "target-before-first-wave",
            f"the target date (target.by {by}) is before the first wave ends ({first + length}): "
            "no server can move by then",
        )
    ]


def capacity_findings(pinned: pd.Series, settings: Settings) -> list[Finding]:
    """Waves holding more pinned servers than a wave may move (capacity.max_servers)."""
    limit = settings.capacity.max_servers
    counts = pinned.dropna().astype(int).value_counts().sort_index()
    return [
        Finding(
            "pins-over-capacity",
            f"{plural(n, 'server')} {'is' if n == 1 else 'are'} pinned to wave {wave}, more than a wave "
            f"may move (capacity.max_servers {limit}): the wave is planned over capacity",
        )
        for wave, n in counts[counts > limit].items()
    ]
