"""Validation names the file, the row and the column of every mistake, and types what is right."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import InputError
from migrator.inputs import read_file
from migrator.validate import validate
from tests.conftest import server, write_csv


def _plan_servers(tmp_path: Path, rows: list[dict], header: list[str] | None = None):
    path = write_csv(tmp_path / "servers.csv", rows, header)
    return validate([read_file(path)])


def test_types_and_defaults(tmp_path: Path) -> None:
    inv = _plan_servers(
        tmp_path, [server("a", "app", cores=4, cpu_util_pct=""), server("B", "app", disposition="Retire")]
    )
    s = inv.servers
    assert list(s["name"]) == ["a", "B"]
    assert s["cores"].tolist() == [4.0, 2.0]
    assert s["disposition"].tolist() == ["rehost", "retire"]
    assert s["cpu_util_pct"].isna().all()


def test_bad_number_names_file_row_column(tmp_path: Path) -> None:
    rows = [server("a"), server("b", cores="4 vCPU")]
    with pytest.raises(InputError) as err:
        _plan_servers(tmp_path, rows)
    assert str(err.value).endswith(
        "servers.csv, row 3, column 'cores': not a number (a number with a unit in it): '4 vCPU' "
        "(expected a plain number without units)"
    )


def test_missing_required_value_and_range(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="row 2, column 'memory_gb': value missing"):
        _plan_servers(tmp_path, [server("a", mem="")])
    with pytest.raises(InputError, match="column 'cpu_util_pct': out of range"):
        _plan_servers(tmp_path, [server("a", cpu_util_pct=150)])


def test_duplicate_names_case_insensitive(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _plan_servers(tmp_path, [server("web01"), server("x"), server("WEB01")])
    assert "row 4, column 'name': duplicate server name 'WEB01' (first seen on row 2)" in str(err.value)


def test_duplicates_across_files_are_reported_not_fatal(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [server("web01", ip="10.0.0.1"), server("db01", ip="10.0.0.9")])
    b = write_csv(tmp_path / "b.csv", [server("WEB01", ip="10.0.0.2"), server("other", ip="10.0.0.9")])
    inv = validate([read_file(a), read_file(b)])
    assert sorted(inv.servers["name"]) == ["db01", "other", "web01"]
    codes = sorted(f.code for f in inv.findings)
    assert codes == ["duplicate-ip", "duplicate-server"]


def test_unknown_disposition_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match="expected one of rehost, replatform, refactor, repurchase, retire, retain"
    ):
        _plan_servers(tmp_path, [server("a", disposition="teleport")])


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match="column 'memroy_gb': unknown column for a servers file; did you mean 'memory_gb'"
    ):
        _plan_servers(tmp_path, [{"name": "a", "cores": 1, "memroy_gb": 2, "storage_gb": 3}])
    with pytest.raises(InputError, match="required column missing: storage_gb"):
        _plan_servers(tmp_path, [{"name": "a", "cores": 1, "memory_gb": 2}])


def test_custom_x_columns_are_allowed(tmp_path: Path) -> None:
    inv = _plan_servers(tmp_path, [server("a", x_owner="team")])
    assert len(inv.servers) == 1


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.csv: file is empty"):
        read_file(empty)
    header = tmp_path / "header.csv"
    header.write_text("name,cores,memory_gb,storage_gb\n")
    with pytest.raises(InputError, match="header.csv, row 2: file has a header but no data rows"):
        read_file(header)


def test_ragged_row_is_located(tmp_path: Path) -> None:
    path = tmp_path / "servers.csv"
    path.write_text("name,cores,memory_gb,storage_gb\na,1,2,3\nb,1,2\n")
    with pytest.raises(InputError, match="servers.csv, row 3: row has 3 fields but the header has 4"):
        read_file(path)


def test_templates_dropped_and_powered_off_flagged(tmp_path: Path) -> None:
    inv = _plan_servers(
        tmp_path, [server("a"), server("tmpl", template="True"), server("off", power_state="poweredOff")]
    )
    assert sorted(inv.servers["name"]) == ["a", "off"]
    assert {f.code for f in inv.findings} == {"template", "powered-off"}


def test_dependency_rows_typed(tmp_path: Path) -> None:
    s = write_csv(tmp_path / "s.csv", [server("a"), server("b")])
    d = write_csv(tmp_path / "d.csv", [{"source": "a", "target": "b", "port": "443", "weight": ""}])
    inv = validate([read_file(s), read_file(d)])
    assert inv.dependencies["weight"].tolist() == [1.0]
    assert inv.dependencies["port"].tolist() == [443]
    bad = write_csv(tmp_path / "bad.csv", [{"source": "a", "target": "b", "port": "https"}])
    with pytest.raises(InputError, match="bad.csv, row 2, column 'port': not a number"):
        validate([read_file(s), read_file(bad)])


def test_dependency_weight_may_be_called_connections_or_bytes(tmp_path: Path) -> None:
    s = write_csv(tmp_path / "s.csv", [server("a"), server("b")])
    for name in ("connections", "bytes"):
        d = write_csv(tmp_path / f"{name}.csv", [{"source": "a", "target": "b", name: "12"}])
        assert validate([read_file(s), read_file(d)]).dependencies["weight"].tolist() == [12.0]


def test_server_findings_come_in_check_order_with_their_messages(tmp_path: Path) -> None:
    a = write_csv(
        tmp_path / "a.csv",
        [
            server("web01", ip="10.0.0.1", storage=""),
            server("tmpl", template="True"),
            server("off1", power_state="poweredOff", ip="10.0.0.1"),
        ],
    )
    b = write_csv(tmp_path / "b.csv", [server("WEB01"), server("x")])
    inv = validate([read_file(a), read_file(b)])
    assert [(f.code, f.row) for f in inv.findings] == [
        ("storage-unknown", None),
        ("duplicate-server", 2),
        ("duplicate-ip", None),
        ("template", None),
        ("powered-off", None),
    ]
    messages = [f.message for f in inv.findings]
    assert messages[0] == "1 server has no storage size; it counts as 0 in wave totals and sizing"
    assert messages[1] == "server 'WEB01' is also in an earlier file; the first one is kept"
    assert messages[2] == "IP 10.0.0.1 is given for several servers: off1, web01"
    assert messages[3] == "1 VM template is not planned: tmpl"
    assert messages[4] == (
        "1 server powered off, planned as the disposition says; check whether they should be retired: off1"
    )
    assert list(inv.servers["name"]) == ["web01", "off1", "x"]
    assert list(inv.servers.columns[:3]) == ["name", "ip", "os"] and inv.servers.columns[-1] == "_row"


def test_duplicate_ips_found_in_single_addresses_and_in_lists(tmp_path: Path) -> None:
    single = _plan_servers(tmp_path, [server("a", ip="10.0.0.1"), server("b", ip="10.0.0.1")])
    assert [f.message for f in single.findings if f.code == "duplicate-ip"] == [
        "IP 10.0.0.1 is given for several servers: a, b"
    ]
    listed = _plan_servers(tmp_path, [server("a", ip="10.0.0.1; 10.0.0.2"), server("b", ip="10.0.0.2")])
    assert [f.message for f in listed.findings if f.code == "duplicate-ip"] == [
        "IP 10.0.0.2 is given for several servers: a, b"
    ]


def test_words_are_normalised_row_by_row(tmp_path: Path) -> None:
    rows = [
        server("a", environment="Production", disposition="Lift-and-Shift", criticality="1", power_state="x"),
        server("b", environment="dev", disposition="", criticality="", power_state="poweredOff"),
        server("c", environment="Production", disposition="decom", criticality="business critical"),
    ]
    servers = _plan_servers(tmp_path, rows).servers
    assert servers["environment"].tolist() == ["prod", "dev", "prod"]
    assert servers["disposition"].tolist() == ["rehost", "rehost", "retire"]
    assert servers["criticality"].tolist() == ["critical", "", "high"]
    assert servers["power_state"].tolist() == ["x", "off", ""]
