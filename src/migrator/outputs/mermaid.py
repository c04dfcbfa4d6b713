"""Mermaid diagrams GitHub will render, and the escaped Markdown table PLAN.md's twins are made of.

GitHub refuses a Mermaid diagram over about 50,000 characters or 500 edges: every builder aggregates, caps
and says "and N more" instead of emitting a diagram that will not render. Every diagram in PLAN.md has a table
twin with the same data (clients without JavaScript show the Mermaid source); :mod:`migrator.outputs.markdown`
writes them with :func:`table`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.outputs.escape import md_cell, mermaid_label
from migrator.plan_model import TimelinePoint, Wave

MAX_CHARS = 50_000
MAX_EDGES = 500
MAX_GANTT_TASKS = 400
MAX_XY_POINTS = 120
MAX_NODES = 300
_BUDGET = MAX_CHARS - 2_000  # room for the fence and the note

KIND_SECTION = {
    "foundation": "Foundation",
    "nonprod": "Dev and test",
    "prod": "Production",
    "shared-services": "Shared services",
}


def mermaid_number(x: float, sig: int = 6) -> str:
    """A number as Mermaid's xychart grammar reads it: ``[+-]?digits[.digits]``, never ``1e+06``, ``inf`` or
    ``nan``."""
    v = float(x)
    if v != v or v in (float("inf"), float("-inf")):
        return "0"
    text = f"{v:.{sig}g}"
    if "e" in text or "E" in text:
        text = f"{round(v, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fence(body: list[str]) -> str:
    text = "```mermaid\n" + "\n".join(body) + "\n```\n"
    if len(text) > MAX_CHARS:  # pragma: no cover - builders cap well below this
        raise ValueError(f"Mermaid diagram of {len(text)} characters exceeds {MAX_CHARS}")
    return text


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An escaped Markdown table (every cell through :func:`md_cell`)."""
    lines = [
        "| " + " | ".join(md_cell(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(md_cell("" if v is None else v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def gantt(
    waves: Sequence[Wave], freezes: Sequence[Mapping[str, Any]] = (), title: str = "Migration waves"
) -> str:
    """A gantt chart of the waves, grouped by kind, with the freeze windows (``name``, ``start``, ``end`` as
    the settings give them); capped at MAX_GANTT_TASKS tasks."""
    body = ["gantt", f"    title {mermaid_label(title)}", "    dateFormat YYYY-MM-DD", "    axisFormat %Y-%m"]
    shown = list(waves[:MAX_GANTT_TASKS])
    if freezes:
        body.append("    section Freeze windows")
        for i, f in enumerate(freezes[:MAX_GANTT_TASKS]):
            body.append(
                f"    {mermaid_label(f.get('name', 'freeze'))} :crit, f{i}, {f['start']}, {_days(f)}d"
            )
    known = ("foundation", "nonprod", "prod", "shared-services")
    for kind in (*known, *sorted({w.kind for w in shown} - set(known))):
        tasks = [w for w in shown if w.kind == kind]
        if not tasks:
            continue
        body.append(f"    section {KIND_SECTION.get(kind) or mermaid_label(kind)}")
        for w in tasks:
            tag = "crit, " if w.risk.level == "high" else ""
            days = _days({"start": w.start, "end": w.end})
            body.append(f"    Wave {w.number} ({w.servers} servers) :{tag}w{w.number}, {w.start}, {days}d")
    text = _fence(body)
    if len(waves) > len(shown):
        text += f"\n_and {len(waves) - len(shown)} more waves, listed in the table below._\n"
    if len(freezes) > MAX_GANTT_TASKS:
        text += f"\n_and {len(freezes) - MAX_GANTT_TASKS} more freeze windows (see the settings)._\n"
    return text


def _days(span: Mapping[str, Any]) -> int:
    """Days from ``start`` to ``end``, both included."""
    return (dt.date.fromisoformat(str(span["end"])) - dt.date.fromisoformat(str(span["start"]))).days + 1


def _sample(points: Sequence[TimelinePoint]) -> list[TimelinePoint]:
    if len(points) <= MAX_XY_POINTS:
        return list(points)
    step = -(-len(points) // MAX_XY_POINTS)
    sampled = list(points[::step])
    if sampled[-1] is not points[-1]:
        sampled.append(points[-1])
    return sampled


def xychart_burndown(timeline: Sequence[TimelinePoint], target_value: float, unit: str) -> str:
    """Remaining footprint per month (bars) against the target level (line), as Mermaid xychart-beta."""
    points = _sample(timeline)
    if not points:
        return ""
    top = max([p.remaining for p in points] + [target_value]) or 1.0
    labels = ", ".join(f'"{p.month}"' for p in points)
    body = [
        "xychart-beta",
        f'    title "Remaining footprint ({mermaid_label(unit)}) against the target"',
        f"    x-axis [{labels}]",
        f'    y-axis "{mermaid_label(unit)}" 0 --> {mermaid_number(round(top * 1.05, 2))}',
        "    bar [" + ", ".join(mermaid_number(p.remaining) for p in points) + "]",
        "    line [" + ", ".join(mermaid_number(target_value, 4) for _ in points) + "]",
    ]
    note = (
        f"\n_Every {-(-len(timeline) // MAX_XY_POINTS)} months shown; the table has every month._\n"
        if len(points) < len(timeline)
        else ""
    )
    return _fence(body) + note


@dataclass(frozen=True)
class FlowNode:
    """A node of :func:`dependency_flowchart`: a move group, an application."""

    id: str
    label: str


@dataclass(frozen=True)
class FlowEdge:
    """``source`` depends on ``target`` with ``weight``; ``label`` (default: the weight) goes on the arrow."""

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
) -> tuple[str, list[FlowEdge]]:
    """A left-to-right flowchart of aggregated nodes (move groups, applications) keeping the heaviest edges.

    Returns the Mermaid block and the edges it shows (the table twin's rows).
    """
    max_nodes = min(max_nodes, MAX_NODES)
    labels = {n.id: n.label for n in nodes}
    chosen, number = _heaviest(edges, min(max_edges, MAX_EDGES), max_nodes)
    body = _Body(([f"---\ntitle: {mermaid_label(title)}\n---"] if title else []) + ["flowchart LR"])
    drawn: dict[str, int] = {}
    kept = _draw_edges(body, chosen, number, labels, drawn)
    for n in labels:  # nodes without a drawn edge, while there is room
        if n in drawn or len(drawn) >= max_nodes:
            continue
        number.setdefault(n, len(number))
        if not body.add(f'    n{number[n]}["{mermaid_label(labels[n])}"]'):
            break
        drawn[n] = number[n]
    hidden_edges = len(edges) - len(kept)
    hidden_nodes = len(set(labels) | {n for e in edges for n in (e.source, e.target)}) - len(drawn)
    return _fence(body.lines) + _hidden_note(hidden_edges, hidden_nodes), kept


def _heaviest(
    edges: Sequence[FlowEdge], max_edges: int, max_nodes: int
) -> tuple[list[FlowEdge], dict[str, int]]:
    """The heaviest edges whose nodes stay within ``max_nodes``, and a number for each of their nodes."""
    ranked = sorted(edges, key=lambda e: (-float(e.weight), e.source, e.target))
    chosen: list[FlowEdge] = []
    number: dict[str, int] = {}
    for e in ranked:
        if len(chosen) >= max_edges:
            break
        new = [n for n in (e.source, e.target) if n not in number]
        if len(number) + len(new) > max_nodes:
            continue
        for n in new:
            number[n] = len(number)
        chosen.append(e)
    return chosen, number


def _draw_edges(
    body: _Body, chosen: list[FlowEdge], number: dict[str, int], labels: dict[str, str], drawn: dict[str, int]
) -> list[FlowEdge]:
    """Draw the chosen edges (and their nodes) in order until the budget runs out; the edges drawn."""
    kept: list[FlowEdge] = []
    for e in chosen:
        new_nodes = [n for n in dict.fromkeys((e.source, e.target)) if n not in drawn]
        node_lines = [f'    n{number[n]}["{mermaid_label(labels.get(n, n))}"]' for n in new_nodes]
        label = e.label or f"{float(e.weight):g}"
        edge_line = f'    n{number[e.source]} -->|"{mermaid_label(label)}"| n{number[e.target]}'
        if not body.has_room([*node_lines, edge_line]):
            break
        for n, line in zip(new_nodes, node_lines, strict=True):
            body.add(line)
            drawn[n] = number[n]
        body.add(edge_line)
        kept.append(e)
    return kept


def _hidden_note(hidden_edges: int, hidden_nodes: int) -> str:
    if hidden_edges > 0 and hidden_nodes > 0:
        return (
            f"\n_and {hidden_edges} more dependencies between {hidden_nodes} more nodes, "
            "in the table and plan.json._\n"
        )
    if hidden_edges > 0:
        return f"\n_and {hidden_edges} more dependencies, in the table and plan.json._\n"
    if hidden_nodes > 0:
        return f"\n_and {hidden_nodes} more nodes without a dependency shown, in the table and plan.json._\n"
    return ""
