"""Fast, forgiving CSV reading shared by every CSV-based reader.

pyarrow parses; this module decides the encoding (UTF-8 with or without BOM, UTF-16, Latin-1) and the
delimiter (comma, semicolon, tab) from the file's start, reads every column as text (typing and unit
conversion belong to :mod:`migrator.validate` so that a bad number can be reported with its row), and turns
a ragged row into an :class:`InputError` naming the row.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from migrator.errors import InputError
from migrator.inputs.base import check_exists

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvDialect:
    encoding: str  # a pyarrow/Python codec name
    delimiter: str
    header: tuple[str, ...]


def detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00":
        return "utf-16-le"
    if len(head) >= 4 and head[0:1] == b"\x00" and head[2:3] == b"\x00":
        return "utf-16-be"
    try:
        with path.open("rb") as fh:
            decoder = codecs.getincrementaldecoder("utf-8")()
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def sniff_dialect(path: Path) -> CsvDialect:
    """Encoding, delimiter and header of a CSV file (raises InputError when there is no header)."""
    check_exists(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    encoding = detect_encoding(path, head)
    text = head.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
    text = text.lstrip("\ufeff")
    line = _first_line(text)
    if not line:
        raise InputError("file has no header row", file=path, row=1)
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader(io.StringIO(line), delimiter=delimiter))
    header = [h.strip().lstrip("\ufeff") for h in header]
    return CsvDialect(encoding=encoding, delimiter=delimiter, header=tuple(header))


def read_csv_text(path: Path, dialect: CsvDialect | None = None) -> pd.DataFrame:
    """Every column as text (missing cells as ''), header names stripped.

    Row i of the frame is file row i + 2.
    """
    dialect = dialect or sniff_dialect(path)
    names = list(dialect.header)
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n == "":
            names[i] = f"column_{i + 1}"
        if names[i] in seen:
            raise InputError(
                f"column '{names[i]}' appears twice in the header", file=path, row=1, column=names[i]
            )
        seen[names[i]] = i
    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    encoding = "utf-8" if dialect.encoding in ("utf-8-sig",) else dialect.encoding
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=names, skip_rows=1, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter, invalid_row_handler=on_invalid, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse as CSV: {exc}", file=path) from None
    if bad_rows:
        number, expected, actual = bad_rows[0]
        if number is None:
            number = _find_ragged_row(path, dialect, expected)
        more = f" ({len(bad_rows) - 1} more such rows)" if len(bad_rows) > 1 else ""
        raise InputError(
            f"row has {actual} fields but the header has {expected}{more}",
            file=path,
            row=number,
            expected=f"{expected} fields separated by '{dialect.delimiter}'",
        )
    import pyarrow.compute as pc

    table = pa.table({name: pc.utf8_trim_whitespace(table[name]) for name in table.column_names})
    return table.to_pandas()


def _find_ragged_row(path: Path, dialect: CsvDialect, expected: int) -> int | None:
    """Error path only: the file row of the first record whose field count differs from the header's."""
    with path.open("r", encoding=dialect.encoding, newline="", errors="replace") as fh:
        for number, record in enumerate(csv.reader(fh, delimiter=dialect.delimiter), start=1):
            if number > 1 and record and len(record) != expected:
                return number
    return None
