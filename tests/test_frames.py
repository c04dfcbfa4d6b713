"""Every table passed between stages has the columns ``migrator.frames`` declares for it.

The stages are run one by one on the bundled sample, as ``pipeline.plan_inventory`` runs them.
"""

from __future__ import annotations

import numpy as np
import pytest

from migrator import frames
from migrator.crossing import cross_wave_dependencies
from migrator.decommission import plan_decommission
from migrator.graph import build_graph
from migrator.groups import build_groups, env_class
from migrator.pins import apply_pins
from migrator.pipeline import PlanInputs, load_inventory
from migrator.plantable import server_table
from migrator.schedule import plan_waves
from migrator.settings import load_settings
from migrator.shared_services import plan_scope
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def stages() -> dict[str, object]:
    settings = load_settings(SAMPLE / "migrator.toml")
    inputs = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    inventory = load_inventory(inputs, settings)
    servers = inventory.servers
    graph = build_graph(servers, inventory.dependencies, settings.shared_services)
    scope = plan_scope(servers, graph, settings.shared_services)
    pinned, _ = apply_pins(servers, None, None, scope)
    moves = build_groups(servers, graph.edges, scope.planned, pinned, settings.planning, settings.capacity)
    waves = plan_waves(moves, graph, scope, settings)
    decommission = plan_decommission(servers, graph, scope, waves, np.datetime64(settings.calendar.start))
    crossing = cross_wave_dependencies(servers, graph, scope, waves)
    klass = env_class(servers["environment"], settings.planning)
    table = server_table(servers, klass, moves, waves, decommission.leave, scope, None)
    return {
        "edges": graph.edges,
        "ports": graph.ports,
        "external": graph.external,
        "shared_services": graph.shared_services,
        "move_groups": moves.groups,
        "group_edges": waves.group_edges,
        "crossing": crossing.pairs,
        "plan_table": table,
    }


@pytest.mark.parametrize("declared", frames.STAGE_FRAMES, ids=lambda f: f.name)
def test_stage_tables_follow_their_declaration(stages: dict[str, object], declared: frames.Frame) -> None:
    table = stages[declared.name]
    assert len(table) > 0, f"the sample should exercise {declared.name}"  # type: ignore[arg-type]
    assert declared.missing(table) == []  # type: ignore[arg-type]


def test_a_missing_column_is_named() -> None:
    import pandas as pd

    assert frames.GROUP_EDGES.missing(pd.DataFrame({"src": [0], "weight": [1.0]})) == ["dst"]
