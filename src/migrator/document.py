"""The plan document (the content of ``plan.json``), assembled from what the pipeline's stages produced.

:func:`build_document` calls one builder per section; each returns :mod:`migrator.plan_model` models.
Every other output (PLAN.md, waves.csv, the terminal summary) is a view of the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from migrator import __version__
from migrator import plan_model as pm
from migrator.azure.confidence import CONFIDENCE_COLUMNS, Rating, rating, ratings_by
from migrator.conditions import CRITICAL_CONDITIONS, Violation
from migrator.dates import freezes_skipped
from migrator.errors import Finding
from migrator.footprint import Footprint
from migrator.graph import DependencyGraph
from migrator.optimise import OptimisationStats
from migrator.plan_model import SCHEMA_VERSION, SIZING_FIELDS, PlanDocument
from migrator.plantable import SHARED_SERVICES_GROUP
from migrator.reach import Reach
from migrator.risk import Score, confidence_score, facts_by_wave, risk_score
from migrator.schema import COMPLEXITY_LEVELS, CRITICALITY_LEVELS, MIGRATING_DISPOSITIONS
from migrator.settings import FootprintSettings, Settings
from migrator.systems import Systems, system_waves
from migrator.validate import Inventory
from migrator.waves import WaveAssignment

__all__ = ["SCHEMA_VERSION", "DocumentInputs", "PlanResult", "build_document", "wave_cost"]


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
    shared_services: list[dict[str, Any]]  # as plan.json lists them (decommission.Decommission)
    footprint: Footprint
    findings: list[Finding]
    graph: DependencyGraph
    has_cross: np.ndarray  # per server: keeps a dependency across waves
    first_wave: int
    sizing_doc: dict[str, Any] | None
    per_server_sizing: pd.DataFrame | None
    gedges: pd.DataFrame  # dependencies between move groups
    optimisation: OptimisationStats | None = None  # the dependency weight crossing waves, before and after
    systems: Systems | None = None  # coupled systems (migrator.systems)
    server_wave: np.ndarray | None = None  # wave per server (float, NaN when it moves in none)


@dataclass(frozen=True)
class PlanResult:
    """The plan: ``document`` (the content of plan.json) and ``servers`` (one row per server: the columns of
    waves.csv, and more).

    ``draft`` is the document without what the reach stage adds (``footprint.target``'s ``to_meet``,
    ``slack_months`` and ``latest_start``: :func:`with_reach`). ``finish``, when given, makes the whole
    document from the draft: the pipeline runs the reach stage beside the rest of the plan on a second core
    (:mod:`migrator.background`) and ``document`` waits for it when first read. The views that show nothing of
    it render from :meth:`before_reach` meanwhile (:func:`migrator.outputs.render_plan`)."""

    draft: PlanDocument
    servers: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    finish: Callable[[PlanDocument], PlanDocument] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def document(self) -> PlanDocument:
        return self.draft if self.finish is None else self.finish(self.draft)

    def before_reach(self) -> PlanResult:
        """The plan without the reach stage's results (nothing to wait for)."""
        return PlanResult(self.draft, self.servers, self.timings)

    @property
    def target_met(self) -> bool:
        return self.document.footprint.target.met

    @property
    def critical_violations(self) -> int:
        return sum(1 for c in self.document.violations.column("condition") if c in CRITICAL_CONDITIONS)


def build_document(parts: DocumentInputs) -> PlanDocument:
    groups = _placed_groups(parts)
    waves = build_waves(parts, groups)
    footprint = build_footprint(parts.footprint)
    return PlanDocument(
        schema_version=SCHEMA_VERSION,
        generator=pm.Generator(name="migrator", version=__version__),
        settings=parts.settings.echo(),
        inputs=build_inputs(parts.inventory),
        assumptions=build_assumptions(parts),
        summary=build_summary(parts, waves, footprint),
        waves=waves,
        move_groups=build_move_groups(parts.table, groups),
        servers=build_servers(parts.table, parts.per_server_sizing),
        cross_wave_dependencies=build_cross_wave_dependencies(parts.cross),
        external_endpoints=build_external_endpoints(parts.graph, parts.servers),
        shared_services=build_shared_services(parts.shared_services),
        violations=build_violations(parts.violations),
        move_group_dependencies=build_move_group_dependencies(parts.gedges, groups),
        splits=build_splits(parts.assignment, groups),
        systems=build_systems(parts),
        footprint=footprint,
        sizing=build_sizing(parts.sizing_doc),
        cost=build_cost(parts, footprint),
        dependency_stats=pm.DependencyStats.model_validate(parts.graph.stats),
        findings=build_findings(parts.findings),
    )


def _num(x: float) -> float:
    return float(round(float(x), 3))


def _priced(parts: DocumentInputs) -> bool:
    """Sizing ran: waves, the summary and the document carry costs."""
    return parts.per_server_sizing is not None and any(c in parts.table.columns for c in COST_COLUMNS)


def _currency(parts: DocumentInputs) -> str:
    """The currency of the catalog's prices."""
    catalog = (parts.sizing_doc or {}).get("catalog") or {}
    return str(catalog.get("currency", "USD"))


def _plain_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """The frame's columns as lists of plain Python values, None where a value is missing."""
    return {str(k): _plain(frame[k]) for k in frame.columns}


def _plain(column: pd.Series) -> list[Any]:
    """A column as a list of plain Python values, None where a value is missing (a column at a time: no
    object copy of the whole frame)."""
    values = column.astype(object).tolist() if column.dtype == object else column.tolist()
    for i in np.flatnonzero(column.isna().to_numpy()).tolist():
        values[i] = None
    return values


# Summary


def build_summary(parts: DocumentInputs, waves: pm.WaveTable, footprint: pm.Footprint) -> pm.Summary:
    servers, table, violations = parts.servers, parts.table, parts.violations
    disposition = servers["disposition"].value_counts()
    placed = table["wave"].notna()
    return pm.Summary(
        servers=len(servers),
        migrating=int(servers["disposition"].isin(MIGRATING_DISPOSITIONS).sum()),
        retiring=int(disposition.get("retire", 0)),
        retained=int(disposition.get("retain", 0)),
        shared_services=len(parts.shared_services),
        move_groups=len(parts.groups),
        waves=len(waves),
        first_wave_start=waves.column("start")[0] if len(waves) else None,
        last_wave_end=waves.column("end")[-1] if len(waves) else None,
        vcpus=_num(table.loc[placed, "cores"].sum()),
        storage_gb=_num(table.loc[placed, "storage_gb"].sum()),
        violations=len(violations),
        critical_violations=sum(1 for v in violations if v.condition in CRITICAL_CONDITIONS),
        cross_wave_dependencies=_pairs_of_kind(parts.cross, "temporary"),
        permanent_hybrid_dependencies=_pairs_of_kind(parts.cross, "permanent"),
        target_met=footprint.target.met,
        monthly_cost=_run_rate_after_last_wave(table) if _priced(parts) else None,
        confidence_rating=confidence_rating(table[table["wave"].notna()]),
        cross_wave_weight_share=_share(parts.optimisation),
        optimisation=_optimisation(parts.optimisation),
    )


def _share(stats: OptimisationStats | None) -> float | None:
    if stats is None or stats.total_weight <= 0:
        return None
    return round(stats.share_after, 6)


def _optimisation(stats: OptimisationStats | None) -> pm.Optimisation | None:
    if stats is None:
        return None
    return pm.Optimisation(
        enabled=stats.enabled,
        weight_total=_num(stats.total_weight),
        crossing_before=_num(stats.crossing_before),
        crossing_after=_num(stats.crossing_after),
        share_before=round(stats.share_before, 6),
        share_after=round(stats.share_after, 6),
        moves=stats.moves,
        swaps=stats.swaps,
        solved_parts=stats.solved_parts,
        lower_bound=_num(stats.lower_bound),
        share_lower_bound=round(stats.share_lower_bound, 6),
    )


def _pairs_of_kind(cross: pd.DataFrame, kind: str) -> int:
    return int((cross["kind"] == kind).sum()) if len(cross) else 0


def _run_rate_after_last_wave(table: pd.DataFrame) -> float | None:
    cost = table.loc[table["wave"].notna(), "monthly_cost"]
    return None if cost.isna().all() else _num(cost.sum())


# Waves


WAVE_COLUMNS = ("wave", "cores", "memory_gb", "storage_gb", "move_group", "application", "environment")
PRICE_COLUMNS = ("readiness", "monthly_cost", "monthly_cost_ahb", "monthly_cost_1y", "monthly_cost_3y")
GROUP_COLUMNS = ("wave", "id", "complexity", "pinned")  # what a wave's entry and wave_risk read of its groups


def build_waves(parts: DocumentInputs, groups: pd.DataFrame) -> pm.WaveTable:
    """One entry per wave that has servers: its size, risk, confidence and (when sizing ran) cost. Every
    per-wave figure comes from one group-by over all waves, then one column per field (thousands of waves
    at enterprise scale: the time does not grow with waves x servers)."""
    currency = _currency(parts) if _priced(parts) else None
    table = _placed_rows(parts, currency)
    if not len(table):
        return pm.WaveTable.empty()
    by_wave = table.groupby("wave", sort=True)
    sizes = by_wave[["cores", "memory_gb", "storage_gb"]].sum().assign(servers=by_wave.size())
    placed = groups[groups["wave"].notna()][list(GROUP_COLUMNS)] if len(groups) else groups
    facts = facts_by_wave(_risk_attributes(parts), placed)
    ids = _distinct_by_wave(placed, "id") if len(placed) else {}
    shared = set(table.loc[table["move_group"].eq(SHARED_SERVICES_GROUP), "wave"].astype(int).tolist())
    lists = {c: _distinct_by_wave(table, c) for c in ("application", "environment")}
    costs = wave_costs(table, currency) if currency is not None else {}
    ratings = ratings_by(table, "wave")
    violations = _violations_per_wave(parts.violations)
    numbers = sizes.index.astype(int).tolist()
    kinds = [parts.wave_kind.get(w, "prod") for w in numbers]
    fills = _fills(sizes, parts.settings)
    risks = [
        risk_score(k, facts[w], f, violations.get(w, 0))
        for w, k, f in zip(numbers, kinds, fills, strict=True)
    ]
    columns: dict[str, list[Any]] = {
        "number": numbers,
        "name": [
            "Foundation (shared services)" if k == "foundation" else f"Wave {w}"
            for w, k in zip(numbers, kinds, strict=True)
        ],
        "kind": kinds,
        "start": [parts.dates[w - 1][0].isoformat() for w in numbers],
        "end": [parts.dates[w - 1][1].isoformat() for w in numbers],
        "servers": sizes["servers"].astype(int).tolist(),
        "vcpus": _nums(sizes["cores"]),
        "memory_gb": _nums(sizes["memory_gb"]),
        "storage_gb": _nums(sizes["storage_gb"]),
        "move_groups": [ids.get(w, []) + ([SHARED_SERVICES_GROUP] if w in shared else []) for w in numbers],
        "applications": [lists["application"].get(w, []) for w in numbers],
        "environments": [lists["environment"].get(w, []) for w in numbers],
        "utilisation": [_num(f) for f in fills],
        "risk": [_score(r) for r in risks],
        "confidence": [_score(confidence_score(facts[w])) for w in numbers],
        "cost": [costs.get(w) for w in numbers],
        "confidence_rating": [_rating_model(ratings.get(w)) for w in numbers],
    }
    return pm.WaveTable.from_columns(columns)


def _fills(sizes: pd.DataFrame, settings: Settings) -> list[float]:
    """Per wave, the share of the tightest capacity limit used."""
    cap = settings.capacity
    return [
        float(max(n / cap.max_servers, cores / cap.max_vcpus, storage / cap.max_storage_gb))
        for n, cores, storage in zip(
            sizes["servers"].tolist(), sizes["cores"].tolist(), sizes["storage_gb"].tolist(), strict=True
        )
    ]


def _placed_rows(parts: DocumentInputs, currency: str | None) -> pd.DataFrame:
    """The plan table's rows with a wave, in the columns a wave's figures read."""
    columns = WAVE_COLUMNS + ((*PRICE_COLUMNS, "monthly_storage_cost") if currency is not None else ())
    columns += CONFIDENCE_COLUMNS
    table = parts.table[[c for c in columns if c in parts.table.columns]]
    return table[table["wave"].notna()]


def confidence_rating(rows: pd.DataFrame) -> pm.ConfidenceRating | None:
    """Azure Migrate's confidence rating of the rows' sizing data; None when none of them was sized."""
    return _rating_model(rating(rows))


def _rating_model(r: Rating | None) -> pm.ConfidenceRating | None:
    """The rating as the plan's model (built without validation: one per wave, thousands of waves)."""
    if r is None:
        return None
    return pm.ConfidenceRating.model_construct(
        servers=int(r.servers),
        sized_on_utilisation=float(r.sized_on_utilisation),
        disks_on_performance=float(r.disks_on_performance),
        data_available=float(r.data_available),
        stars=None if r.stars is None else int(r.stars),
    )


def _distinct_by_wave(frame: pd.DataFrame, column: str) -> dict[int, list[str]]:
    """Per wave, the sorted distinct non-empty values of ``column`` (one sort of the whole frame)."""
    text = frame[column].to_numpy(dtype=object)
    keep = pd.notna(text)
    keep[keep] = text[keep].astype(bool)
    if not keep.any():
        return {}
    codes, uniques = pd.factorize(text[keep], sort=True)  # codes in the order of the sorted values
    n = len(uniques)
    pairs = np.unique(frame["wave"].astype("int64").to_numpy()[keep] * n + codes)  # by wave, then value
    wave, names = pairs // n, np.asarray(uniques, dtype=object)[pairs % n].tolist()
    cuts = [0, *(np.flatnonzero(np.diff(wave)) + 1).tolist(), len(names)]
    return {int(wave[a]): names[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)}


def _score(score: Score) -> pm.Score:
    return pm.Score(level=score.level, score=score.score, reasons=list(score.reasons))


def _violations_per_wave(violations: list[Violation]) -> dict[int, int]:
    """How many violations involve each wave."""
    count: dict[int, int] = {}
    for v in violations:
        for w in set(v.waves):
            count[w] = count.get(w, 0) + 1
    return count


def _risk_attributes(parts: DocumentInputs) -> pd.DataFrame:
    """Per server what risk and confidence look at: criticality, utilisation, dependencies, its wave."""
    servers, graph = parts.servers, parts.graph
    has_deps = np.zeros(len(servers), dtype=bool)
    if len(graph.edges):
        has_deps[graph.edges["src"].to_numpy()] = True
        has_deps[graph.edges["dst"].to_numpy()] = True
    if len(graph.external):
        has_deps[graph.external["server"].to_numpy()] = True
    attrs = servers[
        ["name", "criticality", "cpu_util_pct", "memory_util_pct", "application", "power_state"]
    ].assign(has_cross=parts.has_cross, has_deps=has_deps)
    if parts.server_wave is not None:  # wave per server, in the servers' order (NaN: none)
        attrs["wave"] = parts.server_wave
    else:
        wave_of = pd.Series(parts.table["wave"].to_numpy(), index=parts.table["server"].to_numpy())
        attrs["wave"] = wave_of.reindex(attrs["name"]).to_numpy()
    return attrs


COST_COLUMNS = {
    "monthly_cost": "monthly_payg",
    "monthly_cost_ahb": "monthly_ahb",
    "monthly_cost_1y": "monthly_1y",
    "monthly_cost_3y": "monthly_3y",
}
"""Per-server price columns and the cost totals they add up to."""


def wave_cost(rows: pd.DataFrame, currency: str) -> pm.Cost:
    """What servers add to the monthly bill. Pay-as-you-go and Hybrid Benefit add up what is priced and count
    the rest; a reservation or disk total is given only when every server's price is known, else null
    (unknown)."""
    moving = rows[rows["readiness"].ne("Not applicable")]

    def priced(col: str) -> float | None:
        values = pd.to_numeric(moving[col], errors="coerce")
        return _num(values.sum()) if values.notna().any() else None

    def all_known(col: str) -> float | None:
        values = pd.to_numeric(moving[col], errors="coerce")
        return None if values.isna().any() or values.empty else _num(values.sum())

    has_price = pd.to_numeric(moving["monthly_cost"], errors="coerce").notna()
    return pm.Cost(
        currency=currency,
        monthly_payg=priced("monthly_cost"),
        monthly_ahb=priced("monthly_cost_ahb"),
        monthly_1y=all_known("monthly_cost_1y"),
        monthly_3y=all_known("monthly_cost_3y"),
        monthly_storage=all_known("monthly_storage_cost"),
        priced_servers=int(has_price.sum()),
        unpriced_servers=int((~has_price).sum()),
    )


def wave_costs(table: pd.DataFrame, currency: str) -> dict[int, pm.Cost]:
    """:func:`wave_cost` of every wave of ``table`` (rows with a wave) in one group-by."""
    moving = table[table["readiness"].ne("Not applicable")]
    frame = pd.DataFrame({"wave": moving["wave"].astype("int64").to_numpy(), "n": 1})
    for col in (*COST_COLUMNS, "monthly_storage_cost"):
        values = pd.to_numeric(moving[col], errors="coerce").to_numpy(dtype=float)
        frame[col] = np.nan_to_num(values)
        frame[col + ":known"] = (~np.isnan(values)).astype(np.int64)
    waves = sorted(set(table["wave"].astype("int64").tolist()))
    per = frame.groupby("wave", sort=True).sum().reindex(waves, fill_value=0)
    total = {c: per[c].to_numpy(dtype=float) for c in per.columns if ":" not in c and c != "n"}
    known = {c: per[c + ":known"].to_numpy(dtype=np.int64) for c in total}
    n = per["n"].to_numpy(dtype=np.int64)

    def priced(col: str, i: int) -> float | None:
        return _num(total[col][i]) if known[col][i] > 0 else None

    def all_known(col: str, i: int) -> float | None:
        return _num(total[col][i]) if n[i] and known[col][i] == n[i] else None

    return {
        w: pm.Cost(
            currency=currency,
            monthly_payg=priced("monthly_cost", i),
            monthly_ahb=priced("monthly_cost_ahb", i),
            monthly_1y=all_known("monthly_cost_1y", i),
            monthly_3y=all_known("monthly_cost_3y", i),
            monthly_storage=all_known("monthly_storage_cost", i),
            priced_servers=int(known["monthly_cost"][i]),
            unpriced_servers=int(n[i] - known["monthly_cost"][i]),
        )
        for i, w in enumerate(waves)
    }


# Move groups, splits and the dependencies between move groups


def _placed_groups(parts: DocumentInputs) -> pd.DataFrame:
    """The move groups with their wave (nullable integer) and whether a pin placed them."""
    groups = parts.groups
    if not len(groups):
        return groups.assign(wave=[], pinned=[])
    return groups.assign(
        wave=pd.Series(parts.group_wave, dtype="Int64").to_numpy(), pinned=groups["pin"].notna()
    )


def build_move_groups(table: pd.DataFrame, groups: pd.DataFrame) -> pm.MoveGroupTable:
    """plan.json ``move_groups``, by id, built column-wise (tens of thousands at enterprise scale)."""
    members = _members(table)
    g = groups.sort_values("id", kind="mergesort")
    pin, wave = g["pin"], g["wave"]
    crit, complexity = np.asarray(CRITICALITY_LEVELS), np.asarray(COMPLEXITY_LEVELS)
    columns = {
        "id": g["id"].tolist(),
        "name": g["name"].tolist(),
        "wave": _optional_ints(wave),
        "klass": g["klass"].tolist(),
        "servers": [members.get(i, []) for i in g["id"].tolist()],
        "servers_count": g["servers_count"].astype(int).tolist(),
        "applications": [list(a) for a in g["applications"].tolist()],
        "environments": [list(e) for e in g["environments"].tolist()],
        "vcpus": _nums(g["cores"]),
        "memory_gb": _nums(g["memory_gb"]),
        "storage_gb": _nums(g["storage_gb"]),
        "criticality": crit[g["crit"].to_numpy(dtype=int)].tolist(),
        "complexity": complexity[g["complexity"].to_numpy(dtype=int)].tolist(),
        "complexity_source": g["complexity_source"].tolist(),
        "pinned_wave": _optional_ints(pin),
        "split": _splits(g),
    }
    return pm.MoveGroupTable.from_columns(columns)


def _optional_ints(values: pd.Series) -> list[int | None]:
    """Whole numbers as ints, None where missing."""
    numbers = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(numbers)
    out = np.where(known, numbers, 0).astype(np.int64).astype(object)
    out[~known] = None
    return list(out.tolist())


def _splits(groups: pd.DataFrame) -> list[pm.GroupSplit | None]:
    """Per move group, which part of a split bundle it is (None for most: only split ones are built)."""
    out: list[pm.GroupSplit | None] = [None] * len(groups)
    split = groups["split_from"].to_numpy(dtype=object).astype(bool)
    for i, r in zip(np.flatnonzero(split).tolist(), groups[split][SPLIT_COLUMNS].itertuples(), strict=True):
        out[i] = _split(r)
    return out


def _members(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per move group, its servers' names sorted (one stable sort by group, not a group-by's dict of
    arrays)."""
    if not len(table):
        return {}
    codes, ids = pd.factorize(table["move_group"].to_numpy(dtype=object))
    order = np.argsort(codes, kind="stable")
    names = table["server"].to_numpy(dtype=object)[order].tolist()
    cuts = [0, *(np.flatnonzero(np.diff(codes[order])) + 1).tolist(), len(names)]
    return {
        str(ids[c]): sorted(names[a:b])
        for c, a, b in zip(codes[order][cuts[:-1]].tolist(), cuts[:-1], cuts[1:], strict=True)
        if c >= 0
    }


SPLIT_COLUMNS = ["split_from", "split_part", "split_of", "split_cut_weight", "split_cut_edges"]


def _nums(values: pd.Series) -> list[float]:
    """:func:`_num` of each value (Python's rounding, as plan.json has always rounded)."""
    return [float(round(x, 3)) for x in values.to_numpy(dtype=float).tolist()]


def _split(r: Any) -> pm.GroupSplit:
    return pm.GroupSplit(
        from_=r.split_from,
        part=int(r.split_part),
        of=int(r.split_of),
        cut_weight=_num(r.split_cut_weight),
        cut_edges=int(r.split_cut_edges),
    )


def build_splits(assignment: WaveAssignment, groups: pd.DataFrame) -> list[pm.Split]:
    """Bundles of move groups too large for one wave, and where they were cut."""
    ids = groups["id"]
    splits = [
        pm.Split(groups=sorted(ids.iat[i] for i in members), parts=parts, cut_weight=_num(cw), cut_edges=ce)
        for members, parts, cw, ce in assignment.bundles_split
    ]
    return sorted(splits, key=lambda sp: sp.groups)


def build_systems(parts: DocumentInputs) -> list[pm.System]:
    """Coupled systems, the waves each spans and the weight crossing waves inside it."""
    if parts.systems is None or parts.server_wave is None:
        return []
    spans = system_waves(parts.systems, parts.server_wave, parts.graph.edges)
    return [
        pm.System(
            id=s.id,
            name=s.name,
            applications=list(s.applications),
            internal_weight=_num(s.internal_weight),
            external_weight=_num(s.external_weight),
            waves=list(waves),
            crossing_weight=_num(crossing),
        )
        for s, (waves, crossing) in zip(parts.systems.systems, spans, strict=True)
    ]


def build_move_group_dependencies(gedges: pd.DataFrame, groups: pd.DataFrame) -> pm.MoveGroupDependencyTable:
    """Dependencies between move groups (shared services left out): source group depends on target group."""
    if not len(gedges):
        return _empty(pm.MoveGroupDependencyTable)
    ids = groups["id"].to_numpy()
    frame = pd.DataFrame(
        {
            "source": ids[gedges["src"].to_numpy()],
            "target": ids[gedges["dst"].to_numpy()],
            "connections": gedges["weight"].astype(float).round(3),
        }
    ).sort_values(["source", "target"], kind="mergesort")
    return pm.MoveGroupDependencyTable.from_columns(_plain_columns(frame))


def _empty(table: type[pm.Table]) -> Any:
    """A table without records: every required column empty."""
    return table.from_columns({k: [] for k, f in table.model_fields.items() if f.is_required()})


# Servers


def build_servers(table: pd.DataFrame, sizing: pd.DataFrame | None) -> pm.ServerTable:
    """plan.json ``servers``: built column-wise, kept as columns (100,000s at enterprise scale).
    The sizing fields are null without sizing; the other per-server sizing columns are there only with it."""
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
    return pm.ServerTable.from_columns(_plain_columns(frame))


# Dependencies: across waves, to endpoints outside the inventory


def build_cross_wave_dependencies(cross: pd.DataFrame) -> pm.CrossWaveDependencyTable:
    """Server pairs whose dependency crosses waves (temporary) or joins a server that stays (permanent)."""
    if not len(cross):
        return _empty(pm.CrossWaveDependencyTable)
    hybrid_days = cross["hybrid_days"]
    frame = pd.DataFrame(
        {
            "source": cross["source"],
            "target": cross["target"],
            "source_wave": cross["source_wave"].astype(object),
            "target_wave": cross["target_wave"].astype(object),
            "ports": cross["ports"],
            "connections": cross["connections"].astype(float).round(3),
            "hybrid_days": hybrid_days.where(hybrid_days >= 0).astype("Int64").astype(object),
            "kind": cross["kind"],
        }
    )
    return pm.CrossWaveDependencyTable.from_columns(_plain_columns(frame))


def build_shared_services(rows: list[dict[str, Any]]) -> list[pm.SharedService]:
    """The shared services as the decommission stage listed them (most dependants first)."""
    return [pm.SharedService.model_validate(row) for row in rows]


def build_external_endpoints(graph: DependencyGraph, servers: pd.DataFrame) -> list[pm.ExternalEndpoint]:
    """Dependencies on addresses the inventory does not hold, by kind, then heaviest first."""
    external = graph.external
    if not len(external):
        return []
    ext = external.assign(server_name=servers["name"].to_numpy()[external["server"].to_numpy()])
    ordered = ext.sort_values(
        ["kind", "weight", "server_name", "address"], ascending=[True, False, True, True], kind="mergesort"
    )
    return [_endpoint(r) for r in ordered.itertuples(index=False)]


def _endpoint(r: Any) -> pm.ExternalEndpoint:
    return pm.ExternalEndpoint(
        server=r.server_name,
        address=r.address,
        kind=r.kind,
        direction=r.direction,
        ports=list(r.ports),
        connections=_num(r.weight),
    )


# Conditions, findings, inputs


def build_violations(violations: list[Violation]) -> pm.ViolationTable:
    """The planning conditions broken, one column per field (thousands at enterprise scale)."""
    return pm.ViolationTable.from_columns(
        {
            "condition": [v.condition for v in violations],
            "rule": [v.rule for v in violations],
            "message": [v.message for v in violations],
            "servers": [list(v.servers) for v in violations],
            "waves": [list(v.waves) for v in violations],
        }
    )


def build_findings(findings: list[Finding]) -> list[pm.Finding]:
    """Each finding once, by code, file, row and message."""
    unique = sorted(set(findings), key=lambda f: (f.code, f.file, f.row or 0, f.message))
    return [
        pm.Finding(
            code=f.code, message=f.message, file=f.file, row=f.row, column=f.column, severity=f.severity
        )
        for f in unique
    ]


def build_inputs(inventory: Inventory) -> list[pm.InputFile]:
    return [pm.InputFile(path=f.path, format=f.format, table=f.table, rows=f.rows) for f in inventory.files]


# Footprint and cost


def build_footprint(footprint: Footprint) -> pm.Footprint:
    """The footprint projection, rounded as plan.json publishes it (what it takes to meet the target is added
    by :func:`with_reach`)."""
    return pm.Footprint(
        metric=footprint.metric,
        unit=footprint.unit,
        baseline=round(footprint.baseline, 3),
        units=pm.FootprintUnits.model_validate(footprint.units),
        notes=list(footprint.notes),
        timeline=[
            pm.TimelinePoint(month=p.month, remaining=round(p.remaining, 3), reduction=round(p.reduction, 4))
            for p in footprint.timeline
        ],
        target=pm.FootprintTarget(
            reduction=footprint.target_reduction,
            by=footprint.target_by.isoformat(),
            met=footprint.met,
            reached_on=footprint.reached_on,
            remaining_at_target_date=round(footprint.value_at_target, 3),
            max_achievable=round(footprint.max_achievable, 4),
            minimum_remaining=round(footprint.minimum_remaining, 3),
        ),
        consolidation=footprint.consolidation,
        consolidation_moves=build_consolidation_moves(footprint),
        datacenters=build_datacenters(footprint),
    )


def build_consolidation_moves(footprint: Footprint) -> pm.ConsolidationMoveTable:
    """The retained VMs moved onto the hosts kept for what stays, by date then server."""
    if footprint.moves is None or not len(footprint.moves):
        return pm.ConsolidationMoveTable.empty()
    return pm.ConsolidationMoveTable.from_columns(
        {str(c): footprint.moves[c].tolist() for c in footprint.moves}
    )


def build_datacenters(footprint: Footprint) -> list[pm.DataCenter]:
    """One entry per data center: units today and at the target date, the month it empties, what keeps it
    open, its metric month by month."""
    return [
        pm.DataCenter(
            name=d.name,
            today=pm.DataCenterUnits.model_validate(d.today),
            at_target=pm.DataCenterUnits.model_validate(d.at_target),
            empties_on=d.empties_on,
            kept_open_by=[pm.KeptOpenBy(application=a, servers=list(names)) for a, names in d.kept_open_by],
            remaining=[round(v, 3) for v in d.remaining],
        )
        for d in footprint.datacenters
    ]


def with_reach(document: PlanDocument, reach: Reach | None) -> PlanDocument:
    """The document with what the reach stage found, in ``footprint.target`` (the rest shared, not copied)."""
    added = build_reach(reach)
    if not added:
        return document
    footprint = document.footprint
    target = footprint.target.model_copy(update=added)
    return document.model_copy(update={"footprint": footprint.model_copy(update={"target": target})})


def build_reach(reach: Reach | None) -> dict[str, Any]:
    """The target's slack and latest start when met, what would meet it when missed (migrator.reach)."""
    if reach is None:
        return {}
    return {
        "to_meet": [
            pm.ToMeet(
                setting=c.setting,
                value=c.value,
                settings=c.settings,
                reached_on=c.reached_on,
                reason=c.reason,
            )
            for c in reach.to_meet
        ],
        "slack_months": reach.slack_months,
        "latest_start": None if reach.latest_start is None else reach.latest_start.isoformat(),
    }


def build_sizing(sizing: dict[str, Any] | None) -> pm.Sizing | None:
    """The catalog sizes and prices came from and the sizing assumptions; None when sizing did not run."""
    return None if sizing is None else pm.Sizing.model_validate(sizing)


def build_cost(parts: DocumentInputs, footprint: pm.Footprint) -> pm.CostSummary | None:
    """Totals once every wave has landed, and the monthly run-rate as the waves land (a server costs from its
    wave's end). None when sizing did not run."""
    if parts.per_server_sizing is None:
        return None
    moved = parts.table[parts.table["wave"].notna()]
    totals = wave_cost(moved, _currency(parts))
    ends = pd.to_datetime(moved["wave_end"]).dt.to_period("M")
    cost = pd.to_numeric(moved["monthly_cost"], errors="coerce").fillna(0.0)
    by_month = cost.groupby(ends).sum().sort_index().cumsum()
    months = [p.month for p in footprint.timeline]
    # the last month landed by each month of the timeline (one search, not one scan per month); a month's
    # ordinal as pandas counts it: months since 1970-01
    ordinals = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1970 * 12 - 1 for m in months], dtype=np.int64)
    month_ends = np.asarray(pd.PeriodIndex(by_month.index).asi8, dtype=np.int64)
    landed = np.searchsorted(month_ends, ordinals, side="right") - 1
    totals_by_month = by_month.to_numpy(float)
    run_rate = [
        pm.RunRatePoint(month=m, monthly_payg=_num(totals_by_month[i]) if i >= 0 else 0.0)
        for m, i in zip(months, landed.tolist(), strict=True)
    ]
    return pm.CostSummary(totals=totals, run_rate=run_rate)


# Assumptions


def build_assumptions(parts: DocumentInputs) -> list[str]:
    """The inventory's assumptions, then the plan's."""
    return list(parts.inventory.assumptions) + _assumptions(
        parts.settings, parts.first_wave, parts.dates, parts.footprint
    )


def _consolidation_assumption(fp: FootprintSettings) -> str:
    """How what stays is consolidated, in one sentence."""
    if fp.mode == "none":
        return (
            "Consolidation is off: a host is freed when its last VM leaves, retained VMs stay on their hosts."
        )
    scope = "their data center (across its clusters)" if fp.mode == "datacenter" else "their cluster"
    capacity = (
        f"hosts.csv cores x {fp.overcommit:g} vCPU and memory_gb (today's density where hosts.csv has none)"
        if fp.overcommit is not None
        else "today's density of its cluster"
    )
    return (
        f"Retained VMs are moved onto the fewest hosts in the fewest racks of {scope}; a host holds "
        f"{capacity}, and a cluster keeps {fp.ha_reserve_hosts} spare host(s) while it runs any VM. Moves "
        f"are done in a {fp.consolidation_window_days}-day consolidation window after the waves that make "
        "room, moved past freeze windows; other hosts are freed when their last VM leaves or, in the window "
        "after, when their cluster's remaining VMs fit on fewer hosts."
    )


def _assumptions(
    settings: Settings, first_wave: int, dates: list[tuple[dt.date, dt.date]], footprint: Footprint
) -> list[str]:
    cal, cap, plan = settings.calendar, settings.capacity, settings.planning
    out = [
        f"Waves last {cal.wave_weeks} weeks and start every {cal.cadence_weeks} weeks from "
        f"{cal.start.isoformat()}; a wave that would overlap a freeze window starts the day after it.",
        f"Each wave moves at most {cap.max_servers} servers, {cap.max_vcpus:g} vCPU and "
        f"{cap.max_storage_gb:g} GiB of provisioned storage"
        + (", and move groups are spread evenly over the waves a class needs." if cap.balance else "."),
        "A move group is one application in one environment"
        + (" (prod and dev/test of an application are planned apart)" if plan.group_by_environment else "")
        + "; servers with traffic in both directions join one move group.",
        "High-criticality and high-complexity move groups stay out of the first "
        f"{plan.protected_waves} migration waves; complexity comes from the inventory or, when missing, from "
        f"size (>= {plan.complexity_servers} servers) and coupling (>= {plan.complexity_partners} partner "
        "groups).",
        "Environments "
        + ", ".join(sorted(set(plan.nonprod_environments)))
        + " are dev/test; every other environment, and an empty one, is production.",
        "Retired servers are decommissioned without migration once the last migrating server that uses them "
        "(or shares their application) has moved; retained servers never move to Azure.",
        _consolidation_assumption(settings.footprint),
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
