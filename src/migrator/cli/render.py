"""Terminal rendering of a plan (rich tables), a view of plan.json."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def render_summary(console: Console, doc: dict[str, Any]) -> None:
    s, fp = doc["summary"], doc["footprint"]
    t = fp["target"]
    waves = Table(title="Migration waves", title_justify="left")
    for col, just in (("Wave", "right"), ("Kind", "left"), ("Start", "left"), ("End", "left"), ("Servers", "right"),
                      ("vCPU", "right"), ("Storage GiB", "right"), ("Risk", "left"), ("Confidence", "left")):
        waves.add_column(col, justify=just)  # type: ignore[arg-type]
    cost = bool(doc.get("sizing"))
    if cost:
        waves.add_column("Monthly cost", justify="right")
    for w in doc["waves"]:
        row = [str(w["number"]), w["kind"], w["start"], w["end"], f"{w['servers']:,}", f"{w['vcpus']:,.0f}", f"{w['storage_gb']:,.0f}",
               w["risk"]["level"], w["confidence"]["level"]]
        if cost:
            c = (w.get("cost") or {}).get("monthly_payg")
            row.append("unknown" if c is None else f"{c:,.0f}")
        waves.add_row(*[Text(x) for x in row])
    console.print(waves)
    verdict = Text("met", style="bold green") if t["met"] else Text("NOT met", style="bold red")
    line = Text(f"Servers {s['servers']:,} (migrating {s['migrating']:,}, retiring {s['retiring']:,}, retained {s['retained']:,}); "
                f"{s['move_groups']:,} move groups in {s['waves']:,} waves, {s['first_wave_start']} to {s['last_wave_end']}.")
    console.print(line)
    fp_line = Text(f"Footprint: {fp['baseline']:,.2f} {fp['unit']} today; target {t['reduction']:.0%} by {t['by']}: ")
    fp_line.append(verdict)
    fp_line.append(f" ({'reached ' + t['reached_on'] if t['reached_on'] else 'not reached'}; best achievable {t['max_achievable']:.1%}).")
    console.print(fp_line)
    if s["violations"]:
        console.print(Text(f"{s['violations']} planning conditions broken ({s['critical_violations']} critical): see PLAN.md.", style="yellow"))
