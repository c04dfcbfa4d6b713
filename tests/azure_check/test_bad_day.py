"""`migrator azure check` on a bad day: the real ComputeManagementClient, through its real transport and TLS,
against a fake ARM server on loopback (tests/azure_check/fake_arm.py) that injects faults.

Transient faults (5xx, 429 with Retry-After, a reset connection, a body cut off once) are retried by the
SDK's retry policy as migrator configures it (``arm.RETRY``) and the check completes; faults that persist,
answers that are not JSON, a ``nextLink`` that loops and a server slower than ``--timeout`` end in one line
naming what went wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrator.azure import arm
from migrator.azure.arm import AzureAccessError, Connection
from migrator.azure.check import check_plan
from migrator.cli import _register, app
from tests.azure.replay import SUBSCRIPTION, FakeCredential
from tests.azure_check.fake_arm import FakeArm, Fault, serve
from tests.azure_check.test_check import _plan

DATA = Path(__file__).resolve().parents[1] / "data" / "azure_check"
_register()

VMS = r"/virtualMachines\?"


@pytest.fixture
def fake_arm(tmp_path: Path) -> Iterator[FakeArm]:
    vms = json.loads((DATA / "virtual_machines.json").read_text())
    for server in serve(tmp_path):
        page2_link = (
            f"{server.endpoint}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines"
            "?api-version=2024-11-01&statusOnly=true&$skiptoken=page2"
        )
        server.route(r"skiptoken=page2", vms["page2"])
        server.route(VMS, lambda _s, link=page2_link: {**vms["page1"], "nextLink": link})
        server.route(r"/providers/Microsoft.Compute/skus", _recorded("resource_skus.json"))
        server.route(r"/locations/westeurope/usages", _recorded("usages.json"))
        yield server


def _recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _client(server: FakeArm, timeout: float = 30.0) -> tuple[Any, Connection]:
    conn = Connection(SUBSCRIPTION, arm_endpoint=server.endpoint, timeout=timeout)
    # migrator's own client settings (arm.RETRY, the deadline), with back-off shortened for the test
    client = arm.compute_client(
        conn, FakeCredential(), connection_verify=str(server.cafile), retry_backoff_factor=0.01
    )
    return client, conn


def _vm_list_requests(server: FakeArm) -> int:
    return sum(1 for path in server.requests if "/virtualMachines?" in path and "skiptoken" not in path)


def _check(server: FakeArm, timeout: float = 30.0) -> Any:
    client, conn = _client(server, timeout)
    return check_plan(_plan(), client, conn, dt.date(2027, 3, 1), match_tag="source-server")


def test_a_healthy_server_gives_the_same_reconciliation_as_the_recordings(fake_arm: FakeArm) -> None:
    result = _check(fake_arm)
    rows = {r["server"] or r["vm"]: r["status"] for r in result.reconciliation}
    assert rows["web01"] == "landed" and rows["lost01"] == "missing" and rows["sandbox-vm"] == "unplanned"
    assert any("skiptoken=page2" in path for path in fake_arm.requests)  # the nextLink was followed


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.status_code(503), Fault.status_code(500), Fault.ok()],
        [Fault.status_code(502), Fault.status_code(504), Fault.ok()],
        [Fault.status_code(429, retry_after="0"), Fault.ok()],
        [Fault.reset(), Fault.ok()],
        [Fault.truncate(), Fault.ok()],
    ],
    ids=["5xx-twice", "gateway-errors", "throttled", "connection-reset", "cut-off-once"],
)
def test_transient_faults_are_retried_and_the_check_completes(fake_arm: FakeArm, faults: list[Fault]) -> None:
    fake_arm.script(VMS, faults)
    result = _check(fake_arm)
    assert {r["server"] or r["vm"] for r in result.reconciliation} >= {"web01", "lost01"}
    assert _vm_list_requests(fake_arm) == len(faults)  # one request per fault, the last one answered


def test_a_server_error_that_persists_is_one_line_after_the_configured_retries(fake_arm: FakeArm) -> None:
    fake_arm.script(VMS, [Fault.status_code(503)])
    with pytest.raises(AzureAccessError, match=r"^Azure answered HTTP 503 while listing virtual machines"):
        _check(fake_arm)
    assert _vm_list_requests(fake_arm) == 1 + arm.RETRY["retry_status"]


def test_connection_resets_that_persist_are_one_line(fake_arm: FakeArm) -> None:
    fake_arm.script(VMS, [Fault.reset()])
    with pytest.raises(AzureAccessError) as info:
        _check(fake_arm)
    assert "while listing virtual machines" in str(info.value) and "\n" not in str(info.value)
    assert fake_arm.endpoint in str(info.value)
    assert _vm_list_requests(fake_arm) > 1  # retried before giving up


def test_a_body_cut_off_every_time_is_one_line(fake_arm: FakeArm) -> None:
    fake_arm.script(VMS, [Fault.truncate()])
    with pytest.raises(AzureAccessError, match=r"answer was cut off while listing virtual machines") as info:
        _check(fake_arm)
    assert "\n" not in str(info.value)
    assert 1 < _vm_list_requests(fake_arm) <= 1 + arm.RETRY["retry_total"]  # retried, then given up


def test_an_answer_that_is_not_json_is_one_line(fake_arm: FakeArm) -> None:
    fake_arm.script(VMS, [Fault.garbage()])
    with pytest.raises(AzureAccessError, match=r"not valid JSON \(malformed or truncated\) while listing"):
        _check(fake_arm)


def test_a_next_link_that_repeats_itself_stops_with_one_line(fake_arm: FakeArm) -> None:
    loop = f"{fake_arm.endpoint}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines"
    loop += "?$skiptoken=loop"
    # a page whose nextLink is itself
    fake_arm.route(r"skiptoken=loop", {"value": [], "nextLink": loop}, first=True)
    fake_arm.script(VMS, [Fault.ok({"value": [], "nextLink": loop})])
    with pytest.raises(AzureAccessError, match=r"same nextLink twice while listing virtual machines"):
        _check(fake_arm)
    assert sum("skiptoken=loop" in path for path in fake_arm.requests) == 1  # stopped at the first repeat


def test_a_server_slower_than_the_timeout_ends_within_it(fake_arm: FakeArm) -> None:
    fake_arm.script(VMS, [Fault.slow(5.0)])
    started = time.monotonic()
    with pytest.raises(AzureAccessError, match=r"did not answer within --timeout 1 s while"):
        _check(fake_arm, timeout=1.0)
    assert time.monotonic() - started < 3.0  # the deadline covers the retries too


def test_cli_timeout_is_exit_2_and_one_line(
    fake_arm: FakeArm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan()))
    fake_arm.script(VMS, [Fault.slow(5.0)])
    cafile = str(fake_arm.cafile)
    monkeypatch.setattr(
        arm,
        "CLIENT_FACTORY",
        lambda conn: arm.compute_client(conn, FakeCredential(), connection_verify=cafile),
    )
    args = ["azure", "check", "--plan", str(plan), "--subscription", SUBSCRIPTION]
    args += ["--arm-endpoint", fake_arm.endpoint, "--as-of", "2027-03-01", "--timeout", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = [line for line in result.output.splitlines() if line.strip()]
    assert len(message) == 1 and "did not answer within --timeout 1 s" in message[0]
