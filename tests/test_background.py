"""Work beside the pipeline in a child process (migrator.background): the same result as in this process,
whatever happens to the child."""

from __future__ import annotations

import gc
import os
import time

import pytest

from migrator import background

PARENT = os.getpid()

needs_fork = pytest.mark.skipif(not background.available(), reason="one CPU, or not Linux: no child process")


@pytest.fixture(autouse=True)
def _default_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(background.ENV, raising=False)


def _gone(pid: int) -> bool:
    """The process is reaped (no zombie left behind)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@needs_fork
def test_a_child_computes_the_result_and_sends_it_back() -> None:
    pending = background.start(lambda: {"pid": os.getpid(), "squares": [i * i for i in range(5)]})
    value = pending.result()
    assert value["squares"] == [0, 1, 4, 9, 16]
    assert value["pid"] != PARENT  # computed in the child
    assert pending.in_child
    assert pending.result() is value  # asked twice: the same value


def test_one_process_when_asked_computes_at_once_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(background.ENV, "1")
    calls: list[int] = []
    pending = background.start(lambda: calls.append(os.getpid()) or len(calls))
    assert calls == [PARENT]  # at once, before the result is asked for
    assert pending.result() == 1
    assert not pending.in_child


@needs_fork
def test_an_error_in_the_child_is_raised_here_with_its_own_type() -> None:
    def compute() -> int:
        raise ValueError("bad row 7")

    pending = background.start(compute)
    with pytest.raises(ValueError, match="bad row 7"):
        pending.result()


@needs_fork
def test_a_child_that_fails_is_replaced_by_computing_here() -> None:
    """Whatever goes wrong in the child (here: it dies), the parent computes the result itself."""

    def compute() -> str:
        if os.getpid() != PARENT:
            os._exit(3)
        return "computed here"

    pending = background.start(compute)
    assert pending.result() == "computed here"
    assert not pending.in_child


@needs_fork
def test_a_child_over_its_time_limit_is_killed_and_the_result_computed_here() -> None:
    def compute() -> str:
        if os.getpid() != PARENT:
            time.sleep(30)  # stuck
        return "computed here"

    t0 = time.perf_counter()
    pending = background.start(compute, limit_seconds=1)
    assert pending.result() == "computed here"
    assert time.perf_counter() - t0 < 15
    assert not pending.in_child


@needs_fork
def test_a_child_stuck_without_using_cpu_is_killed_and_the_result_computed_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lock held by another thread at the fork never comes free in the child: it waits using no CPU."""
    monkeypatch.setattr(background, "STALL_SECONDS", 1.5)

    def compute() -> str:
        if os.getpid() != PARENT:
            time.sleep(60)  # waits, using no CPU, as on a lock that never comes free
        return "computed here"

    t0 = time.perf_counter()
    pending = background.start(compute)  # the time limit (600 s) is not what ends it
    assert pending.result() == "computed here"
    assert time.perf_counter() - t0 < 20
    assert not pending.in_child


@needs_fork
def test_a_child_busy_computing_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "STALL_SECONDS", 1.0)

    pending = background.start(lambda: _busy(3))
    assert pending.result() != PARENT
    assert pending.in_child


def _busy(seconds: float) -> int:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # uses CPU all along
        pass
    return os.getpid()


@needs_fork
def test_a_child_waiting_for_its_own_busy_child_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reach stage's child waits for a probe run in its own child: their CPU counts together."""
    monkeypatch.setattr(background, "STALL_SECONDS", 1.0)

    def compute() -> tuple[int, int]:
        return os.getpid(), background.start(lambda: _busy(3)).result()

    pending = background.start(compute)
    child, grandchild = pending.result()
    assert pending.in_child
    assert len({PARENT, child, grandchild}) == 3


@needs_fork
def test_a_result_that_cannot_be_sent_is_computed_here() -> None:
    """A value that does not pickle (a lambda) cannot come back from the child."""
    pending = background.start(lambda: (os.getpid(), lambda: None))
    pid, _ = pending.result()
    assert pid == PARENT


def _stuck() -> int:
    time.sleep(30)
    return 1


@needs_fork
def test_cancelled_work_leaves_no_process_behind() -> None:
    pending = background.start(_stuck)
    pid = pending._pid
    assert pid is not None
    pending.cancel()
    assert _gone(pid)


@needs_fork
def test_work_never_asked_for_is_stopped_when_forgotten() -> None:
    pending = background.start(_stuck)
    pid = pending._pid
    assert pid is not None
    del pending
    gc.collect()
    assert _gone(pid)
