"""Property tests: any migrator.toml value, MIGRATOR_* variable or pins file ends in settings (a plan) or in
one InputError line naming where, never another exception. Derandomised (tests/conftest.py profiles)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.pins import read_pins
from migrator.settings import Settings, env_overrides, load_settings, read_toml

# In-process and fast: more examples than the profile's default, as many as the long profile asks for.
EXAMPLES = hypothesis_settings(max_examples=max(80, hypothesis_settings.default.max_examples))

SECTIONS = {name: list(field.annotation.model_fields) for name, field in Settings.model_fields.items()}  # type: ignore[union-attr]
KEYS = [(section, key) for section, keys in SECTIONS.items() for key in keys] + [("calendar", "bogus")]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _one_line(exc: InputError) -> None:
    assert str(exc) and "\n" not in str(exc), str(exc)


@EXAMPLES
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
def test_any_settings_values_give_settings_or_one_line(chosen: dict[tuple[str, str], Any]) -> None:
    overrides: dict[str, Any] = {}
    for (section, key), value in chosen.items():
        overrides.setdefault(section, {})[key] = value
    try:
        result = load_settings(None, overrides)
    except InputError as exc:
        _one_line(exc)
    else:
        assert isinstance(result, Settings)
        assert dt.date(1970, 1, 1) <= result.calendar.start <= dt.date(2199, 12, 31)


env_names = st.builds(
    lambda section, key: f"MIGRATOR_{section}__{key}".upper(),
    st.sampled_from([*SECTIONS, "nosuch", ""]),
    st.sampled_from([k for keys in SECTIONS.values() for k in keys] + ["", "x__y"]),
)


@EXAMPLES
@given(st.dictionaries(env_names, st.text(max_size=40), max_size=5))
def test_any_environment_gives_settings_or_one_line(environ: dict[str, str]) -> None:
    try:
        env_overrides(environ)
        load_settings(None, environ=environ)
    except InputError as exc:
        _one_line(exc)


@EXAMPLES
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_toml_text_gives_a_table_or_one_line(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "migrator.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            load_settings(path)
        except InputError as exc:
            _one_line(exc)
            assert "migrator.toml" in str(exc)
        try:
            assert isinstance(read_toml(path), dict)
        except InputError as exc:
            _one_line(exc)


wave_cells = st.one_of(
    st.integers(min_value=-5, max_value=20_000).map(str),
    st.sampled_from(["1e9", "1e20", "inf", "-inf", "nan", "2.5", "", " 3 ", "0x10", "1_000", "٣"]),
    st.text(max_size=8),
)
name_cells = st.one_of(st.sampled_from(["web01", "WEB01", "web01 ", "'=cmd", ""]), st.text(max_size=10))


@EXAMPLES
@given(st.lists(st.tuples(name_cells, wave_cells), max_size=8))
def test_any_pins_file_gives_pins_or_one_line(rows: list[tuple[str, str]]) -> None:
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pins.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["server", "wave"])
            writer.writerows(rows)
        try:
            pins = read_pins(path)
        except InputError as exc:
            _one_line(exc)
            assert "pins.csv" in str(exc)
        else:
            assert pins["wave"].between(1, 10_000).all()


@pytest.mark.parametrize("wave", ["1e9", "1e20", "inf", "10001", "0", "2.5"])
def test_the_issues_pins_are_refused(tmp_path: Path, wave: str) -> None:
    path = tmp_path / "pins.csv"
    path.write_text(f"server,wave\nweb01,{wave}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pins.csv, row 2, column 'wave': not a wave number"):
        read_pins(path)
