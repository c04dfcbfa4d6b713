"""`migrator azure check` through the real ComputeManagementClient and its deserialisers, on recorded
responses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrator.azure import arm
from migrator.azure.arm import AzureAccessError, Connection
from migrator.azure.check import check_plan
from migrator.cli import _register, app
from tests.azure.replay import SUBSCRIPTION, FakeCredential, ReplayTransport, Route

DATA = Path(__file__).resolve().parents[1] / "data" / "azure_check"
VMS = json.loads((DATA / "virtual_machines.json").read_text())
SKUS = json.loads((DATA / "resource_skus.json").read_text())
USAGES = json.loads((DATA / "usages.json").read_text())
_register()


def _plan() -> dict[str, Any]:
    def srv(name: str, wave: int, size: str, vcpus: int, disposition: str = "rehost") -> dict[str, Any]:
        return {
            "name": name,
            "wave": wave,
            "azure_size": size,
            "azure_vcpus": vcpus,
            "disposition": disposition,
        }

    return {
        "schema_version": "1.0",
        "settings": {"sizing": {"region": "westeurope"}},
        "waves": [
            {"number": 1, "start": "2027-01-04", "end": "2027-01-31"},
            {"number": 2, "start": "2027-02-01", "end": "2027-02-28"},
            {"number": 3, "start": "2027-03-01", "end": "2027-03-28"},
            {"number": 4, "start": "2027-04-01", "end": "2027-04-28"},
        ],
        "servers": [
            srv("web01", 1, "Standard_D2s_v5", 2),
            srv("db01", 1, "Standard_E4s_v5", 4),
            srv("app01", 2, "Standard_D4s_v5", 4),
            srv("batch01", 2, "Standard_D4s_v5", 4),
            srv("lost01", 2, "Standard_D2s_v5", 2),
            srv("api01", 3, "Standard_D8s_v5", 8),
            srv("api02", 3, "Standard_E8s_v5", 8),
            srv("big01", 4, "Standard_M64s", 64),
            srv("odd01", 4, "Standard_X1_v9", 1),
            srv("api03", 4, "Standard_D4s_v5", 4),
            {"name": "old01", "wave": None, "azure_size": None, "disposition": "retire"},
        ],
    }


def _routes(**override: list[Route]) -> list[Route]:
    return override.get(
        "vms",
        [
            Route("GET", r"skiptoken=page2", 200, VMS["page2"]),
            Route("GET", r"/virtualMachines\?", 200, VMS["page1"]),
        ],
    ) + [
        Route("GET", r"/providers/Microsoft.Compute/skus", 200, SKUS),
        Route("GET", r"/locations/westeurope/usages", 200, USAGES),
    ]


def _client(routes: list[Route]) -> tuple[Any, ReplayTransport]:
    from azure.mgmt.compute import ComputeManagementClient

    transport = ReplayTransport(routes)
    return ComputeManagementClient(
        FakeCredential(), SUBSCRIPTION, transport=transport, retry_total=2, retry_backoff_factor=0
    ), transport


CONN = Connection(SUBSCRIPTION)


def test_reconciliation_of_due_waves() -> None:
    client, transport = _client(_routes())
    res = check_plan(_plan(), client, CONN, dt.date(2027, 3, 1), match_tag="source-server")
    rows = {r["server"] or r["vm"]: r for r in res.reconciliation}
    assert rows["web01"]["status"] == "landed" and rows["web01"]["power_state"] == "running"
    assert rows["db01"]["status"] == "landed" and rows["db01"]["vm"] == "azvm-db01"  # matched by tag
    assert rows["app01"]["status"] == "size-drift" and rows["app01"]["actual_size"] == "Standard_D8s_v5"
    assert rows["lost01"]["status"] == "missing"
    assert rows["sandbox-vm"]["status"] == "unplanned"
    assert "other-region" not in rows  # another region is not this plan's business
    kinds = {(f.kind, f.server) for f in res.findings}
    assert ("stopped", "batch01") in kinds and ("missing", "lost01") in kinds
    assert res.due_waves == (1, 2) and res.upcoming_waves == (3, 4)
    assert any("skiptoken=page2" in url for _, url in transport.requests)  # paged list followed


def test_landing_checks_sizes_and_quota_per_wave() -> None:
    client, _ = _client(_routes())
    res = check_plan(_plan(), client, CONN, dt.date(2027, 3, 1))
    blocking = [(f.kind, f.wave) for f in res.findings if f.severity == "blocking"]
    assert ("size-unavailable", 4) in blocking  # Standard_X1_v9 is not offered
    assert ("size-restricted", 4) in blocking  # M64s: Location restriction for this subscription
    # DSv5: 24 limit, 14 in use -> 10 free; wave 3 adds 8 (fits), wave 4 adds 4 more -> 12 > 10
    quota = sorted(
        f.message.split(" brings ")[1].split(" to ")[0]
        for f in res.findings
        if f.kind == "quota" and f.severity == "blocking"
    )
    assert quota == ["standardDSv5Family", "standardMSFamily", "total regional vCPUs"]
    assert all(
        f.wave == 4 for f in res.findings if f.kind == "quota"
    )  # wave 3 (8 more DSv5 vCPUs) still fits
    warnings = {f.kind for f in res.findings if f.severity == "warning"}
    assert "zone-restricted" in warnings  # E8s_v5 restricted in zone 2 only
    assert res.blocking == 5


def test_no_credentials_and_expired_login_are_one_line() -> None:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.mgmt.compute import ComputeManagementClient

    class Expired:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise ClientAuthenticationError("AADSTS700082: The refresh token has expired")

    client = ComputeManagementClient(Expired(), SUBSCRIPTION, transport=ReplayTransport(_routes()))
    with pytest.raises(AzureAccessError, match="sign-in failed or expired"):
        check_plan(_plan(), client, CONN, dt.date(2027, 3, 1))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, {"error": {"code": "AuthorizationFailed", "message": "no access"}}, "needs the Reader role"),
        (
            404,
            {"error": {"code": "SubscriptionNotFound", "message": "The subscription could not be found."}},
            "not found, or not visible",
        ),
    ],
)
def test_permission_and_missing_subscription(status: int, body: dict[str, Any], expected: str) -> None:
    client, _ = _client([Route("GET", r"/virtualMachines", status, body)])
    with pytest.raises(AzureAccessError, match=expected):
        check_plan(_plan(), client, CONN, dt.date(2027, 3, 1))


def test_throttling_is_retried_with_retry_after_then_reported() -> None:
    throttle = Route(
        "GET",
        r"/virtualMachines",
        429,
        {"error": {"code": "TooManyRequests", "message": "slow down"}},
        {"Retry-After": "0"},
        times=1,
    )
    client, transport = _client(
        _routes(
            vms=[
                throttle,
                Route("GET", r"skiptoken=page2", 200, VMS["page2"]),
                Route("GET", r"/virtualMachines\?", 200, VMS["page1"]),
            ]
        )
    )
    res = check_plan(_plan(), client, CONN, dt.date(2027, 3, 1))
    assert len(res.reconciliation) > 0 and len(transport.requests) >= 4
    always = Route(
        "GET",
        r"/virtualMachines",
        429,
        {"error": {"code": "TooManyRequests", "message": "slow down"}},
        {"Retry-After": "0"},
    )
    client, _ = _client([always])
    with pytest.raises(AzureAccessError, match=r"throttling requests .*HTTP 429"):
        check_plan(_plan(), client, CONN, dt.date(2027, 3, 1))


def test_sovereign_cloud_and_custom_endpoint() -> None:
    assert Connection(SUBSCRIPTION, cloud="usgov").endpoint == "https://management.usgovcloudapi.net"
    assert Connection(SUBSCRIPTION, cloud="china").endpoint == "https://management.chinacloudapi.cn"
    conn = Connection(SUBSCRIPTION, arm_endpoint="https://management.local.azurestack.external/")
    transport = ReplayTransport(_routes())
    client = arm.compute_client(conn, FakeCredential(), transport=transport)
    check_plan(_plan(), client, conn, dt.date(2027, 3, 1))
    first_calls = [
        url for _, url in transport.requests if "skiptoken" not in url
    ]  # the recorded nextLink names the public cloud
    assert first_calls and all(
        url.startswith("https://management.local.azurestack.external/") for url in first_calls
    )


def test_cli_writes_reports_and_gates_on_blocking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan()))
    monkeypatch.setattr(arm, "CLIENT_FACTORY", lambda conn: _client(_routes())[0])
    runner = CliRunner()
    args = [
        "azure",
        "check",
        "--plan",
        str(plan),
        "--subscription",
        SUBSCRIPTION,
        "--as-of",
        "2027-03-01",
        "--out",
        str(tmp_path / "out"),
    ]
    ok = runner.invoke(app, args, env={"NO_COLOR": "1"})
    assert ok.exit_code == 0, ok.output
    assert "5 blocking" in ok.output
    md = (tmp_path / "out" / "azure-check.md").read_text()
    assert "## vCPU quota, wave by wave" in md and "lost01" in md
    first = (tmp_path / "out" / "azure-check.json").read_bytes()
    assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "out" / "azure-check.json").read_bytes() == first  # reproducible with --as-of
    gated = runner.invoke(app, [*args, "--fail-on-blocking"])
    assert gated.exit_code == 1 and "gate tripped" in gated.output
    assert "fake-token" not in ok.output and "fake-token" not in md


def test_cli_bad_plan_and_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "plan.json"
    bad.write_text("{}")
    result = runner.invoke(app, ["azure", "check", "--plan", str(bad), "--subscription", SUBSCRIPTION])
    assert result.exit_code == 2 and "not a plan.json" in result.output
    result = runner.invoke(
        app, ["azure", "check", "--plan", str(bad), "--subscription", SUBSCRIPTION, "--auth", "magic"]
    )
    assert result.exit_code == 2 and "--auth must be one of" in result.output
