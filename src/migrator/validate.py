"""Validate and type the canonical tables read from one or more files.

Everything a user must fix raises :class:`InputError` naming the file, the row and the column; everything that
can be planned around becomes a :class:`Finding`. All checks are vectorised over the rows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from migrator.errors import Finding, InputError, display_path
from migrator.inputs.base import ReadResult
from migrator.inputs.units import LIMITS, expected_range, shown
from migrator.outputs.text import plural
from migrator.schema import (
    COMPLEXITY_LEVELS,
    CRITICALITY_LEVELS,
    DISPOSITIONS,
    TABLES,
)

_DISPOSITION_ALIASES = {
    "": "rehost",
    "lift-and-shift": "rehost",
    "lift and shift": "rehost",
    "migrate": "rehost",
    "move": "rehost",
    "re-host": "rehost",
    "re-platform": "replatform",
    "re-factor": "refactor",
    "rearchitect": "refactor",
    "re-architect": "refactor",
    "rebuild": "refactor",
    "re-purchase": "repurchase",
    "replace": "repurchase",
    "saas": "repurchase",
    "decommission": "retire",
    "decom": "retire",
    "keep": "retain",
    "stay": "retain",
    "revisit": "retain",
}
_CRITICALITY_ALIASES = {
    "med": "medium",
    "moderate": "medium",
    "mission-critical": "critical",
    "mission critical": "critical",
    "business-critical": "high",
    "business critical": "high",
    "1": "critical",
    "2": "high",
    "3": "medium",
    "4": "low",
}
_COMPLEXITY_ALIASES = {"med": "medium", "moderate": "medium", "simple": "low", "complex": "high"}
_ENV_ALIASES = {
    "production": "prod",
    "prd": "prod",
    "development": "dev",
    "testing": "test",
    "staging": "staging",
    "acceptance": "uat",
    "qa": "qa",
    "pre-production": "preprod",
    "pre-prod": "preprod",
}
_TRUE = {"true", "yes", "y", "1", "t", "x"}
_FALSE = {"false", "no", "n", "0", "f", ""}


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str
    table: str
    rows: int


@dataclass(frozen=True)
class Inventory:
    """Validated, typed tables ready for planning."""

    servers: pd.DataFrame
    dependencies: pd.DataFrame
    hosts: pd.DataFrame
    files: tuple[InputFile, ...] = ()
    findings: tuple[Finding, ...] = ()
    assumptions: tuple[str, ...] = ()


def _first_bad(frame: pd.DataFrame, mask: pd.Series) -> tuple[str, int | None, int]:
    idx = np.flatnonzero(mask.to_numpy())
    first = idx[0]
    return str(frame["_file"].iat[first]), int(frame["_row"].to_numpy()[first]), len(idx)


def _raise_bad(frame: pd.DataFrame, mask: pd.Series, column: str, message: str, expected: str) -> None:
    if not mask.any():
        return
    file, row, count = _first_bad(frame, mask)
    value = frame[column].iat[int(np.flatnonzero(mask.to_numpy())[0])]
    more = f" ({count - 1} more rows like it)" if count > 1 else ""
    text = f"{message}: {shown(value)}" if str(value) != "" else message
    raise InputError(text + more, file=file, row=row, column=column, expected=expected)


def _text(series: pd.Series, as_object: bool = True) -> pd.Series:
    text = series.fillna("").astype(str).str.strip()
    return text.astype(object) if as_object else text


def _numbers(
    frame: pd.DataFrame,
    column: str,
    *,
    required: bool,
) -> pd.Series:
    """A column as numbers. The readers have parsed and checked them already (``units.parse_numbers``, naming
    the file's own column); this checks text given directly (the Python API) against the same
    :data:`~migrator.inputs.units.LIMITS`."""
    limit = LIMITS[column]
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        text_empty = values.isna()
    else:
        text = _text(raw, as_object=False)
        text_empty = text.eq("")
        if text_empty.all():  # a column the files do not have: nothing to parse
            values = pd.Series(np.nan, index=raw.index, dtype=float)
        else:
            values = pd.to_numeric(text.where(~text_empty, None), errors="coerce").astype(float)
        retry = values.isna() & ~text_empty
        if retry.any():  # spaces inside numbers ("1 024"), non-breaking spaces: cleaned only where needed
            cleaned = text[retry].str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
            values[retry] = pd.to_numeric(cleaned, errors="coerce").astype(float)
        _raise_bad(frame, values.isna() & ~text_empty, column, "not a number", "a plain number without units")
    if required:
        _raise_bad(frame, text_empty, column, "value missing", "a number")
    finite = pd.Series(np.isfinite(values.to_numpy()), index=values.index)
    expected = expected_range(limit, unit=limit.unit)
    _raise_bad(frame, values.notna() & ~finite, column, "not a finite number", expected)
    _raise_bad(
        frame,
        finite & ((values < limit.minimum) | (values > limit.maximum)),
        column,
        "out of range",
        expected,
    )
    if limit.integer:
        _raise_bad(frame, finite & (values != np.floor(values)), column, "not a whole number", expected)
    return values


def _per_distinct(series: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``transform`` (element by element) applied once per distinct value of ``series`` and spread back to
    its rows: a column of a few distinct words in 100,000 rows is cleaned a few times, not 100,000."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    done = transform(pd.Series(uniques, dtype=series.dtype))
    out = done.take(codes)
    out.index = series.index
    return out


def _lower_text(series: pd.Series) -> pd.Series:
    return _text(series).str.lower()


def _choice(
    frame: pd.DataFrame, column: str, allowed: Sequence[str], aliases: dict[str, str], default: str = ""
) -> pd.Series:
    def normal(raw: pd.Series) -> pd.Series:
        values = _lower_text(raw).replace(aliases)
        return values.where(values.ne(""), default)

    values = _per_distinct(frame[column], normal)
    bad = ~values.isin(list(allowed) + ([""] if default == "" else []))
    _raise_bad(frame, bad, column, "unknown value", "one of " + ", ".join(allowed))
    return values.astype(object)


def stack_tables(results: Sequence[ReadResult], table: str) -> pd.DataFrame:
    names = [c.name for c in TABLES[table]]
    frames = []
    for res in results:
        frame = getattr(res, table)
        if frame is None:
            continue
        rows = (
            frame["source_row"].to_numpy()
            if "source_row" in frame.columns
            else np.arange(len(frame)) + 1 + res.row_offset
        )
        extra = [c for c in ("folder", "annotation") if c in frame.columns]
        columns: dict[str, object] = {c: frame[c] if c in frame.columns else "" for c in names + extra}
        # The file as given: error messages name it; findings shorten it with display_path.
        columns.update(_file=str(res.path), _row=rows, _exported=res.exported)
        frames.append(pd.DataFrame(columns, index=frame.index))  # one frame built, no copies on the way
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in names})
        empty["_file"] = pd.Series(dtype=object)
        empty["_row"] = pd.Series(dtype="int64")
        empty["_exported"] = pd.Series(dtype=bool)
        return empty
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def _bools(frame: pd.DataFrame, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(frame[column]):
        return frame[column].astype(bool)
    values = _per_distinct(frame[column], _lower_text)
    _raise_bad(frame, ~values.isin(_TRUE | _FALSE), column, "not a boolean", "True or False")
    return values.isin(_TRUE)


_SERVER_TEXT = ("ip", "os", "application", "host", "cluster", "datacenter", "rack", "role", "disks_gb")
_HOST_TEXT = ("host", "cluster", "datacenter", "rack")
_POWER_STATES = {
    "poweredon": "on",
    "poweredoff": "off",
    "running": "on",
    "stopped": "off",
    "suspended": "off",
    "true": "on",
    "false": "off",
}


def _some_names(names: pd.Series, total: int) -> str:
    """The first 20 names in order, with `` ...`` when there are more."""
    return ", ".join(sorted(names)[:20]) + (" ..." if total > 20 else "")


def _storage_unknown(frame: pd.DataFrame, storage: pd.Series) -> list[Finding]:
    """One finding per file that has servers without a storage size."""
    unknown = storage.isna()
    if not unknown.any():
        return []
    per_file = frame.loc[unknown, "_file"].value_counts().sort_index()
    return [
        Finding(
            "storage-unknown",
            f"{plural(count, 'server')} {'has' if count == 1 else 'have'} no storage size; it counts as 0 in "
            "wave totals and sizing",
            display_path(str(file)),
            column="storage_gb",
        )
        for file, count in per_file.items()
    ]


def _server_columns(frame: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """Every server column typed and normalised, in the canonical order; the first bad value raises."""
    out = pd.DataFrame(index=frame.index)
    out["name"] = _text(frame["name"])
    _raise_bad(
        frame.assign(name=out["name"]), out["name"].eq(""), "name", "server name missing", "a non-empty name"
    )
    for col in _SERVER_TEXT:
        out[col] = _text(frame[col])
    out["role"] = _per_distinct(out["role"], lambda role: role.str.lower())
    out["environment"] = _per_distinct(
        frame["environment"], lambda env: _lower_text(env).replace(_ENV_ALIASES).astype(object)
    )
    out["cores"] = _numbers(frame, "cores", required=True)
    out["memory_gb"] = _numbers(frame, "memory_gb", required=True)
    storage = _numbers(frame, "storage_gb", required=False)
    findings.extend(_storage_unknown(frame, storage))
    out["storage_gb"] = storage.fillna(0.0)
    for col in ("cpu_util_pct", "memory_util_pct", "power_w", "iops", "throughput_mbps"):
        out[col] = _numbers(frame, col, required=False)
    pinned = _numbers(frame, "pinned_wave", required=False)
    out["pinned_wave"] = pinned.astype("Int64")
    out["disposition"] = _choice(frame, "disposition", DISPOSITIONS, _DISPOSITION_ALIASES, default="rehost")
    out["criticality"] = _choice(frame, "criticality", CRITICALITY_LEVELS, _CRITICALITY_ALIASES)
    out["complexity"] = _choice(frame, "complexity", COMPLEXITY_LEVELS, _COMPLEXITY_ALIASES)
    out["power_state"] = _per_distinct(
        frame["power_state"], lambda state: _lower_text(state).replace(_POWER_STATES).astype(object)
    )
    out["template"] = _bools(frame, "template")
    out["boot_type"] = _per_distinct(
        frame["boot_type"], lambda boot: _text(boot).str.upper().replace({"EFI": "UEFI"}).astype(object)
    )
    out["nics"] = _numbers(frame, "nics", required=False)
    for col in ("folder", "annotation"):
        out[col] = _text(frame[col]) if col in frame.columns else ""
    out["_exported"] = frame["_exported"].astype(bool) if "_exported" in frame.columns else False
    out["_given_name"] = out["name"]  # the name in the file, before duplicates in an export are told apart
    out["_file"] = frame["_file"]
    out["_row"] = frame["_row"]
    return out


def _duplicate_in_one_file(out: pd.DataFrame, key: pd.Series, strict: pd.Series) -> InputError:
    """The first repeated name of a file in the native format, and how to fix the file."""
    i = int(np.flatnonzero((strict & key.duplicated(keep="first")).to_numpy())[0])
    rows = out["_row"].to_numpy()
    first_row = int(rows[(key.eq(str(key.iat[i])) & strict).to_numpy()][0])
    return InputError(
        f"duplicate server name {out['name'].iat[i]!r} (first seen on row {first_row}): rename one of the "
        "rows (for example add its DNS suffix), or delete it if both rows are the same server",
        file=str(out["_file"].iat[i]),
        row=int(rows[i]),
        column="name",
        expected="unique server names, compared without case",
    )


def _first_of_each_name(out: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """A name again in a later file is reported and the first file's rows are kept."""
    key = out["name"].str.lower()
    if not key.duplicated(keep=False).any():
        return out
    first_file = out.groupby(key, sort=False)["_file"].transform("first")
    later = out["_file"].ne(first_file)
    if not later.any():
        return out
    names, files, rows = out["name"].to_numpy(), out["_file"].to_numpy(), out["_row"].to_numpy()
    findings.extend(
        Finding(
            "duplicate-server",
            f"server {names[i]!r} is also in an earlier file; the first one is kept",
            display_path(str(files[i])),
            int(rows[i]),
            "name",
        )
        for i in np.flatnonzero(later.to_numpy()).tolist()
    )
    return out[~later]


def _first_ip(ip: pd.Series) -> pd.Series:
    """The first IPv4 address of each row's IPs (the first address when it has none), or ''."""
    v4 = ip.str.extract(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])", expand=False)
    first = ip.str.split(r"[;,\s]+").str[0]
    return v4.fillna(first).fillna("").astype(str)


def _told_apart(names: pd.Series, key: pd.Series, ip: pd.Series) -> pd.Series:
    """New names for rows sharing a name (in row order): ``name (IP)`` when every row of the name has an IP of
    its own, else the first keeps the name and the others become ``name #2``, ``name #3``..."""
    ip = _first_ip(ip)
    clash = pd.DataFrame({"key": key, "ip": ip.str.lower()}).duplicated(keep=False) | ip.eq("")
    by_ip = ~clash.groupby(key, sort=False).transform("any")
    nth = key.groupby(key, sort=False).cumcount() + 1
    numbered = names.where(nth.eq(1), names + " #" + nth.astype(str))
    return (names + " (" + ip + ")").where(by_ip, numbered)


def _unique(new: pd.Series, given: pd.Series, taken: pd.Series) -> pd.Series:
    """``new`` with a name another server (``taken``: lower-case names) already has replaced by the next free
    ``given #n``."""
    lower = new.str.lower().astype(object)
    free = ~lower.isin(pd.Index(taken.astype(object))) & ~lower.duplicated(keep="first")
    if free.all():
        return new
    new = new.copy()
    used = set(taken) | set(lower[free])
    for i in np.flatnonzero(~free.to_numpy()).tolist():  # rare: only names that collide
        n = 2
        while f"{given.iat[i]} #{n}".lower() in used:
            n += 1
        name = f"{given.iat[i]} #{n}"
        new.iat[i] = name
        used.add(name.lower())
    return new


def _told_apart_findings(renamed: pd.DataFrame, key: pd.Series) -> list[Finding]:
    """One finding per repeated name: the file, its rows and the names they are planned under."""
    groups = (
        pd.DataFrame(
            {
                "where": "row " + renamed["_row"].astype(str) + " as " + renamed["name"].map(repr),
                "given": renamed["_given_name"],
                "file": renamed["_file"],
                "row": renamed["_row"],
            }
        )
        .groupby(key, sort=False)
        .agg(
            where=("where", ", ".join),
            count=("where", "size"),
            given=("given", "first"),
            file=("file", "first"),
            row=("row", "first"),
        )
    )
    paths = {f: display_path(str(f)) for f in groups["file"].unique()}
    return [
        Finding(
            "duplicate-name",
            f"{plural(count, 'row')} are named {given!r}; all are kept as different servers, planned under "
            f"names of their own: {where}",
            paths[file],
            int(row),
            "name",
        )
        for where, count, given, file, row in zip(
            groups["where"], groups["count"], groups["given"], groups["file"], groups["row"], strict=True
        )
    ]


def _same_name_in_one_file(out: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """A name twice in one file: an error in the native format; in an export (Azure Migrate, RVTools) the
    rows are all kept under names told apart deterministically (same file, same names), and reported."""
    key = out["name"].str.lower()
    dup = key.duplicated(keep=False)
    if not dup.any():
        return out
    strict = dup & ~out["_exported"].astype(bool)
    if strict.any():
        raise _duplicate_in_one_file(out, key, strict)
    new = _told_apart(out.loc[dup, "name"], key[dup], out.loc[dup, "ip"])
    new = _unique(new, out.loc[dup, "name"], key[~dup])
    out = out.copy()
    out.loc[dup, "name"] = new
    findings.extend(_told_apart_findings(out[dup], key[dup]))
    return out


_SEPARATOR = re.compile(r"[;,\s]")  # between the addresses of one row


def _duplicate_ips(out: pd.DataFrame) -> list[Finding]:
    """Duplicate IPs (across or within files) are reported, not fatal.

    NAT and clusters make them legitimate.
    """
    ips = out.loc[out["ip"].ne(""), ["name", "ip", "_file", "_row"]]
    if not len(ips):
        return []
    if _SEPARATOR.search("\x00".join(ips["ip"].tolist())):  # some rows list several addresses
        exploded = ips.assign(ip=ips["ip"].str.split(r"[;,\s]+")).explode("ip")
        exploded = exploded[exploded["ip"].ne("")]
    else:
        exploded = ips
    dups = exploded[exploded["ip"].duplicated(keep=False)]
    if not len(dups):
        return []
    grouped = dups.groupby("ip", sort=True)["name"].agg(lambda s: sorted(set(s)))
    return [
        Finding("duplicate-ip", f"IP {ip} is given for several servers: {', '.join(names)}", column="ip")
        for ip, names in grouped.head(50).items()
        if len(names) > 1
    ]


def _not_planned_templates(out: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """VM templates are reported and dropped."""
    templates = out["template"]
    if not templates.any():
        return out
    findings.append(
        Finding(
            "template",
            f"{plural(int(templates.sum()), 'VM template')} "
            f"{'is' if int(templates.sum()) == 1 else 'are'} not planned: "
            + _some_names(out.loc[templates, "name"], int(templates.sum())),
            column="template",
        )
    )
    return out[~templates]


def _powered_off(out: pd.DataFrame) -> list[Finding]:
    off = out["power_state"].eq("off")
    if not off.any():
        return []
    return [
        Finding(
            "powered-off",
            f"{plural(int(off.sum()), 'server')} powered off, planned as the disposition says; "
            "check whether they should be retired: " + _some_names(out.loc[off, "name"], int(off.sum())),
            column="power_state",
        )
    ]


def validate_servers(frame: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """The servers typed and checked; what can be planned around is appended to ``findings``."""
    out = _server_columns(frame, findings)
    out = _first_of_each_name(out, findings)
    out = _same_name_in_one_file(out, findings)
    findings.extend(_duplicate_ips(out))
    out = _not_planned_templates(out, findings)
    findings.extend(_powered_off(out))
    return out.drop(columns="_exported").reset_index(drop=True)


def validate_dependencies(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in ("source", "target", "protocol", "source_ip", "target_ip", "source_process", "target_process"):
        out[col] = _text(frame[col], as_object=False)
    out["protocol"] = out["protocol"].str.lower()
    for end in ("source", "target"):
        missing = (out[end].eq("") & out[f"{end}_ip"].eq("")).to_numpy()
        if missing.any():
            file, row, count = _first_bad(frame, pd.Series(missing))
            more = f" ({count - 1} more rows like it)" if count > 1 else ""
            raise InputError(
                f"dependency without a {end}{more}",
                file=file,
                row=row,
                column=end,
                expected=f"the {end} server's name or IP",
            )
    out["port"] = _numbers(frame, "port", required=False).astype("Int64")
    weight = _numbers(frame, "weight", required=False)
    out["weight"] = weight.fillna(1.0)
    out["_file"] = frame["_file"]
    out["_row"] = frame["_row"]
    return out.reset_index(drop=True)


def validate_hosts(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in _HOST_TEXT:
        out[col] = _text(frame[col])
    _raise_bad(
        frame.assign(host=out["host"]),
        out["host"].eq(""),
        "host",
        "host name missing",
        "a non-empty host name",
    )
    for col in ("cores", "memory_gb", "power_w"):
        out[col] = _numbers(frame, col, required=False)
    out["_file"] = frame["_file"]
    out["_row"] = frame["_row"]
    key = out["host"].str.lower()
    dup = key.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"duplicate host {out['host'].iat[i]!r}",
            file=str(out["_file"].iat[i]),
            row=int(out["_row"].to_numpy()[i]),
            column="host",
            expected="one row per host",
        )
    return out.reset_index(drop=True)


def _given_once(results: Sequence[ReadResult]) -> None:
    """The same file twice would read as every server duplicated: say what happened instead."""
    seen: set[str] = set()
    for res in results:
        key = os.path.normcase(os.path.realpath(res.path))
        if key in seen:
            raise InputError("the file is given twice", file=res.path, expected="each file once")
        seen.add(key)


def in_file_terms(exc: InputError, results: Sequence[ReadResult]) -> InputError:
    """The error with migrator's column name (``name``) replaced by the file's own (``VM``), when known."""
    for res in results:
        if exc.column is None or exc.file != display_path(res.path, in_output=False):
            continue
        own = {canonical: col for col, canonical in reversed(res.column_map.items())}
        if exc.column in own and own[exc.column] != exc.column:
            return InputError(
                exc.message, file=res.path, row=exc.row, column=own[exc.column], expected=exc.expected
            )
    return exc


def validate(results: Sequence[ReadResult]) -> Inventory:
    """Type, check and merge what the readers produced."""
    try:
        return _validate(results)
    except InputError as exc:
        raise in_file_terms(exc, results) from None


def _validate(results: Sequence[ReadResult]) -> Inventory:
    _given_once(results)
    findings: list[Finding] = []
    for res in results:
        findings.extend(replace(f, file=display_path(f.file)) if f.file else f for f in res.findings)
    servers_raw = stack_tables(results, "servers")
    if servers_raw.empty:
        raise InputError(
            "no servers found in the inventory files", expected="at least one servers file with data rows"
        )
    servers = validate_servers(servers_raw, findings)
    dependencies = validate_dependencies(stack_tables(results, "dependencies"))
    hosts = validate_hosts(stack_tables(results, "hosts"))
    files = []
    for res in results:
        for table in ("servers", "dependencies", "hosts"):
            frame = getattr(res, table)
            if frame is not None:
                files.append(InputFile(display_path(res.path), res.format, table, len(frame)))
    assumptions = tuple(dict.fromkeys(a for res in results for a in res.assumptions))
    return Inventory(
        servers=servers,
        dependencies=dependencies,
        hosts=hosts,
        files=tuple(files),
        findings=tuple(findings),
        assumptions=assumptions,
    )
