"""azure-check.md and azure-check.json: views of a :class:`~migrator.azure.check.CheckResult`."""

from __future__ import annotations

import json
from typing import Any

from migrator.azure.check import CheckResult
from migrator.outputs.mermaid import table


def check_json(result: CheckResult) -> bytes:
    return (json.dumps(result.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def check_markdown(result: CheckResult) -> str:
    d = result.to_dict()
    s = d["summary"]
    out = [
        f"# Azure check: {result.region}, as of {d['as_of']}\n",
        f"Subscription `{result.subscription}`. "
        f"Waves due: {', '.join(map(str, result.due_waves)) or 'none'}; "
        f"upcoming: {', '.join(map(str, result.upcoming_waves)) or 'none'}.\n",
        f"**{s['blocking']} blocking**, {s['warnings']} warnings. Reconciliation: "
        + (", ".join(f"{n} {k}" for k, n in s["reconciliation"].items()) or "nothing due")
        + ".\n",
        "## Findings\n",
        _findings(d["findings"]),
        "## Reconciliation of due waves\n",
        _reconciliation(d["reconciliation"]),
        "## Sizes of the upcoming waves\n",
        _sizes(d["sizes"]),
        "## vCPU quota, wave by wave\n",
        _quota(d["quota"]),
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return (
            "Nothing to report: every due server has landed as planned "
            "and the upcoming waves fit the quota.\n"
        )
    return table(
        ["Severity", "Kind", "Wave", "Server", "Finding"],
        [
            [
                f["severity"],
                f["kind"],
                f["wave"] if f["wave"] is not None else "",
                f["server"] or "",
                f["message"],
            ]
            for f in findings
        ],
    )


def _reconciliation(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No wave is due yet.\n"
    return table(
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
            for r in rows
        ],
    )


def _sizes(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No upcoming wave has sized servers.\n"
    return table(
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
            for r in rows
        ],
    )


def _quota(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No quota needed.\n"
    return table(
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
            for r in rows
        ],
    )
