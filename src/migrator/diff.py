"""Compare two plans: what a reviewer needs to know about an inventory change.

Servers that changed wave (or appeared, or left the plan), waves added, removed or moved in time, capacity
and cost changes per wave, violations that appeared or went away, and the footprint projection and target
verdict before and after. Cost that one plan does not know stays ``None`` (unknown), never 0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migrator.errors import InputError
from migrator.planfile import load_plan, plan_path


def load_plan_document(path: str | Path) -> dict[str, Any]:
    """A plan the diff can read: :func:`migrator.planfile.load_plan`, then the parts the diff uses checked."""
    p = plan_path(path)
    doc = load_plan(p)
    _check_shape(doc, p)
    return doc


_WAVE_KEYS = ("number", "start", "end", "servers", "vcpus", "storage_gb")


def _check_shape(doc: dict[str, Any], file: Path) -> None:
    """The parts of plan.json the diff reads are there, with the right types.

    A damaged file fails with one line.
    """

    def bad(where: str, expected: str) -> InputError:
        return InputError(f"not a plan.json: {where}", file=file, expected=expected)

    if not isinstance(doc["waves"], list):
        raise bad("'waves' is not a list", "a list of waves")
    for i, w in enumerate(doc["waves"]):
        missing = [k for k in _WAVE_KEYS if not isinstance(w, dict) or k not in w]
        if missing:
            raise bad(f"waves[{i}] has no {', '.join(missing)}", "each wave with " + ", ".join(_WAVE_KEYS))
        try:
            dt.date.fromisoformat(str(w["start"]))
            dt.date.fromisoformat(str(w["end"]))
        except ValueError:
            raise bad(f"waves[{i}] start/end are not dates", "YYYY-MM-DD") from None
    for key, need in (("servers", "name"), ("violations", "message")):
        items = doc.get(key, [])
        if not isinstance(items, list) or any(not isinstance(x, dict) or need not in x for x in items):
            raise bad(
                f"'{key}' is not a list of objects with '{need}'", f"{key}: a list of objects with '{need}'"
            )
    for key in ("footprint", "summary"):
        if not isinstance(doc.get(key, {}), dict):
            raise bad(f"'{key}' is not an object", f"{key}: an object")


@dataclass(frozen=True)
class PlanDiff:
    data: dict[str, Any]

    @property
    def changed(self) -> bool:
        d = self.data
        return bool(
            d["servers"]["moved"]
            or d["servers"]["added"]
            or d["servers"]["removed"]
            or d["waves"]["added"]
            or d["waves"]["removed"]
            or d["waves"]["changed"]
            or d["violations"]["added"]
            or d["violations"]["removed"]
            or d["violations"]["moved"]
            or d["violations"]["changed"]
            or d["footprint"]["changed"]
        )


def _delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round(b - a, 3)


def _shift(a: str, b: str) -> int:
    """Days a date moved (positive: later)."""
    return (dt.date.fromisoformat(str(b)) - dt.date.fromisoformat(str(a))).days


def _target_text(t: dict[str, Any]) -> str:
    r = t.get("reduction")
    return f"{r:.0%} by {t.get('by')}" if isinstance(r, int | float) else f"{r} by {t.get('by')}"


def _timeline(ofp: dict[str, Any], nfp: dict[str, Any]) -> list[dict[str, Any]]:
    """Months where the projected remaining footprint differs.

    A month before a plan's timeline starts is at its baseline (nothing has moved yet), a month after it ends
    keeps its last value; a plan with no timeline is ``None`` (unknown) for every month.
    """

    def series(fp: dict[str, Any]) -> tuple[dict[str, Any], Any, Any, str, str]:
        pts = {
            p["month"]: p.get("remaining")
            for p in fp.get("timeline") or []
            if isinstance(p, dict) and "month" in p
        }
        if not pts:
            return pts, None, None, "", ""
        first, last = min(pts), max(pts)
        return pts, fp.get("baseline", pts[first]), pts[last], first, last

    def at(sr: tuple[dict[str, Any], Any, Any, str, str], month: str) -> Any:
        pts, base, end, first, last = sr
        if month in pts or not pts:
            return pts.get(month)
        return base if month < first else end if month > last else None

    a, b = series(ofp), series(nfp)
    rows = []
    for m in sorted(a[0].keys() | b[0].keys()):
        before, after = at(a, m), at(b, m)
        if before != after:
            rows.append({"month": m, "before": before, "after": after, "delta": _delta(before, after)})
    return rows


def _server_changes(
    old: dict[str, Any], new: dict[str, Any], wave_of: dict[int, int]
) -> dict[str, list[dict[str, Any]]]:
    """Servers that changed wave (``renumbered`` when they only followed their wave to its new number),
    appeared, left the plan, or changed Azure size."""
    o_srv = {s["name"]: s for s in old.get("servers", [])}
    n_srv = {s["name"]: s for s in new.get("servers", [])}
    both = sorted(o_srv.keys() & n_srv.keys())
    moved = [
        {
            "server": k,
            "application": n_srv[k].get("application", ""),
            "from": o_srv[k].get("wave"),
            "to": n_srv[k].get("wave"),
            "move_group": n_srv[k].get("move_group"),
            "renumbered": o_srv[k].get("wave") in wave_of
            and wave_of[o_srv[k]["wave"]] == n_srv[k].get("wave"),
        }
        for k in both
        if o_srv[k].get("wave") != n_srv[k].get("wave")
    ]
    added = [
        {"server": k, "wave": n_srv[k].get("wave"), "application": n_srv[k].get("application", "")}
        for k in sorted(n_srv.keys() - o_srv.keys())
    ]
    removed = [
        {"server": k, "wave": o_srv[k].get("wave"), "application": o_srv[k].get("application", "")}
        for k in sorted(o_srv.keys() - n_srv.keys())
    ]
    resized = [
        {"server": k, "from": o_srv[k].get("azure_size"), "to": n_srv[k].get("azure_size")}
        for k in both
        if o_srv[k].get("azure_size") != n_srv[k].get("azure_size")
    ]
    return {"moved": moved, "added": added, "removed": removed, "resized": resized}


def _servers_in_out(servers: dict[str, list[dict[str, Any]]]) -> tuple[Counter[Any], Counter[Any]]:
    """Servers that joined a wave (per new number: moved in or added) and that left one (per old number:
    moved out or removed); a server that only followed its wave to a new number did neither."""
    moved = [m for m in servers["moved"] if not m.get("renumbered")]
    moved_in = Counter(m["to"] for m in moved) + Counter(a["wave"] for a in servers["added"])
    moved_out = Counter(m["from"] for m in moved) + Counter(r["wave"] for r in servers["removed"])
    return moved_in, moved_out


_WAVE_COMPARED = ("start", "end", "kind", "servers", "vcpus", "storage_gb", "monthly_payg", "risk")


def _wave_change(
    a: dict[str, Any], b: dict[str, Any], moved_in: Counter[Any], moved_out: Counter[Any]
) -> dict[str, Any] | None:
    """Before and after of a wave both plans have (``was``: its old number, ``wave``: its new one), or None
    when nothing about it changed."""
    ca, cb = (a.get("cost") or {}).get("monthly_payg"), (b.get("cost") or {}).get("monthly_payg")
    row = {
        "wave": b["number"],
        "was": a["number"],
        "start": [a["start"], b["start"]],
        "end": [a["end"], b["end"]],
        "kind": [a.get("kind"), b.get("kind")],
        "servers": [a["servers"], b["servers"]],
        "vcpus": [a["vcpus"], b["vcpus"]],
        "storage_gb": [a["storage_gb"], b["storage_gb"]],
        "monthly_payg": [ca, cb],
        "monthly_payg_delta": _delta(ca, cb),
        "risk": [(a.get("risk") or {}).get("level"), (b.get("risk") or {}).get("level")],
        "start_shift_days": _shift(a["start"], b["start"]),
        "end_shift_days": _shift(a["end"], b["end"]),
        "servers_in": moved_in.get(b["number"], 0),
        "servers_out": moved_out.get(a["number"], 0),
    }
    if not (
        row["servers_in"]
        or row["servers_out"]
        or row["was"] != row["wave"]
        or any(row[k][0] != row[k][1] for k in _WAVE_COMPARED)
    ):
        return None
    row["moved_in_time"] = a["start"] != b["start"] or a["end"] != b["end"]
    return row


def _wave_row(w: dict[str, Any]) -> dict[str, Any]:
    """A wave only one plan has."""
    return {
        "wave": w["number"],
        "start": w["start"],
        "end": w["end"],
        "kind": w.get("kind"),
        "servers": w["servers"],
        "vcpus": w["vcpus"],
        "monthly_payg": (w.get("cost") or {}).get("monthly_payg"),
    }


def _wave_pairs(old_numbers: set[Any], new_numbers: set[Any], wave_of: dict[int, int]) -> dict[Any, Any]:
    """Old wave -> the new wave it is compared with: the one its servers became (:func:`wave_map`), else the
    new wave of the same number when no other old wave became it."""
    pairs = {o: n for o, n in wave_of.items() if o in old_numbers and n in new_numbers}
    taken = set(pairs.values())
    for k in sorted(old_numbers & new_numbers):
        if k not in pairs and k not in taken:
            pairs[k] = k
            taken.add(k)
    return pairs


def _wave_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    servers: dict[str, list[dict[str, Any]]],
    wave_of: dict[int, int],
) -> dict[str, list[dict[str, Any]]]:
    """Waves added, removed, renumbered (the same servers under another number), and changed (number,
    dates, capacity, cost, risk, or the servers in them): a wave is compared with the wave its servers
    became, else with the wave of its number."""
    o_w = {w["number"]: w for w in old.get("waves", [])}
    n_w = {w["number"]: w for w in new.get("waves", [])}
    pairs = _wave_pairs(set(o_w), set(n_w), wave_of)
    moved_in, moved_out = _servers_in_out(servers)
    rows = (_wave_change(o_w[o], n_w[n], moved_in, moved_out) for o, n in sorted(pairs.items()))
    return {
        "added": [_wave_row(n_w[k]) for k in sorted(n_w.keys() - set(pairs.values()))],
        "removed": [_wave_row(o_w[k]) for k in sorted(o_w.keys() - pairs.keys())],
        "changed": [row for row in rows if row is not None],
        "renumbered": [{"from": o, "to": n} for o, n in sorted(pairs.items()) if o != n],
    }


# A wave reference in a violation's message: "wave 7", "waves 7, 11", "waves 3 and 4", "(wave 5)".
_WAVE_REF = re.compile(r"\(?\bwaves? \d+(?:(?:, | and )\d+)*\)?")


def wave_map(old: dict[str, Any], new: dict[str, Any]) -> dict[int, int]:
    """Which new wave each old wave became: the new wave holding more than half of its servers (of those in
    both plans) when more than half of that wave's servers come from it. A renumbering maps every wave; a
    wave whose servers scattered maps to nothing."""

    def waves(doc: dict[str, Any]) -> pd.DataFrame:
        rows = [(s["name"], s.get("wave")) for s in doc.get("servers", [])]
        frame = pd.DataFrame(rows, columns=["name", "wave"]).dropna()
        return frame.astype({"name": str, "wave": np.int64})

    both = waves(old).merge(waves(new), on="name", suffixes=("_old", "_new"))
    pairs = both.groupby(["wave_old", "wave_new"], sort=True).size().rename("n").reset_index()
    of_old = pairs.groupby("wave_old")["n"].transform("sum")
    of_new = pairs.groupby("wave_new")["n"].transform("sum")
    kept = pairs[(2 * pairs["n"] > of_old) & (2 * pairs["n"] > of_new)]
    return dict(zip(kept["wave_old"].tolist(), kept["wave_new"].tolist(), strict=True))


def _subject(v: dict[str, Any], wave_of: dict[int, int] | None) -> tuple[Any, ...]:
    """What a violation concerns, whatever the waves are numbered: its condition and its message without
    wave numbers and details (the part after ";" or ":": counts, examples, limits), e.g. (2, "application
    erp (prod) is spread over waves"). When the wave itself is the subject ("wave 7 moves production and
    dev/test servers together"), the wave as the new plan numbers it (``wave_of`` maps an old plan's waves;
    an old wave that maps to none stays apart)."""
    text = re.split(r"[;:]\s", str(v.get("message", "")), maxsplit=1)[0]
    subject = " ".join(_WAVE_REF.sub("waves", text).split())
    if not subject.startswith("waves "):
        return (v.get("condition"), subject)
    waves = [int(w) for w in v.get("waves") or []]
    if wave_of is not None:
        return (v.get("condition"), subject, *(wave_of.get(w, f"old {w}") for w in waves))
    return (v.get("condition"), subject, *waves)


def _violation_changes(
    old: dict[str, Any], new: dict[str, Any], wave_of: dict[int, int]
) -> dict[str, list[dict[str, Any]]]:
    """Violations matched by what they concern (:func:`_subject`), not by wave numbers: ``added`` (newly
    broken), ``removed`` (resolved), ``moved`` (still broken, in other waves: a renumbering alone moves
    them) and ``changed`` (still broken in the same waves, the details differ)."""
    o_v: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    n_v: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for v in old.get("violations", []):
        o_v.setdefault(_subject(v, wave_of), []).append(v)
    for v in new.get("violations", []):
        n_v.setdefault(_subject(v, None), []).append(v)
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "moved": [], "changed": []}
    for key in sorted(o_v.keys() | n_v.keys(), key=repr):
        a, b = o_v.get(key, []), n_v.get(key, [])
        out["removed"] += a[len(b) :]
        out["added"] += b[len(a) :]
        for x, y in zip(a, b, strict=False):
            if x.get("message") != y.get("message") or x.get("waves") != y.get("waves"):
                kind = "moved" if list(x.get("waves") or []) != list(y.get("waves") or []) else "changed"
                out[kind].append({"condition": y.get("condition"), "before": x, "after": y})
    for kind in ("added", "removed"):
        out[kind].sort(key=lambda v: (v.get("condition", 0), str(v.get("message", ""))))
    for kind in ("moved", "changed"):
        out[kind].sort(key=lambda m: (m["condition"] or 0, str(m["after"].get("message", ""))))
    return out


def _currency(doc: dict[str, Any]) -> str | None:
    """The currency of the plan's prices (plan.json ``cost.totals.currency``), None when it has no cost."""
    totals = (doc.get("cost") or {}).get("totals") or {}
    return totals.get("currency") if isinstance(totals, dict) else None


def _reduction_at_target(fp: dict[str, Any]) -> float | None:
    t = fp.get("target") or {}
    base = fp.get("baseline")
    if not base or t.get("remaining_at_target_date") is None:
        return None
    return round(1 - t["remaining_at_target_date"] / base, 4)


def _footprint_change(
    ofp: dict[str, Any], nfp: dict[str, Any], timeline: list[dict[str, Any]]
) -> dict[str, Any]:
    """The footprint projection and the target verdict, before and after; ``changed`` when any differs."""
    ot, nt = ofp.get("target") or {}, nfp.get("target") or {}
    footprint: dict[str, Any] = {
        "metric": [ofp.get("metric"), nfp.get("metric")],
        "baseline": [ofp.get("baseline"), nfp.get("baseline")],
        "met": [ot.get("met"), nt.get("met")],
        "reached_on": [ot.get("reached_on"), nt.get("reached_on")],
        "reduction_at_target": [_reduction_at_target(ofp), _reduction_at_target(nfp)],
        "max_achievable": [ot.get("max_achievable"), nt.get("max_achievable")],
        "target": [_target_text(ot), _target_text(nt)],
    }
    differs = any(v[0] != v[1] for v in footprint.values() if isinstance(v, list))
    footprint["changed"] = differs or bool(timeline)
    return footprint


_SUMMARY_KEYS = (
    "servers",
    "migrating",
    "retiring",
    "retained",
    "move_groups",
    "waves",
    "first_wave_start",
    "last_wave_end",
    "violations",
    "critical_violations",
    "monthly_cost",
)


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    """What changed from ``old`` to ``new``: summary, servers, waves, violations, footprint, timeline."""
    os_, ns = old.get("summary") or {}, new.get("summary") or {}
    wave_of = wave_map(old, new)
    servers = _server_changes(old, new, wave_of)
    ofp, nfp = old.get("footprint") or {}, new.get("footprint") or {}
    timeline = _timeline(ofp, nfp)
    data = {
        "summary": {k: [os_.get(k), ns.get(k)] for k in _SUMMARY_KEYS},
        "servers": servers,
        "waves": _wave_changes(old, new, servers, wave_of),
        "violations": _violation_changes(old, new, wave_of),
        "footprint": _footprint_change(ofp, nfp, timeline),
        "footprint_timeline": timeline,
        "currency": _currency(new) or _currency(old) or "USD",
    }
    return PlanDiff(data)
