"""Shared test helpers: build small inventories in memory or as CSV files."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from migrator.inputs.base import ReadResult
from migrator.settings import Settings, load_settings
from migrator.validate import Inventory, validate

# Property tests (Hypothesis): the normal run is derandomised (the same examples every run, nothing stored)
# and small; HYPOTHESIS_PROFILE=long explores many more random examples (see README, Development).
hypothesis_settings.register_profile(
    "default",
    derandomize=True,
    max_examples=5,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "long", max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "inventories" / "sample"


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    header = header or list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def server(
    name: str,
    app: str = "",
    env: str = "prod",
    cores: float = 2,
    mem: float = 8,
    storage: float = 100,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "application": app,
        "environment": env,
        "cores": cores,
        "memory_gb": mem,
        "storage_gb": storage,
        **extra,
    }


def inventory(
    servers: list[dict[str, Any]],
    deps: list[dict[str, Any]] | None = None,
    hosts: list[dict[str, Any]] | None = None,
) -> Inventory:
    """Validate in-memory rows exactly as the readers' output would be."""

    def frame(rows: list[dict[str, Any]] | None) -> pd.DataFrame | None:
        if not rows:
            return None
        return pd.DataFrame(rows).astype(object).fillna("").map(lambda v: "" if v is None else str(v))

    results = [ReadResult(path="servers.csv", format="native", servers=frame(servers))]
    if deps:
        results.append(ReadResult(path="dependencies.csv", format="native", dependencies=frame(deps)))
    if hosts:
        results.append(ReadResult(path="hosts.csv", format="native", hosts=frame(hosts)))
    return validate(results)


def settings(**sections: dict[str, Any]) -> Settings:
    return load_settings(None, sections, environ={})


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE
