"""Time reading an RVTools-style vInfo CSV of N VMs (default 100,000).

Run ``python benchmarks/read_rvtools.py [N]``. Prints the time migrator takes to read and validate it and,
as the floor, the time pyarrow takes to parse it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

from migrator.inputs import read_file
from migrator.validate import validate


def write_vinfo(path: Path, n: int, folders: bool = True) -> None:
    """A vInfo tab of ``n`` VMs; without ``folders`` it has no column an application could come from."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "VM": [f"vm{i:06d}" for i in range(n)],
            "Powerstate": np.where(rng.random(n) < 0.95, "poweredOn", "poweredOff"),
            "Template": np.where(rng.random(n) < 0.01, "True", "False"),
            "CPUs": rng.choice([1, 2, 4, 8, 16], n),
            "Memory": rng.choice([2048, 4096, 8192, 16384, 65536], n),
            "Provisioned MiB": rng.integers(20_000, 2_000_000, n),
            "In Use MiB": rng.integers(10_000, 1_000_000, n),
            "Primary IP Address": [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(n)],
            "OS according to the VMware Tools": rng.choice(
                ["Microsoft Windows Server 2019 (64-bit)", "Red Hat Enterprise Linux 8 (64-bit)"], n
            ),
            "Host": [f"esx{h:04d}" for h in rng.integers(0, n // 30 + 1, n)],
            "Cluster": [f"cl{c:03d}" for c in rng.integers(0, n // 500 + 1, n)],
            "Datacenter": "dc1",
            "Folder": [f"/apps/app{a:04d}" for a in rng.integers(0, n // 10 + 1, n)],
            "Annotation": "",
        }
    )
    if not folders:
        frame = frame.drop(columns="Folder")
    frame.to_csv(path, index=False)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vInfo.csv"
        write_vinfo(path, n)
        t0 = time.perf_counter()
        pacsv.read_csv(path)
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = read_file(path)
        read = time.perf_counter() - t0
        t0 = time.perf_counter()
        inv = validate([res])
        checked = time.perf_counter() - t0
    print(
        f"{n:,} VMs: pyarrow parse {floor:.2f} s, "
        f"migrator read {read:.2f} s, validate {checked:.2f} s, {len(inv.servers):,} servers kept"
    )


if __name__ == "__main__":
    main()
