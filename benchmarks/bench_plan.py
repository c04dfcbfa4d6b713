"""Plan generated estates end to end and report time per stage and peak memory.

    python benchmarks/bench_plan.py                 # 1,000 / 10,000 / 100,000 servers
    python benchmarks/bench_plan.py 10000 50000     # chosen sizes
    python benchmarks/bench_plan.py --default-capacity 100000   # the default settings (50 servers a wave)
    python benchmarks/bench_plan.py --repeat 5 1000  # each size planned five times: the median run

Each size is generated (``migrator generate``, about 10 dependency rows per server) into a temporary
folder, then planned in a fresh Python process, so peak memory (ru_maxrss) is that size's alone. For each size
it prints the wall time of every stage (``migrator.pipeline.STAGES``, then writing the files), the total (from
importing migrator to the files written), "command s" (the wall time of the ``migrator plan`` command itself
on the same files and settings: Python's start-up, the command line and leaving included), the peak memory,
and, as the floor to compare with, the time pyarrow takes merely to parse the same CSV files.
Before and after the sizes it prints the machine's speed at that moment ("machine:"; a fixed pure-Python loop
timed alone and two at once, one per core): the machine this runs on (a shared VM) drifts by a third from
one hour to the next, so figures from different sessions compare only beside their calibration.
"peak MB" is the planning process's own peak (ru_maxrss); "all MB" the peak of the memory it and its child
processes (the coupled systems, the waves' optimisation and the reach stage run in forked children:
migrator.background) hold together:
the planning process's resident set plus the pages private to each child (pages a child still shares with its
parent counted once), sampled every 0.25 s (finer sampling slows the planning down: the kernel walks every
page of the processes to answer).
Wave capacity grows with the estate (1% of the servers per wave, at least 50) on a two-week cadence, as a
large migration factory would run it; ``--default-capacity`` plans with the default settings instead. Not part
of the test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from migrator.generate import generate_estate, write_estate
from migrator.pipeline import STAGES as PIPELINE_STAGES

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow.csv as pacsv
d, n, default = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "default"
t0 = time.perf_counter()
for name in ("servers.csv", "dependencies.csv", "hosts.csv"):
    pacsv.read_csv(d / name)
floor = time.perf_counter() - t0
t_start = time.perf_counter()
from migrator.outputs import chart, render_plan, write_files
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings
per_wave = max(50, n // 100)
capacity = {"max_servers": per_wave, "max_vcpus": per_wave * 8, "max_storage_gb": per_wave * 1000}
over = {} if default else {"capacity": capacity, "calendar": {"wave_weeks": 2, "cadence_weeks": 2}}
settings = load_settings(None, over)
timings = {}
inputs = PlanInputs([d / "servers.csv"], [d / "dependencies.csv"], [d / "hosts.csv"])
chart.warm_up([*inputs.servers, *inputs.dependencies, *inputs.hosts])  # as migrator plan does
result = run_plan(inputs, settings, timings, footprint_ready=chart.draw_soon)  # as migrator plan does
t0 = time.perf_counter()
write_files(render_plan(result), d / "plan")
timings["write"] = time.perf_counter() - t0
total = time.perf_counter() - t_start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
summary = json.loads((d / "plan" / "plan.json").read_bytes())["summary"]
print(json.dumps({"timings": timings, "total": total, "floor": floor, "peak_mb": peak_mb,
                  "waves": summary["waves"], "move_groups": summary["move_groups"]}))
"""

STAGES = (*PIPELINE_STAGES, "write")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for c in children for p in _tree(int(c)))]


def _tree_mb(pid: int) -> float:
    """The process's resident set plus its descendants' private pages, in MiB (/proc/PID/smaps_rollup)."""
    total = 0
    for p in _tree(pid):
        try:
            lines = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        wanted = ("Rss:",) if p == pid else ("Private_Clean:", "Private_Dirty:")
        total += sum(int(line.split()[1]) for line in lines if line.startswith(wanted))
    return total / 1024


def compiled() -> None:
    """migrator's bytecode written first, as an installed package has it (pip compiles at install): an
    editable install run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module of migrator on
    every run (about 0.1 s, measured on the project's machine, where that variable is set)."""
    import compileall

    import migrator

    compileall.compile_dir(Path(migrator.__file__).parent, quiet=1)


CALIBRATION = """
import time
t = time.perf_counter()
s = 0
for i in range(10_000_000):
    s += i
print(time.perf_counter() - t)
"""


def calibrate() -> str:
    """The machine's speed now: the seconds a fixed pure-Python loop takes alone, and the slower of two run
    at once (both cores; a shared host shows here how much of the second core there is)."""
    loop = [sys.executable, "-c", CALIBRATION]
    alone = float(subprocess.run(loop, capture_output=True, text=True, check=True).stdout)
    both = [subprocess.Popen(loop, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    two = max(float(p.communicate()[0]) for p in both)
    return f"machine: 10M-step Python loop {alone:.2f} s alone, {two:.2f} s two at once"


def run(n: int, capacity: str, repeat: int = 1) -> dict:
    """The estate generated once and planned ``repeat`` times: the run with the median total."""
    with tempfile.TemporaryDirectory() as tmp:
        estate = generate_estate(n)
        write_estate(estate, tmp)
        rows = len(estate.dependencies)
        pairs = [(_plan(tmp, n, capacity), _command(tmp, n, capacity)) for _ in range(repeat)]  # alternating
        runs = sorted((r for r, _ in pairs), key=lambda r: r["total"])
        commands = sorted(c for _, c in pairs)
        if repeat > 1:
            totals = ", ".join(f"{r['total']:.2f}" for r in runs)
            walls = ", ".join(f"{w:.2f}" for w in commands)
            print(f"  ({n:,} servers, {repeat} runs: {totals} s; command: {walls} s)", file=sys.stderr)
        out = runs[(len(runs) - 1) // 2]
        out["servers"], out["rows"], out["command"] = n, rows, commands[(len(commands) - 1) // 2]
        return out


def _command(folder: str, n: int, capacity: str) -> float:
    """Wall time of the ``migrator plan`` command itself on the same files and settings (the console script
    beside this Python, as pip installs it): Python's start-up, the command line and the summary included."""
    d = Path(folder)
    args = ["plan", str(d / "servers.csv"), "--deps", str(d / "dependencies.csv")]
    args += ["--hosts", str(d / "hosts.csv"), "--out", str(d / "command"), "--quiet"]
    if capacity != "default":
        per_wave = max(50, n // 100)
        (d / "migrator.toml").write_text(
            f"[capacity]\nmax_servers = {per_wave}\nmax_vcpus = {per_wave * 8}\n"
            f"max_storage_gb = {per_wave * 1000}\n[calendar]\nwave_weeks = 2\ncadence_weeks = 2\n"
        )
        args += ["--config", str(d / "migrator.toml")]
    script = Path(sys.executable).parent / "migrator"
    main = [sys.executable, "-c", "from migrator.cli import main; main()"]
    command = [str(script)] if script.exists() else main
    t0 = time.perf_counter()
    subprocess.run([*command, *args], check=True)
    return time.perf_counter() - t0


def _plan(folder: str, n: int, capacity: str) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, folder, str(n), capacity], stdout=subprocess.PIPE, text=True
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_mb(proc.pid) if os.path.exists("/proc/self/smaps_rollup") else 0.0)
        time.sleep(0.25)
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"planning {n:,} servers failed (exit {proc.returncode})")
    out = json.loads(stdout.strip().splitlines()[-1])
    out["all_mb"] = peak
    return out


def main() -> None:
    args = sys.argv[1:]
    if any(a.startswith("-") and a not in ("--default-capacity", "--repeat") for a in args):
        raise SystemExit(__doc__)
    capacity = "default" if "--default-capacity" in args else "scaled"
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    if "--repeat" in args:
        del args[args.index("--repeat") : args.index("--repeat") + 2]
    sizes = [int(a) for a in args if a != "--default-capacity"] or [1_000, 10_000, 100_000]
    compiled()
    print(calibrate(), flush=True)
    header = ["servers", "dep rows", *STAGES, "total s", "command s", "pyarrow floor s", "peak MB", "all MB"]
    header += ["waves"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        t0 = time.perf_counter()
        r = run(n, capacity, repeat)
        cells = [
            f"{r['servers']:,}",
            f"{r['rows']:,}",
            *(f"{r['timings'].get(s, 0.0):.2f}" for s in STAGES),
            f"{r['total']:.2f}",
            f"{r['command']:.2f}",
            f"{r['floor']:.2f}",
            f"{r['peak_mb']:,.0f}",
            f"{r['all_mb']:,.0f}",
            str(r["waves"]),
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
        print(f"  (generated and measured in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    print(calibrate())


if __name__ == "__main__":
    main()
