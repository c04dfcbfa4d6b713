"""Azure Migrate's confidence rating: what each server was sized on, and stars by the share of data available.

Bands from https://learn.microsoft.com/en-us/azure/migrate/concepts-assessment-calculation (read 2026-11-24):
0-20% 1 star, 21-40% 2, 41-60% 3, 61-80% 4, 81-100% 5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from migrator.azure.confidence import CONFIDENCE_BANDS, rating, server_confidence, star_text, stars
from migrator.document import PlanResult
from migrator.outputs.csv_waves import waves_frame
from migrator.outputs.markdown import render_markdown
from migrator.outputs.wave_pages import render_wave_pages
from migrator.pipeline import plan_inventory
from migrator.planfile import as_records
from tests.conftest import inventory, server, settings


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0.0, 1),
        (0.20, 1),
        (0.21, 2),
        (0.40, 2),
        (0.41, 3),
        (0.60, 3),
        (0.61, 4),
        (0.80, 4),
        (0.81, 5),
        (1.0, 5),
        (0.204, 1),  # 20% in whole percent
        (0.206, 2),  # 21%
        (0.805, 5),  # 81%
    ],
)
def test_stars_follow_azure_migrates_bands(share: float, expected: int) -> None:
    assert int(stars(share)) == expected


def test_the_band_table_covers_0_to_100_percent_without_gaps() -> None:
    lows = [low for low, _, _ in CONFIDENCE_BANDS]
    highs = [high for _, high, _ in CONFIDENCE_BANDS]
    assert lows[0] == 0 and highs[-1] == 100
    assert all(low == high + 1 for low, high in zip(lows[1:], highs[:-1], strict=True))
    assert [s for _, _, s in CONFIDENCE_BANDS] == [1, 2, 3, 4, 5]


def _servers(*rows: dict[str, object]) -> pd.DataFrame:
    return inventory(list(rows)).servers


MOVING = np.array([True, True, True, True])


def _estate() -> pd.DataFrame:
    return _servers(
        server("all", cpu_util_pct=40, memory_util_pct=60, iops=500, throughput_mbps=20),
        server("cpu-only", cpu_util_pct=40, iops=500),
        server("nothing"),
        server("disks-mbps", throughput_mbps=30),
    )


def test_each_server_says_what_it_was_sized_on() -> None:
    per = server_confidence(_estate(), "performance", MOVING)
    assert per["sized_on_cpu_memory"].tolist() == ["utilisation", "partial", "allocation", "allocation"]
    assert per["sized_on_disks"].tolist() == ["performance", "performance", "size", "performance"]
    # four data points each: CPU, memory, disk IOPS, disk throughput
    assert per["sizing_data_available"].tolist() == [1.0, 0.5, 0.0, 0.25]
    assert per["confidence_stars"].tolist() == [5, 3, 1, 2]


def test_as_on_premises_sizing_is_on_allocation_and_has_no_stars() -> None:
    per = server_confidence(_estate(), "as-on-premises", MOVING)
    assert set(per["sized_on_cpu_memory"]) == {"allocation"}
    assert per["confidence_stars"].isna().all()
    assert per["sizing_data_available"].tolist() == [1.0, 0.5, 0.0, 0.25]  # what the inventory holds


def test_a_server_not_migrating_has_no_confidence() -> None:
    per = server_confidence(_estate(), "performance", np.array([True, False, True, True]))
    assert per["sized_on_cpu_memory"].iloc[1] is None and per["sized_on_disks"].iloc[1] is None
    assert np.isnan(per["sizing_data_available"].iloc[1]) and pd.isna(per["confidence_stars"].iloc[1])


def test_a_wave_pools_its_servers_data_points() -> None:
    # 4 + 2 + 0 + 1 of 16 data points = 7/16 = 43.75% -> 44% -> 3 stars; 1 of 4 on measured utilisation
    per = server_confidence(_estate(), "performance", MOVING)
    r = rating(per)
    assert r is not None
    assert (r.servers, r.sized_on_utilisation, r.data_available, r.stars) == (4, 0.25, 0.4375, 3)
    assert r.disks_on_performance == 0.75  # "all", "cpu-only" and "disks-mbps" have IOPS or throughput


def test_a_wave_without_the_servers_missing_data_rates_higher() -> None:
    # "all" and "cpu-only": 6 of 8 points = 75% -> 4 stars; half on measured utilisation
    per = server_confidence(_estate(), "performance", MOVING).iloc[:2]
    r = rating(per)
    assert r is not None and (r.sized_on_utilisation, r.data_available, r.stars) == (0.5, 0.75, 4)


def test_servers_not_sized_do_not_count_and_none_sized_gives_no_rating() -> None:
    per = server_confidence(_estate(), "performance", np.array([True, False, False, False]))
    r = rating(per)
    assert r is not None and (r.servers, r.stars) == (1, 5)
    assert rating(per.iloc[1:]) is None
    assert rating(pd.DataFrame({"wave": [1]})) is None  # sizing did not run


def test_as_on_premises_rating_has_shares_but_no_stars() -> None:
    r = rating(server_confidence(_estate(), "as-on-premises", MOVING))
    assert r is not None and (r.sized_on_utilisation, r.stars) == (0.0, None)


def test_star_text() -> None:
    assert star_text(3) == "★★★☆☆"
    assert star_text(None) == "n/a"


# In a plan: per server, per wave, for the plan; in plan.json, waves.csv and PLAN.md


def _plan() -> PlanResult:
    # wave 1: 4 + 0 of 8 data points (50%, 3 stars); wave 2: 4 + 2 of 8 (75%, 4 stars);
    # the plan: 10 of 16 (62.5%, whole percent 63%: 4 stars); 2 of 4 servers on measured utilisation
    full: dict[str, Any] = {"cpu_util_pct": 40, "memory_util_pct": 60, "iops": 500, "throughput_mbps": 20}
    return plan_inventory(
        inventory(
            [
                server("w1-full", "a", pinned_wave=1, **full),
                server("w1-none", "b", pinned_wave=1),
                server("w2-full", "c", pinned_wave=2, **full),
                server("w2-cpu", "d", pinned_wave=2, cpu_util_pct=30, iops=100),
            ]
        ),
        settings(),
    )


def test_plan_json_rates_each_wave_and_the_plan() -> None:
    doc = as_records(_plan().document.to_dict())  # plan.json 2.1: waves are columns
    by_wave = {w["number"]: w["confidence_rating"] for w in doc["waves"]}
    assert by_wave == {
        1: {
            "servers": 2,
            "sized_on_utilisation": 0.5,
            "disks_on_performance": 0.5,
            "data_available": 0.5,
            "stars": 3,
        },
        2: {
            "servers": 2,
            "sized_on_utilisation": 0.5,
            "disks_on_performance": 1.0,
            "data_available": 0.75,
            "stars": 4,
        },
    }
    assert doc["summary"]["confidence_rating"] == {
        "servers": 4,
        "sized_on_utilisation": 0.5,
        "disks_on_performance": 0.75,
        "data_available": 0.625,
        "stars": 4,
    }
    srv = {s["name"]: s for s in as_records(doc)["servers"]}  # plan.json 2.x: servers are columns
    assert (srv["w2-cpu"]["sized_on_cpu_memory"], srv["w2-cpu"]["sized_on_disks"]) == (
        "partial",
        "performance",
    )
    assert (srv["w1-none"]["sized_on_cpu_memory"], srv["w1-none"]["sized_on_disks"]) == ("allocation", "size")
    assert (srv["w1-none"]["sizing_data_available"], srv["w1-none"]["confidence_stars"]) == (0.0, 1)


def test_waves_csv_has_the_per_server_columns() -> None:
    frame = waves_frame(_plan())
    row = frame.set_index("server").loc["w2-cpu"]
    assert (row["sized_on_cpu_memory"], row["sized_on_disks"], row["sizing_data_available"]) == (
        "partial",
        "performance",
        0.5,
    )
    assert str(row["confidence_stars"]) == "3"


def test_plan_md_shows_the_rating_apart_from_migrators_own_confidence() -> None:
    result = _plan()
    md = render_markdown(result.document)
    header = next(line for line in md.splitlines() if line.startswith("| Wave | Kind"))
    assert "| Confidence (planning) | Rating (sizing data) |" in header
    wave_rows = [line for line in md.splitlines() if line.startswith(("| [1](", "| [2]("))]
    assert "| ★★★☆☆ 50% |" in wave_rows[0] and "| ★★★★☆ 75% |" in wave_rows[1]
    # 62.5% is shown as the 63% the stars were read from
    assert "| Confidence rating (sizing data, Azure Migrate's) | ★★★★☆ (4 of 5), 63% of the data points" in md
    assert (
        "CPU and memory sized on measured utilisation for 2 of 4 servers, disks on measured IOPS or "
        "throughput for 3 (the others on their allocation and disk size)" in md
    )
    page = render_wave_pages(result.document, result.servers)["waves/wave-001.md"]  # the wave's own page
    assert "| Confidence rating (sizing data) | ★★★☆☆ (3 of 5), 50% of the data points" in page


def test_as_on_premises_sizing_shows_no_stars() -> None:
    result = plan_inventory(
        inventory([server("a", "a", cpu_util_pct=40, memory_util_pct=60)]),
        settings(sizing={"basis": "as-on-premises"}),
    )
    assert result.document.summary.confidence_rating is not None
    assert result.document.summary.confidence_rating.stars is None
    assert "n/a (as-on-premises sizing)" in render_markdown(result.document)
