"""The DuckDB side: an out-of-core connection, the views ``aggregate.sql`` reads, and errors turned into
one line naming the file, the row and the column.

DuckDB is embedded and bounded: ``memory_limit`` caps its buffers and what does not fit spills to a
temporary folder that is removed afterwards, so the total size of the files does not matter.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrator.errors import InputError
from migrator.inputs.csvio import non_blank_rows
from migrator.telemetry.sources import PORT_OK, WEIGHT_OK, Source, ident, literal, scan_sql, select_sql

if TYPE_CHECKING:
    import duckdb


def statement() -> str:
    """The aggregation, as kept in the package (``migrator/telemetry/aggregate.sql``)."""
    return resources.files("migrator.telemetry").joinpath("aggregate.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Filters:
    """Which rows count: a time window (``since <= time < until``, open when None) and noise to leave out."""

    since: datetime | None = None
    until: datetime | None = None
    exclude_ports: tuple[int, ...] = ()
    exclude_processes: tuple[str, ...] = ()

    @property
    def windowed(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class EngineOptions:
    memory_limit: str = "1GB"
    threads: int | None = None  # DuckDB's default: every core
    temp_directory: Path | None = None  # default: a fresh folder under the system's temporary folder


@contextmanager
def connect(options: EngineOptions, ordered: bool) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """An in-memory DuckDB bounded by ``memory_limit``, spilling to a temporary folder removed on exit.

    ``ordered`` keeps rows in file order (needed to number them); otherwise DuckDB may reorder, which costs
    less memory. Also yields the temporary folder (for UTF-8 copies of files in other encodings)."""
    import duckdb

    try:
        spill = Path(tempfile.mkdtemp(prefix="migrator-duckdb-", dir=options.temp_directory))
    except OSError as exc:
        raise InputError(
            f"cannot create a temporary folder: {exc.strerror}", file=options.temp_directory
        ) from None
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": options.memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": ordered,
    }
    if options.threads:
        config["threads"] = options.threads
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise InputError(
            f"cannot start DuckDB: {first_line(exc)}", expected="a valid --memory-limit"
        ) from None
    try:
        yield con, spill
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def scans(sources: Sequence[Source]) -> list[list[Source]]:
    """Sources grouped so that files of one layout and dialect are read by one scan, in input order."""
    groups: dict[tuple[object, ...], list[Source]] = {}
    for src in sources:
        groups.setdefault(src.scan_key, []).append(src)
    return list(groups.values())


def define_views(
    con: duckdb.DuckDBPyConnection, sources: Sequence[Source], filters: Filters, with_rows: bool
) -> list[str]:
    """Create the four views ``aggregate.sql`` reads; returns the names of the CSV reject tables."""
    parts, rejects = [], []
    for i, group in enumerate(scans(sources)):
        name = f"rejects_{i}"
        parts.append(select_sql(group, name, filters.windowed, with_rows))
        if group[0].kind == "csv":
            rejects.append(name)
    con.execute("CREATE OR REPLACE TEMP VIEW dependency_rows AS " + " UNION ALL ".join(parts))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE time_window AS SELECT CAST(? AS TIMESTAMP) AS window_start, "
        "CAST(? AS TIMESTAMP) AS window_end",
        [filters.since, filters.until],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE excluded_ports (port INTEGER)")
    if filters.exclude_ports:
        con.executemany(
            "INSERT INTO excluded_ports VALUES (?)", [[p] for p in sorted(set(filters.exclude_ports))]
        )
    con.execute("CREATE OR REPLACE TEMP TABLE excluded_processes (process VARCHAR)")
    if filters.exclude_processes:
        procs = sorted({p.strip().lower() for p in filters.exclude_processes})
        con.executemany("INSERT INTO excluded_processes VALUES (?)", [[p] for p in procs])
    return rejects


_EXPECTED = {
    "port": "a port number",
    "count": "a number of connections",
    "weight": "a plain number",
    "slot": "a date and time such as 2026-10-01 06:00",
}


def check_rejects(con: duckdb.DuckDBPyConnection, tables: Sequence[str], sources: Sequence[Source]) -> None:
    """Raise an InputError for the first row DuckDB's CSV reader could not read (file order, then row)."""
    order = {str(s.scanned): i for i, s in enumerate(sources)}
    found: list[tuple[int, int, str | None, str, str]] = []
    for table in tables:
        try:
            rows = con.execute(
                "SELECT s.file_path, e.line, e.column_name, e.error_type, e.error_message "
                f"FROM {ident(table)} e JOIN {ident(table + '_scan')} s "
                "ON e.scan_id = s.scan_id AND e.file_id = s.file_id"
            ).fetchall()
        except Exception:  # noqa: BLE001 - no table: the scan found nothing to reject
            continue
        found += [
            (order.get(str(p), 0), int(line), col, str(kind), str(msg)) for p, line, col, kind, msg in rows
        ]
    if not found:
        return
    index, line, column, kind, message = min(found, key=lambda f: (f[0], f[1]))
    src = sources[index]
    path = str(src.path)
    more = f" ({len(found) - 1} more such rows)" if len(found) > 1 else ""
    if kind == "CAST" and column is not None:
        value = re.search(r'Could not convert string "(.*)" to', message)
        role = next((k for k, v in src.columns.items() if v == column), "")
        what = "not a date and time" if role == "slot" else "not a number"
        shown = repr(value.group(1)) if value else "the cell"
        raise InputError(
            f"{what}: {shown}{more}", file=path, row=line, column=column, expected=_EXPECTED.get(role)
        )
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if counts:
        raise InputError(
            f"row has {counts.group(2)} fields but the header has {counts.group(1)}{more}",
            file=path,
            row=line,
        )
    raise InputError(f"cannot read the row ({kind.lower()}): {message}{more}", file=path, row=line)


def parquet_errors(con: duckdb.DuckDBPyConnection, sources: Sequence[Source], filters: Filters) -> None:
    """After a failed cast: the first Parquet row whose port, count or time does not convert."""
    casts = {"port": "DOUBLE", "count": "DOUBLE", "weight": "DOUBLE"}
    if filters.windowed:
        casts["slot"] = "TIMESTAMP"
    for src in sources:
        if src.kind != "parquet":
            continue
        for role, sql_type in casts.items():
            if role not in src.columns:
                continue
            col = ident(src.columns[role])
            bad = con.execute(
                f"SELECT file_row_number, CAST({col} AS VARCHAR) FROM read_parquet({literal(src.path)}, "
                f"file_row_number = true) WHERE {col} IS NOT NULL AND TRY_CAST({col} AS {sql_type}) IS NULL "
                "ORDER BY file_row_number LIMIT 1"
            ).fetchall()
            if bad:
                what = "not a date and time" if role == "slot" else "not a number"
                raise InputError(
                    f"{what}: {bad[0][1]!r}",
                    file=src.path,
                    row=int(bad[0][0]) + 1,
                    column=src.columns[role],
                    expected=_EXPECTED[role],
                )


_CSV_LINE = re.compile(r"on Line: (\d+)")
_CSV_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def engine_error(exc: Exception, sources: Sequence[Source]) -> InputError:
    """A DuckDB error the targeted checks did not explain, as one line naming what DuckDB names."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    file = _CSV_FILE.search(text)
    path = file.group(1).strip() if file else (str(sources[0].path) if len(sources) == 1 else None)
    message = first_line(exc)
    message = re.sub(r"^[A-Za-z ]+Error: ", "", message)
    return InputError(
        f"cannot read the dependency rows: {message}", file=path, row=int(line.group(1)) if line else None
    )


def _line_count(path: Path) -> int:
    lines, last = 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (0 if last in (b"\n", b"") else 1)


def file_rows(src: Source, records: np.ndarray, n_records: int) -> np.ndarray:
    """Data records (1 = the first) as a spreadsheet numbers the file's rows: blank lines counted, in plain
    CSV files (a compressed file's rows are numbered without them)."""
    plain = records.astype(np.int64) + src.header_line
    if src.kind != "csv" or src.path.suffix.lower() == ".gz":
        return plain
    # Counted streaming: as many lines as rows means no blank line and no line break in a cell.
    if _line_count(src.scanned) == src.header_line + n_records:
        return plain
    return non_blank_rows(src.scanned.read_bytes(), src.header_line, n_records)[records - 1]


def value_errors(con: duckdb.DuckDBPyConnection, sources: Sequence[Source], filters: Filters) -> None:
    """After a failed check: the first row whose port is not a whole number from 0 to 65535, or whose count
    or weight is not finite and from 0 to 1e15, named with file, row and column."""
    from migrator.inputs.units import LIMITS, check_range

    checks = {"port": PORT_OK, "count": WEIGHT_OK, "weight": WEIGHT_OK}
    for i, src in enumerate(sources):
        for role, ok in checks.items():
            if role not in src.columns:
                continue
            col = ident(src.columns[role])
            value = f"CAST({col} AS DOUBLE)"
            number = "file_row_number + 1" if src.kind == "parquet" else "ROW_NUMBER() OVER ()"
            scan = scan_sql([src], f"check_{i}_{role}", filters.windowed)
            if src.kind == "parquet":
                scan = f"read_parquet({literal(src.path)}, file_row_number = true)"
            bad = con.execute(
                f"SELECT n, v, total FROM (SELECT {number} AS n, {value} AS v, COUNT(*) OVER () AS total "
                f"FROM {scan}) WHERE v IS NOT NULL AND NOT ({ok.format('v')}) ORDER BY n LIMIT 1"
            ).fetchall()
            if bad:
                n, v, total = bad[0]
                row = int(n) if src.kind == "parquet" else int(file_rows(src, np.array([n]), int(total))[0])
                limit = LIMITS["port" if role == "port" else "weight"]
                check_range(
                    pd.Series([v]),
                    pd.Series([v]),
                    limit,
                    file=src.path,
                    column=src.columns[role],
                    rows=np.array([row]),
                )
