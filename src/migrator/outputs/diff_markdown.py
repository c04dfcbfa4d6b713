"""A plan diff as a pull-request comment: summary first, details folded, a hidden marker, within limits.

Every detail table is cut to fewer rows until the comment fits GitHub's limit; the summary always stays.
"""

from __future__ import annotations

import json
from typing import Any

from migrator.diff import PlanDiff
from migrator.outputs.escape import md_text
from migrator.outputs.mermaid import table
from migrator.outputs.text import kind_label

MARKER = "<!-- migrator-diff -->"
COMMENT_LIMIT = 65_536  # GitHub's maximum comment length, in characters
ROW_STEPS = (200, 100, 50, 20, 5, 0)


def _v(x: Any, money: bool = False) -> str:
    if x is None:
        return "unknown"
    if isinstance(x, bool):
        return "met" if x else "not met"
    if isinstance(x, float):
        return f"{x:,.2f}" if money else f"{x:,.6g}"
    return str(x)


def _kind(kind: Any) -> Any:
    """A wave kind in the plan's words (``nonprod`` is dev/test), None (unknown) as it is."""
    return kind_label(kind) if isinstance(kind, str) else kind


def _pair(a: Any, b: Any, money: bool = False) -> str:
    return _v(a, money) if a == b else f"{_v(a, money)} → {_v(b, money)}"


def _spair(a: Any, b: Any, money: bool = False) -> str:
    """:func:`_pair` for the summary lines: escaped here (not in a table), thousands separators in counts."""

    def n(x: Any) -> Any:
        return f"{x:,}" if isinstance(x, int) and not isinstance(x, bool) else x

    return md_text(_pair(n(a), n(b), money))


def _section(title: str, headers: list[str], rows: list[list[Any]], cap: int) -> str:
    if not rows:
        return ""
    shown = rows[:cap]
    more = (
        f"\n_and {len(rows) - len(shown):,} more (see `migrator diff --format json`)._\n"
        if len(rows) > len(shown)
        else ""
    )
    return (
        f"<details><summary>{md_text(title)} ({len(rows):,})</summary>\n\n"
        + (table(headers, shown) if shown else "")
        + more
        + "\n</details>\n"
    )


def _pcts(values: list[Any]) -> tuple[Any, Any]:
    before, after = (None if x is None else f"{x:.1%}" for x in values)
    return before, after


def _dates(w: dict[str, Any]) -> str:
    """``start to end``, or ``old → new (+N days)`` when the wave moved in time."""
    before, after = f"{w['start'][0]} to {w['end'][0]}", f"{w['start'][1]} to {w['end'][1]}"
    if before == after:
        return before
    s, e = w.get("start_shift_days"), w.get("end_shift_days")
    shift = f"{s:+d} days" if s == e or e is None else f"start {s:+d}, end {e:+d} days"
    return f"{before} → {after} ({shift})" if s is not None else f"{before} → {after}"


def _in_out(w: dict[str, Any]) -> str:
    """Servers that joined (+) and left (-) the wave, or nothing when its members are the same."""
    i, o = w.get("servers_in", 0), w.get("servers_out", 0)
    return f"+{i} / -{o}" if i or o else ""


def _reached(values: list[Any]) -> tuple[Any, Any]:
    """``reached_on`` is null when the projection never reaches the target: "not reached", not unknown."""
    before, after = ("not reached" if x is None else x for x in values)
    return before, after


def _pct(x: Any) -> Any:
    return f"{x:.1%}" if isinstance(x, float) else x


def _servers_moved(moved: list[dict[str, Any]]) -> str:
    """``12 changed wave`` and how many of them only followed their wave to a new number."""
    renumbered = sum(1 for m in moved if m.get("renumbered"))
    return f"{len(moved):,} changed wave" + (f" ({renumbered:,} only renumbered)" if renumbered else "")


def _renumbered(renumbered: list[dict[str, Any]]) -> str:
    """``, 3 renumbered (5 → 4, 6 → 5, 7 → 6)``: old waves that hold the same servers under a new number."""
    if not renumbered:
        return ""
    shown = ", ".join(f"{r['from']} → {r['to']}" for r in renumbered[:5])
    more = f" and {len(renumbered) - 5:,} more" if len(renumbered) > 5 else ""
    return f", {len(renumbered):,} renumbered ({shown}{more})"


def _currency(diff: PlanDiff) -> str:
    return str(diff.data.get("currency") or "USD")


def _still_broken(viol: dict[str, list[dict[str, Any]]]) -> str:
    """``1 new, 2 resolved``, then the conditions still not met that moved or changed, when there are any."""
    parts = [f"{len(viol['added']):,} new", f"{len(viol['removed']):,} resolved"]
    moved, changed = len(viol.get("moved", [])), len(viol.get("changed", []))
    if moved:
        parts.append(f"{moved:,} in other waves")
    if changed:
        parts.append(f"{changed:,} changed")
    return ", ".join(parts)


def _summary(diff: PlanDiff) -> list[str]:
    """The heading and the summary lines, always shown whatever the size."""
    d = diff.data
    s, fp, srv, waves, viol = d["summary"], d["footprint"], d["servers"], d["waves"], d["violations"]
    lines = [MARKER, "## Migration plan diff", ""]
    if not diff.changed:
        lines += ["No change to waves, servers, violations or the footprint projection.", ""]
    moved_in_time = sum(1 for w in waves["changed"] if w.get("moved_in_time"))
    lines += [
        f"- **Target** ({md_text(fp['target'][1])}): {_spair(*fp['met'])}; "
        f"reached {_spair(*_reached(fp['reached_on']))}; "
        f"reduction at the target date {_spair(*_pcts(fp['reduction_at_target']))}",
        f"- **Servers**: {_spair(*s['servers'])}; {_servers_moved(srv['moved'])}, "
        f"{len(srv['added']):,} added, {len(srv['removed']):,} removed, {len(srv['resized']):,} resized",
        f"- **Waves**: {_spair(*s['waves'])} "
        f"({_spair(*s['first_wave_start'])} to {_spair(*s['last_wave_end'])}); "
        f"{len(waves['added']):,} added, {len(waves['removed']):,} removed, {moved_in_time:,} moved in time"
        + _renumbered(waves.get("renumbered", [])),
        f"- **Conditions not met**: {_spair(*s['violations'])} ({_still_broken(viol)})",
        f"- **Monthly run-rate (PAYG, {md_text(_currency(diff))})**: "
        f"{_spair(s['monthly_cost'][0], s['monthly_cost'][1], money=True)}",
        "",
    ]
    return lines


# A folded detail section: title, table headers, rows.
Section = tuple[str, list[str], list[list[Any]]]


def _server_sections(servers: dict[str, list[dict[str, Any]]]) -> list[Section]:
    return [
        (
            "Servers that moved to another wave (not those that only followed their wave to a new number)",
            ["Server", "Application", "From wave", "To wave", "Move group"],
            [
                [m["server"], m["application"], _v(m["from"]), _v(m["to"]), _v(m["move_group"])]
                for m in servers["moved"]
                if not m.get("renumbered")
            ],
        ),
        (
            "Servers added",
            ["Server", "Application", "Wave"],
            [[a["server"], a["application"], _v(a["wave"])] for a in servers["added"]],
        ),
        (
            "Servers removed",
            ["Server", "Application", "Was in wave"],
            [[a["server"], a["application"], _v(a["wave"])] for a in servers["removed"]],
        ),
        (
            "Servers resized",
            ["Server", "Azure size"],
            [[r["server"], _pair(r["from"], r["to"])] for r in servers["resized"]],
        ),
    ]


def _one_plan_wave_headers(currency: str) -> list[str]:
    return ["Wave", "Start", "End", "Kind", "Servers", "vCPU", f"Monthly PAYG ({currency})"]


def _one_plan_wave(w: dict[str, Any]) -> list[Any]:
    return [
        w["wave"],
        w["start"],
        w["end"],
        _kind(w["kind"]),
        w["servers"],
        _v(w["vcpus"]),
        _v(w["monthly_payg"], True),
    ]


def _changed_wave(w: dict[str, Any]) -> list[Any]:
    return [
        _pair(w.get("was", w["wave"]), w["wave"]),
        _dates(w),
        _pair(*(_kind(k) for k in w["kind"])),
        _pair(*w["servers"]),
        _in_out(w),
        _pair(*w["vcpus"]),
        _pair(*w["storage_gb"]),
        _pair(w["monthly_payg"][0], w["monthly_payg"][1], money=True),
        _pair(*w["risk"]),
    ]


def _wave_sections(waves: dict[str, list[dict[str, Any]]], currency: str) -> list[Section]:
    one_plan = _one_plan_wave_headers(currency)
    return [
        (
            "Waves changed",
            [
                "Wave",
                "Dates",
                "Kind",
                "Servers",
                "In / out",
                "vCPU",
                "Storage GiB",
                f"Monthly PAYG ({currency})",
            ]
            + ["Risk"],
            [_changed_wave(w) for w in waves["changed"]],
        ),
        (
            "Waves renumbered (the same servers under another number)",
            ["Was wave", "Now wave"],
            [[r["from"], r["to"]] for r in waves.get("renumbered", [])],
        ),
        ("Waves added", one_plan, [_one_plan_wave(w) for w in waves["added"]]),
        ("Waves removed", one_plan, [_one_plan_wave(w) for w in waves["removed"]]),
    ]


def _violation_sections(violations: dict[str, list[dict[str, Any]]]) -> list[Section]:
    def rows(items: list[dict[str, Any]]) -> list[list[Any]]:
        return [[v["condition"], ", ".join(map(str, v["waves"])), v["message"]] for v in items]

    def pairs(items: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [
                m["condition"],
                _pair(", ".join(map(str, m["before"]["waves"])), ", ".join(map(str, m["after"]["waves"]))),
                _pair(m["before"]["message"], m["after"]["message"]),
            ]
            for m in items
        ]

    return [
        ("Conditions newly broken", ["#", "Waves", "What"], rows(violations["added"])),
        ("Conditions resolved", ["#", "Waves", "What"], rows(violations["removed"])),
        (
            "Conditions still not met, in other waves",
            ["#", "Waves", "What"],
            pairs(violations.get("moved", [])),
        ),
        ("Conditions still not met, changed", ["#", "Waves", "What"], pairs(violations.get("changed", []))),
    ]


def _footprint_sections(footprint: dict[str, Any], timeline: list[dict[str, Any]]) -> list[Section]:
    def before_after(key: str, values: list[Any]) -> list[Any]:
        shown = _reached(values) if key == "reached_on" else values
        return [_v(_pct(x) if key in ("reduction_at_target", "max_achievable") else x) for x in shown]

    def change(delta: Any) -> str:
        return _v(delta) if delta is None else f"{delta:+,.6g}"

    return [
        (
            "Footprint projection",
            ["", "Before", "After"],
            [[k.replace("_", " "), *before_after(k, v)] for k, v in footprint.items() if isinstance(v, list)],
        ),
        (
            "Footprint by month (months that changed)",
            ["Month", "Remaining before", "Remaining after", "Change"],
            [[m["month"], _v(m["before"]), _v(m["after"]), change(m["delta"])] for m in timeline],
        ),
    ]


def _sections(diff: PlanDiff) -> list[Section]:
    """The detail sections in the order the comment shows them."""
    d = diff.data
    return [
        *_server_sections(d["servers"]),
        *_wave_sections(d["waves"], _currency(diff)),
        *_violation_sections(d["violations"]),
        *_footprint_sections(d["footprint"], d.get("footprint_timeline", [])),
    ]


def _assemble(summary: list[str], sections: list[Section], cap: int) -> str:
    """The comment with at most ``cap`` rows per detail table; empty sections are left out."""
    folded = [_section(title, headers, rows, cap) for title, headers, rows in sections]
    return "\n".join([*summary, *(x for x in folded if x)]).rstrip("\n") + "\n"


def render(diff: PlanDiff, cap: int) -> str:
    return _assemble(_summary(diff), _sections(diff), cap)


def diff_markdown(diff: PlanDiff, limit: int = COMMENT_LIMIT) -> str:
    """The comment, with detail tables shortened until it fits GitHub's limit (the summary always stays)."""
    summary, sections = _summary(diff), _sections(diff)
    for cap in ROW_STEPS:
        text = _assemble(summary, sections, cap)
        if len(text) <= limit:
            return text
    return (
        text[: limit - 200].rsplit("\n", 1)[0]
        + "\n\n_Diff truncated to fit a GitHub comment; see `migrator diff --format json`._\n"
    )


def diff_json(diff: PlanDiff) -> str:
    return json.dumps(diff.data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
