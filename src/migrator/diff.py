"""Compare two plans: what a reviewer needs to know about an inventory change.

Servers that changed wave (or appeared, or left the plan), waves added, removed or moved in time, capacity and cost
changes per wave, violations that appeared or went away, and the footprint projection and target verdict before
and after. Cost that one plan does not know stays ``None`` (unknown), never 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import InputError


def load_plan_document(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if p.is_dir():
        p = p / "plan.json"
    if not p.exists():
        raise InputError("plan not found", file=p, expected="a plan.json or a folder holding one")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a plan.json: {exc}", file=p) from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "waves" not in doc:
        raise InputError("not a plan.json (no schema_version or waves)", file=p)
    if str(doc["schema_version"]).split(".")[0] != "1":
        raise InputError(f"plan schema_version {doc['schema_version']} is not supported", file=p, expected="1.x")
    return doc


@dataclass(frozen=True)
class PlanDiff:
    data: dict[str, Any]

    @property
    def changed(self) -> bool:
        d = self.data
        return bool(d["servers"]["moved"] or d["servers"]["added"] or d["servers"]["removed"] or d["waves"]["added"]
                    or d["waves"]["removed"] or d["waves"]["changed"] or d["violations"]["added"] or d["violations"]["removed"]
                    or d["footprint"]["changed"])


def _delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round(b - a, 3)


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    o_srv = {s["name"]: s for s in old.get("servers", [])}
    n_srv = {s["name"]: s for s in new.get("servers", [])}
    moved = [{"server": k, "application": n_srv[k].get("application", ""), "from": o_srv[k].get("wave"), "to": n_srv[k].get("wave"),
              "move_group": n_srv[k].get("move_group")}
             for k in sorted(o_srv.keys() & n_srv.keys()) if o_srv[k].get("wave") != n_srv[k].get("wave")]
    added = [{"server": k, "wave": n_srv[k].get("wave"), "application": n_srv[k].get("application", "")} for k in sorted(n_srv.keys() - o_srv.keys())]
    removed = [{"server": k, "wave": o_srv[k].get("wave"), "application": o_srv[k].get("application", "")} for k in sorted(o_srv.keys() - n_srv.keys())]
    resized = [{"server": k, "from": o_srv[k].get("azure_size"), "to": n_srv[k].get("azure_size")}
               for k in sorted(o_srv.keys() & n_srv.keys()) if o_srv[k].get("azure_size") != n_srv[k].get("azure_size")]

    o_w = {w["number"]: w for w in old.get("waves", [])}
    n_w = {w["number"]: w for w in new.get("waves", [])}
    changed = []
    for num in sorted(o_w.keys() & n_w.keys()):
        a, b = o_w[num], n_w[num]
        ca, cb = (a.get("cost") or {}).get("monthly_payg"), (b.get("cost") or {}).get("monthly_payg")
        row = {"wave": num, "start": [a["start"], b["start"]], "end": [a["end"], b["end"]], "kind": [a.get("kind"), b.get("kind")],
               "servers": [a["servers"], b["servers"]], "vcpus": [a["vcpus"], b["vcpus"]], "storage_gb": [a["storage_gb"], b["storage_gb"]],
               "monthly_payg": [ca, cb], "monthly_payg_delta": _delta(ca, cb),
               "risk": [a.get("risk", {}).get("level"), b.get("risk", {}).get("level")]}
        if any(row[k][0] != row[k][1] for k in ("start", "end", "kind", "servers", "vcpus", "storage_gb", "monthly_payg", "risk")):
            row["moved_in_time"] = a["start"] != b["start"] or a["end"] != b["end"]
            changed.append(row)

    def wave_row(w: dict[str, Any]) -> dict[str, Any]:
        return {"wave": w["number"], "start": w["start"], "end": w["end"], "kind": w.get("kind"), "servers": w["servers"],
                "vcpus": w["vcpus"], "monthly_payg": (w.get("cost") or {}).get("monthly_payg")}

    o_v = {v["message"]: v for v in old.get("violations", [])}
    n_v = {v["message"]: v for v in new.get("violations", [])}
    ofp, nfp = old.get("footprint", {}), new.get("footprint", {})
    ot, nt = ofp.get("target", {}), nfp.get("target", {})

    def at_target(fp: dict[str, Any]) -> float | None:
        t = fp.get("target", {})
        base = fp.get("baseline")
        if not base or t.get("remaining_at_target_date") is None:
            return None
        return round(1 - t["remaining_at_target_date"] / base, 4)

    footprint: dict[str, Any] = {
        "metric": [ofp.get("metric"), nfp.get("metric")], "baseline": [ofp.get("baseline"), nfp.get("baseline")],
        "met": [ot.get("met"), nt.get("met")], "reached_on": [ot.get("reached_on"), nt.get("reached_on")],
        "reduction_at_target": [at_target(ofp), at_target(nfp)], "max_achievable": [ot.get("max_achievable"), nt.get("max_achievable")],
        "target": [f"{ot.get('reduction')} by {ot.get('by')}", f"{nt.get('reduction')} by {nt.get('by')}"],
    }
    footprint["changed"] = any(v[0] != v[1] for k, v in footprint.items() if isinstance(v, list))
    os_, ns = old.get("summary", {}), new.get("summary", {})
    summary = {k: [os_.get(k), ns.get(k)] for k in ("servers", "migrating", "retiring", "retained", "move_groups", "waves", "first_wave_start",
                                                     "last_wave_end", "violations", "critical_violations", "monthly_cost")}
    data = {
        "summary": summary,
        "servers": {"moved": moved, "added": added, "removed": removed, "resized": resized},
        "waves": {"added": [wave_row(n_w[k]) for k in sorted(n_w.keys() - o_w.keys())],
                  "removed": [wave_row(o_w[k]) for k in sorted(o_w.keys() - n_w.keys())], "changed": changed},
        "violations": {"added": [n_v[k] for k in sorted(n_v.keys() - o_v.keys())], "removed": [o_v[k] for k in sorted(o_v.keys() - n_v.keys())]},
        "footprint": footprint,
    }
    return PlanDiff(data)
