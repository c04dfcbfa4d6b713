"""`migrator deps aggregate`: raw exports in, one native dependencies.csv out, the same plan either way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.generate import generate_estate, write_estate

_register()
runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "inputs"
SAMPLE = DATA / "azure-migrate-dependency-export-sample.csv"
DATE = (
    "Date,Source Appliance Name,Source Machine ARM ID,Source Server Name,Source IP,Source Application,"
    "Source Process,Destination Server Name,Destination IP,Destination Application,Destination Process,"
    "Destination Port,Connection Count"
)


def _raw_export(estate_dir: Path, out: Path) -> Path:
    """The estate's dependencies as Azure Migrate would export them: each flow split over two days, every
    fifth destination known by IP only."""
    deps = pd.read_csv(estate_dir / "dependencies.csv")
    servers = pd.read_csv(estate_dir / "servers.csv", keep_default_na=False).set_index("name")
    target_ip = servers.loc[deps["target"], "ip"].to_numpy()
    by_ip = deps.index % 5 == 0
    first = deps["weight"] // 2
    days = []
    for day, count in (("2026-10-01", first), ("2026-10-02", deps["weight"] - first)):
        days.append(
            pd.DataFrame(
                {
                    "Date": day,
                    "Source Appliance Name": "appliance-1",
                    "Source Machine ARM ID": "/x",
                    "Source Server Name": deps["source"],
                    "Source IP": servers.loc[deps["source"], "ip"].to_numpy(),
                    "Source Application": "",
                    "Source Process": "app.exe",
                    "Destination Server Name": deps["target"].where(~by_ip, ""),
                    "Destination IP": target_ip,
                    "Destination Application": "",
                    "Destination Process": "svc.exe",
                    "Destination Port": deps["port"],
                    "Connection Count": count,
                }
            )
        )
    pd.concat(days).to_csv(out, index=False)
    return out


def _plan(servers: Path, deps: Path, out: Path) -> bytes:
    result = runner.invoke(app, ["plan", str(servers), "--deps", str(deps), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return (out / "waves.csv").read_bytes()


def test_aggregating_first_gives_the_same_plan_as_planning_on_the_raw_export(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    write_estate(generate_estate(150), estate)
    raw = _raw_export(estate, tmp_path / "raw.csv")
    agg = tmp_path / "dependencies.csv"
    result = runner.invoke(app, ["deps", "aggregate", str(raw), "--out", str(agg)])
    assert result.exit_code == 0, result.output
    assert " from 1 file aggregated into " in result.output  # one file, not "1 files"
    servers = estate / "servers.csv"
    assert _plan(servers, agg, tmp_path / "a") == _plan(servers, raw, tmp_path / "b")


def test_the_sample_export_plans_the_same_raw_or_aggregated(tmp_path: Path) -> None:
    names = ["app1-server", "app2-server", "db1-server", "web1-server", "web2-server", "api1-server"]
    names += ["api2-server", "admin-server"]
    servers = tmp_path / "servers.csv"
    servers.write_text(
        "name,ip,cores,memory_gb,storage_gb,application\n"
        + "".join(f"{n},10.0.1.{i},2,8,100,{n.split('-')[0]}\n" for i, n in enumerate(names))
    )
    agg = tmp_path / "dependencies.csv"
    assert runner.invoke(app, ["deps", "aggregate", str(SAMPLE), "--out", str(agg)]).exit_code == 0
    assert _plan(servers, agg, tmp_path / "a") == _plan(servers, SAMPLE, tmp_path / "b")


def test_globs_window_and_noise_filters(tmp_path: Path) -> None:
    for day, appliance in (("2026-10-01", "a"), ("2026-10-05", "b")):
        (tmp_path / f"export-{appliance}.csv").write_text(
            DATE + f"\n{day},{appliance},/x,web01,,,nginx,db01,,,sqlservr.exe,1433,3\n"
            f"{day},{appliance},/x,web01,,,nginx,dc01,,,dns.exe,53,9\n"
            f"{day},{appliance},/x,web01,,,MonAgent.exe,mon01,,,collector,8443,1\n"
        )
    out = tmp_path / "dependencies.csv"
    args = ["deps", "aggregate", str(tmp_path / "export-*.csv"), "--out", str(out), "--since", "2026-10-01"]
    args += ["--until", "2026-10-04", "--exclude-ports", "50-60", "--exclude-processes", "monagent.exe"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1:] == ["web01,db01,1433,tcp,3,,,nginx,sqlservr.exe"]
    whole_day = runner.invoke(app, [*args[:7], "--until", "2026-10-05", "--quiet"])  # a date: the whole day
    assert whole_day.exit_code == 0
    assert "web01,db01,1433,tcp,6,,,nginx,sqlservr.exe" in out.read_text().splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "--since 'last week': not a date"),
        (["--exclude-ports", "dns"], "--exclude-ports 'dns': not a port or range"),
        (["--exclude-ports", "70000"], "ports are 0 to 65535"),
        (["--since", "2026-10-05", "--until", "2026-10-01"], "--until must be after --since"),
        (["--memory-limit", "lots"], "cannot start DuckDB"),
        (["--temp-dir", "/nonexistent/spill"], "cannot create a temporary folder"),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["deps", "aggregate", str(SAMPLE), "--out", str(tmp_path / "d.csv"), *args])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "d.csv").exists()


def test_bad_rows_and_missing_files_exit_2_naming_file_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "export.csv"
    bad.write_text(DATE + "\n2026-10-01,a,/x,web01,,,,db01,,,,https,1\n")
    out = str(tmp_path / "d.csv")
    result = runner.invoke(app, ["deps", "aggregate", str(bad), "--out", out])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {bad}, row 2, column 'Destination Port': not a number: 'https' (expected a port number)"
    )
    missing = runner.invoke(app, ["deps", "aggregate", str(tmp_path / "none-*.csv"), "--out", out])
    assert missing.exit_code == 2 and "no file matches this pattern" in missing.output
    nowhere = runner.invoke(app, ["deps", "aggregate", str(SAMPLE), "--out", str(tmp_path / "no" / "d.csv")])
    assert nowhere.exit_code == 2 and "the folder to write into does not exist" in nowhere.output


def test_help_does_not_import_duckdb() -> None:
    code = (  # main() never returns (migrator.cli._leave): the check runs at exit
        "import atexit, sys\nfrom migrator.cli import main\nsys.argv = ['migrator', '--help']\n"
        "atexit.register(lambda: print('duckdb imported:', 'duckdb' in sys.modules))\nmain()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "deps" in done.stdout
    assert done.stdout.strip().endswith("duckdb imported: False")
