"""The tables that pass between stages, declared once: what a row is and what each column holds.

The inventory tables (servers, dependencies, hosts) are declared in :mod:`migrator.schema`; these are the ones
the stages make. Server, move-group and wave references are integer positions (a server's row in the servers
table, a move group's row in the move-groups table) unless a column says it holds names.
``tests/test_frames.py`` plans the sample estate and checks every table against its declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Frame:
    name: str
    row: str  # what one row is
    fields: tuple[tuple[str, str], ...]  # (column, what it holds), in column order

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def missing(self, frame: pd.DataFrame) -> list[str]:
        """Declared columns the frame lacks (an empty list when it follows the declaration)."""
        return [c for c in self.columns if c not in frame.columns]


EDGES = Frame(
    "edges",
    "a server-to-server dependency, aggregated over dependency rows (graph.DependencyGraph.edges)",
    (
        ("src", "server that depends (the client)"),
        ("dst", "server it depends on"),
        ("weight", "connections (or bytes) summed over rows"),
        ("rows", "dependency rows aggregated"),
    ),
)
PORTS = Frame(
    "ports",
    "one destination port of a dependency (graph.DependencyGraph.ports)",
    (("src", "client server"), ("dst", "server"), ("port", "destination port"), ("weight", "its weight")),
)
EXTERNAL = Frame(
    "external",
    "a dependency on an address outside the inventory (graph.DependencyGraph.external)",
    (
        ("server", "inventoried server"),
        ("address", "the other end, as the dependency file names it"),
        ("direction", "outbound or inbound"),
        ("weight", "connections summed"),
        ("rows", "dependency rows aggregated"),
        ("ports", "destination ports (list)"),
        ("kind", "private | internet | unresolved-name | local"),
    ),
)
SHARED_SERVICES = Frame(
    "shared_services",
    "a shared service (graph.DependencyGraph.shared_services)",
    (
        ("server", "the server"),
        ("role", "its role (column or detected)"),
        ("detected_by", "role column or dependency graph"),
        ("peers", "distinct servers it talks with"),
        ("applications", "distinct applications among them"),
    ),
)
MOVE_GROUPS = Frame(
    "move_groups",
    "a move group: servers that move together (groups.MoveGroups.groups), sorted by name",
    (
        ("id", "MG-0001, ... in name order"),
        ("name", "largest application instance, '+ N coupled' when it absorbed others"),
        ("klass", "prod or nonprod (prod when any server is production)"),
        ("servers_count", "servers"),
        ("cores", "vCPU"),
        ("memory_gb", "GiB"),
        ("storage_gb", "GiB"),
        ("crit", "criticality rank (schema.CRITICALITY_LEVELS)"),
        ("complexity", "complexity rank (schema.COMPLEXITY_LEVELS)"),
        ("complexity_source", "inventory or derived"),
        ("pin", "pinned wave, NaN when none"),
        ("applications", "applications (list)"),
        ("environments", "environments (list)"),
        ("partners", "move groups it depends on or is depended on by"),
        ("split_from", "name of the group it was split from, '' when not split"),
        ("split_part", "part number of the split"),
        ("split_of", "parts of the split"),
        ("split_cut_weight", "dependency weight the split cut"),
        ("split_cut_edges", "dependencies the split cut"),
    ),
)
GROUP_EDGES = Frame(
    "group_edges",
    "a dependency between two move groups (waves.group_edges)",
    (("src", "move group that depends"), ("dst", "move group it depends on"), ("weight", "summed weight")),
)
CROSSING = Frame(
    "crossing",
    "a server pair whose dependency crosses waves (crossing.Crossing.pairs), by names",
    (
        ("source", "client server name"),
        ("target", "server name it depends on"),
        ("source_wave", "wave of the source, <NA> when it stays"),
        ("target_wave", "wave of the target, <NA> when it stays"),
        ("ports", "destination ports (list)"),
        ("connections", "weight"),
        ("hybrid_days", "days between the two waves' ends (-1 for permanent)"),
        ("kind", "temporary (both move) or permanent (one side stays)"),
    ),
)
PLAN_TABLE = Frame(
    "plan_table",
    "a server in the plan: the columns of waves.csv, by wave, move group, name (plantable.server_table)",
    (
        ("server", "name"),
        ("application", ""),
        ("environment", ""),
        ("move_group", "move group id, 'shared-services' or ''"),
        ("wave", "wave (Int64, <NA> when it does not move)"),
        ("wave_start", "first day of its wave, '' when none"),
        ("wave_end", "last day of its wave, '' when none"),
        ("disposition", ""),
        ("decommission_date", "day it leaves the data center, '' when never"),
        ("criticality", ""),
        ("host", ""),
        ("cluster", ""),
        ("cores", "vCPU"),
        ("memory_gb", "GiB"),
        ("storage_gb", "GiB"),
        ("class", "prod or nonprod"),
        ("shared_service", "bool"),
    ),
)

STAGE_FRAMES = (EDGES, PORTS, EXTERNAL, SHARED_SERVICES, MOVE_GROUPS, GROUP_EDGES, CROSSING, PLAN_TABLE)
