"""Mermaid builders on a synthetic 10,000-server plan: every block within GitHub's limits, caps announced, twins equal.

The plan dict is built here (500 waves of 20 servers, 2,000 move groups, 8,000 move-group dependencies, 150 months
of footprint), so the test does not depend on the planner and runs in well under a second.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest

from migrator.outputs.mermaid import (
    DEPENDENCY_HEADERS,
    GANTT_HEADERS,
    MAX_CHARS,
    MAX_EDGES,
    MAX_GANTT_TASKS,
    MAX_XY_POINTS,
    burndown_rows,
    burndown_table,
    dependency_flowchart,
    dependency_rows,
    dependency_table,
    gantt,
    gantt_rows,
    gantt_table,
    mermaid_number,
    xychart_burndown,
)

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


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    rnd = random.Random(7)
    start = dt.date(2027, 1, 4)
    per_wave = SERVERS // WAVES
    groups_per_wave = GROUPS // WAVES
    waves = []
    for i in range(WAVES):
        s = start + dt.timedelta(days=7 * i)
        waves.append(
            {
                "number": i + 1,
                "name": f"Wave {i + 1}",
                "kind": ("foundation", "nonprod", "prod")[min(i, 2) if i < 3 else 1 + i % 2],
                "start": s.isoformat(),
                "end": (s + dt.timedelta(days=13)).isoformat(),
                "servers": per_wave,
                "vcpus": per_wave * 4.0,
                "memory_gb": per_wave * 16.0,
                "storage_gb": per_wave * 200.0,
                "move_groups": [f"MG-{i * groups_per_wave + g + 1:04d}" for g in range(groups_per_wave)],
                "risk": {"level": ("low", "medium", "high")[i % 3], "score": i % 100, "reasons": []},
            }
        )
    move_groups = [
        {
            "id": f"MG-{g + 1:04d}",
            "name": f'app-{g % 700} | <team {g % 13}> "prod"',
            "wave": g // groups_per_wave + 1,
            "servers_count": per_wave // groups_per_wave,
        }
        for g in range(GROUPS)
    ]
    edges = []
    seen = set()
    while len(edges) < EDGES:
        a, b = rnd.randrange(GROUPS), rnd.randrange(GROUPS)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        edges.append(
            {
                "source": f"MG-{a + 1:04d}",
                "target": f"MG-{b + 1:04d}",
                "connections": float(rnd.randrange(1, 5_000_000)),
            }
        )
    baseline = 1_234_567.0  # kW of a very large estate: values Python would print with an exponent
    timeline = [
        {
            "month": f"{2027 + m // 12}-{m % 12 + 1:02d}",
            "remaining": round(baseline * (1 - m / (MONTHS + 20)), 3),
            "reduction": round(m / (MONTHS + 20), 4),
        }
        for m in range(MONTHS)
    ]
    return {
        "servers": SERVERS,
        "waves": waves,
        "move_groups": move_groups,
        "move_group_dependencies": edges,
        "footprint": {"unit": "kW", "baseline": baseline, "timeline": timeline, "target": {"reduction": 0.6}},
    }


def test_gantt_of_500_waves_is_capped_and_announced(plan: dict[str, Any]) -> None:
    text = gantt(plan["waves"], freezes=[{"name": "year end", "start": "2027-12-20", "end": "2028-01-02"}])
    (block,) = _within_limits(text)
    tasks = [line for line in block.splitlines() if re.search(r":(crit, )?w\d+, ", line)]
    assert len(tasks) == MAX_GANTT_TASKS
    assert f"and {WAVES - MAX_GANTT_TASKS} more waves" in text
    # the twin has every wave, with the same dates the chart draws
    rows = gantt_rows(plan["waves"])
    assert len(rows) == WAVES and list(GANTT_HEADERS)[0] == "Wave"
    drawn = {
        int(m.group(1)): (m.group(2), int(m.group(3)))
        for m in (re.search(r":(?:crit, )?w(\d+), (\S+), (\d+)d", t) for t in tasks)
        if m
    }
    for number, kind, start, _end, days, servers, _risk in rows[:MAX_GANTT_TASKS]:
        assert drawn[number] == (start, days) and servers == SERVERS // WAVES and kind
    assert gantt_table(plan["waves"]).count("\n") == WAVES + 2


def test_every_wave_dependency_diagram_within_limits(plan: dict[str, Any]) -> None:
    groups = {g["id"]: g for g in plan["move_groups"]}
    by_group: dict[str, list[dict[str, Any]]] = {}
    for e in plan["move_group_dependencies"]:
        by_group.setdefault(e["source"], []).append(e)
        by_group.setdefault(e["target"], []).append(e)
    total_blocks = 0
    for w in plan["waves"]:
        edges = {(e["source"], e["target"]): e for g in w["move_groups"] for e in by_group.get(g, [])}
        rows = [{"source": a, "target": b, "weight": e["connections"]} for (a, b), e in sorted(edges.items())]
        ids = sorted({r["source"] for r in rows} | {r["target"] for r in rows})
        nodes = [{"id": i, "label": groups[i]["name"]} for i in ids]
        text, shown = dependency_flowchart(nodes, rows, max_edges=40, max_nodes=30)
        total_blocks += len(_within_limits(text))
        assert len(shown) <= 40 and _blocks(text)[0].count('["') <= 30
        twin = dependency_rows(nodes, rows, shown)
        assert len(twin) == len(rows) and sum(1 for r in twin if r[-1] == "yes") == len(shown)
    assert total_blocks == WAVES


def test_estate_wide_diagram_keeps_the_heaviest_500_edges(plan: dict[str, Any]) -> None:
    edges = [
        {"source": e["source"], "target": e["target"], "weight": e["connections"]}
        for e in plan["move_group_dependencies"]
    ]
    nodes = [{"id": g["id"], "label": g["name"]} for g in plan["move_groups"]]
    text, shown = dependency_flowchart(nodes, edges, max_edges=100_000, max_nodes=100_000)
    (block,) = _within_limits(text)
    assert 0 < len(shown) <= MAX_EDGES
    assert [e["weight"] for e in shown] == sorted((e["weight"] for e in shown), reverse=True)
    assert re.search(r"_and [\d,]+ more dependencies between [\d,]+ more nodes", text)
    # the labels carried pipes, angle brackets and quotes: none of them is raw inside the block
    assert "<team" not in block and '"prod"' not in block and "app-1 |" not in block
    assert dependency_table(nodes, edges, shown, limit=100).count(
        "\n|"
    ) == 101 and "more dependencies" in dependency_table(nodes, edges, shown)
    assert list(DEPENDENCY_HEADERS)[-1] == "In the diagram"


def test_huge_labels_are_cut_by_the_character_budget() -> None:
    nodes = [{"id": f"g{i}", "label": f"{i}-" + "x" * 3_000} for i in range(400)]
    edges = [{"source": f"g{i}", "target": f"g{(i + 1) % 400}", "weight": float(400 - i)} for i in range(400)]
    text, shown = dependency_flowchart(nodes, edges, max_edges=500, max_nodes=400)
    (block,) = _within_limits(text)
    assert len(block) > MAX_CHARS // 2 and len(shown) < 400 and "more dependencies" in text


def test_burndown_xychart_numbers_parse_and_months_are_sampled(plan: dict[str, Any]) -> None:
    fp = plan["footprint"]
    target = fp["baseline"] * (1 - fp["target"]["reduction"])
    text = xychart_burndown(fp["timeline"], target, fp["unit"])
    (block,) = _within_limits(text)
    bar = re.search(r"^\s+bar \[(.*)\]$", block, flags=re.M)
    line = re.search(r"^\s+line \[(.*)\]$", block, flags=re.M)
    axis = re.search(r"y-axis \"[^\"]*\" (\S+) --> (\S+)$", block, flags=re.M)
    assert bar and line and axis
    numbers = [*bar.group(1).split(", "), *line.group(1).split(", "), axis.group(1), axis.group(2)]
    assert all(XY_NUMBER.match(n) for n in numbers), [n for n in numbers if not XY_NUMBER.match(n)]
    assert len(bar.group(1).split(", ")) <= MAX_XY_POINTS + 1 and "months shown" in text
    assert float(bar.group(1).split(", ")[0]) == pytest.approx(fp["baseline"], rel=1e-5)
    rows = burndown_rows(fp["timeline"], target)
    assert len(rows) == MONTHS and rows[0][0] == "2027-01" and rows[0][3] == "" and rows[-1][3] == "yes"
    assert burndown_table(fp["timeline"], target, "kW").startswith("| Month | Remaining (kW) | Target (kW) |")


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
    waves = [
        {"number": 1, "kind": "pilot", "start": "2027-01-04", "end": "2027-01-10", "servers": 3},
        {"number": 2, "kind": "prod", "start": "2027-01-11", "end": "2027-01-17", "servers": 4},
    ]
    text = gantt(waves)
    assert "section pilot" in text and ":w1, 2027-01-04, 7d" in text and ":w2, 2027-01-11, 7d" in text
