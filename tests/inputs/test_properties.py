"""Property tests: whatever the cells of a file hold, every reader ends in a plan or in one line naming what
is wrong (an InputError, exit code 2 on the command line): never a traceback, never a hang.

Cells are drawn from plausible values and hostile ones (any Unicode text, NUL and control characters, bidi
overrides, decomposed accents, 1e309, inf, NaN, huge and negative numbers, units in numbers); files from any
encoding migrator reads, any delimiter, with blank lines. The normal run is derandomised with a few examples
per reader (tests/conftest.py); ``HYPOTHESIS_PROFILE=long`` explores hundreds.
"""

from __future__ import annotations

import csv
import io
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from migrator.errors import InputError
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings

SETTINGS = load_settings(None, {"planning": {"optimise": False}}, environ={})

HOSTILE = st.sampled_from(
    [
        "1e309",
        "-1e309",
        "inf",
        "-inf",
        "Infinity",
        "NaN",
        "",
        " ",
        "-1",
        "1e15",
        "1e300",
        "1,5",
        "1.024,5",
        "0x10",
        "16 GB",
        "w\x00eb",
        "\x1b[31mred",
        "evil\u202egnp.exe",
        "@octocat",
        "caf\u0065\u0301",
        "café",
        "münchen",
        "=cmd|'/C calc'!A0",
        "a;b",
        'quote"d',
        "line\nbreak",
    ]
)
ANY_TEXT = st.text(max_size=10)
NUMBER = st.one_of(
    st.integers(min_value=0, max_value=64).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
NAME = st.one_of(st.sampled_from(["web01", "db01", "app01", "WEB01"]), ANY_TEXT)


def cell(plausible: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly a plausible value, else anything."""
    return st.one_of(plausible, plausible, HOSTILE, ANY_TEXT, NUMBER)


def small(top: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=top).map(str)


def rows_of(columns: Sequence[st.SearchStrategy[str]]) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.tuples(*columns).map(list), min_size=1, max_size=5)


@st.composite
def csv_bytes(draw: st.DrawFn, header: Sequence[str], columns: Sequence[st.SearchStrategy[str]]) -> bytes:
    """A CSV file of the given header: any delimiter, encoding and blank lines."""
    rows = draw(rows_of(columns))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if draw(st.booleans()) and draw(st.booleans()):
            buf.write("\n")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return buf.getvalue().encode(encoding, errors="replace")


def planned_or_refused_in_one_line(
    tmp_path: Path, servers: Sequence[Path], deps: Sequence[Path] = (), hosts: Sequence[Path] = ()
) -> str:
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(120)  # a hang fails the example instead of stopping the suite
    try:
        result = run_plan(PlanInputs(servers, deps, hosts), SETTINGS)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, message
        return "refused"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(result.servers) >= 1
    return "planned"


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError("no plan and no refusal within 120 s")


SERVERS_OK = "name,cores,memory_gb,storage_gb,host\nweb01,2,8,100,esx01\ndb01,4,16,200,esx01\n"


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _given_csv(header: Sequence[str], columns: Sequence[st.SearchStrategy[str]]) -> Callable:
    return given(data=csv_bytes(header, columns))


@_given_csv(
    ["name", "cores", "memory_gb", "storage_gb", "cpu_util_pct", "application", "power_w", "disks_gb"],
    [cell(NAME), cell(small(16)), cell(small(64)), cell(small(500)), cell(small(100)), cell(NAME)]
    + [cell(small(500)), cell(st.sampled_from(["100;50", "", "10"]))],
)
def test_native_servers(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("native")
    planned_or_refused_in_one_line(tmp, [_write(tmp, "servers.csv", data)])


@_given_csv(
    ["source", "target", "port", "weight"],
    [cell(NAME), cell(NAME), cell(small(65535)), cell(small(1000))],
)
def test_native_dependencies(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("deps")
    servers = _write(tmp, "servers.csv", SERVERS_OK)
    planned_or_refused_in_one_line(tmp, [servers], [_write(tmp, "deps.csv", data)])


@_given_csv(
    ["host", "cluster", "cores", "memory_gb", "power_w"],
    [cell(st.just("esx01")), cell(NAME), cell(small(64)), cell(small(1024)), cell(small(900))],
)
def test_native_hosts(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("hosts")
    servers = _write(tmp, "servers.csv", SERVERS_OK)
    planned_or_refused_in_one_line(tmp, [servers], hosts=[_write(tmp, "hosts.csv", data)])


@_given_csv(
    [
        "*Server name",
        "IP addresses",
        "*Cores",
        "*Memory (In MB)",
        "*OS name",
        "CPU utilization percentage",
        "Disk 1 size (In GB)",
        "Disk 1 read ops (operations per second)",
    ],
    [
        cell(NAME),
        cell(st.just("10.0.0.1")),
        cell(small(16)),
        cell(small(65536)),
        cell(st.just("Ubuntu 22.04")),
    ]
    + [cell(small(100)), cell(small(1000)), cell(small(5000))],
)
def test_azure_migrate_csv(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("azmig")
    planned_or_refused_in_one_line(tmp, [_write(tmp, "import.csv", data)])


@_given_csv(
    ["VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB", "Host", "Cluster"],
    [cell(NAME), cell(st.just("poweredOn")), cell(small(16)), cell(small(65536)), cell(small(10**6))]
    + [cell(st.just("esx01")), cell(st.just("c1"))],
)
def test_rvtools_vinfo_csv(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("vinfo")
    planned_or_refused_in_one_line(tmp, [_write(tmp, "vinfo.csv", data)])


@_given_csv(
    ["Host", "Cluster", "# Cores", "# Memory"],
    [cell(st.just("esx01")), cell(st.just("c1")), cell(small(64)), cell(small(10**6))],
)
def test_rvtools_vhost_csv(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("vhost")
    servers = _write(tmp, "servers.csv", SERVERS_OK)
    planned_or_refused_in_one_line(tmp, [servers], hosts=[_write(tmp, "vhost.csv", data)])


@_given_csv(
    ["Timeslot", "Source server name", "Source IP", "Destination server name", "Destination IP"]
    + ["Destination port", "Connection Count"],
    [cell(st.just("2024-01-01 00:00")), cell(NAME), cell(st.just("10.0.0.1")), cell(NAME)]
    + [cell(st.just("10.0.0.2")), cell(small(65535)), cell(small(100))],
)
def test_dependency_export(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("depexport")
    servers = _write(tmp, "servers.csv", SERVERS_OK)
    planned_or_refused_in_one_line(tmp, [servers], [_write(tmp, "export.csv", data)])


def _workbook(path: Path, sheets: dict[str, tuple[list[str], list[list[str]]]], above: int) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    try:
        for title, (header, rows) in sheets.items():
            ws = wb.create_sheet(title)
            for _ in range(above):
                ws.append([])
            ws.append(header)
            for row in rows:
                ws.append([float(v) if v.isascii() and v.isdigit() else v for v in row])
        wb.save(path)
    except (
        ValueError,
        IllegalCharacterError,
    ):  # openpyxl refuses control characters in cells: such a workbook cannot be written
        assume(False)
    return path


VINFO = (["VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB"],)
VINFO_CELLS = [
    cell(NAME),
    cell(st.just("poweredOn")),
    cell(small(16)),
    cell(small(65536)),
    cell(small(10**6)),
]


@given(
    vinfo=rows_of(VINFO_CELLS),
    vdisk=rows_of([cell(NAME), cell(small(10**6))]),
    above=st.integers(min_value=0, max_value=2),
)
def test_rvtools_workbook(
    tmp_path_factory: pytest.TempPathFactory, vinfo: list[list[str]], vdisk: list[list[str]], above: int
) -> None:
    tmp = tmp_path_factory.mktemp("rvtools")
    sheets = {"vInfo": (VINFO[0], vinfo), "vDisk": (["VM", "Capacity MiB"], vdisk)}
    planned_or_refused_in_one_line(tmp, [_workbook(tmp / "rvtools.xlsx", sheets, above)])


@given(
    rows=rows_of([cell(NAME), cell(small(16)), cell(small(65536)), cell(st.just("Windows Server 2019"))]),
    above=st.integers(min_value=0, max_value=2),
)
def test_discovery_report(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], above: int
) -> None:
    tmp = tmp_path_factory.mktemp("discovery")
    header = ["Machine Name", "Cores", "Memory (in MB)", "Operating System"]
    path = _workbook(tmp / "report.xlsx", {"Discovery_Report": (header, rows)}, above)
    planned_or_refused_in_one_line(tmp, [path])
