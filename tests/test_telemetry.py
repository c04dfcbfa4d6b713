"""Raw dependency telemetry aggregated by DuckDB: the same flows as the pandas reader planning used before,
both export layouts and native rows, CSV / CSV.gz / Parquet, time windows, noise filters, bad rows named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.inputs.csvio import read_csv_text
from migrator.inputs.mapping import find_columns
from migrator.inputs.units import parse_numbers
from migrator.telemetry import Filters, aggregate_frame, aggregate_to_csv, read_export, statement
from migrator.telemetry.sources import EXPORT_ALIASES

DATA = Path(__file__).resolve().parent / "data" / "inputs"
SAMPLE = DATA / "azure-migrate-dependency-export-sample.csv"
TIMESLOT = (
    "Timeslot,Source server name,Source IP,Source application,Source process,Destination server name,"
    "Destination IP,Destination application,Destination process,Destination port"
)
DATE = (
    "Date,Source Appliance Name,Source Machine ARM ID,Source Server Name,Source IP,Source Application,"
    "Source Process,Destination Server Name,Destination IP,Destination Application,Destination Process,"
    "Destination Port,Connection Count"
)
KEYS = ["source", "source_ip", "source_process", "target", "target_ip", "target_process", "port"]


def reference_flows(path: Path) -> pd.DataFrame:
    """The pandas aggregation the export reader used before DuckDB (migrator 36e6a64), kept as the reference:
    rows summed per flow in the order each flow first appears, ``source_row`` its first row in the file."""
    frame = read_csv_text(path)
    cols = find_columns(frame.columns, EXPORT_ALIASES)
    rows = pd.DataFrame(index=frame.index)
    for key in KEYS[:-1]:
        rows[key] = frame[cols[key]].astype(str).str.strip() if key in cols else ""
    port = parse_numbers(frame[cols["port"]], file=path, column=cols["port"], quantity="port")
    rows["port"] = port.fillna(-1).astype("int64")
    if "count" in cols:
        count = parse_numbers(frame[cols["count"]], file=path, column=cols["count"], quantity="weight")
        rows["weight"] = count.fillna(1.0)
    else:
        rows["weight"] = 1.0
    rows["_first_row"] = frame.index.to_numpy()
    grouped = (
        rows.groupby(KEYS, sort=True, dropna=False)
        .agg(weight=("weight", "sum"), source_row=("_first_row", "min"))
        .reset_index()
    )
    grouped["port"] = grouped["port"].astype(object).where(grouped["port"] >= 0, "")
    grouped["protocol"] = "tcp"
    return grouped.sort_values("source_row", kind="mergesort").reset_index(drop=True)


def test_the_sample_export_gives_what_the_pandas_reader_gave() -> None:
    flows, n_rows, src = read_export(SAMPLE)
    pd.testing.assert_frame_equal(flows, reference_flows(SAMPLE), check_dtype=False)
    assert n_rows == 5 and src.layout == "export"
    assert list(flows["source_row"]) == [2, 3, 4, 5, 6]


def test_new_layout_sums_connection_counts_per_flow(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(
        DATE + "\n"
        "2026-01-01,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,db01,10.0.0.2,SQL,sqlservr.exe,1433,5\n"
        "2026-01-02,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,db01,10.0.0.2,SQL,sqlservr.exe,1433,7\n"
        "2026-01-02,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,,52.1.2.3,,,443,\n"
    )
    flows, n_rows, _ = read_export(p)
    assert {(r.target, r.target_ip, r.port): r.weight for r in flows.itertuples()} == {
        ("db01", "10.0.0.2", 1433): 12.0,
        ("", "52.1.2.3", 443): 1.0,  # an empty count counts the row once
    }
    assert n_rows == 3
    pd.testing.assert_frame_equal(flows, reference_flows(p), check_dtype=False)


NAMES = st.sampled_from(["web01", "db01", " db01 ", "app-1", ""])
IPS = st.sampled_from(["10.0.0.1", "10.0.0.2", ""])
PROCS = st.sampled_from(["java", "sqlservr.exe", ""])
PORTS = st.sampled_from(["443", "1433", "", " 80 "])
ROWS = st.lists(st.tuples(NAMES, IPS, PROCS, NAMES, IPS, PROCS, PORTS), min_size=1, max_size=30)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)  # examples: profile
@given(rows=ROWS)
def test_any_timeslot_export_gives_what_the_pandas_reader_gave(tmp_path: Path, rows: list[tuple]) -> None:
    p = tmp_path / "deps.csv"
    lines = [f"2026-01-01 00:00,{s},{si},,{sp},{t},{ti},,{tp},{port}" for s, si, sp, t, ti, tp, port in rows]
    p.write_text(TIMESLOT + "\n" + "\n".join(lines) + "\n")
    flows, _, _ = read_export(p)
    pd.testing.assert_frame_equal(flows, reference_flows(p), check_dtype=False)


def _export(tmp_path: Path, name: str = "deps.csv") -> Path:
    p = tmp_path / name
    p.write_text(
        TIMESLOT + "\n"
        "2026-10-01 00:00,web01,10.0.0.1,Shop,nginx,db01,10.0.0.2,SQL,sqlservr.exe,1433\n"
        "2026-10-01 06:00,web01,10.0.0.1,Shop,nginx,db01,10.0.0.2,SQL,sqlservr.exe,1433\n"
        "2026-10-02 00:00,web01,10.0.0.1,Shop,nginx,db01,10.0.0.2,SQL,sqlservr.exe,1433\n"
        "2026-10-01 00:00,web01,10.0.0.1,Shop,nginx,dc01,10.0.0.9,AD,dns.exe,53\n"
        "2026-10-01 00:00,web01,10.0.0.1,Shop,MonAgent.exe,mon01,10.0.0.8,Ops,collector,8443\n"
    )
    return p


def _weights(frame: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    return {(r.source, r.target, int(r.port)): r.weight for r in frame.itertuples()}


def test_time_window_keeps_since_up_to_until(tmp_path: Path) -> None:
    p = _export(tmp_path)
    since = pd.Timestamp("2026-10-01 06:00").to_pydatetime()
    until = pd.Timestamp("2026-10-02 00:00").to_pydatetime()
    flows = aggregate_frame([p], Filters(since=since, until=until))
    assert _weights(flows) == {("web01", "db01", 1433): 1.0}  # 06:00 only: 00:00 before, 2 Oct not before
    assert _weights(aggregate_frame([p], Filters(since=since)))[("web01", "db01", 1433)] == 2.0


def test_excluded_ports_and_processes_at_either_end_are_left_out(tmp_path: Path) -> None:
    p = _export(tmp_path)
    flows = aggregate_frame([p], Filters(exclude_ports=(53,), exclude_processes=("monagent.exe",)))
    assert _weights(flows) == {("web01", "db01", 1433): 3.0}
    by_target = aggregate_frame([p], Filters(exclude_processes=("SQLSERVR.EXE",)))
    assert ("web01", "db01", 1433) not in _weights(by_target)


def test_native_rows_are_aggregated_with_their_weights(tmp_path: Path) -> None:
    p = tmp_path / "native.csv"
    p.write_text(
        "source,target,port,protocol,connections,x_note\n"
        "web01,db01,1433,TCP,5,a\n"
        " web01 ,db01,1433,tcp,,b\n"
        "web01,db01,,udp,2,c\n"
    )
    flows = aggregate_frame([p])
    got = {
        (r.source, r.target, r.protocol, None if pd.isna(r.port) else int(r.port)): r.weight
        for r in flows.itertuples()
    }
    assert got == {("web01", "db01", "tcp", 1433): 6.0, ("web01", "db01", "udp", None): 2.0}


def test_gzip_and_parquet_give_the_same_flows_as_csv(tmp_path: Path) -> None:
    p = _export(tmp_path)
    gz = tmp_path / "deps.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    parquet = tmp_path / "deps.parquet"
    pq.write_table(
        pa.csv.read_csv(p, convert_options=pa.csv.ConvertOptions(strings_can_be_null=True)), parquet
    )
    expected = aggregate_frame([p])
    for other in (gz, parquet):
        pd.testing.assert_frame_equal(aggregate_frame([other]), expected, check_dtype=False)
    both = aggregate_frame([p, gz])  # two appliances' files seeing the same flows add up
    assert _weights(both)[("web01", "db01", 1433)] == 6.0


def test_a_port_that_is_not_a_number_names_file_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(
        TIMESLOT + "\n"
        "2026-10-01 00:00,web01,,,nginx,db01,,,sql,1433\n"
        "\n"  # a blank line: a spreadsheet shows it as row 3
        '2026-10-01 00:00,web01,,,"nginx",db01,,,sql,14x3\n'
    )
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert err.value.row == 4 and err.value.column == "Destination port"
    assert "not a number: '14x3'" in str(err.value) and err.value.file and err.value.file.endswith("deps.csv")
    with pytest.raises(InputError) as err:
        read_export(p)  # planning reads it with the same engine
    assert err.value.row == 4


def test_a_garbled_time_is_named_when_a_window_needs_it(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(TIMESLOT + "\n2026-10-01 00:00,a,,,,b,,,,1\nyesterday,a,,,,b,,,,1\n")
    assert len(aggregate_frame([p])) == 1  # no window: the time is not read
    with pytest.raises(InputError) as err:
        aggregate_frame([p], Filters(since=pd.Timestamp("2026-01-01").to_pydatetime()))
    assert (err.value.row, err.value.column) == (3, "Timeslot")
    assert "not a date and time: 'yesterday'" in str(err.value)


def test_a_window_on_a_file_without_time_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "native.csv"
    p.write_text("source,target\na,b\n")
    with pytest.raises(InputError, match="need a time column"):
        aggregate_frame([p], Filters(since=pd.Timestamp("2026-01-01").to_pydatetime()))


@pytest.mark.parametrize(
    ("header", "column"),
    [
        (TIMESLOT.replace("Destination port", "Dest port"), "Destination port"),
        (TIMESLOT.replace("Source server name", "Source"), None),
    ],
)
def test_missing_columns_are_named(tmp_path: Path, header: str, column: str | None) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(header + "\n2026-10-01 00:00,a,,,,b,,,,1\n")
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert err.value.row == 1 and err.value.column == column


def test_a_ragged_row_is_named(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(TIMESLOT + "\n2026-10-01 00:00,a,,,,b,,,,1\n2026-10-01 00:00,a,,,,b,,,,1,extra\n")
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert err.value.row == 3 and "row has 11 fields but the header has 10" in str(err.value)


def test_a_bad_parquet_value_is_named_with_its_row(tmp_path: Path) -> None:
    p = tmp_path / "deps.parquet"
    table = {"source": ["a", "a", "a"], "target": ["b", "b", "b"], "port": ["1", "2", "http"]}
    pq.write_table(pa.table(table), p)
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert (err.value.row, err.value.column) == (3, "port") and "'http'" in str(err.value)


def test_output_is_sorted_escaped_and_the_same_every_run(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(
        TIMESLOT + "\n"
        "2026-10-01 00:00,zeta,,,,alpha,,,,80\n"
        '2026-10-01 00:00,=HYPERLINK("x"),,,,alpha,,,-cmd,443\n'
        "2026-10-01 00:00,alpha,,,,zeta,,,,8080\n"
        "2026-10-01 06:00,alpha,,,,zeta,,,,8080\n"
    )
    out = tmp_path / "dependencies.csv"
    summary = aggregate_to_csv([p], out)
    first = out.read_bytes()
    aggregate_to_csv([p], out)
    assert out.read_bytes() == first
    assert (summary.rows, summary.flows) == (4, 3)
    assert out.read_text().splitlines() == [
        "source,target,port,protocol,weight,source_ip,target_ip,source_process,target_process",
        '"\'=HYPERLINK(""x"")",alpha,443,tcp,1,,,,\'-cmd',
        "alpha,zeta,8080,tcp,2,,,,",
        "zeta,alpha,80,tcp,1,,,,",
    ]


def test_a_failed_run_leaves_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "dependencies.csv"
    out.write_text("previous\n")
    bad = tmp_path / "deps.csv"
    bad.write_text(TIMESLOT + "\n2026-10-01 00:00,a,,,,b,,,,http\n")
    with pytest.raises(InputError):
        aggregate_to_csv([bad], out)
    assert out.read_text() == "previous\n"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["dependencies.csv", "deps.csv"]  # no temporary left


def test_the_statement_stays_in_the_sql_duckdb_and_spark_share() -> None:
    sql = "\n".join(line.split("--")[0] for line in statement().upper().splitlines())
    for duckdb_only in (
        "::",
        "GROUP BY ALL",
        "READ_CSV",
        "READ_PARQUET",
        "$",
        "QUALIFY",
        "EXCLUDE (",
        "ILIKE",
    ):
        assert duckdb_only not in sql, duckdb_only
    for view in ("DEPENDENCY_ROWS", "TIME_WINDOW", "EXCLUDED_PORTS", "EXCLUDED_PROCESSES"):
        assert view in sql


@pytest.mark.parametrize(
    ("cell", "message"),
    [("70000", "out of range: '70000'"), ("443.5", "not a whole number: '443.5'"), ("-1", "out of range")],
)
def test_a_port_planning_refuses_is_named_with_its_row(tmp_path: Path, cell: str, message: str) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(TIMESLOT + f"\n2026-10-01 00:00,a,,,,b,,,,443\n\n2026-10-01 00:00,a,,,,b,,,,{cell}\n")
    for run in (lambda: aggregate_frame([p]), lambda: read_export(p)):
        with pytest.raises(InputError) as err:
            run()
        assert (err.value.row, err.value.column) == (4, "Destination port")
        assert message in str(err.value)


def test_a_count_that_is_not_finite_is_named(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(
        DATE + "\n2026-01-01,a1,/x,web01,,,,db01,,,,1433,5\n2026-01-01,a1,/x,web01,,,,db01,,,,1433,inf\n"
    )
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert (err.value.row, err.value.column) == (3, "Connection Count") and "not a finite number" in str(
        err.value
    )


def test_blank_lines_and_other_encodings_keep_rows_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    text = (
        TIMESLOT + "\n2026-10-01 00:00,münchen-01,,,,db01,,,,1433\n\n\n"
        "2026-10-01 00:00,web01,,,,db01,,,,1433\n2026-10-01 06:00,münchen-01,,,,db01,,,,1433\n"
    )
    for encoding in ("utf-8", "utf-16", "cp1252"):
        p = tmp_path / f"deps-{encoding}.csv"
        p.write_bytes(text.encode(encoding))
        flows, n_rows, _ = read_export(p)
        pd.testing.assert_frame_equal(flows, reference_flows(p), check_dtype=False)
        assert list(flows["source"]) == ["münchen-01", "web01"] and list(flows["source_row"]) == [2, 5]
        assert list(flows["weight"]) == [2.0, 1.0] and n_rows == 3


def test_planning_reads_compressed_and_parquet_exports_too(tmp_path: Path) -> None:
    from migrator.inputs import read_file

    gz = tmp_path / "deps.csv.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    parquet = tmp_path / "deps.parquet"
    pq.write_table(
        pa.csv.read_csv(SAMPLE, convert_options=pa.csv.ConvertOptions(strings_can_be_null=True)), parquet
    )
    expected = read_file(SAMPLE).dependencies
    for path in (gz, parquet):
        res = read_file(path)
        assert res.format == "azure-migrate-dependencies"
        pd.testing.assert_frame_equal(res.dependencies, expected, check_dtype=False)


@pytest.mark.parametrize(
    "times",
    [("10/01/2026 6:00:00 AM", "10/02/2026 12:00:00 AM"), ("01.10.2026 06:00", "02.10.2026 00:00")],
)
def test_times_as_exports_write_them_besides_iso(tmp_path: Path, times: tuple[str, str]) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(TIMESLOT + f"\n{times[0]},a,,,,b,,,,1\n{times[1]},a,,,,b,,,,2\n")
    since = pd.Timestamp("2026-10-02").to_pydatetime()
    assert list(aggregate_frame([p], Filters(since=since))["port"]) == [2]  # 1 October left out


def test_a_file_mixing_crlf_and_lf_line_ends_gives_the_flows_of_the_lf_file(tmp_path: Path) -> None:
    lines = [TIMESLOT, *(f"2026-10-01 0{i}:00,web01,,,nginx,db01,,,sql,1433" for i in range(4))]
    lf = tmp_path / "lf.csv"
    lf.write_bytes("\n".join(lines).encode() + b"\n")
    mixed = tmp_path / "mixed.csv"  # as files appended to by two tools look
    mixed.write_bytes(("\n".join(lines[:3]) + "\r\n" + "\r\n".join(lines[3:]) + "\r\n").encode())
    gz = tmp_path / "mixed.csv.gz"
    gz.write_bytes(gzip.compress(mixed.read_bytes()))
    expected = aggregate_frame([lf])
    assert _weights(expected)[("web01", "db01", 1433)] == 4.0
    for other in (mixed, gz):
        pd.testing.assert_frame_equal(aggregate_frame([other]), expected, check_dtype=False)


def test_a_bad_row_in_a_file_mixing_line_ends_keeps_its_row_number(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_bytes(
        (
            TIMESLOT + "\n2026-10-01 00:00,web01,,,,db01,,,,1433\r\n"
            "\n2026-10-01 00:00,web01,,,,db01,,,,14x3\n"  # row 3 blank, row 4 bad
        ).encode()
    )
    with pytest.raises(InputError) as err:
        aggregate_frame([p])
    assert (err.value.row, err.value.column) == (4, "Destination port")


def test_a_compressed_export_in_windows_1252_is_read(tmp_path: Path) -> None:
    text = TIMESLOT + "\n2026-10-01 00:00,münchen01,,,,db01,,,,1433\n"
    gz = tmp_path / "deps.csv.gz"  # decoded into a plain UTF-8 copy, which must not keep the .gz name
    gz.write_bytes(gzip.compress(text.encode("cp1252")))
    assert _weights(aggregate_frame([gz])) == {("münchen01", "db01", 1433): 1.0}
