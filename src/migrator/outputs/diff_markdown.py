"""A plan diff as a pull-request comment: summary first, details folded, a hidden marker, under GitHub's limit."""

from __future__ import annotations

import json
from typing import Any

from migrator.diff import PlanDiff
from migrator.outputs.escape import md_text
from migrator.outputs.mermaid import table

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


def _pair(a: Any, b: Any, money: bool = False) -> str:
    return _v(a, money) if a == b else f"{_v(a, money)} → {_v(b, money)}"


def _spair(a: Any, b: Any, money: bool = False) -> str:
    """:func:`_pair` for the summary lines (outside a table, so escaped here; counts with thousands separators)."""

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
    return tuple(None if x is None else f"{x:.1%}" for x in values)  # type: ignore[return-value]


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
    """``reached_on`` is null when the projection never reaches the target: that is "not reached", not unknown."""
    return tuple("not reached" if x is None else x for x in values)  # type: ignore[return-value]


def _add(lines: list[str], section: str) -> None:
    if section:
        lines.append(section)


def _pct(x: Any) -> Any:
    return f"{x:.1%}" if isinstance(x, float) else x


def render(diff: PlanDiff, cap: int) -> str:
    d = diff.data
    s, fp = d["summary"], d["footprint"]
    lines = [MARKER, "## Migration plan diff", ""]
    if not diff.changed:
        lines += ["No change to waves, servers, violations or the footprint projection.", ""]
    verdict = _spair(fp["met"][0], fp["met"][1])
    lines += [
        f"- **Target** ({md_text(fp['target'][1])}): {verdict}; reached {_spair(*_reached(fp['reached_on']))}; "
        f"reduction at the target date {_spair(*_pcts(fp['reduction_at_target']))}",
        f"- **Servers**: {_spair(s['servers'][0], s['servers'][1])}; {len(d['servers']['moved']):,} changed wave, {len(d['servers']['added']):,} added, "
        f"{len(d['servers']['removed']):,} removed, {len(d['servers']['resized']):,} resized",
        f"- **Waves**: {_spair(s['waves'][0], s['waves'][1])} ({_spair(s['first_wave_start'][0], s['first_wave_start'][1])} to "
        f"{_spair(s['last_wave_end'][0], s['last_wave_end'][1])}); {len(d['waves']['added']):,} added, {len(d['waves']['removed']):,} removed, "
        f"{sum(1 for w in d['waves']['changed'] if w.get('moved_in_time')):,} moved in time",
        f"- **Conditions not met**: {_spair(s['violations'][0], s['violations'][1])} ({len(d['violations']['added']):,} new, {len(d['violations']['removed']):,} resolved)",
        f"- **Monthly run-rate (PAYG)**: {_spair(s['monthly_cost'][0], s['monthly_cost'][1], money=True)}",
        "",
    ]
    _add(
        lines,
        _section(
            "Servers that changed wave",
            ["Server", "Application", "From wave", "To wave", "Move group"],
            [
                [m["server"], m["application"], _v(m["from"]), _v(m["to"]), _v(m["move_group"])]
                for m in d["servers"]["moved"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Servers added",
            ["Server", "Application", "Wave"],
            [[a["server"], a["application"], _v(a["wave"])] for a in d["servers"]["added"]],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Servers removed",
            ["Server", "Application", "Was in wave"],
            [[a["server"], a["application"], _v(a["wave"])] for a in d["servers"]["removed"]],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Servers resized",
            ["Server", "Azure size"],
            [[r["server"], _pair(r["from"], r["to"])] for r in d["servers"]["resized"]],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Waves changed",
            ["Wave", "Dates", "Kind", "Servers", "In / out", "vCPU", "Storage GiB", "Monthly PAYG", "Risk"],
            [
                [
                    w["wave"],
                    _dates(w),
                    _pair(w["kind"][0], w["kind"][1]),
                    _pair(w["servers"][0], w["servers"][1]),
                    _in_out(w),
                    _pair(w["vcpus"][0], w["vcpus"][1]),
                    _pair(w["storage_gb"][0], w["storage_gb"][1]),
                    _pair(w["monthly_payg"][0], w["monthly_payg"][1], money=True),
                    _pair(w["risk"][0], w["risk"][1]),
                ]
                for w in d["waves"]["changed"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Waves added",
            ["Wave", "Start", "End", "Kind", "Servers", "vCPU", "Monthly PAYG"],
            [
                [
                    w["wave"],
                    w["start"],
                    w["end"],
                    w["kind"],
                    w["servers"],
                    _v(w["vcpus"]),
                    _v(w["monthly_payg"], True),
                ]
                for w in d["waves"]["added"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Waves removed",
            ["Wave", "Start", "End", "Kind", "Servers", "vCPU", "Monthly PAYG"],
            [
                [
                    w["wave"],
                    w["start"],
                    w["end"],
                    w["kind"],
                    w["servers"],
                    _v(w["vcpus"]),
                    _v(w["monthly_payg"], True),
                ]
                for w in d["waves"]["removed"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Conditions newly broken",
            ["#", "Waves", "What"],
            [
                [v["condition"], ", ".join(map(str, v["waves"])), v["message"]]
                for v in d["violations"]["added"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Conditions resolved",
            ["#", "Waves", "What"],
            [
                [v["condition"], ", ".join(map(str, v["waves"])), v["message"]]
                for v in d["violations"]["removed"]
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Footprint projection",
            ["", "Before", "After"],
            [
                [
                    k.replace("_", " "),
                    *(
                        _v(_pct(x) if k in ("reduction_at_target", "max_achievable") else x)
                        for x in (_reached(v) if k == "reached_on" else v)
                    ),
                ]
                for k, v in fp.items()
                if isinstance(v, list)
            ],
            cap,
        ),
    )
    _add(
        lines,
        _section(
            "Footprint by month (months that changed)",
            ["Month", "Remaining before", "Remaining after", "Change"],
            [
                [
                    m["month"],
                    _v(m["before"]),
                    _v(m["after"]),
                    _v(m["delta"]) if m["delta"] is None else f"{m['delta']:+,.6g}",
                ]
                for m in d.get("footprint_timeline", [])
            ],
            cap,
        ),
    )
    return "\n".join(x for x in lines if x is not None).rstrip("\n") + "\n"


def diff_markdown(diff: PlanDiff, limit: int = COMMENT_LIMIT) -> str:
    """The comment, with detail tables shortened until it fits GitHub's limit (the summary always stays)."""
    for cap in ROW_STEPS:
        text = render(diff, cap)
        if len(text) <= limit:
            return text
    return (
        text[: limit - 200].rsplit("\n", 1)[0]
        + "\n\n_Diff truncated to fit a GitHub comment; see `migrator diff --format json`._\n"
    )


def diff_json(diff: PlanDiff) -> str:
    return json.dumps(diff.data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
