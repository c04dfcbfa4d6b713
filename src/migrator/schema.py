"""The canonical tables every reader produces and every pipeline stage consumes.

Readers (``migrator.inputs``) turn whatever a user has (our native CSV, Azure Migrate's import template,
RVTools, dependency exports) into these tables; :mod:`migrator.validate` checks and normalises them.
Units are fixed here once: cores are vCPUs (or physical cores for a physical server); memory and storage in
GiB (columns are named ``_gb`` as inventory tools name them, and like those tools we mean 1024^3 bytes;
readers convert MiB/MB with the factor they state in the plan's assumptions); power in watts; utilisation in
percent 0-100.
"""

from __future__ import annotations

from dataclasses import dataclass

DISPOSITIONS = ("rehost", "replatform", "refactor", "repurchase", "retire", "retain")
MIGRATING_DISPOSITIONS = ("rehost", "replatform", "refactor", "repurchase")

CRITICALITY_LEVELS = ("low", "medium", "high", "critical")
COMPLEXITY_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str" | "float" | "int" | "bool"
    required: bool = False
    unit: str = ""
    description: str = ""


SERVER_COLUMNS: tuple[Column, ...] = (
    Column("name", "str", True, "", "Server name, the unique key (compared case-insensitively)."),
    Column("ip", "str", False, "", "IP address(es); several separated by ';'."),
    Column("os", "str", False, "", "Operating system name and version as the inventory writes it."),
    Column("cores", "float", True, "vCPU", "Virtual CPUs (VM) or cores (physical server)."),
    Column("memory_gb", "float", True, "GiB", "Memory."),
    Column("storage_gb", "float", True, "GiB", "Provisioned storage, all disks."),
    Column("cpu_util_pct", "float", False, "%", "CPU utilisation percentile (for example p95), 0-100."),
    Column("memory_util_pct", "float", False, "%", "Memory utilisation percentile (for example p95), 0-100."),
    Column(
        "environment", "str", False, "", "prod, dev, test, uat, staging, dr, ... (normalised to lower case)."
    ),
    Column("application", "str", False, "", "Application the server belongs to."),
    Column("criticality", "str", False, "", "low, medium, high or critical."),
    Column(
        "complexity", "str", False, "", "low, medium or high; derived from size and dependencies when empty."
    ),
    Column("host", "str", False, "", "Hypervisor host the VM runs on; empty for a physical server."),
    Column("cluster", "str", False, "", "Hypervisor cluster."),
    Column("datacenter", "str", False, "", "Data center."),
    Column("rack", "str", False, "", "Rack of the physical server (or of its host)."),
    Column("power_w", "float", False, "W", "Power draw of a physical server (hosts: see the hosts table)."),
    Column(
        "disposition",
        "str",
        False,
        "",
        "rehost, replatform, refactor, repurchase, retire or retain (default rehost).",
    ),
    Column("pinned_wave", "int", False, "", "Wave number the server must move in."),
    Column(
        "role",
        "str",
        False,
        "",
        "'shared' forces a shared-service hub, 'app' forbids it; "
        "infrastructure roles (dns, domain-controller, ...) count as shared.",
    ),
    Column("disks_gb", "str", False, "GiB", "Per-disk sizes separated by ';' (first is the OS disk)."),
    Column("iops", "float", False, "IOPS", "Total disk operations per second (read + write)."),
    Column("throughput_mbps", "float", False, "MB/s", "Total disk throughput (read + write)."),
    Column("power_state", "str", False, "", "on or off (powered-off servers are planned and flagged)."),
    Column("template", "bool", False, "", "True for a VM template (never planned)."),
    Column("boot_type", "str", False, "", "BIOS or UEFI (normalised to upper case; EFI reads as UEFI)."),
    Column("nics", "float", False, "", "Number of network adapters."),
)

DEPENDENCY_COLUMNS: tuple[Column, ...] = (
    Column("source", "str", True, "", "Server that opens the connection (the client)."),
    Column("target", "str", True, "", "Server that accepts it (the dependency)."),
    Column("port", "int", False, "", "Destination port."),
    Column("protocol", "str", False, "", "tcp, udp, ..."),
    Column("weight", "float", False, "", "Connections or bytes; 1 per row when empty."),
    Column("source_ip", "str", False, "", "Source address, used when the name does not match the inventory."),
    Column(
        "target_ip", "str", False, "", "Destination address, used when the name does not match the inventory."
    ),
    Column("source_process", "str", False, "", "Client process."),
    Column("target_process", "str", False, "", "Listening process."),
)

HOST_COLUMNS: tuple[Column, ...] = (
    Column("host", "str", True, "", "Host name, the unique key."),
    Column("cluster", "str", False, "", "Cluster."),
    Column("datacenter", "str", False, "", "Data center."),
    Column("rack", "str", False, "", "Rack."),
    Column("cores", "float", False, "cores", "Physical cores."),
    Column("memory_gb", "float", False, "GiB", "Memory."),
    Column("power_w", "float", False, "W", "Power draw."),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "servers": SERVER_COLUMNS,
    "dependencies": DEPENDENCY_COLUMNS,
    "hosts": HOST_COLUMNS,
}


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


def required_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table] if c.required]


SHARED_ROLES = frozenset(
    {
        "shared",
        "shared-service",
        "shared_service",
        "hub",
        "infrastructure",
        "infra",
        "domain-controller",
        "domain_controller",
        "dc",
        "ad",
        "dns",
        "dhcp",
        "ntp",
        "monitoring",
        "backup",
        "patching",
        "wsus",
        "sccm",
        "antivirus",
        "av",
        "logging",
        "siem",
        "proxy",
        "pki",
        "jump",
        "bastion",
        "file-share",
        "print",
    }
)
NOT_SHARED_ROLES = frozenset({"app", "application", "none", "no", "not-shared"})
