"""The footprint's baseline, honestly: which hosts are counted, and whether the metric has data.

Hosts a VM names (RVTools vInfo ``Host``, the servers file's ``host``) are matched to the host list
(RVTools vHost, hosts.csv) case-insensitively and without a DNS suffix (``ESX01.corp.local`` is ``esx01``; an
IP address is never shortened; a short name two listed hosts share matches neither). Hosts still missing
from the list are counted from their VMs and reported as a finding with their count and names; the plan says
how many hosts it counts and where they come from. A metric asked for explicitly (not ``auto``) that no unit
has data for is refused, naming the column and the file; one that only some units have data for is a warning
with the counts.
"""

from __future__ import annotations

import pandas as pd

from migrator.errors import Finding, InputError
from migrator.outputs.text import plural
from migrator.validate import InputFile, Inventory

LISTED = 20  # host names a finding lists at most
COLUMN = {"kw": "power_w", "racks": "rack", "datacenters": "datacenter"}
IPV4 = r"^\d{1,3}(?:\.\d{1,3}){3}$"


def _short(lower: pd.Series) -> pd.Series:
    """The name without its DNS suffix (an IPv4 address is kept whole)."""
    return lower.where(lower.str.match(IPV4), lower.str.split(".", n=1).str[0])


def match_hosts(servers: pd.DataFrame, hosts: pd.DataFrame) -> tuple[pd.DataFrame, list[Finding]]:
    """The servers with every VM's host written as the host list writes it when it names a listed host in
    another case or with(out) a DNS suffix; findings: hosts the list lacks, and the hosts counted."""
    named = servers["host"].astype(str)
    is_vm = named.ne("")
    if not is_vm.any():
        return servers, []
    if not len(hosts):
        count = named[is_vm].str.lower().nunique()
        return servers, [_counted(count, 0, count)]
    listed = hosts["host"].astype(str)
    listed_lower = pd.Index(listed.str.lower())
    lower = named.str.lower()
    unlisted = is_vm & (pd.Index(listed_lower.unique()).get_indexer(pd.Index(lower)) < 0)  # isin, hashed
    short_listed = _short(listed.str.lower())
    unique = ~short_listed.duplicated(keep=False)
    spelling = pd.Series(listed[unique].to_numpy(), index=short_listed[unique].to_numpy())
    wanted = _short(lower[unlisted])
    found = wanted.map(spelling)
    matched = found.notna()
    out = servers
    if matched.any():
        out = servers.copy()
        out.loc[found.index[matched.to_numpy()], "host"] = found[matched].to_numpy()
    missing = sorted(set(named[unlisted][~matched.to_numpy()].tolist()), key=lambda s: (s.lower(), s))
    missing_count = len({m.lower() for m in missing})
    listed_count = len(listed_lower.unique())
    findings = [_counted(listed_count + missing_count, listed_count, missing_count)]
    if matched.any():
        pairs = pd.DataFrame({"vm": named[unlisted][matched.to_numpy()], "host": found[matched]})
        pairs = pairs.drop_duplicates().sort_values(["host", "vm"], kind="mergesort")
        shown = ", ".join(
            f"{v} as {h}" for v, h in zip(pairs["vm"][:LISTED], pairs["host"][:LISTED], strict=True)
        )
        more = f" and {len(pairs) - LISTED} more" if len(pairs) > LISTED else ""
        findings.append(
            Finding(
                "hosts-matched",
                f"{len(pairs)} host names of VMs match the host list only without case or DNS suffix: "
                f"{shown}{more}",
                severity="info",
            )
        )
    if missing:
        more = f" and {len(missing) - LISTED} more" if len(missing) > LISTED else ""
        findings.append(
            Finding(
                "hosts-not-listed",
                f"{plural(missing_count, 'host')} named by VMs {'is' if missing_count == 1 else 'are'} not "
                "in the host list, counted from their VMs: " + ", ".join(missing[:LISTED]) + more,
            )
        )
    return out, findings


def _counted(total: int, listed: int, from_vms: int) -> Finding:
    if not listed:
        source = ": every one named by VMs (no host list given)"
    elif from_vms:
        source = f": {listed} from the host list and {from_vms} named only by VMs"
    else:
        source = ", all from the host list"
    return Finding("hosts-counted", f"the footprint counts {plural(total, 'host')}{source}", severity="info")


def check_metric(
    servers: pd.DataFrame, hosts: pd.DataFrame, files: tuple[InputFile, ...], metric: str
) -> list[Finding]:
    """A metric asked for by name must have data: refused (InputError) when no unit has any, a warning with
    counts when some units lack it. ``servers`` with hosts matched (:func:`match_hosts`)."""
    column = COLUMN.get(metric)
    if column is None and metric != "hosts":
        return []
    physical = servers[servers["host"].astype(str).eq("")]
    listed = hosts.assign(key=hosts["host"].astype(str).str.lower()).drop_duplicates("key")
    vm_hosts = pd.Index(servers["host"].astype(str).str.lower().unique()).difference(pd.Index(listed["key"]))
    vm_hosts = vm_hosts[vm_hosts != ""]
    if metric == "hosts":
        if len(listed) + len(vm_hosts) == 0:
            raise InputError(
                "--metric hosts, but no VM names a host and no host list was given",
                file=_file(files, "servers"),
                column="host",
                expected="a host column for VMs, a hosts file (--hosts), or --metric auto",
            )
        return []
    assert column is not None
    host_has = _has(listed[column]) if column in listed else pd.Series(False, index=listed.index)
    if column != "power_w":  # a host the list lacks, or leaves empty, takes its VMs' rack and data center
        from_vms = servers[servers["host"].ne("")].assign(key=lambda f: f["host"].str.lower())
        known = pd.Index(from_vms.loc[_has(from_vms[column]), "key"].unique())
        host_has = host_has | listed["key"].isin(known)
        vm_hosts_has = int(vm_hosts.isin(known).sum())
    else:
        vm_hosts_has = 0
    phys_has = int(_has(physical[column]).sum())
    hosts_total, hosts_has = len(listed) + len(vm_hosts), int(host_has.sum()) + vm_hosts_has
    if hosts_has + phys_has == 0:
        raise InputError(
            f"--metric {metric}, but no host or physical server has a {column}",
            file=_file(files, "hosts") or _file(files, "servers"),
            column=column,
            expected=f"a {column} column with values for hosts (hosts file) or physical servers, "
            "or --metric auto",
        )
    lacking = []
    if hosts_has < hosts_total:
        lacking.append(f"{hosts_total - hosts_has} of {plural(hosts_total, 'host')}")
    if phys_has < len(physical):
        lacking.append(f"{len(physical) - phys_has} of {plural(len(physical), 'physical server')}")
    if not lacking:
        return []
    effect = (
        "count as 0 W" if column == "power_w" else f"are in no {column.replace('datacenter', 'data center')}"
    )
    return [
        Finding(
            "metric-partial",
            f"--metric {metric}: {' and '.join(lacking)} have no {column} and {effect}, "
            "so the footprint understates what stands",
        )
    ]


def _has(values: pd.Series) -> pd.Series:
    if values.dtype.kind in "fi":
        return values.notna()
    return values.notna() & values.astype(str).str.strip().ne("") & values.astype(str).ne("nan")


def _file(files: tuple[InputFile, ...], table: str) -> str | None:
    paths = [f.path for f in files if f.table == table]
    return ", ".join(paths) if paths else None


def footprint_servers(inventory: Inventory, metric: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The servers as the footprint counts them (hosts matched to the host list) and what was found;
    raises InputError when a metric asked for by name has no data."""
    matched, findings = match_hosts(inventory.servers, inventory.hosts)
    return matched, findings + check_metric(matched, inventory.hosts, inventory.files, metric)
