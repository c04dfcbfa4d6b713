"""Settings of the ``[sizing]`` section."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SizingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Size and price every migrating server.")
    region: str = Field(
        "westeurope",
        description=(
            "Target Azure region (bundled: westeurope, northeurope, "
            "eastus; others after 'migrator catalog refresh')."
        ),
    )
    catalog: str = Field(
        "",
        description=(
            "A catalog file written by 'migrator catalog refresh' "
            "(default: the bundled snapshot of the region)."
        ),
    )
    basis: Literal["performance", "as-on-premises"] = Field(
        "performance",
        description="Size from utilisation (falling back to as on premises) or from allocation.",
    )
    comfort_factor: float = Field(
        1.3,
        ge=1.0,
        le=5.0,
        description=(
            "Headroom on utilisation-based requirements, and on allocated cores and memory in as-is "
            "sizing, as Azure Migrate applies it (its default 1.3)."
        ),
    )
    families: tuple[str, ...] = Field(
        ("Dsv5", "Dasv5", "Ddsv5", "Dadsv5", "Esv5", "Easv5", "Edsv5", "Eadsv5", "Fsv2"),
        description=(
            "VM series sizes may come from (the series of Standard_D4s_v5 "
            "is Dsv5); burstable B-series are left out by default. Azure Migrate's names are accepted "
            '(Dsv3_series, case-insensitive), and "all" is every general-purpose, compute-, memory- and '
            'storage-optimised series of the region, as Azure Migrate\'s "all series" (GPU, HPC and '
            "confidential series only when named)."
        ),
    )

    hours_per_month: float = Field(730.0, gt=0, description="Hours a VM runs a month (pay-as-you-go).")
    disk_type: Literal["premium", "standard-ssd", "standard-hdd"] = Field(
        "premium", description="Managed disk type for OS and data disks."
    )
    os_disk_gb: float = Field(
        128.0, gt=0, description="OS disk size assumed when the inventory lists no disks."
    )
    windows_licences_owned: bool = Field(
        False,
        description="Azure Hybrid Benefit for Windows Server: Windows VMs are priced at the Linux rate.",
    )
    sql_licences_owned: bool = Field(
        False, description="Azure Hybrid Benefit for SQL Server (reported; SQL Server is not priced)."
    )

    @field_validator("families", mode="before")
    @classmethod
    def _azure_migrate_series_names(cls, value: object) -> object:
        """Azure Migrate's series names (``Dsv3_series``, ``DSv2 series``) as the catalog's (``Dsv3``)."""
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, list | tuple):
            return tuple(re.sub(r"[_\s-]*series$", "", str(v).strip(), flags=re.I) for v in value)
        return value
