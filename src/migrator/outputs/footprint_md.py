"""PLAN.md's consolidation and data-center sections (plan.json ``footprint.consolidation_moves`` and
``footprint.datacenters``), each a self-contained function a page can place where it wants."""

from __future__ import annotations

from migrator.outputs import md_table
from migrator.plan_model import DataCenter, PlanDocument

MAX_MOVE_ROWS = 200
MAX_KEPT_OPEN = 5  # applications named per data center


def _site(name: str) -> str:
    return name if name else "(no data center named)"


def consolidation_moves(doc: PlanDocument) -> list[str]:
    """ "Consolidation of what stays": how many retained VMs move, when, and the moves (capped, in
    ``<details>``; all of them in plan.json)."""
    fp = doc.footprint
    moves = fp.consolidation_moves
    out = ["## Consolidation of what stays\n"]
    if fp.consolidation == "none":
        off = (
            'Consolidation is off (`footprint.consolidation = "none"`): a host is freed only when its last '
            "VM leaves, and retained VMs stay where they are.\n"
        )
        return [*out, off]
    scope = "their data center" if fp.consolidation == "datacenter" else "their cluster"
    if not moves:
        return [*out, f"No retained VM needs to move: what stays already sits on the hosts kept ({scope}).\n"]
    dates = sorted({m.date for m in moves})
    first, last = dates[0], dates[-1]
    windows = f"in {len(dates)} windows from {first} to {last}" if len(dates) > 1 else f"on {first}"
    out.append(
        f"{len(moves):,} retained VMs move within {scope} onto the hosts kept for what stays, {windows} "
        "(consolidation windows after the waves that make room on the destination, clear of freeze "
        "windows), so that whole racks and rooms empty.\n"
    )
    shown = moves[:MAX_MOVE_ROWS]
    rows = [
        [m.date, m.server, m.application, _site(m.datacenter), m.from_host, m.from_cluster, m.from_rack,
         m.to_cluster, m.to_rack]
        for m in shown
    ]  # fmt: skip
    headers = ["Date", "Server", "Application", "Data center", "From host", "From cluster", "From rack"]
    body = md_table.table([*headers, "To cluster", "To rack"], rows)
    if len(moves) > len(shown):
        body += (
            f"\n{len(shown):,} of {len(moves):,} moves shown; all in plan.json "
            "`footprint.consolidation_moves`.\n"
        )
    return [*out, md_table.details(f"Consolidation moves ({len(moves):,})", body)]


def _kept_open(d: DataCenter) -> str:
    if d.empties_on is not None:
        return ""
    if not d.kept_open_by:
        return "units not freed by the plan"
    parts = [f"{a.application or '(no application)'} ({len(a.servers)})" for a in d.kept_open_by]
    more = len(parts) - MAX_KEPT_OPEN
    return ", ".join(parts[:MAX_KEPT_OPEN]) + (f" and {more} more applications" if more > 0 else "")


def datacenters(doc: PlanDocument) -> list[str]:
    """ "Data-center exits": one row per data center, its units today and at the target date, the month it
    empties or the retained servers (by application) that keep it open."""
    fp = doc.footprint
    if not fp.datacenters:
        return []
    by = fp.target.by
    rows = [
        [
            _site(d.name),
            f"{d.today.hosts:,} / {d.at_target.hosts:,}",
            f"{d.today.racks:,} / {d.at_target.racks:,}",
            f"{d.today.physical_servers:,} / {d.at_target.physical_servers:,}",
            f"{d.today.kw:,.2f} / {d.at_target.kw:,.2f}",
            d.empties_on or "stays open",
            _kept_open(d),
        ]
        for d in fp.datacenters
    ]
    empty = sum(d.empties_on is not None for d in fp.datacenters)
    return [
        "## Data-center exits\n",
        f"{empty} of {len(fp.datacenters)} data centers empty by the end of the plan. Units today / on {by} "
        "(retained servers by application in plan.json `footprint.datacenters`).\n",
        md_table.table(
            ["Data center", "Hosts", "Racks", "Physical servers", "kW", "Empties", "Kept open by (retained)"],
            rows,
        ),
    ]
