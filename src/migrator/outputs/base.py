"""The writer interface and atomic file writing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from migrator.document import PlanResult


class Writer(Protocol):
    filename: str

    def render(self, result: PlanResult) -> bytes:
        """The file's bytes (deterministic: the same plan gives the same bytes)."""


def writers() -> list[Writer]:
    from migrator.outputs.csv_waves import WavesCsv
    from migrator.outputs.json_plan import PlanJson
    from migrator.outputs.markdown import PlanMarkdown

    return [PlanJson(), WavesCsv(), PlanMarkdown()]


def render_plan(result: PlanResult) -> dict[str, bytes]:
    """Every plan file by name, rendered in memory."""
    files = {w.filename: w.render(result) for w in writers()}
    from migrator.outputs.wave_pages import wave_pages

    files.update(wave_pages(result))  # waves/wave-007.md: one page per wave
    from migrator.outputs.chart import burndown_png_bytes  # matplotlib: imported only when a plan is rendered

    files["footprint.png"] = burndown_png_bytes(result.document.footprint)
    return dict(sorted(files.items()))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(files: Mapping[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write each file to a temporary name beside it, then rename it into place (mode as the umask says)."""
    out = Path(out_dir)
    mode = 0o666 & ~_umask()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    temps: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            final = out / name
            final.parent.mkdir(parents=True, exist_ok=True)  # nested names: waves/wave-007.md
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
            temps.append((tmp, final))
        for tmp, final in temps:
            os.replace(tmp, final)
            written.append(final)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return written


def write_plan(result: PlanResult, out_dir: str | Path) -> list[Path]:
    return write_files(render_plan(result), out_dir)
