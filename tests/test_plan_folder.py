"""Whole plans or none: the plan folder is replaced at once, never left with files of two runs, one run at a
time; what is not a plan file stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from migrator.errors import InputError
from migrator.outputs import folder
from migrator.outputs.folder import PlanFolderError, plan_files_in, plan_lock, write_plan_folder

NEW = {"PLAN.md": b"new plan\n", "plan.json": b"{}\n", "waves/wave-001.md": b"wave 1\n"}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """A plan folder holding an earlier plan (three waves) and files of the user's."""
    out = tmp_path / "plan"
    (out / "waves").mkdir(parents=True)
    (out / "PLAN.md").write_bytes(b"old plan\n")
    (out / "plan.json").write_bytes(b'{"old": true}\n')
    (out / "waves.csv").write_bytes(b"old csv\n")
    for n in (1, 2, 3):
        (out / "waves" / f"wave-00{n}.md").write_bytes(b"old wave\n")
    (out / "NOTES.md").write_bytes(b"my notes\n")
    (out / ".gitkeep").write_bytes(b"")
    (out / "reports").mkdir()
    (out / "reports" / "azure-check.md").write_bytes(b"report\n")
    return out


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def test_a_new_folder_gets_every_file_nested_ones_too(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "plan"
    write_plan_folder(NEW, out)
    assert _tree(out) == NEW
    assert _siblings(out) == [], "no lock file or temporary folder is left beside the plan"


def test_a_new_plan_replaces_every_plan_file_and_keeps_the_users_files(earlier: Path) -> None:
    write_plan_folder(NEW, earlier)
    assert _tree(earlier) == {
        **NEW,
        ".gitkeep": b"",
        "NOTES.md": b"my notes\n",
        "reports/azure-check.md": b"report\n",
    }, "waves.csv and waves 2-3 of the earlier plan are gone, the user's files are kept"
    assert _siblings(earlier) == []


def test_a_failure_while_writing_leaves_the_earlier_plan_as_it_was(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _tree(earlier)

    def half_then_fail(tmp: Path, files: dict[str, bytes], mode: int) -> None:
        (tmp / "plan.json").write_bytes(b"half")
        raise OSError(28, "No space left on device", str(tmp / "PLAN.md"))

    monkeypatch.setattr(folder, "_fill", half_then_fail)
    with pytest.raises(PlanFolderError, match="No space left on device"):
        write_plan_folder(NEW, earlier)
    assert _tree(earlier) == before
    assert _siblings(earlier) == []


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_an_interruption_while_writing_leaves_the_earlier_plan_and_no_temporary_files(
    earlier: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    before = _tree(earlier)

    def interrupted(tmp: Path, files: dict[str, bytes], mode: int) -> None:
        (tmp / "plan.json").write_bytes(b"x" * 1_000_000)
        raise interruption()

    monkeypatch.setattr(folder, "_fill", interrupted)
    with pytest.raises(interruption):
        write_plan_folder(NEW, earlier)
    assert _tree(earlier) == before
    assert _siblings(earlier) == []


def test_without_an_atomic_exchange_a_failed_swap_puts_the_earlier_plan_back(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _tree(earlier)
    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src: object, dst: object) -> None:
        if ".tmp-" in str(src):
            raise OSError(13, "Permission denied", str(dst))
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(folder.os, "rename", rename)
    with pytest.raises(PlanFolderError, match="Permission denied"):
        write_plan_folder(NEW, earlier)
    assert _tree(earlier) == before
    assert _siblings(earlier) == []


def test_without_an_atomic_exchange_the_plan_is_still_replaced_whole(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    write_plan_folder(NEW, earlier)
    assert set(_tree(earlier)) == {*NEW, ".gitkeep", "NOTES.md", "reports/azure-check.md"}
    assert _siblings(earlier) == []


def test_left_overs_of_a_killed_run_are_removed(earlier: Path) -> None:
    (earlier.parent / ".plan.tmp-dead1234").mkdir()
    (earlier.parent / ".plan.tmp-dead1234" / "plan.json").write_bytes(b"x" * 10_000)
    (earlier.parent / ".plan.old-dead1234").mkdir()
    write_plan_folder(NEW, earlier)
    assert _siblings(earlier) == []


def test_a_second_run_waits_for_the_lock_then_stops_naming_it(earlier: Path) -> None:
    before = _tree(earlier)
    with plan_lock(earlier.absolute()):
        started = time.monotonic()
        with pytest.raises(PlanFolderError, match=r"another migrator run .* lock .*\.plan\.lock") as caught:
            write_plan_folder(NEW, earlier, lock_wait=0.3)
        assert time.monotonic() - started >= 0.3
    assert isinstance(caught.value, InputError), "exit 2 on the command line"
    assert _tree(earlier) == before
    write_plan_folder(NEW, earlier, lock_wait=0.3)  # the lock is free again
    assert _siblings(earlier) == []


def test_out_that_is_a_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "plan").write_bytes(b"a file")
    with pytest.raises(PlanFolderError, match=r"plan: the plan folder is a file"):
        write_plan_folder(NEW, tmp_path / "plan")
    assert (tmp_path / "plan").read_bytes() == b"a file"


def test_out_that_holds_the_current_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PlanFolderError, match="holds the current folder"):
        write_plan_folder(NEW, ".")


def test_a_plan_file_in_the_way_as_a_folder_does_not_mix_runs(earlier: Path) -> None:
    """The issue's case: an entry of the plan folder replaced by a directory made the old per-file renames
    stop half-way; the folder swap does not care."""
    (earlier / "waves.csv").unlink()
    (earlier / "waves.csv").mkdir()
    write_plan_folder({**NEW, "waves.csv": b"new csv\n"}, earlier)
    assert (earlier / "waves.csv").read_bytes() == b"new csv\n"
    assert (earlier / "plan.json").read_bytes() == b"{}\n"


def test_plan_files_in_lists_what_a_plan_owns_nested_ones_too(earlier: Path) -> None:
    assert plan_files_in(earlier, NEW) == [
        "PLAN.md",
        "plan.json",
        "waves.csv",
        "waves/wave-001.md",
        "waves/wave-002.md",
        "waves/wave-003.md",
    ]


_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from migrator.cli import app, main
    from migrator.outputs import folder

    real_fill = folder._fill

    def slow_fill(tmp, files, mode):
        real_fill(tmp, files, mode)
        print("written", flush=True)
        time.sleep(60)

    folder._fill = slow_fill

    @app.command("write-test")
    def write_test(out: str) -> None:
        folder.write_plan_folder({"plan.json": b"{}", "waves/wave-001.md": b"w" * 100_000}, out)

    sys.argv = ["migrator", "write-test", sys.argv[1]]
    main()
    """
)


@pytest.mark.parametrize(
    ("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_signal_while_writing_removes_the_temporary_folder_and_keeps_the_earlier_plan(
    earlier: Path, signum: int, code: int, word: str
) -> None:
    before = _tree(earlier)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(earlier)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "written\n"
    assert any(p.name.startswith(".plan.tmp-") for p in earlier.parent.iterdir())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert err.strip().splitlines() == [f"error: {word}; nothing was left half-written"]
    assert _tree(earlier) == before
    assert _siblings(earlier) == []
