"""Every Mermaid block of the sample plan and of a 10,000-server plan parses and renders in Mermaid 11.

GitHub renders Mermaid in the browser: a block that breaks Mermaid's grammar shows as an error box where the
reviewer expected a diagram. This test renders every block with the Mermaid command-line renderer
(``@mermaid-js/mermaid-cli``, Mermaid 11) in Chromium and fails on any parse error. It runs where both are
installed and is skipped, saying why, where they are not (see README, Development):

    apt-get install -y chromium
    PUPPETEER_SKIP_DOWNLOAD=1 npm install -g @mermaid-js/mermaid-cli     # or into a folder: MIGRATOR_MMDC=...

``MIGRATOR_MMDC`` names the ``mmdc`` to use (default: the one on PATH); ``MIGRATOR_CHROMIUM`` the browser
(default: ``chromium`` or ``chromium-browser`` on PATH).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from migrator.document import PlanResult
from migrator.generate import generate_estate
from migrator.outputs.base import render_plan
from migrator.pipeline import PlanInputs, plan_inventory, run_plan
from migrator.settings import load_settings
from migrator.validate import validate
from tests.conftest import SAMPLE
from tests.estates import native_results

BLOCK = re.compile(r"```mermaid\n.*?```", flags=re.S)


def _tools() -> tuple[str, str]:
    mmdc = os.environ.get("MIGRATOR_MMDC") or shutil.which("mmdc")
    chromium = (
        os.environ.get("MIGRATOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not mmdc:
        pytest.skip("mmdc (@mermaid-js/mermaid-cli) is not installed: see README, Development")
    if not chromium:
        pytest.skip("Chromium is not installed (apt-get install -y chromium): see README, Development")
    return mmdc, chromium


def _blocks(result: PlanResult) -> list[str]:
    files = render_plan(result)
    return [b for name, data in files.items() if name.endswith(".md") for b in BLOCK.findall(data.decode())]


def _render(blocks: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """All blocks in one Markdown file: one browser start; mmdc stops with an error on the first block that
    does not parse."""
    mmdc, chromium = _tools()
    config = tmp_path / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": chromium, "args": ["--no-sandbox", "--disable-gpu"]}))
    source = tmp_path / "blocks.md"
    source.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    return subprocess.run(
        [mmdc, "-p", str(config), "-i", str(source), "-o", str(out / "blocks.md"), "-e", "svg", "-q"],
        capture_output=True,
        text=True,
        timeout=1_200,
        check=False,
    )


def _check(blocks: list[str], tmp_path: Path) -> None:
    assert blocks
    done = _render(blocks, tmp_path)
    assert done.returncode == 0, done.stderr[-3_000:]
    assert "Error" not in done.stderr and "Parse error" not in done.stdout, done.stderr[-3_000:]
    assert len(list((tmp_path / "out").glob("blocks-*.svg"))) == len(blocks)


def test_every_mermaid_block_of_the_sample_plan_renders(tmp_path: Path) -> None:
    _tools()
    settings = load_settings(SAMPLE / "migrator.toml", {}, environ={})
    inputs = PlanInputs([SAMPLE / "servers.csv"], [SAMPLE / "dependencies.csv"], [SAMPLE / "hosts.csv"])
    _check(_blocks(run_plan(inputs, settings)), tmp_path)


def test_every_mermaid_block_of_a_10000_server_plan_renders(tmp_path: Path) -> None:
    _tools()
    estate = generate_estate(10_000, seed=11)
    results = native_results(estate)
    result = plan_inventory(validate(results), load_settings(None, {}, environ={}))
    blocks = _blocks(result)
    assert len(blocks) > 100  # the gantt chart and a diagram per wave
    _check(blocks, tmp_path)


def test_a_broken_block_fails(tmp_path: Path) -> None:
    """The check itself: a block Mermaid cannot parse makes the renderer fail."""
    done = _render(['```mermaid\nflowchart LR\n    n0["unclosed] --> n1\n```'], tmp_path)
    assert done.returncode != 0 and "Parse error" in done.stderr
