"""The document builders' column helpers: the same answers as the obvious per-row code, without a loop per
wave over the servers (thousands of waves, 100,000s of servers at enterprise scale)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from migrator import document as doc


def test_distinct_values_per_wave_are_sorted_unique_and_skip_blanks() -> None:
    frame = pd.DataFrame(
        {
            "wave": pd.array([2, 1, 2, 2, 1, 3, 3], dtype="Int64"),
            "application": ["erp", "crm", "", "erp", "billing", None, ""],
        }
    )
    assert doc._distinct_by_wave(frame, "application") == {1: ["billing", "crm"], 2: ["erp"]}
    assert doc._distinct_by_wave(frame.iloc[5:], "application") == {}  # only blanks: no wave listed


def test_distinct_values_per_wave_equal_a_loop_over_waves() -> None:
    rng = np.random.default_rng(7)
    names = np.array(["b", "a", "", "c", "ab", "B"], dtype=object)
    frame = pd.DataFrame({"wave": rng.integers(1, 40, 2_000), "app": names[rng.integers(0, 6, 2_000)]})
    by_loop = {
        int(w): sorted({a for a in part["app"] if a})
        for w, part in frame.groupby("wave")
        if part["app"].any()
    }
    assert doc._distinct_by_wave(frame, "app") == by_loop


def test_optional_ints_keep_missing_as_none() -> None:
    assert doc._optional_ints(pd.Series([3.0, np.nan, 1.0])) == [3, None, 1]
    assert doc._optional_ints(pd.Series(pd.array([2, None], dtype="Int64"), dtype=object)) == [2, None]
    assert all(type(v) is int for v in doc._optional_ints(pd.Series([1.0, 2.0])))


def test_plain_columns_give_python_values_and_none_for_missing() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan],
            "i": pd.array([4, None], dtype="Int64"),
            "s": pd.array(["x", None], dtype="str"),
            "b": [True, False],
            "o": pd.Series(["y", None], dtype=object),
        }
    )
    plain = doc._plain_columns(frame)
    assert plain == {"f": [1.5, None], "i": [4, None], "s": ["x", None], "b": [True, False], "o": ["y", None]}
    assert [type(v) for v in (plain["f"][0], plain["i"][0], plain["b"][0])] == [float, int, bool]
