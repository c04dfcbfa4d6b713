"""Rack reduction of each consolidation mode against the ideal packing, and the footprint stage's time.

    python benchmarks/bench_consolidation.py              # 3,000 and 10,000 servers, 2 data centers
    python benchmarks/bench_consolidation.py 30000        # chosen sizes
    python benchmarks/bench_consolidation.py --timing     # + footprint stage at 100,000 servers, 2,100 waves

Estates come from ``migrator generate --datacenters 2 --spread`` (VMs placed on hosts in random order, so the
retained VMs of the 5% of applications marked retain sit in almost every rack). Every other server leaves; the
racks that stay are plan.json's ``minimum_remaining`` with ``target.metric = "racks"``, for
``footprint.consolidation`` none, cluster and datacenter (HA reserve one host per cluster, today's density).

The ideal is a lower bound computed apart from migrator's choice: per data center, the racks holding retained
physical servers (they cannot move) plus the fewest further racks whose hosts' capacity (today's density of
their cluster, the capacity migrator assumes) holds the data center's retained VM load, vCPU and memory each:
racks taken largest capacity first, which is the fewest for one dimension; the larger of the two counts. It
ignores HA reserves and cluster boundaries, so no plan can keep fewer racks. Not part of the test suite.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time

import numpy as np

from migrator.footprint import NEVER, Prepared, prepare, project_plan
from migrator.generate import Sites, generate_estate, write_estate
from migrator.pipeline import PlanInputs, load_inventory
from migrator.settings import FootprintSettings, TargetSettings, load_settings

MODES = ("none", "cluster", "datacenter")


def _ideal(prep: Prepared, retained: np.ndarray) -> int:
    """Racks forced open by retained physical servers plus, per data center, the fewest racks (largest
    first) whose capacity holds its retained VM load."""
    est, units = prep.estate, prep.units
    cap_c = est.unit_cores[est.cluster]
    cap_m = est.unit_mem[est.cluster]
    ret = est.retained_vms
    vm_dc = units.host_dc[est.vm_host[ret]]
    retained_phys = np.flatnonzero(np.isin(units.physical, np.flatnonzero(retained)))
    forced = set(units.phys_rack[retained_phys][units.phys_rack[retained_phys] >= 0].tolist())
    total = len(forced)
    for dc in np.unique(units.host_dc):
        need_c = est.vm_cores[ret][vm_dc == dc].sum()
        need_m = est.vm_mem[ret][vm_dc == dc].sum()
        mine = (units.host_dc == dc) & (units.host_rack >= 0)
        racks = units.host_rack[mine]
        counts = []
        for cap, need in ((cap_c[mine], need_c), (cap_m[mine], need_m)):
            per_rack = np.bincount(racks, weights=cap)
            per_rack = np.sort(per_rack[per_rack > 0])[::-1]
            counts.append(int(np.searchsorted(np.cumsum(per_rack), need - 1e-9) + 1) if need > 0 else 0)
        total += max(counts)
    return total


def racks(n: int) -> list[tuple[str, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        write_estate(generate_estate(n, sites=Sites(datacenters=2, spread=True)), tmp)
        inv = load_inventory(
            PlanInputs([f"{tmp}/servers.csv"], [f"{tmp}/dependencies.csv"], [f"{tmp}/hosts.csv"]),
            load_settings(None, {}),
        )
    retained = inv.servers["disposition"].eq("retain").to_numpy()
    leave = np.where(retained, NEVER, np.datetime64("2027-06-30")).astype("datetime64[D]")
    target = TargetSettings(metric="racks", by=dt.date(2029, 12, 31))
    rows = []
    ideal = None
    for mode in MODES:
        t0 = time.perf_counter()
        prep = prepare(inv.servers, inv.hosts, retained, target, FootprintSettings(consolidation=mode))
        fp, _ = prep.project(leave, dt.date(2027, 1, 4), dt.date(2029, 12, 31), target)
        seconds = time.perf_counter() - t0
        ideal = _ideal(prep, retained) if ideal is None else ideal
        rows.append((mode, fp.baseline, fp.minimum_remaining, seconds))
    rows.append(("ideal (lower bound)", rows[0][1], float(ideal), 0.0))
    return rows


def timing(n: int = 100_000, waves: int = 2_100) -> tuple[float, int, int]:
    """The footprint stage on a generated estate with every migrating server leaving at the end of one of
    ``waves`` four-weekly waves (seeded), retained servers never."""
    from migrator.dates import wave_dates

    settings = load_settings(None, {})
    with tempfile.TemporaryDirectory() as tmp:
        write_estate(generate_estate(n), tmp)
        inv = load_inventory(
            PlanInputs([f"{tmp}/servers.csv"], [f"{tmp}/dependencies.csv"], [f"{tmp}/hosts.csv"]), settings
        )
    dates = wave_dates(waves, settings.calendar)
    ends = np.array([np.datetime64(e) for _, e in dates], dtype="datetime64[D]")
    leave = ends[np.random.default_rng(1).integers(0, waves, len(inv.servers))]
    leave[inv.servers["disposition"].eq("retain").to_numpy()] = NEVER
    t0 = time.perf_counter()
    fp, _ = project_plan(inv.servers, inv.hosts, leave, dates, settings)
    return time.perf_counter() - t0, len(fp.timeline), len(inv.servers)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv if a.isdigit()] or [3_000, 10_000]
    print("| servers | consolidation | racks today | racks kept | reduction | seconds |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        for mode, base, kept, seconds in racks(n):
            print(f"| {n:,} | {mode} | {base:g} | {kept:g} | {1 - kept / base:.1%} | {seconds:.2f} |")
    if "--timing" in argv:
        seconds, months, servers = timing()
        print(f"\nfootprint stage: {servers:,} servers, 2,100 waves, {months:,} months: {seconds:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
