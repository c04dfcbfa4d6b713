"""A realistic synthetic estate in the native format, seeded and deterministic: ``migrator generate``.

Applications of heavy-tailed size, each with a production instance and, for most, dev/test instances; web, app
and database tiers; VMware-like clusters of hosts in racks with power figures, and some physical servers;
heavy-tailed dependency degrees (tiers inside an application, database replication both ways, cross-application
calls drawn by popularity, shared-service hubs that nearly every server talks to); retire and retain shares;
utilisation percentiles for most servers. Dependency rows repeat per port like real exports. Vectorised numpy:
100,000 servers and 1,000,000 dependency rows take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HUBS = (
    ("dc01", "domain-controller"),
    ("dc02", "domain-controller"),
    ("dns01", "dns"),
    ("dns02", "dns"),
    ("mon01", "monitoring"),
    ("bkp01", "backup"),
    ("wsus01", "patching"),
    ("av01", "antivirus"),
)
OS_CHOICES = np.array(
    [
        "Microsoft Windows Server 2022 Datacenter",
        "Microsoft Windows Server 2019 Standard",
        "Microsoft Windows Server 2016 Standard",
        "Red Hat Enterprise Linux 9 (64-bit)",
        "Red Hat Enterprise Linux 8 (64-bit)",
        "Red Hat Enterprise Linux 7 (64-bit)",
        "Ubuntu 22.04 LTS",
        "Ubuntu 20.04 LTS",
        "Microsoft Windows Server 2008 R2 Enterprise",
        "CentOS 6 (64-bit)",
    ]
)
OS_P = np.array([0.18, 0.22, 0.12, 0.08, 0.14, 0.08, 0.1, 0.05, 0.02, 0.01])
TIERS = np.array(["web", "app", "db"])


@dataclass(frozen=True)
class Estate:
    servers: pd.DataFrame
    dependencies: pd.DataFrame
    hosts: pd.DataFrame


def generate_estate(servers: int, seed: int = 42, deps_per_server: float = 10.0) -> Estate:
    if servers < len(HUBS) + 10:
        raise ValueError(f"an estate needs at least {len(HUBS) + 10} servers")
    rng = np.random.default_rng(seed)
    n_work = servers - len(HUBS)

    # Applications: heavy-tailed instance sizes; production plus, for most, dev/test instances (a third the size).
    sizes: list[int] = []
    total = 0
    raw = np.maximum(1, np.round(rng.pareto(1.4, size=n_work) * 3 + 1)).astype(np.int64)
    raw = np.minimum(raw, max(30, n_work // 50))
    app_prod = raw[np.cumsum(raw * 1.6) <= n_work]
    n_apps = len(app_prod)
    envs = []
    for env, p in (("prod", 1.0), ("dev", 0.55), ("test", 0.5), ("uat", 0.15)):
        has = rng.random(n_apps) < p
        size = app_prod if env == "prod" else np.maximum(1, app_prod // 3)
        envs.append(pd.DataFrame({"app": np.flatnonzero(has), "env": env, "size": size[has]}))
    inst = (
        pd.concat(envs, ignore_index=True)
        .sort_values(["app", "env"], kind="mergesort")
        .reset_index(drop=True)
    )
    total = int(inst["size"].sum())
    if total < n_work:  # top up with single-server applications
        extra = n_work - total
        inst = pd.concat(
            [inst, pd.DataFrame({"app": n_apps + np.arange(extra), "env": "prod", "size": 1})],
            ignore_index=True,
        )
        n_apps += extra
    sizes = inst["size"].to_numpy()
    inst_of = np.repeat(np.arange(len(inst)), sizes)[:n_work]
    pos_in = np.arange(len(inst_of)) - np.repeat(np.cumsum(sizes) - sizes, sizes)[:n_work]
    size_of = sizes[inst_of]
    tier_idx = np.where(
        pos_in < np.maximum(1, size_of // 4),
        0,
        np.where(pos_in < size_of - np.maximum(1, size_of * 3 // 10), 1, 2),
    )
    tier_idx = np.where(size_of == 1, 1, tier_idx)
    app = inst["app"].to_numpy()[inst_of]
    env = inst["env"].to_numpy()[inst_of]
    n = len(inst_of)

    app_crit = rng.choice(
        np.array(["low", "medium", "high", "critical"]), size=n_apps, p=[0.3, 0.4, 0.2, 0.1]
    )
    app_disp = rng.choice(
        np.array(["rehost", "replatform", "refactor", "repurchase", "retire", "retain"]),
        size=n_apps,
        p=[0.66, 0.1, 0.05, 0.06, 0.08, 0.05],
    )
    env_code = pd.Series(env).map({"prod": "p", "dev": "d", "test": "t", "uat": "u"}).to_numpy()
    names = pd.Series(
        np.char.add(
            np.char.add(np.char.add("app", np.char.zfill(app.astype(str), 5)), "-"),
            TIERS[tier_idx].astype(str),
        )
    )
    names = names + np.char.zfill(pos_in.astype(str), 3) + env_code
    cores = np.select(
        [tier_idx == 0, tier_idx == 1],
        [rng.choice([2, 4], n), rng.choice([2, 4, 8], n)],
        rng.choice([4, 8, 16, 32], n),
    )
    mem = cores * rng.choice([2, 4, 8], n)
    storage = np.select([tier_idx == 2], [rng.integers(200, 4000, n)], rng.integers(60, 400, n)).astype(float)
    util = rng.random(n) < 0.85
    physical = (tier_idx == 2) & (cores >= 32) & (env == "prod")

    work = pd.DataFrame(
        {
            "name": names.to_numpy(),
            "os": rng.choice(OS_CHOICES, n, p=OS_P),
            "cores": cores,
            "memory_gb": mem,
            "storage_gb": storage,
            "cpu_util_pct": np.where(util, np.round(rng.beta(2, 5, n) * 100, 1), np.nan),
            "memory_util_pct": np.where(util, np.round(rng.beta(5, 3, n) * 100, 1), np.nan),
            "environment": env,
            "application": np.char.add("app", np.char.zfill(app.astype(str), 5)),
            "criticality": np.where(env == "prod", app_crit[app], "low"),
            "disposition": app_disp[app],
            "role": "",
        }
    )
    hubs = pd.DataFrame(
        {
            "name": [h for h, _ in HUBS],
            "os": OS_CHOICES[0],
            "cores": 4,
            "memory_gb": 16,
            "storage_gb": 200.0,
            "cpu_util_pct": 30.0,
            "memory_util_pct": 60.0,
            "environment": "prod",
            "application": "infrastructure",
            "criticality": "critical",
            "disposition": "rehost",
            "role": [r for _, r in HUBS],
        }
    )
    frame = pd.concat([work, hubs], ignore_index=True)
    physical = np.concatenate([physical, np.array([h == "bkp01" for h, _ in HUBS])])
    m = len(frame)

    # Clusters of 16 hosts (prod and non-prod apart), about 40 vCPUs of VMs per host; physical servers in their own racks.
    is_prod = frame["environment"].eq("prod").to_numpy()
    vm = ~physical
    host = np.full(m, -1, dtype=np.int64)
    n_hosts = 0
    for mask in (vm & is_prod, vm & ~is_prod):
        idx = np.flatnonzero(mask)
        load = np.cumsum(frame["cores"].to_numpy()[idx])
        h = (load // 40).astype(np.int64)
        host[idx] = n_hosts + h
        n_hosts += int(h.max()) + 1 if len(h) else 0
    hosts = pd.DataFrame({"host": [f"esx{i:05d}" for i in range(n_hosts)]})
    hosts["cluster"] = [f"cl{i // 16:04d}" for i in range(n_hosts)]
    hosts["datacenter"] = "dc1"
    hosts["rack"] = [f"r{i // 8:04d}" for i in range(n_hosts)]
    hosts["cores"] = 48
    hosts["memory_gb"] = 768
    hosts["power_w"] = rng.integers(550, 800, n_hosts)
    host_names = hosts["host"].to_numpy()
    frame["host"] = np.where(host >= 0, host_names[np.maximum(host, 0)], "")
    frame["cluster"] = np.where(host >= 0, hosts["cluster"].to_numpy()[np.maximum(host, 0)], "")
    frame["datacenter"] = "dc1"
    n_phys = int(physical.sum())
    frame["rack"] = ""
    frame.loc[physical, "rack"] = [f"p{i // 10:04d}" for i in range(n_phys)]
    frame["power_w"] = np.where(physical, rng.integers(350, 900, m), np.nan)
    frame["ip"] = [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(1, m + 1)]
    frame["pinned_wave"] = ""
    frame["complexity"] = ""
    frame["disks_gb"] = ""

    deps = _dependencies(rng, frame, inst_of, tier_idx, app, env, n, deps_per_server)
    cols = [
        "name",
        "ip",
        "os",
        "cores",
        "memory_gb",
        "storage_gb",
        "cpu_util_pct",
        "memory_util_pct",
        "environment",
        "application",
        "criticality",
        "complexity",
        "host",
        "cluster",
        "datacenter",
        "rack",
        "power_w",
        "disposition",
        "pinned_wave",
        "role",
        "disks_gb",
    ]
    return Estate(servers=frame[cols], dependencies=deps, hosts=hosts)


def _dependencies(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    inst_of: np.ndarray,
    tier: np.ndarray,
    app: np.ndarray,
    env: np.ndarray,
    n: int,
    per_server: float,
) -> pd.DataFrame:
    names = frame["name"].to_numpy()
    n_inst = int(inst_of.max()) + 1
    order = np.lexsort((tier, inst_of))
    # For each instance and tier, the range of its servers (sorted by instance, then tier).
    key = inst_of[order] * 3 + tier[order]
    starts = np.searchsorted(key, np.arange(n_inst * 3), side="left")
    ends = np.searchsorted(key, np.arange(n_inst * 3), side="right")

    def pick(inst: np.ndarray, t: int) -> np.ndarray:
        k = inst * 3 + t
        lo, hi = starts[k], ends[k]
        has = hi > lo
        choice = lo + (rng.random(len(inst)) * np.maximum(hi - lo, 1)).astype(np.int64)
        return np.where(has, order[np.minimum(choice, len(order) - 1)], -1)

    src_parts, dst_parts, port_parts = [], [], []
    # Tiers: web -> app (8443), app -> db (1433/5432), two calls each.
    for t_from, t_to, port in ((0, 1, 8443), (1, 2, 1433)):
        s = np.flatnonzero(tier == t_from)
        for _ in range(2):
            d = pick(inst_of[s], t_to)
            ok = d >= 0
            src_parts.append(s[ok])
            dst_parts.append(d[ok])
            port_parts.append(np.full(int(ok.sum()), port))
    # Database replication both ways (strong two-way): first two databases of each instance.
    k = np.arange(n_inst) * 3 + 2
    pair = (ends[k] - starts[k]) >= 2
    a, b = order[starts[k][pair]], order[starts[k][pair] + 1]
    src_parts += [a, b]
    dst_parts += [b, a]
    port_parts += [np.full(len(a), 5022), np.full(len(b), 5022)]
    # Cross-application calls, targets drawn by popularity (heavy-tailed in-degree), same environment when possible.
    callers = np.flatnonzero(tier == 1)
    calls = rng.poisson(1.2, len(callers))
    src = np.repeat(callers, calls)
    n_apps = int(app.max()) + 1
    popularity = 1.0 / np.arange(1, n_apps + 1) ** 1.1
    target_app = rng.choice(n_apps, size=len(src), p=popularity / popularity.sum())
    inst_table = pd.DataFrame({"app": app, "env": env, "inst": inst_of}).drop_duplicates(["app", "env"])
    lookup = pd.Series(
        inst_table["inst"].to_numpy(), index=pd.MultiIndex.from_arrays([inst_table["app"], inst_table["env"]])
    )
    want = pd.MultiIndex.from_arrays([target_app, env[src]])
    t_inst = lookup.reindex(want).to_numpy()
    prod = lookup.reindex(pd.MultiIndex.from_arrays([target_app, np.full(len(src), "prod")])).to_numpy()
    t_inst = np.where(np.isnan(t_inst), prod, t_inst)
    ok = ~np.isnan(t_inst)
    d = pick(t_inst[ok].astype(np.int64), 1)
    d = np.where(d >= 0, d, pick(t_inst[ok].astype(np.int64), 2))
    good = (d >= 0) & (app[src[ok]] != target_app[ok])
    src_parts.append(src[ok][good])
    dst_parts.append(d[good])
    port_parts.append(np.full(int(good.sum()), 443))
    # Shared-service hubs: nearly every server talks to them (backup connects the other way).
    hub_pos = {h: n + i for i, (h, _) in enumerate(HUBS)}
    everyone = np.arange(n)
    for hub, port, share, reverse in (
        ("dc01", 389, 0.95, False),
        ("dc02", 389, 0.9, False),
        ("dns01", 53, 0.5, False),
        ("dns02", 53, 0.5, False),
        ("mon01", 8443, 0.9, False),
        ("bkp01", 10000, 0.8, True),
        ("wsus01", 8530, 0.7, False),
        ("av01", 443, 0.6, False),
    ):
        who = everyone[rng.random(n) < share]
        hub_idx = np.full(len(who), hub_pos[hub])
        src_parts.append(hub_idx if reverse else who)
        dst_parts.append(who if reverse else hub_idx)
        port_parts.append(np.full(len(who), port))
    src_all = np.concatenate(src_parts)
    dst_all = np.concatenate(dst_parts)
    port_all = np.concatenate(port_parts)
    # Repeat flows (other ports, other 6-hour slots) until about per_server rows per server.
    target_rows = int(per_server * len(frame))
    if len(src_all) < target_rows:
        extra = target_rows - len(src_all)
        pick_rows = rng.integers(0, len(src_all), extra)
        src_all = np.concatenate([src_all, src_all[pick_rows]])
        dst_all = np.concatenate([dst_all, dst_all[pick_rows]])
        port_all = np.concatenate(
            [
                port_all,
                np.where(
                    rng.random(extra) < 0.3,
                    rng.choice([135, 445, 3389, 22, 5985], extra),
                    port_all[pick_rows],
                ),
            ]
        )
    weight = np.maximum(1, np.round(rng.lognormal(3, 1.2, len(src_all)))).astype(np.int64)
    return pd.DataFrame(
        {
            "source": names[src_all],
            "target": names[dst_all],
            "port": port_all,
            "protocol": "tcp",
            "weight": weight,
        }
    )


def write_estate(estate: Estate, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (
        ("servers.csv", estate.servers),
        ("dependencies.csv", estate.dependencies),
        ("hosts.csv", estate.hosts),
    ):
        path = out / name
        table = pa.Table.from_pandas(
            frame.astype({c: str for c in frame.columns if frame[c].dtype == object}), preserve_index=False
        )
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
        paths.append(path)
    return paths
