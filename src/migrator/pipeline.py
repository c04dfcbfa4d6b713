"""The planning pipeline: inventories -> validated tables -> graph -> move groups -> waves -> sizing -> footprint.

:func:`run_plan` returns a :class:`PlanResult` whose ``document`` is the plan (the content of ``plan.json``);
every other output is a view of it. Nothing here prints or writes files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migrator.conditions import check_conditions
from migrator.dates import wave_dates
from migrator.document import DocumentInputs, PlanResult, build_document
from migrator.errors import Finding, InputError, display_path
from migrator.footprint import NEVER, project
from migrator.graph import build_graph
from migrator.groups import build_groups, env_class, instance_key
from migrator.inputs import read_file
from migrator.inputs.csvio import read_csv_text
from migrator.schema import MIGRATING_DISPOSITIONS
from migrator.settings import Settings
from migrator.validate import Inventory, validate
from migrator.waves import group_edges, schedule

STAGES = ("read", "validate", "graph", "groups", "waves", "sizing", "footprint", "assemble")


@dataclass(frozen=True)
class PlanInputs:
    servers: Sequence[str | Path]
    dependencies: Sequence[str | Path] = ()
    hosts: Sequence[str | Path] = ()
    pins: str | Path | None = None
    format: str | None = None  # force one format for the server files


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
        is_hub[graph.shared_services["server"].to_numpy()] = True
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
        for h in graph.shared_services.itertuples(index=False):
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
        document = build_document(
            DocumentInputs(
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
                sizing_doc=sizing_doc,
                per_server_sizing=per_server_sizing,
                gedges=gedges,
            )
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
