"""The wave calendar: two-week waves every four weeks from Monday 4 January 2027, pushed past freezes."""

from __future__ import annotations

import datetime as dt

from migrator.dates import freezes_skipped, wave_dates
from migrator.settings import CalendarSettings, FreezeWindow


def day(month: int, d: int) -> dt.date:
    return dt.date(2027, month, d)


def freeze(name: str, start: dt.date, end: dt.date) -> FreezeWindow:
    return FreezeWindow(name=name, start=start, end=end)


def calendar(*freezes: FreezeWindow) -> CalendarSettings:
    return CalendarSettings(start=day(1, 4), wave_weeks=2, cadence_weeks=4, freeze=freezes)


def test_waves_follow_the_cadence() -> None:
    assert wave_dates(3, calendar()) == [
        (day(1, 4), day(1, 17)),
        (day(2, 1), day(2, 14)),
        (day(3, 1), day(3, 14)),
    ]


def test_a_wave_overlapping_a_freeze_starts_the_day_after_it_and_the_cadence_resumes_from_there() -> None:
    dates = wave_dates(3, calendar(freeze("year end", day(1, 25), day(2, 7))))
    assert dates == [(day(1, 4), day(1, 17)), (day(2, 8), day(2, 21)), (day(3, 8), day(3, 21))]


def test_a_freeze_inside_a_wave_moves_the_whole_wave() -> None:
    dates = wave_dates(2, calendar(freeze("audit", day(2, 5), day(2, 6))))
    assert dates[1] == (day(2, 7), day(2, 20))


def test_freezes_touching_a_wave_without_overlap_leave_it_alone() -> None:
    cal = calendar(freeze("before", day(1, 30), day(1, 31)), freeze("after", day(1, 18), day(1, 20)))
    assert wave_dates(2, cal) == wave_dates(2, calendar())


def test_a_freeze_sharing_a_single_day_with_a_wave_moves_it() -> None:
    assert wave_dates(1, calendar(freeze("last day", day(1, 17), day(1, 17)))) == [(day(1, 18), day(1, 31))]
    new_year = freeze("new year", dt.date(2026, 12, 30), day(1, 4))
    assert wave_dates(1, calendar(new_year)) == [(day(1, 5), day(1, 18))]


def test_back_to_back_freezes_push_a_wave_past_both_and_into_the_next_one_again() -> None:
    # Wave 2 (1 February) overlaps A, then (from 4 February) B, then (from 11 February, to the 24th) C; it
    # starts on 22 February. The freezes are given out of order (C is seen last however they are given).
    cal = calendar(
        freeze("C", day(2, 20), day(2, 21)),
        freeze("B", day(2, 4), day(2, 10)),
        freeze("A", day(1, 28), day(2, 3)),
    )
    assert wave_dates(2, cal)[1] == (day(2, 22), day(3, 7))


def test_freezes_skipped_lists_the_freezes_within_the_schedule_by_start() -> None:
    cal = calendar(
        freeze("spring", day(3, 10), day(3, 12)),
        freeze("audit", day(2, 5), day(2, 6)),
        freeze("summer", day(7, 1), day(7, 31)),
    )
    # Wave 2 moves past the audit (7 to 20 February), wave 3 past spring (13 to 26 March).
    dates = wave_dates(3, cal)
    assert dates[1:] == [(day(2, 7), day(2, 20)), (day(3, 13), day(3, 26))]
    assert freezes_skipped(dates, cal) == [
        "audit (2027-02-05 to 2027-02-06)",
        "spring (2027-03-10 to 2027-03-12)",
    ]
    assert freezes_skipped([], cal) == []
