"""`migrator generate`: a realistic, seeded estate; the plan is the same with and without the fast paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import migrator.crossing
import migrator.footprint
import migrator.groups
import migrator.waves
from migrator.cli import _register, app
from migrator.generate import generate_estate, write_estate
from migrator.outputs.json_plan import dumps
from migrator.pipeline import plan_inventory
from migrator.schema import column_names
from migrator.settings import load_settings
from migrator.validate import validate
from tests import reference
from tests.estates import native_results

_register()


@pytest.fixture(scope="module")
def estate():
    return generate_estate(3000, seed=7)


def test_native_columns_unique_names_and_ips(estate) -> None:
    assert set(estate.servers.columns) <= set(column_names("servers"))
    assert {"name", "cores", "memory_gb", "storage_gb", "host", "cluster", "rack", "power_w", "role"} <= set(
        estate.servers.columns
    )
    assert estate.servers["name"].is_unique and estate.servers["ip"].is_unique
    assert set(estate.dependencies.columns) <= set(column_names("dependencies"))


def test_shares_hubs_and_heavy_tailed_degrees(estate) -> None:
    s, d = estate.servers, estate.dependencies
    shares = s["disposition"].value_counts(normalize=True)
    assert 0.03 < shares["retire"] < 0.15 and 0.02 < shares["retain"] < 0.12
    assert set(s.loc[s["role"].ne(""), "name"]) >= {"dc01", "dns01", "mon01", "bkp01"}
    assert 9 <= len(d) / len(s) <= 11  # about 10 dependency rows per server
    degree = d.groupby("target").size().reindex(s["name"], fill_value=0)
    assert degree.max() > 50 * max(degree.median(), 1)  # hubs and popular services dwarf the typical server
    assert s["cpu_util_pct"].notna().mean() > 0.7
    assert set(s["environment"]) >= {"prod", "dev", "test"}


def test_same_seed_same_files_different_seed_different(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    runner = CliRunner()
    for out, seed in ((a, "5"), (b, "5"), (c, "6")):
        result = runner.invoke(app, ["generate", "--servers", "500", "--out", str(out), "--seed", seed])
        assert result.exit_code == 0, result.output
    for name in ("servers.csv", "dependencies.csv", "hosts.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "dependencies.csv").read_bytes() != (c / "dependencies.csv").read_bytes()


def test_generated_estate_plans_and_fast_paths_match_reference(
    estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_estate(estate, tmp_path)
    inv = validate(native_results(estate, tmp_path))
    settings = load_settings(None, {"capacity": {"max_servers": 40, "max_vcpus": 300}}, environ={})
    fast = plan_inventory(inv, settings)
    # The same plan with every fast path replaced by its plain networkx / loop version (tests/reference.py).
    monkeypatch.setattr(migrator.groups, "components", reference.components)
    monkeypatch.setattr(migrator.waves, "strong_components", reference.strong_components)
    monkeypatch.setattr(migrator.crossing, "ports_by_pair", reference.ports_by_pair)
    monkeypatch.setattr(migrator.footprint, "departure_months", reference.every_month)
    slow = plan_inventory(inv, settings)
    assert fast.document.summary.waves > 5
    assert dumps(fast.document) == dumps(slow.document)
    assert np.isfinite(fast.document.footprint.baseline)


def test_too_small_estate_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["generate", "--servers", "3", "--out", "x"])
    assert result.exit_code == 2 and "at least" in result.output


# sha256 of `migrator generate --servers 600 --seed 5` as it was before --coupled-systems existed.
DEFAULT_600_SEED_5 = {
    "servers.csv": "5c1be162abd723c8b0912244e3ff63635af4ad249677e521415514499a00ff28",
    "dependencies.csv": "528f2ab6a832bd5e2a2fba4864b935db6be4600b4e769a82ad0cc0add08f5063",
    "hosts.csv": "a3c6fc79e5605b186da686b433c7f6157093e66bff1d175c450a17c4219379fc",
}


def test_default_estate_unchanged_by_the_coupled_systems_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "-n", "600", "--seed", "5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    digests = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in DEFAULT_600_SEED_5
    }
    assert digests == DEFAULT_600_SEED_5


def test_coupled_systems_add_calls_between_applications_only() -> None:
    plain = generate_estate(600, seed=5)
    coupled = generate_estate(600, seed=5, coupled_systems=True)
    assert plain.servers.equals(coupled.servers) and plain.hosts.equals(coupled.hosts)
    app_of = plain.servers.set_index("name")["application"]

    def cross_app_weight(deps: pd.DataFrame) -> float:
        src, dst = app_of[deps["source"]].to_numpy(), app_of[deps["target"]].to_numpy()
        return float(
            deps["weight"][(src != dst) & (src != "infrastructure") & (dst != "infrastructure")].sum()
        )

    assert cross_app_weight(coupled.dependencies) > 2 * cross_app_weight(plain.dependencies)
    again = generate_estate(600, seed=5, coupled_systems=True)
    assert again.dependencies.equals(coupled.dependencies)
