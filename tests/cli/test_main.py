"""The console script (``migrator.cli.main``) leaves without Python's teardown of every object a plan left
behind, but as ``sys.exit`` would: the exit code, the atexit handlers run, child processes reaped, the
streams flushed. Run in a fresh interpreter: leaving ends the process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator import background


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (background.ENV, "PYTHONUNBUFFERED")}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_command_exits_with_its_code_after_the_atexit_handlers_and_flushes_its_output() -> None:
    code = (
        "import atexit, sys\nfrom migrator.cli import main\n"
        "atexit.register(lambda: print('atexit handler ran', file=sys.stderr))\n"
        "sys.stdout.write('buffered, not yet flushed')\n"
        "sys.argv = ['migrator', 'plan', 'no-such-servers.csv']\nmain()\n"
    )
    done = _run(code)
    assert done.returncode == 2
    assert done.stdout == "buffered, not yet flushed"
    assert "no-such-servers.csv" in done.stderr and done.stderr.endswith("atexit handler ran\n")


def test_a_message_as_the_exit_code_goes_to_stderr_with_status_1() -> None:
    done = _run("from migrator.cli import _leave\n_leave('cannot go on')\n")
    assert (done.returncode, done.stderr) == (1, "cannot go on\n")


@pytest.mark.skipif(not background.available(), reason="children run only with a second core on Linux")
def test_a_child_process_still_running_is_stopped_when_the_command_leaves(tmp_path: Path) -> None:
    code = (
        "import os, sys, time\nfrom pathlib import Path\nfrom migrator import background\n"
        "from migrator.cli import _leave\n"
        "def work():\n    Path(sys.argv[1]).write_text(str(os.getpid()))\n    time.sleep(60)\n"
        "pending = background.start(work)\n"
        "while not Path(sys.argv[1]).exists() or not Path(sys.argv[1]).read_text():\n    time.sleep(0.01)\n"
        "_leave(3)\n"
    )
    started = time.monotonic()
    done = _run(code, str(tmp_path / "child.pid"))
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - started < 30  # not waiting for the child's minute
    child = int((tmp_path / "child.pid").read_text())
    assert not Path(f"/proc/{child}").exists()  # stopped and reaped, not left running


@pytest.mark.parametrize(
    ("argv", "loaded"),
    [
        (["plan", "servers.csv", "--deps", "deps.csv"], {"plan"}),
        (["diff", "--help"], {"diff"}),
        (["--help"], {"plan", "inspect", "catalog", "azure", "generate", "diff", "deps"}),
        (["pla"], {"plan", "inspect", "catalog", "azure", "generate", "diff", "deps"}),
    ],
)
def test_a_command_imports_only_its_own_module(argv: list[str], loaded: set[str]) -> None:
    code = (
        "import sys\nfrom migrator.cli import _register\n_register(sys.argv[1:])\n"
        "print(' '.join(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('migrator.cli.')))\n"
    )
    done = _run(code, *argv)
    assert set(done.stdout.split()) - {"app", "common"} == loaded, done.stderr
