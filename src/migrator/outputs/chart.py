"""footprint.png: the footprint burn-down against the target line (matplotlib, deterministic bytes)."""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator import background

if TYPE_CHECKING:  # the plan's models are imported by the plan, not by warm_up: start-up stays light
    from migrator.footprint import Footprint as FootprintProjection
    from migrator.plan_model import Footprint

_ready: background.Waiting[Footprint, bytes] | None = None  # a child process ready to draw (warm_up)
_drawing: tuple[Footprint, Callable[[], bytes]] | None = None  # what it was given to draw (draw_soon)


WARM_UP_MAX_BYTES = 32 * 1024 * 1024
"""Inputs up to this size get :func:`warm_up`: beyond it the second core is better left to reading the files
(pyarrow reads with every core) and to the stages that run beside the plan, and matplotlib's import is a
small share of the plan's time."""


def warm_up(inputs: Sequence[str | Path] = ()) -> None:
    """Start a child process that imports matplotlib now, while the plan is made, and draws the next chart
    asked for (:func:`burndown_png_bytes`): importing matplotlib is the costliest part of drawing it, a
    noticeable share of a small plan's time. Only for ``inputs`` (the plan's files) of at most
    :data:`WARM_UP_MAX_BYTES` together; where no second core is available (:mod:`migrator.background`),
    nothing happens and the chart is drawn here."""
    global _ready
    if _size(inputs) <= WARM_UP_MAX_BYTES:
        _ready = background.start_waiting(_get_ready, _draw)


def _size(paths: Sequence[str | Path]) -> int:
    """The files' total size (a file that cannot be read counted as empty: its reader says what is wrong)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.stat(path).st_size
    return total


def burndown_png_bytes(footprint: Footprint) -> bytes:
    """The PNG's bytes: the same footprint gives the same bytes (no date or software version in the
    metadata). Drawn by the process :func:`warm_up` started, when there is one, else here.

    Drawn on a bare Agg canvas, not through pyplot: no global backend switch, no figure registry, safe in
    threads and in a notebook that uses another backend.
    """
    return burndown_png_later(footprint)()


def burndown_png_later(footprint: Footprint) -> Callable[[], bytes]:
    """:func:`burndown_png_bytes` in two steps: the footprint goes now to the process :func:`warm_up` started,
    which draws while this one renders the other files (or it already has: :func:`draw_soon`); the returned
    function waits for the PNG. Without that process the chart is drawn here and now (while the reach stage
    may still run beside), and the function returns it."""
    global _drawing
    drawing, _drawing = _drawing, None
    drawn = _what_is_drawn(footprint)
    if drawing is not None and drawing[0] == drawn:
        return drawing[1]
    return _give(drawn) or partial(bytes, _draw(footprint))


def draw_soon(projection: FootprintProjection) -> None:
    """Give the footprint projection (the pipeline's, as soon as it is made: ``run_plan``'s
    ``footprint_ready``) to the process :func:`warm_up` started, which draws it while the plan is finished;
    :func:`burndown_png_later` then collects the PNG when the plan's footprint is the one drawn. Nothing
    happens without that process."""
    global _drawing
    if _ready is None:
        return
    from migrator.document import build_footprint  # the plan's footprint section, as plan.json has it

    drawn = _what_is_drawn(build_footprint(projection))
    drawing = _give(drawn)
    if drawing is not None:  # else (the process gone, the input too large) drawn when the plan is rendered
        _drawing = (drawn, drawing)


def _give(drawn: Footprint) -> Callable[[], bytes] | None:
    """The process :func:`warm_up` started, given ``drawn`` (it serves one chart): the function that waits
    for its PNG; None when there is no such process or it cannot take the footprint."""
    global _ready
    ready, _ready = _ready, None
    pending = ready.give(drawn) if ready is not None else None
    return pending.result if pending is not None and pending.in_child else None


def _what_is_drawn(footprint: Footprint) -> Footprint:
    """The footprint without what the chart does not show (consolidation moves, what keeps each data center
    open): less to send to the process that draws it."""
    from migrator.plan_model import ConsolidationMoveTable

    sites = [d.model_copy(update={"kept_open_by": []}) for d in footprint.datacenters]
    return footprint.model_copy(
        update={"consolidation_moves": ConsolidationMoveTable.empty(), "datacenters": sites}
    )


def _get_ready() -> None:
    """In the child :func:`warm_up` starts: a lower priority (the chart is drawn long before it is needed,
    while the plan's own processes need both cores), then matplotlib imported."""
    with contextlib.suppress(OSError):
        os.nice(10)
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401


def _draw(footprint: Footprint) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    target, unit = footprint.target, footprint.unit
    baseline = float(footprint.baseline)
    months = [p.month for p in footprint.timeline]
    remaining = [p.remaining for p in footprint.timeline]
    target_level = baseline * (1 - float(target.reduction))
    with matplotlib.rc_context({"svg.hashsalt": "migrator", "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(10, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        xs = list(range(len(months)))
        ax.step(xs, remaining, where="post", color="#1f6feb", linewidth=2, label=f"remaining ({unit})")
        ax.fill_between(xs, remaining, step="post", color="#1f6feb", alpha=0.12)
        _datacenter_lines(ax, footprint, xs)
        ax.axhline(
            target_level,
            color="#d1242f",
            linestyle="--",
            linewidth=1.5,
            label=f"target: -{float(target.reduction):.0%} by {target.by}",
        )
        floor = float(target.minimum_remaining)
        ax.axhline(
            floor,
            color="#6e7781",
            linestyle=":",
            linewidth=1,
            label=f"best achievable: -{float(target.max_achievable):.0%}",
        )
        by_month = str(target.by)[:7]
        if by_month in months:
            ax.axvline(months.index(by_month), color="#d1242f", linewidth=0.8, alpha=0.6)
        step = max(1, len(months) // 12)
        ax.set_xticks(xs[::step])
        ax.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=8)
        finite = [v for v in (baseline, target_level, floor, *remaining) if math.isfinite(v)]
        ax.set_ylim(bottom=0, top=max([*finite, 1e-9]) * 1.08)  # NaN or inf never reach the axis limits
        ax.set_ylabel(unit)
        ax.set_title(f"Data-center footprint ({unit}): {'target met' if target.met else 'target NOT met'}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


MAX_DATACENTER_LINES = 8
DATACENTER_COLOURS = ("#8250df", "#bf8700", "#1a7f37", "#cf222e", "#0969da", "#6e7781", "#e16f24", "#116329")


def _datacenter_lines(ax: Any, footprint: Footprint, xs: list[int]) -> None:
    """One thin step line per data center (its share of the metric), when there are two or more: the
    largest today first, at most :data:`MAX_DATACENTER_LINES`."""
    sites = [d for d in footprint.datacenters if len(d.remaining) == len(xs)]
    if len(sites) < 2:
        return
    sites = sorted(sites, key=lambda d: (-(d.remaining[0] if d.remaining else 0.0), d.name))
    for colour, site in zip(DATACENTER_COLOURS, sites[:MAX_DATACENTER_LINES], strict=False):
        label = site.name or "(no data center named)"
        label += f" (empties {site.empties_on})" if site.empties_on else ""
        ax.step(xs, site.remaining, where="post", color=colour, linewidth=1, linestyle="-.", label=label)


def burndown_png(footprint: Footprint, path: Path) -> None:
    """Write footprint.png (plan.json's ``footprint`` object) to ``path``."""
    Path(path).write_bytes(burndown_png_bytes(footprint))
