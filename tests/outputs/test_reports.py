"""PLAN.md pieces: escaping of inventory text, Mermaid blocks GitHub will render, the burn-down PNG."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from migrator.generate import generate_estate
from migrator.inputs.base import ReadResult
from migrator.outputs.chart import burndown_png_bytes
from migrator.outputs.escape import csv_cell, md_cell, mermaid_label
from migrator.outputs.json_plan import validate_document
from migrator.outputs.markdown import render_markdown
from migrator.outputs.mermaid import (
    MAX_CHARS,
    MAX_EDGES,
    FlowEdge,
    FlowNode,
    dependency_flowchart,
    gantt,
    xychart_burndown,
)
from migrator.pipeline import plan_inventory
from migrator.plan_model import PlanDocument, TimelinePoint
from migrator.settings import load_settings
from migrator.validate import validate
from tests.conftest import inventory, server, settings
from tests.outputs.test_mermaid_limits import wave


def test_markdown_cell_escaping() -> None:
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert md_cell("line\nbreak") == "line break"
    assert md_cell("*bold* [link](x)") == "\\*bold\\* \\[link\\](x)"


def test_csv_formula_injection_is_defused() -> None:
    assert [csv_cell(v) for v in ("=HYPERLINK(1)", "+1+1", "-cmd", "@SUM(A1)", "-12.5", "web01", 3.5)] == [
        "'=HYPERLINK(1)",
        "'+1+1",
        "'-cmd",
        "'@SUM(A1)",
        "-12.5",
        "web01",
        3.5,
    ]


def test_mermaid_labels_cannot_break_the_diagram() -> None:
    label = mermaid_label('app "x"]; click n0 call evil()')
    assert (
        '"' not in label
        and "]" not in label
        and ";" not in label.replace("#", "").replace("&", "")
        or label.count(";") == label.count("#")
    )


def test_inventory_text_is_escaped_in_the_plan_and_waves_csv() -> None:
    inv = inventory([server("web|01", "<img src=x onerror=alert(1)>"), server("=cmd", "=1+2")])
    result = plan_inventory(inv, settings(planning={"protected_waves": 0}))
    md = render_markdown(result.document)
    assert "<img" not in md and "web\\|01" in md
    from migrator.outputs.csv_waves import WavesCsv

    csv_text = WavesCsv().render(result).decode()
    assert "'=cmd" in csv_text and "'=1+2" in csv_text


@pytest.fixture(scope="module")
def big_plan() -> PlanDocument:
    estate = generate_estate(10_000, seed=11)
    results = [
        ReadResult(
            path="servers.csv", format="native", servers=estate.servers.astype(str).replace({"nan": ""})
        ),
        ReadResult(path="dependencies.csv", format="native", dependencies=estate.dependencies.astype(str)),
        ReadResult(path="hosts.csv", format="native", hosts=estate.hosts.astype(str)),
    ]
    doc = plan_inventory(
        validate(results),
        load_settings(None, {"capacity": {"max_servers": 60, "max_vcpus": 600}}, environ={}),
    ).document
    validate_document(doc)  # a large, generated plan follows the published schema too
    return doc


def test_every_mermaid_block_within_github_limits_on_10000_servers(big_plan: PlanDocument) -> None:
    md = render_markdown(big_plan)
    blocks = re.findall(r"```mermaid\n(.*?)```", md, flags=re.S)
    assert len(blocks) > 10
    for block in blocks:
        assert len(block) <= MAX_CHARS
        assert block.count("-->") <= MAX_EDGES
    assert "and " in md and "more" in md  # caps are announced, not silent


def test_builders_cap_and_announce() -> None:
    start = dt.date(2027, 1, 4)
    waves = [wave(i, "prod", start, 14, 5) for i in range(1, 1001)]
    text = gantt(waves)
    assert len(text) <= MAX_CHARS + 200 and "and 600 more waves" in text
    nodes = [FlowNode(str(i), f"group {i}") for i in range(2000)]
    edges = [FlowEdge(str(i), str((i * 7) % 2000), float(i)) for i in range(2000)]
    diagram, shown = dependency_flowchart(nodes, edges, max_edges=10_000, max_nodes=10_000)
    assert len(shown) <= MAX_EDGES and diagram.count("-->") == len(shown)
    assert shown[0].weight == 1999.0  # the heaviest edges are kept
    timeline = [
        TimelinePoint(month=f"{2027 + i // 12}-{i % 12 + 1:02d}", remaining=100 - i * 0.1, reduction=i / 1000)
        for i in range(600)
    ]
    chart = xychart_burndown(timeline, 40, "kW")
    assert chart.count(",") < 400 and "months shown" in chart


def test_every_diagram_has_its_table_twin(big_plan: PlanDocument) -> None:
    """The gantt chart's twin lists every wave, the burn-down's every month, each wave's flowchart every
    dependency of its move groups."""
    md = render_markdown(big_plan)
    waves = re.search(
        r"## Waves\n\n```mermaid\n.*?```\n(?:\n_and \d+ more waves.*?\n)?\n(\| Wave .*?)\n\n", md, re.S
    )
    assert waves and len(waves.group(1).splitlines()) == len(big_plan.waves) + 2
    months = re.search(r"\(footprint\.png\)\n\n(\| Month .*?)(?:\n\n|$)", md, re.S)
    assert months and len(months.group(1).splitlines()) == len(big_plan.footprint.timeline) + 2
    counted = re.findall(r"<summary>Dependencies of this wave's move groups \((\d+)\)</summary>", md)
    flowcharts = [b for b in re.findall(r"```mermaid\n(.*?)```", md, flags=re.S) if b.startswith("flowchart")]
    assert len(counted) == len(flowcharts) > 0
    for n, block in zip(counted, flowcharts, strict=True):
        assert block.count("-->") <= int(n)


def test_burndown_png_is_a_valid_deterministic_png(big_plan: PlanDocument) -> None:
    from PIL import Image

    a = burndown_png_bytes(big_plan.footprint)
    b = burndown_png_bytes(big_plan.footprint)
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
    img = Image.open(io.BytesIO(a))
    img.verify()
    assert img.size == (1000, 450)
