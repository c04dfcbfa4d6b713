"""Check a finished wave assignment against the eight planning conditions and list every violation.

The scheduler tries to honour the conditions; this module does not trust it: pins, capacity splits and cycles
can force breaks, and each one is reported here with the servers and waves concerned, vectorised over edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrator.settings import CapacitySettings

RULES = {
    1: "servers with strong two-way dependencies share a wave",
    2: "all servers of an application share a wave",
    3: "a dependency's target moves in the same or an earlier wave than its source",
    4: "dev/test moves before production",
    5: "production and dev/test never share a wave",
    6: "high-criticality applications are not in the earliest waves",
    7: "high-complexity applications are not in the earliest waves",
    8: "each wave stays within its size limits",
}

CRITICAL_CONDITIONS = frozenset({1, 2, 3, 5, 8})


@dataclass(frozen=True)
class Violation:
    condition: int
    message: str
    servers: tuple[str, ...]
    waves: tuple[int, ...]

    @property
    def rule(self) -> str:
        return RULES[self.condition]

    def to_dict(self) -> dict[str, object]:
        return {
            "condition": self.condition,
            "rule": self.rule,
            "message": self.message,
            "servers": list(self.servers),
            "waves": list(self.waves),
        }


def _names(names: np.ndarray, idx: np.ndarray, limit: int = 50) -> tuple[str, ...]:
    return tuple(sorted(str(n) for n in names[idx])[:limit])


def check_conditions(
    servers: pd.DataFrame,
    server_wave: np.ndarray,  # float, NaN when not moving in a migration wave
    in_scope: np.ndarray,  # servers planned in move groups
    instance: pd.Series,
    klass: pd.Series,
    edges: pd.DataFrame,
    two_way: pd.DataFrame,
    groups: pd.DataFrame,
    group_wave: np.ndarray,
    server_group: np.ndarray,
    cap: CapacitySettings,
    first_wave: int,
    protected_waves: int,
) -> list[Violation]:
    out: list[Violation] = []
    names = servers["name"].to_numpy()
    wave = np.where(in_scope, server_wave, np.nan)

    # (1) strong two-way pairs split across waves
    if len(two_way):
        a, b = two_way["src"].to_numpy(), two_way["dst"].to_numpy()
        bad = (wave[a] != wave[b]) & ~np.isnan(wave[a]) & ~np.isnan(wave[b])
        for i in np.flatnonzero(bad)[:500]:
            out.append(
                Violation(
                    1,
                    f"{names[a[i]]} and {names[b[i]]} depend on each other but move in waves {int(wave[a[i]])} and {int(wave[b[i]])}",
                    (names[a[i]], names[b[i]]),
                    tuple(sorted({int(wave[a[i]]), int(wave[b[i]])})),
                )
            )

    # (2) an application instance spread over several waves
    frame = pd.DataFrame(
        {"key": instance.to_numpy(), "wave": wave, "name": names, "app": servers["application"].to_numpy()}
    )
    frame = frame[~np.isnan(wave) & (frame["app"] != "")]
    if len(frame):
        spread = frame.groupby("key")["wave"].nunique()
        for key in sorted(spread.index[spread > 1]):
            part = frame[frame["key"] == key]
            waves = tuple(sorted(int(x) for x in part["wave"].unique()))
            out.append(
                Violation(
                    2,
                    f"application {key} is spread over waves {', '.join(map(str, waves))}",
                    tuple(sorted(part["name"])[:50]),
                    waves,
                )
            )

    # (3) a source moving before its target: one violation per pair of move groups, with an example pair.
    if len(edges):
        s, d = edges["src"].to_numpy(), edges["dst"].to_numpy()
        bad = (wave[d] > wave[s]) & ~np.isnan(wave[s]) & ~np.isnan(wave[d])
        if bad.any():
            pairs = pd.DataFrame(
                {"sg": server_group[s[bad]], "dg": server_group[d[bad]], "s": s[bad], "d": d[bad]}
            )
            pairs = pairs.sort_values(["sg", "dg", "s", "d"], kind="mergesort")
            counts = pairs.groupby(["sg", "dg"], sort=True).size()
            first = pairs.drop_duplicates(["sg", "dg"])
            gname = groups["name"].to_numpy()
            for sg, dg, si, di, cnt in zip(
                first["sg"].tolist(),
                first["dg"].tolist(),
                first["s"].tolist(),
                first["d"].tolist(),
                counts.to_numpy().tolist(),
                strict=True,
            ):
                ws, wd = int(group_wave[sg]), int(group_wave[dg])
                out.append(
                    Violation(
                        3,
                        f"{gname[sg]} (wave {ws}) depends on {gname[dg]} which moves later (wave {wd}); "
                        f"{cnt} server dependencies, for example {names[si]} → {names[di]}",
                        (str(names[si]), str(names[di])),
                        (ws, wd),
                    )
                )

    # (4) dev/test of an application after its production
    frame = pd.DataFrame(
        {"app": servers["application"].to_numpy(), "klass": klass.to_numpy(), "wave": wave, "name": names}
    )
    frame = frame[~np.isnan(wave) & (frame["app"] != "")]
    if len(frame):
        last_np = frame[frame["klass"] == "nonprod"].groupby("app")["wave"].max()
        first_p = frame[frame["klass"] == "prod"].groupby("app")["wave"].min()
        both = last_np.index.intersection(first_p.index)
        for app in sorted(both[last_np[both].to_numpy() > first_p[both].to_numpy()]):
            out.append(
                Violation(
                    4,
                    f"application {app}: dev/test moves in wave {int(last_np[app])}, after production (wave {int(first_p[app])})",
                    tuple(sorted(frame.loc[frame["app"] == app, "name"])[:50]),
                    (int(first_p[app]), int(last_np[app])),
                )
            )

    # (5) mixed waves
    frame = pd.DataFrame({"klass": klass.to_numpy(), "wave": wave, "name": names})[~np.isnan(wave)]
    if len(frame):
        mixed = frame.groupby("wave")["klass"].nunique()
        for wv in sorted(mixed.index[mixed > 1]):
            part = frame[(frame["wave"] == wv) & (frame["klass"] == "nonprod")]
            out.append(
                Violation(
                    5,
                    f"wave {int(wv)} moves production and dev/test servers together ({len(part)} dev/test)",
                    tuple(sorted(part["name"])[:50]),
                    (int(wv),),
                )
            )

    # (6, 7) held groups in the protected waves
    if len(groups) and protected_waves > 0:
        early = (group_wave - first_wave) < protected_waves
        for cond, col, label in ((6, "crit", "high-criticality"), (7, "complexity", "high-complexity")):
            hit = early & (groups[col].to_numpy() >= 2)
            for gi in np.flatnonzero(hit):
                members = np.flatnonzero(server_group == gi)
                out.append(
                    Violation(
                        cond,
                        f"{label} group {groups['name'].iat[gi]} is in wave {int(group_wave[gi])}, one of the first {protected_waves} migration waves",
                        _names(names, members),
                        (int(group_wave[gi]),),
                    )
                )

    # (8) capacity
    frame = pd.DataFrame(
        {"wave": wave, "cores": servers["cores"].to_numpy(), "storage": servers["storage_gb"].to_numpy()}
    )[~np.isnan(wave)]
    if len(frame):
        tot = frame.groupby("wave").agg(
            n=("cores", "size"), cores=("cores", "sum"), storage=("storage", "sum")
        )
        for wv, row in tot.iterrows():
            over = []
            if row["n"] > cap.max_servers:
                over.append(f"{int(row['n'])} servers > {cap.max_servers}")
            if row["cores"] > cap.max_vcpus + 1e-9:
                over.append(f"{row['cores']:g} vCPU > {cap.max_vcpus:g}")
            if row["storage"] > cap.max_storage_gb + 1e-9:
                over.append(f"{row['storage']:g} GiB > {cap.max_storage_gb:g}")
            if over:
                out.append(
                    Violation(8, f"wave {int(wv)} exceeds its limits: {'; '.join(over)}", (), (int(wv),))
                )
    return sorted(out, key=lambda v: (v.condition, v.waves, v.message))
