"""The writer interface and atomic file writing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from migrator.outputs.folder import PlanFolderError, _umask, write_plan_folder

if TYPE_CHECKING:
    from migrator.document import PlanResult


class Writer(Protocol):
    filename: str

    def render(self, result: PlanResult) -> bytes:
        """The file's bytes (deterministic: the same plan gives the same bytes)."""

    def render_later(self, result: PlanResult) -> Callable[[], bytes]:
        """``render`` in two steps: now, what needs nothing of the reach stage (``result.draft``,
        ``result.servers``); the rest when the returned function is called (``result.document`` waits for the
        stage). A view that shows nothing of it renders whole at once and returns its bytes."""


def writers() -> list[Writer]:
    from migrator.outputs.csv_waves import WavesCsv
    from migrator.outputs.json_plan import PlanJson
    from migrator.outputs.markdown import PlanMarkdown

    return [PlanJson(), WavesCsv(), PlanMarkdown()]


def render_plan(result: PlanResult) -> dict[str, bytes]:
    """Every plan file by name, rendered in memory. What shows nothing of the reach stage comes first, from
    the plan without it (:meth:`PlanResult.before_reach`, the first step of :meth:`Writer.render_later`): the
    stage may still be running beside it on another core; the rest then waits for it (``result.document``)."""
    early = result.before_reach()
    from migrator.outputs.chart import burndown_png_later  # matplotlib: imported only when a plan is rendered

    png = burndown_png_later(early.document.footprint)  # drawn first: by a warmed-up child, beside the rest
    later = {w.filename: w.render_later(result) for w in writers()}
    from migrator.outputs.wave_pages import wave_pages

    files = wave_pages(early)  # waves/wave-007.md: one page per wave
    files.update({name: finish() for name, finish in later.items()})
    files["footprint.png"] = png()
    return dict(sorted(files.items()))


def write_files(files: Mapping[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write single files (a report, a diff) into ``out_dir``, each to a temporary name beside it, then
    renamed into place (mode as the umask says). A whole plan is written by :func:`write_plan` instead.

    Raises :class:`~migrator.outputs.folder.PlanFolderError` (an ``InputError``) naming the path that cannot
    be written: a folder in the way, a missing or read-only place.
    """
    out = Path(out_dir)
    mode = 0o666 & ~_umask()
    written = []
    temps: list[tuple[str, Path]] = []
    final = out
    made: set[Path] = set()
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            final = out / name
            if os.path.isdir(final):
                raise PlanFolderError("cannot write a file: a folder is in the way", file=final)
            if final.parent not in made:  # nested names: waves/wave-007.md (each folder made once)
                final.parent.mkdir(parents=True, exist_ok=True)
                made.add(final.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            temps.append((tmp, final))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
        for tmp, final in temps:
            os.replace(tmp, final)
            written.append(final)
    except OSError as exc:
        raise PlanFolderError(f"cannot write: {exc.strerror or exc}", file=final) from None
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return written


def write_plan(files: Mapping[str, bytes] | PlanResult, out_dir: str | Path) -> list[Path]:
    """Replace the plan in ``out_dir``: whole or not at all, one run at a time (see ``outputs/folder.py``)."""
    rendered = files if isinstance(files, Mapping) else render_plan(files)
    return write_plan_folder(rendered, out_dir)
