"""PLAN.md and the wave pages: escaping of inventory text, a size GitHub renders whatever the estate, Mermaid
blocks within GitHub's limits, a table twin for every diagram, the burn-down PNG."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from migrator.document import PlanResult
from migrator.generate import generate_estate
from migrator.outputs import md_table, wave_pages
from migrator.outputs.base import render_plan
from migrator.outputs.chart import burndown_png_bytes
from migrator.outputs.escape import csv_cell, md_cell, md_text, mermaid_label
from migrator.outputs.json_plan import validate_document
from migrator.outputs.markdown import MAX_WAVE_ROWS, render_markdown
from migrator.outputs.mermaid import (
    MAX_CHARS,
    MAX_EDGES,
    MAX_GANTT_BARS,
    FlowEdge,
    FlowNode,
    dependency_flowchart,
    gantt,
)
from migrator.outputs.wave_pages import render_wave_pages, wave_path
from migrator.pipeline import plan_inventory
from migrator.settings import load_settings
from migrator.validate import validate
from tests.conftest import inventory, server, settings
from tests.estates import native_results
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
    pages = "".join(render_wave_pages(result.document, result.servers).values())
    assert "<img" not in md + pages and "web\\|01" in pages and "&lt;img src=x" in pages
    assert pages == "".join(render_wave_pages(result.document).values())  # from the document alone, the same
    from migrator.outputs.csv_waves import WavesCsv

    csv_text = WavesCsv().render(result).decode()
    assert "'=cmd" in csv_text and "'=1+2" in csv_text


@given(st.lists(st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=False)), max_size=30))
@hyp_settings(max_examples=300, deadline=None)
def test_a_column_is_escaped_as_each_cell_would_be(cells: list[object]) -> None:
    """Escaping a column in one pass gives what escaping each cell gives (whitespace, HTML, Markdown
    specials, empty and missing cells, even the separator the pass joins with)."""
    assert md_table.md_column(cells) == [md_text(c) for c in cells]


@given(st.lists(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), max_size=30), st.integers(0, 3))
@hyp_settings(max_examples=200, deadline=None)
def test_a_number_column_is_formatted_as_each_number_would_be(values: list[float], digits: int) -> None:
    expected = [f"{v:,.{digits}f}" for v in values]
    expected = [e[1:] if e.startswith("-") and e.strip("-0.,") == "" else e for e in expected]  # no "-0"
    assert md_table.number_column(values, digits) == expected


GITHUB_LIMIT = 500_000  # GitHub stops rendering a Markdown file at about 512 KB


@pytest.fixture(scope="module")
def big_plan() -> PlanResult:
    estate = generate_estate(10_000, seed=11)
    results = native_results(estate)
    result = plan_inventory(
        validate(results),
        load_settings(None, {"capacity": {"max_servers": 60, "max_vcpus": 600}}, environ={}),
    )
    validate_document(result.document)  # a large, generated plan follows the published schema too
    return result


@pytest.fixture(scope="module")
def big_files(big_plan: PlanResult) -> dict[str, str]:
    return {
        name: data.decode("utf-8") for name, data in render_plan(big_plan).items() if name.endswith(".md")
    }


SECTIONS = (
    "# Migration plan",
    "> **Target**:",
    "> **Conditions**:",
    "## Summary",
    "## Conditions not met",
    "## Schedule",
    "## Footprint",
    "## Azure cost",
    "## Waves",
    "## Dependencies that cross waves",
    "## Shared services",
    "## Findings",
    "## Assumptions",
)


def test_plan_md_of_10000_servers_is_an_overview_github_renders(
    big_plan: PlanResult, big_files: dict[str, str]
) -> None:
    """PLAN.md stays under GitHub's rendering limit with every section, in the reviewer's order, and every
    wave page it links to exists and stays under the limit too."""
    plan = big_files["PLAN.md"]
    assert len(plan.encode()) < GITHUB_LIMIT
    positions = [plan.find(f"\n{s}") if not s.startswith("# ") else plan.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), dict(zip(SECTIONS, positions, strict=True))
    headings = re.findall(r"^#+ .*$", plan, flags=re.M)
    assert len(headings) == len(set(headings)), headings  # each section once
    links = re.findall(r"\]\((waves/wave-\d+\.md)\)", plan)
    waves = big_plan.document.waves
    assert len(waves) > 100 and links == [wave_path(w.number) for w in waves[:MAX_WAVE_ROWS]]
    pages = {name: text for name, text in big_files.items() if name.startswith("waves/")}
    assert set(pages) == {wave_path(w.number) for w in waves}
    assert max(len(text.encode()) for text in pages.values()) < GITHUB_LIMIT
    # a wave page lists its servers (inside <details>), as many as the wave moves
    w = max(waves, key=lambda w: w.servers)
    assert f"<details><summary>{w.servers} servers</summary>" in pages[wave_path(w.number)]


def test_every_mermaid_block_within_github_limits_on_10000_servers(big_files: dict[str, str]) -> None:
    blocks = [b for text in big_files.values() for b in re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)]
    assert len(blocks) > 10
    for block in blocks:
        assert len(block) <= MAX_CHARS
        assert block.count("-->") <= MAX_EDGES
    flowcharts = [b for b in blocks if b.startswith("flowchart")]
    joined = "".join(big_files.values())
    # what GitHub's 980 px column shows legibly: at most 15 move groups, some waves cut to it (and say so)
    assert max(len(set(re.findall(r"\bn\d+\b", b))) for b in flowcharts) == 15
    assert re.search(r"_and [\d,]+ more dependenc(y|ies) between [\d,]+ more move groups?", joined)
    assert "and " in joined and "more" in joined  # caps are announced, not silent


def test_gantt_of_a_large_plan_stays_short_and_says_how(
    big_files: dict[str, str], big_plan: PlanResult
) -> None:
    (block,) = re.findall(r"```mermaid\n(gantt.*?)```", big_files["PLAN.md"], flags=re.S)
    bars = re.findall(r":(?:crit, )?w\d+, ", block)
    assert len(bars) <= MAX_GANTT_BARS + 4  # one more per kind, at most, for a kind's last bar
    assert "todayMarker off" in block and "Legend: red bars: high-risk waves" in big_files["PLAN.md"]
    assert re.search(r"Waves \d+-\d+ \(\d+ waves, [\d,]+ servers\)", block)


def test_every_diagram_has_its_table_twin(big_plan: PlanResult, big_files: dict[str, str]) -> None:
    """The gantt chart's twin lists every wave, the burn-down's every month, each wave's flowchart every
    dependency of its move groups."""
    md = big_files["PLAN.md"]
    waves = re.search(r"\n(\| Wave \| Kind .*?)\n\n", md, re.S)
    assert waves and len(waves.group(1).splitlines()) == len(big_plan.document.waves) + 2
    months = re.search(r"\n(\| Month .*?)\n\n", md, re.S)
    assert months and len(months.group(1).splitlines()) == len(big_plan.document.footprint.timeline) + 2
    for name, text in big_files.items():
        counted = re.findall(r"<summary>Dependencies of this wave's move groups \(([\d,]+)\)</summary>", text)
        flowcharts = [
            b for b in re.findall(r"```mermaid\n(.*?)```", text, flags=re.S) if b.startswith("flowchart")
        ]
        assert len(counted) == len(flowcharts), name
        for n, block in zip(counted, flowcharts, strict=True):
            assert block.count("-->") <= int(n.replace(",", ""))


def test_markdown_is_escaped_a_column_at_a_time(
    big_plan: PlanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering 10,000 servers' Markdown escapes columns, not cells: the calls of the cell escaper grow
    with the waves, not with the servers (issue 15: 1.7 million calls at 100,000 servers)."""
    calls = 0
    real = md_table.md_text

    def counting(text: object) -> str:
        nonlocal calls
        calls += 1
        return real(text)

    from migrator.outputs import escape, markdown

    for module in (md_table, markdown, wave_pages, escape):
        monkeypatch.setattr(module, "md_text", counting)
    monkeypatch.setattr(escape, "md_cell", counting)
    render_markdown(big_plan.document)
    render_wave_pages(big_plan.document, big_plan.servers)
    # a few dozen per wave (a column, a header, a title), never one per server's cell (10,000 servers)
    assert 0 < calls < 40 * len(big_plan.document.waves) + 1_000 < len(big_plan.servers), calls


def test_a_change_to_one_wave_changes_that_waves_page_only(big_plan: PlanResult) -> None:
    doc = big_plan.document
    before = render_wave_pages(doc, big_plan.servers)
    w = doc.waves[5]
    changed = w.model_copy(
        update={"risk": w.risk.model_copy(update={"reasons": ["reviewed by the architect"]})}
    )
    after = render_wave_pages(
        doc.model_copy(update={"waves": [*doc.waves[:5], changed, *doc.waves[6:]]}), big_plan.servers
    )
    assert [p for p in before if before[p] != after[p]] == [wave_path(w.number)]


def test_builders_cap_and_announce() -> None:
    start = dt.date(2027, 1, 4)
    waves = [wave(i, "prod", start, 14, 5) for i in range(1, 1001)]
    text = gantt(waves)
    assert len(text) <= MAX_CHARS + 400 and "each bar spans up to 17 consecutive waves" in text
    nodes = [FlowNode(str(i), f"group {i}") for i in range(2000)]
    edges = [FlowEdge(str(i), str((i * 7) % 2000), float(i)) for i in range(2000)]
    diagram, shown = dependency_flowchart(nodes, edges, max_edges=10_000, max_nodes=10_000)
    assert len(shown) <= MAX_EDGES and diagram.count("-->") == len(shown)
    assert shown[0].weight == 1999.0  # the heaviest edges are kept


def test_burndown_png_is_a_valid_deterministic_png(big_plan: PlanResult) -> None:
    from PIL import Image

    a = burndown_png_bytes(big_plan.document.footprint)
    b = burndown_png_bytes(big_plan.document.footprint)
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
    img = Image.open(io.BytesIO(a))
    img.verify()
    assert img.size == (1000, 450)
