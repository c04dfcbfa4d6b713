"""PLAN.md and the wave pages are rendered from the plan's columns (issue 15): one group-by or sort per table
for all waves, never a filter per wave or a model per record. Each such renderer here gives, byte for byte,
what the record-by-record code it replaced gave (kept below as the reference), on a generated plan with
sizing, retired and retained servers, dependencies crossing waves and waves of many move groups; waves.csv
is the text pandas' ``to_csv`` writes, and the CSV formula guard is the cell-by-cell one."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from migrator.document import PlanResult
from migrator.generate import generate_estate
from migrator.outputs import markdown, md_table, wave_pages
from migrator.outputs.csv_waves import csv_text, waves_frame
from migrator.outputs.escape import csv_cell, csv_column
from migrator.outputs.markdown import (
    MAX_CROSS_ROWS,
    MAX_SERVER_ROWS,
    NOT_READY,
    _details,
    _more,
    _num,
    _ports,
)
from migrator.outputs.mermaid import FlowEdge, FlowNode, FlowStyle, dependency_flowchart, ranked_flowchart
from migrator.outputs.text import number, plural
from migrator.pipeline import plan_inventory
from migrator.plan_model import PlanDocument, Wave
from migrator.settings import load_settings
from migrator.validate import validate
from tests.estates import native_results


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    estate = generate_estate(3_000, seed=5)
    settings = load_settings(None, {"capacity": {"max_servers": 120, "max_vcpus": 1200}}, environ={})
    return plan_inventory(validate(native_results(estate)), settings)


def test_the_plan_exercises_every_renderer(plan: PlanResult) -> None:
    doc = plan.document
    kinds = set(doc.cross_wave_dependencies.column("kind"))
    dispositions = set(doc.servers.column("disposition"))
    assert {"temporary", "permanent"} <= kinds and {"retire", "retain"} <= dispositions
    assert any(r in NOT_READY for r in doc.servers.column("readiness"))
    assert max(len(w.move_groups) for w in doc.waves) > wave_pages.OPEN_ROWS
    assert len(doc.move_group_dependencies) > 10 * len(doc.waves)


# The wave pages


def _old_diagram(w: Wave, doc: PlanDocument) -> str:
    groups = {g.id: g for g in doc.move_groups}
    deps: dict[str, list[Any]] = defaultdict(list)
    for dep in doc.move_group_dependencies:
        deps[dep.source].append(dep)
        if dep.target != dep.source:
            deps[dep.target].append(dep)
    inside = set(w.move_groups)
    edges = {(d.source, d.target): d.connections for gid in sorted(inside) for d in deps.get(gid, [])}
    if not edges:
        return wave_pages.NO_DEPENDENCIES

    def label(gid: str) -> str:
        g = groups.get(gid)
        name = f"{gid} {g.name}" if g else gid
        return name if gid in inside else f"{name}, wave {g.wave if g and g.wave is not None else '?'}"

    ids = sorted({a for a, _ in edges} | {b for _, b in edges})
    nodes = [FlowNode(gid, label(gid), "" if gid in inside else "other") for gid in ids]
    rows = [FlowEdge(a, b, c) for (a, b), c in sorted(edges.items())]
    diagram, _ = dependency_flowchart(
        nodes, rows, wave_pages.DIAGRAM_EDGES, wave_pages.DIAGRAM_NODES, style=wave_pages.DIAGRAM_STYLE
    )
    ranked = sorted(rows, key=lambda e: (-e.weight, e.source, e.target))[: wave_pages.DEPENDENCY_ROWS]
    cells = [
        [
            label(e.source),
            label(e.target),
            number(e.weight),
            "yes" if (e.source in inside) != (e.target in inside) else "",
        ]
        for e in ranked
    ]
    twin = md_table.table(wave_pages.TWIN_HEADERS, cells)
    twin += wave_pages._more(len(rows), len(ranked), "plan.json `move_group_dependencies`")
    title = f"Dependencies of this wave's move groups ({len(rows):,})"
    return diagram + "\n" + wave_pages.LEGEND + "\n" + md_table.details(title, twin)


def _old_groups(w: Wave, doc: PlanDocument) -> str:
    groups = {g.id: g for g in doc.move_groups}
    rows: list[list[Any]] = []
    for gid in w.move_groups[: wave_pages.GROUP_ROWS]:
        g = groups.get(gid)
        if g is None:
            rows.append(
                [gid, "shared services", "", "", "", "", "foundation wave: see PLAN.md, Shared services"]
            )
            continue
        note = wave_pages._group_note(g.split, g.pinned_wave)
        crit = f"{g.criticality}, {g.complexity}"
        rows.append([g.id, g.name, f"{g.servers_count:,}", number(g.vcpus), number(g.storage_gb), crit, note])
    text = md_table.table(wave_pages.GROUP_HEADERS, rows)
    text += wave_pages._more(len(w.move_groups), len(rows), "plan.json `move_groups`")
    if len(rows) <= wave_pages.OPEN_ROWS:
        return text
    return md_table.details(plural(len(w.move_groups), "move group"), text)


def test_each_waves_dependencies_and_move_groups_are_what_the_per_wave_code_gave(plan: PlanResult) -> None:
    doc = plan.document
    waves = list(doc.waves)
    groups = wave_pages._Groups.of(doc)
    edges = wave_pages._WaveEdges.of(doc, waves, groups)
    for i, w in enumerate(waves):
        assert edges.diagram(i, w, groups) == _old_diagram(w, doc), w.number
        assert wave_pages._groups(w, groups) == _old_groups(w, doc), w.number


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.sampled_from([1.0, 2.0, 5.0, 1234.5])),
        min_size=1,
        max_size=60,
        unique_by=lambda e: (e[0], e[1]),
    )
)
@hyp_settings(max_examples=200, deadline=None)
def test_a_flowchart_of_ranked_edges_is_the_flowchart_of_all_of_them(
    raw: list[tuple[int, int, float]],
) -> None:
    """Reading edges heaviest first only until the diagram is full draws what sorting all of them draws
    (caps on edges, nodes and edges per node included)."""
    edges = [FlowEdge(f"g{a:02d}", f"g{b:02d}", w) for a, b, w in raw]
    ids = sorted({n for e in edges for n in (e.source, e.target)})
    nodes = {n: FlowNode(n, f"group {n}", "other" if n < "g05" else "") for n in ids}
    style = FlowStyle(unit="connections", class_defs={"other": "fill:#eee"}, max_degree=3)
    expected = dependency_flowchart(list(nodes.values()), edges, 8, 9, style=style)
    ranked = sorted(edges, key=lambda e: (-e.weight, e.source, e.target))
    assert ranked_flowchart(iter(ranked), nodes.__getitem__, (len(edges), len(ids)), 8, 9, style) == expected


# PLAN.md


def _old_readiness(doc: PlanDocument) -> list[str]:
    issues = [s for s in doc.servers if s.readiness in NOT_READY]
    lines = ["## Servers that cannot move as planned\n"]
    counts: dict[str, int] = defaultdict(int)
    for s in issues:
        counts[str(s.readiness)] += 1
    ordered = sorted(counts.items(), key=lambda kv: NOT_READY[kv[0]])
    lines.append(", ".join(f"{n:,} {k.lower()}" for k, n in ordered) + ".\n")
    shown = sorted(issues, key=lambda s: (NOT_READY[str(s.readiness)], s.wave or 0, s.name))[:MAX_SERVER_ROWS]
    listed = md_table.table(
        ["Server", "Wave", "Readiness", "Why", "Azure size"],
        [[s.name, s.wave, s.readiness, s.readiness_reason or "", s.azure_size or "none"] for s in shown],
    ) + _more(len(issues), len(shown), "waves.csv")
    lines.append(md_table.details(plural(len(issues), "server"), listed))
    return ["\n".join(lines)]


def _old_retired_and_retained(doc: PlanDocument) -> list[str]:
    retire = [r for r in doc.servers if r.disposition == "retire"]
    retain = [r for r in doc.servers if r.disposition == "retain"]
    out = [
        "## Retired and retained servers\n",
        f"{plural(len(retire), 'server')} retired (decommissioned without migration, once nothing that moves "
        f"still uses them) and {len(retain):,} retained on premises (they never free their capacity).\n",
    ]
    shown = sorted(retire, key=lambda r: (r.decommission_date or "", r.name))[:MAX_SERVER_ROWS]
    rows = [[r.name, r.application, r.environment, r.decommission_date or ""] for r in shown]
    out += _details("Retired", ["Server", "Application", "Environment", "Decommissioned"], rows, len(retire))
    shown = sorted(retain, key=lambda r: r.name)[:MAX_SERVER_ROWS]
    rows = [[r.name, r.application, r.environment, r.host] for r in shown]
    return out + _details("Retained", ["Server", "Application", "Environment", "Host"], rows, len(retain))


@dataclass
class _WavePair:
    pairs: int = 0
    connections: float = 0.0
    ports: set[int] = field(default_factory=set)
    days: int = 0


def _old_temporary_pairs(doc: PlanDocument) -> str:
    pairs: dict[tuple[Any, Any], _WavePair] = {}
    for c in doc.cross_wave_dependencies:
        if c.kind != "temporary":
            continue
        agg = pairs.setdefault((c.source_wave, c.target_wave), _WavePair())
        agg.pairs += 1
        agg.connections += c.connections
        agg.ports.update(c.ports)
        agg.days = max(agg.days, c.hybrid_days or 0)
    busiest = sorted(pairs.items(), key=lambda kv: (-kv[1].connections, kv[0][0] or 0, kv[0][1] or 0))
    rows = [
        [a, b, f"{v.pairs:,}", _num(v.connections), _ports(sorted(v.ports), 12, " ..."), v.days]
        for (a, b), v in sorted(busiest[:MAX_CROSS_ROWS], key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0))
    ]
    headers = ["From wave (source)", "To wave (target)", "Server pairs", "Connections", "Ports"]
    return md_table.table([*headers, "Hybrid for up to (days)"], rows)


def test_plan_md_server_and_dependency_lists_are_what_the_record_by_record_code_gave(
    plan: PlanResult,
) -> None:
    doc = plan.document
    assert markdown._readiness(doc) == _old_readiness(doc)
    assert markdown._retired_and_retained(doc) == _old_retired_and_retained(doc)
    crossing = "\n".join(markdown._cross_wave(doc))
    assert _old_temporary_pairs(doc) in crossing
    temp = [c for c in doc.cross_wave_dependencies if c.kind == "temporary"][:MAX_CROSS_ROWS]
    first = md_table.table(
        ["Source", "Wave", "Target", "Wave", "Ports", "Connections", "Hybrid days"],
        [
            [
                c.source,
                c.source_wave,
                c.target,
                c.target_wave,
                _ports(c.ports),
                _num(c.connections),
                c.hybrid_days,
            ]
            for c in temp
        ],
    )
    assert first in crossing


def test_pairs_of_waves_add_connections_in_row_order() -> None:
    """Connections are summed as a running total over the rows (floating point: the order shows)."""
    t = pd.DataFrame(
        {
            "source_wave": [1, 1, 1, 2],
            "target_wave": [2, 2, 2, 3],
            "connections": [1e16, 1.0, 1.0, 3.0],
            "hybrid_days": [5, None, 9, 2],
            "ports": [[443], [80, 443], [], [22]],
        }
    )

    class Columns:
        def column(self, name: str) -> list[Any]:
            return t[name].tolist()

    agg = markdown._WavePairs.of(Columns(), np.arange(4))
    assert agg.connections.tolist() == [(1e16 + 1.0) + 1.0, 3.0] and agg.pairs.tolist() == [3, 1]
    assert agg.ports_of(0) == [80, 443] and agg.days.tolist() == [9, 2]


# waves.csv


TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab ,"\r\n=+-@\t1.'), max_size=6))


@given(
    st.lists(
        st.tuples(
            TEXT,
            st.one_of(st.none(), st.floats(allow_nan=False, width=64)),
            st.one_of(st.none(), st.integers(-5, 10**12)),
            st.booleans(),
        ),
        max_size=25,
    )
)
@hyp_settings(max_examples=300, deadline=None)
def test_waves_csv_is_the_text_pandas_writes(rows: list[tuple[Any, Any, Any, bool]]) -> None:
    frame = pd.DataFrame(
        {
            "text": pd.Series([r[0] for r in rows], dtype="str"),
            "number": pd.Series([r[1] for r in rows], dtype=float),
            "count": pd.Series([r[2] for r in rows], dtype="Int64"),
            "flag": pd.Series([r[3] for r in rows], dtype=bool),
        }
    )
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    assert csv_text(frame) == buf.getvalue()


@given(st.lists(TEXT, max_size=30))
@hyp_settings(max_examples=300, deadline=None)
def test_a_column_is_guarded_against_formulas_as_each_cell_would_be(cells: list[str | None]) -> None:
    column = pd.Series(cells, dtype="str")
    assert csv_column(column).tolist() == [csv_cell(c) for c in column.fillna("").astype(str)]


def test_the_plans_waves_csv_is_the_text_pandas_writes(plan: PlanResult) -> None:
    frame = waves_frame(plan)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    assert csv_text(frame) == buf.getvalue()


# The escapers' fast paths


SPECIAL = st.text(alphabet=st.sampled_from("ab _*`[]|\\<>&@.\n\t\"#:;(){}'%\u202e\u2066\x1c"), max_size=12)


@given(SPECIAL)
@hyp_settings(max_examples=500, deadline=None)
def test_escaping_skips_no_character_it_has_to_escape(text: str) -> None:
    """md_text and mermaid_label look for characters before translating; what they give is what translating
    and substituting every string gave."""
    import html
    import re

    from migrator.outputs import escape

    s = html.escape(text.translate(escape._BIDI_SHOWN), quote=False)
    s = escape._MENTION.sub("@" + escape.ZWJ, re.sub(r"([\\`*_\[\]|])", r"\\\1", s))
    assert escape.md_text(text) == " ".join(s.split())
    assert escape.mermaid_label(text) == " ".join(text.translate(escape._MERMAID).split())
