"""Hostile inputs (issue 16): each case that once crashed, planned something wrong or named the wrong place.

Every number is checked finite and in range where a reader parses it, and refused by the file's own column,
the row a spreadsheet shows and the cell as written; text is NFC, control characters are refused by cell; one
encoding per file; the wrong places once named are right.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.errors import InputError
from migrator.inputs import detect, read_file
from migrator.inspect import inspect_file
from migrator.pipeline import PlanInputs, load_inventory, run_plan
from migrator.settings import load_settings
from migrator.validate import validate

SETTINGS = load_settings(None, {"planning": {"optimise": False}}, environ={})
SERVERS = "name,cores,memory_gb,storage_gb,host\nweb01,2,8,100,esx01\ndb01,4,16,200,esx01\n"
AZMIG = "*Server name,*Cores,*Memory (In MB),*OS name,CPU utilization percentage,Disk 1 size (In GB)\n"


def _file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _refusal(servers: list[Path], deps: list[Path] | None = None, hosts: list[Path] | None = None) -> str:
    with pytest.raises(InputError) as err:
        load_inventory(PlanInputs(servers, deps or [], hosts or []), SETTINGS)
    message = str(err.value)
    assert "\n" not in message
    return message


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


# Numbers beyond float range, in every format


def test_1e309_cores_in_a_native_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "servers.csv", "name,Cores,memory_gb,storage_gb\na,2,8,100\nb,1e309,8,100\n")
    assert _refusal([path]).endswith(
        "servers.csv, row 3, column 'Cores': not a finite number: '1e309' "
        "(expected a number from 0 to 1,000,000)"
    )


def test_infinite_memory_is_refused_not_a_zero_footprint(tmp_path: Path) -> None:
    path = _file(tmp_path, "servers.csv", "name,cores,memory_gb,storage_gb\na,2,inf,100\n")
    assert "row 2, column 'memory_gb': not a finite number: 'inf'" in _refusal([path])


def test_infinite_storage_in_a_native_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "servers.csv", "name,cores,memory_gb,storage_gb\na,2,8,-inf\n")
    assert "column 'storage_gb': not a finite number: '-inf'" in _refusal([path])


def test_1e309_disk_size_in_an_azure_migrate_csv(tmp_path: Path) -> None:
    path = _file(tmp_path, "import.csv", AZMIG + "a,2,8192,Windows,50,1e309\n")
    assert "row 2, column 'Disk 1 size (In GB)': not a finite number: '1e309'" in _refusal([path])


def test_infinite_cpus_in_an_rvtools_vinfo_csv(tmp_path: Path) -> None:
    path = _file(tmp_path, "vinfo.csv", "VM,Powerstate,CPUs,Memory\na,poweredOn,inf,8192\n")
    assert "row 2, column 'CPUs': not a finite number: 'inf'" in _refusal([path])


def test_infinite_host_power_in_a_native_hosts_file(tmp_path: Path) -> None:
    hosts = _file(tmp_path, "hosts.csv", "host,cores,memory_gb,power_w\nesx01,32,512,1e309\n")
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], hosts=[hosts])
    assert "hosts.csv, row 2, column 'power_w': not a finite number: '1e309'" in message


def test_infinite_memory_in_an_rvtools_vhost_csv(tmp_path: Path) -> None:
    hosts = _file(tmp_path, "vhost.csv", "Host,Cluster,# Cores,# Memory\nesx01,c1,32,inf\n")
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], hosts=[hosts])
    assert "vhost.csv, row 2, column '# Memory': not a finite number: 'inf'" in message


def test_infinite_dependency_weight(tmp_path: Path) -> None:
    deps = _file(tmp_path, "deps.csv", "source,target,port,weight\nweb01,db01,1433,inf\n")
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], [deps])
    assert "deps.csv, row 2, column 'weight': not a finite number: 'inf'" in message


def test_infinite_connection_count_in_a_dependency_export(tmp_path: Path) -> None:
    text = (
        "Timeslot,Source server name,Source IP,Destination server name,Destination IP,Destination port,"
        "Connection Count\n2024-01-01,web01,10.0.0.1,db01,10.0.0.2,1433,1e309\n"
    )
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], [_file(tmp_path, "export.csv", text)])
    assert "export.csv, row 2, column 'Connection Count': not a finite number" in message


def test_1e309_cores_in_a_discovery_report(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Machine Name", "Cores", "Memory (in MB)"], ["a", "1e309", 4096]]
    path = _workbook(tmp_path / "report.xlsx", {"Discovery_Report": rows})
    assert "report.xlsx, row 2, column 'Cores': not a finite number: '1e309'" in _refusal([path])


def test_infinite_disk_capacity_in_an_rvtools_workbook(tmp_path: Path) -> None:
    sheets: dict[str, list[list[object]]] = {
        "vInfo": [["VM", "Powerstate", "CPUs", "Memory"], ["a", "poweredOn", 2, 8192]],
        "vDisk": [["VM", "Capacity MiB"], ["a", "inf"]],
    }
    path = _workbook(tmp_path / "rvtools.xlsx", sheets)
    assert "row 2, column 'Capacity MiB': not a finite number: 'inf'" in _refusal([path])


def test_inspect_flags_infinite_numbers(tmp_path: Path) -> None:
    path = _file(tmp_path, "import.csv", AZMIG + "a,2,inf,Windows,50,100\n")
    report = inspect_file(path)
    assert report.error is not None
    assert "row 2, column '*Memory (In MB)': not a finite number: 'inf'" in str(report.error)


def test_the_largest_numbers_accepted_still_plan(tmp_path: Path) -> None:
    """What the readers let through cannot overflow planning (partition.py once raised OverflowError)."""
    servers = _file(
        tmp_path,
        "servers.csv",
        "name,cores,memory_gb,storage_gb,application\n"
        "a,1000000,1000000000,1000000000000000,x\nb,1000000,1000000000,1000000000000000,x\nc,1,1,1,x\n",
    )
    deps = _file(tmp_path, "deps.csv", "source,target,weight\na,b,1e15\nb,a,1e15\nc,a,1e15\n")
    result = run_plan(PlanInputs([servers], [deps]), SETTINGS)
    assert len(result.servers) == 3


# The file's own column, the cell as written, the row a spreadsheet shows


def test_out_of_range_names_the_files_column_and_shows_the_cell_as_written(tmp_path: Path) -> None:
    path = _file(tmp_path, "import.csv", AZMIG + "a,2,8192,Windows,150,100\n")
    message = _refusal([path])
    assert (
        "column 'CPU utilization percentage': out of range: '150' (expected a number from 0 to 100 %)"
        in message
    )
    assert "cpu_util_pct" not in message and "np.float64" not in message


def test_row_numbers_count_blank_lines(tmp_path: Path) -> None:
    text = "\nname,cores,memory_gb,storage_gb\na,2,8,100\n\n\r\nb,2,8,lots\n"
    assert "servers.csv, row 6, column 'storage_gb': not a number: 'lots'" in _refusal(
        [_file(tmp_path, "servers.csv", text)]
    )


def test_row_numbers_count_rows_above_an_xlsx_header(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Exported 2024-01-01"], [], ["Machine Name", "Cores", "Memory (in MB)"]]
    rows += [["a", 2, 4096], [], ["b", "two", 4096]]
    path = _workbook(tmp_path / "report.xlsx", {"Discovery_Report": rows})
    wb = openpyxl.load_workbook(path)
    wb["Discovery_Report"].delete_rows(1)  # the title row gone, one empty row left above the header
    wb.save(path)
    assert "report.xlsx, row 5, column 'Cores': not a number: 'two'" in _refusal([path])


# Text


def test_nfc_and_nfd_names_are_one_server(tmp_path: Path) -> None:
    nfc = "caf\u00e9"
    nfd = unicodedata.normalize("NFD", nfc)
    path = _file(tmp_path, "servers.csv", f"name,cores,memory_gb,storage_gb\n{nfc},2,8,100\n{nfd},2,8,100\n")
    assert "row 3, column 'name': duplicate server name 'café'" in _refusal([path])
    deps = _file(tmp_path, "deps.csv", f"source,target\n{nfd},web01\n")
    ok = _file(tmp_path, "ok.csv", f"name,cores,memory_gb,storage_gb\n{nfc},2,8,100\nweb01,2,8,100\n")
    inventory = load_inventory(PlanInputs([ok], [deps]), SETTINGS)
    assert inventory.dependencies["source"].tolist() == [nfc]


def test_nul_in_a_name_is_refused_by_cell(tmp_path: Path) -> None:
    path = _file(tmp_path, "servers.csv", b"name,cores,memory_gb,storage_gb\nok,2,8,100\nw\x00eb,2,8,100\n")
    assert "servers.csv, row 3, column 'name': control character U+0000 in 'w\\x00eb'" in _refusal([path])


def test_an_escape_sequence_in_a_dependency_export_is_refused_by_cell(tmp_path: Path) -> None:
    text = (
        "Timeslot,Source server name,Destination server name,Destination port\n2024-01-01,web01,\x1b[2Jdb,1\n"
    )
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], [_file(tmp_path, "export.csv", text)])
    assert "row 2, column 'Destination server name': control character U+001B" in message


def test_a_mixed_encoding_file_is_refused_not_garbled(tmp_path: Path) -> None:
    data = "name,cores,memory_gb,storage_gb\nmünchen,2,8,100\n".encode() + "köln,2,8,100\n".encode("latin-1")
    message = _refusal([_file(tmp_path, "servers.csv", data)])
    assert (
        "row 3: the file mixes encodings: row 2 has UTF-8 text, row 3 has a byte that is not UTF-8" in message
    )


def test_a_windows_1252_file_is_read_whole_with_a_finding(tmp_path: Path) -> None:
    data = "name,cores,memory_gb,storage_gb,application\nmünchen,2,8,100,€uro\n".encode("cp1252")
    inventory = validate([read_file(_file(tmp_path, "servers.csv", data))])
    assert inventory.servers["name"].tolist() == ["münchen"]
    assert inventory.servers["application"].tolist() == ["€uro"]
    assert "encoding-guessed" in {f.code for f in inventory.findings}


# Wrong places once named


def test_an_empty_target_is_reported_as_the_target(tmp_path: Path) -> None:
    deps = _file(tmp_path, "deps.csv", "source,target,weight\nweb01,db01,1\nweb01,,3\n")
    message = _refusal([_file(tmp_path, "servers.csv", SERVERS)], [deps])
    assert "deps.csv, row 3, column 'target': dependency without a target" in message


def test_a_file_given_twice_says_so(tmp_path: Path) -> None:
    path = _file(tmp_path, "servers.csv", SERVERS)
    message = _refusal([path, tmp_path / "." / "servers.csv"])
    assert message.endswith("servers.csv: the file is given twice (expected each file once)")


def test_an_rvtools_vhost_tab_saved_as_csv_is_read_as_rvtools(tmp_path: Path) -> None:
    path = _file(tmp_path, "vhost.csv", "Host,Cluster,# Cores,# Memory\nesx01,c1,32,524288\n")
    assert detect(path).name == "rvtools"
    inventory = load_inventory(PlanInputs([_file(tmp_path, "servers.csv", SERVERS)], [], [path]), SETTINGS)
    assert inventory.hosts["memory_gb"].tolist() == [512.0]


def test_an_rvtools_vinfo_tab_with_few_columns_is_read_as_rvtools(tmp_path: Path) -> None:
    path = _file(tmp_path, "vinfo.csv", "VM,CPUs,Memory,Host,Cluster\nweb01,2,8192,esx01,c1\n")
    assert detect(path).name == "rvtools"
    assert validate([read_file(path)]).servers["memory_gb"].tolist() == [8.0]


# On the command line


def test_a_refused_file_is_exit_2_one_line_and_no_plan_folder(tmp_path: Path) -> None:
    _register()
    path = _file(tmp_path, "servers.csv", "name,cores,memory_gb,storage_gb\na,1e309,8,100\n")
    result = CliRunner().invoke(app, ["plan", str(path), "--out", str(tmp_path / "plan"), "--quiet"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "not a finite number: '1e309'" in result.output
    assert not (tmp_path / "plan").exists()


def test_a_missing_name_in_an_rvtools_tab_names_the_tabs_column(tmp_path: Path) -> None:
    path = _file(
        tmp_path, "vinfo.csv", "VM,Powerstate,CPUs,Memory\nweb01,poweredOn,2,8192\n,poweredOn,2,8192\n"
    )
    assert "vinfo.csv, row 3, column 'VM': server name missing (expected a non-empty name)" in _refusal(
        [path]
    )


def test_a_workbook_header_with_a_line_break_still_gives_one_line(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Machine Name", "Cores", "Memory\n(in MB)"], ["a", 2, "lots"]]
    path = _workbook(tmp_path / "report.xlsx", {"Discovery_Report": rows})
    assert "row 2, column 'Memory\\n(in MB)': not a number: 'lots'" in _refusal([path])


def test_inspect_names_the_format_of_a_file_it_refuses(tmp_path: Path) -> None:
    report = inspect_file(_file(tmp_path, "import.csv", AZMIG + "a,2,8192,Windows,150,100\n"))
    assert report.format == "azure-migrate-csv"
    assert "column 'CPU utilization percentage': out of range: '150'" in str(report.error)


def test_a_plan_shows_bidi_controls_and_defuses_mentions_in_every_markdown_file(tmp_path: Path) -> None:
    _register()
    text = (
        "name,cores,memory_gb,storage_gb,application\n@octocat,2,8,100,evil\u202egnp.exe\nweb01,2,8,100,app\n"
    )
    path = _file(tmp_path, "servers.csv", text)
    result = CliRunner().invoke(app, ["plan", str(path), "--out", str(tmp_path / "plan"), "--quiet"])
    assert result.exit_code == 0, result.output
    pages = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "plan").rglob("*.md"))]
    assert pages and not any("\u202e" in page or "@octocat" in page for page in pages)
    assert any("evil&lt;U+202E&gt;gnp.exe" in page for page in pages)
    assert any("@\u200doctocat" in page for page in pages)


def test_a_dependency_export_with_mixed_line_ends_is_read(tmp_path: Path) -> None:
    row = "2024-01-01 00:00,web01,10.0.0.1,db01,10.0.0.2,443,1"
    text = (
        "Timeslot,Source server name,Source IP,Destination server name,Destination IP,Destination port,"
        f"Connection Count\n{row}\n{row}\r\n"
    )
    deps = _file(tmp_path, "export.csv", text)
    inventory = load_inventory(PlanInputs([_file(tmp_path, "servers.csv", SERVERS)], [deps]), SETTINGS)
    assert inventory.dependencies["weight"].tolist() == [2.0]
