"""Pins: an architect's wave choices (an edited ``waves.csv``), applied before move groups are formed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from migrator.errors import Finding, InputError, display_path
from migrator.inputs.csvio import read_csv_text
from migrator.outputs.text import plural
from migrator.shared_services import Scope

MAX_WAVE = 10_000  # as the inventory's pinned_wave column (inputs/units.py)


def read_pins(path: str | Path) -> pd.DataFrame:
    """Pins from an edited ``waves.csv`` (columns ``server`` and ``wave``): one row per pinned server."""
    p = Path(path)
    frame = read_csv_text(p)
    cols = {c.lower(): c for c in frame.columns}
    name_col = cols.get("server") or cols.get("name")
    if name_col is None or "wave" not in cols:
        raise InputError(
            "a pins file needs the columns 'server' and 'wave' (an edited waves.csv)",
            file=p,
            row=1,
            column="server" if name_col is None else "wave",
        )
    wave_text = frame[cols["wave"]].astype(str).str.strip()
    wave = pd.to_numeric(wave_text.where(wave_text.ne(""), None), errors="coerce")
    bad = (
        (wave.isna() & wave_text.ne(""))
        | (wave < 1)
        | (wave > MAX_WAVE)
        | (wave.notna() & (wave != np.floor(wave)))
    )
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"not a wave number: {wave_text.iat[i]!r}",
            file=p,
            row=i + 2,
            column=cols["wave"],
            expected=f"a whole number from 1 to {MAX_WAVE:,} or empty",
        )
    # waves.csv defuses spreadsheet formulas with a leading apostrophe ('=cmd); read the name back without it.
    names = frame[name_col].astype(str).str.strip().str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
    pins = pd.DataFrame({"server": names, "wave": wave.astype("Int64"), "row": np.arange(len(frame)) + 2})
    pins = pins[pins["server"].ne("") & pins["wave"].notna()]
    # Every row is kept: apply_pins reports a server pinned twice to different waves, then keeps the last.
    return pins.drop_duplicates(["server", "wave"], keep="last").reset_index(drop=True)


def _twice_pinned(pins: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """One pin per server (names compared without case, the last row wins); a finding for each server
    pinned to different waves by different rows, naming the rows and the wave kept."""
    key = pins["server"].str.lower()
    waves = pins.groupby(key, sort=True)["wave"].nunique()
    twice = pins[key.isin(waves.index[waves > 1])]
    findings: list[Finding] = []
    if len(twice):
        rows = twice.assign(
            text=twice["server"].map(repr)
            + " row "
            + twice["row"].astype(str)
            + ": wave "
            + twice["wave"].astype(str)
        ).groupby(twice["server"].str.lower(), sort=True)
        listed = rows["text"].agg("; ".join)
        kept, name = rows["wave"].last(), rows["server"].last()
        findings = [
            Finding(
                "pin-conflict",
                f"{name[k]!r} is pinned twice to different waves ({listed[k]}): "
                f"the last row counts, wave {kept[k]}",
                file=file,
            )
            for k in listed.index
        ]
    return pins[~key.duplicated(keep="last")].reset_index(drop=True), findings


def _unknown_pins(servers: pd.DataFrame, unknown: pd.Series, file: str) -> list[Finding]:
    """Pins naming no server; a name several rows of an export shared is told apart by the names they are
    planned under (``name (IP)``, ``name #2``), so the finding lists those."""
    findings: list[Finding] = []
    if "_given_name" in servers.columns and len(unknown):
        renamed = servers["_given_name"].ne(servers["name"])
        planned_as = servers.loc[renamed, "name"].groupby(servers.loc[renamed, "_given_name"].str.lower())
        names = planned_as.agg(lambda s: ", ".join(map(repr, sorted(s))))
        shared = unknown.str.lower().isin(names.index)
        findings.extend(
            Finding(
                "pin-ambiguous-server",
                f"pinned server {name!r} is several servers of one export, planned under names of their own: "
                f"pin {names[name.lower()]} instead",
                file=file,
            )
            for name in sorted(unknown[shared])
        )
        unknown = unknown[~shared]
    if len(unknown):
        findings.append(
            Finding(
                "pin-unknown-server",
                f"{plural(len(unknown), 'pinned server')} {_are(len(unknown))} not in the inventory: "
                + ", ".join(sorted(unknown)[:20]),
                file=file,
            )
        )
    return findings


def refuse_retained(servers: pd.DataFrame, pins: pd.DataFrame | None, pins_file: str | Path | None) -> None:
    """A retained server never moves: a pin on one (in the pins file or the inventory's ``pinned_wave``) is
    refused, naming the row."""
    retained = servers["disposition"].eq("retain").to_numpy()
    why = "is retained (disposition retain): it never moves, so it cannot be pinned to a wave"
    expected = "no wave for a retained server, or another disposition"
    if pins is not None and len(pins):
        at = pd.Index(servers["name"].str.lower()).get_indexer(pd.Index(pins["server"].str.lower()))
        hit = np.flatnonzero((at >= 0) & retained[np.maximum(at, 0)])
        if len(hit):
            i = int(hit[0])
            row = int(pins["row"].to_numpy()[i]) if "row" in pins.columns else None
            raise InputError(
                f"server {pins['server'].iat[i]!r} {why}",
                file=pins_file,
                row=row,
                column="wave",
                expected=expected,
            )
    pinned = np.flatnonzero(servers["pinned_wave"].notna().to_numpy() & retained)
    if len(pinned):
        i = int(pinned[0])
        raise InputError(
            f"server {servers['name'].iat[i]!r} {why}",
            file=str(servers["_file"].iat[i]) if "_file" in servers.columns else None,
            row=int(servers["_row"].to_numpy()[i]) if "_row" in servers.columns else None,
            column="pinned_wave",
            expected=expected,
        )


def apply_pins(
    servers: pd.DataFrame, pins: pd.DataFrame | None, pins_file: str | Path | None, scope: Scope
) -> tuple[pd.Series, list[Finding]]:
    """The pinned wave of every server: the inventory's ``pinned_wave``, overridden by a pins file.

    A pin into the foundation wave (which holds only shared services) becomes the first migration wave.
    """
    refuse_retained(servers, pins, pins_file)
    findings: list[Finding] = []
    pinned = servers["pinned_wave"].copy()
    if pins is not None:
        pins, findings = _twice_pinned(pins, display_path(pins_file or ""))
        at = pd.Index(servers["name"].str.lower()).get_indexer(pd.Index(pins["server"].str.lower()))
        findings.extend(_unknown_pins(servers, pins["server"][at < 0], display_path(pins_file or "")))
        pinned.iloc[at[at >= 0]] = pins["wave"].to_numpy()[at >= 0]
    if scope.foundation:
        early = scope.planned & (pinned.fillna(99).to_numpy() < scope.first_wave)
        if early.any():
            findings.append(
                Finding(
                    "pin-foundation",
                    f"{plural(int(early.sum()), 'server')} {_are(int(early.sum()))} pinned to the foundation "
                    f"wave, which holds only shared services: moved in wave {scope.first_wave} instead",
                )
            )
            pinned[early] = scope.first_wave
    return pinned, findings


def _are(n: int) -> str:
    return "is" if n == 1 else "are"
