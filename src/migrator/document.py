"""The plan document (the content of ``plan.json``), assembled from what the pipeline's stages produced.

Every other output (PLAN.md, waves.csv, the terminal summary) is a view of this document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migrator import __version__
from migrator.conditions import CRITICAL_CONDITIONS, Violation
from migrator.dates import freezes_skipped
from migrator.errors import Finding
from migrator.footprint import Footprint
from migrator.graph import DependencyGraph
from migrator.risk import wave_confidence, wave_risk
from migrator.schema import MIGRATING_DISPOSITIONS
from migrator.settings import Settings
from migrator.validate import Inventory
from migrator.waves import WaveAssignment

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class DocumentInputs:
    """What the stages produced, as the document builders need it."""

    settings: Settings
    inventory: Inventory
    servers: pd.DataFrame  # the validated servers table (positions are server numbers everywhere)
    table: pd.DataFrame  # one row per server: the columns of waves.csv (and sizing), sorted by wave
    groups: pd.DataFrame  # move groups, one row each
    group_wave: np.ndarray  # wave per move group
    assignment: WaveAssignment
    wave_kind: dict[int, str]
    dates: list[tuple[dt.date, dt.date]]
    violations: list[Violation]
    cross: pd.DataFrame  # server pairs whose dependency crosses waves
    hub_rows: list[dict[str, Any]]  # shared services, as plan.json lists them
    footprint: Footprint
    findings: list[Finding]
    graph: DependencyGraph
    has_cross: np.ndarray  # per server: keeps a dependency across waves
    first_wave: int
    sizing_doc: dict[str, Any] | None
    per_server_sizing: pd.DataFrame | None
    gedges: pd.DataFrame  # dependencies between move groups


@dataclass(frozen=True)
class PlanResult:
    document: dict[str, Any]
    servers: pd.DataFrame  # one row per server, the columns of waves.csv (and more)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def target_met(self) -> bool:
        return bool(self.document["footprint"]["target"]["met"])

    @property
    def critical_violations(self) -> int:
        return sum(1 for v in self.document["violations"] if v["condition"] in CRITICAL_CONDITIONS)


SIZING_FIELDS = (
    "azure_size",
    "azure_vcpus",
    "azure_memory_gb",
    "sizing_basis",
    "readiness",
    "readiness_reason",
    "monthly_cost",
)


def _server_records(table: pd.DataFrame, sizing: pd.DataFrame | None) -> list[dict[str, Any]]:
    """plan.json ``servers``: built column-wise, then turned into records once."""
    frame = pd.DataFrame(
        {
            "name": table["server"],
            "application": table["application"],
            "environment": table["environment"],
            "move_group": table["move_group"].replace("", None),
            "wave": table["wave"].astype(object),
            "wave_start": table["wave_start"].replace("", None),
            "wave_end": table["wave_end"].replace("", None),
            "disposition": table["disposition"],
            "decommission_date": table["decommission_date"].replace("", None),
            "host": table["host"],
            "cluster": table["cluster"],
            "cores": table["cores"].round(3),
            "memory_gb": table["memory_gb"].round(3),
            "storage_gb": table["storage_gb"].round(3),
            "criticality": table["criticality"],
            "shared_service": table["shared_service"].astype(bool),
        }
    )
    extra = list(sizing.columns) if sizing is not None else []
    for col in dict.fromkeys(list(SIZING_FIELDS) + extra):
        frame[col] = table[col] if col in table.columns else None
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict(orient="records")  # object columns hold plain Python values


COST_KEYS = {
    "monthly_cost": "monthly_payg",
    "monthly_cost_ahb": "monthly_ahb",
    "monthly_cost_1y": "monthly_1y",
    "monthly_cost_3y": "monthly_3y",
}


def wave_cost(rows: pd.DataFrame, currency: str) -> dict[str, Any]:
    """What a wave adds to the monthly bill. Pay-as-you-go and Hybrid Benefit add up what is priced and count the
    rest; a reservation total is given only when every server's reservation price is known, else null (unknown)."""
    moving = rows[rows["readiness"].ne("Not applicable")] if "readiness" in rows.columns else rows
    out: dict[str, Any] = {"currency": currency}
    for col, key in COST_KEYS.items():
        if col not in moving.columns:
            continue
        values = pd.to_numeric(moving[col], errors="coerce")
        if key in ("monthly_1y", "monthly_3y"):
            out[key] = None if values.isna().any() or values.empty else _num(values.sum())
        else:
            out[key] = _num(values.sum()) if values.notna().any() else None
    if "monthly_cost" in moving.columns:
        priced = pd.to_numeric(moving["monthly_cost"], errors="coerce").notna()
        out["priced_servers"] = int(priced.sum())
        out["unpriced_servers"] = int((~priced).sum())
    if "monthly_storage_cost" in moving.columns:
        storage = pd.to_numeric(moving["monthly_storage_cost"], errors="coerce")
        out["monthly_storage"] = None if storage.isna().any() or storage.empty else _num(storage.sum())
    return out


def _num(x: float) -> float:
    return float(round(float(x), 3))


def build_document(k: DocumentInputs) -> dict[str, Any]:
    settings: Settings = k.settings
    inventory: Inventory = k.inventory
    table: pd.DataFrame = k.table
    groups: pd.DataFrame = k.groups
    group_wave: np.ndarray = k.group_wave
    dates = k.dates
    violations = k.violations
    cross: pd.DataFrame = k.cross
    footprint = k.footprint
    servers: pd.DataFrame = k.servers
    has_cross: np.ndarray = k.has_cross
    per_server_sizing = k.per_server_sizing
    wave_kind: dict[int, str] = k.wave_kind
    cap = settings.capacity

    # Per-server attributes used by risk/confidence.
    graph = k.graph
    has_deps = np.zeros(len(servers), dtype=bool)
    if len(graph.edges):
        has_deps[graph.edges["src"].to_numpy()] = True
        has_deps[graph.edges["dst"].to_numpy()] = True
    if len(graph.external):
        has_deps[graph.external["server"].to_numpy()] = True
    attrs = servers[
        ["name", "criticality", "cpu_util_pct", "memory_util_pct", "application", "power_state"]
    ].assign(has_cross=has_cross, has_deps=has_deps)
    wave_of = pd.Series(table["wave"].to_numpy(), index=table["server"].to_numpy())
    attrs["wave"] = wave_of.reindex(attrs["name"]).to_numpy()

    gw = pd.Series(group_wave, dtype="Int64") if len(groups) else pd.Series([], dtype="Int64")
    groups = groups.assign(
        wave=gw.to_numpy() if len(groups) else [], pinned=groups["pin"].notna() if len(groups) else []
    )
    viol_by_wave: dict[int, int] = {}
    for v in violations:
        for w in set(v.waves):
            viol_by_wave[w] = viol_by_wave.get(w, 0) + 1

    waves_doc = []
    cost_cols = [
        c
        for c in ("monthly_cost", "monthly_cost_1y", "monthly_cost_3y", "monthly_cost_ahb")
        if per_server_sizing is not None and c in table.columns
    ]
    rows_by_wave = {int(w): idx for w, idx in table.groupby("wave", sort=True).indices.items()}
    groups_by_wave = (
        {int(w): idx for w, idx in groups.groupby("wave", sort=True).indices.items()} if len(groups) else {}
    )
    attrs_by_wave = {int(w): idx for w, idx in attrs.groupby("wave", sort=True).indices.items()}
    empty = np.zeros(0, dtype=np.int64)
    for w in sorted(rows_by_wave):
        rows = table.iloc[rows_by_wave[w]]
        g_in = groups.iloc[groups_by_wave.get(w, empty)]
        members = attrs.iloc[attrs_by_wave.get(w, empty)]
        fill = max(
            len(rows) / cap.max_servers,
            rows["cores"].sum() / cap.max_vcpus,
            rows["storage_gb"].sum() / cap.max_storage_gb,
        )
        kind = wave_kind.get(w, "prod")
        start, end = dates[w - 1]
        entry: dict[str, Any] = {
            "number": w,
            "name": "Foundation (shared services)" if kind == "foundation" else f"Wave {w}",
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "servers": len(rows),
            "vcpus": _num(rows["cores"].sum()),
            "memory_gb": _num(rows["memory_gb"].sum()),
            "storage_gb": _num(rows["storage_gb"].sum()),
            "move_groups": sorted(g_in["id"].tolist())
            + (["shared-services"] if (rows["move_group"] == "shared-services").any() else []),
            "applications": sorted({a for a in rows["application"] if a}),
            "environments": sorted({e for e in rows["environment"] if e}),
            "utilisation": _num(fill),
            "risk": wave_risk(w, kind, members, g_in, fill, viol_by_wave.get(w, 0)).to_dict(),
            "confidence": wave_confidence(members).to_dict(),
            "cost": None,
        }
        if cost_cols:
            entry["cost"] = wave_cost(rows, getattr(settings.sizing, "currency", "USD"))
        waves_doc.append(entry)

    mg_doc = []
    server_names = table["server"].to_numpy(dtype=object)
    members_of = {
        gid: sorted(server_names[idx].tolist()) for gid, idx in table.groupby("move_group").indices.items()
    }
    for g in groups.itertuples(index=False):
        members = members_of.get(g.id, [])
        mg_doc.append(
            {
                "id": g.id,
                "name": g.name,
                "wave": None if pd.isna(g.wave) else int(g.wave),
                "class": g.klass,
                "servers": sorted(members),
                "servers_count": int(g.servers_count),
                "applications": list(g.applications),
                "environments": list(g.environments),
                "vcpus": _num(g.cores),
                "memory_gb": _num(g.memory_gb),
                "storage_gb": _num(g.storage_gb),
                "criticality": ["low", "medium", "high", "critical"][int(g.crit)],
                "complexity": ["low", "medium", "high"][int(g.complexity)],
                "complexity_source": g.complexity_source,
                "pinned_wave": None if pd.isna(g.pin) else int(g.pin),
                "split": None
                if not g.split_from
                else {
                    "from": g.split_from,
                    "part": int(g.split_part),
                    "of": int(g.split_of),
                    "cut_weight": _num(g.split_cut_weight),
                    "cut_edges": int(g.split_cut_edges),
                },
            }
        )
    mg_doc.sort(key=lambda m: m["id"])

    cross_frame = pd.DataFrame(
        {
            "source": cross["source"],
            "target": cross["target"],
            "source_wave": cross["source_wave"].astype(object),
            "target_wave": cross["target_wave"].astype(object),
            "ports": cross["ports"],
            "connections": cross["connections"].astype(float).round(3),
            "hybrid_days": cross["hybrid_days"]
            .where(cross["hybrid_days"] >= 0)
            .astype("Int64")
            .astype(object)
            if len(cross)
            else cross["hybrid_days"],
            "kind": cross["kind"],
        }
    )
    cross_doc = cross_frame.astype(object).where(cross_frame.notna(), None).to_dict(orient="records")
    external = graph.external
    ext_doc = []
    if len(external):
        ext = external.assign(server_name=servers["name"].to_numpy()[external["server"].to_numpy()])
        for r in ext.sort_values(
            ["kind", "weight", "server_name", "address"],
            ascending=[True, False, True, True],
            kind="mergesort",
        ).itertuples(index=False):
            ext_doc.append(
                {
                    "server": r.server_name,
                    "address": r.address,
                    "kind": r.kind,
                    "direction": r.direction,
                    "ports": list(r.ports),
                    "connections": _num(r.weight),
                }
            )

    servers_doc = _server_records(table, per_server_sizing)

    disp = servers["disposition"].value_counts()
    fp = footprint.to_dict()
    summary = {
        "servers": len(servers),
        "migrating": int(servers["disposition"].isin(MIGRATING_DISPOSITIONS).sum()),
        "retiring": int(disp.get("retire", 0)),
        "retained": int(disp.get("retain", 0)),
        "shared_services": len(k.hub_rows),
        "move_groups": len(groups),
        "waves": len(waves_doc),
        "first_wave_start": waves_doc[0]["start"] if waves_doc else None,
        "last_wave_end": waves_doc[-1]["end"] if waves_doc else None,
        "vcpus": _num(table.loc[table["wave"].notna(), "cores"].sum()),
        "storage_gb": _num(table.loc[table["wave"].notna(), "storage_gb"].sum()),
        "violations": len(violations),
        "critical_violations": sum(1 for v in violations if v.condition in CRITICAL_CONDITIONS),
        "cross_wave_dependencies": int((cross["kind"] == "temporary").sum()) if len(cross) else 0,
        "permanent_hybrid_dependencies": int((cross["kind"] == "permanent").sum()) if len(cross) else 0,
        "target_met": fp["target"]["met"],
        "monthly_cost": None,
    }
    if "monthly_cost" in table.columns and per_server_sizing is not None:
        mig = table["wave"].notna()
        summary["monthly_cost"] = (
            None
            if table.loc[mig, "monthly_cost"].isna().all()
            else _num(table.loc[mig, "monthly_cost"].sum())
        )

    assumptions = list(inventory.assumptions) + _assumptions(settings, k.first_wave, dates, footprint)
    unique_findings = sorted(set(k.findings), key=lambda f: (f.code, f.file, f.row or 0, f.message))
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "migrator", "version": __version__},
        "settings": settings.echo(),
        "inputs": [f.to_dict() for f in inventory.files],
        "assumptions": assumptions,
        "summary": summary,
        "waves": waves_doc,
        "move_groups": mg_doc,
        "servers": servers_doc,
        "cross_wave_dependencies": cross_doc,
        "external_endpoints": ext_doc,
        "shared_services": k.hub_rows,
        "violations": [v.to_dict() for v in violations],
        "move_group_dependencies": _group_dependencies(k.gedges, groups),
        "splits": sorted(
            (
                {
                    "groups": sorted(groups["id"].iat[i] for i in members),
                    "parts": parts,
                    "cut_weight": _num(cw),
                    "cut_edges": ce,
                }
                for members, parts, cw, ce in k.assignment.units_split
            ),
            key=lambda sp: sp["groups"],
        ),
        "footprint": fp,
        "sizing": k.sizing_doc,
        "cost": _cost_doc(table, fp, settings) if per_server_sizing is not None else None,
        "dependency_stats": graph.stats,
        "findings": [f.to_dict() for f in unique_findings],
    }
    return doc


def _group_dependencies(gedges: pd.DataFrame, groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Dependencies between move groups (shared services left out): source group depends on target group."""
    if not len(gedges):
        return []
    ids = groups["id"].to_numpy()
    frame = pd.DataFrame(
        {
            "source": ids[gedges["src"].to_numpy()],
            "target": ids[gedges["dst"].to_numpy()],
            "connections": gedges["weight"].astype(float).round(3),
        }
    )
    return frame.sort_values(["source", "target"], kind="mergesort").to_dict(orient="records")


def _cost_doc(table: pd.DataFrame, fp: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Totals once every wave has landed, and the monthly run-rate as the waves land (a server costs from its wave's end)."""
    moved = table[table["wave"].notna()]
    totals = wave_cost(moved, getattr(settings.sizing, "currency", "USD"))
    ends = pd.to_datetime(moved["wave_end"]).dt.to_period("M")
    cost = pd.to_numeric(moved["monthly_cost"], errors="coerce").fillna(0.0)
    by_month = cost.groupby(ends).sum().sort_index().cumsum()
    timeline = []
    for point in fp["timeline"]:
        month = pd.Period(point["month"], "M")
        landed = by_month[by_month.index <= month]
        timeline.append(
            {"month": point["month"], "monthly_payg": _num(landed.iat[-1]) if len(landed) else 0.0}
        )
    return {"totals": totals, "run_rate": timeline}


def _assumptions(
    settings: Settings, first_wave: int, dates: list[tuple[dt.date, dt.date]], footprint: Any
) -> list[str]:
    cal, cap, plan = settings.calendar, settings.capacity, settings.planning
    out = [
        f"Waves last {cal.wave_weeks} weeks and start every {cal.cadence_weeks} weeks from {cal.start.isoformat()}; a wave that would overlap a freeze window starts the day after it.",
        f"Each wave moves at most {cap.max_servers} servers, {cap.max_vcpus:g} vCPU and {cap.max_storage_gb:g} GiB of provisioned storage"
        + (", and move groups are spread evenly over the waves a class needs." if cap.balance else "."),
        "A move group is one application in one environment"
        + (" (prod and dev/test of an application are planned apart)" if plan.group_by_environment else "")
        + "; servers with traffic in both directions join one move group.",
        f"High-criticality and high-complexity move groups stay out of the first {plan.protected_waves} migration waves; complexity comes from the inventory or, when missing, from size (>= {plan.complexity_servers} servers) and coupling (>= {plan.complexity_partners} partner groups).",
        "Environments "
        + ", ".join(sorted(set(plan.nonprod_environments)))
        + " are dev/test; every other environment, and an empty one, is production.",
        "Retired servers are decommissioned without migration once the last migrating server that uses them (or shares their application) has moved; retained servers never move and keep their hosts.",
        f"A cluster keeps today's consolidation ratio plus {settings.footprint.ha_reserve_hosts} spare host(s): it frees a host when its remaining VMs fit on fewer hosts"
        + ("" if settings.footprint.consolidate else " (consolidation disabled: only empty hosts are freed)")
        + "; a standalone host is freed when its last VM leaves.",
        "Servers leave the data center at the end of their wave (cut-over done).",
    ]
    if first_wave == 2:
        out.append(
            "Shared services are extended to Azure in a foundation wave (wave 1) before any workload moves."
        )
    skipped = freezes_skipped(dates, cal)
    if skipped:
        out.append("Freeze windows inside the schedule: " + "; ".join(skipped) + ".")
    out.extend(f"Footprint: {n}." for n in footprint.notes)
    return out
