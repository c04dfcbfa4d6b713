"""Raw dependency telemetry at any volume: exports aggregated to migrator's native dependencies by DuckDB.

The aggregation is one SQL statement kept in the package (``aggregate.sql``), in the SQL DuckDB and Spark SQL
share; this package defines the views it reads (one scan per file layout) and runs it out of core. Used by
``migrator deps aggregate`` and by the Azure Migrate dependency-export reader of ``migrator plan --deps``.
DuckDB is imported only when a function here runs.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from migrator.errors import InputError
from migrator.telemetry.engine import (
    EngineOptions,
    Filters,
    check_rejects,
    connect,
    define_views,
    engine_error,
    file_rows,
    first_line,
    parquet_errors,
    statement,
    value_errors,
)
from migrator.telemetry.sources import (
    CHECK,
    Source,
    file_header,
    literal,
    mixes_line_ends,
    source_of,
    to_utf8,
    with_lf_line_ends,
    with_time_format,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

OUTPUT_COLUMNS = (
    "source",
    "target",
    "port",
    "protocol",
    "weight",
    "source_ip",
    "target_ip",
    "source_process",
    "target_process",
)
_ORDER = (
    "f.source, f.target, f.port NULLS LAST, f.protocol, f.source_ip, f.target_ip, f.source_process, "
    "f.target_process"
)
# outputs/escape.csv_cell in SQL: a cell a spreadsheet would run as a formula gets a leading apostrophe;
# empty text is written as an empty cell.
_CELL_MACRO = (
    "CREATE TEMP MACRO cell(x) AS CASE WHEN x = '' THEN NULL "
    "WHEN regexp_matches(x, '^[=+\\-@\\t\\r]') "
    "AND NOT regexp_full_match(x, '[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?') THEN '''' || x ELSE x END"
)
_WEIGHT = (
    "CASE WHEN f.weight = FLOOR(f.weight) AND ABS(f.weight) < 1e15 "
    "THEN CAST(CAST(f.weight AS BIGINT) AS VARCHAR) ELSE CAST(f.weight AS VARCHAR) END"
)


@dataclass(frozen=True)
class Summary:
    files: int
    rows: int  # raw rows kept (inside the window, not excluded)
    flows: int


def expand(patterns: Sequence[str | Path]) -> list[Path]:
    """Files and glob patterns (``exports/*.csv.gz``, ``**`` recursive) to files, each once, in order."""
    out: dict[Path, None] = {}
    for pattern in patterns:
        text = str(pattern)
        if any(c in text for c in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError("no file matches this pattern", file=text)
            out.update(dict.fromkeys(Path(m) for m in matches if Path(m).is_file()))
        else:
            out[Path(text)] = None
    return list(out)


def _sources(paths: Sequence[Path], filters: Filters) -> list[Source]:
    sources = [source_of(p) for p in paths]
    if filters.windowed:
        for src in sources:
            if "slot" not in src.columns:
                raise InputError(
                    "--since and --until need a time column (Timeslot, Time slot or Date); "
                    "this file has none",
                    file=src.path,
                    row=1,
                )
    return sources


def _aggregate(
    con: duckdb.DuckDBPyConnection, folder: Path, sources: Sequence[Source], filters: Filters, with_rows: bool
) -> list[Source]:
    """Run the statement into the temporary table ``flows``; bad rows raise an InputError. Returns the sources
    as scanned (files in other encodings than UTF-8 copied to UTF-8 in ``folder``)."""
    import duckdb

    sources = [to_utf8(src, folder) for src in sources]
    rejects = [f"rejects_{i}" for i in range(len(sources))]
    try:
        rejects = _run(con, sources, filters, with_rows)
    except duckdb.Error as exc:
        mixed = [mixes_line_ends(src) for src in sources]  # each file scanned once, on this path only
        if not any(mixed):
            _explain(con, exc, rejects, sources, filters)
        # a file ending some lines with CR LF and others with LF: DuckDB refuses it; read an LF copy
        sources = [with_lf_line_ends(s, folder) if m else s for s, m in zip(sources, mixed, strict=True)]
        try:
            rejects = _run(con, sources, filters, with_rows)
        except duckdb.Error as again:
            _explain(con, again, rejects, sources, filters)
    check_rejects(con, rejects, sources)
    return sources


def _run(
    con: duckdb.DuckDBPyConnection, sources: list[Source], filters: Filters, with_rows: bool
) -> list[str]:
    """Define the views over these sources and aggregate them into ``flows``; the rejects tables' names."""
    if filters.windowed:
        sources[:] = [with_time_format(con, src) for src in sources]
    rejects = define_views(con, sources, filters, with_rows)
    con.execute("CREATE OR REPLACE TEMP TABLE flows AS " + statement())
    return rejects


def _explain(
    con: duckdb.DuckDBPyConnection,
    exc: Exception,
    rejects: Sequence[str],
    sources: Sequence[Source],
    filters: Filters,
) -> NoReturn:
    """After DuckDB failed: the row, column and file to blame, found by targeted queries, else what DuckDB
    said, in one line."""
    import duckdb

    try:
        check_rejects(con, rejects, sources)
        parquet_errors(con, sources, filters)
        if CHECK in str(exc):
            value_errors(con, sources, filters)
    except duckdb.Error:
        pass  # the targeted queries failed as the statement did: DuckDB's own message says most
    raise engine_error(exc, sources) from None


def aggregate_frame(
    paths: Sequence[str | Path], filters: Filters | None = None, options: EngineOptions | None = None
) -> pd.DataFrame:
    """The flows of these files as a frame (the statement's columns, sorted as it sorts them)."""
    filters = filters or Filters()
    sources = _sources([Path(p) for p in paths], filters)
    with connect(options or EngineOptions(), ordered=False) as (con, folder):
        _aggregate(con, folder, sources, filters, with_rows=False)
        return con.execute("SELECT * FROM flows AS f ORDER BY " + _ORDER).df()


def aggregate_to_csv(
    paths: Sequence[str | Path],
    out: str | Path,
    filters: Filters | None = None,
    options: EngineOptions | None = None,
) -> Summary:
    """Aggregate the files into a native dependencies CSV at ``out``, written to a temporary name and renamed
    into place (a failed run leaves the previous file untouched)."""
    import duckdb

    filters = filters or Filters()
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError("the folder to write into does not exist", file=out.parent)
    sources = _sources([Path(p) for p in paths], filters)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with connect(options or EngineOptions(), ordered=False) as (con, folder):
            _aggregate(con, folder, sources, filters, with_rows=False)
            rows, flows = con.execute(
                "SELECT COALESCE(SUM(row_count), 0), COUNT(*) FROM flows"
            ).fetchone() or (
                0,
                0,
            )
            con.execute(_CELL_MACRO)
            cells = [
                "f.port AS port"
                if c == "port"
                else f"{_WEIGHT} AS weight"
                if c == "weight"
                else f"cell(f.{c}) AS {c}"
                for c in OUTPUT_COLUMNS
            ]
            con.execute(
                f"COPY (SELECT {', '.join(cells)} FROM flows AS f ORDER BY {_ORDER}) "
                f"TO {literal(tmp)} (FORMAT csv, HEADER true)"
            )
        os.replace(tmp, out)
    except (OSError, duckdb.Error) as exc:
        raise InputError(f"cannot write: {first_line(exc)}", file=out) from None
    finally:
        tmp.unlink(missing_ok=True)
    return Summary(files=len(sources), rows=int(rows), flows=int(flows))


def read_export(path: str | Path) -> tuple[pd.DataFrame, int, Source]:
    """One Azure Migrate dependency export as the reader returns it: flows in the order each first appears
    (``source_row``: its first row as a spreadsheet numbers it), the number of raw rows, and the layout."""
    src = source_of(Path(path))
    if src.layout != "export":
        raise InputError("not an Azure Migrate dependency export", file=path, row=1)
    with connect(EngineOptions(), ordered=True) as (con, folder):
        (scanned,) = _aggregate(con, folder, [src], Filters(), with_rows=True)
        flows = con.execute("SELECT * FROM flows ORDER BY first_row").df()
        n_rows = int(flows["row_count"].sum()) if len(flows) else 0
        if not n_rows:
            raise InputError("file has a header but no data rows", file=path, row=2)
        first = file_rows(scanned, flows["first_row"].to_numpy(dtype=np.int64) - 1, n_rows)
    keys = ["source", "source_ip", "source_process", "target", "target_ip", "target_process"]
    out = flows[keys].astype(str)
    port = flows["port"].astype("Int64")
    out["port"] = port.astype(object).where(port.notna(), "")
    out["weight"] = flows["weight"].astype(float)
    out["source_row"] = first
    out["protocol"] = "tcp"
    return _clean_text(out.reset_index(drop=True), keys, src), n_rows, src


def _clean_text(flows: pd.DataFrame, keys: list[str], src: Source) -> pd.DataFrame:
    """Text as the other readers give it: in Unicode NFC (flows that differ only in their form merged), and a
    cell holding a control character refused with its row and column."""
    from migrator.inputs.csvio import CONTROL, CONTROL_EXPECTED, control_message

    for key in keys:
        bad = flows[key].str.contains(CONTROL, regex=True)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                control_message(str(flows[key].iat[i])),
                file=src.path,
                row=int(flows["source_row"].to_numpy()[i]),
                column=src.columns.get(key),
                expected=CONTROL_EXPECTED,
            )
    normal = flows[keys].apply(lambda col: col.str.normalize("NFC"))
    if normal.equals(flows[keys]):
        return flows
    flows = flows.assign(**{k: normal[k] for k in keys})
    by = [*keys, "port"]
    merged = flows.groupby(by, sort=False, dropna=False).agg(
        weight=("weight", "sum"), source_row=("source_row", "min"), protocol=("protocol", "first")
    )
    merged = merged.reset_index().sort_values("source_row", kind="mergesort").reset_index(drop=True)
    return merged[[*by, "weight", "source_row", "protocol"]]


__all__ = [
    "EngineOptions",
    "Filters",
    "Summary",
    "aggregate_frame",
    "aggregate_to_csv",
    "expand",
    "file_header",
    "read_export",
    "statement",
]
