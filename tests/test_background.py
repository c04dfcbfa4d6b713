"""Work beside the pipeline in a child process (migrator.background): the same result as in this process,
whatever happens to the child."""

from __future__ import annotations

import gc
import os
import time
from functools import partial

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


# A child started early that waits for its input

PREPARED: list[int] = []


def _prepare() -> None:
    PREPARED.append(os.getpid())  # in the child's copy of this list only


def _answer(value: int) -> tuple[int, int, list[int]]:
    return os.getpid(), value * 2, list(PREPARED)


@needs_fork
def test_a_waiting_child_gets_ready_then_computes_what_it_is_given() -> None:
    waiting = background.start_waiting(_prepare, _answer)
    pending = waiting.give(21)
    pid, doubled, prepared = pending.result()
    assert (doubled, prepared) == (42, [pid]) and pid != PARENT
    assert pending.in_child
    assert PREPARED == []  # prepared in the child, not here


@needs_fork
def test_a_waiting_child_gets_its_input_while_a_later_child_shares_its_pipe() -> None:
    """A child forked after it holds a copy of the pipe's other end: the input is read by its length, so the
    waiting child need not wait for that copy to close."""
    waiting = background.start_waiting(_prepare, _answer)
    later = background.start(partial(_busy, 5))  # holds a copy of the waiting child's input pipe
    t0 = time.perf_counter()
    pid, doubled, _ = waiting.give(1).result()
    assert doubled == 2 and pid != PARENT
    assert time.perf_counter() - t0 < 4
    later.cancel()


@needs_fork
def test_an_input_larger_than_the_pipe_is_computed_here() -> None:
    waiting = background.start_waiting(_prepare, lambda data: (os.getpid(), len(data)))
    pid = waiting._pid
    assert pid is not None
    pending = waiting.give(b"x" * 4_000_000)
    assert pending.result() == (PARENT, 4_000_000)
    assert not pending.in_child
    assert _gone(pid)


@needs_fork
def test_an_input_larger_than_a_default_pipe_still_reaches_the_waiting_child() -> None:
    """The input pipe is enlarged to 1 MiB (a long footprint timeline pickles to a few hundred KiB)."""
    waiting = background.start_waiting(_prepare, lambda data: (os.getpid(), len(data)))
    pending = waiting.give(b"x" * 500_000)
    pid, size = pending.result()
    assert (pending.in_child, size) == (True, 500_000) and pid != PARENT


def test_an_input_the_child_cannot_take_is_computed_here_only_when_asked_for() -> None:
    computed: list[int] = []
    waiting = background.Waiting(lambda value: computed.append(value) or value)  # no child: nothing takes it
    pending = waiting.give(7)
    assert computed == [] and not pending.in_child  # the caller decides when it is worth computing here
    assert pending.result() == 7 and computed == [7]


@needs_fork
def test_a_waiting_child_never_given_its_input_is_stopped_when_forgotten() -> None:
    waiting = background.start_waiting(_prepare, _answer)
    pid = waiting._pid
    assert pid is not None
    del waiting
    gc.collect()
    assert _gone(pid)


def test_in_one_process_the_waiting_work_is_done_here_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(background.ENV, "1")
    pid, doubled, prepared = background.start_waiting(_prepare, _answer).give(5).result()
    assert (pid, doubled, prepared) == (PARENT, 10, [])
