"""Plan an RVTools vInfo CSV end to end and report time per stage and peak memory.

    python benchmarks/bench_rvtools_plan.py                 # 100,000 VMs
    python benchmarks/bench_rvtools_plan.py 10000 100000    # chosen sizes

The vInfo tab (``read_rvtools.write_vinfo``: CPUs, memory, provisioned MiB, IPs, OS, hosts, clusters) has no
application column and no folder, so every VM is its own move group: issue 15's RVTools case (100,000 VMs in
10 s). It is planned with the default settings (50 servers a wave) in a fresh Python process, so peak memory
(ru_maxrss) is that size's alone. Prints the start-up imports, the wall time of every stage
(``migrator.pipeline.STAGES``, then writing the files), the total, the peak memory, and as the floor the
time pyarrow takes merely to parse the CSV. Not part of the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from migrator.pipeline import STAGES as PIPELINE_STAGES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_plan import calibrate, compiled  # noqa: E402 - the benchmarks folder is no package
from read_rvtools import write_vinfo  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow.csv as pacsv
path, out = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
pacsv.read_csv(path)
floor = time.perf_counter() - t0
t_start = time.perf_counter()
from migrator.outputs import chart, render_plan, write_files
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings
timings = {"imports": time.perf_counter() - t_start}
chart.warm_up([path])  # as migrator plan does
result = run_plan(PlanInputs([path]), load_settings(None, {}), timings, footprint_ready=chart.draw_soon)
t0 = time.perf_counter()
write_files(render_plan(result), out)
timings["write"] = time.perf_counter() - t0
total = time.perf_counter() - t_start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
summary = json.loads((out / "plan.json").read_bytes())["summary"]
print(json.dumps({"timings": timings, "total": total, "floor": floor, "peak_mb": peak_mb,
                  "waves": summary["waves"], "move_groups": summary["move_groups"]}))
"""

STAGES = ("imports", *PIPELINE_STAGES, "write")


def run(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vInfo.csv"
        write_vinfo(path, n, folders=False)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(Path(tmp) / "plan")],
            capture_output=True,
            text=True,
            check=True,
        )
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        out["vms"] = n
        return out


def main() -> None:
    if any(not a.isdigit() for a in sys.argv[1:]):
        raise SystemExit(__doc__)
    sizes = [int(a) for a in sys.argv[1:]] or [100_000]
    compiled()  # migrator's bytecode written first, as an installed package has it (bench_plan.compiled)
    print(calibrate(), flush=True)  # the machine's speed now (bench_plan.calibrate)
    header = ["VMs", *STAGES, "total s", "pyarrow floor s", "peak MB", "move groups", "waves"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        t0 = time.perf_counter()
        r = run(n)
        cells = [
            f"{r['vms']:,}",
            *(f"{r['timings'].get(s, 0.0):.2f}" for s in STAGES),
            f"{r['total']:.2f}",
            f"{r['floor']:.2f}",
            f"{r['peak_mb']:,.0f}",
            f"{r['move_groups']:,}",
            str(r["waves"]),
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
        print(f"  (generated and measured in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    print(calibrate())


if __name__ == "__main__":
    main()
