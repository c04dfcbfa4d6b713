"""Terminal rendering of a plan (rich tables), a view of plan.json."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

KIND = {"foundation": "found.", "nonprod": "dev/test", "prod": "prod", "shared-services": "shared"}
MAX_ROWS = 40


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


def render_summary(console: Console, doc: dict[str, Any]) -> None:
    s, fp = doc["summary"], doc["footprint"]
    t = fp["target"]
    weeks = doc["settings"]["calendar"]["wave_weeks"]
    waves = Table(
        title=f"Migration waves ({weeks}-week cut-over from Start; reasons in PLAN.md)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for col, just in (
        ("Wave", "right"),
        ("Kind", "left"),
        ("Start", "left"),
        ("Servers", "right"),
        ("vCPU", "right"),
        ("GiB", "right"),
        ("Risk", "left"),
    ):
        waves.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    cost = bool(doc.get("sizing"))
    if cost:
        waves.add_column("Cost/month", justify="right", no_wrap=True)
    rows = doc["waves"]
    shown = rows if len(rows) <= MAX_ROWS else rows[: MAX_ROWS - 10] + rows[-10:]
    for i, w in enumerate(shown):
        if len(rows) > MAX_ROWS and i == MAX_ROWS - 10:
            waves.add_row("…", f"{len(rows) - MAX_ROWS} more", "", "", "", "", "", *([""] if cost else []))
        row = [
            str(w["number"]),
            KIND.get(w["kind"], w["kind"]),
            w["start"],
            compact(w["servers"]),
            compact(w["vcpus"]),
            compact(w["storage_gb"]),
            w["risk"]["level"],
        ]
        if cost:
            row.append(compact((w.get("cost") or {}).get("monthly_payg")))
        waves.add_row(*[Text(x) for x in row])
    console.print(waves)
    verdict = Text("met", style="bold green") if t["met"] else Text("NOT met", style="bold red")
    console.print(
        Text(
            f"Servers {s['servers']:,} (migrating {s['migrating']:,}, retiring {s['retiring']:,}, retained {s['retained']:,}); "
            f"{s['move_groups']:,} move groups in {s['waves']:,} waves, {s['first_wave_start']} to {s['last_wave_end']}."
        )
    )
    fp_line = Text(
        f"Footprint: {fp['baseline']:,.2f} {fp['unit']} today; target {t['reduction']:.0%} by {t['by']}: "
    )
    fp_line.append(verdict)
    fp_line.append(
        f" ({'reached ' + t['reached_on'] if t['reached_on'] else 'not reached'}; best achievable {t['max_achievable']:.1%})."
    )
    console.print(fp_line)
    if cost and s.get("monthly_cost") is not None:
        cur = ((doc.get("cost") or {}).get("totals") or {}).get("currency", "USD")
        console.print(
            Text(
                f"Azure run-rate once every wave has landed: {s['monthly_cost']:,.2f} {cur} a month (pay-as-you-go, compute)."
            )
        )
    if s["violations"]:
        console.print(
            Text(
                f"{s['violations']} planning conditions broken ({s['critical_violations']} critical): see PLAN.md.",
                style="yellow",
            )
        )
