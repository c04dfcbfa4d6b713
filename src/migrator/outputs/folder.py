"""Writing a plan folder whole or not at all, one run at a time.

The files are written into a fresh sibling folder (``.NAME.tmp-XXXX`` beside ``--out``) and swapped in at the
end: atomically where the system can exchange two paths (Linux ``renameat2``), else by renaming the old folder
aside, the new one in and removing the old. Whatever fails or whichever signal arrives (Ctrl-C, SIGTERM)
before the swap, the previous plan is left as it was and the temporary folder is removed; the swap itself runs
with SIGINT and SIGTERM held back. A run killed outright (SIGKILL) leaves only hidden ``.NAME.tmp-*`` or
``.NAME.old-*`` folders, which the next run removes.

What belongs to a plan: the files it writes, the names any plan writes (``PLAN_FILES``) and everything under
a folder a plan writes into (``PLAN_FOLDERS``, such as ``waves/``). Anything else in ``--out`` (notes, a
``.gitkeep``, ``azure-check.md``) is the user's: it is carried into the new folder, never deleted. A plan file
the new plan no longer writes (``waves/wave-019.md`` after a re-plan with 18 waves) is removed.

An exclusive lock (``fcntl.flock`` on ``.NAME.lock`` beside ``--out``) keeps two runs from writing the same
folder: a second run waits up to ``lock_wait`` seconds, then stops with an error naming the lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from migrator.errors import InputError, display_path

PLAN_FILES = frozenset({"PLAN.md", "plan.json", "waves.csv", "footprint.png"})
PLAN_FOLDERS = frozenset({"waves"})
LOCK_WAIT_SECONDS = 10.0


class PlanFolderError(InputError):
    """The plan folder cannot be written (a file in the way, no permission, locked by another run)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def owned_tops(files: Mapping[str, bytes]) -> tuple[frozenset[str], frozenset[str]]:
    """Top-level file names and folder names that belong to a plan writing ``files``."""
    nested = {name.split("/", 1)[0] for name in files if "/" in name}
    flat = {name for name in files if "/" not in name}
    return PLAN_FILES | flat, PLAN_FOLDERS | nested


def plan_files_in(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """The plan files in ``folder`` (relative POSIX paths): what a plan writing ``files`` owns there."""
    tops, folders = owned_tops(files)
    found: list[str] = []
    if not folder.is_dir():
        return found
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name in folders and entry.is_dir(follow_symlinks=False):
            found.extend(
                p.relative_to(folder).as_posix()
                for p in sorted(Path(entry.path).rglob("*"))
                if not p.is_dir()
            )
        elif entry.name in tops or entry.name in folders:
            found.append(entry.name)
    return sorted(found)


def _check_target(out: Path) -> Path:
    """The folder to replace (a symlinked ``--out`` is followed, so the link stays)."""
    target = out.resolve() if out.is_symlink() else out.absolute()
    if target.exists() and not target.is_dir():
        raise PlanFolderError(
            "the plan folder is a file", file=out, expected="a folder, or a path not used yet"
        )
    cwd = Path.cwd().resolve()
    if target.resolve() == cwd or target.resolve() in cwd.parents:
        raise PlanFolderError(
            "the plan folder holds the current folder, so it cannot be replaced",
            file=out,
            expected="a folder of its own, such as plan/",
        )
    return target


@contextlib.contextmanager
def plan_lock(target: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[Path]:
    """Hold the exclusive lock of the plan folder ``target`` (waiting up to ``wait`` seconds)."""
    lock = target.parent / f".{target.name}.lock"
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise PlanFolderError(
                    f"another migrator run is writing this plan folder (waited {wait:g} s for the lock "
                    f"{display_path(lock, in_output=False)})",
                    file=target,
                    expected="one run at a time per plan folder",
                ) from None
            time.sleep(0.05)
            continue
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = -1
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)  # the run we waited for removed the lock file: lock the new one
    try:
        yield lock
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)


def _remove_leftovers(target: Path) -> None:
    """Temporary folders of a run that was killed outright (only called while holding the lock)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for left in target.parent.glob(pattern):
            shutil.rmtree(left, ignore_errors=True)


def _fill(tmp: Path, files: Mapping[str, bytes], mode: int) -> None:
    """Write ``files`` into the fresh folder ``tmp``: string paths, each folder made once (thousands of wave
    pages). Nothing in ``tmp`` is a link, so a name stays inside it when its normalised path does."""
    root = os.path.realpath(tmp)
    made = {root}
    for name, data in files.items():
        path = os.path.normpath(os.path.join(root, name))
        if os.path.isabs(name) or not path.startswith(root + os.sep):
            raise ValueError(f"plan file name outside the plan folder: {name!r}")
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        # created with ``mode`` (already masked, so the umask leaves it as it is): no chmod per file
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), "wb") as fh:
            fh.write(data)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _carry_over(old: Path, tmp: Path, files: Mapping[str, bytes]) -> None:
    """Copy what is not a plan file from the old folder into the new one (hard links where possible)."""
    tops, folders = owned_tops(files)
    for entry in os.scandir(old):
        if entry.name in tops or entry.name in folders:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, tmp / entry.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry.path, str(tmp / entry.name))


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(tmp: Path, target: Path) -> Path:
    """Put ``tmp`` at ``target``; returns the path now holding the old folder (to remove), or ``tmp``."""
    if not target.exists():
        os.rename(tmp, target)
        return tmp
    if _exchange(tmp, target):
        return tmp
    aside = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
    os.rename(target, aside)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (delivered then), so a swap is never cut in half."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_plan_folder(
    files: Mapping[str, bytes], out: str | Path, lock_wait: float = LOCK_WAIT_SECONDS
) -> list[Path]:
    """Replace the plan in ``out`` by ``files`` (relative POSIX names, nested too): whole or not at all."""
    out = Path(out)
    target = _check_target(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with plan_lock(target, lock_wait):
            _remove_leftovers(target)
            _replace(files, target)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else out
        raise PlanFolderError(f"cannot write the plan: {exc.strerror or exc}", file=where) from None
    return [out / name for name in files]


def _replace(files: Mapping[str, bytes], target: Path) -> None:
    mask = _umask()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        _fill(tmp, files, 0o666 & ~mask)
        if target.is_dir():
            _carry_over(target, tmp, files)
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o777 & ~mask)
        with _signals_held():
            tmp = _swap_in(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
