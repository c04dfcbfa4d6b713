"""The views that show nothing of the reach stage are rendered before waiting for it (it may still be running
beside them in a child process); the files are those of the whole plan either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Any

import pytest

from migrator import background
from migrator.document import PlanResult
from migrator.outputs import chart, render_plan, wave_pages
from migrator.outputs.csv_waves import WavesCsv
from migrator.pipeline import PlanInputs, run_plan
from migrator.plan_model import Footprint
from migrator.settings import load_settings
from tests.conftest import SAMPLE

TIGHT = {"target": {"reduction": 0.7, "by": dt.date(2028, 6, 30)}, "sizing": {"enabled": False}}
INPUTS = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])


def _plan(processes: str | None = None) -> PlanResult:
    settings = load_settings(SAMPLE / "migrator.toml", TIGHT, environ={})
    before = os.environ.pop(background.ENV, None)
    try:
        if processes is not None:
            os.environ[background.ENV] = processes
        return run_plan(INPUTS, settings)
    finally:
        os.environ.pop(background.ENV, None)
        if before is not None:
            os.environ[background.ENV] = before


@pytest.fixture(scope="module")
def one_process() -> dict[str, bytes]:
    return render_plan(_plan("1"))


def test_the_plan_is_the_same_with_the_reach_stage_in_a_child_process(one_process: dict[str, bytes]) -> None:
    assert render_plan(_plan()) == one_process
    assert b'"to_meet": [' in one_process["plan.json"]  # the reach stage's results are in it


def test_views_without_the_reach_are_rendered_before_waiting_for_it(
    one_process: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    result, events = _plan(), []
    real_pages, real_chart, real_csv = wave_pages.wave_pages, chart.burndown_png_later, WavesCsv.render

    def pages(r: PlanResult) -> dict[str, bytes]:
        events.append("pages")
        return real_pages(r)

    def png(footprint: Any) -> Any:
        events.append("chart")
        return real_chart(footprint)

    def csv(self: WavesCsv, r: PlanResult) -> bytes:
        events.append("csv")
        return real_csv(self, r)

    monkeypatch.setattr(wave_pages, "wave_pages", pages)
    monkeypatch.setattr(chart, "burndown_png_later", png)
    monkeypatch.setattr(WavesCsv, "render", csv)
    assert render_plan(_noting_the_wait(result, events)) == one_process
    assert events[0] == "chart"  # given first to the process that draws it, beside the rest
    assert events[-1] == "reach" and sorted(events[:-1]) == ["chart", "csv", "pages"]


def _noting_the_wait(result: PlanResult, events: list[str]) -> PlanResult:
    """The plan, noting "reach" in ``events`` when its document waits for the reach stage."""

    def finish(draft: Any) -> Any:
        events.append("reach")
        assert result.finish is not None
        return result.finish(draft)

    return PlanResult(result.draft, result.servers, result.timings, finish)


def test_the_draft_lacks_only_what_the_reach_stage_adds() -> None:
    result = _plan("1")
    draft, whole = result.draft.to_dict(), result.document.to_dict()
    added = {"to_meet", "slack_months", "latest_start"}
    assert added.isdisjoint(draft["footprint"]["target"])
    assert added <= set(whole["footprint"]["target"])
    whole["footprint"]["target"] = {k: v for k, v in whole["footprint"]["target"].items() if k not in added}
    assert whole == draft


@pytest.mark.parametrize("settings", [TIGHT, {"sizing": {"enabled": False}}], ids=["missed", "met"])
def test_plan_json_and_plan_md_rendered_in_two_steps_are_those_of_the_whole_plan(settings: Any) -> None:
    """Most of plan.json and PLAN.md come from the plan without the reach stage, the rest from the whole."""
    from migrator.outputs.json_plan import PlanJson, dumps
    from migrator.outputs.markdown import PlanMarkdown, render_markdown

    result = run_plan(INPUTS, load_settings(SAMPLE / "migrator.toml", settings, environ={}))
    assert PlanJson().render(result) == dumps(result.document)
    assert PlanMarkdown().render(result) == render_markdown(result.document).encode("utf-8")
    assert PlanMarkdown().render(result) != render_markdown(result.draft).encode("utf-8")  # the headline


def test_the_footprint_is_handed_over_before_the_reach_stage_and_the_document() -> None:
    events: list[str] = []
    settings = load_settings(SAMPLE / "migrator.toml", TIGHT, environ={})
    ready = lambda footprint: events.append("footprint ready")  # noqa: E731
    run_plan(INPUTS, settings, progress=events.append, footprint_ready=ready)
    assert events.index("footprint") < events.index("footprint ready") < events.index("reach")
    assert events.count("footprint ready") == 1 and events.index("reach") < events.index("document")


def test_a_chart_drawn_as_soon_as_the_footprint_is_made_is_the_plans_chart(
    one_process: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`migrator plan` hands the footprint to the warmed-up process as soon as it is made: the chart it draws
    while the plan is finished is the plan's, and rendering collects it instead of drawing another."""
    given: list[Any] = []
    real = background.Waiting.give

    def give(self: Any, value: Any) -> Any:
        if isinstance(value, Footprint):  # (the waves' search is given its problem too)
            given.append(value)
        return real(self, value)

    monkeypatch.setattr(background.Waiting, "give", give)
    monkeypatch.delenv(background.ENV, raising=False)
    chart.warm_up()
    settings = load_settings(SAMPLE / "migrator.toml", TIGHT, environ={})
    result = run_plan(INPUTS, settings, footprint_ready=chart.draw_soon)
    assert len(given) == background.available()  # handed over while planning, when there is a second core
    assert render_plan(result) == one_process and len(given) == background.available()


def test_a_chart_handed_over_for_another_footprint_is_not_the_plans(one_process: dict[str, bytes]) -> None:
    result = _plan()
    chart.warm_up()
    chart.draw_soon(dataclasses.replace(_projection(), baseline=1.0))  # not this plan's footprint
    assert render_plan(result) == one_process


def _projection() -> Any:
    captured: list[Any] = []
    settings = load_settings(SAMPLE / "migrator.toml", TIGHT, environ={})
    run_plan(INPUTS, settings, footprint_ready=captured.append)
    return captured[0]


def test_without_a_warmed_up_process_the_chart_is_drawn_before_waiting_for_the_reach(
    one_process: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs get no warm-up: the chart is drawn here, while the reach stage may still run beside."""
    result, events, real = _plan(), [], chart._draw

    def draw(footprint: Any) -> bytes:
        events.append("draw")
        return real(footprint)

    monkeypatch.setattr(chart, "_draw", draw)
    monkeypatch.setattr(chart, "_ready", None)
    assert render_plan(_noting_the_wait(result, events)) == one_process
    assert events == ["draw", "reach"]
