"""A realistic synthetic estate in the native format, seeded and deterministic: ``migrator generate``.

Applications of heavy-tailed size, each with a production instance and, for most, dev/test instances; web,
app and database tiers; VMware-like clusters of hosts in racks with power figures, and some physical servers;
heavy-tailed dependency degrees (tiers inside an application, database replication both ways,
cross-application calls drawn by popularity, shared services that nearly every server talks to); retire and
retain shares; utilisation percentiles for most servers. Dependency rows repeat per port like real exports.
Vectorised numpy: 100,000 servers and 1,000,000 dependency rows take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

SHARED_SERVICES = (
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


SERVER_COLUMNS = [
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
# Who talks to each shared service: port, share of the workload servers, and whether it connects to them
# (backup) rather than they to it.
SHARED_SERVICE_CALLS = (
    ("dc01", 389, 0.95, False),
    ("dc02", 389, 0.9, False),
    ("dns01", 53, 0.5, False),
    ("dns02", 53, 0.5, False),
    ("mon01", 8443, 0.9, False),
    ("bkp01", 10000, 0.8, True),
    ("wsus01", 8530, 0.7, False),
    ("av01", 443, 0.6, False),
)


@dataclass(frozen=True)
class Estate:
    servers: pd.DataFrame
    dependencies: pd.DataFrame
    hosts: pd.DataFrame


@dataclass(frozen=True)
class _Layout:
    """The workload servers (shared services come after them): instance, tier and application of each."""

    inst_of: np.ndarray  # instance (application x environment) of each server
    pos_in: np.ndarray  # position of the server inside its instance
    tier: np.ndarray  # 0 web, 1 app, 2 db
    app: np.ndarray
    env: np.ndarray
    n_apps: int

    @property
    def n(self) -> int:
        return len(self.inst_of)


def generate_estate(
    servers: int,
    seed: int = 42,
    deps_per_server: float = 10.0,
    coupled_systems: bool = False,
    sites: Sites | None = None,
) -> Estate:
    """An estate of ``servers`` servers. With ``coupled_systems``, applications are grouped 2 to 5 at a time
    into systems whose applications talk to each other about as much as they talk inside themselves (the
    default estate, without it, is unchanged)."""
    if servers < len(SHARED_SERVICES) + 10:
        raise ValueError(f"an estate needs at least {len(SHARED_SERVICES) + 10} servers")
    rng = np.random.default_rng(seed)
    layout = _layout(_instances(rng, servers - len(SHARED_SERVICES)), servers - len(SHARED_SERVICES))
    work, physical = _workload_servers(rng, layout)
    frame = pd.concat([work, _shared_service_servers()], ignore_index=True)
    physical = np.concatenate([physical, np.array([h == "bkp01" for h, _ in SHARED_SERVICES])])
    hosts = _place(rng, frame, physical, sites or Sites(), seed)
    coupled = np.random.default_rng([seed, 1]) if coupled_systems else None
    deps = _dependencies(rng, frame, layout, deps_per_server, coupled)
    return Estate(servers=frame[SERVER_COLUMNS], dependencies=deps, hosts=hosts)


def _instances(rng: np.random.Generator, n_work: int) -> pd.DataFrame:
    """Applications of heavy-tailed size: a production instance and, for most, dev/test instances (a third
    the size); topped up with single-server applications. Columns app, env, size."""
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
    if total < n_work:
        extra = n_work - total
        inst = pd.concat(
            [inst, pd.DataFrame({"app": n_apps + np.arange(extra), "env": "prod", "size": 1})],
            ignore_index=True,
        )
    return inst


def _layout(inst: pd.DataFrame, n_work: int) -> _Layout:
    """Servers laid out instance by instance: the first quarter web, the last 30% database, app between."""
    sizes = inst["size"].to_numpy()
    inst_of = np.repeat(np.arange(len(inst)), sizes)[:n_work]
    pos_in = np.arange(len(inst_of)) - np.repeat(np.cumsum(sizes) - sizes, sizes)[:n_work]
    size_of = sizes[inst_of]
    tier = np.where(
        pos_in < np.maximum(1, size_of // 4),
        0,
        np.where(pos_in < size_of - np.maximum(1, size_of * 3 // 10), 1, 2),
    )
    tier = np.where(size_of == 1, 1, tier)
    n_apps = int(inst["app"].max()) + 1
    return _Layout(
        inst_of, pos_in, tier, inst["app"].to_numpy()[inst_of], inst["env"].to_numpy()[inst_of], n_apps
    )


def _workload_servers(rng: np.random.Generator, layout: _Layout) -> tuple[pd.DataFrame, np.ndarray]:
    """The workload servers' rows, and which of them are physical (big production databases)."""
    n, app, env, tier = layout.n, layout.app, layout.env, layout.tier
    app_crit = rng.choice(
        np.array(["low", "medium", "high", "critical"]), size=layout.n_apps, p=[0.3, 0.4, 0.2, 0.1]
    )
    app_disp = rng.choice(
        np.array(["rehost", "replatform", "refactor", "repurchase", "retire", "retain"]),
        size=layout.n_apps,
        p=[0.66, 0.1, 0.05, 0.06, 0.08, 0.05],
    )
    env_code = pd.Series(env).map({"prod": "p", "dev": "d", "test": "t", "uat": "u"}).to_numpy()
    application = np.char.add("app", np.char.zfill(app.astype(str), 5))
    names = pd.Series(np.char.add(np.char.add(application, "-"), TIERS[tier].astype(str)))
    names = names + np.char.zfill(layout.pos_in.astype(str), 3) + env_code
    cores = np.select(
        [tier == 0, tier == 1],
        [rng.choice([2, 4], n), rng.choice([2, 4, 8], n)],
        rng.choice([4, 8, 16, 32], n),
    )
    mem = cores * rng.choice([2, 4, 8], n)
    storage = np.select([tier == 2], [rng.integers(200, 4000, n)], rng.integers(60, 400, n)).astype(float)
    util = rng.random(n) < 0.85
    physical = (tier == 2) & (cores >= 32) & (env == "prod")
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
            "application": application,
            "criticality": np.where(env == "prod", app_crit[app], "low"),
            "disposition": app_disp[app],
            "role": "",
        }
    )
    return work, physical


def _shared_service_servers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [h for h, _ in SHARED_SERVICES],
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
            "role": [r for _, r in SHARED_SERVICES],
        }
    )


@dataclass(frozen=True)
class Sites:
    """Where the estate runs: ``datacenters`` data centers (clusters dealt out to them in blocks), and, with
    ``spread``, VMs placed on hosts in a seeded random order instead of application by application, so
    retained VMs sit in every rack (as in real estates). The default is the estate generated before."""

    datacenters: int = 1
    spread: bool = False


def _place(
    rng: np.random.Generator, frame: pd.DataFrame, physical: np.ndarray, sites: Sites, seed: int
) -> pd.DataFrame:
    """Clusters of 16 hosts (prod and non-prod apart), about 40 vCPUs of VMs per host; physical servers in
    their own racks. Adds the placement columns (and power, IP, empty optional columns) to ``frame``."""
    m = len(frame)
    is_prod = frame["environment"].eq("prod").to_numpy()
    vm = ~physical
    host = np.full(m, -1, dtype=np.int64)
    n_hosts = 0
    for mask in (vm & is_prod, vm & ~is_prod):
        idx = np.flatnonzero(mask)
        if sites.spread:
            idx = np.random.default_rng([seed, 2]).permutation(idx)
        load = np.cumsum(frame["cores"].to_numpy()[idx])
        h = (load // 40).astype(np.int64)
        host[idx] = n_hosts + h
        n_hosts += int(h.max()) + 1 if len(h) else 0
    hosts = pd.DataFrame({"host": [f"esx{i:05d}" for i in range(n_hosts)]})
    hosts["cluster"] = [f"cl{i // 16:04d}" for i in range(n_hosts)]
    n_clusters = (n_hosts + 15) // 16
    hosts["datacenter"] = [
        f"dc{(i // 16) * sites.datacenters // max(n_clusters, 1) + 1}" for i in range(n_hosts)
    ]
    hosts["rack"] = [f"r{i // 8:04d}" for i in range(n_hosts)]
    hosts["cores"] = 48
    hosts["memory_gb"] = 768
    hosts["power_w"] = rng.integers(550, 800, n_hosts)
    host_names = hosts["host"].to_numpy()
    frame["host"] = np.where(host >= 0, host_names[np.maximum(host, 0)], "")
    frame["cluster"] = np.where(host >= 0, hosts["cluster"].to_numpy()[np.maximum(host, 0)], "")
    frame["datacenter"] = np.where(host >= 0, hosts["datacenter"].to_numpy()[np.maximum(host, 0)], "dc1")
    frame["rack"] = ""
    frame.loc[physical, "rack"] = [f"p{i // 10:04d}" for i in range(int(physical.sum()))]
    frame["power_w"] = np.where(physical, rng.integers(350, 900, m), np.nan)
    frame["ip"] = [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(1, m + 1)]
    frame["pinned_wave"] = ""
    frame["complexity"] = ""
    frame["disks_gb"] = ""
    return hosts


@dataclass(frozen=True)
class _TierRanges:
    """Servers sorted by instance, then tier, with the range each (instance, tier) has in that order."""

    order: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, layout: _Layout) -> _TierRanges:
        keys = np.arange((int(layout.inst_of.max()) + 1) * 3)
        order = np.lexsort((layout.tier, layout.inst_of))
        key = layout.inst_of[order] * 3 + layout.tier[order]
        return cls(order, np.searchsorted(key, keys, side="left"), np.searchsorted(key, keys, side="right"))

    def pick(self, rng: np.random.Generator, inst: np.ndarray, tier: int) -> np.ndarray:
        """A random server of the tier in each instance, or -1 where the instance has none."""
        k = inst * 3 + tier
        lo, hi = self.starts[k], self.ends[k]
        choice = lo + (rng.random(len(inst)) * np.maximum(hi - lo, 1)).astype(np.int64)
        return np.where(hi > lo, self.order[np.minimum(choice, len(self.order) - 1)], -1)


class _Flows:
    """Dependency flows collected part by part: source and destination positions, port."""

    def __init__(self) -> None:
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.port: list[np.ndarray] = []

    def add(self, src: np.ndarray, dst: np.ndarray, port: np.ndarray) -> None:
        self.src.append(src)
        self.dst.append(dst)
        self.port.append(port)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.src), np.concatenate(self.dst), np.concatenate(self.port)


def _dependencies(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    layout: _Layout,
    per_server: float,
    coupled: np.random.Generator | None = None,
) -> pd.DataFrame:
    ranges = _TierRanges.of(layout)
    flows = _Flows()
    _tier_calls(rng, layout, ranges, flows)
    _replication(ranges, flows)
    _cross_application_calls(rng, layout, ranges, flows)
    if coupled is not None:
        _system_calls(coupled, layout, ranges, flows)
    _shared_service_calls(rng, layout.n, flows)
    src, dst, port = _repeat_flows(rng, *flows.arrays(), target_rows=int(per_server * len(frame)))
    weight = np.maximum(1, np.round(rng.lognormal(3, 1.2, len(src)))).astype(np.int64)
    names = frame["name"].to_numpy()
    return pd.DataFrame(
        {"source": names[src], "target": names[dst], "port": port, "protocol": "tcp", "weight": weight}
    )


def _tier_calls(rng: np.random.Generator, layout: _Layout, ranges: _TierRanges, flows: _Flows) -> None:
    """Tiers: web -> app (8443), app -> db (1433), two calls each."""
    for t_from, t_to, port in ((0, 1, 8443), (1, 2, 1433)):
        s = np.flatnonzero(layout.tier == t_from)
        for _ in range(2):
            d = ranges.pick(rng, layout.inst_of[s], t_to)
            ok = d >= 0
            flows.add(s[ok], d[ok], np.full(int(ok.sum()), port))


def _replication(ranges: _TierRanges, flows: _Flows) -> None:
    """Database replication both ways (strong two-way): the first two databases of each instance."""
    k = np.arange(len(ranges.starts) // 3) * 3 + 2
    pair = (ranges.ends[k] - ranges.starts[k]) >= 2
    a, b = ranges.order[ranges.starts[k][pair]], ranges.order[ranges.starts[k][pair] + 1]
    flows.add(a, b, np.full(len(a), 5022))
    flows.add(b, a, np.full(len(b), 5022))


def _cross_application_calls(
    rng: np.random.Generator, layout: _Layout, ranges: _TierRanges, flows: _Flows
) -> None:
    """App servers call other applications, drawn by popularity (heavy-tailed in-degree), in the same
    environment when the target application has one, else its production instance."""
    app, env = layout.app, layout.env
    callers = np.flatnonzero(layout.tier == 1)
    src = np.repeat(callers, rng.poisson(1.2, len(callers)))
    n_apps = int(app.max()) + 1
    popularity = 1.0 / np.arange(1, n_apps + 1) ** 1.1
    target_app = rng.choice(n_apps, size=len(src), p=popularity / popularity.sum())
    t_inst = _target_instance(layout, target_app, env[src])
    ok = ~np.isnan(t_inst)
    d = ranges.pick(rng, t_inst[ok].astype(np.int64), 1)
    d = np.where(d >= 0, d, ranges.pick(rng, t_inst[ok].astype(np.int64), 2))
    good = (d >= 0) & (app[src[ok]] != target_app[ok])
    flows.add(src[ok][good], d[good], np.full(int(good.sum()), 443))


def _target_instance(layout: _Layout, target_app: np.ndarray, env: np.ndarray) -> np.ndarray:
    """The instance of each target application in the caller's environment, else its production instance
    (NaN when it has neither)."""
    inst_table = pd.DataFrame({"app": layout.app, "env": layout.env, "inst": layout.inst_of}).drop_duplicates(
        ["app", "env"]
    )
    lookup = pd.Series(
        inst_table["inst"].to_numpy(), index=pd.MultiIndex.from_arrays([inst_table["app"], inst_table["env"]])
    )
    t_inst = lookup.reindex(pd.MultiIndex.from_arrays([target_app, env])).to_numpy()
    prod = lookup.reindex(pd.MultiIndex.from_arrays([target_app, np.full(len(env), "prod")])).to_numpy()
    return np.where(np.isnan(t_inst), prod, t_inst)


def _system_calls(rng: np.random.Generator, layout: _Layout, ranges: _TierRanges, flows: _Flows) -> None:
    """Coupled systems: the applications, in a random order, grouped 2 to 5 at a time; every web and app
    server calls the app tier of another application of its system twice (in its environment when that
    application has one), about as often as the tiers of an application call each other."""
    n_apps = int(layout.app.max()) + 1
    sizes = rng.integers(2, 6, size=n_apps)
    sizes = sizes[np.cumsum(sizes) - sizes < n_apps]
    sizes[-1] = n_apps - int(sizes[:-1].sum())
    members = rng.permutation(n_apps)  # system k holds members[start[k]:start[k] + sizes[k]]
    start = np.cumsum(sizes) - sizes
    system_of = np.repeat(np.arange(len(sizes)), sizes)
    pos_of = np.empty(n_apps, dtype=np.int64)
    pos_of[members] = np.arange(n_apps) - start[system_of]
    sys_of_app = np.empty(n_apps, dtype=np.int64)
    sys_of_app[members] = system_of
    callers = np.repeat(np.flatnonzero(layout.tier <= 1), 2)
    k = sys_of_app[layout.app[callers]]
    size = sizes[k]
    coupled = size > 1
    callers, k, size = callers[coupled], k[coupled], size[coupled]
    offset = 1 + (rng.random(len(callers)) * (size - 1)).astype(np.int64)
    target_app = members[start[k] + (pos_of[layout.app[callers]] + offset) % size]
    t_inst = _target_instance(layout, target_app, layout.env[callers])
    ok = ~np.isnan(t_inst)
    d = ranges.pick(rng, t_inst[ok].astype(np.int64), 1)
    d = np.where(d >= 0, d, ranges.pick(rng, t_inst[ok].astype(np.int64), 2))
    good = d >= 0
    flows.add(callers[ok][good], d[good], np.full(int(good.sum()), 443))


def _shared_service_calls(rng: np.random.Generator, n: int, flows: _Flows) -> None:
    """Nearly every workload server talks to the shared services (backup connects the other way)."""
    position = {h: n + i for i, (h, _) in enumerate(SHARED_SERVICES)}
    everyone = np.arange(n)
    for name, port, share, reverse in SHARED_SERVICE_CALLS:
        who = everyone[rng.random(n) < share]
        service = np.full(len(who), position[name])
        flows.add(service if reverse else who, who if reverse else service, np.full(len(who), port))


def _repeat_flows(
    rng: np.random.Generator, src: np.ndarray, dst: np.ndarray, port: np.ndarray, target_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flows repeated (other ports, other 6-hour slots) until there are about ``target_rows`` rows."""
    if len(src) >= target_rows:
        return src, dst, port
    extra = target_rows - len(src)
    pick_rows = rng.integers(0, len(src), extra)
    other_port = np.where(
        rng.random(extra) < 0.3, rng.choice([135, 445, 3389, 22, 5985], extra), port[pick_rows]
    )
    return (
        np.concatenate([src, src[pick_rows]]),
        np.concatenate([dst, dst[pick_rows]]),
        np.concatenate([port, other_port]),
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
