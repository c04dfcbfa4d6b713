"""Real exports as they come: two machines with one name in an export are two servers, told apart, reported.

Azure Migrate's 547-machine export holds two appliances both called ``MicrosoftAzureMigration``; RVTools
exports of several vCenters repeat VM names. In exported formats every row is kept, under a name told apart
by the row's IP (``name (10.0.0.5)``) when each row of the name has its own, else by position (``name #2``);
the native format stays strict and says how to fix the file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.errors import InputError
from migrator.inputs import read_file
from migrator.planfile import as_records
from migrator.validate import validate

_register()
APPLIANCE = "MicrosoftAzureMigration"
HEADER = (
    "*Server name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,OS architecture,Disk 1 size (In GB)"
)


def azure_migrate_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    """An Azure Migrate import file: one row per (name, IP addresses cell)."""
    body = [f'{name},"{ip}",8,16384,Windows Server 2016,Datacenter,64-bit,100' for name, ip in rows]
    path.write_text(HEADER + "\n" + "\n".join(body) + "\n", encoding="utf-8")
    return path


def rvtools_workbook(path: Path, vms: list[tuple[str, str, str]], disks: list[tuple[str, str, int]]) -> Path:
    """An RVTools workbook: vInfo rows (VM, IP, VM UUID) and vDisk rows (VM, VM UUID, capacity MiB)."""
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "vInfo"
    info.append(["VM", "Powerstate", "Template", "CPUs", "Memory", "Primary IP Address", "VM UUID"])
    for name, ip, uuid in vms:
        info.append([name, "poweredOn", "False", 2, 4096, ip, uuid])
    disk = wb.create_sheet("vDisk")
    disk.append(["VM", "Disk", "Capacity MiB", "VM UUID"])
    for name, uuid, mib in disks:
        disk.append([name, "Hard disk 1", mib, uuid])
    wb.save(path)
    return path


def _names(path: Path) -> list[str]:
    return list(validate([read_file(path)]).servers["name"])


def test_azure_migrate_appliances_with_one_name_are_told_apart_by_ip(tmp_path: Path) -> None:
    p = azure_migrate_csv(
        tmp_path / "import.csv",
        [(APPLIANCE, "10.0.0.5"), ("web01", "10.0.0.7"), (APPLIANCE.lower(), "fe80::1,10.0.0.6")],
    )
    inv = validate([read_file(p)])
    assert list(inv.servers["name"]) == [
        "MicrosoftAzureMigration (10.0.0.5)",
        "web01",
        "microsoftazuremigration (10.0.0.6)",  # the IPv4 address, the name as its row writes it
    ]
    [finding] = [f for f in inv.findings if f.code == "duplicate-name"]
    assert (finding.file, finding.row, finding.column) == ("import.csv", 2, "name")
    assert finding.message == (
        "2 rows are named 'MicrosoftAzureMigration'; all are kept as different servers, planned under names "
        "of their own: row 2 as 'MicrosoftAzureMigration (10.0.0.5)', "
        "row 4 as 'microsoftazuremigration (10.0.0.6)'"
    )
    assert _names(p) == list(inv.servers["name"])  # the same file gives the same names


def test_without_an_ip_of_their_own_the_rows_are_numbered_in_file_order(tmp_path: Path) -> None:
    p = azure_migrate_csv(
        tmp_path / "import.csv", [("db", ""), ("x", ""), ("DB", "10.0.0.9"), ("db", "10.0.0.9")]
    )
    assert _names(p) == ["db", "x", "DB #2", "db #3"]  # one IP shared by two rows tells nothing apart
    p = azure_migrate_csv(tmp_path / "import.csv", [("app", "10.0.0.1"), ("app", "")])
    assert _names(p) == ["app", "app #2"]  # a row without an IP: all the rows of its name are numbered


def test_a_told_apart_name_never_takes_the_name_of_another_server(tmp_path: Path) -> None:
    p = azure_migrate_csv(tmp_path / "import.csv", [("db", ""), ("db #2", ""), ("db", "")])
    assert _names(p) == ["db", "db #2", "db #3"]


def test_rvtools_workbook_vms_with_one_name_keep_their_own_disks(tmp_path: Path) -> None:
    p = rvtools_workbook(
        tmp_path / "rvtools.xlsx",
        [("app01", "10.1.0.1", "uuid-a"), ("app01", "10.2.0.1", "uuid-b")],
        [("app01", "uuid-a", 10240), ("app01", "uuid-b", 51200), ("app01", "uuid-b", 20480)],
    )
    inv = validate([read_file(p)])
    servers = inv.servers.set_index("name")
    assert list(servers.index) == ["app01 (10.1.0.1)", "app01 (10.2.0.1)"]
    assert servers.loc["app01 (10.1.0.1)", "disks_gb"] == "10"  # by VM UUID, not by name
    assert servers.loc["app01 (10.2.0.1)", "storage_gb"] == 70.0
    assert "duplicate-name" in {f.code for f in inv.findings}


def test_rvtools_without_vm_uuid_does_not_give_one_vms_disks_to_the_other(tmp_path: Path) -> None:
    p = rvtools_workbook(
        tmp_path / "rvtools.xlsx",
        [("app01", "", ""), ("app01", "", ""), ("solo", "", "")],
        [("app01", "", 10240), ("app01", "", 51200), ("solo", "", 2048)],
    )
    inv = validate([read_file(p)])
    servers = inv.servers.set_index("name")
    assert list(servers.index) == ["app01", "app01 #2", "solo"]
    assert servers.loc["app01", "disks_gb"] == "" and servers.loc["solo", "disks_gb"] == "2"
    shared = [f for f in inv.findings if f.code == "rvtools-disks-shared-name"]
    assert shared and shared[0].message.startswith("2 VMs share a name with another")


def test_discovery_report_rows_with_one_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Discovery_Report"
    ws.append(["Machine Name", "Operating System", "Cores", "Memory (in MB)", "IP Addresses"])
    ws.append([APPLIANCE, "Windows Server 2016", 8, 16384, "[fe80::1,10.150.0.4];"])
    ws.append([APPLIANCE, "Windows Server 2016", 8, 16384, "[fe80::2,10.150.0.5];"])
    wb.save(tmp_path / "report.xlsx")
    assert _names(tmp_path / "report.xlsx") == [f"{APPLIANCE} (10.150.0.4)", f"{APPLIANCE} (10.150.0.5)"]


def test_native_format_stays_strict_and_says_how_to_fix_the_file(tmp_path: Path) -> None:
    p = tmp_path / "servers.csv"
    p.write_text("name,ip,cores,memory_gb,storage_gb\nweb01,10.0.0.1,2,4,10\nWEB01,10.0.0.2,2,4,10\n")
    with pytest.raises(InputError) as err:
        validate([read_file(p)])
    assert str(err.value).endswith(
        "servers.csv, row 3, column 'name': duplicate server name 'WEB01' (first seen on row 2): "
        "rename one of the rows (for example add its DNS suffix), or delete it if both rows are the same "
        "server "
        "(expected unique server names, compared without case)"
    )


def test_a_name_in_an_earlier_file_still_wins_over_every_row_of_a_later_export(tmp_path: Path) -> None:
    native = tmp_path / "servers.csv"
    native.write_text("name,ip,cores,memory_gb,storage_gb\napp01,10.9.0.1,2,4,10\n")
    p = rvtools_workbook(
        tmp_path / "rvtools.xlsx", [("app01", "10.1.0.1", "a"), ("app01", "10.2.0.1", "b")], []
    )
    inv = validate([read_file(native), read_file(p)])
    assert list(inv.servers["name"]) == ["app01"]
    assert [(f.code, f.row) for f in inv.findings if f.code.startswith("duplicate")] == [
        ("duplicate-server", 2),
        ("duplicate-server", 3),
    ]


# --- the whole way: plan, pins, diff, azure check -----------------------------------------------------------


def _plan(tmp_path: Path, *extra: str, out: str = "plan") -> dict[str, Any]:
    p = azure_migrate_csv(
        tmp_path / "import.csv", [(APPLIANCE, "10.0.0.5"), (APPLIANCE, "10.0.0.6"), ("web01", "10.0.0.7")]
    )
    result = CliRunner().invoke(app, ["plan", str(p), "--out", str(tmp_path / out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return as_records(json.loads((tmp_path / out / "plan.json").read_text()))


def test_plan_on_an_export_with_one_name_twice_exits_0_and_reports_it(tmp_path: Path) -> None:
    doc = _plan(tmp_path)
    names = sorted(s["name"] for s in doc["servers"])
    assert names == ["MicrosoftAzureMigration (10.0.0.5)", "MicrosoftAzureMigration (10.0.0.6)", "web01"]
    assert "duplicate-name" in {f["code"] for f in doc["findings"]}
    assert "row 3 as 'MicrosoftAzureMigration (10.0.0.6)'" in (tmp_path / "plan" / "PLAN.md").read_text()
    waves = (tmp_path / "plan" / "waves.csv").read_text()
    assert "MicrosoftAzureMigration (10.0.0.5)," in waves


def test_dependencies_on_the_shared_name_reach_the_right_server_by_ip(tmp_path: Path) -> None:
    deps = tmp_path / "dependencies.csv"
    deps.write_text(f"source,target,port,target_ip\nweb01,{APPLIANCE},443,10.0.0.6\nweb01,elsewhere,80,\n")
    doc = _plan(tmp_path, "--deps", str(deps))
    group_of = {s["name"]: s["move_group"] for s in doc["servers"]}
    [edge] = doc["move_group_dependencies"]
    assert (edge["source"], edge["target"]) == (group_of["web01"], group_of[f"{APPLIANCE} (10.0.0.6)"])
    assert doc["dependency_stats"]["resolved_rows"] == 1


def test_servers_sharing_a_short_name_do_not_stop_name_resolution(tmp_path: Path) -> None:
    servers = tmp_path / "servers.csv"
    servers.write_text(
        "name,cores,memory_gb,storage_gb\nweb01.a.com,2,4,10\nweb01.b.com,2,4,10\ndb.a.com,2,4,10\n"
    )
    deps = tmp_path / "dependencies.csv"
    deps.write_text("source,target,port\nweb01.a.com,db,1433\nweb01.b.com,web01,80\n")
    result = CliRunner().invoke(
        app, ["plan", str(servers), "--deps", str(deps), "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "p" / "plan.json").read_text())["dependency_stats"]
    assert stats["resolved_rows"] == 1  # db is db.a.com; web01 is two servers, so neither


def test_pins_name_the_told_apart_servers(tmp_path: Path) -> None:
    pins = tmp_path / "pins.csv"
    pins.write_text("server,wave\nmicrosoftazuremigration (10.0.0.6),3\n")
    doc = _plan(tmp_path, "--pins", str(pins))
    wave = {s["name"]: s["wave"] for s in doc["servers"]}
    assert wave["MicrosoftAzureMigration (10.0.0.6)"] == 3
    assert wave["MicrosoftAzureMigration (10.0.0.5)"] != 3


def test_a_pin_on_the_shared_name_says_which_names_to_pin(tmp_path: Path) -> None:
    pins = tmp_path / "pins.csv"
    pins.write_text(f"server,wave\n{APPLIANCE},3\n")
    doc = _plan(tmp_path, "--pins", str(pins))
    [finding] = [f for f in doc["findings"] if f["code"].startswith("pin-")]
    assert finding["code"] == "pin-ambiguous-server"
    assert finding["message"] == (
        "pinned server 'MicrosoftAzureMigration' is several servers of one export, planned under names of "
        "their own: pin 'MicrosoftAzureMigration (10.0.0.5)', 'MicrosoftAzureMigration (10.0.0.6)' instead"
    )


def test_diff_of_the_same_export_planned_twice_is_empty(tmp_path: Path) -> None:
    _plan(tmp_path, out="a")
    _plan(tmp_path, out="b")
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--format", "json"])
    assert result.exit_code == 0, result.output
    servers = json.loads(result.output)["servers"]
    assert servers == {"moved": [], "added": [], "removed": [], "resized": []}


def test_azure_check_matches_a_told_apart_server_by_its_azure_name() -> None:
    from azure.mgmt.compute import ComputeManagementClient

    from migrator.azure.arm import Connection
    from migrator.azure.check import azure_vm_name, check_plan
    from tests.azure.replay import SUBSCRIPTION, FakeCredential, ReplayTransport, Route

    assert azure_vm_name(f"{APPLIANCE} (10.0.0.5)") == f"{APPLIANCE}-10.0.0.5"
    assert azure_vm_name("db #2") == "db-2"

    def vm(name: str) -> dict[str, Any]:
        rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/"
        return {
            "id": rid + name,
            "name": name,
            "location": "westeurope",
            "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}},
        }

    routes = [
        Route("GET", r"/virtualMachines\?", 200, {"value": [vm(f"{APPLIANCE}-10.0.0.5"), vm(APPLIANCE)]}),
        Route("GET", r"/providers/Microsoft.Compute/skus", 200, {"value": []}),
        Route("GET", r"/locations/westeurope/usages", 200, {"value": []}),
    ]
    client = ComputeManagementClient(FakeCredential(), SUBSCRIPTION, transport=ReplayTransport(routes))
    plan = {
        "settings": {"sizing": {"region": "westeurope"}},
        "waves": [{"number": 1, "start": "2027-01-04", "end": "2027-01-31"}],
        "servers": [
            {"name": f"{APPLIANCE} (10.0.0.5)", "wave": 1, "azure_size": "Standard_D2s_v5"},
            {"name": f"{APPLIANCE} (10.0.0.6)", "wave": 1, "azure_size": "Standard_D2s_v5"},
        ],
    }
    res = check_plan(plan, client, Connection(SUBSCRIPTION), dt.date(2027, 2, 1))
    rows = {r["server"] or r["vm"]: r for r in res.reconciliation}
    assert rows[f"{APPLIANCE} (10.0.0.5)"]["status"] == "landed"
    assert rows[f"{APPLIANCE} (10.0.0.5)"]["vm"] == f"{APPLIANCE}-10.0.0.5"
    assert rows[f"{APPLIANCE} (10.0.0.6)"]["status"] == "missing"
    assert rows[APPLIANCE]["status"] == "unplanned"  # the shared name alone cannot tell which one it is
