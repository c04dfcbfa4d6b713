"""What it takes to meet the footprint target: each change, re-planned from scratch, meets it; one step less
does not. Planned on the bundled sample estate with sizing off (it does not touch the footprint)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pytest

from migrator import background, pipeline, reach
from migrator.decommission import plan_decommission
from migrator.pipeline import PlanInputs, load_inventory, plan_inventory
from migrator.plan_model import FootprintTarget
from migrator.reach import Reach, Stages, _Search, _Trials, what_it_takes
from migrator.settings import Settings, load_settings
from migrator.validate import Inventory
from tests.conftest import SAMPLE

TIGHT = {"target": {"reduction": 0.7, "by": dt.date(2028, 6, 30)}}


def _settings(*overrides: dict[str, Any]) -> Settings:
    merged: dict[str, Any] = {"sizing": {"enabled": False}}
    for over in overrides:
        for section, values in over.items():
            merged.setdefault(section, {}).update(values)
    return load_settings(SAMPLE / "migrator.toml", merged, environ={})


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """{"capacity.max_servers": 32} -> {"capacity": {"max_servers": 32}}"""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        section, name = key.split(".")
        out.setdefault(section, {})[name] = value
    return out


@pytest.fixture(scope="module")
def sample() -> Inventory:
    files = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    return load_inventory(files, _settings())


def _target(inventory: Inventory, settings: Settings) -> FootprintTarget:
    return plan_inventory(inventory, settings).document.footprint.target


def _target_only(
    inventory: Inventory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> FootprintTarget:
    """The plan's verdict without its own what-it-takes search (faster: the verdict is all a check needs)."""
    with monkeypatch.context() as m:
        m.setattr(pipeline, "what_it_takes", lambda stages, _: Reach(stages.footprint.met))
        return _target(inventory, settings)


def _one_step_less(setting: str, changed: dict[str, Any], base: Settings) -> list[dict[str, Any]]:
    """The same change one step short: a server fewer a wave, a week longer cadence, a week (and a cadence)
    later start."""
    if setting == "capacity.max_servers":
        servers = changed[setting] - 1
        cap = base.capacity
        return [
            {
                "capacity.max_servers": servers,
                "capacity.max_vcpus": round(cap.max_vcpus / cap.max_servers * servers, 2),
                "capacity.max_storage_gb": round(cap.max_storage_gb / cap.max_servers * servers, 2),
            }
        ]
    if setting == "calendar.cadence_weeks":
        weeks = changed[setting] + 1
        return [
            {"calendar.cadence_weeks": weeks, "calendar.wave_weeks": min(base.calendar.wave_weeks, weeks)}
        ]
    start = dt.date.fromisoformat(changed[setting])
    cadence = base.calendar.cadence_weeks
    return [{setting: start + dt.timedelta(weeks=w)} for w in (1, cadence)]


@pytest.fixture(scope="module")
def tight(sample: Inventory) -> FootprintTarget:
    """The sample planned against a target it misses: 70% by mid-2028."""
    return _target(sample, _settings(TIGHT))


def test_a_missed_target_lists_a_change_per_knob_that_meets_it_and_one_step_less_does_not(
    sample: Inventory, tight: FootprintTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, target = _settings(TIGHT), tight
    assert not target.met
    assert [c.setting for c in target.to_meet] == [
        "capacity.max_servers",
        "calendar.cadence_weeks",
        "calendar.start",
    ]
    for change in target.to_meet:
        assert change.value is not None, change.reason
        assert change.settings[change.setting] == change.value
        replanned = _target_only(sample, _settings(TIGHT, _nested(change.settings)), monkeypatch)
        assert replanned.met, change
        assert replanned.reached_on == change.reached_on
        for short in _one_step_less(change.setting, change.settings, base):
            assert not _target_only(sample, _settings(TIGHT, _nested(short)), monkeypatch).met, short


def test_the_server_limit_carries_the_vcpu_and_storage_limits_in_proportion(tight: FootprintTarget) -> None:
    base = _settings(TIGHT)
    change = tight.to_meet[0]
    servers = change.value
    assert isinstance(servers, int) and servers > base.capacity.max_servers
    assert change.settings == {
        "capacity.max_servers": servers,
        "capacity.max_vcpus": pytest.approx(
            base.capacity.max_vcpus / base.capacity.max_servers * servers, abs=0.01
        ),
        "capacity.max_storage_gb": pytest.approx(
            base.capacity.max_storage_gb / base.capacity.max_servers * servers
        ),
    }


def test_a_met_target_gives_the_slack_and_the_latest_start_that_still_meets_it(
    sample: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(sample, _settings())
    assert target.met and target.to_meet == []
    assert target.reached_on is not None and target.latest_start is not None
    by, reached = target.by, target.reached_on
    assert target.slack_months == (int(by[:4]) - int(reached[:4])) * 12 + int(by[5:7]) - int(reached[5:7])
    latest = dt.date.fromisoformat(target.latest_start)
    assert latest > _settings().calendar.start
    assert _target_only(sample, _settings({"calendar": {"start": latest}}), monkeypatch).met
    a_week_later = {"calendar": {"start": latest + dt.timedelta(weeks=1)}}
    assert not _target_only(sample, _settings(a_week_later), monkeypatch).met


def test_a_target_no_schedule_meets_says_so_for_every_knob(sample: Inventory) -> None:
    target = _target(sample, _settings({"target": {"reduction": 0.95}}))
    assert not target.met
    assert [c.value for c in target.to_meet] == [None, None, None]
    for change in target.to_meet:
        assert change.settings == {} and change.reached_on is None
        assert "no schedule meets it: what is retained keeps" in change.reason


def test_a_knob_that_cannot_meet_the_target_within_bounds_gives_its_reason(sample: Inventory) -> None:
    """Two months after the start: no capacity or cadence empties the data center that soon (waves follow
    one another: shared services first, dev/test before production), but an earlier start does."""
    soon = {"target": {"reduction": 0.7, "by": dt.date(2027, 3, 31)}}
    target = _target(sample, _settings(soon))
    by_setting = {c.setting: c for c in target.to_meet}
    capacity, cadence, start = (
        by_setting[k] for k in ("capacity.max_servers", "calendar.cadence_weeks", "calendar.start")
    )
    assert capacity.value is None and capacity.settings == {}
    assert capacity.reason.startswith("even waves of ") and "every planned server at once" in capacity.reason
    assert cadence.value is None and cadence.reason.startswith("even a wave every week reaches it only in")
    assert isinstance(start.value, str) and start.value < "2027-02-01"


def test_redating_the_waves_gives_the_leave_dates_the_decommission_stage_gives(
    sample: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calendar knobs' fast path: every server leaves at the end of the same wave on any calendar."""
    captured: list[Stages] = []

    def capture(stages: Stages, _: Settings) -> Reach:
        captured.append(stages)
        return Reach(stages.footprint.met)

    monkeypatch.setattr(pipeline, "what_it_takes", capture)
    monkeypatch.setenv("MIGRATOR_PROCESSES", "1")  # captured in this process, not in a child
    settings = _settings()
    plan_inventory(sample, settings)
    stages = captured[0]
    trials = _Trials(stages, settings)
    assert trials.wave_of is not None  # the fast path is taken on the sample
    for calendar in (
        settings.calendar.model_copy(update={"start": dt.date(2026, 5, 4)}),
        settings.calendar.model_copy(update={"cadence_weeks": 3, "wave_weeks": 3}),
    ):
        leave, dates = trials.redated(calendar)
        waves = dataclasses.replace(stages.waves, dates=dates)
        start = np.datetime64(calendar.start)
        expected = plan_decommission(stages.servers, stages.graph, stages.scope, waves, start).leave
        np.testing.assert_array_equal(leave, expected)


def test_the_search_ends_on_a_value_that_meets_while_one_less_does_not() -> None:
    probed: list[int] = []

    def meets(v: int) -> bool:
        probed.append(v)
        return v >= 137 and v != 150  # not monotone: 150 misses

    assert _Search(meets, lambda lo, top: lo + 1, 100, 1000).run() == 137  # a poor guess still ends
    assert _Search(lambda v: v >= 137, lambda lo, top: 137, 100, 1000).run() == 137
    assert _Search(lambda v: False, lambda lo, top: lo * 2, 100, 1000).run() is None
    assert len(probed) < 40


def test_near_a_value_that_meets_the_search_tries_the_one_below_it_first() -> None:
    """The outcome is not monotone near the answer: 140 meets, 139 does not, and the search ends there."""
    probed: list[int] = []

    def meets(v: int) -> bool:
        probed.append(v)
        return v == 140 or v >= 145

    def guess(lo: int, top: int | None) -> int:
        return 140 if top is None else 136

    assert _Search(meets, guess, 100, 1000, near=5).run() == 140
    assert probed == [140, 136, 139]


def test_the_probe_started_in_advance_is_the_next_one_whenever_the_current_one_meets() -> None:
    """Near the last miss, a probe that meets makes the one below it next: that one is started beside it."""
    probed: list[int] = []
    started: list[int] = []

    def meets(v: int) -> bool:
        probed.append(v)
        return v in (139, 140) or v >= 145

    def guess(lo: int, top: int | None) -> int:
        return 140 if top is None else 136

    assert _Search(meets, guess, 100, 1000, near=5, ahead=started.append).run() == 139
    assert probed == [140, 136, 139, 138]
    # beside 139 (which met: 138 came next) and beside 138 (which missed: 137 unused)
    assert started == [138, 137]
    for value in started[:-1]:
        assert value == probed[probed.index(value + 1) + 1]


def test_probes_started_in_advance_change_no_answer(
    sample: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capacity search with probes run beside it in child processes gives what it gives alone."""
    captured: list[Stages] = []
    settings = _settings(TIGHT)
    with monkeypatch.context() as m:
        m.setattr(pipeline, "what_it_takes", lambda stages, _: captured.append(stages) or Reach(False))
        m.setenv(background.ENV, "1")
        plan_inventory(sample, settings)
    with monkeypatch.context() as m:
        m.setenv(background.ENV, "1")
        alone = what_it_takes(captured[0], settings)
    if not background.available():
        pytest.skip("one CPU, or not Linux: no child process")
    started: list[background.Pending[Any]] = []
    real = background.start

    def start(compute: Any, *args: Any) -> background.Pending[Any]:
        started.append(real(compute, *args))
        return started[-1]

    monkeypatch.setattr(reach, "AHEAD_SECONDS", 0.0)  # every probe known in advance is started beside
    monkeypatch.setattr(background, "start", start)
    beside = what_it_takes(captured[0], settings)
    assert beside == dataclasses.replace(alone, probes=beside.probes)
    assert beside.probes == alone.probes
    assert any(p.in_child and p._done for p in started)  # some probe's result came from a child
