"""Check a finished wave assignment against the eight planning conditions and list every violation.

The scheduler tries to honour the conditions; this module does not trust it: pins, capacity splits and cycles
can force breaks, and each one is reported here with the servers and waves concerned, vectorised over edges.

Each condition is one entry of ``CONDITIONS`` (number, rule, whether breaking it is critical, and its check),
in Azure Migrate's priority order. Everything else that names the conditions (``RULES``,
``CRITICAL_CONDITIONS``, the plan schema's range, README's list) is derived from that one registry, so adding
a condition touches one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migrator.outputs.text import plural
from migrator.settings import CapacitySettings

MAX_PAIRS = 500  # condition 1: split two-way pairs reported at most
MAX_NAMES = 50  # servers listed per violation at most


@dataclass(frozen=True, eq=False)
class WaveContext:
    """A finished wave assignment, as plain arrays: what the conditions are checked on.

    Servers are indexed by position, move groups by index; ``wave`` is NaN for a server not planned in a move
    group (shared services, retired, retained), and only planned servers take part in any condition.
    """

    names: np.ndarray  # server name per server
    application: np.ndarray  # application per server, "" when none
    instance: np.ndarray  # application-instance key per server ("erp (prod)"; own name without application)
    klass: np.ndarray  # "prod" | "nonprod" per server
    cores: np.ndarray  # float per server
    storage_gb: np.ndarray  # float per server
    wave: np.ndarray  # float per server: its migration wave, NaN when not planned in a move group
    server_group: np.ndarray  # move-group index per server, -1 when in none
    group_wave: np.ndarray  # wave per move group (int)
    group_name: np.ndarray  # display name per move group
    group_criticality: np.ndarray  # rank per move group: 0 low, 1 medium, 2 high, 3 critical
    group_complexity: np.ndarray  # rank per move group: 0 low, 1 medium, 2 high
    dep_src: np.ndarray  # dependencies between planned servers: dep_src[i] depends on dep_dst[i]
    dep_dst: np.ndarray
    two_way_a: np.ndarray  # strong two-way dependency pairs (a < b), server positions
    two_way_b: np.ndarray
    capacity: CapacitySettings
    first_wave: int  # first migration wave (2 when a foundation wave precedes)
    protected_waves: int  # how many migration waves, from first_wave, hold no high-risk group

    @property
    def planned(self) -> np.ndarray:
        """Servers moving in a migration wave."""
        return ~np.isnan(self.wave)


@dataclass(frozen=True)
class Violation:
    condition: int
    message: str
    servers: tuple[str, ...]
    waves: tuple[int, ...]

    @property
    def rule(self) -> str:
        return RULES[self.condition]


Check = Callable[[WaveContext], list[Violation]]


@dataclass(frozen=True)
class Condition:
    """One wave-planning condition: its number (priority), rule, severity and check."""

    number: int
    rule: str
    critical: bool  # breaking it makes the plan unsafe to run as is
    check: Check
    note: str = ""  # how the planner honours it, shown after the rule in README's list

    def markdown_item(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.number}. {self.rule}{note}"


def _sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(names)[:MAX_NAMES])


def _two_way_pairs_share_a_wave(ctx: WaveContext) -> list[Violation]:
    a, b, wave, names = ctx.two_way_a, ctx.two_way_b, ctx.wave, ctx.names
    if not len(a):
        return []
    bad = (wave[a] != wave[b]) & ~np.isnan(wave[a]) & ~np.isnan(wave[b])
    out = []
    for i in np.flatnonzero(bad)[:MAX_PAIRS]:
        na, nb, wa, wb = names[a[i]], names[b[i]], int(wave[a[i]]), int(wave[b[i]])
        message = f"{na} and {nb} depend on each other but move in waves {wa} and {wb}"
        out.append(Violation(1, message, (na, nb), tuple(sorted({wa, wb}))))
    return out


def _rows_of(values: np.ndarray, keys: list[Any]) -> list[np.ndarray]:
    """For each of ``keys`` (distinct), the positions of ``values`` equal to it, in order."""
    code = pd.Index(keys).get_indexer(values)
    hit = np.flatnonzero(code >= 0)
    order = hit[np.argsort(code[hit], kind="stable")]
    counts = np.bincount(code[hit], minlength=len(keys))
    return np.split(order, np.cumsum(counts)[:-1]) if len(keys) else []


def _application_shares_a_wave(ctx: WaveContext) -> list[Violation]:
    sel = np.flatnonzero(ctx.planned & (ctx.application != ""))
    if not len(sel):
        return []
    key, wave, names = ctx.instance[sel], ctx.wave[sel], ctx.names[sel]
    spread = pd.Series(wave).groupby(key).nunique()
    broken = sorted(spread.index[spread.to_numpy() > 1])
    out = []
    for k, rows in zip(broken, _rows_of(key, broken), strict=True):  # the broken applications' rows only
        waves = tuple(sorted(int(x) for x in np.unique(wave[rows])))
        message = f"application {k} is spread over waves {', '.join(map(str, waves))}"
        out.append(Violation(2, message, _sorted_names(names[rows]), waves))
    return out


def _targets_move_first(ctx: WaveContext) -> list[Violation]:
    """One violation per (source group, target group) pair, with its first server dependency as example."""
    s, d, wave, names = ctx.dep_src, ctx.dep_dst, ctx.wave, ctx.names
    if not len(s):
        return []
    bad = (wave[d] > wave[s]) & ~np.isnan(wave[s]) & ~np.isnan(wave[d])
    if not bad.any():
        return []
    sg, dg = ctx.server_group[s[bad]], ctx.server_group[d[bad]]
    pairs = pd.DataFrame({"sg": sg, "dg": dg, "s": s[bad], "d": d[bad]})
    pairs = pairs.sort_values(["sg", "dg", "s", "d"], kind="mergesort")
    counts = pairs.groupby(["sg", "dg"], sort=True).size().to_numpy().tolist()
    first = pairs.drop_duplicates(["sg", "dg"])
    cols = [first[c].tolist() for c in ("sg", "dg", "s", "d")]
    out = []
    for src_g, dst_g, si, di, cnt in zip(*cols, counts, strict=True):
        ws, wd = int(ctx.group_wave[src_g]), int(ctx.group_wave[dst_g])
        message = (
            f"{ctx.group_name[src_g]} (wave {ws}) depends on {ctx.group_name[dst_g]} which moves later "
            f"(wave {wd}); {plural(cnt, 'server dependency')}, for example {names[si]} → {names[di]}"
        )
        out.append(Violation(3, message, (str(names[si]), str(names[di])), (ws, wd)))
    return out


def _dev_test_before_production(ctx: WaveContext) -> list[Violation]:
    sel = np.flatnonzero(ctx.planned & (ctx.application != ""))
    if not len(sel):
        return []
    app, klass, wave, names = ctx.application[sel], ctx.klass[sel], ctx.wave[sel], ctx.names[sel]
    nonprod, prod = klass == "nonprod", klass == "prod"
    last_np = pd.Series(wave[nonprod]).groupby(app[nonprod]).max()
    first_p = pd.Series(wave[prod]).groupby(app[prod]).min()
    both = last_np.index.intersection(first_p.index)
    late = sorted(both[last_np[both].to_numpy() > first_p[both].to_numpy()])
    wn, wp = last_np.reindex(late).tolist(), first_p.reindex(late).tolist()
    out = []
    for a, rows, n_wave, p_wave in zip(late, _rows_of(app, late), wn, wp, strict=True):
        message = (
            f"application {a}: dev/test moves in wave {int(n_wave)}, after production (wave {int(p_wave)})"
        )
        out.append(Violation(4, message, _sorted_names(names[rows]), (int(p_wave), int(n_wave))))
    return out


def _production_apart_from_dev_test(ctx: WaveContext) -> list[Violation]:
    frame = pd.DataFrame({"klass": ctx.klass, "wave": ctx.wave, "name": ctx.names})[ctx.planned]
    if not len(frame):
        return []
    mixed = frame.groupby("wave")["klass"].nunique()
    mixed_waves = mixed.index[mixed > 1]
    dev_test = frame[(frame["klass"] == "nonprod") & frame["wave"].isin(mixed_waves)]
    rows = dev_test.groupby("wave").indices
    out = []
    for wv in sorted(mixed_waves):
        part = dev_test.iloc[rows[wv]]
        message = f"wave {int(wv)} moves production and dev/test servers together ({len(part)} dev/test)"
        out.append(Violation(5, message, _sorted_names(part["name"]), (int(wv),)))
    return out


def _held_out_of_protected_waves(
    ctx: WaveContext, condition: int, rank: np.ndarray, label: str
) -> list[Violation]:
    """Groups ranked high or above (rank >= 2) moving in the first ``protected_waves`` migration waves."""
    if not len(ctx.group_wave) or ctx.protected_waves <= 0:
        return []
    early = (ctx.group_wave - ctx.first_wave) < ctx.protected_waves
    held = np.flatnonzero(early & (rank >= 2))
    if not len(held):
        return []
    members_of = pd.Series(np.arange(len(ctx.server_group))).groupby(ctx.server_group).indices
    out = []
    for gi in held:
        members = members_of.get(gi, np.zeros(0, dtype=np.int64))
        wv = int(ctx.group_wave[gi])
        message = (
            f"{label} group {ctx.group_name[gi]} is in wave {wv}, "
            f"one of the first {ctx.protected_waves} migration waves"
        )
        out.append(Violation(condition, message, _sorted_names([str(n) for n in ctx.names[members]]), (wv,)))
    return out


def _criticality_held_back(ctx: WaveContext) -> list[Violation]:
    return _held_out_of_protected_waves(ctx, 6, ctx.group_criticality, "high-criticality")


def _complexity_held_back(ctx: WaveContext) -> list[Violation]:
    return _held_out_of_protected_waves(ctx, 7, ctx.group_complexity, "high-complexity")


def _waves_within_limits(ctx: WaveContext) -> list[Violation]:
    cap = ctx.capacity
    frame = pd.DataFrame({"wave": ctx.wave, "cores": ctx.cores, "storage": ctx.storage_gb})[ctx.planned]
    if not len(frame):
        return []
    tot = frame.groupby("wave").agg(n=("cores", "size"), cores=("cores", "sum"), storage=("storage", "sum"))
    wave = tot.index.to_numpy().astype(int).tolist()
    n, cores, storage = (tot[c].to_numpy(float).tolist() for c in ("n", "cores", "storage"))
    too_many = tot["n"].to_numpy() > cap.max_servers
    too_big = tot["cores"].to_numpy() > cap.max_vcpus + 1e-9
    too_full = tot["storage"].to_numpy() > cap.max_storage_gb + 1e-9
    out = []
    for i in np.flatnonzero(too_many | too_big | too_full).tolist():  # the waves over a limit only
        over = []
        if too_many[i]:
            over.append(f"{int(n[i])} servers > {cap.max_servers}")
        if too_big[i]:
            over.append(f"{cores[i]:g} vCPU > {cap.max_vcpus:g}")
        if too_full[i]:
            over.append(f"{storage[i]:g} GiB > {cap.max_storage_gb:g}")
        out.append(Violation(8, f"wave {wave[i]} exceeds its limits: {'; '.join(over)}", (), (wave[i],)))
    return out


CONDITIONS: tuple[Condition, ...] = (
    Condition(1, "servers with strong two-way dependencies share a wave", True, _two_way_pairs_share_a_wave),
    Condition(2, "all servers of an application share a wave", True, _application_shares_a_wave),
    Condition(
        3,
        "a dependency's target moves in the same or an earlier wave than its source",
        True,
        _targets_move_first,
        note="groups in a cycle share a wave",
    ),
    Condition(4, "dev/test moves before production", False, _dev_test_before_production),
    Condition(5, "production and dev/test never share a wave", True, _production_apart_from_dev_test),
    Condition(
        6,
        "high-criticality applications are not in the earliest waves",
        False,
        _criticality_held_back,
        note="`planning.protected_waves` says how many",
    ),
    Condition(
        7,
        "high-complexity applications are not in the earliest waves",
        False,
        _complexity_held_back,
        note="`planning.protected_waves` says how many",
    ),
    Condition(8, "each wave stays within its size limits", True, _waves_within_limits),
)
"""The conditions in Azure Migrate's priority order: the one place that defines them."""

RULES: dict[int, str] = {c.number: c.rule for c in CONDITIONS}
CRITICAL_CONDITIONS: frozenset[int] = frozenset(c.number for c in CONDITIONS if c.critical)


def condition_numbers() -> tuple[int, ...]:
    """The condition numbers, in priority order (the plan schema's range of ``violations[].condition``)."""
    return tuple(c.number for c in CONDITIONS)


def markdown_list(indent: str = "   ") -> str:
    """README's numbered list of the conditions (nested under its "5. **Waves.**" item by ``indent``)."""
    items = [f"{indent}{c.markdown_item()}" for c in CONDITIONS]
    return "\n".join(f"{item};" for item in items[:-1]) + f"\n{items[-1]}.\n"


def check_conditions(ctx: WaveContext) -> list[Violation]:
    """Every violation of every condition, ordered by condition, then waves, then message."""
    out = [violation for condition in CONDITIONS for violation in condition.check(ctx)]
    return sorted(out, key=lambda v: (v.condition, v.waves, v.message))
