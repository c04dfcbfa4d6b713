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
    MAX_GANTT_BARS,
    FlowEdge,
    FlowNode,
    FlowStyle,
    dependency_flowchart,
    gantt,
)
from migrator.plan_model import MoveGroupDependency, Score, TimelinePoint, Wave

SERVERS, WAVES, GROUPS, EDGES, MONTHS = 10_000, 500, 2_000, 8_000, 150


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


def test_gantt_of_500_waves_draws_a_bar_per_run_of_waves(plan: dict[str, Any]) -> None:
    """500 waves would be a gantt 10,000 px tall: a bar stands for consecutive waves of one kind, spans their
    dates, is red when any of them is high-risk, and the legend says so."""
    text = gantt(plan["waves"], freezes=[{"name": "year end", "start": "2027-12-20", "end": "2028-01-02"}])
    (block,) = _within_limits(text)
    bars = re.findall(r"^    (Waves? [^:]+) :(crit, )?w(\d+), (\S+), (\d+)d$", block, flags=re.M)
    assert MAX_GANTT_BARS - 5 <= len(bars) <= MAX_GANTT_BARS + 5
    per_bar = -(-WAVES // MAX_GANTT_BARS)
    assert f"each bar spans up to {per_bar} consecutive waves of its kind" in text
    by_number = {w.number: w for w in plan["waves"]}
    prod = [w for w in plan["waves"] if w.kind == "prod"]
    first_prod = next(b for b in bars if int(b[2]) == prod[0].number)
    covered = prod[:per_bar]
    assert (
        first_prod[0]
        == f"Waves {covered[0].number}-{covered[-1].number} ({per_bar} waves, {per_bar * 20} servers)"
    )
    assert first_prod[3] == covered[0].start and bool(first_prod[1]) == any(
        w.risk.level == "high" for w in covered
    )
    assert (
        int(first_prod[4])
        == (dt.date.fromisoformat(covered[-1].end) - dt.date.fromisoformat(covered[0].start)).days + 1
    )
    assert sum(1 for b in bars if by_number[int(b[2])].kind == "foundation") == 1
    assert "todayMarker off" in block and "section Freezes" in block and ":done, f0, 2027-12-20, 14d" in block
    assert "Legend: red bars: high-risk waves (166 of 500 waves); grey bars: change freezes" in text


def test_a_small_gantt_draws_each_wave_and_the_target() -> None:
    start = dt.date(2027, 1, 4)
    waves = [
        wave(1, "foundation", start, 14, 1),
        wave(2, "nonprod", start + dt.timedelta(days=14), 14, 3, "high"),
    ]
    text = gantt(waves, milestones=[("Target: 60% less kW", "2029-12-31")])
    assert "    section Foundation\n    Wave 1 (1 server) :w1, 2027-01-04, 14d" in text
    assert "    section Dev/test\n    Wave 2 (3 servers) :crit, w2, 2027-01-18, 14d" in text
    assert "Target#58; 60#37; less kW :milestone, m0, 2029-12-31, 0d" in text
    assert "(1 of 2 waves)" in text and "freezes" not in text


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
        assert ("more dependenc" in text) == (len(shown) < len(rows))
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
    assert len(block) > MAX_CHARS // 2 and len(shown) < 400 and "more dependenc" in text


def test_wide_fans_are_cut_to_a_readable_column() -> None:
    """One move group talking to 29 others drew a column 3,000 px tall: with a fan limit the heaviest
    edges per node are drawn, the rest announced (they are in the table twin)."""
    nodes = [FlowNode("hub", "hub")] + [FlowNode(f"g{i}", f"group {i}", "other") for i in range(29)]
    edges = [FlowEdge(f"g{i}", "hub", float(1000 - i)) for i in range(29)]
    style = FlowStyle(
        unit="connections", noun="move group", class_defs={"other": "stroke-dasharray:4 3"}, max_degree=8
    )
    text, shown = dependency_flowchart(nodes, edges, max_edges=20, max_nodes=15, style=style)
    assert [e.source for e in shown] == [f"g{i}" for i in range(8)]
    assert '-->|"1k connections"|' in text and '-->|"993 connections"|' in text
    assert "_and 21 more dependencies between 21 more move groups" in text
    assert "classDef other stroke-dasharray:4 3" in text and "class n0,n2,n3,n4,n5,n6,n7,n8 other" in text


def test_gantt_keeps_waves_of_an_unlisted_kind() -> None:
    pilot = wave(1, "prod", dt.date(2027, 1, 4), 7, 3).model_copy(update={"kind": "pilot"})  # not validated
    text = gantt([pilot, wave(2, "prod", dt.date(2027, 1, 11), 7, 4)])
    assert "section Pilot" in text and ":w1, 2027-01-04, 7d" in text and ":w2, 2027-01-11, 7d" in text
    assert "section Production" in text
