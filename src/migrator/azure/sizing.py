"""Right-size every migrating server to an Azure VM size and price it, vectorised over the inventory.

Performance-based by default, as Azure Migrate does it: required vCPU = cores x CPU utilisation percentile x
comfort factor, required memory likewise; a counter without utilisation is sized as on premises, and each
server says which basis was used. The size is the cheapest one of the allowed series in the region that meets
vCPU, memory and data-disk count (pay-as-you-go, 730 hours a month). Restrictions in the catalog concern the
subscription that collected it, not the region, so they are reported, never used to filter. Disks map to
managed-disk tiers by size and, where known, by IOPS and throughput.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migrator.azure.catalog import Catalog, load_catalog
from migrator.azure.confidence import server_confidence
from migrator.azure.config import SizingSettings
from migrator.azure.readiness import boot_nic_readiness, load_rules, os_readiness
from migrator.errors import Finding
from migrator.outputs.text import plural
from migrator.schema import MIGRATING_DISPOSITIONS

MAX_DISK_GIB = 32_767
# Azure Migrate's "all series": general purpose (A, D), compute (F), memory (E, G, M) and storage (L)
# optimised, without the confidential DC and EC series; no burstable B, which Azure Migrate's series list
# (AzureVmFamily) does not have.
ALL_SERIES = re.compile(r"^(?!DC|EC)[ADEFGLM]")
DISK_TYPES = {"premium": "Premium_LRS", "standard-ssd": "StandardSSD_LRS", "standard-hdd": "Standard_LRS"}

_WINDOWS = re.compile(r"windows", re.I)
_LINUX = re.compile(
    r"linux|rhel|red\s*hat|ubuntu|centos|suse|sles|debian|oracle|rocky|alma|fedora|amazon|photon|flatcar|coreos",
    re.I,
)


@dataclass(frozen=True)
class SizingResult:
    per_server: pd.DataFrame  # aligned to the servers' index
    assumptions: tuple[str, ...]
    catalog_info: dict[str, Any]
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def os_type(os_text: pd.Series) -> pd.Series:
    """windows, linux or unknown per server; each distinct text matched once (a few dozen in 100,000 VMs)."""
    distinct, back = _distinct(os_text)
    win = distinct.str.contains(_WINDOWS, na=False).to_numpy()
    lin = distinct.str.contains(_LINUX, na=False).to_numpy() & ~win
    kind = np.where(win, "windows", np.where(lin, "linux", "unknown"))
    return pd.Series(kind[back], index=os_text.index, dtype=object)


def _distinct(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct values of ``text`` and, per row, the position of its value among them."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    return pd.Series(np.asarray(uniques, dtype=object)), codes


def requirements(
    servers: pd.DataFrame, settings: SizingSettings, disks: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Required vCPU, memory and data disks per server, and the basis used (``disks``: the servers'
    :func:`disk_table`, computed when not given)."""
    cores = servers["cores"].to_numpy(float)
    mem = servers["memory_gb"].to_numpy(float)
    cpu = servers["cpu_util_pct"].to_numpy(float)
    mu = servers["memory_util_pct"].to_numpy(float)
    perf = settings.basis == "performance"
    cpu_known = perf & ~np.isnan(cpu)
    mem_known = perf & ~np.isnan(mu)
    # As Azure Migrate documents it, the comfort factor multiplies the allocation in as-is sizing too; a
    # counter without utilisation in performance sizing keeps its allocation as it is.
    cf = settings.comfort_factor
    as_is = 1.0 if perf else cf
    need_cpu = np.where(cpu_known, cores * np.nan_to_num(cpu) / 100.0 * cf, cores * as_is)
    need_mem = np.where(mem_known, mem * np.nan_to_num(mu) / 100.0 * cf, mem * as_is)
    need_cpu = np.maximum(np.ceil(need_cpu - 1e-9), 1)
    need_mem = np.maximum(need_mem, 0.5)
    # Which of the two counters are measured picks the basis: neither, CPU only, memory only, both.
    bases = np.array(
        [
            "as on premises",
            "performance (partial: memory as on premises)",
            "performance (partial: CPU as on premises)",
            "performance",
        ]
    )
    basis = bases[cpu_known.astype(np.int64) + 2 * mem_known.astype(np.int64)]
    disks = disk_table(servers, settings) if disks is None else disks
    data_disks = np.bincount(
        disks["server"].to_numpy()[disks["position"].to_numpy() > 0], minlength=len(servers)
    )
    return pd.DataFrame(
        {"need_vcpus": need_cpu, "need_memory_gb": need_mem, "need_data_disks": data_disks, "basis": basis},
        index=servers.index,
    )


def disk_table(servers: pd.DataFrame, settings: SizingSettings) -> pd.DataFrame:
    """One row per disk: server position, position (0 = OS disk), size; IOPS and MB/s shared evenly.

    A server without a disk list has an OS disk, plus one data disk holding the rest of the provisioned
    storage (rounded to 0.1 GiB and to 6 significant digits, as ``%g`` prints it).
    """
    listed = servers["disks_gb"].fillna("").astype(str)
    given = listed.ne("").to_numpy()
    storage = servers["storage_gb"].to_numpy(float)
    os_gb = settings.os_disk_gb
    derived = np.flatnonzero(~given)
    rest = np.flatnonzero(~given & (storage > os_gb))
    parts = listed[given].str.split(";")
    server = np.concatenate(
        (derived, rest, np.repeat(np.flatnonzero(given), parts.map(len).to_numpy(np.int64)))
    ).astype(np.int64)
    size = np.concatenate(
        (
            np.full(len(derived), float(f"{os_gb:g}")),
            _as_printed(np.round(storage[rest] - os_gb, 1)),
            pd.to_numeric(parts.explode().to_numpy(), errors="coerce").astype(float),
        )
    )
    keep = ~np.isnan(size) & (size > 0)
    order = np.argsort(server[keep], kind="stable")  # per server: OS disk, then the data disks in order
    server, size = server[keep][order], size[keep][order]
    first = np.searchsorted(server, server, side="left")
    counts = np.bincount(server, minlength=len(servers))[server]
    return pd.DataFrame(
        {
            "server": server,
            "size": size,
            "position": np.arange(len(server), dtype=np.int64) - first,
            "iops": servers["iops"].to_numpy(float)[server] / counts,
            "mbps": servers["throughput_mbps"].to_numpy(float)[server] / counts,
        }
    )


def _as_printed(values: np.ndarray) -> np.ndarray:
    """Sizes rounded to 0.1 as ``%g`` prints them (six significant digits): unchanged below 100,000."""
    out = values.copy()
    large = np.abs(values) >= 1e5
    if large.any():
        out[large] = pd.to_numeric(np.char.mod("%g", values[large]), errors="coerce")
    return out


def disk_tiers(disks: pd.DataFrame, catalog: Catalog, settings: SizingSettings) -> pd.DataFrame:
    """Smallest tier of the chosen disk type meeting size and, where known, IOPS and throughput."""
    tiers = (
        catalog.disks[catalog.disks["type"] == DISK_TYPES[settings.disk_type]]
        .sort_values("max_size_gib", kind="mergesort")
        .reset_index(drop=True)
    )
    if tiers.empty:
        return disks.assign(tier="", tier_price=np.nan, fits=False)
    sizes = tiers["max_size_gib"].to_numpy(float)
    by_size = np.searchsorted(sizes, disks["size"].to_numpy(float), side="left")
    iops_ok = np.maximum.accumulate(tiers["iops"].to_numpy(float))
    mbps_ok = np.maximum.accumulate(tiers["mbps"].to_numpy(float))
    by_iops = np.searchsorted(iops_ok, np.nan_to_num(disks["iops"].to_numpy(float)), side="left")
    by_mbps = np.searchsorted(mbps_ok, np.nan_to_num(disks["mbps"].to_numpy(float)), side="left")
    idx = np.maximum(by_size, np.maximum(by_iops, by_mbps))
    fits = by_size < len(tiers)
    idx = np.minimum(idx, len(tiers) - 1)
    return disks.assign(
        tier=np.where(fits, tiers["tier"].to_numpy()[idx], ""),
        tier_price=np.where(fits, tiers["monthly_price"].to_numpy()[idx], np.nan),
        fits=fits,
    )


def readiness(servers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Readiness of each server's operating system by Azure Migrate's published rules (azure/readiness.py),
    the rules run once per distinct operating system text."""
    distinct, back = _distinct(servers["os"])
    state, reason, _ = os_readiness(distinct)
    return state[back], reason[back]


def _choose(req: pd.DataFrame, cands: pd.DataFrame, price_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Index into ``cands`` of the cheapest feasible size per requirement row (-1 when none).

    A matrix search over requirement rows and candidates, in chunks that bound the memory used.
    """
    cands = cands[cands[price_col].notna()].sort_values(
        [price_col, "vcpus", "memory_gb", "name"], kind="mergesort"
    )
    if cands.empty or req.empty:
        return np.full(len(req), -1, dtype=np.int64), cands.index.to_numpy()
    cv, cm, cd = (
        cands["vcpus"].to_numpy(float),
        cands["memory_gb"].to_numpy(float),
        cands["max_data_disks"].to_numpy(float),
    )
    rv, rm, rd = (
        req["need_vcpus"].to_numpy(float),
        req["need_memory_gb"].to_numpy(float),
        req["need_data_disks"].to_numpy(float),
    )
    out = np.full(len(req), -1, dtype=np.int64)
    step = max(1, 2_000_000 // max(len(cands), 1))
    for start in range(0, len(req), step):
        sl = slice(start, start + step)
        ok = (
            (cv[None, :] >= rv[sl, None])
            & (cm[None, :] >= rm[sl, None] - 1e-9)
            & (cd[None, :] >= rd[sl, None])
        )
        first = ok.argmax(axis=1)
        out[sl] = np.where(ok.any(axis=1), first, -1)
    return out, cands.index.to_numpy()


def _join_positions(disks: pd.DataFrame, text: pd.Series) -> pd.Series:
    """Per server with disks, the disks' text joined with ';' in disk order (``disks`` sorted by server and
    position, as :func:`disk_table` gives them). Each distinct sequence of texts is joined once: a server x
    position matrix of text codes, its distinct rows joined in Python (a handful in 100,000 servers)."""
    server, position = disks["server"].to_numpy(), disks["position"].to_numpy()
    codes, names = pd.factorize(text.astype(object).to_numpy(), use_na_sentinel=False)
    owners, row = np.unique(server, return_inverse=True)
    wide = np.full((len(owners), int(position.max()) + 1 if len(position) else 0), -1, dtype=np.int64)
    wide[row, position] = codes
    key = np.zeros(len(owners), dtype=np.int64)
    for column in wide.T:  # the row's sequence numbered, one position at a time
        key = pd.factorize(key * (len(names) + 1) + column + 1)[0]
    _, first, back = np.unique(key, return_index=True, return_inverse=True)
    joined = np.array(
        [";".join(str(names[c]) for c in wide[i][wide[i] >= 0]).rstrip(";") for i in first], dtype=object
    )
    return pd.Series(joined[back] if len(owners) else [], index=owners, dtype=object)


def size_servers(
    servers: pd.DataFrame, settings: SizingSettings, catalog: Catalog | None = None
) -> SizingResult:
    catalog = catalog or load_catalog(settings.region, settings.catalog)
    ostype = os_type(servers["os"].fillna("").astype(str))
    disk_rows = disk_table(servers, settings)
    req = requirements(servers, settings, disk_rows)
    sizes, findings = _allowed_sizes(catalog, settings)
    moving = servers["disposition"].isin(MIGRATING_DISPOSITIONS).to_numpy()
    win = (ostype == "windows").to_numpy()
    picks = _pick(req, sizes, catalog, moving, win)
    rates = _Rates.of(picks, win, settings)
    disks = _DiskCosts.of(disk_rows, catalog, settings)
    state, reason = _readiness_of(servers, req, sizes, moving & ~picks.ok, disks.too_big)
    state = np.where(moving, state, "Not applicable")
    reason = np.where(moving, reason, "not migrated (" + servers["disposition"].astype(str).to_numpy() + ")")
    per = pd.DataFrame(index=servers.index)
    _size_columns(per, picks, req, moving, ostype)
    per["readiness"] = state
    per["readiness_reason"] = reason
    per["disk_tiers"] = np.where(
        moving,
        disks.tiers_text.reindex(range(len(servers))).fillna("").to_numpy(),
        np.array(None, dtype=object),
    )
    _cost_columns(per, picks, rates, disks, moving, settings.hours_per_month)
    restrictions = catalog.sizes["restrictions"].map(len).gt(0).to_numpy()
    per["restricted_for_collecting_subscription"] = np.where(
        picks.ok, restrictions[np.maximum(picks.chosen, 0)], False
    )
    per = per.join(server_confidence(servers, settings.basis, moving))
    findings += _findings(per, ostype, moving, moving & picks.ok & np.isnan(rates.hourly), catalog)
    return SizingResult(
        per_server=per,
        assumptions=_assumptions(settings, catalog),
        catalog_info=catalog.info(),
        findings=tuple(findings),
    )


def _allowed_sizes(catalog: Catalog, settings: SizingSettings) -> tuple[pd.DataFrame, list[Finding]]:
    """The sizes sizing may choose from (allowed series, x64, not restricted in the region itself)."""
    regional = (
        catalog.sizes["regional_restriction"].fillna(False).astype(bool)
        if "regional_restriction" in catalog.sizes
        else False
    )
    # A restriction of the region itself (from a refreshed catalog) removes the size; one that only concerns
    # the subscription that collected the catalog does not.
    wanted, missing_series = resolve_families(settings.families, catalog.sizes["series"])
    sizes = catalog.sizes[catalog.sizes["series"].isin(wanted) & catalog.sizes["arch"].eq("x64") & ~regional]
    findings: list[Finding] = []
    missing_series = sorted(set(missing_series) | (set(wanted) - set(sizes["series"])))
    if missing_series:
        findings.append(
            Finding(
                "sizing-series",
                f"series not in the {catalog.region} catalog: {', '.join(missing_series)}",
                severity="info",
            )
        )
    return sizes, findings


def resolve_families(families: tuple[str, ...], series: pd.Series) -> tuple[list[str], list[str]]:
    """The catalog series the settings name, and the names not in the catalog.

    Names compare case-insensitively (Azure Migrate's ``DSv2_series`` is the catalog's ``DSv2``; the config
    has already dropped the ``_series`` suffix); ``all`` is every general-purpose, compute-, memory- and
    storage-optimised series (A, D, E, F, G, L, M), as Azure Migrate's "all series": GPU (N), HPC (H) and
    confidential (DC, EC) series only when named.
    """
    known = sorted({str(x) for x in series.dropna().unique() if str(x)})
    by_lower = {k.lower(): k for k in known}
    wanted: list[str] = []
    missing: list[str] = []
    for name in families:
        if name.lower() == "all":
            wanted += [k for k in known if ALL_SERIES.match(k)]
        elif name.lower() in by_lower:
            wanted.append(by_lower[name.lower()])
        else:
            missing.append(name)
    return sorted(set(wanted)), missing


@dataclass(frozen=True)
class _Picks:
    """The size chosen per server: a row label of ``catalog.sizes``, -1 when none fits (or not migrating)."""

    chosen: np.ndarray
    at: pd.DataFrame  # the catalog rows of the chosen sizes, for the servers with one, in server order

    @property
    def ok(self) -> np.ndarray:
        return self.chosen >= 0

    def column(self, name: str, default: Any = np.nan) -> np.ndarray:
        """A column of the chosen sizes per server, ``default`` where none was chosen."""
        kind = object if isinstance(default, str) or default is None else float
        out = np.full(len(self.chosen), default, dtype=kind)
        out[self.ok] = self.at[name].to_numpy()
        return out


def _pick(
    req: pd.DataFrame, sizes: pd.DataFrame, catalog: Catalog, moving: np.ndarray, win: np.ndarray
) -> _Picks:
    """The cheapest allowed size per migrating server, at the Windows or the Linux price."""
    chosen = np.full(len(req), -1, dtype=np.int64)
    for is_win, col in ((True, "windows"), (False, "linux")):
        rows = np.flatnonzero(moving & (win == is_win))
        pick, order = _choose(req.iloc[rows], sizes, col)
        chosen[rows] = np.where(pick >= 0, order[np.maximum(pick, 0)], -1)
    return _Picks(chosen=chosen, at=catalog.sizes.reindex(chosen[chosen >= 0]))


@dataclass(frozen=True)
class _Rates:
    """Hourly rates per server: pay-as-you-go, with Azure Hybrid Benefit, 1- and 3-year reservations."""

    hourly: np.ndarray
    ahb: np.ndarray
    r1: np.ndarray
    r3: np.ndarray

    @classmethod
    def of(cls, picks: _Picks, win: np.ndarray, settings: SizingSettings) -> _Rates:
        linux, windows = picks.column("linux"), picks.column("windows")
        hourly = np.where(win, windows, linux).astype(float)
        return cls(
            hourly=hourly,
            ahb=np.where(win & settings.windows_licences_owned, linux, hourly).astype(float),
            r1=np.where(win, picks.column("windows_1y"), picks.column("linux_1y")).astype(float),
            r3=np.where(win, picks.column("windows_3y"), picks.column("linux_3y")).astype(float),
        )


@dataclass(frozen=True)
class _DiskCosts:
    """Per server (by position): the disks' tiers as text, their monthly price, the largest unfitting disk."""

    tiers_text: pd.Series
    price: pd.Series
    known: pd.Series  # every disk of the server has a price
    too_big: pd.Series  # size of the largest disk no tier holds, for servers with one

    @classmethod
    def of(cls, disk_rows: pd.DataFrame, catalog: Catalog, settings: SizingSettings) -> _DiskCosts:
        disks = disk_tiers(disk_rows, catalog, settings)
        return cls(
            tiers_text=_join_positions(disks, disks["tier"].where(disks["fits"], "too large")),
            price=disks.groupby("server")["tier_price"].sum(min_count=1),
            known=disks["tier_price"].notna().groupby(disks["server"]).all(),
            too_big=disks[~disks["fits"]].groupby("server")["size"].max(),
        )


def _readiness_of(
    servers: pd.DataFrame,
    req: pd.DataFrame,
    sizes: pd.DataFrame,
    no_fit: np.ndarray,
    too_big: pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """Readiness and its reason per server: the operating system's, then Azure Migrate's machine checks (no
    size fits, beyond Azure's largest VM, too many disks, a disk too large); the last failing check wins."""
    state, reason = readiness(servers)
    reason = reason.astype(object)
    bad, why = boot_nic_readiness(servers)
    state[bad], reason[bad] = "Not ready", why[bad]
    if no_fit.any():
        state[no_fit] = "Not ready"
        reason[no_fit] = _no_fit_reasons(req, sizes, no_fit)
    limits = load_rules()
    vcpus, mem = req["need_vcpus"].to_numpy(float), req["need_memory_gb"].to_numpy(float)
    beyond = (vcpus > limits.max_cores) | (mem > limits.max_memory_gb)
    state[beyond] = "Not ready"
    reason[beyond] = [
        f"VM with required cores and memory not found: needs {v:g} vCPU and {m:g} GiB, more than an Azure VM "
        f"supports ({limits.max_cores} cores, {limits.max_memory_gb:,g} GB)"
        for v, m in zip(vcpus[beyond], mem[beyond], strict=True)
    ]
    disks = req["need_data_disks"].to_numpy(float) + 1
    many = disks > limits.max_disks
    state[many] = "Not ready"
    reason[many] = [
        f"Disk count exceeds limit: {d:g} disks, at most {limits.max_disks} including the OS disk; "
        "remove unused disks from the server before migration"
        for d in disks[many]
    ]
    if len(too_big):
        pos = too_big.index.to_numpy()
        state[pos] = "Not ready"
        reason[pos] = [
            f"One or more unsuitable disks: a disk of {s:g} GiB exceeds the {MAX_DISK_GIB:,} GiB "
            "managed-disk maximum"
            for s in too_big.to_numpy()
        ]
    return state, reason


def _no_fit_reasons(req: pd.DataFrame, sizes: pd.DataFrame, no_fit: np.ndarray) -> list[str]:
    largest = sizes.sort_values(["vcpus", "memory_gb"]).tail(1)
    lv = int(largest["vcpus"].to_numpy()[0]) if len(largest) else 0
    lm = float(largest["memory_gb"].to_numpy()[0]) if len(largest) else 0.0
    return [
        f"VM with required cores and memory not found: needs {int(v)} vCPU, {m:g} GiB and {int(d)} data "
        f"disks, no size of the allowed series fits (largest {lv} vCPU, {lm:g} GiB)"
        for v, m, d in zip(
            req["need_vcpus"].to_numpy()[no_fit],
            req["need_memory_gb"].to_numpy()[no_fit],
            req["need_data_disks"].to_numpy()[no_fit],
            strict=True,
        )
    ]


def _size_columns(
    per: pd.DataFrame, picks: _Picks, req: pd.DataFrame, moving: np.ndarray, ostype: pd.Series
) -> None:
    ok = picks.ok
    per["azure_size"] = np.where(ok, picks.column("name", ""), np.array(None, dtype=object))
    per["azure_vcpus"] = pd.array(np.where(ok, picks.column("vcpus"), np.nan), dtype="Float64").astype(
        "Int64"
    )
    per["azure_memory_gb"] = np.where(ok, picks.column("memory_gb"), np.nan)
    per["sizing_basis"] = np.where(moving, req["basis"].to_numpy(), np.array(None, dtype=object))
    per["required_vcpus"] = np.where(moving, req["need_vcpus"].to_numpy(), np.nan)
    per["required_memory_gb"] = np.where(moving, np.round(req["need_memory_gb"].to_numpy(), 2), np.nan)
    per["os_type"] = ostype.to_numpy()


def _cost_columns(
    per: pd.DataFrame, picks: _Picks, rates: _Rates, disks: _DiskCosts, moving: np.ndarray, hours: float
) -> None:
    ok, n = picks.ok, len(per)
    per["monthly_compute_cost"] = np.where(ok, np.round(rates.hourly * hours, 2), np.nan)
    per["monthly_storage_cost"] = np.where(
        moving & disks.known.reindex(range(n), fill_value=False).to_numpy(),
        np.round(disks.price.reindex(range(n)).to_numpy(float), 2),
        np.nan,
    )
    per["monthly_cost"] = per["monthly_compute_cost"]
    per["monthly_cost_ahb"] = np.where(ok, np.round(rates.ahb * hours, 2), np.nan)
    per["monthly_cost_1y"] = np.where(ok, np.round(rates.r1 * hours, 2), np.nan)
    per["monthly_cost_3y"] = np.where(ok, np.round(rates.r3 * hours, 2), np.nan)


def _findings(
    per: pd.DataFrame, ostype: pd.Series, moving: np.ndarray, price_unknown: np.ndarray, catalog: Catalog
) -> list[Finding]:
    """Findings beyond each server's readiness: unknown OS and prices, restrictions, catalog price defects."""
    findings: list[Finding] = []
    unknown_os = ostype.to_numpy() == "unknown"
    if unknown_os[moving].any():
        findings.append(
            Finding(
                "os-unknown",
                f"{int(unknown_os[moving].sum())} migrating servers have an operating system that is neither "
                "Windows nor Linux (or none): priced at the Linux rate",
                column="os",
            )
        )
    if price_unknown.any():
        findings.append(
            Finding(
                "price-unknown",
                f"{plural(int(price_unknown.sum()), 'server')} "
                f"{'has' if int(price_unknown.sum()) == 1 else 'have'} a size without a known price",
                severity="warning",
            )
        )
    restricted = int(np.sum(per["restricted_for_collecting_subscription"].to_numpy(bool)))
    if restricted:
        findings.append(
            Finding(
                "subscription-restricted",
                f"{restricted} chosen sizes were restricted for the subscription that collected the catalog "
                "(not a regional restriction): check your own subscription with 'migrator azure check'",
                severity="info",
            )
        )
    fixed, dropped = (
        catalog.stats.get("linux_fixed_from_meters"),
        catalog.stats.get("linux_dropped_unverified"),
    )
    if fixed or dropped:
        findings.append(
            Finding(
                "catalog-prices",
                f"catalog price defects handled: {fixed or 0} Linux prices corrected from retail meters, "
                f"{dropped or 0} Linux prices equal to Windows and unverifiable left unknown",
                severity="info",
            )
        )
    return findings


def _all(settings: SizingSettings) -> bool:
    return any(f.lower() == "all" for f in settings.families)


def _assumptions(settings: SizingSettings, catalog: Catalog) -> tuple[str, ...]:
    """The sizing assumptions PLAN.md and plan.json state."""
    return (
        (
            f"Sizing: {settings.basis} basis with a comfort factor of {settings.comfort_factor:g} on the "
            "utilisation percentile in the inventory; a counter without utilisation is sized as on premises."
            if settings.basis == "performance"
            else f"Sizing: as-on-premises basis, allocated cores and memory times the comfort factor of "
            f"{settings.comfort_factor:g} (as Azure Migrate applies it in as-is sizing)."
        ),
        f"Sizes: the cheapest of the series {', '.join(settings.families)}"
        + (" (every general-purpose, compute-, memory- and storage-optimised one)" if _all(settings) else "")
        + f" in {catalog.region} meeting vCPU, "
        f"memory and data-disk count, pay-as-you-go at {settings.hours_per_month:g} hours a month; "
        f"catalog {catalog.origin}, prices of {catalog.snapshot.get('prices')}, "
        f"sizes of {catalog.snapshot.get('skus')}.",
        "Reservation prices (1 and 3 years) are known only for Dsv5 and Esv5 in the bundled snapshot; "
        "elsewhere they are reported unknown.",
        f"Managed disks: {settings.disk_type} tiers by size (and by IOPS and throughput where the inventory "
        f"has them); disk prices: {catalog.disk_prices or 'from the catalog'}.",
        "Azure Hybrid Benefit: "
        + (
            "Windows Server licences owned, Windows VMs priced at the Linux rate (monthly_cost_ahb)."
            if settings.windows_licences_owned
            else "not applied (no Windows Server licences declared)."
        ),
        "SQL Server licences are not priced: the inventory does not say which servers run SQL Server"
        + (" (sql_licences_owned is set, nothing to apply it to)." if settings.sql_licences_owned else "."),
    )
