"""Honest baselines: the hosts VMs name are matched to the host list without case or DNS suffix, the ones
still missing are reported, and a metric asked for by name without data is refused."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from migrator.baseline import check_metric, match_hosts
from migrator.cli import _register, app
from migrator.errors import InputError
from migrator.pipeline import PlanInputs, run_plan
from migrator.settings import load_settings
from tests.conftest import inventory, server


def _findings(findings: list, code: str) -> list[str]:
    return [f.message for f in findings if f.code == code]


def test_hosts_named_in_another_case_or_with_a_dns_suffix_are_the_listed_hosts() -> None:
    inv = inventory(
        [
            server("a", host="ESX01.corp.example"),  # listed as esx01
            server("b", host="esx02"),  # listed as ESX02.corp.example
            server("c", host="10.0.0.5"),  # listed as written
            server("d", host="10.0.0.6"),  # an IP is never shortened: not 10.0.0.5's
            server("e", host="esx09.corp.example"),  # not listed at all
            server("f", host="web01"),  # two listed hosts share the short name: matches neither
            server("g"),  # a physical server
        ],
        hosts=[
            {"host": "esx01"},
            {"host": "ESX02.corp.example"},
            {"host": "10.0.0.5"},
            {"host": "web01.a.example"},
            {"host": "web01.b.example"},
        ],
    )
    servers, findings = match_hosts(inv.servers, inv.hosts)
    assert servers["host"].tolist() == [
        "esx01",
        "ESX02.corp.example",
        "10.0.0.5",
        "10.0.0.6",
        "esx09.corp.example",
        "web01",
        "",
    ]
    assert _findings(findings, "hosts-not-listed") == [
        "3 hosts named by VMs are not in the host list, counted from their VMs: "
        "10.0.0.6, esx09.corp.example, web01"
    ]
    assert _findings(findings, "hosts-counted") == [
        "the footprint counts 8 hosts: 5 from the host list and 3 named only by VMs"
    ]
    assert "ESX01.corp.example as esx01" in _findings(findings, "hosts-matched")[0]


def _rvtools(path: Path, vinfo_hosts: list[str], vhost_hosts: list[str]) -> Path:
    """A workbook with one VM per vInfo host and the given vHost tab."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "vInfo"
    ws.append(["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB", "Host", "Cluster"])
    for i, host in enumerate(vinfo_hosts):
        ws.append([f"vm{i:03d}", "poweredOn", "False", 2, 4096, 51200, host, "cl1"])
    hosts = wb.create_sheet("vHost")
    hosts.append(["Host", "Cluster", "# Cores", "# Memory"])
    for host in vhost_hosts:
        hosts.append([host, "cl1", 32, 524288])
    wb.save(path)
    return path


def test_an_rvtools_workbook_naming_hosts_its_vhost_tab_spells_otherwise_counts_each_host_once(
    tmp_path: Path,
) -> None:
    """vInfo names 38 hosts, 32 of them not as vHost (34 hosts) writes them: 30 are vHost's hosts with a DNS
    suffix and in capitals, 2 are missing from vHost. Counted as 36 hosts, not 66, and the 2 are named."""
    listed = [f"esx{i:02d}" for i in range(34)]
    named = listed[:6] + [f"ESX{i:02d}.dc1.example" for i in range(4, 34)] + ["esx98", "esx99"]
    assert len(set(named)) == 38 and len(set(named) - set(listed)) == 32
    book = _rvtools(tmp_path / "rvtools.xlsx", named, listed)
    settings = load_settings(None, {"target": {"metric": "hosts"}, "sizing": {"enabled": False}}, environ={})
    plan = run_plan(PlanInputs([book]), settings).document
    assert plan.footprint.baseline == 36
    messages = {f.code: f.message for f in plan.findings}
    assert messages["hosts-not-listed"] == (
        "2 hosts named by VMs are not in the host list, counted from their VMs: esx98, esx99"
    )
    assert messages["hosts-counted"] == (
        "the footprint counts 36 hosts: 34 from the host list and 2 named only by VMs"
    )
    assert messages["hosts-matched"].startswith("30 host names of VMs match the host list only without case")


def test_a_metric_asked_for_without_data_for_any_unit_is_refused_naming_column_and_file() -> None:
    inv = inventory([server("a", host="esx01"), server("p")], hosts=[{"host": "esx01"}])
    with pytest.raises(InputError) as refused:
        check_metric(inv.servers, inv.hosts, inv.files, "kw")
    assert refused.value.column == "power_w" and refused.value.file == "hosts.csv"
    assert "no host or physical server has a power_w" in str(refused.value)
    with pytest.raises(InputError, match="no host or physical server has a rack"):
        check_metric(inv.servers, inv.hosts, inv.files, "racks")
    assert check_metric(inv.servers, inv.hosts, inv.files, "auto") == []


def test_a_metric_some_units_lack_is_a_warning_with_the_counts() -> None:
    inv = inventory(
        [server("a", host="esx01"), server("b", host="esx02"), server("p", power_w=300), server("q")],
        hosts=[{"host": "esx01", "power_w": 500}, {"host": "esx02"}],
    )
    (warning,) = check_metric(inv.servers, inv.hosts, inv.files, "kw")
    assert warning.code == "metric-partial" and warning.severity == "warning"
    assert warning.message.startswith(
        "--metric kw: 1 of 2 hosts and 1 of 2 physical servers have no power_w and count as 0 W"
    )


def test_the_command_line_exits_2_on_a_metric_without_data(tmp_path: Path) -> None:
    servers = tmp_path / "servers.csv"
    servers.write_text("name,cores,memory_gb,storage_gb,host\nvm1,2,8,100,esx01\npm1,4,16,200,\n")
    _register()
    result = CliRunner().invoke(app, ["plan", str(servers), "--metric", "kw", "--out", str(tmp_path / "p")])
    assert result.exit_code == 2, result.output
    assert "power_w" in result.output and "servers.csv" in result.output
