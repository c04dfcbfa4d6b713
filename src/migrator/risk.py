"""A risk and a confidence for every wave, each with the reasons that made it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Score:
    level: str
    score: int
    reasons: tuple[str, ...]


Points = tuple[int, str]  # points a rule adds to a wave's risk, and the reason ("" for none)


def wave_risk(
    wave: int,
    kind: str,
    members: pd.DataFrame,  # servers of the wave: criticality, has_cross (bool)
    groups: pd.DataFrame,  # groups of the wave: complexity, pinned
    fill: float,  # largest share of a capacity limit used
    violations: int,
) -> Score:
    """Risk 0-100 (low under 30, high from 60): the sum of each rule's points, with their reasons."""
    rules = (
        _kind_points(kind),
        _criticality_points(members["criticality"]),
        _complexity_points(groups),
        _cross_wave_points(members),
        _fill_points(fill),
        _violation_points(violations),
        _pin_note(groups),
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


def _criticality_points(crit: pd.Series) -> Points:
    """The most critical servers count: critical 25, else high 15, else medium 5 (no reason given)."""
    n_crit = int(crit.isin(["critical"]).sum())
    n_high = int(crit.isin(["high"]).sum())
    if n_crit:
        return 25, f"{n_crit} business-critical servers"
    if n_high:
        return 15, f"{n_high} high-criticality servers"
    return (5, "") if crit.isin(["medium"]).any() else (0, "")


def _complexity_points(groups: pd.DataFrame) -> Points:
    n_complex = int((groups["complexity"] >= 2).sum()) if len(groups) else 0
    return (min(20, 10 * n_complex), f"{n_complex} high-complexity move groups") if n_complex else (0, "")


def _cross_wave_points(members: pd.DataFrame) -> Points:
    """Up to 20 points by the share of servers with dependencies to other waves."""
    share = float(members["has_cross"].mean()) if len(members) else 0.0
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
    return min(20, 5 * violations), f"{violations} planning conditions broken in this wave"


def _pin_note(groups: pd.DataFrame) -> Points:
    """A reason without points: the wave was (partly) chosen by hand."""
    pinned = len(groups) and bool(groups["pinned"].any())
    return (0, "placed (in part) by a manual pin") if pinned else (0, "")


def wave_confidence(members: pd.DataFrame) -> Score:
    """How much the plan for this wave rests on known data rather than defaults."""
    if not len(members):
        return Score("high", 100, ("no servers",))
    score = 100.0
    reasons: list[str] = []
    checks = (
        (
            ~members["has_deps"],
            40,
            "have no observed dependencies (missing dependency data would hide links)",
        ),
        (
            members["cpu_util_pct"].isna() | members["memory_util_pct"].isna(),
            20,
            "have no utilisation data (sized as on premises)",
        ),
        (members["application"].eq(""), 20, "have no application"),
        (members["criticality"].eq(""), 10, "have no criticality"),
        (members["power_state"].eq("off"), 10, "are powered off"),
    )
    for mask, weight, text in checks:
        share = float(np.mean(mask.to_numpy()))
        if share > 0:
            score -= weight * share
            reasons.append(f"{int(mask.sum())} of {len(members)} servers {text}")
    s = int(round(max(0.0, score)))
    level = "high" if s >= 75 else "medium" if s >= 50 else "low"
    if not reasons:
        reasons.append("dependencies, utilisation, application and criticality known for every server")
    return Score(level, s, tuple(reasons))
