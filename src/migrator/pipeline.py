"""The planning pipeline: one call per stage, each stage in its own module.

    read, validate (validate)  ->  graph (graph)  ->  shared services (shared_services, pins)
    ->  move groups (groups)  ->  coupled systems (systems)  ->  waves (schedule, waves, dates)
    ->  sizing (azure.sizing), while the waves' optimisation (optimise) runs beside on a second core
    ->  decommission (decommission)  ->  footprint (baseline, footprint)
    ->  what it takes to meet the target (reach: started here, run beside what follows on a second core)
    ->  conditions (conditions, crossing)  ->  document (plantable, document)

:func:`run_plan` reads the files and returns a :class:`PlanResult` whose ``document`` is the plan (the
content of ``plan.json``); every other output is a view of it. Three stages run in a child process on a
second core (:mod:`migrator.background`; the same results as in this process): the coupled systems while this
one forms the move groups, the waves' optimisation while this one sizes the servers, and the reach stage
(which re-plans the waves many times, one knob at a time) while this one goes on with the conditions, the
document and the views that show nothing of it (``PlanResult.document`` waits for it). Sizing and the document
are imported while the optimisation runs (their pydantic models are a noticeable share of a small plan's
start-up). Nothing here prints or writes files. ARCHITECTURE.md lists the types each stage takes and returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migrator import background
from migrator.baseline import footprint_servers
from migrator.conditions import Violation, WaveContext, check_conditions
from migrator.contradictions import calendar_findings, capacity_findings
from migrator.crossing import Crossing, cross_wave_dependencies
from migrator.decommission import Decommission, plan_decommission
from migrator.errors import Finding, InputError
from migrator.footprint import Footprint, project_plan
from migrator.graph import DependencyGraph, build_graph
from migrator.groups import GroupBuilder, MoveGroups, env_class, instance_key
from migrator.inputs import read_file
from migrator.inputs.base import ReadResult
from migrator.inputs.derive import derive_fields
from migrator.optimise import GroupLinks, group_links, warm_up
from migrator.pins import apply_pins, read_pins
from migrator.plantable import server_table
from migrator.reach import Reach, Stages, what_it_takes
from migrator.schedule import WavePlan, plan_waves_later
from migrator.settings import Settings
from migrator.shared_services import Scope, plan_scope
from migrator.systems import Systems, detect_systems
from migrator.validate import Inventory, validate

if TYPE_CHECKING:  # imported where they are first used, beside the optimisation (see above)
    from migrator.azure.sizing import SizingResult
    from migrator.document import PlanResult
    from migrator.plan_model import PlanDocument

STAGES = (
    "read",
    "validate",
    "graph",
    "shared services",
    "move groups",
    "systems",
    "waves",
    "sizing",
    "optimise",
    "decommission",
    "footprint",
    "reach",
    "conditions",
    "document",
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PlanInputs:
    servers: Sequence[str | Path]
    dependencies: Sequence[str | Path] = ()
    hosts: Sequence[str | Path] = ()
    pins: str | Path | None = None
    format: str | None = None  # force one format for the server files


@dataclass
class _Stages:
    """Announces each stage to ``progress`` and adds up its wall time in ``timings``."""

    timings: dict[str, float] = field(default_factory=dict)
    progress: Progress | None = None

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0


def run_plan(
    inputs: PlanInputs,
    settings: Settings,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
    footprint_ready: Callable[[Footprint], None] | None = None,
) -> PlanResult:
    """Read the inputs and plan them (``footprint_ready``: see :func:`plan_inventory`)."""
    timings = {} if timings is None else timings
    inventory = load_inventory(inputs, settings, timings, progress)
    pins = read_pins(inputs.pins) if inputs.pins is not None else None
    return plan_inventory(inventory, settings, pins, inputs.pins, timings, progress, footprint_ready)


def load_inventory(
    inputs: PlanInputs,
    settings: Settings,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> Inventory:
    """Read every file (format detected, or forced for server files) and validate them into one inventory."""
    stage = _Stages({} if timings is None else timings, progress)
    with stage("read"):
        results = [read_file(p, inputs.format) for p in inputs.servers]
        dependencies = [read_file(p) for p in inputs.dependencies]
        hosts = [read_file(p) for p in inputs.hosts]
        _insist_on(dependencies, inputs.dependencies, "dependencies")
        _insist_on(hosts, inputs.hosts, "hosts")
        results += dependencies + hosts
    with stage("validate"):
        inventory = validate(results)
        servers, derived = derive_fields(inventory.servers, settings.inputs)
        return Inventory(
            servers=servers,
            dependencies=inventory.dependencies,
            hosts=inventory.hosts,
            files=inventory.files,
            findings=inventory.findings + tuple(derived),
            assumptions=inventory.assumptions,
        )


_EXPECTED = {
    "dependencies": ("--deps", "a dependency file (source, target, ...)"),
    "hosts": ("--hosts", "a hosts file (host, cluster, cores, ...)"),
}


def _insist_on(results: list[ReadResult], paths: Sequence[str | Path], table: str) -> None:
    """Files given for one table (``--deps``, ``--hosts``) must hold that table."""
    for result, path in zip(results, paths, strict=True):
        if getattr(result, table) is None:
            flag, expected = _EXPECTED[table]
            raise InputError(f"given with {flag} but holds no {table}", file=path, expected=expected)


def plan_inventory(
    inventory: Inventory,
    settings: Settings,
    pins: pd.DataFrame | None = None,
    pins_file: str | Path | None = None,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
    footprint_ready: Callable[[Footprint], None] | None = None,
) -> PlanResult:
    """Plan a validated inventory: the pipeline's stages, one call each. ``footprint_ready`` is called with
    the footprint projection as soon as it is made, before the reach stage, the conditions and the document:
    a view drawn from it alone can start (:func:`migrator.outputs.chart.draw_soon`)."""
    stage = _Stages({} if timings is None else timings, progress)
    servers, planning = inventory.servers, settings.planning
    with stage("graph"):
        fp_servers, host_findings = footprint_servers(inventory, settings.target.metric)
        graph = build_graph(servers, inventory.dependencies, settings.shared_services)
    with stage("shared services"):
        scope = plan_scope(servers, graph, settings.shared_services)
        pinned, pin_findings = apply_pins(servers, pins, pins_file, scope)
        pin_findings = [*pin_findings, *calendar_findings(settings), *capacity_findings(pinned, settings)]
    with stage("move groups"):  # the coupled systems found beside them, on a second core when there is one
        found = background.start(partial(detect_systems, servers, graph.edges, scope.planned))
        warm_up(settings, len(servers))  # and a process for the waves' search imports CP-SAT meanwhile
        builder = GroupBuilder(servers, graph.edges, scope.planned, pinned, planning)
        moves = builder.at(settings.capacity)
        instance, klass = instance_key(servers, planning), env_class(servers["environment"], planning)
        links = _group_links(servers, instance, klass, moves)  # what the optimiser keeps between groups
    with stage("systems"):
        systems = found.result()
    with stage("waves"):  # the greedy schedule; its optimisation runs beside sizing, on a second core if any
        group_system = systems.group_system(moves.server_group, len(moves.groups))
        optimising = plan_waves_later(moves, graph, scope, settings, group_system, links)
    with stage("sizing"):
        sizing = _sizing(servers, settings)
    with stage("optimise"):
        waves = optimising()
    with stage("decommission"):
        decommission = plan_decommission(servers, graph, scope, waves, np.datetime64(settings.calendar.start))
    with stage("footprint"):
        footprint, fp_findings = project_plan(
            fp_servers, inventory.hosts, decommission.leave, waves.dates, settings
        )
        if footprint_ready is not None:
            footprint_ready(footprint)
    with stage("reach"):  # beside the stages below on a second core when there is one (migrator.background)
        fixed = (graph, scope, pinned, moves, systems, partial(_group_links, servers, instance, klass), links)
        stages = Stages(fp_servers, inventory.hosts, *fixed, waves, decommission.leave, footprint, builder)
        reach = background.start(partial(what_it_takes, stages, settings), _child_limit(stage.timings))
    with stage("conditions"):
        violations = _violations(servers, instance, klass, graph, scope, moves, waves, settings)
        crossing = cross_wave_dependencies(servers, graph, scope, waves)
    with stage("document"):
        per_server = sizing.per_server if sizing is not None else None
        table = server_table(servers, klass, moves, waves, decommission.leave, scope, per_server)
        findings = [*inventory.findings, *graph.findings, *pin_findings, *waves.findings]
        findings += [*decommission.findings, *host_findings, *fp_findings]
        parts = _Parts(graph, moves, waves, violations, decommission, crossing, sizing, footprint, systems)
        draft = parts.draft(inventory, settings, table, findings)
    return _planned(draft, table, stage.timings, reach)


def _sizing(servers: pd.DataFrame, settings: Settings) -> SizingResult | None:
    """The servers sized, beside the waves' optimisation; the modules of sizing and of the document are
    imported here, beside it too (see the module docstring)."""
    import migrator.document  # noqa: F401
    from migrator.azure.sizing import size_servers

    return size_servers(servers, settings.sizing) if settings.sizing.enabled else None


def _planned(
    draft: PlanDocument, table: pd.DataFrame, timings: dict[str, float], reach: background.Pending[Reach]
) -> PlanResult:
    from migrator.document import PlanResult

    return PlanResult(draft, table, timings, partial(_add_reach, reach, timings))


def _child_limit(timings: dict[str, float]) -> float:
    """Seconds the reach stage's child process may take before it is deemed stuck (and the stage is run in
    this process instead): ten times the plan so far, and never less than the default."""
    return max(background.LIMIT_SECONDS, 10 * sum(timings.values()))


def _add_reach(
    reach: background.Pending[Reach], timings: dict[str, float], draft: PlanDocument
) -> PlanDocument:
    """The whole document, once the reach stage is done (the wait counted in its time)."""
    from migrator.document import with_reach

    t0 = time.perf_counter()
    document = with_reach(draft, reach.result())
    timings["reach"] = timings.get("reach", 0.0) + time.perf_counter() - t0
    return document


@dataclass(frozen=True)
class _Parts:
    """What the stages produced, gathered for the document builders."""

    graph: DependencyGraph
    moves: MoveGroups
    waves: WavePlan
    violations: list[Violation]
    decommission: Decommission
    crossing: Crossing
    sizing: SizingResult | None
    footprint: Footprint
    systems: Systems | None = None

    def draft(
        self, inventory: Inventory, settings: Settings, table: pd.DataFrame, findings: list[Finding]
    ) -> PlanDocument:
        """The document without the reach stage's part."""
        from migrator.document import DocumentInputs, build_document

        waves, sizing = self.waves, self.sizing
        inputs = DocumentInputs(
            settings=settings,
            inventory=inventory,
            servers=inventory.servers,
            table=table,
            groups=self.moves.groups,
            group_wave=waves.group_wave,
            assignment=waves.assignment,
            wave_kind=waves.wave_kind,
            dates=waves.dates,
            violations=self.violations,
            cross=self.crossing.pairs,
            shared_services=self.decommission.shared_services,
            footprint=self.footprint,
            findings=[*findings, *(sizing.findings if sizing is not None else ())],
            graph=self.graph,
            has_cross=self.crossing.has_cross,
            first_wave=waves.first_wave,
            sizing_doc=_sizing_doc(sizing),
            per_server_sizing=sizing.per_server if sizing is not None else None,
            gedges=waves.group_edges,
            optimisation=waves.optimisation,
            systems=self.systems,
            server_wave=waves.server_wave,
        )
        return build_document(inputs)


def _group_links(
    servers: pd.DataFrame, instance: pd.Series, klass: pd.Series, moves: MoveGroups
) -> GroupLinks:
    """The server-level facts the wave optimisation keeps (two-way pairs, instances, dev/test before prod)."""
    two_way = moves.two_way
    return group_links(
        moves.server_group,
        servers["application"].to_numpy(),
        klass.to_numpy(),
        instance.to_numpy(),
        (two_way["src"].to_numpy(), two_way["dst"].to_numpy()),
        len(moves.groups),
    )


def _violations(
    servers: pd.DataFrame,
    instance: pd.Series,
    klass: pd.Series,
    graph: DependencyGraph,
    scope: Scope,
    moves: MoveGroups,
    waves: WavePlan,
    settings: Settings,
) -> list[Violation]:
    """Check the eight conditions on the finished assignment (between planned servers only)."""
    edges, planned = graph.edges, scope.planned
    planned_edges = edges[planned[edges["src"].to_numpy()] & planned[edges["dst"].to_numpy()]]
    two_way, groups = moves.two_way, moves.groups
    return check_conditions(
        WaveContext(
            names=servers["name"].to_numpy(),
            application=servers["application"].to_numpy(),
            instance=instance.to_numpy(),
            klass=klass.to_numpy(),
            cores=servers["cores"].to_numpy(float),
            storage_gb=servers["storage_gb"].to_numpy(float),
            wave=np.where(planned, waves.server_wave, np.nan),
            server_group=moves.server_group,
            group_wave=waves.group_wave,
            group_name=groups["name"].to_numpy(),
            group_criticality=groups["crit"].to_numpy(),
            group_complexity=groups["complexity"].to_numpy(),
            dep_src=planned_edges["src"].to_numpy(),
            dep_dst=planned_edges["dst"].to_numpy(),
            two_way_a=two_way["src"].to_numpy(),
            two_way_b=two_way["dst"].to_numpy(),
            capacity=settings.capacity,
            first_wave=waves.first_wave,
            protected_waves=settings.planning.protected_waves,
        )
    )


def _sizing_doc(sizing: SizingResult | None) -> dict[str, Any] | None:
    if sizing is None:
        return None
    return {"catalog": sizing.catalog_info, "assumptions": list(sizing.assumptions)}
