"""Stage: shared services, and who is planned how.

Shared services (domain controllers, DNS, monitoring, backup, ...) are found by :mod:`migrator.graph`; this
stage decides what that means for the plan: which servers go into move groups, whether a foundation wave
(wave 1) comes first, and who stays on premises. Everything after this stage reads these masks instead of
re-deriving them from dispositions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.graph import DependencyGraph
from migrator.schema import MIGRATING_DISPOSITIONS
from migrator.settings import SharedServiceSettings


@dataclass(frozen=True)
class Scope:
    """Per-server masks (numpy bool arrays, one entry per server) and the first migration wave."""

    shared: np.ndarray  # a shared service
    migrating: np.ndarray  # its disposition moves it (rehost, replatform, refactor, repurchase)
    planned: np.ndarray  # planned in move groups: migrating and not a shared service
    retire: np.ndarray  # decommissioned without migration (shared services follow their own rule)
    stays: np.ndarray  # never leaves: retained, or a shared service that does not migrate
    treatment: str  # what happens to migrating shared services: foundation | last | retain
    foundation: bool  # a foundation wave (wave 1) holds the migrating shared services

    @property
    def first_wave(self) -> int:
        """The first wave that moves workloads (2 when a foundation wave comes first)."""
        return 2 if self.foundation else 1

    @property
    def shared_migrating(self) -> np.ndarray:
        return self.shared & self.migrating


def plan_scope(servers: pd.DataFrame, graph: DependencyGraph, settings: SharedServiceSettings) -> Scope:
    shared = np.zeros(len(servers), dtype=bool)
    shared[graph.shared_services["server"].to_numpy()] = True
    disposition = servers["disposition"]
    migrating = disposition.isin(MIGRATING_DISPOSITIONS).to_numpy()
    retained = disposition.eq("retain").to_numpy()
    return Scope(
        shared=shared,
        migrating=migrating,
        planned=migrating & ~shared,
        retire=disposition.eq("retire").to_numpy() & ~shared,
        stays=retained | (shared & ~migrating),
        treatment=settings.treatment,
        foundation=bool((shared & migrating).any()) and settings.treatment == "foundation",
    )
