"""Start-up stays light: the heavy libraries are imported where they are first needed, not when migrator is.

``migrator --help`` imports no data library at all; the planning modules import pandas but no solver, graph
or charting library until a stage uses one (issue 15: start-up was 0.83 s, matplotlib included on every run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOLVERS_GRAPHS_CHARTS = {"scipy", "ortools", "pymetis", "networkx", "matplotlib"}


def _top_level_modules_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    listing = "import sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}; {listing}"], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_planning_modules_import_no_solver_graph_or_chart_library() -> None:
    loaded = _top_level_modules_after("import migrator.pipeline, migrator.outputs, migrator.settings")
    assert "pandas" in loaded  # the check sees what is imported
    assert not loaded & SOLVERS_GRAPHS_CHARTS


def test_the_command_line_imports_no_data_library_before_a_command_runs() -> None:
    loaded = _top_level_modules_after("from migrator.cli import _register; _register()")
    assert "typer" in loaded
    assert not loaded & {"pandas", "numpy", "pyarrow", "pydantic", *SOLVERS_GRAPHS_CHARTS}


def test_the_plan_documents_models_are_not_built_at_start_up() -> None:
    """The document's pydantic models (and sizing's) are imported beside the waves' optimisation, where
    their cost is hidden on a second core, not before the first stage."""
    code = "import sys, migrator.pipeline, migrator.outputs.chart, migrator.settings, migrator.cli.plan"
    listing = "print(' '.join(sorted(m for m in sys.modules if m.startswith('migrator'))))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}; {listing}"], capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "migrator.pipeline" in loaded
    assert not loaded & {"migrator.plan_model", "migrator.document", "migrator.azure.sizing"}


def test_a_plan_never_imports_pyarrows_query_engine() -> None:
    """pandas takes the minimum of an Arrow string column per group with pyarrow's Acero engine, whose import
    alone is 0.06 s: the move groups' first server is found through the names' ranks instead."""
    code = (
        "import os; os.environ['MIGRATOR_PROCESSES'] = '1'\n"
        "from migrator.pipeline import PlanInputs, run_plan\nfrom migrator.settings import load_settings\n"
        "s = 'inventories/sample/'\n"
        "run_plan(PlanInputs([s + 'servers.csv'], [s + 'dependencies.csv'], [s + 'hosts.csv']), "
        "load_settings(s + 'migrator.toml')).document\n"
        "import sys; print('pyarrow.acero' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    run = [sys.executable, "-c", code]
    result = subprocess.run(run, capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "False"
