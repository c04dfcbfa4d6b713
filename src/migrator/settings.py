"""Settings: flag, then ``MIGRATOR_*`` environment variable, then ``migrator.toml``, then the default.

Every key is validated by pydantic and unknown keys are rejected with the file and key named. The plan echoes
the settings in force (``plan.json`` ``settings``, ``PLAN.md`` "Assumptions").

Environment variables name a section and a key with a double underscore:
``MIGRATOR_CAPACITY__MAX_SERVERS=40``, ``MIGRATOR_TARGET__REDUCTION=0.5``. ``MIGRATOR_CONFIG`` names the
config file when ``--config`` is not given. List values are given as JSON (``'["prod","dr"]'``). They are
read only from the mapping passed as ``load_settings(environ=...)``: the command line passes ``os.environ``;
called from Python, ``load_settings`` reads no environment unless asked.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from migrator.azure.config import SizingSettings
from migrator.errors import ConfigError
from migrator.inputs.config import InputSettings

ENV_PREFIX = "MIGRATOR_"
# Dates a setting may hold: a plan's calendar stays within what its date arithmetic (and pandas) can hold.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FreezeWindow(_Section):
    name: str = Field("freeze", description="What the freeze is for (shown in the plan).")
    start: dt.date = Field(
        description="First day of the freeze (inclusive).", ge=EARLIEST_DATE, le=LATEST_DATE
    )
    end: dt.date = Field(description="Last day of the freeze (inclusive).", ge=EARLIEST_DATE, le=LATEST_DATE)

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.end < self.start:
            raise ValueError(f"freeze window '{self.name}' ends ({self.end}) before it starts ({self.start})")
        return self


class CalendarSettings(_Section):
    start: dt.date = Field(
        dt.date(2027, 1, 4), ge=EARLIEST_DATE, le=LATEST_DATE, description="First day of the first wave."
    )
    wave_weeks: int = Field(4, ge=1, le=52, description="Length of a wave, in weeks (cut-over window).")
    cadence_weeks: int = Field(4, ge=1, le=104, description="Weeks from one wave's start to the next one's.")
    freeze: tuple[FreezeWindow, ...] = Field((), description="Windows no wave may overlap (change freezes).")

    @model_validator(mode="after")
    def _cadence(self) -> CalendarSettings:
        if self.cadence_weeks < self.wave_weeks:
            raise ValueError("cadence_weeks must be at least wave_weeks: waves run one after another")
        return self


class CapacitySettings(_Section):
    max_servers: int = Field(50, ge=1, description="Most servers one wave may move.")
    max_vcpus: float = Field(400, gt=0, description="Most vCPUs one wave may move.")
    max_storage_gb: float = Field(
        40_000, gt=0, description="Most provisioned storage (GiB) one wave may move."
    )
    balance: bool = Field(
        True,
        description=(
            "Spread move groups evenly over the waves a class "
            "needs instead of filling each wave to the limit."
        ),
    )


class TargetSettings(_Section):
    reduction: float = Field(0.60, gt=0, le=1, description="Share of the footprint to remove.")
    by: dt.date = Field(
        dt.date(2029, 12, 31),
        ge=EARLIEST_DATE,
        le=LATEST_DATE,
        description="Date by which the reduction must be reached.",
    )
    metric: Literal["auto", "hosts", "racks", "kw", "servers", "datacenters"] = Field(
        "auto",
        description=(
            "Footprint metric: auto picks kw when every physical unit has "
            "power_w, else racks when racks are known, else hosts, else servers."
        ),
    )


class PlanningSettings(_Section):
    group_by_environment: bool = Field(
        True,
        description=(
            "An application's prod and dev/test servers form separate move groups (conditions 2 and 5)."
        ),
    )
    two_way_min_weight: float = Field(
        0.0,
        ge=0,
        description=(
            "A pair with traffic both ways is a strong two-way dependency "
            "(condition 1) when each direction's weight exceeds this."
        ),
    )
    protected_waves: int = Field(
        2,
        ge=0,
        description=(
            "High-criticality and high-complexity applications stay out of this many first migration waves."
        ),
    )
    nonprod_environments: tuple[str, ...] = Field(
        (
            "dev",
            "development",
            "test",
            "testing",
            "qa",
            "uat",
            "staging",
            "stage",
            "sandbox",
            "lab",
            "training",
            "preprod",
            "pre-prod",
            "sit",
            "nonprod",
            "non-prod",
        ),
        description=(
            "Environments planned as dev/test; every other "
            "environment (and an empty one) counts as production."
        ),
    )
    complexity_servers: int = Field(
        15,
        ge=1,
        description=(
            "A move group with at least this many servers is high "
            "complexity (when no complexity column says otherwise)."
        ),
    )
    complexity_partners: int = Field(
        8,
        ge=1,
        description=(
            "A move group depending on (or depended on by) at "
            "least this many other move groups is high complexity."
        ),
    )
    optimise: bool = Field(
        True,
        description=(
            "After the greedy schedule, move whole move groups between waves to reduce the dependency "
            "weight crossing waves, breaking no condition more (CP-SAT on small coupled parts, local search "
            "on the rest)."
        ),
    )
    optimise_seconds: float = Field(
        2.0,
        ge=0,
        le=600,
        description=(
            "Work budget of the optimisation, in seconds of a typical machine; counted deterministically "
            "(solver deterministic time, local-search steps), so the same inputs give the same plan."
        ),
    )


class SharedServiceSettings(_Section):
    detect: bool = Field(
        True,
        description="Detect shared-service hubs from the dependency graph (the role column always wins).",
    )
    min_applications: int = Field(
        5, ge=2, description="A hub talks to servers of at least this many applications..."
    )
    application_share: float = Field(
        0.5, ge=0, le=1, description="...and of at least this share of all applications."
    )
    min_dependants: int = Field(10, ge=1, description="A hub has at least this many distinct peers.")
    treatment: Literal["foundation", "last", "retain"] = Field(
        "foundation",
        description=(
            "foundation: extended to Azure in a first foundation wave, on-premises copy decommissioned "
            "after its last dependant moves; last: moved after every other wave; retain: kept on premises."
        ),
    )


class FootprintSettings(_Section):
    ha_reserve_hosts: int = Field(
        1, ge=0, description="Spare hosts a cluster keeps while it runs any VM (N+1)."
    )
    consolidate: bool = Field(
        True,
        description=(
            "Free hosts when a cluster's remaining VMs fit on fewer hosts at today's consolidation ratio "
            '(false is the same as consolidation = "none").'
        ),
    )
    consolidation: Literal["none", "cluster", "datacenter"] = Field(
        "datacenter",
        description=(
            "How what stays is consolidated: none (a host is freed when its last VM leaves), cluster (the "
            "retained VMs of a cluster are moved onto the fewest hosts in the fewest racks, as DRS would), "
            "datacenter (retained VMs may also move to other clusters of the same data center)."
        ),
    )
    overcommit: float | None = Field(
        None,
        gt=0,
        description=(
            "vCPUs a physical core may carry when hosts.csv gives a host's cores and memory_gb (memory "
            "is not overcommitted); unset: a host holds today's density of its cluster (VM load per usable "
            "host)."
        ),
    )
    consolidation_window_days: int = Field(
        7,
        ge=1,
        le=90,
        description=(
            "Length of a consolidation window: it opens the day after the departures that make room and "
            "is moved past any freeze window it would overlap; its moves are dated on its first day."
        ),
    )

    @property
    def mode(self) -> str:
        """The consolidation in force (``consolidate = false`` turns it off)."""
        return self.consolidation if self.consolidate else "none"


class Settings(_Section):
    calendar: CalendarSettings = CalendarSettings()
    capacity: CapacitySettings = CapacitySettings()
    target: TargetSettings = TargetSettings()
    planning: PlanningSettings = PlanningSettings()
    shared_services: SharedServiceSettings = SharedServiceSettings()
    footprint: FootprintSettings = FootprintSettings()
    inputs: InputSettings = InputSettings()
    sizing: SizingSettings = SizingSettings()

    def echo(self) -> dict[str, Any]:
        """The settings in force as plain JSON-able data (for plan.json and PLAN.md)."""
        return json.loads(self.model_dump_json())


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        node = target.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"'{'.'.join(path)}' cannot be set: '{key}' is not a section")
        target = node
    target[path[-1]] = value


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``MIGRATOR_SECTION__KEY`` variables of ``environ`` as a nested dict (JSON for lists and tables)."""
    out: dict[str, Any] = {}
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        raw = environ[name]
        path = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        value: Any = raw
        if raw[:1] in "[{":
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise ConfigError(f"environment variable {name}: not valid JSON: {raw!r}") from None
        _set_path(out, path, value)
    return out


def read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError("config file not found", file=path)
    if path.is_dir():
        raise ConfigError("config file is a folder", file=path, expected="a migrator.toml file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from None
    except UnicodeDecodeError:
        raise ConfigError("not valid TOML: the file is not UTF-8 text", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror or exc}", file=path) from None


def _describe(error: ValidationError, source: str) -> ConfigError:
    first = error.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        msg = f"unknown setting '{key}'"
        return ConfigError(
            msg,
            file=source or None,
            column=key,
            expected="a key documented in the README's configuration table",
        )
    return ConfigError(f"setting '{key}': {first['msg']}", file=source or None, column=key)


def load_settings(
    config_path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings in force. ``overrides`` are command-line flags as a nested dict (highest precedence).

    ``environ`` is where ``MIGRATOR_*`` variables (and ``MIGRATOR_CONFIG``) are read from; ``None``, the
    default, reads none, so the result depends only on the arguments. The command line passes ``os.environ``.
    """
    environ = {} if environ is None else environ
    if config_path is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_path = environ[ENV_PREFIX + "CONFIG"]
    data: dict[str, Any] = {}
    source = ""
    if config_path is not None:
        source = str(config_path)
        data = read_toml(Path(config_path))
        try:
            Settings.model_validate(data)
        except ValidationError as exc:
            raise _describe(exc, source) from None
    env = env_overrides(environ)
    if env:
        data = _deep_merge(data, env)
        try:
            Settings.model_validate(data)
        except ValidationError as exc:
            err = _describe(exc, "")
            raise ConfigError(err.message.replace("setting", "environment setting", 1)) from None
    if overrides:
        data = _deep_merge(data, {k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc, "") from None
