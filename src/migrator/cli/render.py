"""Terminal rendering of a plan (rich tables), a view of the plan document."""

from __future__ import annotations

from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrator.plan_model import PlanDocument

KIND = {"foundation": "found.", "nonprod": "dev/test", "prod": "prod", "shared-services": "shared"}
MAX_ROWS = 40
COLUMNS: tuple[tuple[str, Literal["left", "right"]], ...] = (
    ("Wave", "right"),
    ("Kind", "left"),
    ("Start", "left"),
    ("Servers", "right"),
    ("vCPU", "right"),
    ("GiB", "right"),
    ("Risk", "left"),
)


def compact(x: float | None) -> str:
    """1234 -> 1,234; 123456 -> 123k; 12345678 -> 12.3M (keeps wide estates readable in 80 columns)."""
    if x is None:
        return "unknown"
    a = abs(x)
    if a >= 10_000_000:
        return f"{x / 1_000_000:,.1f}M"
    if a >= 100_000:
        return f"{x / 1_000:,.0f}k"
    return f"{x:,.0f}"


def render_summary(console: Console, doc: PlanDocument) -> None:
    """The waves table, then the plan in a few lines: servers, footprint, run-rate, broken conditions."""
    console.print(waves_table(doc))
    s, fp = doc.summary, doc.footprint
    t = fp.target
    console.print(
        Text(
            f"Servers {s.servers:,} (migrating {s.migrating:,}, retiring {s.retiring:,}, "
            f"retained {s.retained:,}); {s.move_groups:,} move groups in {s.waves:,} waves, "
            f"{s.first_wave_start} to {s.last_wave_end}."
        )
    )
    fp_line = Text(f"Footprint: {fp.baseline:,.2f} {fp.unit} today; target {t.reduction:.0%} by {t.by}: ")
    fp_line.append(Text("met", style="bold green") if t.met else Text("NOT met", style="bold red"))
    reached = "reached " + t.reached_on if t.reached_on else "not reached"
    fp_line.append(f" ({reached}; best achievable {t.max_achievable:.1%}).")
    console.print(fp_line)
    if doc.sizing is not None and s.monthly_cost is not None:
        cur = doc.cost.totals.currency if doc.cost is not None else "USD"
        console.print(
            Text(
                f"Azure run-rate once every wave has landed: {s.monthly_cost:,.2f} {cur} a month "
                "(pay-as-you-go, compute)."
            )
        )
    if s.violations:
        console.print(
            Text(
                f"{s.violations} planning conditions broken ({s.critical_violations} critical): see PLAN.md.",
                style="yellow",
            )
        )


def waves_table(doc: PlanDocument) -> Table:
    """One row per wave; a wide estate shows its first and last waves (the whole list is in PLAN.md)."""
    weeks = doc.settings["calendar"]["wave_weeks"]
    table = Table(
        title=f"Migration waves ({weeks}-week cut-over from Start; reasons in PLAN.md)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for col, just in COLUMNS:
        table.add_column(col, justify=just, no_wrap=True)
    cost = doc.sizing is not None
    if cost:
        table.add_column("Cost/month", justify="right", no_wrap=True)
    rows = doc.waves
    shown = rows if len(rows) <= MAX_ROWS else rows[: MAX_ROWS - 10] + rows[-10:]
    for i, w in enumerate(shown):
        if len(rows) > MAX_ROWS and i == MAX_ROWS - 10:
            table.add_row("…", f"{len(rows) - MAX_ROWS} more", "", "", "", "", "", *([""] if cost else []))
        row = [
            str(w.number),
            KIND.get(w.kind, w.kind),
            w.start,
            compact(w.servers),
            compact(w.vcpus),
            compact(w.storage_gb),
            w.risk.level,
        ]
        if cost:
            row.append(compact(w.cost.monthly_payg if w.cost is not None else None))
        table.add_row(*[Text(x) for x in row])
    return table
