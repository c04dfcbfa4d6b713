"""The planning pipeline: inventories -> validated tables -> graph -> move groups -> waves -> sizing -> footprint.

:func:`run_plan` returns a :class:`PlanResult` whose ``document`` is the plan (the content of ``plan.json``);
every other output is a view of it. Nothing here prints or writes files.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migrator import __version__
from migrator.conditions import CRITICAL_CONDITIONS, check_conditions
from migrator.dates import freezes_skipped, wave_dates
from migrator.errors import Finding, InputError, display_path
from migrator.fastpaths import is_reference
from migrator.footprint import NEVER, project
from migrator.graph import build_graph
from migrator.groups import build_groups, env_class, instance_key
from migrator.inputs import read_file
from migrator.inputs.csvio import read_csv_text
from migrator.risk import wave_confidence, wave_risk
from migrator.schema import MIGRATING_DISPOSITIONS
from migrator.settings import Settings
from migrator.validate import Inventory, validate
from migrator.waves import group_edges, schedule

SCHEMA_VERSION = "1.0"
STAGES = ("read", "validate", "graph", "groups", "waves", "sizing", "footprint", "assemble")


@dataclass(frozen=True)
class PlanInputs:
    servers: Sequence[str | Path]
    dependencies: Sequence[str | Path] = ()
    hosts: Sequence[str | Path] = ()
    pins: str | Path | None = None
    format: str | None = None  # force one format for the server files


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


Progress = Callable[[str], None]


@contextmanager
def _stage(name: str, timings: dict[str, float] | None, progress: Progress | None) -> Iterator[None]:
    if progress:
        progress(name)
    t0 = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0


def read_pins(path: str | Path) -> tuple[pd.DataFrame, list[Finding]]:
    """Pins from an edited ``waves.csv`` (columns ``server`` and ``wave``): the architect's choices to keep."""
    p = Path(path)
    frame = read_csv_text(p)
    cols = {c.lower(): c for c in frame.columns}
    name_col = cols.get("server") or cols.get("name")
    if name_col is None or "wave" not in cols:
        raise InputError(
            "a pins file needs the columns 'server' and 'wave' (an edited waves.csv)",
            file=p,
            row=1,
            column="server" if name_col is None else "wave",
        )
    wave_text = frame[cols["wave"]].astype(str).str.strip()
    wave = pd.to_numeric(wave_text.where(wave_text.ne(""), None), errors="coerce")
    bad = (wave.isna() & wave_text.ne("")) | (wave < 1) | (wave.notna() & (wave != np.floor(wave)))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"not a wave number: {wave_text.iat[i]!r}",
            file=p,
            row=i + 2,
            column=cols["wave"],
            expected="a whole number >= 1 or empty",
        )
    # waves.csv defuses spreadsheet formulas with a leading apostrophe ('=cmd); read the name back without it.
    names = frame[name_col].astype(str).str.strip().str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
    pins = pd.DataFrame({"server": names, "wave": wave.astype("Int64")})
    pins = pins[pins["server"].ne("") & pins["wave"].notna()]
    return pins.drop_duplicates("server", keep="last").reset_index(drop=True), []


def load_inventory(
    inputs: PlanInputs,
    settings: Settings,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> Inventory:
    with _stage("read", timings, progress):
        results = [read_file(p, inputs.format) for p in inputs.servers]
        results += [read_file(p) for p in inputs.dependencies]
        results += [read_file(p) for p in inputs.hosts]
        for res, p in zip(
            results, list(inputs.servers) + list(inputs.dependencies) + list(inputs.hosts), strict=True
        ):
            if p in inputs.dependencies and res.dependencies is None:
                raise InputError(
                    "given with --deps but holds no dependencies",
                    file=p,
                    expected="a dependency file (source, target, ...)",
                )
            if p in inputs.hosts and res.hosts is None:
                raise InputError(
                    "given with --hosts but holds no hosts",
                    file=p,
                    expected="a hosts file (host, cluster, cores, ...)",
                )
    with _stage("validate", timings, progress):
        inventory = validate(results)
        derive = _deriver()
        if derive is not None and settings.inputs is not None:
            servers, extra = derive(inventory.servers, settings.inputs)
            inventory = Inventory(
                servers=servers,
                dependencies=inventory.dependencies,
                hosts=inventory.hosts,
                files=inventory.files,
                findings=inventory.findings + tuple(extra),
                assumptions=inventory.assumptions,
            )
    return inventory


def _deriver() -> Callable[[pd.DataFrame, Any], tuple[pd.DataFrame, list[Finding]]] | None:
    try:
        from migrator.inputs.derive import derive_fields
    except ImportError:
        return None
    return derive_fields


def _sizer() -> Callable[..., Any] | None:
    try:
        from migrator.azure.sizing import size_servers
    except ImportError:
        return None
    return size_servers


def run_plan(
    inputs: PlanInputs,
    settings: Settings,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> PlanResult:
    timings = {} if timings is None else timings
    inventory = load_inventory(inputs, settings, timings, progress)
    pins = None
    pin_findings: list[Finding] = []
    if inputs.pins is not None:
        pins, pin_findings = read_pins(inputs.pins)
    return plan_inventory(
        inventory,
        settings,
        pins=pins,
        pins_path=inputs.pins,
        extra_findings=pin_findings,
        timings=timings,
        progress=progress,
    )


def plan_inventory(
    inventory: Inventory,
    settings: Settings,
    pins: pd.DataFrame | None = None,
    pins_path: str | Path | None = None,
    extra_findings: Sequence[Finding] = (),
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> PlanResult:
    timings = {} if timings is None else timings
    findings: list[Finding] = list(inventory.findings) + list(extra_findings)
    servers = inventory.servers
    n = len(servers)
    planning, cap = settings.planning, settings.capacity
    names = servers["name"].to_numpy()

    with _stage("graph", timings, progress):
        instance = instance_key(servers, planning)
        klass = env_class(servers["environment"], planning)
        graph = build_graph(servers, inventory.dependencies, instance, settings.shared_services)
        findings.extend(graph.findings)
        is_hub = np.zeros(n, dtype=bool)
        is_hub[graph.hubs["server"].to_numpy()] = True
        migrating = servers["disposition"].isin(MIGRATING_DISPOSITIONS).to_numpy()
        in_scope = migrating & ~is_hub

    with _stage("groups", timings, progress):
        pin_series = servers["pinned_wave"].copy()
        if pins is not None:
            lower = pd.Index(servers["name"].str.lower())
            at = lower.get_indexer(pins["server"].str.lower())
            unknown = pins["server"][at < 0]
            if len(unknown):
                findings.append(
                    Finding(
                        "pin-unknown-server",
                        f"{len(unknown)} pinned servers are not in the inventory: "
                        + ", ".join(sorted(unknown)[:20]),
                        file=display_path(pins_path or ""),
                    )
                )
            pin_series = pin_series.copy()
            pin_series.iloc[at[at >= 0]] = pins["wave"].to_numpy()[at >= 0]
        hub_mig = is_hub & migrating
        foundation = bool(hub_mig.any()) and settings.shared_services.treatment == "foundation"
        first_wave = 2 if foundation else 1
        if foundation:
            early = in_scope & (pin_series.fillna(99).to_numpy() < first_wave)
            if early.any():
                findings.append(
                    Finding(
                        "pin-foundation",
                        f"{int(early.sum())} servers are pinned to the foundation wave, which holds only shared services; they move in wave {first_wave} instead",
                    )
                )
                pin_series = pin_series.copy()
                pin_series[early] = first_wave
        moves = build_groups(servers, graph.edges, in_scope, pin_series, planning, cap)
        groups = moves.groups

    with _stage("waves", timings, progress):
        gedges = group_edges(moves.server_group, graph.edges)
        assignment = schedule(groups, gedges, cap, planning, first_wave)
        group_wave = assignment.group_wave
        server_wave = np.full(n, np.nan)
        sg = moves.server_group
        server_wave[sg >= 0] = group_wave[sg[sg >= 0]]
        last_migration = int(np.nanmax(server_wave)) if np.isfinite(server_wave).any() else first_wave - 1
        wave_kind: dict[int, str] = dict(assignment.wave_class)
        treatment = settings.shared_services.treatment
        if hub_mig.any():
            if treatment == "foundation":
                server_wave[hub_mig] = 1
                wave_kind[1] = "foundation"
            elif treatment == "last":
                server_wave[hub_mig] = last_migration + 1
                wave_kind[last_migration + 1] = "shared-services"
        max_wave = int(np.nanmax(server_wave)) if np.isfinite(server_wave).any() else 0
        dates = wave_dates(max_wave, settings.calendar)
        starts = np.array([s.isoformat() for s, _ in dates] or ["NaT"], dtype="datetime64[D]")
        ends = np.array([e.isoformat() for _, e in dates] or ["NaT"], dtype="datetime64[D]")

        def wave_end(w: np.ndarray) -> np.ndarray:
            out = np.full(len(w), NEVER, dtype="datetime64[D]")
            ok = np.isfinite(w)
            out[ok] = ends[w[ok].astype(np.int64) - 1]
            return out

        edges = graph.edges
        es, ed = edges["src"].to_numpy(), edges["dst"].to_numpy()
        # Two-way pairs for condition 1 (same definition as in groups).
        fwd = pd.MultiIndex.from_arrays([es, ed])
        rev = pd.MultiIndex.from_arrays([ed, es])
        strong = edges["weight"].to_numpy() > planning.two_way_min_weight
        tw_mask = fwd.isin(rev[strong]) & strong & (es < ed) & in_scope[es] & in_scope[ed]
        two_way = edges[tw_mask]
        nonhub_edges = edges[in_scope[es] & in_scope[ed]]
        violations = check_conditions(
            servers,
            server_wave,
            in_scope,
            instance,
            klass,
            nonhub_edges,
            two_way,
            groups,
            group_wave,
            sg,
            cap,
            first_wave,
            planning.protected_waves,
        )

        # Leave dates (when the server stops using the data center).
        leave = np.full(n, NEVER, dtype="datetime64[D]")
        mig_mask = in_scope & np.isfinite(server_wave)
        leave[mig_mask] = wave_end(server_wave[mig_mask])
        first_end = (
            ends[first_wave - 1] if len(dates) >= first_wave else np.datetime64(settings.calendar.start)
        )
        # Retired servers go once every migrating server that uses them (or shares their application) has moved.
        retire = (servers["disposition"].eq("retire").to_numpy()) & ~is_hub
        retained = servers["disposition"].eq("retain").to_numpy()
        stays = retained | (is_hub & ~migrating)
        # A retired server is used by the servers that depend on it; a hub by every peer, in either direction
        # (a backup server connects to the servers it protects).
        use = pd.DataFrame({"dst": np.concatenate([ed, es]), "user": np.concatenate([es, ed])})
        use = use[
            (retire[use["dst"].to_numpy()] & (np.arange(len(use)) < len(ed))) | is_hub[use["dst"].to_numpy()]
        ]
        user = use["user"].to_numpy()
        use = use.assign(leave=leave[user], src_mig=in_scope[user], src_retained=stays[user])
        last_user = use[use["src_mig"]].groupby("dst")["leave"].max()
        app_last = pd.Series(leave[mig_mask], index=servers["application"].to_numpy()[mig_mask])
        app_last = app_last[app_last.index != ""].groupby(level=0).max()
        r_idx = np.flatnonzero(retire)
        r_dates = np.full(len(r_idx), first_end, dtype="datetime64[D]")
        by_user = last_user.reindex(r_idx).to_numpy()
        by_app = app_last.reindex(servers["application"].to_numpy()[r_idx]).to_numpy()
        for cand in (by_user, by_app):
            cand = np.asarray(cand, dtype="datetime64[D]")
            ok = ~np.isnat(cand)
            r_dates[ok] = np.maximum(r_dates[ok], cand[ok])
        leave[r_idx] = r_dates
        blocked_retire = use[use["src_retained"] & retire[use["dst"].to_numpy()]]["dst"].unique()
        if len(blocked_retire):
            findings.append(
                Finding(
                    "retire-in-use",
                    f"{len(blocked_retire)} servers marked retire are still used by retained servers: "
                    + ", ".join(sorted(names[blocked_retire])[:20]),
                )
            )
        # Shared services.
        hub_rows = []
        hub_ports = graph.ports[is_hub[graph.ports["dst"].to_numpy()]]
        hub_top_ports = (
            hub_ports.dropna(subset=["port"])
            .groupby(["dst", "port"])["weight"]
            .sum()
            .reset_index()
            .sort_values(["dst", "weight", "port"], ascending=[True, False, True], kind="mergesort")
        )
        for h in graph.hubs.itertuples(index=False):
            s = int(h.server)
            disp = servers["disposition"].iat[s]
            used_by_retained = bool(((use["dst"] == s) & use["src_retained"]).any())
            users_last = last_user.get(s)
            if disp == "retain" or treatment == "retain":
                how, decom = "retained on premises", None
            elif disp == "retire":
                how = "retired once its last dependant has moved"
                decom = users_last if users_last is not None and not pd.isna(users_last) else first_end
                leave[s] = decom
            elif treatment == "foundation":
                how = "extended to Azure in the foundation wave (wave 1); on-premises copy decommissioned after its last dependant moves"
                if used_by_retained:
                    how += ", but retained servers still use it, so it stays"
                    decom = None
                else:
                    decom = (
                        max(ends[0], users_last)
                        if users_last is not None and not pd.isna(users_last)
                        else ends[0]
                    )
                    leave[s] = decom
            else:
                how = f"moved last, in wave {int(server_wave[s])}"
                decom = wave_end(server_wave[s : s + 1])[0]
                leave[s] = decom
            ports = hub_top_ports[hub_top_ports["dst"] == s]["port"].head(8).astype(int).tolist()
            hub_rows.append(
                {
                    "server": str(names[s]),
                    "role": str(h.role),
                    "detected_by": str(h.detected_by),
                    "dependants": int(h.peers),
                    "applications": int(h.applications),
                    "treatment": treatment if disp not in ("retain", "retire") else disp,
                    "handling": how,
                    "wave": None if not np.isfinite(server_wave[s]) else int(server_wave[s]),
                    "decommission_date": None
                    if decom is None or pd.isna(decom)
                    else str(pd.Timestamp(decom).date()),
                    "top_ports": ports,
                    "disposition": disp,
                }
            )
        hub_rows.sort(key=lambda r: (-r["dependants"], r["server"]))

        # Cross-wave dependencies: temporary (both move, in different waves) and permanent (one side stays).
        cross = _cross_wave(servers, graph, server_wave, in_scope, retained | (is_hub & ~migrating), ends)
        has_cross = np.zeros(n, dtype=bool)
        if len(cross):
            pos = pd.Index(servers["name"])
            has_cross[pos.get_indexer(cross["source"])] = True
            has_cross[pos.get_indexer(cross["target"])] = True

    sizing_doc: dict[str, Any] | None = None
    per_server_sizing: pd.DataFrame | None = None
    with _stage("sizing", timings, progress):
        sizer = _sizer()
        if sizer is not None and settings.sizing is not None and settings.sizing.enabled:
            result = sizer(servers, settings.sizing)
            per_server_sizing = result.per_server
            findings.extend(getattr(result, "findings", ()))
            sizing_doc = {
                "catalog": getattr(result, "catalog_info", {}),
                "assumptions": list(getattr(result, "assumptions", ())),
            }

    with _stage("footprint", timings, progress):
        horizon = max(settings.target.by, dates[-1][1] if dates else settings.calendar.start)
        horizon = max(
            horizon, pd.Timestamp(leave[leave < NEVER].max()).date() if (leave < NEVER).any() else horizon
        )
        footprint, fp_findings = project(
            servers,
            inventory.hosts,
            leave,
            settings.calendar.start,
            horizon,
            settings.target,
            settings.footprint,
        )
        findings.extend(fp_findings)

    with _stage("assemble", timings, progress):
        table = _server_table(
            servers, instance, klass, sg, groups, server_wave, starts, ends, leave, is_hub, per_server_sizing
        )
        document = _document(
            settings=settings,
            inventory=inventory,
            servers=servers,
            table=table,
            groups=groups,
            group_wave=group_wave,
            assignment=assignment,
            wave_kind=wave_kind,
            dates=dates,
            violations=violations,
            cross=cross,
            hub_rows=hub_rows,
            footprint=footprint,
            findings=findings,
            graph=graph,
            has_cross=has_cross,
            first_wave=first_wave,
            in_scope=in_scope,
            sizing_doc=sizing_doc,
            per_server_sizing=per_server_sizing,
            gedges=gedges,
        )
    return PlanResult(document=document, servers=table, timings=timings)


def _cross_wave(
    servers: pd.DataFrame,
    graph: Any,
    wave: np.ndarray,
    in_scope: np.ndarray,
    stays: np.ndarray,
    ends: np.ndarray,
) -> pd.DataFrame:
    edges = graph.edges
    s, d = edges["src"].to_numpy(), edges["dst"].to_numpy()
    ws, wd = wave[s], wave[d]
    temporary = in_scope[s] & in_scope[d] & (ws != wd)
    permanent = (in_scope[s] & stays[d]) | (stays[s] & in_scope[d])
    keep = temporary | permanent
    if not keep.any():
        return pd.DataFrame(
            columns=[
                "source",
                "target",
                "source_wave",
                "target_wave",
                "ports",
                "connections",
                "hybrid_days",
                "kind",
            ]
        )
    sel = edges[keep].copy()
    sel["kind"] = np.where(temporary[keep], "temporary", "permanent")
    ports = graph.ports.merge(sel[["src", "dst"]], on=["src", "dst"])
    ports = ports.dropna(subset=["port"]).sort_values(["src", "dst", "port"], kind="mergesort")
    sel["ports"] = _lists_by_pair(sel, ports)
    sw, dw = ws[keep], wd[keep]
    far = np.datetime64("2262-01-01")
    e_s = np.where(np.isfinite(sw), ends[np.nan_to_num(sw, nan=1).astype(int) - 1], far)
    e_d = np.where(np.isfinite(dw), ends[np.nan_to_num(dw, nan=1).astype(int) - 1], far)
    days = np.abs((e_s - e_d).astype("timedelta64[D]").astype(np.int64))
    names = servers["name"].to_numpy()
    out = pd.DataFrame(
        {
            "source": names[sel["src"].to_numpy()],
            "target": names[sel["dst"].to_numpy()],
            "source_wave": pd.array(np.where(np.isfinite(sw), sw, np.nan), dtype="Float64").astype("Int64"),
            "target_wave": pd.array(np.where(np.isfinite(dw), dw, np.nan), dtype="Float64").astype("Int64"),
            "ports": [p if isinstance(p, list) else [] for p in sel["ports"]],
            "connections": sel["weight"].to_numpy(float),
            "hybrid_days": np.where(sel["kind"].to_numpy() == "temporary", days, -1),
            "kind": sel["kind"].to_numpy(),
        }
    )
    return out.sort_values(
        ["kind", "connections", "source", "target"], ascending=[False, False, True, True], kind="mergesort"
    ).reset_index(drop=True)


def _lists_by_pair(sel: pd.DataFrame, ports: pd.DataFrame) -> list[list[int]]:
    """The sorted port list of each (src, dst) row of ``sel``, without a Python call per group."""
    if is_reference():
        grouped = ports.groupby(["src", "dst"])["port"].agg(lambda p: sorted(int(x) for x in p))
        return [
            grouped.get((s, d), []) for s, d in zip(sel["src"].tolist(), sel["dst"].tolist(), strict=True)
        ]
    key_sel = sel["src"].to_numpy(np.int64) * (1 << 32) + sel["dst"].to_numpy(np.int64)
    key_p = ports["src"].to_numpy(np.int64) * (1 << 32) + ports["dst"].to_numpy(np.int64)
    values = ports["port"].to_numpy(dtype=np.int64)
    bounds = np.flatnonzero(np.diff(key_p)) + 1
    chunks = np.split(values, bounds) if len(values) else []
    keys = key_p[np.concatenate([[0], bounds])] if len(values) else np.zeros(0, dtype=np.int64)
    lookup = dict(zip(keys.tolist(), (c.tolist() for c in chunks), strict=True))
    return [lookup.get(k, []) for k in key_sel.tolist()]


def _server_table(
    servers: pd.DataFrame,
    instance: pd.Series,
    klass: pd.Series,
    sg: np.ndarray,
    groups: pd.DataFrame,
    wave: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    leave: np.ndarray,
    is_hub: np.ndarray,
    sizing: pd.DataFrame | None,
) -> pd.DataFrame:
    ids = groups["id"].to_numpy() if len(groups) else np.array([], dtype=object)
    group_id = np.where(sg >= 0, ids[np.maximum(sg, 0)] if len(ids) else "", "")
    group_id = np.where(is_hub, "shared-services", group_id)
    w = pd.array(np.where(np.isfinite(wave), wave, np.nan), dtype="Float64").astype("Int64")
    ok = np.isfinite(wave)
    ws = np.full(len(wave), "", dtype=object)
    we = np.full(len(wave), "", dtype=object)
    if ok.any():
        ws[ok] = starts[wave[ok].astype(int) - 1].astype(str)
        we[ok] = ends[wave[ok].astype(int) - 1].astype(str)
    table = pd.DataFrame(
        {
            "server": servers["name"].to_numpy(),
            "application": servers["application"].to_numpy(),
            "environment": servers["environment"].to_numpy(),
            "move_group": group_id,
            "wave": w,
            "wave_start": ws,
            "wave_end": we,
            "disposition": servers["disposition"].to_numpy(),
            "decommission_date": np.where(leave >= NEVER, "", leave.astype(str)),
            "criticality": servers["criticality"].to_numpy(),
            "host": servers["host"].to_numpy(),
            "cluster": servers["cluster"].to_numpy(),
            "cores": servers["cores"].to_numpy(),
            "memory_gb": servers["memory_gb"].to_numpy(),
            "storage_gb": servers["storage_gb"].to_numpy(),
            "class": klass.to_numpy(),
            "shared_service": is_hub,
        }
    )
    if sizing is not None:
        for col in sizing.columns:
            table[col] = sizing[col].array
    return table.sort_values(
        ["wave", "move_group", "server"], na_position="last", kind="mergesort"
    ).reset_index(drop=True)


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


def _document(**k: Any) -> dict[str, Any]:
    settings: Settings = k["settings"]
    inventory: Inventory = k["inventory"]
    table: pd.DataFrame = k["table"]
    groups: pd.DataFrame = k["groups"]
    group_wave: np.ndarray = k["group_wave"]
    dates = k["dates"]
    violations = k["violations"]
    cross: pd.DataFrame = k["cross"]
    footprint = k["footprint"]
    servers: pd.DataFrame = k["servers"]
    has_cross: np.ndarray = k["has_cross"]
    per_server_sizing = k["per_server_sizing"]
    wave_kind: dict[int, str] = k["wave_kind"]
    cap = settings.capacity

    # Per-server attributes used by risk/confidence.
    graph = k["graph"]
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
        "shared_services": len(k["hub_rows"]),
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

    assumptions = list(inventory.assumptions) + _assumptions(settings, k["first_wave"], dates, footprint)
    unique_findings = sorted(set(k["findings"]), key=lambda f: (f.code, f.file, f.row or 0, f.message))
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
        "shared_services": k["hub_rows"],
        "violations": [v.to_dict() for v in violations],
        "move_group_dependencies": _group_dependencies(k["gedges"], groups),
        "splits": sorted(
            (
                {
                    "groups": sorted(groups["id"].iat[i] for i in members),
                    "parts": parts,
                    "cut_weight": _num(cw),
                    "cut_edges": ce,
                }
                for members, parts, cw, ce in k["assignment"].units_split
            ),
            key=lambda sp: sp["groups"],
        ),
        "footprint": fp,
        "sizing": k["sizing_doc"],
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
