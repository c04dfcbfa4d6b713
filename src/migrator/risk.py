"""A risk and a confidence for every wave, each with the reasons that made it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.outputs.text import plural


@dataclass(frozen=True)
class Score:
    level: str
    score: int
    reasons: tuple[str, ...]


Points = tuple[int, str]  # points a rule adds to a wave's risk, and the reason ("" for none)


@dataclass(frozen=True)
class WaveFacts:
    """What a wave's risk and confidence are scored on: counts of its servers and move groups."""

    servers: int
    critical: int = 0  # servers by criticality
    high: int = 0
    medium: int = 0
    cross: int = 0  # servers keeping a dependency across waves
    complex_groups: int = 0  # move groups of high complexity
    pinned_groups: int = 0  # move groups placed by a pin
    no_deps: int = 0  # servers without observed dependencies
    no_util: int = 0  # servers without CPU or memory utilisation
    no_app: int = 0  # servers without application
    no_crit: int = 0  # servers without criticality
    off: int = 0  # servers powered off


def server_flags(members: pd.DataFrame) -> pd.DataFrame:
    """Per server, 0/1 for each count of :class:`WaveFacts` its columns allow (criticality and has_cross for
    risk; has_deps, utilisation, application, criticality and power_state for confidence)."""
    cols = members.columns
    flags: dict[str, np.ndarray] = {}
    if "criticality" in cols:
        crit = members["criticality"]
        for level in ("critical", "high", "medium"):
            flags[level] = crit.isin([level]).to_numpy()
    if "has_cross" in cols:
        flags["cross"] = members["has_cross"].to_numpy(dtype=bool)
    if "has_deps" in cols:
        flags["no_deps"] = ~members["has_deps"].to_numpy(dtype=bool)
        flags["no_util"] = (members["cpu_util_pct"].isna() | members["memory_util_pct"].isna()).to_numpy()
        flags["no_app"] = members["application"].eq("").to_numpy()
        flags["no_crit"] = members["criticality"].eq("").to_numpy()
        flags["off"] = members["power_state"].eq("off").to_numpy()
    return pd.DataFrame({k: v.astype(np.int64) for k, v in flags.items()}, index=members.index)


def group_flags(groups: pd.DataFrame) -> pd.DataFrame:
    """Per move group, 0/1: of high complexity, placed by a pin."""
    return pd.DataFrame(
        {
            "complex_groups": (groups["complexity"] >= 2).to_numpy(np.int64),
            "pinned_groups": groups["pinned"].to_numpy(dtype=bool).astype(np.int64),
        },
        index=groups.index,
    )


def facts_of(members: pd.DataFrame, groups: pd.DataFrame | None = None) -> WaveFacts:
    """One wave's facts from its servers and move groups."""
    counts = {str(k): int(v) for k, v in server_flags(members).sum().items()}
    if groups is not None and len(groups):
        counts.update({str(k): int(v) for k, v in group_flags(groups).sum().items()})
    return WaveFacts(servers=len(members), **counts)


def facts_by_wave(members: pd.DataFrame, groups: pd.DataFrame) -> dict[int, WaveFacts]:
    """Every wave's facts in one group-by of the servers and one of the move groups (each with a ``wave``
    column; rows without a wave left out): the same as :func:`facts_of` wave by wave."""
    flags = server_flags(members).assign(servers=1, wave=members["wave"].to_numpy())
    per = flags.groupby("wave", sort=True).sum()
    if len(groups):
        by_group = group_flags(groups).assign(wave=groups["wave"].to_numpy()).groupby("wave").sum()
        per = per.join(by_group, how="left").fillna(0)
    rows = per.astype(np.int64).to_dict("records")
    return {
        int(w): WaveFacts(**{str(k): int(v) for k, v in row.items()})
        for w, row in zip(per.index.tolist(), rows, strict=True)
    }


def wave_risk(
    wave: int,
    kind: str,
    members: pd.DataFrame,  # servers of the wave: criticality, has_cross (bool)
    groups: pd.DataFrame,  # groups of the wave: complexity, pinned
    fill: float,  # largest share of a capacity limit used
    violations: int,
) -> Score:
    """Risk 0-100 (low under 30, high from 60): the sum of each rule's points, with their reasons."""
    return risk_score(kind, facts_of(members, groups), fill, violations)


def risk_score(kind: str, facts: WaveFacts, fill: float, violations: int) -> Score:
    """:func:`wave_risk` on a wave's counts."""
    rules = (
        _kind_points(kind),
        _criticality_points(facts),
        _complexity_points(facts.complex_groups),
        _cross_wave_points(facts),
        _fill_points(fill),
        _violation_points(violations),
        _pin_note(facts.pinned_groups),
    )
    score = int(min(100, sum(points for points, _ in rules)))
    reasons = [reason for _, reason in rules if reason]
    level = "low" if score < 30 else "medium" if score < 60 else "high"
    if not reasons:
        reasons.append("dev/test or low-criticality servers with no known cross-wave dependencies")
    return Score(level, score, tuple(reasons))


def _kind_points(kind: str) -> Points:
    if kind == "prod":
        return 25, "production workloads"
    if kind == "foundation":
        return 20, "shared services every later wave relies on"
    return 0, ""


def _criticality_points(facts: WaveFacts) -> Points:
    """The most critical servers count: critical 25, else high 15, else medium 5 (no reason given)."""
    if facts.critical:
        return 25, plural(facts.critical, "business-critical server")
    if facts.high:
        return 15, plural(facts.high, "high-criticality server")
    return (5, "") if facts.medium else (0, "")


def _complexity_points(n_complex: int) -> Points:
    return (
        (min(20, 10 * n_complex), plural(n_complex, "high-complexity move group")) if n_complex else (0, "")
    )


def _cross_wave_points(facts: WaveFacts) -> Points:
    """Up to 20 points by the share of servers with dependencies to other waves."""
    share = facts.cross / facts.servers if facts.servers else 0.0
    if share > 0:
        return (
            int(round(20 * share)),
            f"{share:.0%} of its servers keep dependencies across waves (hybrid traffic)",
        )
    return 0, ""


def _fill_points(fill: float) -> Points:
    return (10, f"uses {fill:.0%} of a capacity limit") if fill > 0.9 else (0, "")


def _violation_points(violations: int) -> Points:
    if not violations:
        return 0, ""
    return min(20, 5 * violations), f"{plural(violations, 'planning condition')} broken in this wave"


def _pin_note(pinned: int) -> Points:
    """A reason without points: the wave was (partly) chosen by hand."""
    return (0, "placed (in part) by a manual pin") if pinned else (0, "")


def wave_confidence(members: pd.DataFrame) -> Score:
    """How much the plan for this wave rests on known data rather than defaults."""
    return confidence_score(facts_of(members))


def confidence_score(facts: WaveFacts) -> Score:
    """:func:`wave_confidence` on a wave's counts."""
    n = facts.servers
    if not n:
        return Score("high", 100, ("no servers",))
    score = 100.0
    reasons: list[str] = []
    checks = (
        (facts.no_deps, 40, "have no observed dependencies (missing dependency data would hide links)"),
        (facts.no_util, 20, "have no utilisation data (sized as on premises)"),
        (facts.no_app, 20, "have no application"),
        (facts.no_crit, 10, "have no criticality"),
        (facts.off, 10, "are powered off"),
    )
    for count, weight, text in checks:
        if count:
            score -= weight * (count / n)
            reasons.append(f"{count} of {n} servers {text}")
    s = int(round(max(0.0, score)))
    level = "high" if s >= 75 else "medium" if s >= 50 else "low"
    if not reasons:
        reasons.append("dependencies, utilisation, application and criticality known for every server")
    return Score(level, s, tuple(reasons))
