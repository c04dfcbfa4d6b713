"""Every reader on real files published by others, and on broken ones: clear errors, never a traceback."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from migrator.errors import InputError
from migrator.inputs import csvio, detect, read_file
from migrator.validate import validate

DATA = Path(__file__).resolve().parents[1] / "data" / "inputs"
RVTOOLS = DATA / "rvtools-small-complete.xlsx"
DISCOVERY = DATA / "azure-migrate-discovery-report-294.xlsx"
DEPS = DATA / "azure-migrate-dependency-export-sample.csv"

AZMIG_HEADER = (
    "*Server name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,OS architecture,Server type,"
    "Hypervisor,CPU utilization percentage,Memory utilization percentage,Network adapters,"
    "Network In throughput,Network Out throughput,"
    "Boot type,Number of disks,Storage in use (In GB),Disk 1 size (In GB),"
    "Disk 1 read throughput (MB per second),Disk 1 write throughput (MB per second),"
    "Disk 1 read ops (operations per second),Disk 1 write ops (operations per second),"
    "Disk 2 size (In GB),Disk 2 read throughput (MB per second),Disk 2 write throughput (MB per second),"
    "Disk 2 read ops (operations per second),Disk 2 write ops (operations per second)"
)


def test_rvtools_workbook_real_file() -> None:
    res = read_file(RVTOOLS)
    assert res.format == "rvtools"
    s = res.servers.set_index("name")
    assert list(s.index) == ["sample-web-01", "sample-db-01", "sample-archive-01"]
    assert s.loc["sample-web-01", "memory_gb"] == 8.0  # 8192 MiB
    assert s.loc["sample-web-01", "disks_gb"] == "80;40"  # from vDisk, MiB -> GiB
    assert s.loc["sample-web-01", "storage_gb"] == 120.0
    assert set(res.hosts["host"]) == {"sample-host-01", "sample-host-02"}
    inv = validate([res])
    assert "powered-off" in {f.code for f in inv.findings}
    # vInfo 'Firmware' (bios/efi) becomes the boot type, EFI read as UEFI
    assert list(inv.servers.set_index("name")["boot_type"]) == ["BIOS", "UEFI", "BIOS"]


def test_discovery_report_real_file_splits_ip_cells() -> None:
    res = read_file(DISCOVERY)
    assert res.format == "azure-migrate-discovery-report"
    assert len(res.servers) == 294
    row = res.servers.set_index("name").loc["SQLAGVM11"]
    assert row["ip"].split(";")[-1] == "10.150.90.250" and row["ip"].count(";") == 2
    assert row["memory_gb"] == 4.0
    inv = validate([res])
    assert "storage-unknown" in {f.code for f in inv.findings}
    # 'Boot Type' (BIOS/EFI) and 'Total Network Adapters' are kept for readiness
    boot = inv.servers["boot_type"].value_counts()
    assert boot["BIOS"] == 253 and boot["UEFI"] == 41
    assert inv.servers["nics"].sum() == 296  # 292 servers with one adapter, 2 with two


def test_dependency_export_real_file() -> None:
    res = read_file(DEPS)
    assert res.format == "azure-migrate-dependencies"
    d = res.dependencies
    assert len(d) == 5 and set(d["port"]) == {443, 1433, 3389, 8080}
    assert (d["protocol"] == "tcp").all()


def test_dependency_export_repeated_slots_and_new_layout(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    p.write_text(
        "Date,Source Appliance Name,Source Machine ARM ID,Source Server Name,Source IP,Source Application,"
        "Source Process,Destination Server Name,Destination IP,Destination Application,Destination Process,"
        "Destination Port,Connection Count\n"
        "2026-01-01,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,db01,10.0.0.2,SQL,sqlservr.exe,1433,5\n"
        "2026-01-02,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,db01,10.0.0.2,SQL,sqlservr.exe,1433,7\n"
        "2026-01-02,app1,/x,web01,10.0.0.1,IIS,w3wp.exe,,52.1.2.3,,,443,2\n"
    )
    res = read_file(p)
    assert res.format == "azure-migrate-dependencies"
    rows = {(r.target, r.target_ip, r.port): r.weight for r in res.dependencies.itertuples()}
    assert rows == {("db01", "10.0.0.2", 1433): 12.0, ("", "52.1.2.3", 443): 2.0}


def test_azure_migrate_csv_template_with_bom_units_and_disks(tmp_path: Path) -> None:
    p = tmp_path / "import.csv"
    body = (
        'srv1,"10.0.0.5,10.0.1.5",4,16384,Windows Server 2019,Datacenter,64-bit,Virtual,VMware,'
        "35,60,1,,,BIOS,2,80,128,10,5,100,50,512,20,10,300,100\n"
    )
    p.write_bytes(codecs.BOM_UTF8 + (AZMIG_HEADER + "\n" + body).encode())
    res = read_file(p)
    assert res.format == "azure-migrate-csv"
    s = res.servers.iloc[0]
    assert s["memory_gb"] == 16.0 and s["storage_gb"] == 640.0 and s["disks_gb"] == "128;512"
    assert s["iops"] == 550.0 and s["throughput_mbps"] == 45.0
    assert s["ip"] == "10.0.0.5;10.0.1.5"
    assert s["os"] == "Windows Server 2019 Datacenter (64-bit)"
    assert s["boot_type"] == "BIOS" and s["nics"] == 1.0  # 'Boot type', 'Network adapters'


def test_azure_migrate_csv_missing_mandatory_column(tmp_path: Path) -> None:
    p = tmp_path / "import.csv"
    p.write_text(AZMIG_HEADER.replace("*Cores,", "").replace(",*Memory", ",*Memory") + "\n")
    with pytest.raises(InputError):
        read_file(p, "azure-migrate-csv")


def test_rvtools_csv_european_semicolon_decimal_comma_latin1(tmp_path: Path) -> None:
    p = tmp_path / "vInfo.csv"
    text = (
        "VM;Powerstate;Template;CPUs;Memory;Provisioned MB;Host;Cluster;Annotation\n"
        "srv-münchen;poweredOn;False;2;4096;102400,5;esx01;cl1;Zähler\n"
        "tmpl-w2k19;poweredOff;True;2;4096;40960;esx01;cl1;\n"
    )
    p.write_bytes(text.encode("latin-1"))
    res = read_file(p)
    assert res.format == "rvtools"
    s = res.servers.set_index("name")
    assert s.loc["srv-münchen", "storage_gb"] == pytest.approx(102400.5 / 1024)
    inv = validate([res])
    assert list(inv.servers["name"]) == ["srv-münchen"]  # the template is flagged and not planned
    assert "template" in {f.code for f in inv.findings}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_native_csv_in_utf16_and_bom(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "servers.csv"
    p.write_bytes("name,cores,memory_gb,storage_gb\nweb01,2,8,100\n".encode(encoding))
    assert read_file(p).servers["name"].tolist() == ["web01"]


def test_number_with_unit_is_named(tmp_path: Path) -> None:
    p = tmp_path / "vInfo.csv"
    p.write_text(
        "VM,Powerstate,CPUs,Memory,Provisioned MiB\nvm1,poweredOn,2,4096,100\nvm2,poweredOn,2,4 GB,100\n"
    )
    with pytest.raises(InputError) as err:
        read_file(p)
    assert str(err.value).endswith(
        "vInfo.csv, row 3, column 'Memory': not a number (a number with a unit in it): '4 GB' "
        "(expected a plain number)"
    )


def test_empty_cells_may_say_null_but_not_n_a(tmp_path: Path) -> None:
    p = tmp_path / "servers.csv"
    p.write_text("name,cores,memory_gb,storage_gb,power_w\na,2,8,,null\nb,2,8,NaN,\nc,2,8,100,none\n")
    servers = read_file(p).servers
    assert servers["power_w"].isna().all() and servers["storage_gb"].isna().tolist() == [True, True, False]
    p.write_text("name,cores,memory_gb,storage_gb,power_w\na,2,8,,null\nb,2,8,,n/a\n")
    with pytest.raises(InputError, match="row 3, column 'power_w': not a number: 'n/a'"):
        read_file(p)


def test_a_file_is_sniffed_once_to_detect_and_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "servers.csv"
    p.write_text("name,cores,memory_gb,storage_gb\nweb01,2,8,100\n")
    sniffed: list[Path] = []
    real = csvio._sniff
    monkeypatch.setattr(csvio, "_sniff", lambda path: sniffed.append(path) or real(path))
    assert read_file(p).servers["name"].tolist() == ["web01"]
    assert read_file(p).servers["name"].tolist() == ["web01"]
    assert sniffed == [p, p]  # once per read: sniffing decodes the whole file


def test_truncated_row_and_wrong_delimiter(tmp_path: Path) -> None:
    p = tmp_path / "vInfo.csv"
    p.write_text("VM,Powerstate,CPUs,Memory\nvm1,poweredOn,2,4096\nvm2,poweredOn\n")
    with pytest.raises(InputError, match="vInfo.csv, row 3: row has 2 fields but the header has 4"):
        read_file(p)
    p.write_text("VM|Powerstate|CPUs|Memory\nvm1|poweredOn|2|4096\n")
    assert read_file(p).format == "rvtools"  # pipes are detected too
    p.write_text("VM Powerstate CPUs Memory\nvm1 poweredOn 2 4096\n")
    with pytest.raises(InputError, match="cannot recognise the format"):
        detect(p)


def test_workbook_read_by_content_not_declared_size(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "vInfo"
    ws.append(["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB"])
    ws.append(["vm1", "poweredOn", "False", 2, 4096, 51200])
    ws.cell(row=1_048_575, column=1, value=None)  # a declared dimension far beyond the data
    ws.cell(row=200, column=3, value="")
    p = tmp_path / "big.xlsx"
    wb.save(p)
    res = read_file(p)
    assert len(res.servers) == 1


def test_force_format_and_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown format 'nope'"):
        read_file(DEPS, "nope")
    assert read_file(DEPS, "azure-migrate-dependencies").format == "azure-migrate-dependencies"
