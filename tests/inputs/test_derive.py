"""Missing fields derived by well-known rules, only when asked, and reported."""

from __future__ import annotations

import pytest

from migrator.errors import ConfigError
from migrator.inputs.config import InputSettings
from migrator.inputs.derive import derive_fields
from migrator.settings import load_settings
from tests.conftest import inventory, server


def test_environment_from_a_naming_convention() -> None:
    inv = inventory(
        [
            server("muc-prd-web01", env=""),
            server("muc-tst-web01", env=""),
            server("odd", env=""),
            server("x-dev-1", env="uat"),
        ]
    )
    out, findings = derive_fields(inv.servers, InputSettings(environment_pattern=r"^[a-z]+-(?P<env>[a-z]+)-"))
    assert out["environment"].tolist() == [
        "prod",
        "test",
        "",
        "uat",
    ]  # an explicit value is never overwritten
    assert any(f.code == "derived-environment" and "2 servers" in f.message for f in findings)
    assert any(f.code == "no-environment" for f in findings)


def test_application_from_folder_or_annotation() -> None:
    inv = inventory(
        [
            server("a", app="", folder="/dc/vm/Payroll"),
            server("b", app="", annotation="app=CRM; owner=x"),
            server("c", app="keep"),
        ]
    )
    out, _ = derive_fields(inv.servers, InputSettings(application_from="folder"))
    assert out["application"].tolist() == ["Payroll", "", "keep"]
    out, _ = derive_fields(
        inv.servers, InputSettings(application_from="annotation", application_pattern=r"app=(?P<app>[^;]+)")
    )
    assert out["application"].tolist() == ["", "CRM", "keep"]


def test_bad_pattern_is_a_config_error(tmp_path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text('[inputs]\nenvironment_pattern = "^(?P<x>.)"\n')
    with pytest.raises(ConfigError, match="named group"):
        load_settings(cfg, environ={})
