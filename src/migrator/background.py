"""Work done beside the pipeline on a second core: a forked child process computes one result while the
parent goes on, and the parent collects it when it needs it.

Only pure computations run this way (the reach stage's re-plans while the parent builds and renders the rest
of the plan): the child is a copy of the parent (``fork``: its memory shared copy-on-write, nothing pickled
on the way in), computes, sends the result back pickled through a pipe and leaves at once (``os._exit``: no
clean-up of the parent's runs twice). The same code on the same data gives the same result as computing it in
the parent, so a plan is byte-identical either way (``tests/test_background.py`` renders both and compares).

Whenever the child fails (an exception, killed, out of memory, a result that does not arrive whole, stuck
with no CPU used for ``STALL_SECONDS`` while the parent waits, over its time limit), the parent computes the
result itself: an error then surfaces exactly as it would have without
a child (its own type, message and traceback) and nothing is lost but time.

One process only (the result computed at once, in the parent) when: the platform is not Linux (fork is the
only start method that shares the parent's memory, and macOS' system libraries are not fork-safe), this
process may run on one CPU only, or ``MIGRATOR_PROCESSES=1``. On Linux the libraries the child uses are
fork-safe: the child is forked from the main thread while the others (pyarrow's and OpenBLAS' thread pools)
are idle, and both reset their pools in a forked child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import time
import warnings
import weakref
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Generic, NoReturn, TypeVar

T = TypeVar("T")
A = TypeVar("A")

ENV = "MIGRATOR_PROCESSES"  # "1": every stage in this process
LIMIT_SECONDS = 600  # a child still computing after this is killed (its result then computed in the parent)
PIPE_BYTES = 1 << 20  # what a waiting child's input pipe holds (Linux's limit for any user by default)
STALL_SECONDS = 10.0  # a child using no CPU (nor its children) this long while waited for is stuck: likewise


def available() -> bool:
    """True when a child process may compute beside this one (see the module docstring)."""
    if not sys.platform.startswith("linux") or os.environ.get(ENV, "").strip() == "1":
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):  # pragma: no cover - Linux always has it
        return (os.cpu_count() or 1) > 1


class Pending(Generic[T]):
    """A result being computed in a child process (or already computed): :meth:`result` waits for it."""

    def __init__(self, compute: Callable[[], T], pid: int | None = None, fd: int | None = None) -> None:
        self._compute = compute
        self._pid, self._fd = pid, fd
        self._done = False
        self._value: T | None = None
        self.in_child = pid is not None  # False: computed in this process
        self._reaper = weakref.finalize(self, _reap, pid, fd, os.getpid()) if pid is not None else None

    @classmethod
    def now(cls, compute: Callable[[], T]) -> Pending[T]:
        """Computed here and now."""
        pending = cls(compute)
        pending._value, pending._done = compute(), True
        return pending

    def result(self) -> T:
        """The result: the child's when it delivers one, else computed here."""
        if not self._done:
            delivered = self._collect()
            self.in_child = delivered is not None
            self._value = delivered[0] if delivered is not None else self._compute()
            self._done = True
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Not needed after all: the child (if any) is stopped and reaped (asked for later, the result is then
        computed here)."""
        if self._reaper is not None and self._reaper.alive:
            self._reaper()
        self._fd = self._pid = None

    def _collect(self) -> tuple[T] | None:
        """The child's result (in a 1-tuple), None when it delivered none (the child is reaped either way)."""
        if self._reaper is None or self._fd is None or self._pid is None:
            return None
        self._reaper.detach()
        try:
            chunks = _read_all(self._fd, self._pid)
        finally:
            os.close(self._fd)
            _, status = os.waitpid(self._pid, 0)
        if not chunks or os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            delivered = pickle.loads(b"".join(chunks))
        except Exception:  # a truncated payload: computed here instead
            return None
        return delivered if isinstance(delivered, tuple) and len(delivered) == 1 else None


def start(compute: Callable[[], T], limit_seconds: float = LIMIT_SECONDS) -> Pending[T]:
    """``compute()`` in a child process when :func:`available`, else here and now."""
    if not available():
        return Pending.now(compute)
    read, write = os.pipe()
    pid = _fork()
    if pid == 0:  # the child: compute, send, leave
        _child(lambda: _reply(compute, write, limit_seconds), read)
    os.close(write)
    return Pending(compute, pid, read)


def _fork() -> int:
    with warnings.catch_warnings():  # Python 3.12+ warns on fork in a process with threads: see the docstring
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _child(work: Callable[[], object], *unused: int) -> NoReturn:
    """The child's whole life: the parent's ends of the pipes closed, ``work`` done, then out at once (exit
    status 1 when it failed) without running any clean-up of the parent's."""
    code = 1
    try:
        for fd in unused:
            os.close(fd)
        warnings.simplefilter("ignore")  # the parent says what is to be said
        work()
        code = 0
    finally:
        os._exit(code)


def _reply(compute: Callable[[], object], fd: int, limit_seconds: float) -> None:
    """``compute()``, pickled into ``fd``: killed by the kernel past ``limit_seconds``, even when stuck in a
    lock."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, int(limit_seconds)))
    payload = pickle.dumps((compute(),), protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(fd, "wb") as out:
        out.write(payload)


class Waiting(Generic[A, T]):
    """A child process started early that gets ready (imports what it will need) while this one goes on, then
    waits for its input: :meth:`give` sends it and returns the :class:`Pending` result. When the child cannot
    take the input (gone, or the input larger than the pipe holds), the result is computed here."""

    def __init__(
        self, compute: Callable[[A], T], pid: int | None = None, fds: tuple[int, int] | None = None
    ) -> None:
        self._compute, self._pid, self._fds = compute, pid, fds
        owner = os.getpid()
        self._reaper = weakref.finalize(self, _reap_waiting, pid, fds, owner) if pid is not None else None

    def give(self, value: A) -> Pending[T]:
        """The result of ``compute(value)``: from the child when it takes the input, else computed here when
        asked for (``in_child`` tells which)."""
        compute = partial(self._compute, value)
        if self._reaper is None or not self._reaper.alive or self._fds is None or self._pid is None:
            return Pending(compute)
        self._reaper.detach()
        send, receive = self._fds
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        data = struct.pack("<Q", len(payload)) + payload  # its length first: other children share the pipe
        try:  # never wait for the child: an input larger than the pipe holds is refused
            os.set_blocking(send, False)
            sent = os.write(send, data)
        except OSError:
            sent = -1
        finally:
            os.close(send)
        if sent != len(data):
            _reap(self._pid, receive, os.getpid())
            return Pending(compute)
        return Pending(compute, self._pid, receive)


def start_waiting(
    prepare: Callable[[], object], compute: Callable[[A], T], limit_seconds: float = LIMIT_SECONDS
) -> Waiting[A, T]:
    """A child that runs ``prepare()`` at once, then ``compute(value)`` on the value given to
    :meth:`Waiting.give` (when :func:`available`; else everything happens here when the value is given). The
    child is a copy of this process as it is now: ``compute`` may use anything it holds, only ``value`` is
    sent. ``limit_seconds``: as for :func:`start`, counted from the value's arrival."""
    if not available():
        return Waiting(compute)
    import fcntl  # Linux here (available)

    take, send = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # room for a larger input than the default 64 KiB
        fcntl.fcntl(send, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    receive, reply = os.pipe()
    pid = _fork()
    if pid == 0:

        def work() -> None:
            prepare()
            with os.fdopen(take, "rb") as given:  # the length, then the value (the pipe never reaches EOF
                head = given.read(8)  # while a process forked later holds a copy of its other end)
                data = given.read(struct.unpack("<Q", head)[0]) if len(head) == 8 else b""
            if data:  # nothing: the parent went without it
                _reply(partial(compute, pickle.loads(data)), reply, limit_seconds)

        _child(work, send, receive)
    os.close(take)
    os.close(reply)
    return Waiting(compute, pid, (send, receive))


def _reap_waiting(pid: int | None, fds: tuple[int, int] | None, owner: int) -> None:
    """A waiting child never given its input: stopped and reaped, its pipes closed."""
    if fds is not None and os.getpid() == owner:
        with contextlib.suppress(OSError):
            os.close(fds[0])
        _reap(pid, fds[1], owner)


def _read_all(fd: int, pid: int) -> list[bytes] | None:
    """Everything the child writes until it closes the pipe; None when it is stuck: neither it nor its own
    children used any CPU for ``STALL_SECONDS`` while this process waited (a lock another thread of the parent
    held at the fork never comes free in the child). It is then killed."""
    chunks: list[bytes] = []
    last, since = _cpu_ticks(pid), time.monotonic()
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return chunks
            chunks.append(chunk)
            since = time.monotonic()
            continue
        ticks = _cpu_ticks(pid)
        if ticks is None or ticks != last:
            last, since = ticks, time.monotonic()
        elif time.monotonic() - since > STALL_SECONDS:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            return None


def _cpu_ticks(pid: int) -> int | None:
    """CPU time the process and its descendants used (clock ticks, reaped children included); None when
    /proc cannot tell."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, IndexError, ValueError):
            if p == pid:
                return None
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total


def _reap(pid: int | None, fd: int | None, owner: int) -> None:
    """A child whose result was never asked for: stopped and reaped (no zombie, no open pipe). Only by the
    process that started it: a copy of the ``Pending`` in a forked process is not its owner."""
    if os.getpid() != owner:
        return
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
    if pid is not None:
        with contextlib.suppress(OSError):  # ChildProcessError included: already reaped
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
