"""Mermaid diagrams GitHub will render, and their table twins.

GitHub refuses a Mermaid diagram over about 50,000 characters or 500 edges: every builder aggregates, caps and
says "and N more" instead of emitting a diagram that will not render. Every diagram in PLAN.md has a table twin
with the same data (clients without JavaScript show the Mermaid source).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from migrator.outputs.escape import md_cell, mermaid_label

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
    """A number as Mermaid's xychart grammar reads it: ``[+-]?digits[.digits]``, never ``1e+06``, ``inf`` or ``nan``."""
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
    waves: Sequence[dict[str, Any]], freezes: Sequence[dict[str, Any]] = (), title: str = "Migration waves"
) -> str:
    """A gantt chart of the waves, grouped by kind, with the freeze windows; capped at MAX_GANTT_TASKS tasks."""
    body = ["gantt", f"    title {mermaid_label(title)}", "    dateFormat YYYY-MM-DD", "    axisFormat %Y-%m"]
    shown = list(waves[:MAX_GANTT_TASKS])
    if freezes:
        body.append("    section Freeze windows")
        for i, f in enumerate(freezes[:MAX_GANTT_TASKS]):
            days = (dt.date.fromisoformat(str(f["end"])) - dt.date.fromisoformat(str(f["start"]))).days + 1
            body.append(f"    {mermaid_label(f.get('name', 'freeze'))} :crit, f{i}, {f['start']}, {days}d")
    known = ("foundation", "nonprod", "prod", "shared-services")
    for kind in (*known, *sorted({str(w["kind"]) for w in shown} - set(known))):
        tasks = [w for w in shown if w["kind"] == kind]
        if not tasks:
            continue
        body.append(f"    section {KIND_SECTION.get(kind) or mermaid_label(kind)}")
        for w in tasks:
            days = (dt.date.fromisoformat(w["end"]) - dt.date.fromisoformat(w["start"])).days + 1
            tag = "crit, " if w.get("risk", {}).get("level") == "high" else ""
            body.append(
                f"    Wave {w['number']} ({w['servers']} servers) :{tag}w{w['number']}, {w['start']}, {days}d"
            )
    text = _fence(body)
    if len(waves) > len(shown):
        text += f"\n_and {len(waves) - len(shown)} more waves, listed in the table below._\n"
    if len(freezes) > MAX_GANTT_TASKS:
        text += f"\n_and {len(freezes) - MAX_GANTT_TASKS} more freeze windows (see the settings)._\n"
    return text


def _sample(points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(points) <= MAX_XY_POINTS:
        return list(points)
    step = -(-len(points) // MAX_XY_POINTS)
    sampled = list(points[::step])
    if sampled[-1] is not points[-1]:
        sampled.append(points[-1])
    return sampled


def xychart_burndown(timeline: Sequence[dict[str, Any]], target_value: float, unit: str) -> str:
    """Remaining footprint per month (bars) against the target level (line), as Mermaid xychart-beta."""
    points = _sample(timeline)
    if not points:
        return ""
    top = max([p["remaining"] for p in points] + [target_value]) or 1.0
    labels = ", ".join(f'"{p["month"]}"' for p in points)
    body = [
        "xychart-beta",
        f'    title "Remaining footprint ({mermaid_label(unit)}) against the target"',
        f"    x-axis [{labels}]",
        f'    y-axis "{mermaid_label(unit)}" 0 --> {mermaid_number(round(top * 1.05, 2))}',
        "    bar [" + ", ".join(mermaid_number(p["remaining"]) for p in points) + "]",
        "    line [" + ", ".join(mermaid_number(target_value, 4) for _ in points) + "]",
    ]
    note = (
        f"\n_Every {-(-len(timeline) // MAX_XY_POINTS)} months shown; the table has every month._\n"
        if len(points) < len(timeline)
        else ""
    )
    return _fence(body) + note


def dependency_flowchart(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    max_edges: int = 100,
    max_nodes: int = 60,
    title: str = "",
) -> tuple[str, list[dict[str, Any]]]:
    """A left-to-right flowchart of aggregated nodes (move groups, applications) keeping the heaviest edges.

    ``nodes``: dicts with ``id`` and ``label``; ``edges``: dicts with ``source``, ``target``, ``weight`` and an
    optional ``label``. Returns the Mermaid block and the edges it shows (the table twin's rows).
    """
    max_edges = min(max_edges, MAX_EDGES)
    max_nodes = min(max_nodes, MAX_NODES)
    ranked = sorted(edges, key=lambda e: (-float(e["weight"]), str(e["source"]), str(e["target"])))
    labels = {str(n["id"]): str(n.get("label", n["id"])) for n in nodes}
    chosen: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for e in ranked:
        if len(chosen) >= max_edges:
            break
        new = [n for n in (str(e["source"]), str(e["target"])) if n not in used]
        if len(used) + len(new) > max_nodes:
            continue
        for n in new:
            used[n] = len(used)
        chosen.append(e)
    body = ["flowchart LR"]
    if title:
        body.insert(0, f"---\ntitle: {mermaid_label(title)}\n---")
    size = sum(len(x) + 1 for x in body)

    def fits(line: str) -> bool:
        nonlocal size
        if size + len(line) + 1 > _BUDGET:
            return False
        size += len(line) + 1
        body.append(line)
        return True

    drawn: dict[str, int] = {}
    kept: list[dict[str, Any]] = []
    for e in chosen:
        ends = [str(e["source"]), str(e["target"])]
        new_nodes = [n for n in dict.fromkeys(ends) if n not in drawn]
        lab = e.get("label") or f"{float(e['weight']):g}"
        node_lines = [f'    n{used[n]}["{mermaid_label(labels.get(n, n))}"]' for n in new_nodes]
        edge_line = f'    n{used[ends[0]]} -->|"{mermaid_label(lab)}"| n{used[ends[1]]}'
        if size + sum(len(x) + 1 for x in [*node_lines, edge_line]) > _BUDGET:
            break
        for n, line in zip(new_nodes, node_lines, strict=True):
            fits(line)
            drawn[n] = used[n]
        fits(edge_line)
        kept.append(e)
    chosen = kept
    for n in labels:
        if n in drawn or len(drawn) >= max_nodes:
            continue
        used.setdefault(n, len(used))
        if not fits(f'    n{used[n]}["{mermaid_label(labels[n])}"]'):
            break
        drawn[n] = used[n]
    used = drawn
    text = _fence(body)
    hidden_edges = len(edges) - len(chosen)
    hidden_nodes = len(set(labels) | {str(e[k]) for e in edges for k in ("source", "target")}) - len(used)
    if hidden_edges > 0 and hidden_nodes > 0:
        text += f"\n_and {hidden_edges} more dependencies between {hidden_nodes} more nodes, in the table and plan.json._\n"
    elif hidden_edges > 0:
        text += f"\n_and {hidden_edges} more dependencies, in the table and plan.json._\n"
    elif hidden_nodes > 0:
        text += f"\n_and {hidden_nodes} more nodes without a dependency shown, in the table and plan.json._\n"
    return text, chosen


# Table twins: the same data as each diagram, for clients that show Mermaid's source instead of drawing it.

GANTT_HEADERS = ("Wave", "Kind", "Start", "End", "Days", "Servers", "Risk")
BURNDOWN_HEADERS = ("Month", "Remaining", "Target", "At or below target")
DEPENDENCY_HEADERS = ("Depends (source)", "On (target)", "Weight", "In the diagram")


def gantt_rows(waves: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Every wave of :func:`gantt` (also those past its cap), in plan order: see :data:`GANTT_HEADERS`."""
    return [
        [
            w["number"],
            KIND_SECTION.get(str(w["kind"]), w["kind"]),
            w["start"],
            w["end"],
            (dt.date.fromisoformat(str(w["end"])) - dt.date.fromisoformat(str(w["start"]))).days + 1,
            w["servers"],
            (w.get("risk") or {}).get("level", ""),
        ]
        for w in waves
    ]


def burndown_rows(timeline: Sequence[dict[str, Any]], target_value: float) -> list[list[Any]]:
    """Every month of :func:`xychart_burndown` (also those its sampling skips): see :data:`BURNDOWN_HEADERS`."""
    return [
        [
            p["month"],
            f"{float(p['remaining']):,.2f}",
            f"{float(target_value):,.2f}",
            "yes" if float(p["remaining"]) <= float(target_value) + 1e-9 else "",
        ]
        for p in timeline
    ]


def dependency_rows(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    shown: Sequence[dict[str, Any]] = (),
    limit: int | None = None,
) -> list[list[Any]]:
    """The edges of :func:`dependency_flowchart`, heaviest first (its order), with node labels; ``shown`` is the list
    the flowchart returned, marking which edges it drew. ``limit`` keeps the first rows: see :data:`DEPENDENCY_HEADERS`."""
    labels = {str(n["id"]): str(n.get("label", n["id"])) for n in nodes}
    drawn = {(str(e["source"]), str(e["target"])) for e in shown}
    ranked = sorted(edges, key=lambda e: (-float(e["weight"]), str(e["source"]), str(e["target"])))
    if limit is not None:
        ranked = ranked[:limit]
    return [
        [
            labels.get(str(e["source"]), str(e["source"])),
            labels.get(str(e["target"]), str(e["target"])),
            e.get("label") or f"{float(e['weight']):,.6g}",
            "yes" if (str(e["source"]), str(e["target"])) in drawn else "",
        ]
        for e in ranked
    ]


def gantt_table(waves: Sequence[dict[str, Any]]) -> str:
    """The table twin of :func:`gantt` (escaped Markdown)."""
    return table(GANTT_HEADERS, gantt_rows(waves))


def burndown_table(timeline: Sequence[dict[str, Any]], target_value: float, unit: str) -> str:
    """The table twin of :func:`xychart_burndown` (escaped Markdown; the unit goes into the headers)."""
    headers = ("Month", f"Remaining ({unit})", f"Target ({unit})", "At or below target")
    return table(headers, burndown_rows(timeline, target_value))


def dependency_table(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    shown: Sequence[dict[str, Any]] = (),
    limit: int | None = 100,
) -> str:
    """The table twin of :func:`dependency_flowchart`, with "and N more" past ``limit`` rows."""
    rows = dependency_rows(nodes, edges, shown, limit)
    text = table(DEPENDENCY_HEADERS, rows)
    if len(edges) > len(rows):
        text += f"\n_and {len(edges) - len(rows):,} more dependencies, in plan.json._\n"
    return text
