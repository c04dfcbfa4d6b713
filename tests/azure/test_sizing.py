"""Sizing against hand-worked examples, and the property that every chosen size meets the requirement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from migrator.azure.catalog import Catalog, _from_document, load_catalog, series_of
from migrator.azure.config import SizingSettings
from migrator.azure.sizing import disk_table, resolve_families, size_servers
from tests.conftest import inventory, server


def _catalog() -> Catalog:
    def size(
        name: str, v: int, m: float, disks: int, linux: float, windows: float, **extra: object
    ) -> dict[str, object]:
        return {
            "name": name,
            "family": "x",
            "vcpus": v,
            "memory_gb": m,
            "max_data_disks": disks,
            "premium_io": True,
            "hyperv_generations": "V1,V2",
            "arch": "x64",
            "zones": [],
            "restrictions": [],
            "linux": linux,
            "windows": windows,
            "linux_1y": extra.get("l1"),
            "linux_3y": None,
            "windows_1y": None,
            "windows_3y": None,
            "price_note": "",
        }

    doc = {
        "region": "testregion",
        "currency": "USD",
        "snapshot": {"prices": "2026-08-01", "skus": "2026-08-01"},
        "sources": ["test"],
        "stats": {},
        "sizes": [
            size("Standard_D2s_v5", 2, 8, 4, 0.10, 0.20, l1=0.06),
            size("Standard_D4s_v5", 4, 16, 8, 0.20, 0.40, l1=0.12),
            size("Standard_D8s_v5", 8, 32, 16, 0.40, 0.80),
            size("Standard_E2s_v5", 2, 16, 4, 0.13, 0.23),
            size("Standard_E4s_v5", 4, 32, 8, 0.26, 0.46),
            size("Standard_F2s_v2", 2, 4, 4, 0.09, 0.18),
            size("Standard_M64s", 64, 1024, 64, 5.0, 7.0),  # not an allowed series
        ],
        "disks": [
            {
                "type": "Premium_LRS",
                "tier": t,
                "label": "Premium SSD",
                "max_size_gib": s,
                "iops": i,
                "mbps": mb,
                "monthly_price": None,
            }
            for t, s, i, mb in (
                ("P10", 128, 500, 100),
                ("P15", 256, 1100, 125),
                ("P20", 512, 2300, 150),
                ("P30", 1024, 5000, 200),
            )
        ],
    }
    return _from_document(doc, "test catalog")


SETTINGS = SizingSettings(families=("Dsv5", "Esv5", "Fsv2"))


def _size(*servers: dict[str, object], settings: SizingSettings = SETTINGS) -> pd.DataFrame:
    return size_servers(inventory(list(servers)).servers, settings, _catalog()).per_server


def test_performance_sizing_with_comfort_factor() -> None:
    # 8 cores at 30% x 1.3 = 3.12 -> 4 vCPU; 32 GiB at 40% x 1.3 = 16.64 GiB -> D4s_v5 (16) is too small,
    # E4s_v5 (32) fits.
    row = _size(server("a", cores=8, mem=32, cpu_util_pct=30, memory_util_pct=40, os="Ubuntu 22.04")).iloc[0]
    assert (row["required_vcpus"], row["required_memory_gb"]) == (4, 16.64)
    assert row["azure_size"] == "Standard_E4s_v5" and row["sizing_basis"] == "performance"
    assert row["monthly_cost"] == round(0.26 * 730, 2)


def test_fallback_to_as_on_premises_and_partial() -> None:
    rows = _size(
        server("a", cores=2, mem=8, os="Ubuntu"), server("b", cores=8, mem=8, cpu_util_pct=10, os="Ubuntu")
    )
    assert (
        rows.iloc[0]["sizing_basis"] == "as on premises" and rows.iloc[0]["azure_size"] == "Standard_D2s_v5"
    )
    assert rows.iloc[1]["sizing_basis"].startswith("performance (partial")
    assert rows.iloc[1]["azure_size"] == "Standard_D2s_v5"  # 8 x 10% x 1.3 -> 2 vCPU; 8 GiB as on premises


def test_the_basis_names_the_counter_sized_as_on_premises() -> None:
    rows = _size(
        server("both", cores=4, mem=8, cpu_util_pct=50, memory_util_pct=50, os="Ubuntu"),
        server("cpu", cores=4, mem=8, cpu_util_pct=50, os="Ubuntu"),
        server("memory", cores=4, mem=8, memory_util_pct=50, os="Ubuntu"),
        server("neither", cores=4, mem=8, os="Ubuntu"),
    )
    assert rows["sizing_basis"].tolist() == [
        "performance",
        "performance (partial: memory as on premises)",
        "performance (partial: CPU as on premises)",
        "as on premises",
    ]


def test_cheapest_feasible_differs_by_os_price() -> None:
    rows = _size(
        server("l", cores=2, mem=4, os="Red Hat Enterprise Linux 8"),
        server("w", cores=2, mem=4, os="Windows Server 2022"),
    )
    assert rows["azure_size"].tolist() == ["Standard_F2s_v2", "Standard_F2s_v2"]
    assert rows["monthly_cost"].tolist() == [round(0.09 * 730, 2), round(0.18 * 730, 2)]


def test_data_disk_count_drives_the_size() -> None:
    disks = ";".join(["128"] * 7)  # OS disk + 6 data disks: D2s_v5 takes 4
    row = _size(server("a", cores=2, mem=4, os="Ubuntu", disks_gb=disks)).iloc[0]
    assert row["azure_size"] == "Standard_D4s_v5"


def test_disk_tiers_by_size_and_iops() -> None:
    rows = _size(
        server("a", cores=2, mem=4, os="Ubuntu", disks_gb="100;300;1000"),
        server("b", cores=2, mem=4, os="Ubuntu", disks_gb="100;100", iops=4000),
    )
    assert rows.iloc[0]["disk_tiers"] == "P10;P20;P30"
    assert rows.iloc[1]["disk_tiers"] == "P20;P20"  # 2,000 IOPS per disk needs P20 although 100 GiB fits P10
    assert np.isnan(rows.iloc[0]["monthly_storage_cost"])  # no disk prices known: unknown, not zero


def test_disks_without_a_list_are_an_os_disk_and_the_rest_as_printed() -> None:
    # No disk list: the OS disk (os_disk_gb) and one data disk of the rest, rounded to 0.1 GiB and to six
    # significant digits as %g prints it (1,234,440.6 -> 1.23444e+06).
    big, listed = SETTINGS.os_disk_gb + 1_234_440.6, "100;300;1000"
    servers = inventory(
        [
            server("small", storage=100),
            server("listed", disks_gb=listed, iops=3000),
            server("rest", storage=SETTINGS.os_disk_gb + 500.06),
            server("big", storage=big),
        ]
    ).servers
    disks = disk_table(servers, SETTINGS)
    assert disks["server"].tolist() == [0, 1, 1, 1, 2, 2, 3, 3]
    assert disks["position"].tolist() == [0, 0, 1, 2, 0, 1, 0, 1]
    os_gb = SETTINGS.os_disk_gb
    assert disks["size"].tolist() == [os_gb, 100, 300, 1000, os_gb, 500.1, os_gb, 1_234_440]
    assert disks["iops"].tolist()[1:4] == [1000, 1000, 1000]  # a server's IOPS shared by its disks


def test_disk_tiers_text_per_server_in_disk_order() -> None:
    rows = _size(
        server("a", cores=2, mem=4, os="Ubuntu", disks_gb="1000;100"),
        server("b", cores=2, mem=4, os="Ubuntu", disks_gb="100;1000"),
        server("c", cores=2, mem=4, os="Ubuntu", disks_gb="1000;100"),
        server("d", cores=2, mem=4, os="Ubuntu", disks_gb="100;99999"),
        server("e", cores=2, mem=4, os="Ubuntu", disks_gb="200"),
    )
    assert rows["disk_tiers"].tolist() == ["P30;P10", "P10;P30", "P30;P10", "P10;too large", "P15"]


def test_readiness_reasons() -> None:
    rows = _size(
        server("eos", cores=2, mem=4, os="Microsoft Windows Server 2008 R2 (64-bit)"),
        server("old", cores=2, mem=4, os="Windows Server 2003"),
        server("x86", cores=2, mem=4, os="Microsoft Windows 10 (32-bit)"),
        server("huge", cores=500, mem=4000, os="Ubuntu"),
        server("disk", cores=2, mem=4, os="Ubuntu", disks_gb="128;40000"),
        server("nos", cores=2, mem=4, os=""),
        server("gone", cores=2, mem=4, os="Ubuntu", disposition="retire"),
    ).set_index(
        inventory([server(n) for n in ("eos", "old", "x86", "huge", "disk", "nos", "gone")]).servers["name"]
    )
    # Azure Migrate: Windows Server 2008 R2 is Ready (Azure provides extended security updates), 2003 is
    # conditionally ready with a Custom Support Agreement; each reason starts with Azure Migrate's issue name.
    assert rows.loc["eos", "readiness"] == "Ready" and rows.loc["eos", "readiness_reason"] == ""
    assert rows.loc["old", "readiness"] == "Ready with conditions"
    assert rows.loc["old", "readiness_reason"].startswith("Conditionally supported Windows operating system")
    assert rows.loc["x86", "readiness"] == "Ready with conditions"
    assert rows.loc["x86", "readiness_reason"].startswith("Requires a Microsoft Visual Studio subscription")
    assert rows.loc["huge", "readiness"] == "Not ready"
    assert rows.loc["huge", "readiness_reason"].startswith("VM with required cores and memory not found")
    assert rows.loc["disk", "readiness"] == "Not ready"
    assert rows.loc["disk", "readiness_reason"].startswith("One or more unsuitable disks")
    assert "40000 GiB" in rows.loc["disk", "readiness_reason"]
    assert rows.loc["nos", "readiness"] == "Unknown"
    assert rows.loc["gone", "readiness"] == "Not applicable" and pd.isna(rows.loc["gone", "azure_size"])


def test_reservation_price_unknown_stays_unknown_and_ahb() -> None:
    rows = _size(server("a", cores=2, mem=8, os="Ubuntu"), server("b", cores=8, mem=32, os="Ubuntu"))
    assert rows.iloc[0]["monthly_cost_1y"] == round(0.06 * 730, 2)
    assert np.isnan(rows.iloc[1]["monthly_cost_1y"])  # D8s_v5 has no reservation price in this catalog
    w = _size(
        server("w", cores=2, mem=8, os="Windows Server 2019"),
        settings=SizingSettings(families=("Dsv5",), windows_licences_owned=True),
    ).iloc[0]
    assert w["monthly_cost"] == round(0.20 * 730, 2) and w["monthly_cost_ahb"] == round(0.10 * 730, 2)


def test_every_chosen_size_meets_the_requirement_on_the_real_catalog() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    servers = [
        server(
            f"s{i}",
            cores=int(rng.choice([1, 2, 4, 8, 16, 32])),
            mem=float(rng.choice([2, 4, 8, 16, 64, 256])),
            cpu_util_pct=float(rng.uniform(1, 100)) if rng.random() < 0.7 else "",
            memory_util_pct=float(rng.uniform(1, 100)) if rng.random() < 0.7 else "",
            os=str(rng.choice(["Windows Server 2019", "Ubuntu 22.04"])),
        )
        for i in range(n)
    ]
    inv = inventory(servers)
    cat = load_catalog("westeurope")
    per = size_servers(inv.servers, SizingSettings(), cat).per_server
    chosen = per[per["azure_size"].notna()]
    assert len(chosen) > n * 0.95
    sizes = cat.sizes.set_index("name")
    assert (sizes.loc[chosen["azure_size"], "vcpus"].to_numpy() >= chosen["required_vcpus"].to_numpy()).all()
    assert (
        sizes.loc[chosen["azure_size"], "memory_gb"].to_numpy()
        >= chosen["required_memory_gb"].to_numpy() - 1e-9
    ).all()
    # ... and is the cheapest such size of the allowed series (spot check one server by brute force).
    r = chosen.iloc[0]
    allowed = cat.sizes[cat.sizes["series"].isin(SizingSettings().families)]
    col = "windows" if r["os_type"] == "windows" else "linux"
    feasible = allowed[
        (allowed["vcpus"] >= r["required_vcpus"])
        & (allowed["memory_gb"] >= r["required_memory_gb"])
        & allowed[col].notna()
    ]
    assert sizes.loc[r["azure_size"], col] == feasible[col].min()


@pytest.mark.parametrize(
    ("name", "series"),
    [
        ("Standard_D4s_v5", "Dsv5"),
        ("Standard_E20ads_v5", "Eadsv5"),
        ("Standard_F8s_v2", "Fsv2"),
        ("Standard_E4-2s_v5", ""),
        ("Standard_NC4as_T4_v3", ""),
    ],
)
def test_series_of(name: str, series: str) -> None:
    assert series_of(name) == series


def test_regionally_restricted_sizes_are_skipped_subscription_ones_are_not() -> None:
    cat = _catalog()
    sizes = cat.sizes.copy()
    sizes["regional_restriction"] = sizes["name"].eq("Standard_F2s_v2")
    sizes.loc[sizes["name"].eq("Standard_D2s_v5"), "restrictions"] = pd.Series(
        [["NotAvailableForSubscription"]] * 1, index=sizes.index[sizes["name"].eq("Standard_D2s_v5")]
    )
    restricted = Catalog(**{**cat.__dict__, "sizes": sizes})
    inv = inventory([server("l", cores=2, mem=4, os="Ubuntu")])
    row = size_servers(inv.servers, SETTINGS, restricted).per_server.iloc[0]
    assert row["azure_size"] == "Standard_D2s_v5"  # F2s_v2 is cheaper but restricted in the region
    assert bool(row["restricted_for_collecting_subscription"]) is True


def test_comfort_factor_applies_to_the_allocation_in_as_is_sizing() -> None:
    # Azure Migrate, "Azure VM assessment (Lift and Shift)", 2024-06-24: "The comfort factor is applied
    # irrespective of type of assessment (As-is on premises or performance based) ... in case of As-is on
    # premises assessment it's multiplied by allocated resources." 2 cores x 1.3 = 2.6 -> 3 vCPU -> D4s_v5.
    row = _size(
        server("a", cores=2, mem=4, cpu_util_pct=10, os="Ubuntu"),
        settings=SizingSettings(families=("Dsv5",), basis="as-on-premises"),
    ).iloc[0]
    assert (row["required_vcpus"], row["required_memory_gb"]) == (3, 5.2)
    assert row["azure_size"] == "Standard_D4s_v5"
    same = _size(
        server("a", cores=2, mem=4, os="Ubuntu"),
        settings=SizingSettings(families=("Dsv5",), basis="as-on-premises", comfort_factor=1.0),
    ).iloc[0]
    assert same["azure_size"] == "Standard_D2s_v5"


def test_azure_migrate_series_names_and_all_series() -> None:
    named = SizingSettings(families=("Dsv5_series", "esv5_series", "Fsv2 series"))
    assert named.families == ("Dsv5", "esv5", "Fsv2")
    rows = _size(server("a", cores=2, mem=16, os="Ubuntu"), settings=named)
    assert rows.iloc[0]["azure_size"] == "Standard_E2s_v5"  # esv5 matched Esv5 case-insensitively
    # "all" takes every general-purpose, compute-, memory- and storage-optimised series: M64s here.
    big = _size(server("m", cores=64, mem=1000, os="Ubuntu"), settings=SizingSettings(families=("all",)))
    assert big.iloc[0]["azure_size"] == "Standard_M64s"


def test_all_series_leaves_out_gpu_hpc_and_confidential_sizes() -> None:
    cat = load_catalog("westeurope", "")
    wanted, missing = resolve_families(("all",), cat.sizes["series"])
    assert not missing and {"Dsv3", "Fsv2", "Av2", "Esv5", "Lsv3", "M"} <= set(wanted)
    # No GPU (N), HPC (H) or confidential (DC, EC) series; no burstable B, absent from Azure Migrate's list.
    assert not [s for s in wanted if s.startswith(("N", "H", "DC", "EC", "B"))]
    wanted, missing = resolve_families(("NCsv3", "DCsv3", "nosuch"), cat.sizes["series"])
    assert wanted == ["DCsv3", "NCsv3"] and missing == ["nosuch"]


def test_more_than_65_disks_is_not_ready() -> None:
    row = _size(
        server("d", cores=2, mem=4, os="Ubuntu 22.04", disks_gb=";".join(["10"] * 66)),
        settings=SizingSettings(families=("all",)),
    ).iloc[0]
    assert row["readiness"] == "Not ready" and row["readiness_reason"].startswith("Disk count exceeds limit")


def test_linux_distributions_azure_migrate_names_are_priced_as_linux() -> None:
    rows = _size(server("p", cores=2, mem=4, os="VMware Photon OS (64-bit)"))
    assert rows.iloc[0]["os_type"] == "linux" and rows.iloc[0]["readiness"] == "Ready with conditions"
    assert rows.iloc[0]["readiness_reason"].startswith("Unendorsed Linux OS")
