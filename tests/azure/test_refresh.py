"""`catalog refresh` against recorded Retail Prices API pages and a recorded resource SKUs response."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from migrator.azure.refresh import RefreshError, refresh, vm_prices
from tests.azure.replay import SUBSCRIPTION, FakeCredential, ReplayTransport, Route


def _meter(
    sku: str, product: str, price: float, kind: str = "Consumption", term: str = "", unit: str = "1 Hour"
) -> dict[str, Any]:
    m = {
        "armRegionName": "swedencentral",
        "armSkuName": sku,
        "skuName": sku.removeprefix("Standard_").replace("_", " "),
        "meterName": sku.removeprefix("Standard_").replace("_", " "),
        "productName": product,
        "retailPrice": price,
        "unitPrice": price,
        "unitOfMeasure": unit,
        "type": kind,
    }
    if term:
        m["reservationTerm"] = term
    return m


PAGE1 = {
    "Items": [
        _meter("Standard_D2s_v5", "Virtual Machines Dsv5 Series", 0.1),
        _meter("Standard_D2s_v5", "Virtual Machines Dsv5 Series Windows", 0.19),
    ],
    "NextPageLink": "https://prices.azure.com/api/retail/prices?page=2",
}
PAGE2 = {
    "Items": [
        _meter(
            "Standard_D2s_v5",
            "Virtual Machines Dsv5 Series",
            876.0,
            kind="Reservation",
            term="1 Year",
            unit="1 Hour",
        ),
        {
            **_meter("Standard_D2s_v5", "Virtual Machines Dsv5 Series", 0.02),
            "skuName": "D2s v5 Spot",
            "meterName": "D2s v5 Spot",
        },
        _meter("Standard_D4s_v5", "Virtual Machines Dsv5 Series", 0.2),
    ],
    "NextPageLink": None,
}
DISKS = {
    "Items": [
        {
            "meterName": "P10 LRS Disk",
            "unitOfMeasure": "1/Month",
            "retailPrice": 19.71,
            "productName": "Premium SSD Managed Disks",
        }
    ],
    "NextPageLink": None,
}


def _fetch(calls: list[str]):
    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        if "page=2" in url:
            return PAGE2
        if "Storage" in url:
            return DISKS
        if "swedencentral" in url:
            return PAGE1
        return {"Items": [], "NextPageLink": None}

    return fetch


def test_prices_follow_next_page_link_and_skip_spot() -> None:
    calls: list[str] = []
    doc = refresh("swedencentral", fetch=_fetch(calls), today=dt.date(2026, 11, 24))
    assert any("page=2" in c for c in calls)
    sizes = {s["name"]: s for s in doc["sizes"]}
    d2 = sizes["Standard_D2s_v5"]
    assert (d2["linux"], d2["windows"]) == (0.1, 0.19)
    assert d2["linux_1y"] == pytest.approx(876.0 / 8760)
    assert d2["windows_1y"] == pytest.approx(876.0 / 8760 + 0.09)
    assert sizes["Standard_D4s_v5"]["vcpus"] == 4  # capabilities from the bundled snapshots
    p10 = [d for d in doc["disks"] if d["tier"] == "P10" and d["type"] == "Premium_LRS"][0]
    assert p10["monthly_price"] == 19.71
    assert doc["snapshot"]["prices"] == "2026-11-24"


def test_unknown_region_is_one_clear_error() -> None:
    with pytest.raises(RefreshError, match="no Virtual Machines prices for region 'atlantis'"):
        refresh("atlantis", fetch=_fetch([]))


def test_windows_and_linux_told_apart_by_product_name() -> None:
    prices = vm_prices(PAGE1["Items"])
    assert prices["Standard_D2s_v5"] == {"linux": 0.1, "windows": 0.19}


def test_capabilities_from_the_resource_skus_api_through_the_real_client() -> None:
    skus = {
        "value": [
            {
                "resourceType": "virtualMachines",
                "name": "Standard_D2s_v5",
                "tier": "Standard",
                "size": "D2s_v5",
                "family": "standardDSv5Family",
                "locations": ["swedencentral"],
                "locationInfo": [{"location": "swedencentral", "zones": ["1", "2", "3"]}],
                "capabilities": [
                    {"name": "vCPUs", "value": "2"},
                    {"name": "MemoryGB", "value": "8"},
                    {"name": "MaxDataDiskCount", "value": "4"},
                    {"name": "PremiumIO", "value": "True"},
                    {"name": "CpuArchitectureType", "value": "x64"},
                ],
                "restrictions": [
                    {
                        "type": "Location",
                        "values": ["swedencentral"],
                        "reasonCode": "NotAvailableForSubscription",
                    }
                ],
            },
            {"resourceType": "disks", "name": "Premium_LRS", "locations": ["swedencentral"]},
        ],
        "nextLink": f"https://management.azure.com/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/skus?page=2",
    }
    page2 = {
        "value": [
            {
                "resourceType": "virtualMachines",
                "name": "Standard_D4s_v5",
                "family": "standardDSv5Family",
                "locations": ["swedencentral"],
                "locationInfo": [{"location": "swedencentral", "zones": []}],
                "capabilities": [{"name": "vCPUs", "value": "4"}, {"name": "MemoryGB", "value": "16"}],
                "restrictions": [],
            }
        ]
    }
    transport = ReplayTransport(
        [
            Route("GET", r"skus\?page=2", 200, page2),
            Route("GET", r"/providers/Microsoft.Compute/skus", 200, skus),
        ]
    )
    doc = refresh(
        "swedencentral",
        fetch=_fetch([]),
        subscription=SUBSCRIPTION,
        credential=FakeCredential(),
        transport=transport,
        today=dt.date(2026, 11, 24),
    )
    sizes = {s["name"]: s for s in doc["sizes"]}
    assert set(sizes) == {"Standard_D2s_v5", "Standard_D4s_v5"}
    assert sizes["Standard_D2s_v5"]["restrictions"] == ["NotAvailableForSubscription"]
    assert sizes["Standard_D2s_v5"]["regional_restriction"] is False
    assert (
        sizes["Standard_D2s_v5"]["zones"] == ["1", "2", "3"] and sizes["Standard_D4s_v5"]["memory_gb"] == 16.0
    )
    assert len(transport.requests) == 2
