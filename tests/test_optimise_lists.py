"""The local search reads a unit's long lists (neighbours, units ordered before or after it) with numpy and
short ones item by item. Both must give the very same answers, to the last bit of every weight, or the search
would take other moves: checked unit by unit on the state the search starts from, on a generated estate.
"""

from __future__ import annotations

from typing import Any

import pytest

from migrator import optimise as opt
from migrator.generate import generate_estate, write_estate
from migrator.pipeline import PlanInputs, load_inventory, plan_inventory
from migrator.settings import load_settings


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The optimiser's state when its local search starts (600 servers, tight waves)."""
    folder = tmp_path_factory.mktemp("estate")
    write_estate(generate_estate(600, seed=7), folder)
    inputs = PlanInputs([folder / "servers.csv"], [folder / "dependencies.csv"], [folder / "hosts.csv"])
    inventory = load_inventory(inputs, load_settings(None, {}))
    overrides = {"capacity": {"max_servers": 25, "max_vcpus": 120, "max_storage_gb": 6000}}
    with pytest.MonkeyPatch.context() as patch:
        got: list[Any] = []
        patch.setattr(opt, "_local_search", got.append)
        patch.setenv("MIGRATOR_PROCESSES", "1")
        plan_inventory(inventory, load_settings(None, overrides))
    return got[0]


def answers(state: Any, long_list: int) -> list[Any]:
    """Every unit's bounds and weights by wave, lists longer than ``long_list`` read with numpy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(opt, "LONG_LIST", long_list)
        return [(state.bounds(u), state.weights_by_wave(u)) for u in range(len(state.wave))]


def test_long_lists_read_with_numpy_give_what_item_by_item_gives(state: Any) -> None:
    by_item, by_numpy = answers(state, 1 << 30), answers(state, 0)
    assert by_numpy == by_item  # floats compared exactly, waves with a neighbour only
    assert any(len(weights) > 1 for _, weights in by_item)  # units with neighbours in several waves


@pytest.mark.parametrize("long_list", [0, 1 << 30])
def test_a_swap_reads_the_weights_to_two_waves_as_the_weights_by_wave_give_them(
    state: Any, long_list: int
) -> None:
    waves = sorted(set(state.wave))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(opt, "LONG_LIST", long_list)
        for u in range(len(state.wave)):
            by_wave, work = state.weights_by_wave(u), state.work
            for a, b in [*zip(waves, waves[1:] + waves[:1], strict=True), (waves[0], waves[0])]:
                assert state.weights_to(u, a, b) == (by_wave.get(a, 0.0), by_wave.get(b, 0.0))
                assert state.work - work == len(state.adj[u]) + 1  # the same work counted
                work = state.work
