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
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from migrator.errors import Finding, InputError
from migrator.inputs.base import check_exists

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvDialect:
    encoding: str  # a pyarrow/Python codec name
    delimiter: str
    header: tuple[str, ...]
    header_line: int = 1  # the file row of the header (blank lines above it counted)


def detect_encoding(path: Path, head: bytes) -> str:
    """One encoding for the whole file: a BOM's, UTF-16 by its zero bytes, UTF-8 when every byte of the file
    decodes as UTF-8, else Windows-1252 (Latin-1 when a byte is undefined in it). A file that is UTF-8 in some
    rows and not in others is refused: decoding it either way would garble one half (``münchen`` read as
    ``mÃ¼nchen``)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00":
        return "utf-16-le"
    if len(head) >= 4 and head[0:1] == b"\x00" and head[2:3] == b"\x00":
        return "utf-16-be"
    bad_at = _first_non_utf8(path)
    if bad_at is None:
        return "utf-8"
    data = path.read_bytes()  # error path and legacy encodings only
    utf8 = _UTF8_SEQUENCE.search(data)
    if utf8 is not None:
        utf8_row, bad_row = data.count(b"\n", 0, utf8.start()) + 1, data.count(b"\n", 0, bad_at) + 1
        raise InputError(
            f"the file mixes encodings: row {utf8_row} has UTF-8 text, row {bad_row} has a byte that is "
            "not UTF-8",
            file=path,
            row=bad_row,
            expected="one encoding for the whole file, for example UTF-8",
        )
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


# A multi-byte UTF-8 character: in a file that is not UTF-8 throughout, the sign of a second encoding.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
LEGACY_ENCODINGS = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _first_non_utf8(path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, or None when the whole file decodes."""
    offset = 0
    with path.open("rb") as fh:
        decoder = codecs.getincrementaldecoder("utf-8")()
        pending = 0
        try:
            while chunk := fh.read(1 << 22):
                pending = len(decoder.getstate()[0])
                decoder.decode(chunk)
                offset += len(chunk)
            pending = len(decoder.getstate()[0])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return max(0, offset - pending + exc.start)
    return None


def encoding_findings(path: Path, dialect: CsvDialect) -> list[Finding]:
    """A finding when the encoding was a guess: a file that is not UTF-8 could be any 8-bit code page."""
    if dialect.encoding not in LEGACY_ENCODINGS:
        return []
    return [
        Finding(
            "encoding-guessed",
            f"the file is not UTF-8; read as {LEGACY_ENCODINGS[dialect.encoding]} (the usual encoding of "
            "Windows exports): if accented names look wrong, save the file as UTF-8",
            str(path),
            severity="info",
        )
    ]


def _first_line(text: str) -> tuple[str, int]:
    """The first line with text in it, and its row (lines split at newlines only, as the CSV parser does)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            return line.rstrip("\r"), number
    return "", 1


_remembered: dict[Path, CsvDialect] | None = None


@contextmanager
def dialects_remembered() -> Iterator[None]:
    """Within the block, a file's dialect is sniffed once (detecting the format and reading it both need it;
    sniffing decodes the whole file to tell its encoding)."""
    global _remembered
    outer, _remembered = _remembered, {} if _remembered is None else _remembered
    try:
        yield
    finally:
        _remembered = outer


def sniff_dialect(path: Path) -> CsvDialect:
    """Encoding, delimiter and header of a CSV file (raises InputError when there is no header)."""
    if _remembered is None:
        return _sniff(path)
    if path not in _remembered:
        _remembered[path] = _sniff(path)
    return _remembered[path]


def _sniff(path: Path) -> CsvDialect:
    check_exists(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    encoding = detect_encoding(path, head)
    text = head.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
    text = text.lstrip("\ufeff")
    line, header_line = _first_line(text)
    if not line:
        raise InputError("file has no header row", file=path, row=1)
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader(io.StringIO(line), delimiter=delimiter))
    header = [clean_header(h.strip().lstrip("\ufeff"), path, header_line) for h in header]
    return CsvDialect(encoding=encoding, delimiter=delimiter, header=tuple(header), header_line=header_line)


# C0 controls but tab (a line break cannot be in a cell), DEL and C1 controls: never text an inventory means.
CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
_CONTROL_RE = re.compile(CONTROL)
CONTROL_EXPECTED = "text without control characters such as NUL or escape"


def control_message(cell: str) -> str:
    char = _CONTROL_RE.search(cell)
    code = f"U+{ord(char.group()):04X}" if char else "a control character"
    return f"control character {code} in {cell!r}"


def clean_header(name: str, path: Path, row: int) -> str:
    """A header cell in Unicode NFC; a control character in it is refused."""
    if _CONTROL_RE.search(name):
        raise InputError(control_message(name), file=path, row=row, expected=CONTROL_EXPECTED)
    return unicodedata.normalize("NFC", name)


def _unique_names(header: tuple[str, ...], path: Path, row: int) -> list[str]:
    names = list(header)
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n == "":
            names[i] = f"column_{i + 1}"
        if names[i] in seen:
            raise InputError(
                f"column '{names[i]}' appears twice in the header", file=path, row=row, column=names[i]
            )
        seen[names[i]] = i
    return names


def read_csv_text(path: Path, dialect: CsvDialect | None = None) -> pd.DataFrame:
    """Every column as text (missing cells as ''), header names stripped, text in Unicode NFC.

    The frame's index is the file row of each data row as a spreadsheet numbers it: the header's row plus the
    blank lines skipped. A cell holding a control character (NUL, escape...) is refused with its row and
    column.
    """
    dialect = dialect or sniff_dialect(path)
    names = _unique_names(dialect.header, path, dialect.header_line)
    table = _parse(path, dialect, names)
    table = pa.table({name: _nfc(pc.utf8_trim_whitespace(table[name])) for name in table.column_names})
    data = _utf8_bytes(path, dialect)
    rows = data_rows(data, dialect, table.num_rows)
    if not _has_control(data):  # the usual case: no cell to look at
        return _frame(table, rows)
    for name in table.column_names:
        bad = pc.match_substring_regex(table[name], CONTROL)
        if pc.any(bad).as_py():
            i = int(pc.index(bad, True).as_py())
            cell = str(table[name][i].as_py())
            raise InputError(
                control_message(cell), file=path, row=int(rows[i]), column=name, expected=CONTROL_EXPECTED
            )
    return _frame(table, rows)


def _frame(table: pa.Table, rows: np.ndarray) -> pd.DataFrame:
    frame = table.to_pandas()
    frame.index = pd.Index(rows)
    return frame


# Control characters in UTF-8 bytes: C0 but tab and line breaks, DEL (one byte each), C1 (\xc2\x80-\xc2\x9f).
_C0_DEL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_control(data: bytes) -> bool:
    """Whether the file holds a control character anywhere (C-speed byte scans; the regex only on files with
    the lead byte of a C1 control)."""
    if len(data.translate(None, _C0_DEL)) != len(data):
        return True
    return b"\xc2" in data and _C1.search(data) is not None


def _utf8_bytes(path: Path, dialect: CsvDialect) -> bytes:
    """The file's bytes as UTF-8 (another encoding decoded and re-encoded; a BOM kept, it is no line)."""
    data = path.read_bytes()
    if dialect.encoding in ("utf-8", "utf-8-sig"):
        return data
    return data.decode(dialect.encoding, errors="replace").encode("utf-8")


def _nfc(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text in Unicode NFC (ASCII columns, the usual case, as they are)."""
    if pc.all(pc.string_is_ascii(column)).as_py() is not False:
        return column
    return pc.utf8_normalize(column, form="NFC")


def _parse(path: Path, dialect: CsvDialect, names: list[str]) -> pa.Table:
    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    encoding = "utf-8" if dialect.encoding in ("utf-8-sig",) else dialect.encoding
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=names, skip_rows=dialect.header_line, block_size=1 << 24
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
    return table


def data_rows(data: bytes, dialect: CsvDialect, n: int) -> np.ndarray:
    """The file row of each of the ``n`` data rows (``data``: the file as UTF-8): lines after the header,
    empty lines (which the parser skips) counted. The plain numbering when the file has no empty line."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines == dialect.header_line + n:
        return np.arange(n, dtype=np.int64) + dialect.header_line + 1
    return non_blank_rows(data, dialect.header_line, n)


def non_blank_rows(data: bytes, header_line: int, n: int) -> np.ndarray:
    """The file row of each of the ``n`` data rows of a UTF-8 file whose empty lines (``\n`` or ``\r\n``
    alone) the parser skipped, vectorised over the bytes; the plain numbering when the count of non-empty
    lines after the header is not ``n`` (a cell holds a line break)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    last = np.where(length > 0, buf[np.minimum(starts + np.maximum(length - 1, 0), len(buf) - 1)], 0)
    empty = (length == 0) | ((length == 1) & (last == 13))
    numbers = np.flatnonzero(~empty) + 1
    numbers = numbers[numbers > header_line]
    if len(numbers) != n:
        return np.arange(n, dtype=np.int64) + header_line + 1
    return numbers.astype(np.int64)


def _find_ragged_row(path: Path, dialect: CsvDialect, expected: int) -> int | None:
    """Error path only: the file row of the first record whose field count differs from the header's."""
    with path.open("r", encoding=dialect.encoding, newline="", errors="replace") as fh:
        for number, record in enumerate(csv.reader(fh, delimiter=dialect.delimiter), start=1):
            if number > 1 and record and len(record) != expected:
                return number
    return None
