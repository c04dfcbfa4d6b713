"""Raw dependency files as DuckDB scans: the file's kind and layout, and the SELECT that turns its rows into
the ``dependency_rows`` view the aggregation reads (columns as ``aggregate.sql`` declares them).

A file is CSV (optionally ``.gz``) or Parquet; its header says whether it is one of Azure Migrate's dependency
export layouts (``Timeslot``/``Time slot`` or ``Date, Source Appliance Name, ...``) or migrator's native
dependencies. CSV cells are cast by DuckDB's CSV reader itself (port, count, time), which records each row it
cannot read with its line as a spreadsheet numbers it (``store_rejects``): the error names file, row, column.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from migrator.errors import Finding, InputError
from migrator.inputs.base import check_exists
from migrator.inputs.dependency_export import ALIASES as EXPORT_ALIASES
from migrator.inputs.mapping import find_columns, norm

if TYPE_CHECKING:
    import duckdb

TEXT = ("source", "source_ip", "source_process", "target", "target_ip", "target_process")
NATIVE_ALIASES = {"connections": "weight", "bytes": "weight"}
NATIVE_COLUMNS = (*TEXT, "port", "protocol", "weight")
UTF8 = ("utf-8", "utf-8-sig")
# Values DuckDB reads but planning refuses (units.LIMITS): found again row by row when one turns up.
CHECK = "migrator-check:"
PORT_OK = "{0} >= 0 AND {0} <= 65535 AND {0} = FLOOR({0})"
WEIGHT_OK = "isfinite({0}) AND {0} >= 0 AND {0} <= 1e15"


@dataclass(frozen=True)
class Source:
    """One raw file: how to scan it and which of its columns holds each canonical column."""

    path: Path
    kind: str  # "csv" or "parquet"
    layout: str  # "export" or "native"
    columns: dict[str, str]  # canonical name -> the file's column
    header: tuple[str, ...]
    delimiter: str = ","
    encoding: str = "utf-8"  # a Python codec; DuckDB reads UTF-8, other encodings are transcoded first
    header_line: int = 1  # the file row of the header (blank lines above it counted)
    findings: tuple[Finding, ...] = ()
    scan_path: Path | None = None  # the file DuckDB reads when it is not ``path`` (a UTF-8 copy)
    time_format: str = ""  # a strptime format when the times are not ISO (2026-10-01 06:00)

    @property
    def scan_key(self) -> tuple[object, ...]:
        """Files with the same key are read by one scan."""
        cols = tuple(sorted(self.columns.items()))
        return (self.kind, self.layout, cols, self.delimiter, self.header_line, self.time_format)

    @property
    def scanned(self) -> Path:
        return self.scan_path or self.path


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _sniff_text(path: Path, head: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Encoding, delimiter and header from the first bytes of a (decompressed) CSV."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[1:2] == b"\x00":
        encoding = "utf-16"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = head.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace").lstrip("\ufeff")
    line = next((x.rstrip("\r") for x in text.split("\n") if x.strip()), "")
    if not line:
        raise InputError("file has no header row", file=path, row=1)
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    header = next(csv.reader(io.StringIO(line), delimiter=delimiter if counts[delimiter] else ","))
    return encoding, delimiter if counts[delimiter] else ",", tuple(h.strip() for h in header)


def _csv_dialect(path: Path) -> tuple[str, str, tuple[str, ...]]:
    """Encoding, delimiter and header of a compressed CSV, from its first bytes."""
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot decompress: {exc}", file=path) from None
    return _sniff_text(path, head)


def _parquet_header(path: Path) -> tuple[str, ...]:
    import duckdb

    try:
        rows = duckdb.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(path)})").fetchall()
        return tuple(str(row[0]) for row in rows)
    except duckdb.Error as exc:
        raise InputError(f"cannot read as Parquet: {str(exc).splitlines()[0]}", file=path) from None


def file_header(path: Path) -> tuple[str, ...]:
    """The column names of a compressed CSV or a Parquet file."""
    check_exists(path)
    return _parquet_header(path) if is_parquet(path) else _csv_dialect(path)[2]


def _export_columns(header: Sequence[str], path: Path) -> dict[str, str]:
    cols = find_columns(header, EXPORT_ALIASES)
    for key, label in (("source", "Source server name"), ("port", "Destination port")):
        if key not in cols:
            raise InputError("dependency export column missing", file=path, row=1, column=label)
    if "target" not in cols and "target_ip" not in cols:
        raise InputError(
            "dependency export column missing", file=path, row=1, column="Destination server name"
        )
    return cols


def _native_columns(header: Sequence[str], path: Path) -> dict[str, str]:
    cols: dict[str, str] = {}
    for col in header:
        key = col.strip().lower()
        key = NATIVE_ALIASES.get(key, key) if NATIVE_ALIASES.get(key) not in cols else key
        if key in NATIVE_COLUMNS and key not in cols:
            cols[key] = col
        elif not key.startswith("x_"):
            raise InputError(
                "unknown column for a dependencies file",
                file=path,
                row=1,
                column=col,
                expected="one of " + ", ".join(NATIVE_COLUMNS) + " (or a custom column prefixed x_)",
            )
    return cols


def layout_of(header: Sequence[str], path: Path) -> tuple[str, dict[str, str]]:
    """``export`` or ``native``, with the canonical -> file column map; an InputError for anything else."""
    have = {norm(h) for h in header}
    if "sourceservername" in have:
        return "export", _export_columns(header, path)
    if {"source", "target"} <= {h.strip().lower() for h in header}:
        return "native", _native_columns(header, path)
    raise InputError(
        "not a dependency file: the header has neither Azure Migrate's 'Source server name' nor the native "
        "'source' and 'target'",
        file=path,
        row=1,
        expected="an Azure Migrate dependency export or a native dependencies file",
    )


def source_of(path: Path) -> Source:
    check_exists(path)
    if is_parquet(path):
        header = _parquet_header(path)
        layout, cols = layout_of(header, path)
        return Source(path, "parquet", layout, cols, header)
    if path.suffix.lower() == ".gz":
        encoding, delimiter, header = _csv_dialect(path)
        layout, cols = layout_of(header, path)
        return Source(path, "csv", layout, cols, header, delimiter, encoding)
    from migrator.inputs.csvio import encoding_findings, sniff_dialect

    dialect = sniff_dialect(path)
    layout, cols = layout_of(dialect.header, path)
    findings = tuple(encoding_findings(path, dialect))
    return Source(
        path,
        "csv",
        layout,
        cols,
        dialect.header,
        dialect.delimiter,
        dialect.encoding,
        dialect.header_line,
        findings,
    )


def _plain_name(path: Path) -> str:
    """The file's name without a ``.gz`` suffix: the name of a decompressed copy (DuckDB judges compression
    by the name)."""
    return path.name[:-3] if path.name.lower().endswith(".gz") else path.name


def to_utf8(src: Source, folder: Path) -> Source:
    """A CSV DuckDB cannot decode (UTF-16, Windows-1252, Latin-1) as a UTF-8 copy in ``folder``."""
    if src.kind != "csv" or src.encoding in UTF8:
        return src
    copy = folder / f"utf8-{abs(hash(str(src.path)))}-{_plain_name(src.path)}"  # decompressed
    opener = gzip.open if src.path.suffix.lower() == ".gz" else open
    with opener(src.path, "rb") as raw, copy.open("wb") as out:
        text = io.TextIOWrapper(raw, encoding=src.encoding, newline="")
        while chunk := text.read(1 << 22):
            out.write(chunk.encode("utf-8"))
    return replace(src, scan_path=copy)


def _open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip (judged by its magic number, not its name)."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def mixes_line_ends(src: Source) -> bool:
    """Whether a CSV ends some lines with CR LF and others with LF alone (DuckDB's reader refuses such a
    file; read only after it has failed, so the common path never pays for the scan)."""
    if src.kind != "csv":
        return False
    crlf = lf = 0
    last = b""
    with _open_bytes(src.scanned) as raw:
        while chunk := raw.read(1 << 22):
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            lf += chunk.count(b"\n")
            last = chunk[-1:]
    return 0 < crlf < lf


def with_lf_line_ends(src: Source, folder: Path) -> Source:
    """The source as a copy in ``folder`` whose lines all end with LF (CR LF -> LF; rows keep their
    numbers)."""
    copy = folder / f"lf-{abs(hash(str(src.scanned)))}-{_plain_name(src.path)}"
    with _open_bytes(src.scanned) as raw, copy.open("wb") as out:
        held = b""
        while chunk := raw.read(1 << 22):
            chunk = held + chunk
            held = chunk[-1:] if chunk.endswith(b"\r") else b""
            out.write(chunk[: len(chunk) - len(held)].replace(b"\r\n", b"\n"))
        out.write(held)
    return replace(src, scan_path=copy)


def literal(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


def _types(src: Source, with_time: bool) -> dict[str, str]:
    """The casts DuckDB's CSV reader does while reading (so a bad cell is recorded with its line)."""
    types = {src.columns["port"]: "DOUBLE"} if "port" in src.columns else {}  # whole and in range: checked
    for key in ("count", "weight"):
        if key in src.columns:
            types[src.columns[key]] = "DOUBLE"
    if with_time and "slot" in src.columns:
        types[src.columns["slot"]] = "TIMESTAMP"
    return types


def scan_sql(sources: Sequence[Source], rejects: str, with_time: bool) -> str:
    """The table function reading these files (all of one ``scan_key``)."""
    first = sources[0]
    files = "[" + ", ".join(literal(s.scanned) for s in sources) + "]"
    if first.kind == "parquet":
        return f"read_parquet({files})"
    types = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in _types(first, with_time).items())
    times = f"timestampformat = {literal(first.time_format)}, " if first.time_format and with_time else ""
    return (
        f"read_csv({files}, header = true, all_varchar = true, delim = {literal(first.delimiter)}, "
        f"quote = '\"', escape = '\"', skip = {first.header_line - 1}, types = {{{types}}}, {times}"
        f"store_rejects = true, rejects_table = {literal(rejects)}, "
        f"rejects_scan = {literal(rejects + '_scan')}, rejects_limit = 1000)"
    )


def select_sql(sources: Sequence[Source], rejects: str, with_time: bool, with_rows: bool) -> str:
    """Rows of these files in the columns of the ``dependency_rows`` view."""
    first = sources[0]
    cols = first.columns
    parquet = first.kind == "parquet"

    def typed(key: str, sql_type: str) -> str:
        column = ident(cols[key])
        return f"CAST({column} AS {sql_type})" if parquet else column

    def checked(key: str, ok: str, cast: str) -> str:
        """The value when ``ok`` holds for it (``{}`` stands for it), else a DuckDB error naming the check."""
        value = typed(key, "DOUBLE")
        test = ok.format(value)
        return (
            f"CASE WHEN {value} IS NULL OR ({test}) THEN {cast.format(value)} ELSE error('{CHECK}{key}') END"
        )

    text = "CAST({} AS VARCHAR)" if parquet else "{}"  # trimmed by the statement, on the groups
    out = [f"{text.format(ident(cols[k]))} AS {k}" if k in cols else f"'' AS {k}" for k in TEXT]
    slot = typed("slot", "TIMESTAMP") if with_time and "slot" in cols else "CAST(NULL AS TIMESTAMP)"
    weight_key = "count" if first.layout == "export" else "weight"
    weight = checked(weight_key, WEIGHT_OK, "{}") if weight_key in cols else "CAST(NULL AS DOUBLE)"
    if first.layout == "native" and "protocol" in cols:
        protocol = ident(cols["protocol"])
    else:
        protocol = "'tcp'" if first.layout == "export" else "''"
    line = "ROW_NUMBER() OVER () + 1" if with_rows else "CAST(NULL AS BIGINT)"
    port = checked("port", PORT_OK, "CAST({} AS INTEGER)") if "port" in cols else "CAST(NULL AS INTEGER)"
    out += [
        f"{slot} AS slot",
        f"{protocol} AS protocol",
        f"{port} AS port",
        f"{weight} AS weight",
        f"{line} AS line",
    ]
    return "SELECT " + ", ".join(out) + " FROM " + scan_sql(sources, rejects, with_time)


# Times as exports write them besides ISO (which DuckDB reads by itself): month first, as the Azure portal
# writes them in US English, then day first. The first format that reads every sampled time is used.
TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def with_time_format(con: duckdb.DuckDBPyConnection, src: Source) -> Source:
    """The source with the format of its times when they are not ISO, judged on its first 500 times (a time
    no format reads is then named with its row by the scan)."""
    if src.kind != "csv" or "slot" not in src.columns:
        return src
    col = ident(src.columns["slot"])
    scan = (
        f"read_csv({literal(src.scanned)}, header = true, all_varchar = true, "
        f"delim = {literal(src.delimiter)}, quote = '\"', escape = '\"', skip = {src.header_line - 1})"
    )
    sample = f"(SELECT TRIM({col}) AS t FROM {scan} WHERE {col} IS NOT NULL LIMIT 500)"
    tests = ["COUNT(TRY_CAST(t AS TIMESTAMP))"]
    tests += [f"COUNT(try_strptime(t, {literal(f)}))" for f in TIME_FORMATS]
    row = con.execute(f"SELECT COUNT(*), {', '.join(tests)} FROM {sample}").fetchone()
    if row is None or not row[0] or row[1] == row[0]:
        return src
    fmt = next((f for f, n in zip(TIME_FORMATS, row[2:], strict=True) if n == row[0]), "")
    return replace(src, time_format=fmt)
