"""The Azure SDK is the optional extra ``migrator[azure]``: planning and the catalog never need it, and the
two commands that do (`azure check`, `catalog refresh --subscription`) end with one clear line and exit 2
without it.

Absence is simulated by blocking the SDK's modules in ``sys.modules``; nothing here reaches the network or
constructs a credential.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migrator.azure import arm
from migrator.azure import refresh as live
from migrator.cli import _register, app
from tests.azure.test_refresh import _fetch
from tests.conftest import SAMPLE

_register()
runner = CliRunner()
SDK_MODULES = ("azure.identity", "azure.mgmt.compute", "azure.core.exceptions")
PLAN = Path(__file__).resolve().parents[2] / "plans" / "sample" / "plan.json"
HINT = "needs the Azure SDK: pip install 'migrator[azure]'"


@pytest.fixture
def no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Azure SDK as if not installed: importing any of its modules raises ImportError."""
    for name in SDK_MODULES:
        monkeypatch.setitem(sys.modules, name, None)

    def no_client(conn: arm.Connection) -> Any:
        raise AssertionError("no client may be built without the SDK")

    monkeypatch.setattr(arm, "CLIENT_FACTORY", no_client)


def test_importing_migrator_never_loads_the_azure_sdk() -> None:
    code = (
        "import sys\n"
        "import migrator.cli, migrator.settings, migrator.pipeline\n"
        "migrator.cli._register()\n"
        "import migrator.azure.arm, migrator.azure.check, migrator.azure.check_report\n"
        "import migrator.azure.refresh, migrator.azure.sizing, migrator.azure.catalog\n"
        "sdk = ('azure.identity', 'azure.mgmt', 'azure.core')\n"
        "print(sorted(m for m in sys.modules if m.startswith(sdk)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_azure_check_without_the_sdk_is_one_line_and_exit_2(no_sdk: None) -> None:
    result = runner.invoke(app, ["azure", "check", "--plan", str(PLAN), "--subscription", "sub-1"])
    assert result.exit_code == 2
    assert result.stderr == f"error: 'migrator azure check' {HINT}\n"
    assert result.stdout == "" and "Traceback" not in result.output


def test_catalog_refresh_with_a_subscription_without_the_sdk_is_one_line_and_exit_2(
    no_sdk: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(live, "http_fetch", _fetch(calls))
    args = ["catalog", "refresh", "--region", "swedencentral", "--out", str(tmp_path / "c.json.gz")]
    result = runner.invoke(app, [*args, "--subscription", "sub-1"])
    assert result.exit_code == 2
    assert result.stderr == f"error: 'migrator catalog refresh --subscription' {HINT}\n"
    assert "Traceback" not in result.output and calls == [] and not (tmp_path / "c.json.gz").exists()


def test_plan_and_catalog_work_without_the_sdk(
    no_sdk: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "http_fetch", _fetch([]))
    shown = runner.invoke(app, ["catalog", "show", "--series", "Dsv5"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "Standard_D2s_v5" in shown.stdout
    out = tmp_path / "c.json.gz"
    refreshed = runner.invoke(app, ["catalog", "refresh", "--region", "swedencentral", "--out", str(out)])
    assert refreshed.exit_code == 0 and out.exists(), refreshed.output
    planned = runner.invoke(
        app,
        [
            "plan",
            str(SAMPLE / "servers.csv"),
            "--deps",
            str(SAMPLE / "dependencies.csv"),
            "--hosts",
            str(SAMPLE / "hosts.csv"),
            "--config",
            str(SAMPLE / "migrator.toml"),
            "--out",
            str(tmp_path / "plan"),
            "--quiet",
        ],
    )
    assert planned.exit_code == 0, planned.output
    assert (tmp_path / "plan" / "plan.json").read_bytes() == PLAN.read_bytes()


def test_the_one_place_that_imports_the_sdk_names_the_extra(no_sdk: None) -> None:
    with pytest.raises(arm.AzureSdkMissing, match=r"^live Azure access needs the Azure SDK: pip install"):
        arm.azure_sdk()
    with pytest.raises(arm.AzureSdkMissing):
        arm.compute_client(arm.Connection("sub-1"), credential=object())
    with pytest.raises(arm.AzureSdkMissing, match="catalog refresh --subscription"):
        live.sku_capabilities("westeurope", "sub-1", credential=object())
    # An error that reaches describe_error without the SDK cannot come from it: still one line.
    err = arm.describe_error(OSError("boom"), arm.Connection("sub-1"), "listing virtual machines")
    assert str(err) == "unexpected error while listing virtual machines: boom"
