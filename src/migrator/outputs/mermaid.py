"""Mermaid diagrams GitHub will render, and the escaped Markdown table PLAN.md's twins are made of.

GitHub refuses a Mermaid diagram over about 50,000 characters or 500 edges: every builder aggregates, caps
and says "and N more" instead of emitting a diagram that will not render. Every diagram in PLAN.md has a table
twin with the same data (clients without JavaScript show the Mermaid source); :mod:`migrator.outputs.markdown`
writes them with :func:`table`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from migrator.outputs import md_table
from migrator.outputs.escape import mermaid_label
from migrator.outputs.text import KIND_LABEL, compact, plural
from migrator.plan_model import Wave

MAX_CHARS = 50_000
MAX_EDGES = 500
MAX_GANTT_TASKS = 400  # freeze windows drawn
MAX_GANTT_BARS = 60  # wave bars: a taller gantt is scrolled past, not read
MAX_NODES = 300
_BUDGET = MAX_CHARS - 2_000  # room for the fence and the note


def _fence(body: list[str]) -> str:
    text = "```mermaid\n" + "\n".join(body) + "\n```\n"
    if len(text) > MAX_CHARS:  # pragma: no cover - builders cap well below this
        raise ValueError(f"Mermaid diagram of {len(text)} characters exceeds {MAX_CHARS}")
    return text


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An escaped Markdown table (every cell as :func:`~migrator.outputs.escape.md_cell` escapes it, a column
    at a time: :func:`migrator.outputs.md_table.table`)."""
    return md_table.table(headers, rows)


def gantt(
    waves: Sequence[Wave],
    freezes: Sequence[Mapping[str, Any]] = (),
    title: str = "Migration waves",
    milestones: Sequence[tuple[str, str]] = (),
) -> str:
    """A gantt chart of the waves, a section per kind, with the freeze windows (``name``, ``start``,
    ``end`` as the settings give them, grey) and milestones (label, date); no "today" line. Past
    MAX_GANTT_BARS waves a bar stands for several consecutive waves of one kind. High-risk waves are red
    (``crit``); a legend follows the block."""
    body = [
        "gantt",
        f"    title {mermaid_label(title)}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %Y-%m",
        "    todayMarker off",
    ]
    if freezes:
        body.append("    section Freezes")
        for i, f in enumerate(freezes[:MAX_GANTT_TASKS]):
            body.append(
                f"    {mermaid_label(f.get('name', 'freeze'))} :done, f{i}, {f['start']}, {_days(f)}d"
            )
    per_bar = max(1, -(-len(waves) // MAX_GANTT_BARS))
    known = ("foundation", "nonprod", "prod", "shared-services")
    for kind in (*known, *sorted({w.kind for w in waves} - set(known))):
        tasks = [w for w in waves if w.kind == kind]
        if tasks:
            label = KIND_LABEL.get(kind) or mermaid_label(kind)
            body.append(f"    section {label[:1].upper() + label[1:]}")
            body.extend(_bar(tasks[i : i + per_bar]) for i in range(0, len(tasks), per_bar))
    for i, (name, day) in enumerate(milestones):
        body += ["    section Target", f"    {mermaid_label(name)} :milestone, m{i}, {day}, 0d"]
    text = _fence(body) + "\n" + _gantt_legend(waves, per_bar, bool(freezes))
    if len(freezes) > MAX_GANTT_TASKS:
        text += f"\n_and {len(freezes) - MAX_GANTT_TASKS} more freeze windows (see the settings)._\n"
    return text


def _bar(waves: Sequence[Wave]) -> str:
    """One gantt bar: a wave, or consecutive waves of one kind (red when any of them is high-risk)."""
    first, last = waves[0], waves[-1]
    tag = "crit, " if any(w.risk.level == "high" for w in waves) else ""
    start = min(w.start for w in waves)
    days = _days({"start": start, "end": max(w.end for w in waves)})
    servers = plural(sum(w.servers for w in waves), "server")
    if len(waves) == 1:
        return f"    Wave {first.number} ({servers}) :{tag}w{first.number}, {start}, {days}d"
    name = f"Waves {first.number}-{last.number} ({plural(len(waves), 'wave')}, {servers})"
    return f"    {name} :{tag}w{first.number}, {start}, {days}d"


def _gantt_legend(waves: Sequence[Wave], per_bar: int, freezes: bool) -> str:
    high = sum(1 for w in waves if w.risk.level == "high")
    parts = [f"red bars: high-risk waves ({high:,} of {plural(len(waves), 'wave')})"]
    if freezes:
        parts.append("grey bars: change freezes, when no wave cuts over")
    if per_bar > 1:
        parts.append(
            f"each bar spans up to {per_bar} consecutive waves of its kind; the wave table lists each wave"
        )
    return "_Legend: " + "; ".join(parts) + "._\n"


def _days(span: Mapping[str, Any]) -> int:
    """Days from ``start`` to ``end``, both included."""
    return (dt.date.fromisoformat(str(span["end"])) - dt.date.fromisoformat(str(span["start"]))).days + 1


@dataclass(frozen=True)
class FlowNode:
    """A node of :func:`dependency_flowchart`: a move group, an application."""

    id: str
    label: str
    css_class: str = ""  # a class of the flowchart's ``class_defs`` (other waves' move groups, dashed)


class FlowEdge(NamedTuple):
    """``source`` depends on ``target`` with ``weight``; ``label`` (default: the weight) goes on the arrow.
    (A named tuple: a wave page makes thousands of them.)"""

    source: str
    target: str
    weight: float
    label: str = ""


@dataclass
class _Body:
    """A diagram's lines within the character budget."""

    lines: list[str]
    size: int = 0

    def __post_init__(self) -> None:
        self.size = sum(len(x) + 1 for x in self.lines)

    def has_room(self, lines: Sequence[str]) -> bool:
        return self.size + sum(len(x) + 1 for x in lines) <= _BUDGET

    def add(self, line: str) -> bool:
        if not self.has_room([line]):
            return False
        self.size += len(line) + 1
        self.lines.append(line)
        return True


def dependency_flowchart(
    nodes: Sequence[FlowNode],
    edges: Sequence[FlowEdge],
    max_edges: int = 100,
    max_nodes: int = 60,
    title: str = "",
    style: FlowStyle | None = None,
) -> tuple[str, list[FlowEdge]]:
    """A flowchart of aggregated nodes (move groups, applications) keeping the heaviest edges; an edge's
    label is its ``label`` or its weight with the style's unit (``2.6k connections``).

    Returns the Mermaid block and the edges it shows (the table twin's rows).
    """
    style = style or FlowStyle()
    max_nodes = min(max_nodes, MAX_NODES)
    labels = {n.id: n.label for n in nodes}
    chosen, number = _heaviest(edges, min(max_edges, MAX_EDGES), max_nodes, style.max_degree)
    head = [f"---\ntitle: {mermaid_label(title)}\n---"] if title else []
    body = _Body([*head, f"flowchart {style.direction}"])
    drawn: dict[str, int] = {}
    kept = _draw_edges(body, chosen, number, labels, drawn, style.unit)
    linked = {n for e in edges for n in (e.source, e.target)}
    for n in labels:  # nodes without any edge, while there is room (the others come with their edges)
        if n in drawn or n in linked or len(drawn) >= max_nodes:
            continue
        number.setdefault(n, len(number))
        if not body.add(f'    n{number[n]}["{mermaid_label(labels[n])}"]'):
            break
        drawn[n] = number[n]
    _classes(body, nodes, drawn, style.class_defs)
    hidden_edges = len(edges) - len(kept)
    hidden_nodes = len(set(labels) | linked) - len(drawn)
    return _fence(body.lines) + _hidden_note(hidden_edges, hidden_nodes, style.noun), kept


def ranked_flowchart(
    ranked: Iterable[FlowEdge],
    node: Callable[[str], FlowNode],
    totals: tuple[int, int],
    max_edges: int = 100,
    max_nodes: int = 60,
    style: FlowStyle | None = None,
) -> tuple[str, list[FlowEdge]]:
    """:func:`dependency_flowchart` of edges already ranked heaviest first (weight descending, then source,
    then target), every node having an edge: the edges are read only until the diagram is full and only
    the nodes drawn are looked up (``node``), so a wave with thousands of dependencies costs what its page
    shows. ``totals``: how many edges and nodes there are (for the "and N more" note)."""
    style = style or FlowStyle()
    chosen, number = _pick(ranked, min(max_edges, MAX_EDGES), min(max_nodes, MAX_NODES), style.max_degree)
    nodes = [node(n) for n in number]
    body = _Body([f"flowchart {style.direction}"])
    drawn: dict[str, int] = {}
    kept = _draw_edges(body, chosen, number, {n.id: n.label for n in nodes}, drawn, style.unit)
    _classes(body, nodes, drawn, style.class_defs)
    note = _hidden_note(totals[0] - len(kept), totals[1] - len(drawn), style.noun)
    return _fence(body.lines) + note, kept


@dataclass(frozen=True)
class FlowStyle:
    """How :func:`dependency_flowchart` draws: direction, the unit of edge weights, what a node is called in
    the "and N more" note, and Mermaid ``classDef`` styles by class name (nodes name theirs)."""

    direction: str = "LR"
    unit: str = ""
    max_degree: int | None = (
        None  # edges drawn per node: a wide fan is a tall column, the table says it better
    )
    noun: str = "node"
    class_defs: Mapping[str, str] = field(default_factory=dict)


def _classes(
    body: _Body, nodes: Sequence[FlowNode], drawn: Mapping[str, int], defs: Mapping[str, str]
) -> None:
    """``classDef`` lines and the drawn nodes of each class."""
    members: dict[str, list[str]] = {}
    for n in nodes:
        if n.css_class in defs and n.id in drawn:
            members.setdefault(n.css_class, []).append(f"n{drawn[n.id]}")
    for name, style in sorted(defs.items()):
        if members.get(name) and body.has_room(["", ""]):
            body.add(f"    classDef {name} {style}")
            body.add(f"    class {','.join(sorted(members[name], key=lambda m: int(m[1:])))} {name}")


def _heaviest(
    edges: Sequence[FlowEdge], max_edges: int, max_nodes: int, max_degree: int | None = None
) -> tuple[list[FlowEdge], dict[str, int]]:
    """The heaviest edges whose nodes stay within ``max_nodes`` (and ``max_degree`` edges each), and a
    number for each of their nodes."""
    ranked = sorted(edges, key=lambda e: (-float(e.weight), e.source, e.target))
    return _pick(ranked, max_edges, max_nodes, max_degree)


def _pick(
    ranked: Iterable[FlowEdge], max_edges: int, max_nodes: int, max_degree: int | None = None
) -> tuple[list[FlowEdge], dict[str, int]]:
    """:func:`_heaviest` of edges already ranked: read until ``max_edges`` are chosen."""
    chosen: list[FlowEdge] = []
    number: dict[str, int] = {}
    degree: dict[str, int] = {}
    for e in ranked:
        if len(chosen) >= max_edges:
            break
        new = [n for n in (e.source, e.target) if n not in number]
        full = max_degree is not None and max(degree.get(e.source, 0), degree.get(e.target, 0)) >= max_degree
        if full or len(number) + len(new) > max_nodes:
            continue
        for n in (e.source, e.target):
            degree[n] = degree.get(n, 0) + 1
        for n in new:
            number[n] = len(number)
        chosen.append(e)
    return chosen, number


def _draw_edges(
    body: _Body,
    chosen: list[FlowEdge],
    number: dict[str, int],
    labels: dict[str, str],
    drawn: dict[str, int],
    unit: str = "",
) -> list[FlowEdge]:
    """Draw the chosen edges (and their nodes) in order until the budget runs out; the edges drawn."""
    kept: list[FlowEdge] = []
    for e in chosen:
        new_nodes = [n for n in dict.fromkeys((e.source, e.target)) if n not in drawn]
        node_lines = [f'    n{number[n]}["{mermaid_label(labels.get(n, n))}"]' for n in new_nodes]
        label = e.label or (f"{compact(float(e.weight))} {unit}" if unit else f"{float(e.weight):g}")
        edge_line = f'    n{number[e.source]} -->|"{mermaid_label(label)}"| n{number[e.target]}'
        if not body.has_room([*node_lines, edge_line]):
            break
        for n, line in zip(new_nodes, node_lines, strict=True):
            body.add(line)
            drawn[n] = number[n]
        body.add(edge_line)
        kept.append(e)
    return kept


def _hidden_note(hidden_edges: int, hidden_nodes: int, noun: str = "node") -> str:
    edges, nodes = plural(hidden_edges, "more dependency"), plural(hidden_nodes, f"more {noun}")
    if hidden_edges > 0 and hidden_nodes > 0:
        return f"\n_and {edges} between {nodes}, in the table and plan.json._\n"
    if hidden_edges > 0:
        return f"\n_and {edges}, in the table and plan.json._\n"
    if hidden_nodes > 0:
        return f"\n_and {nodes} without a dependency shown, in the table and plan.json._\n"
    return ""
