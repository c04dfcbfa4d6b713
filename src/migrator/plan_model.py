"""The plan document: the content of ``plan.json`` as typed, frozen pydantic models.

:func:`migrator.document.build_document` returns a :class:`PlanDocument`; every view (PLAN.md, the terminal
summary, footprint.png) reads its attributes, and plan.json is :meth:`PlanDocument.to_dict` written by
:func:`migrator.outputs.json_plan.dumps`. ``src/migrator/schemas/plan.schema.json`` is generated from these
models, never edited by hand::

    python -m migrator.plan_model > src/migrator/schemas/plan.schema.json

(or :func:`write_schema`); ``tests/test_plan_model.py`` fails when the committed schema is stale.

Closed sets (dispositions, levels, kinds, readiness) are enums in the schema, taken from the modules that
define them; the range of ``violations[].condition`` comes from the conditions registry.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, TypeAlias, get_args, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PrivateAttr,
    create_model,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema, core_schema

from migrator.conditions import RULES
from migrator.footprint import UNITS
from migrator.planfile import TABLE_PATHS, decoded
from migrator.schema import COMPLEXITY_LEVELS, CRITICALITY_LEVELS, DISPOSITIONS
from migrator.waves import CLASSES

SCHEMA_VERSION = "2.1"
SCHEMA_ID = "https://github.com/migrator/migrator/schemas/plan.schema.json"

WAVE_KINDS = ("foundation", *CLASSES, "shared-services")
LEVELS = ("low", "medium", "high")
READINESS = ("Ready", "Ready with conditions", "Not ready", "Unknown", "Not applicable")
ENDPOINT_KINDS = ("internet", "private", "local", "unresolved-name")
TREATMENTS = ("foundation", "last", "retain", "retire")


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(values)]``: a string from a closed set (an enum in the schema)."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


@dataclass(frozen=True)
class Coded:
    """``Annotated[list[X], Coded()]``: a table column written as its distinct values and, per record, the
    position of its value among them: ``{"values": ["", "Endorsed..."], "codes": [0, 1, 1, 0]}`` (record i's
    value is ``values[codes[i]]``). For a column of a few long texts repeated over 100,000s of records; in
    Python the column is the plain list (:func:`encode`, and :func:`migrator.planfile.decoded` back)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(decoded, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        column = handler(schema)
        return {
            "type": "object",
            "description": "The column's distinct values, and per record the position of its value.",
            "properties": {
                "values": {**column, "description": "Each value once, in the order of first use."},
                "codes": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            },
            "required": ["codes", "values"],
            "additionalProperties": False,
        }


def encode(column: list[Any]) -> dict[str, list[Any]]:
    """A column as :class:`Coded` writes it: its distinct values in order of first use, and their codes."""
    index: dict[Any, int] = {}
    codes = [index.setdefault(v, len(index)) for v in column]
    return {"codes": codes, "values": list(index)}


Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
Count = Annotated[int, Field(ge=0)]
WaveNumber = Annotated[int, Field(ge=1)]
Port = Annotated[int, Field(ge=0, le=65535)]
Share = Annotated[float, Field(description="A fraction, 0-1.")]
Level = Annotated[str, OneOf(LEVELS)]
Disposition = Annotated[str, OneOf(DISPOSITIONS)]


class PlanModel(BaseModel):
    """Frozen, no unknown keys; fields are set by name (``klass``) or by their JSON name (``class``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)


class Row(PlanModel):
    """A flat record a plan holds one of per server, dependency, violation or consolidation move: 100,000s at
    enterprise scale.

    :meth:`from_columns` builds them from columns without validation (the pipeline made the values), as
    ``model_construct`` would but without its per-field loop, and :meth:`plain` dumps one without pydantic's
    serializer: a row has only plain fields, no aliases, no nested models. ``tests/test_plan_model.py`` checks
    both against pydantic's own and that a built plan validates.
    """

    @classmethod
    def from_columns(cls, columns: dict[str, list[Any]]) -> list[Self]:
        """One row per position of the (equally long) columns, of plain values of the fields' types; optional
        fields without a column take their defaults and stay unset (left out of plan.json)."""
        names = list(columns)
        unset = {k: v for k, v in _defaults(cls).items() if k not in columns}
        given = set(names)
        setattr_ = object.__setattr__
        rows = []
        for values in zip(*columns.values(), strict=True):
            fields = dict(zip(names, values, strict=True))
            if unset:
                fields.update(unset)
            row = cls.__new__(cls)
            setattr_(row, "__dict__", fields)
            setattr_(row, "__pydantic_fields_set__", given.copy())
            setattr_(row, "__pydantic_extra__", None)
            setattr_(row, "__pydantic_private__", None)
            rows.append(row)
        return rows

    def plain(self) -> dict[str, Any]:
        """``model_dump(exclude_unset=True)`` without pydantic's serializer (a row is flat, JSON names)."""
        values, fields = self.__dict__, self.__pydantic_fields_set__
        if len(fields) == len(values):
            return dict(values)
        return {k: v for k, v in values.items() if k in fields}


_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    found = _DEFAULTS.get(cls)
    if found is None:
        found = {n: f.default for n, f in cls.model_fields.items() if not f.is_required()}
        _DEFAULTS[cls] = found
    return found


if TYPE_CHECKING:  # a table reads as its records
    _Records = Sequence[Any]
else:
    _Records = object


class Table(PlanModel, _Records):
    """A list of records written as columns: one array per field, all equally long, position i of every
    array making record i (plan.json 2.x writes its long lists so, keys once instead of once a record).

    Each table is made from its record model by :func:`table_of`. In Python it still reads as the list of
    records it holds: iterating, ``len`` and indexing give record models (built once, on first use), so a view
    that loops over ``doc.servers`` needs no change; :meth:`column` gives a column without building records.
    """

    RECORD: ClassVar[type[PlanModel]]
    FLAT: ClassVar[bool] = True  # no column holds models (their values are JSON as they are)
    CODED: ClassVar[tuple[str, ...]] = ()  # columns written as :class:`Coded` (by field name)
    _records: list[Any] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _from_records(cls, data: Any) -> Any:
        """A list of :attr:`RECORD` models is taken as the table of their values (fields set in any)."""
        if not isinstance(data, list) or not all(isinstance(r, cls.RECORD) for r in data):
            return data
        names = [n for n in cls.RECORD.model_fields if any(n in r.model_fields_set for r in data)]
        required = [n for n, f in cls.RECORD.model_fields.items() if f.is_required()]
        return {n: [getattr(r, n) for r in data] for n in dict.fromkeys([*required, *names])}

    @classmethod
    def empty(cls) -> Self:
        """A table without records: every required column empty."""
        return cls.from_columns({k: [] for k, f in cls.model_fields.items() if f.is_required()})

    @classmethod
    def from_columns(cls, columns: dict[str, list[Any]]) -> Self:
        """A table of the given columns (by field name, plain values of the fields' types), unvalidated: the
        pipeline made the values. Optional columns not given stay unset (left out of plan.json)."""
        return cls.model_construct(None, **columns)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _equally_long(self) -> Self:
        lengths = {len(v) for v in self.columns().values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        return self

    def columns(self) -> dict[str, list[Any]]:
        """The columns set, by field name."""
        return {k: v for k, v in self.__dict__.items() if k in self.model_fields_set and v is not None}

    def plain(self) -> dict[str, list[Any]]:
        """The columns set, by JSON name, as plain JSON data (the lists themselves when flat)."""
        fields = type(self).model_fields
        if not self.FLAT:
            out = self.model_dump(by_alias=True, exclude_unset=True)
        else:
            out = {fields[k].alias or k: v for k, v in self.columns().items()}
        for k in self.CODED:
            name = fields[k].alias or k
            if name in out:
                out[name] = encode(out[name])
        return out

    def column(self, name: str) -> list[Any]:
        """One column (by field name)."""
        return list(getattr(self, name))

    def records(self) -> list[Any]:
        """The records, as :attr:`RECORD` models (built on first use, then kept)."""
        if self._records is None:
            self._records = _records_of(self.RECORD, self.columns())
        return self._records

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self.records())

    def __len__(self) -> int:
        return len(next(iter(self.columns().values()), []))

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        return self.records()[i]

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.columns() == other.columns()

    __hash__ = None  # type: ignore[assignment]


def _records_of(record: type[PlanModel], columns: dict[str, list[Any]]) -> list[Any]:
    if issubclass(record, Row):
        return record.from_columns(columns)
    names = list(columns)
    return [
        record.model_construct(**dict(zip(names, v, strict=True)))
        for v in zip(*columns.values(), strict=True)
    ]


def table_of(record: type[PlanModel], doc: str) -> type[Table]:
    """The :class:`Table` of ``record``: per field, an array of the field's type (same JSON name, same
    description); an optional field an optional array; a field the record names in ``CODED`` a :class:`Coded`
    column."""
    fields: dict[str, Any] = {}
    coded = getattr(record, "CODED", ())
    for name, f in record.model_fields.items():
        item: Any = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
        column: Any = Annotated[list[item], Coded()] if name in coded else list[item]
        if f.is_required():
            fields[name] = (column, Field(description=f.description, alias=f.alias))
        else:
            fields[name] = (column | None, Field(None, description=f.description, alias=f.alias))
    table = create_model(record.__name__ + "Table", __base__=Table, __doc__=doc, **fields)
    table.RECORD = record
    table.CODED = tuple(coded)
    table.FLAT = not any(_holds_model(f.annotation) for f in record.model_fields.values())
    return table


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(a) for a in get_args(annotation))


_TABLE = "One array per field, all equally long: position i of each array is {} i."


class Generator(PlanModel):
    """The tool that wrote the plan."""

    name: Annotated[str, OneOf(("migrator",))]
    version: str


class InputFile(PlanModel):
    """An input file as read (the path as given, never absolute unless given so)."""

    path: str
    format: str
    table: Annotated[str, OneOf(("servers", "dependencies", "hosts"))]
    rows: Count


class Summary(PlanModel):
    """The plan in numbers."""

    servers: Count
    migrating: Count
    retiring: Count
    retained: Count
    shared_services: Count
    move_groups: Count
    waves: Count
    first_wave_start: Day | None
    last_wave_end: Day | None
    vcpus: float
    storage_gb: float
    violations: Count
    critical_violations: Count
    cross_wave_dependencies: Count
    permanent_hybrid_dependencies: Count
    target_met: bool
    monthly_cost: float | None = Field(description="Pay-as-you-go run-rate once every wave has landed.")
    confidence_rating: ConfidenceRating | None = Field(
        default=None, description="Azure Migrate's rating of the sizing data; null when sizing is off."
    )
    cross_wave_weight_share: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None,
        description=(
            "Share of the dependency weight between servers planned in move groups (shared services "
            "excluded) that crosses waves; null when there is no such dependency."
        ),
    )
    optimisation: Optimisation | None = Field(
        default=None, description="The wave optimisation stage: the crossing share before and after it."
    )


class Optimisation(PlanModel):
    """The optimisation stage after the greedy schedule: whole move groups moved between waves to reduce the
    dependency weight crossing waves, breaking no condition more than the greedy schedule did."""

    enabled: bool = Field(description="False when `planning.optimise` is off (then before equals after).")
    weight_total: float = Field(description="Dependency weight between servers planned in move groups.")
    crossing_before: float = Field(description="Weight crossing waves in the greedy schedule.")
    crossing_after: float = Field(description="Weight crossing waves after the optimisation.")
    share_before: Annotated[float, Field(ge=0, le=1)]
    share_after: Annotated[float, Field(ge=0, le=1)]
    moves: Count = Field(description="Units of move groups moved to another wave, swaps aside.")
    swaps: Count = Field(description="Pairs of units exchanged between two waves (local search).")
    solved_parts: Count = Field(description="Coupled parts of the move-group graph improved by CP-SAT.")
    lower_bound: float = Field(
        description=(
            "Weight crossing waves in any plan that keeps production and dev/test apart (condition 5), the "
            "pins and the wave capacity in servers: for each move group, its weight to other groups less the "
            "most it could keep in one wave (neighbours of its class taken by weight per server until the "
            "wave is full), halved over the two ends of each dependency."
        )
    )
    share_lower_bound: Annotated[float, Field(ge=0, le=1)]


class ConfidenceRating(PlanModel):
    """Azure Migrate's confidence rating of the sizing data of some servers (a wave, the plan): the share of
    the data points performance-based sizing needs that the inventory has (CPU and memory utilisation, disk
    IOPS and throughput), as 1-5 stars in Azure Migrate's bands; and the share of servers whose CPU and memory
    were sized on measured utilisation. Not migrator's own wave ``confidence`` (a planning score)."""

    servers: Count = Field(description="Servers sized (migrating).")
    sized_on_utilisation: Annotated[float, Field(ge=0, le=1)]
    disks_on_performance: Annotated[float, Field(ge=0, le=1)] = Field(
        description="Share of the servers whose disks were sized on measured IOPS or throughput."
    )
    data_available: Annotated[float, Field(ge=0, le=1)]
    stars: Annotated[int, Field(ge=1, le=5)] | None = Field(description="Null for as-on-premises sizing.")


class Score(PlanModel):
    """A wave's risk or confidence, with the reasons that made it."""

    level: Level
    score: Annotated[int, Field(ge=0, le=100)]
    reasons: list[str]


class Cost(PlanModel):
    """What a set of servers adds to the monthly bill. Pay-as-you-go and Hybrid Benefit add up what is priced;
    a reservation or disk total is null (unknown) unless every server's price is known."""

    currency: str
    monthly_payg: float | None
    monthly_ahb: float | None
    monthly_1y: float | None
    monthly_3y: float | None
    monthly_storage: float | None
    priced_servers: Count
    unpriced_servers: Count


class Wave(PlanModel):
    """A dated wave: what moves, how full it is, its risk, confidence and cost."""

    number: WaveNumber
    name: str
    kind: Annotated[str, OneOf(WAVE_KINDS)]
    start: Day
    end: Day
    servers: Count
    vcpus: float
    memory_gb: float
    storage_gb: float
    move_groups: list[str]
    applications: list[str]
    environments: list[str]
    utilisation: float = Field(description="Share of the tightest capacity limit used.")
    risk: Score
    confidence: Score
    cost: Cost | None = Field(description="Null when sizing is off.")
    confidence_rating: ConfidenceRating | None = Field(
        default=None, description="Azure Migrate's rating of the sizing data; null when sizing is off."
    )


class GroupSplit(PlanModel):
    """Which part of a move group too large for one wave this group is."""

    from_: str = Field(alias="from")
    part: Annotated[int, Field(ge=1)]
    of: Annotated[int, Field(ge=1)]
    cut_weight: float
    cut_edges: Count


class MoveGroup(PlanModel):
    """One application in one environment (or servers joined by two-way traffic): it moves as a whole."""

    id: Annotated[str, Field(pattern=r"^MG-[0-9]{4,}$")]
    name: str
    wave: WaveNumber | None
    klass: Annotated[str, OneOf(CLASSES)] = Field(alias="class")
    servers: list[str]
    servers_count: Count
    applications: list[str]
    environments: list[str]
    vcpus: float
    memory_gb: float
    storage_gb: float
    criticality: Annotated[str, OneOf(CRITICALITY_LEVELS)]
    complexity: Annotated[str, OneOf(COMPLEXITY_LEVELS)]
    complexity_source: Annotated[str, OneOf(("inventory", "derived"))]
    pinned_wave: WaveNumber | None
    split: GroupSplit | None


class ServerRecord(Row):
    """One server: its move group, wave, dates and, with sizing, its Azure size, readiness and price."""

    CODED: ClassVar[tuple[str, ...]] = ("readiness_reason",)  # a few long texts, repeated over the servers
    name: str
    application: str
    environment: str
    move_group: str | None
    wave: WaveNumber | None
    wave_start: Day | None
    wave_end: Day | None
    disposition: Disposition
    decommission_date: Day | None
    host: str
    cluster: str
    cores: float
    memory_gb: float
    storage_gb: float
    criticality: Annotated[str, OneOf(("", *CRITICALITY_LEVELS))]
    shared_service: bool
    # sizing: always present, null when sizing is off
    azure_size: str | None
    azure_vcpus: int | None
    azure_memory_gb: float | None
    sizing_basis: str | None
    readiness: Annotated[str, OneOf(READINESS)] | None
    readiness_reason: str | None
    monthly_cost: float | None
    # sizing: present only when sizing ran
    required_vcpus: float | None = None
    required_memory_gb: float | None = None
    os_type: str | None = None
    disk_tiers: str | None = None
    monthly_compute_cost: float | None = None
    monthly_storage_cost: float | None = None
    monthly_cost_ahb: float | None = None
    monthly_cost_1y: float | None = None
    monthly_cost_3y: float | None = None
    restricted_for_collecting_subscription: bool | None = None
    # Azure Migrate's confidence rating (sizing data), see migrator.azure.confidence
    sized_on_cpu_memory: Annotated[str, OneOf(("utilisation", "partial", "allocation"))] | None = None
    sized_on_disks: Annotated[str, OneOf(("performance", "size"))] | None = None
    sizing_data_available: float | None = None
    confidence_stars: Annotated[int, Field(ge=1, le=5)] | None = None


SIZING_FIELDS = (
    "azure_size",
    "azure_vcpus",
    "azure_memory_gb",
    "sizing_basis",
    "readiness",
    "readiness_reason",
    "monthly_cost",
)
"""Per-server sizing fields every server record has (null when sizing is off)."""


class CrossWaveDependency(Row):
    """A server pair whose traffic runs between Azure and the data center for a while (temporary) or for good
    (permanent: one side stays)."""

    source: str
    target: str
    source_wave: WaveNumber | None
    target_wave: WaveNumber | None
    ports: list[Port]
    connections: float
    hybrid_days: Count | None
    kind: Annotated[str, OneOf(("temporary", "permanent"))]


class ExternalEndpoint(PlanModel):
    """A dependency on an address the inventory does not hold."""

    server: str
    address: str
    kind: Annotated[str, OneOf(ENDPOINT_KINDS)]
    direction: Annotated[str, OneOf(("inbound", "outbound"))]
    ports: list[Port]
    connections: float


class SharedService(PlanModel):
    """A server most of the estate talks to, planned apart from the move groups."""

    server: str
    role: str
    detected_by: Annotated[str, OneOf(("role", "graph"))]
    dependants: Count
    applications: Count
    treatment: Annotated[str, OneOf(TREATMENTS)]
    handling: str
    wave: WaveNumber | None
    decommission_date: Day | None
    top_ports: list[Port]
    disposition: Disposition


class Violation(Row):
    """A planning condition the plan could not meet, where and for whom."""

    condition: Annotated[int, Field(ge=min(RULES), le=max(RULES))]
    rule: str
    message: str
    servers: list[str]
    waves: list[WaveNumber]


class MoveGroupDependency(Row):
    """Move group ``source`` depends on move group ``target`` (shared services left out)."""

    source: str
    target: str
    connections: float


class Split(PlanModel):
    """A move group too large for one wave, cut into parts along its lightest dependencies."""

    groups: list[str]
    parts: Annotated[int, Field(ge=1)]
    cut_weight: float
    cut_edges: Count


class System(PlanModel):
    """A coupled system: applications exchanging heavy traffic (migrator.systems), and the waves it spans."""

    id: str = Field(description="SYS-001, ... heaviest internal traffic first.")
    name: str = Field(description="Its heaviest application, '+ N applications'.")
    applications: list[str]
    internal_weight: float = Field(description="Dependency weight between its applications, both ways.")
    external_weight: float = Field(description="Dependency weight between its applications and others.")
    waves: list[int] = Field(description="Waves its planned servers move in.")
    crossing_weight: float = Field(description="Dependency weight between its servers that crosses waves.")


class TimelinePoint(PlanModel):
    """The footprint left at the end of a month."""

    month: Month
    remaining: float
    reduction: Share


class ToMeet(PlanModel):
    """One knob changed alone: the smallest change that meets a missed target, found by re-planning."""

    setting: str = Field(
        description="The knob: capacity.max_servers, calendar.cadence_weeks or calendar.start."
    )
    value: int | str | None = Field(
        description="Its new value (a date for calendar.start); null when no value within bounds meets it."
    )
    settings: dict[str, int | float | str] = Field(
        description="Every setting changed with it (vCPU and storage limits scale with the server limit)."
    )
    reached_on: Month | None = Field(description="The month the target is reached with these settings.")
    reason: str = Field(description="Why no value meets it (empty when one does).")


class FootprintTarget(PlanModel):
    """The reduction asked for, and whether and when the plan reaches it."""

    reduction: Share
    by: Day
    met: bool
    reached_on: Month | None
    remaining_at_target_date: float
    max_achievable: Share = Field(
        description="The best reduction any schedule reaches with what is retained."
    )
    minimum_remaining: float
    to_meet: list[ToMeet] = Field(
        default_factory=list,
        description="Missed: for one knob at a time, the smallest change that meets the target.",
    )
    slack_months: int | None = Field(
        None, description="Met: months from the month the target is reached to the target date's month."
    )
    latest_start: Day | None = Field(
        None, description="Met: the latest calendar.start (whole weeks later) that still meets the target."
    )


class FootprintUnits(PlanModel):
    """The physical units the footprint counts today."""

    hosts: Count
    physical_servers: Count
    clusters: Count
    datacenters: Count = Field(0, description="Data centers holding any unit (one without a name counts).")


class ConsolidationMove(Row):
    """A retained VM moved onto the hosts kept for what stays (``footprint.consolidation``)."""

    server: str
    application: str
    datacenter: str
    from_host: str
    from_cluster: str
    from_rack: str
    to_cluster: str
    to_rack: str
    date: Day = Field(description="First day of the consolidation window the move is done in.")


if TYPE_CHECKING:  # mypy sees the base class; at run time each is its own model
    ConsolidationMoveTable: TypeAlias = Table
else:
    ConsolidationMoveTable = table_of(ConsolidationMove, _TABLE.format("consolidation move"))


class DataCenterUnits(PlanModel):
    """A data center's units standing on a day."""

    hosts: Count
    racks: Count
    physical_servers: Count
    kw: float
    servers: Count


class KeptOpenBy(PlanModel):
    """Retained servers of one application that keep a data center open."""

    application: str
    servers: list[str]


class DataCenter(PlanModel):
    """A data center's exit: units today and at the target date, the month it empties, what keeps it open."""

    name: str = Field(description="As the inventory names it; empty when the inventory names none.")
    today: DataCenterUnits
    at_target: DataCenterUnits = Field(description="What stands at the end of the target date.")
    empties_on: Month | None = Field(
        description="The month its last unit is freed; null when something stays."
    )
    kept_open_by: list[KeptOpenBy] = Field(description="Retained servers that keep it open, by application.")
    remaining: list[float] = Field(
        description="The footprint metric at the end of each month of the timeline."
    )


class Footprint(PlanModel):
    """The data-center footprint month by month against the target."""

    metric: Annotated[str, OneOf(tuple(UNITS))]
    unit: Annotated[str, OneOf(tuple(UNITS.values()))]
    baseline: float
    units: FootprintUnits
    notes: list[str]
    timeline: list[TimelinePoint]
    target: FootprintTarget
    consolidation: Annotated[str, OneOf(("none", "cluster", "datacenter"))] = Field(
        "none", description="How what stays was consolidated (settings footprint.consolidation)."
    )
    consolidation_moves: ConsolidationMoveTable = Field(
        default_factory=ConsolidationMoveTable.empty,
        description="Retained VMs moved onto the hosts kept, by date then server.",
    )
    datacenters: list[DataCenter] = Field(default_factory=list, description="One entry per data center.")


class Catalog(PlanModel):
    """The Azure catalog sizes and prices came from."""

    region: str
    currency: str
    snapshot: dict[str, str | None]
    sources: list[str]
    stats: dict[str, int]
    disk_prices: str | None
    origin: str


class Sizing(PlanModel):
    """How servers were sized: the catalog and the assumptions."""

    catalog: Catalog
    assumptions: list[str]


class RunRatePoint(PlanModel):
    """The monthly pay-as-you-go bill of what has landed by the end of a month."""

    month: Month
    monthly_payg: float


class CostSummary(PlanModel):
    """Azure run-rate: totals once every wave has landed, and the pay-as-you-go run-rate as the waves land."""

    totals: Cost
    run_rate: list[RunRatePoint]


class Finding(PlanModel):
    """A problem found in the inputs or the plan."""

    code: str
    message: str
    file: str
    row: int | None
    column: str
    severity: Annotated[str, OneOf(("warning", "info"))]


class DependencyStats(PlanModel):
    """What became of the dependency rows."""

    rows: Count
    resolved_rows: Count
    self_loops: Count
    external_rows: Count
    unresolved_rows: Count


if TYPE_CHECKING:  # mypy sees the base class; at run time each is its own model
    WaveTable: TypeAlias = Table
    ViolationTable: TypeAlias = Table
    ServerTable: TypeAlias = Table
    MoveGroupTable: TypeAlias = Table
    CrossWaveDependencyTable: TypeAlias = Table
    MoveGroupDependencyTable: TypeAlias = Table
else:
    WaveTable = table_of(Wave, _TABLE.format("wave"))
    ViolationTable = table_of(Violation, _TABLE.format("violation"))
    ServerTable = table_of(ServerRecord, _TABLE.format("server"))
    MoveGroupTable = table_of(MoveGroup, _TABLE.format("move group"))
    CrossWaveDependencyTable = table_of(CrossWaveDependency, _TABLE.format("cross-wave dependency"))
    MoveGroupDependencyTable = table_of(MoveGroupDependency, _TABLE.format("move-group dependency"))

TABLES = tuple(p[0] for p in TABLE_PATHS if len(p) == 1)
"""PlanDocument's :class:`Table` sections (top-level ones)."""

SETTINGS_SECTIONS = ("calendar", "capacity", "target", "planning", "shared_services", "footprint")


class PlanDocument(PlanModel):
    """The plan ``migrator plan`` writes as plan.json; Markdown, CSV and terminal output are views of it."""

    schema_version: Annotated[str, OneOf((SCHEMA_VERSION,))]
    generator: Generator
    settings: dict[str, Any] = Field(
        description="The settings in force (migrator.toml, environment, options), as validated.",
        json_schema_extra={"required": list(SETTINGS_SECTIONS)},
    )
    inputs: list[InputFile]
    assumptions: list[str]
    summary: Summary
    waves: WaveTable
    move_groups: MoveGroupTable
    servers: ServerTable
    cross_wave_dependencies: CrossWaveDependencyTable
    external_endpoints: list[ExternalEndpoint]
    shared_services: list[SharedService]
    violations: ViolationTable
    move_group_dependencies: MoveGroupDependencyTable
    splits: list[Split]
    systems: list[System] = Field(
        default_factory=list, description="Coupled systems and the waves they span."
    )
    footprint: Footprint
    sizing: Sizing | None = Field(description="Null when sizing is off.")
    cost: CostSummary | None = Field(description="Null when sizing is off.")
    dependency_stats: DependencyStats
    findings: list[Finding]

    def to_dict(self, only: set[str] | None = None) -> dict[str, Any]:
        """Plain JSON data, keys by their JSON name; optional fields never set (a server's sizing columns when
        sizing did not run) are left out. Tables (:data:`TABLE_PATHS`) as their columns. ``only``: these
        top-level fields alone."""
        exclude: dict[str, Any] = {}
        for *up, name in TABLE_PATHS:
            node: Any = exclude
            for key in up:
                node = node.setdefault(key, {})
            node[name] = True
        out = self.model_dump(by_alias=True, exclude_unset=True, exclude=exclude, include=only)
        for *up, name in TABLE_PATHS:
            if only is not None and [*up, name][0] not in only:
                continue
            node, model = out, self
            for key in up:
                node, model = node.get(key), getattr(model, key)
            if isinstance(node, dict) and name in model.model_fields_set:
                node[name] = getattr(model, name).plain()
        return out


class _Schema(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # a property's title would only repeat its name


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by X itself (no model nests itself), so a reader
    finds ``properties.violations.items.properties.condition`` where it expects it."""
    if isinstance(node, list):
        return [_inline(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _inline({**defs[ref.removeprefix("#/$defs/")], **siblings}, defs)
    return {k: _inline(v, defs) for k, v in node.items()}


def json_schema() -> dict[str, Any]:
    """plan.json's JSON Schema (draft 2020-12), generated from :class:`PlanDocument`."""
    generated = PlanDocument.model_json_schema(by_alias=True, schema_generator=_Schema)
    generated = _inline(generated, generated.pop("$defs", {}))
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "migrator plan",
        "description": (
            f"plan.json, schema {SCHEMA_VERSION}, written by `migrator plan`: Markdown, CSV and terminal "
            "output are views of it. Generated from migrator.plan_model: "
            "python -m migrator.plan_model > src/migrator/schemas/plan.schema.json"
        ),
        **generated,
    }


def schema_text() -> str:
    """The schema file's text: two-space indent, newline at the end."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | Path) -> None:
    """Write the schema to ``path`` (``src/migrator/schemas/plan.schema.json`` in the repository)."""
    Path(path).write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    from migrator.plan_model import schema_text as _text  # the models of the imported module, not __main__'s

    sys.stdout.write(_text())
