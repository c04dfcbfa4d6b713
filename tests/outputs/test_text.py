"""The plan's words and numbers: one vocabulary, correct plurals, numbers with units and currency."""

from __future__ import annotations

import pytest

from migrator.outputs.text import compact, kind_label, money, number, plural


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [
        (1, "server", "1 server"),
        (2, "server", "2 servers"),
        (0, "wave", "0 waves"),
        (1_234, "dependency", "1,234 dependencies"),
        (1, "server dependency", "1 server dependency"),
        (3, "server dependency", "3 server dependencies"),
        (2, "shared service", "2 shared services"),
        (2, "vCPU", "2 vCPU"),
    ],
)
def test_plural_says_one_server_and_two_servers(n: int, word: str, text: str) -> None:
    assert plural(n, word) == text


def test_wave_kinds_have_one_name_each() -> None:
    assert [kind_label(k) for k in ("foundation", "nonprod", "prod", "pilot")] == [
        "foundation",
        "dev/test",
        "production",
        "pilot",
    ]


def test_numbers_carry_separators_units_and_currency() -> None:
    assert number(97_164.4, unit="GiB") == "97,164 GiB"
    assert number(-0.2) == "0" and number(None) == "unknown"
    assert money(102_264.967, "EUR") == "102,264.97 EUR" and money(None) == "unknown"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.5, "0.5"),
        (950, "950"),
        (1_000, "1k"),
        (1_234, "1.2k"),
        (12_345, "12k"),
        (999_999, "1M"),
        (4.56e6, "4.6M"),
    ],
)
def test_compact_numbers_for_diagram_labels(x: float, text: str) -> None:
    assert compact(x) == text
