"""Mermaid builders on a synthetic 10,000-server plan: every block within GitHub's limits, caps announced.

The plan's parts are built here (500 waves of 20 servers, 2,000 move groups, 8,000 move-group dependencies,
150 months of footprint), so the test does not depend on the planner and runs in well under a second.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest

from migrator.outputs.mermaid import (
    MAX_CHARS,
    MAX_EDGES,
    MAX_GANTT_TASKS,
    MAX_XY_POINTS,
    FlowEdge,
    FlowNode,
    dependency_flowchart,
    gantt,
    mermaid_number,
    xychart_burndown,
)
from migrator.plan_model import MoveGroupDependency, Score, TimelinePoint, Wave

SERVERS, WAVES, GROUPS, EDGES, MONTHS = 10_000, 500, 2_000, 8_000, 150
# Mermaid's xychart lexer (NUMBER_WITH_DECIMAL): no exponent, no trailing dot
XY_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$")


def _blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)


def _within_limits(text: str) -> list[str]:
    blocks = _blocks(text)
    assert blocks, text[:200]
    for block in blocks:
        assert len(block) <= MAX_CHARS
        assert sum(1 for line in block.splitlines() if re.search(r"\s-->\|", line)) <= MAX_EDGES
    return blocks


def wave(number: int, kind: str, start: dt.date, days: int, servers: int, level: str = "low") -> Wave:
    """A wave as the plan document holds it (what the gantt chart reads, and the rest)."""
    return Wave(
        number=number,
        name=f"Wave {number}",
        kind=kind,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=days - 1)).isoformat(),
        servers=servers,
        vcpus=servers * 4.0,
        memory_gb=servers * 16.0,
        storage_gb=servers * 200.0,
        move_groups=[],
        applications=[],
        environments=[],
        utilisation=0.5,
        risk=Score(level=level, score=0, reasons=[]),
        confidence=Score(level="high", score=100, reasons=[]),
        cost=None,
    )


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    rnd = random.Random(7)
    start = dt.date(2027, 1, 4)
    per_wave = SERVERS // WAVES
    groups_per_wave = GROUPS // WAVES
    waves = [
        wave(
            i + 1,
            ("foundation", "nonprod", "prod")[min(i, 2) if i < 3 else 1 + i % 2],
            start + dt.timedelta(days=7 * i),
            14,
            per_wave,
            ("low", "medium", "high")[i % 3],
        ).model_copy(
            update={"move_groups": [f"MG-{i * groups_per_wave + g + 1:04d}" for g in range(groups_per_wave)]}
        )
        for i in range(WAVES)
    ]
    names = {f"MG-{g + 1:04d}": f'app-{g % 700} | <team {g % 13}> "prod"' for g in range(GROUPS)}
    edges = []
    seen = set()
    while len(edges) < EDGES:
        a, b = rnd.randrange(GROUPS), rnd.randrange(GROUPS)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        edges.append(
            MoveGroupDependency(
                source=f"MG-{a + 1:04d}",
                target=f"MG-{b + 1:04d}",
                connections=float(rnd.randrange(1, 5_000_000)),
            )
        )
    baseline = 1_234_567.0  # kW of a very large estate: values Python would print with an exponent
    timeline = [
        TimelinePoint(
            month=f"{2027 + m // 12}-{m % 12 + 1:02d}",
            remaining=round(baseline * (1 - m / (MONTHS + 20)), 3),
            reduction=round(m / (MONTHS + 20), 4),
        )
        for m in range(MONTHS)
    ]
    return {"waves": waves, "names": names, "edges": edges, "baseline": baseline, "timeline": timeline}


def test_gantt_of_500_waves_is_capped_and_announced(plan: dict[str, Any]) -> None:
    text = gantt(plan["waves"], freezes=[{"name": "year end", "start": "2027-12-20", "end": "2028-01-02"}])
    (block,) = _within_limits(text)
    tasks = [line for line in block.splitlines() if re.search(r":(crit, )?w\d+, ", line)]
    assert len(tasks) == MAX_GANTT_TASKS
    assert f"and {WAVES - MAX_GANTT_TASKS} more waves" in text
    # the first waves are drawn with their own dates; a high-risk wave is marked critical
    drawn = {
        int(m.group(2)): (bool(m.group(1)), m.group(3), int(m.group(4)))
        for m in (re.search(r":(crit, )?w(\d+), (\S+), (\d+)d", t) for t in tasks)
        if m
    }
    for w in plan["waves"][:MAX_GANTT_TASKS]:
        assert drawn[w.number] == (w.risk.level == "high", w.start, 14)
    assert "section Freeze windows" in block and ":crit, f0, 2027-12-20, 14d" in block


def _flow(plan: dict[str, Any], edges: list[MoveGroupDependency]) -> tuple[list[FlowNode], list[FlowEdge]]:
    rows = [FlowEdge(e.source, e.target, e.connections) for e in edges]
    ids = sorted({r.source for r in rows} | {r.target for r in rows})
    return [FlowNode(i, plan["names"][i]) for i in ids], rows


def test_every_wave_dependency_diagram_within_limits(plan: dict[str, Any]) -> None:
    by_group: dict[str, list[MoveGroupDependency]] = {}
    for e in plan["edges"]:
        by_group.setdefault(e.source, []).append(e)
        by_group.setdefault(e.target, []).append(e)
    total_blocks = 0
    for w in plan["waves"]:
        edges = {(e.source, e.target): e for g in w.move_groups for e in by_group.get(g, [])}
        nodes, rows = _flow(plan, [e for _, e in sorted(edges.items())])
        text, shown = dependency_flowchart(nodes, rows, max_edges=40, max_nodes=30)
        total_blocks += len(_within_limits(text))
        assert len(shown) <= 40 and _blocks(text)[0].count('["') <= 30
        assert set(shown) <= set(rows) and _blocks(text)[0].count("-->") == len(shown)
        assert ("more dependencies" in text) == (len(shown) < len(rows))
    assert total_blocks == WAVES


def test_estate_wide_diagram_keeps_the_heaviest_500_edges(plan: dict[str, Any]) -> None:
    _, edges = _flow(plan, plan["edges"])
    nodes = [FlowNode(i, name) for i, name in plan["names"].items()]
    text, shown = dependency_flowchart(nodes, edges, max_edges=100_000, max_nodes=100_000)
    (block,) = _within_limits(text)
    assert 0 < len(shown) <= MAX_EDGES
    assert [e.weight for e in shown] == sorted((e.weight for e in shown), reverse=True)
    assert re.search(r"_and [\d,]+ more dependencies between [\d,]+ more nodes", text)
    # the labels carried pipes, angle brackets and quotes: none of them is raw inside the block
    assert "<team" not in block and '"prod"' not in block and "app-1 |" not in block


def test_huge_labels_are_cut_by_the_character_budget() -> None:
    nodes = [FlowNode(f"g{i}", f"{i}-" + "x" * 3_000) for i in range(400)]
    edges = [FlowEdge(f"g{i}", f"g{(i + 1) % 400}", float(400 - i)) for i in range(400)]
    text, shown = dependency_flowchart(nodes, edges, max_edges=500, max_nodes=400)
    (block,) = _within_limits(text)
    assert len(block) > MAX_CHARS // 2 and len(shown) < 400 and "more dependencies" in text


def test_burndown_xychart_numbers_parse_and_months_are_sampled(plan: dict[str, Any]) -> None:
    target = plan["baseline"] * (1 - 0.6)
    text = xychart_burndown(plan["timeline"], target, "kW")
    (block,) = _within_limits(text)
    bar = re.search(r"^\s+bar \[(.*)\]$", block, flags=re.M)
    line = re.search(r"^\s+line \[(.*)\]$", block, flags=re.M)
    axis = re.search(r"y-axis \"[^\"]*\" (\S+) --> (\S+)$", block, flags=re.M)
    assert bar and line and axis
    numbers = [*bar.group(1).split(", "), *line.group(1).split(", "), axis.group(1), axis.group(2)]
    assert all(XY_NUMBER.match(n) for n in numbers), [n for n in numbers if not XY_NUMBER.match(n)]
    assert len(bar.group(1).split(", ")) <= MAX_XY_POINTS + 1 and "months shown" in text
    assert float(bar.group(1).split(", ")[0]) == pytest.approx(plan["baseline"], rel=1e-5)
    months = re.search(r"x-axis \[(.*)\]", block)
    assert (
        months and months.group(1).split(", ")[-1] == f'"{plan["timeline"][-1].month}"'
    )  # the last month shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e6, "1000000"),
        (1234567.891, "1234567.891"),
        (48000.0, "48000"),
        (0.5, "0.5"),
        (-0.0, "0"),
        (1e-9, "0"),
        (float("nan"), "0"),
        (2.5e-4, "0.00025"),
    ],
)
def test_mermaid_number(value: float, text: str) -> None:
    assert mermaid_number(value) == text and XY_NUMBER.match(text)


def test_gantt_keeps_waves_of_an_unlisted_kind() -> None:
    pilot = wave(1, "prod", dt.date(2027, 1, 4), 7, 3).model_copy(update={"kind": "pilot"})  # not validated
    text = gantt([pilot, wave(2, "prod", dt.date(2027, 1, 11), 7, 4)])
    assert "section pilot" in text and ":w1, 2027-01-04, 7d" in text and ":w2, 2027-01-11, 7d" in text
