"""footprint.png: a valid PNG, the same bytes on every run, no date or version in it, pyplot left alone."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.outputs.chart import burndown_png, burndown_png_bytes
from migrator.plan_model import Footprint, FootprintTarget, FootprintUnits, TimelinePoint

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _footprint(months: int = 36, baseline: float = 120.0) -> Footprint:
    timeline = [
        TimelinePoint(
            month=f"{2027 + m // 12}-{m % 12 + 1:02d}",
            remaining=round(baseline * max(0.15, 1 - m / 30), 2),
            reduction=round(min(0.85, m / 30), 4),
        )
        for m in range(months)
    ]
    return Footprint(
        metric="hosts",
        unit="hosts",
        baseline=baseline,
        units=FootprintUnits(hosts=40, physical_servers=0, clusters=4),
        notes=[],
        timeline=timeline,
        target=FootprintTarget(
            reduction=0.6,
            by="2028-12-31",
            met=True,
            reached_on="2028-06",
            remaining_at_target_date=baseline * 0.15,
            max_achievable=0.85,
            minimum_remaining=baseline * 0.15,
        ),
    )


def _missed() -> Footprint:
    fp = _footprint()
    return fp.model_copy(update={"target": fp.target.model_copy(update={"met": False, "reached_on": None})})


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def test_png_written_twice_is_byte_identical_and_opens(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    burndown_png(_footprint(), a)
    burndown_png(_footprint(), b)
    data = a.read_bytes()
    assert data[:8] == PNG_MAGIC and data == b.read_bytes()
    from PIL import Image

    with Image.open(a) as img:
        img.verify()
    with Image.open(a) as img:
        assert img.format == "PNG" and img.size == (1000, 450)
    import matplotlib.image

    pixels = matplotlib.image.imread(a)
    assert pixels.shape[:2] == (450, 1000) and pixels.std() > 0  # something was drawn


def test_png_holds_no_date_or_software_version() -> None:
    kinds = {kind for kind, _ in _chunks(burndown_png_bytes(_footprint()))}
    assert kinds >= {b"IHDR", b"IDAT", b"IEND"}
    assert b"tIME" not in kinds
    texts = b" ".join(
        body
        for kind, body in _chunks(burndown_png_bytes(_footprint()))
        if kind in (b"tEXt", b"iTXt", b"zTXt")
    )
    assert b"Software" not in texts and b"matplotlib version" not in texts


def test_same_bytes_in_a_fresh_process() -> None:
    code = (
        "import sys; from migrator.outputs.chart import burndown_png_bytes; "
        "from tests.outputs.test_chart import _footprint; "
        "sys.stdout.buffer.write(burndown_png_bytes(_footprint()))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, check=True, timeout=120
    ).stdout
    assert out == burndown_png_bytes(_footprint())


@pytest.mark.parametrize(
    "footprint",
    [
        _footprint(months=0),
        _footprint(months=1),
        _footprint(months=240, baseline=1_234_567.0),
        _missed(),
    ],
)
def test_edge_cases_still_give_a_png(footprint: Footprint) -> None:
    data = burndown_png_bytes(footprint)
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1000, 450)


@pytest.mark.parametrize("odd", [float("inf"), float("nan")])
def test_a_baseline_that_is_not_finite_still_gives_a_png(odd: float) -> None:
    """Axis limits are taken from finite values only (an infinite baseline once ended in a traceback)."""
    data = burndown_png_bytes(_footprint(months=12).model_copy(update={"baseline": odd}))
    assert data.startswith(b"\x89PNG")


def test_drawing_does_not_switch_the_pyplot_backend() -> None:
    import matplotlib

    before = matplotlib.rcParams["backend"]
    burndown_png_bytes(_footprint())
    assert matplotlib.rcParams["backend"] == before


def test_a_chart_drawn_by_the_warmed_up_process_is_the_same_png(monkeypatch: pytest.MonkeyPatch) -> None:
    """`migrator plan` starts a child that imports matplotlib while it plans; the chart it draws is the one
    drawn here, byte for byte, and the child serves one chart only."""
    from migrator import background
    from migrator.outputs import chart

    monkeypatch.delenv(background.ENV, raising=False)
    here = burndown_png_bytes(_missed())
    given: list[background.Pending[bytes]] = []
    real = background.Waiting.give

    def give(self: background.Waiting[Footprint, bytes], value: Footprint) -> background.Pending[bytes]:
        given.append(real(self, value))
        return given[-1]

    monkeypatch.setattr(background.Waiting, "give", give)
    chart.warm_up()
    assert burndown_png_bytes(_missed()) == here
    assert len(given) == 1 and chart._ready is None  # used once, then charts are drawn here again
    assert given[0].in_child == background.available()
    assert burndown_png_bytes(_missed()) == here and len(given) == 1


def test_large_inputs_get_no_warm_up(tmp_path: Path) -> None:
    """Beyond 32 MiB of inputs the second core is left to reading them and to the stages beside the plan."""
    from migrator.outputs import chart

    big, small = tmp_path / "dependencies.csv", tmp_path / "servers.csv"
    with big.open("wb") as fh:
        fh.truncate(chart.WARM_UP_MAX_BYTES + 1)  # sparse: no time spent writing it
    small.write_text("name\n")
    chart.warm_up([small, big])
    assert chart._ready is None
    chart.warm_up([small, tmp_path / "missing.csv"])
    try:
        assert chart._ready is not None or not chart.background.available()
    finally:
        chart._ready = None


def test_a_footprint_the_warmed_up_process_cannot_take_is_not_drawn_while_planning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """draw_soon draws nothing here when the process cannot take the footprint: the plan is rendered later."""
    from migrator import background
    from migrator.footprint import Footprint as Projection
    from migrator.outputs import chart

    drawn: list[object] = []
    monkeypatch.setattr("migrator.document.build_footprint", lambda projection: _missed())
    monkeypatch.setattr(chart, "_ready", background.Waiting(lambda footprint: drawn.append(footprint) or b""))
    chart.draw_soon(Projection.__new__(Projection))
    assert drawn == [] and chart._drawing is None
