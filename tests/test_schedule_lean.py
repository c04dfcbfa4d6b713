"""The reach stage's capacity probes take a lean path: the waves without what the plan reports of them
(``plan_waves(report=False)``: no optimisation figures, no findings) and the leave dates without the
decommission findings and shared-service rows (``leave_dates``). A probe's outcome must be the plan's own at
that capacity, so the lean path must give exactly what the full path gives.

The stages are captured from a plan of a generated estate (600 servers, pins, shared services), then
re-scheduled at other capacities as a probe does, each shared-service treatment in turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from migrator import pipeline
from migrator.decommission import leave_dates, plan_decommission
from migrator.footprint import NEVER
from migrator.generate import generate_estate, write_estate
from migrator.pipeline import PlanInputs, load_inventory, plan_inventory
from migrator.reach import Reach, Stages, _scaled
from migrator.schedule import WavePlan, plan_waves
from migrator.settings import Settings, load_settings


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("estate")
    write_estate(generate_estate(600, seed=7), folder)
    inputs = PlanInputs([folder / "servers.csv"], [folder / "dependencies.csv"], [folder / "hosts.csv"])
    return load_inventory(inputs, load_settings(None, {}))


def captured(inventory: Any, treatment: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Stages, Settings]:
    """What the reach stage gets from a plan (in this process, not in a child)."""
    got: list[tuple[Stages, Settings]] = []

    def capture(stages: Stages, settings: Settings) -> Reach:
        got.append((stages, settings))
        return Reach(stages.footprint.met)

    monkeypatch.setattr(pipeline, "what_it_takes", capture)
    monkeypatch.setenv("MIGRATOR_PROCESSES", "1")
    overrides = {
        "capacity": {"max_servers": 25, "max_vcpus": 120, "max_storage_gb": 6000},
        "shared_services": {"treatment": treatment},
    }
    plan_inventory(inventory, load_settings(None, overrides))
    return got[0]


def both_paths(stages: Stages, settings: Settings, servers: int) -> tuple[WavePlan, WavePlan, Settings]:
    """The waves at ``servers`` a wave, full and lean (move groups re-formed as a probe re-forms them)."""
    settings = settings.model_copy(update={"capacity": _scaled(settings, servers)})
    assert stages.groups is not None
    moves = stages.groups.at(settings.capacity)
    links = stages.links(moves)
    group_system = stages.systems.group_system(moves.server_group, len(moves.groups))
    full = plan_waves(moves, stages.graph, stages.scope, settings, group_system, links)
    lean = plan_waves(moves, stages.graph, stages.scope, settings, group_system, links, report=False)
    return full, lean, settings


@pytest.mark.parametrize("treatment", ["foundation", "last", "retain"])
def test_a_probe_gets_the_waves_and_leave_dates_the_full_plan_gets(
    inventory: Any, treatment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages, settings = captured(inventory, treatment, monkeypatch)
    shared = stages.graph.shared_services["server"].to_numpy()
    assert len(shared) and stages.scope.shared[shared].all()  # the estate has shared services to date
    for servers in (25, 40, 90):
        full, lean, at = both_paths(stages, settings, servers)
        np.testing.assert_array_equal(lean.group_wave, full.group_wave)
        np.testing.assert_array_equal(lean.server_wave, full.server_wave)
        assert (lean.wave_kind, lean.dates, lean.first_wave) == (full.wave_kind, full.dates, full.first_wave)
        assert full.optimisation is not None and full.optimisation.moves > 0  # the optimiser moved groups
        assert lean.optimisation is None and lean.findings == ()
        start = np.datetime64(at.calendar.start)
        expected = plan_decommission(stages.servers, stages.graph, stages.scope, full, start).leave
        np.testing.assert_array_equal(
            leave_dates(stages.servers, stages.graph, stages.scope, lean, start), expected
        )
        if treatment == "last":  # shared services leave on their own dates, set with their handling
            assert (expected[shared] < NEVER).all()
