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

    def to_dict(self) -> dict[str, object]:
        return {"level": self.level, "score": self.score, "reasons": list(self.reasons)}


def wave_risk(
    wave: int,
    kind: str,
    members: pd.DataFrame,  # servers of the wave: criticality, has_cross (bool)
    groups: pd.DataFrame,  # groups of the wave: complexity, pinned
    fill: float,  # largest share of a capacity limit used
    violations: int,
) -> Score:
    score = 0
    reasons: list[str] = []
    if kind == "prod":
        score += 25
        reasons.append("production workloads")
    elif kind == "foundation":
        score += 20
        reasons.append("shared services every later wave relies on")
    crit = members["criticality"]
    n_crit = int(crit.isin(["critical"]).sum())
    n_high = int(crit.isin(["high"]).sum())
    if n_crit:
        score += 25
        reasons.append(f"{n_crit} business-critical servers")
    elif n_high:
        score += 15
        reasons.append(f"{n_high} high-criticality servers")
    elif crit.isin(["medium"]).any():
        score += 5
    n_complex = int((groups["complexity"] >= 2).sum()) if len(groups) else 0
    if n_complex:
        score += min(20, 10 * n_complex)
        reasons.append(f"{n_complex} high-complexity move groups")
    if len(members):
        share = float(members["has_cross"].mean())
        if share > 0:
            score += int(round(20 * share))
            reasons.append(f"{share:.0%} of its servers keep dependencies across waves (hybrid traffic)")
    if fill > 0.9:
        score += 10
        reasons.append(f"uses {fill:.0%} of a capacity limit")
    if violations:
        score += min(20, 5 * violations)
        reasons.append(f"{violations} planning conditions broken in this wave")
    if len(groups) and bool(groups["pinned"].any()):
        reasons.append("placed (in part) by a manual pin")
    score = int(min(100, score))
    level = "low" if score < 30 else "medium" if score < 60 else "high"
    if not reasons:
        reasons.append("dev/test or low-criticality servers with no known cross-wave dependencies")
    return Score(level, score, tuple(reasons))


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
