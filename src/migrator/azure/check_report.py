"""azure-check.md and azure-check.json: views of a :class:`~migrator.azure.check.CheckResult`."""

from __future__ import annotations

import json

from migrator.azure.check import CheckResult
from migrator.outputs.mermaid import table


def check_json(result: CheckResult) -> bytes:
    return (json.dumps(result.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def check_markdown(result: CheckResult) -> str:
    d = result.to_dict()
    s = d["summary"]
    out = [
        f"# Azure check: {result.region}, as of {d['as_of']}\n",
        f"Subscription `{result.subscription}`. Waves due: {', '.join(map(str, result.due_waves)) or 'none'}; "
        f"upcoming: {', '.join(map(str, result.upcoming_waves)) or 'none'}.\n",
        f"**{s['blocking']} blocking**, {s['warnings']} warnings. Reconciliation: "
        + (", ".join(f"{n} {k}" for k, n in s["reconciliation"].items()) or "nothing due")
        + ".\n",
    ]
    out.append("## Findings\n")
    if d["findings"]:
        out.append(
            table(
                ["Severity", "Kind", "Wave", "Server", "Finding"],
                [
                    [
                        f["severity"],
                        f["kind"],
                        f["wave"] if f["wave"] is not None else "",
                        f["server"] or "",
                        f["message"],
                    ]
                    for f in d["findings"]
                ],
            )
        )
    else:
        out.append(
            "Nothing to report: every due server has landed as planned and the upcoming waves fit the quota.\n"
        )
    out.append("## Reconciliation of due waves\n")
    out.append(
        table(
            ["Server", "Wave", "Status", "Planned size", "Actual size", "Power", "Azure VM"],
            [
                [
                    r["server"] or "",
                    r["wave"] or "",
                    r["status"],
                    r["planned_size"] or "",
                    r["actual_size"] or "",
                    r["power_state"] or "",
                    r["vm"] or "",
                ]
                for r in d["reconciliation"]
            ],
        )
        if d["reconciliation"]
        else "No wave is due yet.\n"
    )
    out.append("## Sizes of the upcoming waves\n")
    out.append(
        table(
            ["Size", "First wave", "Available", "Family", "Zones", "Restrictions"],
            [
                [
                    r["size"],
                    r["first_wave"],
                    "yes" if r["available"] else "NO",
                    r["family"] or "",
                    ", ".join(r["zones"]),
                    "; ".join(r["restrictions"]),
                ]
                for r in d["sizes"]
            ],
        )
        if d["sizes"]
        else "No upcoming wave has sized servers.\n"
    )
    out.append("## vCPU quota, wave by wave\n")
    out.append(
        table(
            ["Wave", "Quota", "New vCPUs (cumulative)", "In use", "Limit", "Shortfall"],
            [
                [
                    r["wave"],
                    r["family"],
                    f"{r['needed_cumulative']:g}",
                    f"{r['in_use']:g}",
                    f"{r['limit']:g}",
                    f"{r['shortfall']:g}",
                ]
                for r in d["quota"]
            ],
        )
        if d["quota"]
        else "No quota needed.\n"
    )
    return "\n".join(out).rstrip("\n") + "\n"
