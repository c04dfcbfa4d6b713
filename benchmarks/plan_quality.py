"""How good are the waves? Share of dependency weight crossing waves on estates with coupled systems.

    python benchmarks/plan_quality.py               # 3,000 and 10,000 servers
    python benchmarks/plan_quality.py 3000          # chosen sizes

Each estate is generated with ``migrator generate --coupled-systems`` (seed 42: applications grouped 2 to 5
at a time into systems that talk to each other about as much as they talk inside themselves) and planned at
default settings. For each it prints four plans: a naive one that packs move groups in inventory order
(application by application) into the same number of waves as the greedy schedule, first fit by servers; the
greedy schedule without coupled systems (systems detection switched off); the greedy schedule
(``planning.optimise = false``); and the optimised one (``planning.optimise = true``). For each: the share of
the dependency weight between planned servers (shared services and servers that do not move excluded) that
crosses waves, the conditions broken, the number of waves and the planning time. Then the lower bound of the
optimised plan (``optimise.lower_bound``: weight that crosses waves in any plan keeping the wave capacity in
servers, the pins and production apart from dev/test) and the issue's target, a third of the naive share.
Not part of the test suite.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import migrator.pipeline as pipeline
from migrator.generate import generate_estate, write_estate
from migrator.graph import build_graph
from migrator.groups import build_groups, env_class, instance_key
from migrator.pins import apply_pins
from migrator.schedule import plan_waves
from migrator.settings import Settings, load_settings
from migrator.shared_services import plan_scope
from migrator.systems import Systems
from migrator.validate import Inventory


def crossing_share(server_group: np.ndarray, server_wave: np.ndarray, edges: Any) -> float:
    """Weight between planned servers (in move groups) crossing waves, share of the weight between them."""
    s, d, w = edges["src"].to_numpy(), edges["dst"].to_numpy(), edges["weight"].to_numpy(float)
    both = (server_group[s] >= 0) & (server_group[d] >= 0)
    crossing = both & (server_wave[s] != server_wave[d])
    return float(w[crossing].sum() / max(w[both].sum(), 1e-12))


def naive(inventory: Inventory, settings: Settings, n_waves: int) -> tuple[float, int, float]:
    """Move groups in inventory order packed first fit into ``n_waves`` waves of equal server counts."""
    t0 = time.perf_counter()
    servers = inventory.servers
    graph = build_graph(servers, inventory.dependencies, settings.shared_services)
    scope = plan_scope(servers, graph, settings.shared_services)
    pinned, _ = apply_pins(servers, None, None, scope)
    moves = build_groups(servers, graph.edges, scope.planned, pinned, settings.planning, settings.capacity)
    sg = moves.server_group
    first_server = np.full(len(moves.groups), len(sg))
    np.minimum.at(first_server, sg[sg >= 0], np.flatnonzero(sg >= 0))
    order = np.argsort(first_server, kind="stable")
    size = moves.groups["servers_count"].to_numpy(float)[order]
    before = np.cumsum(size) - size
    group_wave = np.empty(len(order), dtype=np.int64)
    group_wave[order] = scope.first_wave + np.floor(before / size.sum() * n_waves).astype(np.int64)
    greedy = plan_waves(moves, graph, scope, settings)
    assignment = replace(greedy.assignment, group_wave=group_wave)
    server_wave = np.where(sg >= 0, group_wave[np.maximum(sg, 0)], np.nan)
    waves = replace(greedy, assignment=assignment, server_wave=server_wave)
    instance, klass = (
        instance_key(servers, settings.planning),
        env_class(servers["environment"], settings.planning),
    )
    violations = pipeline._violations(servers, instance, klass, graph, scope, moves, waves, settings)
    return crossing_share(sg, server_wave, graph.edges), len(violations), time.perf_counter() - t0


def planned(
    inventory: Inventory, settings: Settings, systems: bool = True
) -> tuple[float, int, int, float, float]:
    detect = pipeline.detect_systems
    if not systems:
        pipeline.detect_systems = lambda servers, edges, planned: Systems((), np.full(len(servers), -1))
    try:
        t0 = time.perf_counter()
        result = pipeline.plan_inventory(inventory, settings)
        seconds = time.perf_counter() - t0
    finally:
        pipeline.detect_systems = detect
    table = result.servers.set_index("server").reindex(inventory.servers["name"])
    graph = build_graph(inventory.servers, inventory.dependencies, settings.shared_services)
    in_group = table["move_group"].fillna("").astype(str).ne("") & ~table["shared_service"].astype(bool)
    group = np.where(in_group.to_numpy(), 0, -1)
    wave = table["wave"].astype("Float64").to_numpy(float, na_value=np.nan)
    optimisation = result.document.summary.optimisation
    return (
        crossing_share(group, wave, graph.edges),
        result.document.summary.violations,
        result.document.summary.waves,
        seconds,
        optimisation.share_lower_bound if optimisation else 0.0,
    )


def main(sizes: list[int]) -> None:
    print("| servers | plan | crossing share | conditions broken | waves | seconds |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            write_estate(generate_estate(n, seed=42, coupled_systems=True), tmp)
            inputs = pipeline.PlanInputs(
                [Path(tmp, "servers.csv")], [Path(tmp, "dependencies.csv")], [Path(tmp, "hosts.csv")]
            )
            base = {"sizing": {"enabled": False}}
            off = load_settings(None, {**base, "planning": {"optimise": False}}, environ={})
            on = load_settings(None, {**base, "planning": {"optimise": True}}, environ={})
            inventory = pipeline.load_inventory(inputs, off)
            rows = {
                "greedy, systems ignored": planned(inventory, off, systems=False),
                "greedy": planned(inventory, off),
                "optimised": planned(inventory, on),
            }
            n_waves = rows["greedy"][2]
            naive_share, broken, seconds = naive(inventory, off, n_waves)
            naive_row = f"naive application order | {naive_share:.1%} | {broken} | {n_waves} | {seconds:.2f}"
            print(f"| {n:,} | {naive_row} |")
            for name, (share, broken, waves, seconds, _) in rows.items():
                print(f"| {n:,} | {name} | {share:.1%} | {broken} | {waves} | {seconds:.2f} |")
            bound = rows["optimised"][4]
            print(
                f"| {n:,} | lower bound (any plan keeping capacity, pins, production apart) | {bound:.1%} "
                f"| | | |\n| {n:,} | target: a third of naive | {share_target(naive_share):.1%} | | | |"
            )


def share_target(naive_share: float) -> float:
    return naive_share / 3


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [3000, 10000])
