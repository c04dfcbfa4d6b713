"""The GitHub Actions example: valid YAML, the gates and comment it promises, its migrator commands run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from migrator.cli import _register, app
from migrator.outputs.diff_markdown import MARKER

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions" / "migrator-plan.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return workflow["jobs"]["plan"]["steps"]


def test_triggers_permissions_and_comment_by_marker(workflow: dict[str, Any]) -> None:
    on = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads the key 'on' as true
    assert "inventories/**" in on["pull_request"]["paths"] and "inventories/**" in on["push"]["paths"]
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    (script,) = [
        s["with"]["script"]
        for s in _steps(workflow)
        if str(s.get("uses", "")).startswith("actions/github-script@")
    ]
    assert f"'{MARKER}'" in script  # the same marker migrator diff writes first
    assert (
        "startsWith(marker)" in script
        and "updateComment" in script
        and "createComment" in script
        and "paginate" in script
    )


def test_gates_fail_the_job_and_the_diff_is_posted_first(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow)
    runs = [(i, s.get("run", "")) for i, s in enumerate(steps)]
    check = next(i for i, r in runs if "--check" in r and "$PLAN_DIR" in r)
    target = next(i for i, r in runs if "--fail-on target" in r)
    diff = next(i for i, r in runs if "migrator diff" in r)
    comment = next(
        i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/github-script@")
    )
    assert diff < comment < check < target  # a stale plan or a missed target still gets its comment
    assert "continue-on-error" not in steps[check] and "continue-on-error" not in steps[target]
    assert steps[target]["if"] == "${{ !cancelled() }}"  # both verdicts show on one run


def test_every_migrator_command_of_the_workflow_runs(
    workflow: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `migrator` lines of the run steps, with the sample inventory and /tmp paths moved into tmp_path."""
    _register()
    runner = CliRunner()
    env = {k: str(v) for k, v in workflow["env"].items()}
    monkeypatch.chdir(ROOT)
    commands = []
    for step in _steps(workflow):
        for line in str(step.get("run", "")).splitlines():
            m = re.search(r"(?:^|\(cd \S+ && )(migrator .*?)\)?(?:; then)?$", line.strip())
            if not m:
                continue
            text = m.group(1).replace("/tmp/", f"{tmp_path}/").replace("$PLAN_ARGS", env["PLAN_ARGS"])
            text = text.replace('"$PLAN_DIR"', shlex.quote(str(tmp_path / "committed")))
            commands.append(shlex.split(text)[1:])
    kinds = [c[0] for c in commands]
    assert kinds.count("plan") == 4 and kinds.count("diff") == 1
    # the committed plan is the one the first step writes (as after "regenerate and commit")
    commands.insert(0, [*commands[0][:-3], "--out", str(tmp_path / "committed"), "--quiet"])
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    text = (tmp_path / "plan-diff.md").read_text(encoding="utf-8")
    assert text.startswith(MARKER) and "No change to waves" in text and len(text) <= 65_536
