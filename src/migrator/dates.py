"""The wave calendar: wave N's dates from the start date and cadence, never overlapping a freeze window."""

from __future__ import annotations

import datetime as dt

from migrator.errors import ConfigError
from migrator.settings import CalendarSettings, FreezeWindow

LAST_WAVE_DAY = dt.date(2261, 12, 31)  # pandas' timestamps end in April 2262


def wave_dates(count: int, calendar: CalendarSettings) -> list[tuple[dt.date, dt.date]]:
    """Start and end (inclusive) of waves 1..count: a wave starts ``cadence_weeks`` after the previous one's
    start and lasts ``wave_weeks``; a wave that would overlap a freeze starts the day after it (and the next
    waves keep the cadence from there)."""
    length = dt.timedelta(weeks=calendar.wave_weeks) - dt.timedelta(days=1)
    cadence = dt.timedelta(weeks=calendar.cadence_weeks)
    freezes = sorted(calendar.freeze, key=lambda f: (f.start, f.end))
    out: list[tuple[dt.date, dt.date]] = []
    start = calendar.start
    try:
        for _ in range(count):
            start = _clear_of_freezes(start, length, freezes)
            out.append((start, start + length))
            start = start + cadence
        if out and out[-1][1] > LAST_WAVE_DAY:
            raise OverflowError
    except OverflowError:
        raise ConfigError(
            f"setting 'calendar': {count} waves from {calendar.start} every {calendar.cadence_weeks} weeks"
            + (" around the freeze windows" if freezes else "")
            + f" run past {LAST_WAVE_DAY}, the latest day a plan's calendar holds",
            expected="an earlier calendar.start or freeze window, or a lower pinned wave",
        ) from None
    return out


def _clear_of_freezes(start: dt.date, length: dt.timedelta, freezes: list[FreezeWindow]) -> dt.date:
    """The first start on or after ``start`` whose wave (``length`` long) overlaps no freeze."""
    moved = True
    while moved:
        moved = False
        for f in freezes:
            if start <= f.end and start + length >= f.start:
                start = f.end + dt.timedelta(days=1)
                moved = True
    return start


def freezes_skipped(dates: list[tuple[dt.date, dt.date]], calendar: CalendarSettings) -> list[str]:
    """Names of the freeze windows that fall inside the schedule (for the plan's assumptions)."""
    if not dates:
        return []
    first, last = dates[0][0], dates[-1][1]
    return [
        f"{f.name} ({f.start} to {f.end})"
        for f in sorted(calendar.freeze, key=lambda f: f.start)
        if f.start <= last and f.end >= first
    ]
