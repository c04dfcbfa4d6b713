"""Azure readiness per server, by Azure Migrate's published rules for Azure VM assessments.

The rules are data (``migrator/data/readiness_rules.json``): one row per operating-system pattern, in
order, with Azure Migrate's readiness, its issue text and the Microsoft Learn page and date the row was copied
from. The first row whose pattern matches the operating system wins. Azure Migrate's levels are shown in
migrator's words: "Conditionally ready" as "Ready with conditions", "Readiness unknown" as "Unknown".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

# Azure Migrate's readiness levels, in migrator's words (plan.json, waves.csv and PLAN.md keep these).
LEVELS = {
    "Ready": "Ready",
    "Conditionally ready": "Ready with conditions",
    "Not ready": "Not ready",
    "Readiness unknown": "Unknown",
}


@dataclass(frozen=True)
class Rule:
    id: str
    os: str  # case-insensitive regular expression on the operating system text
    readiness: str  # Azure Migrate's level (a key of LEVELS)
    issue: str  # Azure Migrate's wording
    url: str
    date: str


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    max_cores: int
    max_memory_gb: float
    max_disks: int
    limits_source: str
    max_nics: int = 32
    nics_issue: str = ""
    uefi_os: str = r"windows[^(]*\b(?:2003|2008)\b"
    uefi_issue: str = ""


@cache
def load_rules() -> Rules:
    """The readiness table shipped with the package."""
    raw: dict[str, Any] = json.loads(
        resources.files("migrator").joinpath("data/readiness_rules.json").read_text(encoding="utf-8")
    )
    sources = raw["sources"]
    rules = tuple(
        Rule(
            id=r["id"],
            os=r["os"],
            readiness=r["readiness"],
            issue=r["issue"],
            url=sources[r["source"]]["url"],
            date=sources[r["source"]]["date"],
        )
        for r in raw["rules"]
    )
    unknown = sorted({r.readiness for r in rules} - set(LEVELS))
    if unknown:
        raise ValueError(f"readiness_rules.json: unknown readiness levels {unknown}")
    limits = raw["machine_limits"]
    return Rules(
        rules=rules,
        max_cores=int(limits["max_cores"]),
        max_memory_gb=float(limits["max_memory_gb"]),
        max_disks=int(limits["max_disks"]),
        limits_source=sources[limits["source"]]["url"],
        max_nics=int(limits["max_nics"]),
        nics_issue=limits["nics_issue"],
        uefi_os=limits["uefi_os"],
        uefi_issue=limits["uefi_issue"],
    )


def os_readiness(os_text: pd.Series, rules: Rules | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per operating system: migrator's readiness level, the reason (Azure Migrate's wording) and the rule id.

    The reason of a Ready server is empty, as Azure Migrate shows no issue for it.
    """
    rules = rules or load_rules()
    text = os_text.fillna("").astype(str)
    n = len(text)
    state = np.full(n, "Unknown", dtype=object)
    reason = np.full(n, "", dtype=object)
    rule_id = np.full(n, "", dtype=object)
    decided = np.zeros(n, dtype=bool)
    shown = text.str.strip().to_numpy().astype(str)
    for rule in rules.rules:
        hit = text.str.contains(rule.os, case=False, regex=True).to_numpy(bool) & ~decided
        if not hit.any():
            continue
        level = LEVELS[rule.readiness]
        state[hit] = level
        rule_id[hit] = rule.id
        if level != "Ready":
            reason[hit] = np.char.add(np.char.add(rule.issue + " (", shown[hit]), ")")
        decided |= hit
    return state, reason, rule_id


def boot_nic_readiness(servers: pd.DataFrame, rules: Rules | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Azure Migrate's boot-type and network-adapter checks: (Not ready mask, reason) per server.

    UEFI boot with Windows Server 2003 to 2008 R2 is Not ready, as are more than 32 NICs. An empty or
    missing ``boot_type`` or ``nics`` column gives no judgement.
    """
    rules = rules or load_rules()
    n = len(servers)
    reason = np.full(n, "", dtype=object)
    if "boot_type" in servers:
        boot = servers["boot_type"].fillna("").astype(str).str.strip().str.upper().replace({"EFI": "UEFI"})
        old = servers["os"].fillna("").astype(str).str.contains(rules.uefi_os, case=False, regex=True)
        uefi = (boot.eq("UEFI") & old).to_numpy(bool)
        reason[uefi] = rules.uefi_issue
    if "nics" in servers:
        nics = pd.to_numeric(servers["nics"], errors="coerce").to_numpy(float)
        many = np.nan_to_num(nics, nan=0.0) > rules.max_nics
        reason[many] = [f"{rules.nics_issue} ({v:g} NICs)" for v in nics[many]]
    return reason != "", reason
