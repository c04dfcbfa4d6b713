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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migrator.azure.confidence import star_text, whole_percent
from migrator.outputs import md_table
from migrator.outputs.escape import md_text
from migrator.outputs.mermaid import FlowEdge, FlowNode, FlowStyle, ranked_flowchart
from migrator.outputs.text import kind_label, money, number, plural
from migrator.plan_model import ConfidenceRating, GroupSplit, PlanDocument, Wave

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
    currency = doc.sizing.catalog.currency if doc.sizing is not None else "USD"
    waves = list(doc.waves)
    groups = _Groups.of(doc)
    edges = _WaveEdges.of(doc, waves, groups)
    tables = server_tables(frame, currency if doc.sizing is not None else None)
    return {
        wave_path(w.number): _page(
            w, currency, groups, edges.diagram(i, w, groups), tables.get(w.number, (0, ""))
        )
        for i, w in enumerate(waves)
    }


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


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A column as a one-dimensional object array (lists stay cells)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if len(values) else []
    return out


@dataclass(frozen=True)
class _Groups:
    """The move groups a page reads, by position (``at``: position by id), with each group's row of the move
    group table escaped once for all pages. Dependencies naming a group the table does not hold add it,
    named by its id only."""

    ids: list[str]
    at: dict[str, int]
    names: list[str | None]
    waves: list[int | None]
    lines: list[str]  # the row of the move group table (known groups only)

    @classmethod
    def of(cls, doc: PlanDocument) -> _Groups:
        t: Any = doc.move_groups
        ids = t.column("id")
        known = len(ids)
        at = dict(zip(ids, range(known), strict=True))
        deps: Any = doc.move_group_dependencies
        named = set(deps.column("source")).union(deps.column("target"))
        for gid in sorted(map(str, named - at.keys())):  # none, unless the table misses a group
            at[gid] = len(ids)
            ids.append(gid)
        missing = [None] * (len(ids) - known)
        names, waves = [*t.column("name"), *missing], [*t.column("wave"), *missing]
        return cls(ids=ids, at=at, names=names, waves=waves, lines=_group_lines(t) if known else [])

    def label(self, g: int, other: bool) -> str:
        """``MG-0001 Payroll``; ``MG-0001 Payroll, wave 4`` for a group of another wave than the page's."""
        name = self.ids[g] if self.names[g] is None else f"{self.ids[g]} {self.names[g]}"
        if not other:
            return name
        wave = self.waves[g]
        return f"{name}, wave {'?' if wave is None else wave}"

    def md_labels(self, g: np.ndarray, other: np.ndarray) -> list[str]:
        """:meth:`label` of each group, Markdown-escaped (each distinct one escaped once)."""
        key, inverse = np.unique(g * 2 + other, return_inverse=True)
        texts = md_table.md_column([self.label(k // 2, bool(k % 2)) for k in key.tolist()])
        return [texts[i] for i in inverse.ravel().tolist()]


def _group_lines(t: Any) -> list[str]:
    """Each move group's row of a wave's move group table, escaped (every group at once)."""
    split, pinned = _objects(t.column("split")), _objects(t.column("pinned_wave"))
    notes = np.full(len(split), "", dtype=object)
    for i in np.flatnonzero(pd.notna(split) | pd.notna(pinned)).tolist():  # the few split or pinned
        notes[i] = _group_note(split[i], pinned[i])
    columns = [
        md_table.md_column(t.column("id")),
        md_table.md_column(t.column("name")),
        md_table.number_column(np.asarray(t.column("servers_count"), dtype=float)),
        md_table.number_column(np.asarray(t.column("vcpus"), dtype=float)),
        md_table.number_column(np.asarray(t.column("storage_gb"), dtype=float)),
        md_table.md_column(
            (_objects(t.column("criticality")) + ", " + _objects(t.column("complexity"))).tolist()
        ),
        md_table.md_column(notes.tolist()),
    ]
    return md_table.row_lines(columns)


def _page(w: Wave, currency: str, groups: _Groups, diagram: str, servers: tuple[int, str]) -> str:
    title = f"Wave {w.number}" + ("" if w.name == f"Wave {w.number}" else f": {md_text(w.name)}")
    out = [
        f"# {title} ({kind_label(w.kind)}), {w.start} to {w.end}\n",
        f"[Back to the plan](../PLAN.md#waves). Every server of this wave is in [waves.csv](../waves.csv) "
        f"(`wave` = {w.number}).\n",
        md_table.table(["", ""], _facts(w, currency)),
        "## Move groups\n",
        _groups(w, groups),
        "## Dependencies\n",
        diagram,
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


GROUP_HEADERS = ["Move group", "Name", "Servers", "vCPU", "Storage (GiB)", "Criticality, complexity", "Notes"]


def _groups(w: Wave, groups: _Groups) -> str:
    lines = []
    for gid in w.move_groups[:GROUP_ROWS]:
        i = groups.at.get(gid, len(groups.lines))
        if i < len(groups.lines):
            lines.append(groups.lines[i])
        else:
            row = [gid, "shared services", "", "", "", "", "foundation wave: see PLAN.md, Shared services"]
            lines += md_table.row_lines([[md_text(x)] for x in row])
    text = "\n".join([*md_table.table_lines(GROUP_HEADERS, []), *lines]) + "\n"
    text += _more(len(w.move_groups), len(lines), "plan.json `move_groups`")
    if len(lines) <= OPEN_ROWS:
        return text
    return md_table.details(plural(len(w.move_groups), "move group"), text)


def _group_note(sp: GroupSplit | None, pinned_wave: int | None) -> str:
    note = []
    if sp is not None:
        note.append(
            f"part {sp.part} of {sp.of} of {sp.from_} (the split cut "
            f"{plural(sp.cut_edges, 'dependency')}, weight {sp.cut_weight:,.0f})"
        )
    if pinned_wave is not None:
        note.append(f"pinned to wave {pinned_wave}")
    return "; ".join(note)


def _more(total: int, shown: int, where: str) -> str:
    return f"\n_and {total - shown:,} more, in {where}._\n" if total > shown else ""


NO_DEPENDENCIES = "No dependencies between this wave's move groups and other move groups.\n"
DIAGRAM_STYLE = FlowStyle(
    unit="connections", noun="move group", class_defs={"other": OTHER_WAVE_STYLE}, max_degree=DIAGRAM_FAN
)
TWIN_HEADERS = ["Depends (source)", "On (target)", "Connections", "Crosses waves"]
LEGEND = (
    "Arrows point from a move group to the one it depends on, labelled with the connections between "
    "them; dashed boxes are move groups of other waves.\n"
)


@dataclass(frozen=True)
class _WaveEdges:
    """Every wave's dependencies aggregated to move groups (``move_group_dependencies`` whose source or
    target is one of the wave's move groups), found for all waves at once: per wave, the dependencies
    heaviest first (connections descending, then source, then target), how many groups they join, and the
    table twin's rows (the first DEPENDENCY_ROWS) escaped. A page reads its slice: the render grows with the
    dependencies, never with waves x dependencies."""

    source: list[str]  # the dependencies, wave by wave, each wave's heaviest first (one twice when it
    target: list[str]  # crosses waves: in the source's wave and in the target's)
    connections: list[float]
    bounds: np.ndarray  # wave i's dependencies are source[bounds[i]:bounds[i + 1]] (and target...)
    nodes: np.ndarray  # move groups joined, per wave
    twin: list[str]  # the table twin's line of each of ranked[:DEPENDENCY_ROWS] of each wave, else ""

    @classmethod
    def of(cls, doc: PlanDocument, waves: Sequence[Wave], groups: _Groups) -> _WaveEdges:
        t: Any = doc.move_group_dependencies
        source, target = t.column("source"), t.column("target")
        connections = t.column("connections")
        if not source:  # no page has a dependency
            none = np.zeros(len(waves) + 1, dtype=np.int64)
            return cls(source, target, connections, none, none[:-1], [])
        at = pd.Index(groups.ids, dtype=object)
        src, dst = at.get_indexer(source), at.get_indexer(target)
        member_wave, member = _members(waves, at)
        wave, dep = _incidences(member_wave, member, src, dst, len(groups.ids))
        # heaviest first: connections descending, then source, then target (ids ranked as Python sorts them)
        id_rank = np.empty(len(groups.ids), dtype=np.int64)
        id_rank[np.argsort(np.asarray(groups.ids, dtype=str), kind="stable")] = np.arange(len(groups.ids))
        weights = np.asarray(connections, dtype=float)
        by_weight = np.lexsort((id_rank[dst], id_rank[src], -weights))
        rank = np.empty(len(by_weight), dtype=np.int64)
        rank[by_weight] = np.arange(len(by_weight))
        order = np.lexsort((rank[dep], wave))
        wave, dep = wave[order], dep[order]
        bounds = np.searchsorted(wave, np.arange(len(waves) + 1))
        size = len(groups.ids)
        ends = np.unique(np.concatenate([wave * size + src[dep], wave * size + dst[dep]]))
        nodes = np.bincount(ends // size, minlength=len(waves)) if size else np.zeros(len(waves), int)
        inside = np.unique(member_wave * size + member)
        src_in = np.isin(wave * size + src[dep], inside)
        dst_in = np.isin(wave * size + dst[dep], inside)
        shown = np.arange(len(dep)) - np.repeat(bounds[:-1], np.diff(bounds)) < DEPENDENCY_ROWS
        twin = np.full(len(dep), "", dtype=object)
        if shown.any():
            s, d, sin, din = src[dep][shown], dst[dep][shown], src_in[shown], dst_in[shown]
            cells = [
                groups.md_labels(s, ~sin),
                groups.md_labels(d, ~din),
                md_table.number_column(weights[dep[shown]]),
                np.where(sin != din, "yes", "").tolist(),
            ]
            twin[shown] = md_table.row_lines(cells)
        ranked = (_objects(source)[dep].tolist(), _objects(target)[dep].tolist(), weights[dep].tolist())
        return cls(*ranked, bounds, nodes, twin.tolist())

    def diagram(self, i: int, w: Wave, groups: _Groups) -> str:
        """The wave's dependency diagram and its table twin (wave ``w``, position ``i``)."""
        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        if a == b:
            return NO_DEPENDENCIES
        inside = set(w.move_groups)

        def node(gid: str) -> FlowNode:
            other = gid not in inside
            return FlowNode(gid, groups.label(groups.at[gid], other), "other" if other else "")

        edges = map(FlowEdge, self.source[a:b], self.target[a:b], self.connections[a:b])
        diagram, _ = ranked_flowchart(
            edges, node, (b - a, int(self.nodes[i])), DIAGRAM_EDGES, DIAGRAM_NODES, DIAGRAM_STYLE
        )
        shown = min(b - a, DEPENDENCY_ROWS)
        twin = "\n".join([*md_table.table_lines(TWIN_HEADERS, []), *self.twin[a : a + shown]]) + "\n"
        twin += _more(b - a, shown, "plan.json `move_group_dependencies`")
        title = f"Dependencies of this wave's move groups ({b - a:,})"
        return diagram + "\n" + LEGEND + "\n" + md_table.details(title, twin)


def _members(waves: Sequence[Wave], at: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(wave position, group position) of every move group a wave lists (groups no dependency names and
    that the table does not hold are left out)."""
    lists = [w.move_groups for w in waves]
    wave = np.repeat(np.arange(len(waves)), [len(x) for x in lists])
    listed = pd.Index([g for x in lists for g in x], dtype=object)
    group = at.get_indexer(listed) if len(wave) else np.zeros(0, dtype=np.int64)
    known = group >= 0
    return wave[known].astype(np.int64), group[known].astype(np.int64)


def _incidences(
    member_wave: np.ndarray, member: np.ndarray, src: np.ndarray, dst: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """(wave, dependency) of every dependency whose source or target is one of the wave's move groups,
    each pair once, sorted."""
    found = [_touching(member_wave, member, ends, groups) for ends in (src, dst)]
    wave = np.concatenate([f[0] for f in found])
    dep = np.concatenate([f[1] for f in found])
    deps = max(len(src), 1)
    key = np.unique(wave * deps + dep)
    return key // deps, key % deps


def _touching(
    member_wave: np.ndarray, member: np.ndarray, ends: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """(wave, dependency) for each dependency whose ``ends`` (its source or target) is a wave's group."""
    by_group = np.argsort(ends, kind="stable")
    count = np.bincount(ends, minlength=groups)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    n = count[member]
    total = int(n.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n) + np.repeat(first[member], n)
    return np.repeat(member_wave, n), by_group[offsets]


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
