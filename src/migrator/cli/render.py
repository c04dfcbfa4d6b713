"""Terminal rendering of a plan (rich tables), a view of the plan document."""

from __future__ import annotations

from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrator.outputs.text import kind_label, number, plural
from migrator.plan_model import PlanDocument, Wave

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


def render_summary(console: Console, doc: PlanDocument) -> None:
    """The waves table, then the plan in a few lines: servers, footprint, run-rate, broken conditions."""
    console.print(waves_table(doc))
    s, fp = doc.summary, doc.footprint
    t = fp.target
    console.print(
        Text(
            f"{plural(s.servers, 'server')} (migrating {s.migrating:,}, retiring {s.retiring:,}, "
            f"retained {s.retained:,}); {plural(s.move_groups, 'move group')} in {plural(s.waves, 'wave')}, "
            f"{s.first_wave_start} to {s.last_wave_end}."
        )
    )
    today = number(fp.baseline, 0 if float(fp.baseline).is_integer() else 2)  # 3,334 hosts; 114.33 kW
    fp_line = Text(f"Footprint: {today} {fp.unit} today; target {t.reduction:.0%} by {t.by}: ")
    fp_line.append(Text("met", style="bold green") if t.met else Text("NOT met", style="bold red"))
    reached = "reached " + t.reached_on if t.reached_on else "not reached"
    fp_line.append(f" ({reached}; best achievable {t.max_achievable:.1%}).")
    console.print(fp_line)
    if doc.sizing is not None and s.monthly_cost is not None:
        console.print(
            Text(
                f"Azure run-rate once every wave has landed: {s.monthly_cost:,.2f} {_currency(doc)} a month "
                "(pay-as-you-go, compute)."
            )
        )
    if s.violations:
        console.print(
            Text(
                f"{plural(s.violations, 'planning condition')} broken ({s.critical_violations:,} critical): "
                "see PLAN.md.",
                style="yellow",
            )
        )


def _currency(doc: PlanDocument) -> str:
    return doc.cost.totals.currency if doc.cost is not None else "USD"


def _row(w: Wave, cost: bool) -> list[str]:
    """A wave's cells: every count and size as a whole number with thousands separators, the cost too."""
    row = [
        str(w.number),
        kind_label(w.kind),
        w.start,
        number(w.servers),
        number(w.vcpus),
        number(w.storage_gb),
        w.risk.level,
    ]
    if cost:
        row.append(number(w.cost.monthly_payg if w.cost is not None else None))
    return row


def waves_table(doc: PlanDocument) -> Table:
    """One row per wave; a wide estate shows its first and last waves (the whole list is in PLAN.md).
    Wave numbers a pin left empty show as one row, explained under the table."""
    weeks = doc.settings["calendar"]["wave_weeks"]
    gaps = [f.message for f in doc.findings if f.code == "wave-gap"]
    table = Table(
        title=f"Migration waves ({weeks}-week cut-over from Start; reasons in PLAN.md)",
        title_justify="left",
        caption="\n".join(g[0].upper() + g[1:] + "." for g in gaps) or None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for col, just in COLUMNS:
        table.add_column(col, justify=just, no_wrap=True)
    cost = doc.sizing is not None
    if cost:
        table.add_column(f"{_currency(doc)}/month", justify="right", no_wrap=True)
    blank = [""] * (len(COLUMNS) - 2 + int(cost))
    rows = doc.waves
    shown = rows if len(rows) <= MAX_ROWS else rows[: MAX_ROWS - 10] + rows[-10:]
    for i, w in enumerate(shown):
        if len(rows) > MAX_ROWS and i == MAX_ROWS - 10:
            table.add_row("…", plural(len(rows) - MAX_ROWS, "more wave"), *blank)
        elif i and w.number > shown[i - 1].number + 1:
            first, last = shown[i - 1].number + 1, w.number - 1
            table.add_row(str(first) if first == last else f"{first}–{last}", "empty", *blank)
        table.add_row(*[Text(x) for x in _row(w, cost)])
    return table
