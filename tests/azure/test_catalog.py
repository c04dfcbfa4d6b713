"""The bundled catalog: built from the shared snapshot with its price defects fixed or flagged."""

from __future__ import annotations

import pytest

from migrator.azure.catalog import load_catalog
from migrator.errors import InputError


def test_linux_price_defect_fixed_from_the_retail_meter() -> None:
    cat = load_catalog("westeurope")
    row = cat.sizes.set_index("name").loc["Standard_D16as_v5"]
    assert (row["linux"], row["windows"]) == (0.832, 1.568)  # the price file said 1.568 for both
    assert "retail meter" in row["price_note"]
    assert cat.stats["linux_fixed_from_meters"] == 42


def test_unverifiable_equal_prices_are_unknown_not_trusted() -> None:
    cat = load_catalog("eastus")
    assert cat.stats["linux_dropped_unverified"] == 42
    row = cat.sizes.set_index("name").loc["Standard_D16as_v5"]
    assert row["linux"] != row["linux"]  # NaN: unknown
    assert row["windows"] > 0


def test_subscription_restrictions_do_not_empty_eastus() -> None:
    cat = load_catalog("eastus")
    assert cat.stats["subscription_restricted"] == len(
        cat.sizes
    )  # every size carries NotAvailableForSubscription
    assert len(cat.sizes) > 1000


def test_reservations_only_where_known_and_dates_kept() -> None:
    cat = load_catalog("westeurope")
    sizes = cat.sizes.set_index("name")
    assert sizes.loc["Standard_D4s_v5", "linux_1y"] > 0
    assert sizes.loc["Standard_D4as_v5", "linux_1y"] != sizes.loc["Standard_D4as_v5", "linux_1y"]  # unknown
    assert cat.snapshot["prices"] == "2026-08-01" and cat.sources
    assert cat.disks["monthly_price"].isna().all()  # no trustworthy disk price source: unknown


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="no bundled catalog for region 'mars'"):
        load_catalog("mars")
