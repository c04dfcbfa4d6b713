"""One Markdown page per wave (``waves/wave-007.md``), linked from PLAN.md's wave table.

PLAN.md stays an overview a reviewer reads first, under GitHub's 512 KB rendering limit whatever the estate;
a wave's detail lives in its own page: figures, risk and confidence with their reasons, its move groups, a
dependency diagram small enough to read in GitHub's 980 px column (the rest in its table twin), and its
servers. A page reads only its own wave (and the waves of the move groups it talks to), so a change to one
wave changes that wave's page and its row in PLAN.md, and a pull request's diff stays small. Past
WAVE_SERVER_ROWS servers a wave's server list stays in waves.csv.

Server tables are built for all waves at once, a column at a time (:mod:`migrator.outputs.md_table`): the
render grows with the number of servers, not waves x servers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migrator.azure.confidence import star_text, whole_percent
from migrator.outputs import md_table
from migrator.outputs.escape import md_text
from migrator.outputs.mermaid import FlowEdge, FlowNode, FlowStyle, dependency_flowchart
from migrator.outputs.text import kind_label, money, number, plural
from migrator.plan_model import ConfidenceRating, MoveGroup, MoveGroupDependency, PlanDocument, Wave

if TYPE_CHECKING:
    from migrator.document import PlanResult

WAVE_DIR = "waves"
WAVE_SERVER_ROWS = 2_000  # a wave with more servers lists them in waves.csv only (a page stays < 500 KB)
OPEN_ROWS = 15  # tables longer than this are collapsed in <details>
DIAGRAM_NODES = 15  # what GitHub's 980 px column shows legibly
DIAGRAM_EDGES = 14
DIAGRAM_FAN = 6  # edges drawn per move group: a wider fan is a column taller than a screen
DEPENDENCY_ROWS = 100
GROUP_ROWS = 500
OTHER_WAVE_STYLE = "fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:4 3,color:#57606a"
SERVER_COLUMNS = ["server", "application", "environment", "move_group", "disposition"]
SIZED_COLUMNS = ["azure_size", "readiness"]


def wave_path(number: int) -> str:
    """The page of a wave, relative to the plan folder: ``waves/wave-007.md``."""
    return f"{WAVE_DIR}/wave-{number:03d}.md"


def render_wave_pages(doc: PlanDocument, servers: pd.DataFrame | None = None) -> dict[str, str]:
    """Every wave's page by path. ``servers`` is the per-server table (:attr:`PlanResult.servers`); without
    it the document's server records are read."""
    frame = servers if servers is not None else servers_frame(doc)
    context = _Context.of(doc)
    tables = server_tables(frame, context.currency if doc.sizing is not None else None)
    return {wave_path(w.number): _page(w, context, tables.get(w.number, (0, ""))) for w in doc.waves}


def wave_pages(result: PlanResult) -> dict[str, bytes]:
    """The pages as files (for :func:`migrator.outputs.base.render_plan`)."""
    pages = render_wave_pages(result.document, result.servers)
    return {path: text.encode("utf-8") for path, text in pages.items()}


def servers_frame(doc: PlanDocument) -> pd.DataFrame:
    """The columns a page lists, from the document's server records."""
    cols = ["name", "application", "environment", "move_group", "wave", "disposition", "cores", "memory_gb"]
    cols += ["storage_gb", "azure_size", "readiness", "monthly_cost"]
    table: Any = doc.servers
    if hasattr(table, "column"):  # plan.json 2.x: the servers are columns
        frame = pd.DataFrame({c: table.column(c) for c in cols}, columns=cols)
    else:
        frame = pd.DataFrame([s.model_dump(include=set(cols)) for s in table], columns=cols)
    return frame.rename(columns={"name": "server"})


@dataclass(frozen=True)
class _Context:
    """What a page looks up: move groups by id, their dependencies, the currency."""

    groups: dict[str, MoveGroup]
    currency: str
    dependencies: dict[str, list[MoveGroupDependency]] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: PlanDocument) -> _Context:
        currency = doc.sizing.catalog.currency if doc.sizing is not None else "USD"
        context = cls({g.id: g for g in doc.move_groups}, currency)
        for dep in doc.move_group_dependencies:
            context.dependencies.setdefault(dep.source, []).append(dep)
            if dep.target != dep.source:
                context.dependencies.setdefault(dep.target, []).append(dep)
        return context


def _page(w: Wave, context: _Context, servers: tuple[int, str]) -> str:
    title = f"Wave {w.number}" + ("" if w.name == f"Wave {w.number}" else f": {md_text(w.name)}")
    out = [
        f"# {title} ({kind_label(w.kind)}), {w.start} to {w.end}\n",
        f"[Back to the plan](../PLAN.md#waves). Every server of this wave is in [waves.csv](../waves.csv) "
        f"(`wave` = {w.number}).\n",
        md_table.table(["", ""], _facts(w, context.currency)),
        "## Move groups\n",
        _groups(w, context.groups),
        "## Dependencies\n",
        _diagram(w, context),
        "## Servers\n",
        _servers(w, *servers),
    ]
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def _facts(w: Wave, currency: str) -> list[list[str]]:
    groups, apps = plural(len(w.move_groups), "move group"), plural(len(w.applications), "application")
    rows = [
        [
            "Moves",
            f"{plural(w.servers, 'server')} in {groups} ({apps}): {number(w.vcpus, unit='vCPU')}, "
            f"{number(w.memory_gb, unit='GiB')} memory, {number(w.storage_gb, unit='GiB')} storage "
            f"({w.utilisation:.0%} of the tightest capacity limit)",
        ],
        ["Risk", f"{w.risk.level} ({w.risk.score}/100): " + "; ".join(w.risk.reasons)],
        [
            "Confidence (planning)",
            f"{w.confidence.level} ({w.confidence.score}/100): " + "; ".join(w.confidence.reasons),
        ],
    ]
    if w.confidence_rating is not None:
        rows.append(["Confidence rating (sizing data)", rating_text(w.confidence_rating)])
    if w.cost is not None:
        c = w.cost
        rows.append(
            [
                "Azure run-rate it adds",
                f"{money(c.monthly_payg, c.currency)} a month pay-as-you-go; 1-year reservations "
                f"{money(c.monthly_1y, c.currency)}, 3-year {money(c.monthly_3y, c.currency)}"
                + (f"; {plural(c.unpriced_servers, 'server')} not priced" if c.unpriced_servers else ""),
            ]
        )
    return rows


def rating_text(r: ConfidenceRating) -> str:
    """Azure Migrate's confidence rating (sizing data) in words."""
    rated = "n/a (as-on-premises sizing)" if r.stars is None else f"{star_text(r.stars)} ({r.stars} of 5)"
    cpu_memory, disks = round(r.sized_on_utilisation * r.servers), round(r.disks_on_performance * r.servers)
    return (
        f"{rated}, {int(whole_percent(r.data_available))}% of the data points performance-based sizing "
        "needs; "
        f"CPU and memory sized on measured utilisation for {cpu_memory:,} of {plural(r.servers, 'server')}, "
        f"disks on measured IOPS or throughput for {disks:,} (the others on their allocation and disk size)"
    )


def _groups(w: Wave, groups: dict[str, MoveGroup]) -> str:
    rows: list[list[Any]] = []
    for gid in w.move_groups[:GROUP_ROWS]:
        g = groups.get(gid)
        if g is None:
            rows.append(
                [gid, "shared services", "", "", "", "", "foundation wave: see PLAN.md, Shared services"]
            )
            continue
        rows.append(
            [
                g.id,
                g.name,
                f"{g.servers_count:,}",
                number(g.vcpus),
                number(g.storage_gb),
                f"{g.criticality}, {g.complexity}",
                _group_note(g),
            ]
        )
    headers = ["Move group", "Name", "Servers", "vCPU", "Storage (GiB)", "Criticality, complexity", "Notes"]
    text = md_table.table(headers, rows) + _more(len(w.move_groups), len(rows), "plan.json `move_groups`")
    if len(rows) <= OPEN_ROWS:
        return text
    return md_table.details(plural(len(w.move_groups), "move group"), text)


def _group_note(g: MoveGroup) -> str:
    note = []
    if g.split is not None:
        sp = g.split
        note.append(
            f"part {sp.part} of {sp.of} of {sp.from_} (the split cut "
            f"{plural(sp.cut_edges, 'dependency')}, weight {sp.cut_weight:,.0f})"
        )
    if g.pinned_wave is not None:
        note.append(f"pinned to wave {g.pinned_wave}")
    return "; ".join(note)


def _more(total: int, shown: int, where: str) -> str:
    return f"\n_and {total - shown:,} more, in {where}._\n" if total > shown else ""


def _diagram(w: Wave, context: _Context) -> str:
    """The wave's dependencies aggregated to move groups, inside the wave and to groups of other waves: the
    heaviest in a small flowchart, all of them (up to DEPENDENCY_ROWS) in its table twin."""
    inside = set(w.move_groups)
    edges: dict[tuple[str, str], float] = {}
    for gid in sorted(inside):
        for dep in context.dependencies.get(gid, []):
            edges[(dep.source, dep.target)] = dep.connections
    if not edges:
        return "No dependencies between this wave's move groups and other move groups.\n"

    def label(gid: str) -> str:
        g = context.groups.get(gid)
        name = f"{gid} {g.name}" if g else gid
        return name if gid in inside else f"{name}, wave {g.wave if g and g.wave is not None else '?'}"

    ids = sorted({a for a, _ in edges} | {b for _, b in edges})
    nodes = [FlowNode(gid, label(gid), "" if gid in inside else "other") for gid in ids]
    rows = [FlowEdge(a, b, c) for (a, b), c in sorted(edges.items())]
    style = FlowStyle(
        unit="connections", noun="move group", class_defs={"other": OTHER_WAVE_STYLE}, max_degree=DIAGRAM_FAN
    )
    diagram, _ = dependency_flowchart(
        nodes, rows, max_edges=DIAGRAM_EDGES, max_nodes=DIAGRAM_NODES, style=style
    )
    ranked = sorted(rows, key=lambda e: (-e.weight, e.source, e.target))[:DEPENDENCY_ROWS]
    twin = md_table.table(
        ["Depends (source)", "On (target)", "Connections", "Crosses waves"],
        [
            [
                label(e.source),
                label(e.target),
                number(e.weight),
                "yes" if (e.source in inside) != (e.target in inside) else "",
            ]
            for e in ranked
        ],
    ) + _more(len(rows), len(ranked), "plan.json `move_group_dependencies`")
    legend = (
        "Arrows point from a move group to the one it depends on, labelled with the connections between "
        "them; dashed boxes are move groups of other waves.\n"
    )
    return (
        diagram
        + "\n"
        + legend
        + "\n"
        + md_table.details(f"Dependencies of this wave's move groups ({len(rows):,})", twin)
    )


def _servers(w: Wave, count: int, table: str) -> str:
    if count:
        return md_table.details(plural(count, "server"), table)
    if w.servers > WAVE_SERVER_ROWS:
        return (
            f"This wave's {plural(w.servers, 'server')} are listed in [waves.csv](../waves.csv) "
            f"(`wave` = {w.number}): more than {WAVE_SERVER_ROWS:,} do not make a readable page.\n"
        )
    return "No server of this wave is listed.\n"


def server_tables(frame: pd.DataFrame, currency: str | None) -> dict[int, tuple[int, str]]:
    """Each wave's server table (wave -> (servers, Markdown)), for waves of at most WAVE_SERVER_ROWS
    servers: every column escaped and formatted once for all waves. ``currency`` is None when sizing is
    off (no Azure columns)."""
    waves = pd.to_numeric(frame["wave"], errors="coerce")
    counts = waves.value_counts()
    listed = waves.isin(counts.index[counts <= WAVE_SERVER_ROWS])
    f = frame[listed.to_numpy()].assign(_wave=waves[listed].astype(int))
    f = f.sort_values(["_wave", "move_group", "server"], kind="mergesort")
    if f.empty:
        return {}
    columns = [md_table.md_column(f[c]) for c in SERVER_COLUMNS]
    columns += [md_table.number_column(f[c]) for c in ("cores", "memory_gb", "storage_gb")]
    headers = ["Server", "Application", "Environment", "Move group", "Disposition", "vCPU", "Memory (GiB)"]
    headers.append("Storage (GiB)")
    if currency is not None:
        columns += [md_table.md_column(f[c]) for c in SIZED_COLUMNS]
        columns.append(md_table.number_column(f["monthly_cost"], 2))
        headers += ["Azure size", "Readiness", f"Monthly cost ({currency})"]
    lines = md_table.table_lines(headers, columns)
    head, body = "\n".join(lines[:2]), np.array(lines[2:], dtype=object)
    order = f["_wave"].to_numpy()
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
    ends = np.r_[starts[1:], len(order)]
    return {
        int(order[a]): (int(b - a), head + "\n" + "\n".join(body[a:b].tolist()) + "\n")
        for a, b in zip(starts, ends, strict=True)
    }


__all__: Sequence[str] = [
    "WAVE_DIR",
    "rating_text",
    "render_wave_pages",
    "server_tables",
    "wave_pages",
    "wave_path",
]
