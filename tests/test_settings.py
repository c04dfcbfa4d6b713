"""Settings: flag, then MIGRATOR_* environment variable, then migrator.toml, then the documented default."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from migrator.azure.config import SizingSettings
from migrator.errors import ConfigError
from migrator.inputs.config import InputSettings
from migrator.settings import Settings, load_settings


def test_defaults_are_documented_values() -> None:
    s = load_settings(environ={})
    assert s.target.reduction == 0.60
    assert s.target.by == dt.date(2029, 12, 31)
    assert s.capacity.max_servers == 50
    assert s.calendar.freeze == ()


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    cfg = tmp_path / "migrator.toml"
    cfg.write_text("[capacity]\nmax_servers = 10\nmax_vcpus = 100\nmax_storage_gb = 5000\n")
    env = {"MIGRATOR_CAPACITY__MAX_SERVERS": "20", "MIGRATOR_CAPACITY__MAX_VCPUS": "200"}
    s = load_settings(cfg, {"capacity": {"max_servers": 30}}, environ=env)
    assert s.capacity.max_servers == 30  # flag
    assert s.capacity.max_vcpus == 200  # environment
    assert s.capacity.max_storage_gb == 5000  # file


def test_config_from_environment_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "x.toml"
    cfg.write_text("[target]\nreduction = 0.5\n")
    assert load_settings(environ={"MIGRATOR_CONFIG": str(cfg)}).target.reduction == 0.5


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "migrator.toml"
    cfg.write_text("[capacity]\nmax_server = 10\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert "unknown setting 'capacity.max_server'" in str(err.value)
    assert "migrator.toml" in str(err.value)


def test_unknown_section_and_bad_value(tmp_path: Path) -> None:
    cfg = tmp_path / "migrator.toml"
    cfg.write_text("[waves]\nx = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'waves'"):
        load_settings(cfg, environ={})
    cfg.write_text("[target]\nreduction = 1.5\n")
    with pytest.raises(ConfigError, match="target.reduction"):
        load_settings(cfg, environ={})


def test_unknown_environment_setting_is_rejected() -> None:
    with pytest.raises(ConfigError, match="environment setting 'capacity.max_cpus'"):
        load_settings(environ={"MIGRATOR_CAPACITY__MAX_CPUS": "3"})


def test_freeze_window_and_cadence_validation(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text('[calendar]\nfreeze = [{ name = "x", start = 2027-03-10, end = 2027-03-01 }]\n')
    with pytest.raises(ConfigError, match="ends"):
        load_settings(cfg, environ={})
    cfg.write_text("[calendar]\nwave_weeks = 4\ncadence_weeks = 2\n")
    with pytest.raises(ConfigError, match="cadence_weeks"):
        load_settings(cfg, environ={})


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[capacity\n")
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_settings(cfg, environ={})


def test_echo_is_plain_json() -> None:
    echoed = Settings().echo()
    assert echoed["target"]["by"] == "2029-12-31"
    assert set(echoed) >= {"calendar", "capacity", "target", "planning", "shared_services", "footprint"}


def test_the_process_environment_is_read_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "env.toml"
    cfg.write_text("[target]\nreduction = 0.5\n")
    monkeypatch.setenv("MIGRATOR_CAPACITY__MAX_SERVERS", "7")
    monkeypatch.setenv("MIGRATOR_CONFIG", str(cfg))
    plain = load_settings()
    assert (plain.capacity.max_servers, plain.target.reduction) == (50, 0.60)
    asked = load_settings(environ=os.environ)
    assert (asked.capacity.max_servers, asked.target.reduction) == (7, 0.5)


def test_inputs_and_sizing_are_typed_sections() -> None:
    s = load_settings(environ={"MIGRATOR_SIZING__REGION": "eastus"})
    assert isinstance(s.inputs, InputSettings) and s.inputs == InputSettings()
    assert isinstance(s.sizing, SizingSettings) and s.sizing.region == "eastus"
    assert Settings.model_fields["inputs"].annotation is InputSettings
    assert Settings.model_fields["sizing"].annotation is SizingSettings
    assert Settings().echo()["sizing"] == SizingSettings().model_dump(mode="json")
