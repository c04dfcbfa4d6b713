"""Build the bundled sample estate (deterministic): ``python inventories/sample/build_sample.py``.

A fictional manufacturer's data center in Munich: 3 VMware clusters and a few physical servers, ~20
applications across prod, dev and test, shared services (domain controllers, DNS, monitoring, backup,
patching), some applications to retire and an OT historian to retain, and dependency data like an agentless
dependency export aggregated per server pair and port. Rerun after editing; the files it writes are committed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
rng = np.random.default_rng(20261124)

# name, criticality, complexity, disposition, envs, tiers {tier: (count_prod, cores, mem, storage, os)}
APPS = [
    (
        "payroll",
        "critical",
        "",
        "rehost",
        ("prod", "test"),
        {"web": (2, 2, 8, 100, "win22"), "app": (2, 4, 16, 150, "win22"), "db": (2, 8, 64, 1200, "win19sql")},
    ),
    (
        "erp",
        "critical",
        "high",
        "rehost",
        ("prod", "dev", "test"),
        {
            "web": (4, 4, 16, 120, "rhel8"),
            "app": (10, 8, 64, 300, "rhel8"),
            "db": (3, 16, 256, 4000, "rhel8"),
        },
    ),
    (
        "mes",
        "critical",
        "high",
        "rehost",
        ("prod", "test"),
        {
            "web": (3, 4, 16, 100, "win19"),
            "app": (6, 8, 32, 250, "win19"),
            "db": (2, 16, 128, 2500, "win19sql"),
        },
    ),
    (
        "plm",
        "high",
        "",
        "rehost",
        ("prod", "test"),
        {
            "app": (5, 8, 32, 400, "win19"),
            "db": (2, 8, 64, 3000, "win19sql"),
            "file": (2, 4, 16, 8000, "win19"),
        },
    ),
    (
        "crm",
        "medium",
        "",
        "replatform",
        ("prod", "dev", "test"),
        {
            "web": (2, 2, 8, 80, "ubuntu22"),
            "app": (3, 4, 16, 120, "ubuntu22"),
            "db": (2, 8, 32, 800, "ubuntu22"),
        },
    ),
    (
        "hr-portal",
        "medium",
        "",
        "rehost",
        ("prod", "test"),
        {"web": (2, 2, 8, 80, "win22"), "db": (1, 4, 16, 300, "win22sql")},
    ),
    (
        "intranet",
        "low",
        "",
        "rehost",
        ("prod", "dev"),
        {"web": (3, 2, 8, 100, "win19"), "db": (1, 4, 16, 400, "win19sql")},
    ),
    (
        "wiki",
        "low",
        "",
        "replatform",
        ("prod",),
        {"app": (2, 2, 8, 200, "ubuntu20"), "db": (1, 2, 8, 200, "ubuntu20")},
    ),
    (
        "qms",
        "medium",
        "",
        "rehost",
        ("prod", "test"),
        {"app": (3, 4, 16, 150, "win19"), "db": (1, 8, 32, 900, "win19sql")},
    ),
    (
        "edi-gateway",
        "high",
        "",
        "rehost",
        ("prod", "test"),
        {"app": (3, 4, 16, 150, "rhel7"), "db": (1, 8, 32, 600, "rhel7")},
    ),
    (
        "bi-warehouse",
        "medium",
        "high",
        "refactor",
        ("prod", "dev"),
        {
            "etl": (4, 8, 64, 1000, "win19"),
            "db": (2, 16, 256, 12000, "win19sql"),
            "web": (2, 4, 16, 100, "win19"),
        },
    ),
    (
        "labelling",
        "low",
        "",
        "rehost",
        ("prod", "test"),
        {"app": (3, 2, 8, 80, "win12"), "db": (1, 4, 16, 200, "win16sql")},
    ),
    (
        "warehouse-mgmt",
        "high",
        "",
        "rehost",
        ("prod", "test"),
        {"web": (2, 4, 16, 100, "rhel8"), "app": (4, 8, 32, 200, "rhel8"), "db": (2, 8, 64, 1500, "rhel8")},
    ),
    (
        "supplier-portal",
        "medium",
        "",
        "rehost",
        ("prod", "test"),
        {"web": (2, 2, 8, 80, "ubuntu22"), "app": (2, 4, 16, 120, "ubuntu22")},
    ),
    (
        "ci-build",
        "low",
        "",
        "rehost",
        ("dev",),
        {"agent": (8, 8, 16, 300, "ubuntu22"), "server": (1, 4, 16, 500, "ubuntu22")},
    ),
    ("email-relay", "medium", "", "repurchase", ("prod",), {"smtp": (2, 2, 4, 60, "rhel7")}),
    (
        "legacy-inventory",
        "low",
        "",
        "retire",
        ("prod", "test"),
        {"app": (2, 2, 8, 100, "win08"), "db": (1, 4, 16, 400, "win08sql")},
    ),
    (
        "old-reporting",
        "low",
        "",
        "retire",
        ("prod",),
        {"app": (2, 2, 8, 120, "win12"), "db": (1, 4, 16, 500, "win12sql")},
    ),
    (
        "scada-historian",
        "high",
        "",
        "retain",
        ("prod",),
        {"historian": (3, 8, 32, 4000, "win16"), "opc": (2, 4, 8, 100, "win16")},
    ),
    ("cad-license", "medium", "", "rehost", ("prod",), {"flexlm": (2, 2, 4, 60, "win19")}),
]
OS = {
    "win22": "Microsoft Windows Server 2022 Datacenter",
    "win22sql": "Microsoft Windows Server 2022 Datacenter",
    "win19": "Microsoft Windows Server 2019 Standard",
    "win19sql": "Microsoft Windows Server 2019 Standard",
    "win16": "Microsoft Windows Server 2016 Standard",
    "win16sql": "Microsoft Windows Server 2016 Standard",
    "win12": "Microsoft Windows Server 2012 R2 Standard",
    "win12sql": "Microsoft Windows Server 2012 R2 Standard",
    "win08": "Microsoft Windows Server 2008 R2 Enterprise",
    "win08sql": "Microsoft Windows Server 2008 R2 Enterprise",
    "rhel7": "Red Hat Enterprise Linux 7 (64-bit)",
    "rhel8": "Red Hat Enterprise Linux 8 (64-bit)",
    "ubuntu20": "Ubuntu 20.04 LTS",
    "ubuntu22": "Ubuntu 22.04 LTS",
}
DB_PORT = {"win": 1433, "rhe": 5432, "ubu": 5432}
ENV_CODE = {"prod": "p", "dev": "d", "test": "t"}
CLUSTERS = {"CL-PROD-A": (12, "R01"), "CL-PROD-B": (10, "R04"), "CL-DEVTEST": (8, "R07")}

hosts = []
for cluster, (count, rack0) in CLUSTERS.items():
    rack_no = int(rack0[1:])
    for i in range(count):
        hosts.append(
            {
                "host": f"esx-{cluster[3:].lower()}-{i + 1:02d}",
                "cluster": cluster,
                "datacenter": "DC-MUC",
                "rack": f"R{rack_no + i // 5:02d}",
                "cores": 48,
                "memory_gb": 768,
                "power_w": 620 + 10 * (i % 3),
            }
        )
hosts_by_cluster = {c: [h for h in hosts if h["cluster"] == c] for c in CLUSTERS}

servers: list[dict[str, object]] = []
ip_next = [10, 20, 1, 10]


def next_ip() -> str:
    ip_next[3] += 1
    if ip_next[3] > 250:
        ip_next[3] = 10
        ip_next[2] += 1
    return ".".join(map(str, ip_next))


def add(
    name,
    app,
    env,
    cores,
    mem,
    storage,
    os_key,
    crit,
    cplx,
    disp,
    cluster=None,
    physical=False,
    role="",
    power="",
):
    util = rng.random() < 0.88
    row = {
        "name": name,
        "ip": next_ip(),
        "os": OS[os_key],
        "cores": cores,
        "memory_gb": mem,
        "storage_gb": storage,
        "cpu_util_pct": round(float(rng.uniform(8, 75)), 1) if util else "",
        "memory_util_pct": round(float(rng.uniform(30, 92)), 1) if util else "",
        "environment": env,
        "application": app,
        "criticality": crit,
        "complexity": cplx,
        "host": "",
        "cluster": "",
        "datacenter": "DC-MUC",
        "rack": "",
        "power_w": power,
        "disposition": disp,
        "pinned_wave": "",
        "role": role,
        "disks_gb": "",
    }
    disks = [min(storage, 128)] + ([storage - 128] if storage > 128 else [])
    row["disks_gb"] = ";".join(str(int(d)) for d in disks)
    if physical:
        row["rack"] = f"R{10 + len([s for s in servers if s['host'] == '']) // 6:02d}"
    else:
        choices = hosts_by_cluster[cluster]
        h = choices[int(rng.integers(0, len(choices)))]
        row["host"], row["cluster"] = h["host"], cluster
    servers.append(row)
    return row


tier_servers: dict[tuple[str, str, str], list[str]] = {}
for app, crit, cplx, disp, envs, tiers in APPS:
    for env in envs:
        for tier, (count, cores, mem, storage, os_key) in tiers.items():
            n = 2 * count if env == "prod" else max(1, (2 * count) // 3)
            scale = 1 if env == "prod" else 0.5
            names = []
            for i in range(n):
                name = f"muc-{app.replace('-', '')[:8]}-{tier}{i + 1:02d}{ENV_CODE[env]}"
                physical = (
                    (app == "erp" and tier == "db" and env == "prod")
                    or app == "scada-historian"
                    and tier == "historian"
                )
                cluster = "CL-DEVTEST" if env != "prod" else ("CL-PROD-A" if app < "m" else "CL-PROD-B")
                add(
                    name,
                    app,
                    env,
                    max(2, int(cores * scale)),
                    max(4, int(mem * scale)),
                    int(storage * scale),
                    os_key,
                    crit if env == "prod" else "low",
                    cplx if env == "prod" else "",
                    disp,
                    cluster=cluster,
                    physical=physical,
                    power=900 if physical else "",
                )
                names.append(name)
            tier_servers[(app, env, tier)] = names

shared = [
    ("muc-dc01", "domain-controller", "win22"),
    ("muc-dc02", "domain-controller", "win22"),
    ("muc-dns01", "dns", "win22"),
    ("muc-dns02", "dns", "win22"),
    ("muc-mon01", "", "rhel8"),
    ("muc-bkp01", "", "win19"),
    ("muc-wsus01", "", "win19"),
]
for name, role, os_key in shared:
    add(
        name,
        "infrastructure",
        "prod",
        4,
        16,
        200 if "bkp" not in name else 20000,
        os_key,
        "critical",
        "",
        "rehost",
        cluster="CL-PROD-A",
        physical="bkp" in name,
        role=role,
        power=750 if "bkp" in name else "",
    )
# Retire one powered-down file server outright.
servers[-1]["power_w"] = servers[-1]["power_w"]
# Manual pin: the EDI gateway's production cut-over is agreed with trading partners for wave 9.
for s in servers:
    if s["application"] == "edi-gateway" and s["environment"] == "prod":
        s["pinned_wave"] = 9

deps: list[dict[str, object]] = []
OS_OF = {str(s["name"]): str(s["os"]) for s in servers}


def dep(src, dst, port, conns, proto="tcp"):
    deps.append({"source": src, "target": dst, "port": port, "protocol": proto, "weight": int(conns)})


for (app, env, tier), names in tier_servers.items():
    t = {k[2]: v for k, v in tier_servers.items() if k[0] == app and k[1] == env}
    if tier == "web":
        for s in names:
            for d in t.get("app", t.get("etl", [])):
                dep(s, d, 8443, rng.integers(200, 3000))
    if tier in ("app", "etl", "agent", "historian", "smtp", "flexlm"):
        for s in names:
            for d in t.get("db", t.get("server", [])):
                dep(s, d, 1433 if "Windows" in OS_OF[d] else 5432, rng.integers(500, 8000))
    if tier == "db" and len(names) >= 2:  # database clusters replicate both ways
        dep(names[0], names[1], 5022, rng.integers(1000, 5000))
        dep(names[1], names[0], 5022, rng.integers(1000, 5000))
    if tier == "opc":
        for s in names:
            for d in t.get("historian", []):
                dep(s, d, 4840, rng.integers(1000, 9000))

# Cross-application interfaces (production and test instances alike).
CROSS = [
    ("mes", "app", "erp", "app", 8000),
    ("plm", "app", "erp", "app", 8000),
    ("crm", "app", "erp", "app", 8000),
    ("edi-gateway", "app", "erp", "app", 8000),
    ("bi-warehouse", "etl", "erp", "db", 5432),
    ("bi-warehouse", "etl", "mes", "db", 1433),
    ("bi-warehouse", "etl", "crm", "db", 5432),
    ("hr-portal", "web", "payroll", "app", 443),
    ("warehouse-mgmt", "app", "erp", "app", 8000),
    ("labelling", "app", "warehouse-mgmt", "app", 8080),
    ("supplier-portal", "app", "edi-gateway", "app", 443),
    ("mes", "app", "scada-historian", "historian", 5450),
    ("qms", "app", "mes", "app", 8443),
    ("old-reporting", "app", "erp", "db", 5432),
    ("legacy-inventory", "app", "warehouse-mgmt", "db", 5432),
    ("mes", "app", "cad-license", "flexlm", 27000),
    ("plm", "app", "cad-license", "flexlm", 27000),
    ("erp", "app", "email-relay", "smtp", 25),
    ("payroll", "app", "email-relay", "smtp", 25),
]
for sa, st, da, dt_, port in CROSS:
    for env in ("prod", "test", "dev"):
        src = tier_servers.get((sa, env, st)) or []
        dst = tier_servers.get((da, env, dt_)) or tier_servers.get((da, "prod", dt_)) or []
        for s in src:
            for d in dst[:2]:
                dep(s, d, port, rng.integers(50, 1500))

everyone = [s["name"] for s in servers if s["application"] != "infrastructure"]
for s in everyone:
    for dc in ("muc-dc01", "muc-dc02"):
        dep(s, dc, 389, rng.integers(100, 2000))
        dep(s, dc, 88, rng.integers(50, 800))
    dep(s, "muc-dns01" if rng.random() < 0.5 else "muc-dns02", 53, rng.integers(300, 3000), "udp")
    if rng.random() < 0.9:
        dep(s, "muc-mon01", 8443, rng.integers(100, 500))
    if rng.random() < 0.85:
        dep("muc-bkp01", s, 10000, rng.integers(10, 60))
    if str(s).endswith("p") or rng.random() < 0.7:
        dep(s, "muc-wsus01", 8530, rng.integers(5, 40))
# Things the inventory does not know: a trading partner on the internet, a file server already switched off.
for s in tier_servers[("edi-gateway", "prod", "app")]:
    deps.append(
        {
            "source": s,
            "target": "",
            "port": 443,
            "protocol": "tcp",
            "weight": 400,
            "target_ip": "203.0.113.25",
        }
    )
for s in tier_servers[("plm", "prod", "app")][:2]:
    dep(s, "muc-oldfs01", 445, 30)

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
with (HERE / "servers.csv").open("w", newline="") as fh:
    w = csv.DictWriter(fh, cols, lineterminator="\n")
    w.writeheader()
    w.writerows(sorted(servers, key=lambda r: str(r["name"])))
with (HERE / "dependencies.csv").open("w", newline="") as fh:
    w = csv.DictWriter(
        fh, ["source", "target", "port", "protocol", "weight", "target_ip"], lineterminator="\n"
    )
    w.writeheader()
    w.writerows(deps)
with (HERE / "hosts.csv").open("w", newline="") as fh:
    w = csv.DictWriter(
        fh, ["host", "cluster", "datacenter", "rack", "cores", "memory_gb", "power_w"], lineterminator="\n"
    )
    w.writeheader()
    w.writerows(hosts)
print(len(servers), "servers,", len(deps), "dependency rows,", len(hosts), "hosts")
