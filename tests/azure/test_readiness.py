"""Readiness by Azure Migrate's published rules: one case per row of Microsoft's readiness tables.

Expected values are copied from the pages (Azure Migrate's level, then migrator's word for it):
- CALC: "Assessment overview (migrate to Azure VMs)", Guest operating system table,
  https://learn.microsoft.com/azure/migrate/concepts-assessment-calculation (ms.date 2023-08-29).
- LIFT: "Azure VM assessment (Lift and Shift)", Azure readiness for servers (ms.date 2024-06-24): adds Windows
  Server 2019 and 2022 as Ready for Azure.
- TROUBLE: "Troubleshoot assessment", Azure VM assessment readiness issues and "Linux VMs are conditionally
  ready", https://learn.microsoft.com/azure/migrate/troubleshoot-assessment.
- DISTROS: "Endorsed Linux distributions on Azure", Platform Image Partners,
  https://learn.microsoft.com/azure/virtual-machines/linux/endorsed-distros (ms.date 2023-08-02).
OS strings are written as VMware (guest OS full name), Hyper-V and Azure Migrate's discovery report
write them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from migrator.azure.config import SizingSettings
from migrator.azure.readiness import LEVELS, boot_nic_readiness, load_rules, os_readiness
from migrator.azure.sizing import size_servers
from tests.azure.test_sizing import _catalog
from tests.conftest import inventory, server

READY, COND, UNKNOWN = "Ready", "Ready with conditions", "Unknown"

CASES = [
    # CALC: "Windows Server 2016 and all SPs | Azure provides full support. | Ready for Azure."
    ("Microsoft Windows Server 2016 or later (64-bit)", READY, ""),
    ("Microsoft Windows Server 2016 (64-bit)", READY, ""),
    # LIFT: "Windows Server 2022 and all SPs, Windows Server 2019 and all SPs ... | Ready for Azure"
    ("Microsoft Windows Server 2019 (64-bit)", READY, ""),
    ("Microsoft Windows Server 2022 (64-bit)", READY, ""),
    # CALC: "Windows Server 2012 R2 and all SPs | Azure provides full support. | Ready for Azure."
    ("Microsoft Windows Server 2012 R2 Datacenter", READY, ""),
    # CALC: "Windows Server 2012 and all SPs | Azure provides full support. | Ready for Azure."
    ("Microsoft Windows Server 2012 (64-bit)", READY, ""),
    # CALC: "Windows Server 2008 R2 with all SPs | Azure provides full support. | Ready for Azure."
    ("Microsoft Windows Server 2008 R2 (64-bit)", READY, ""),
    # CALC: "Windows Server 2008 (32-bit and 64-bit) | Azure provides full support. | Ready for Azure."
    ("Microsoft Windows Server 2008 (64-bit)", READY, ""),
    ("Microsoft Windows Server 2008 (32-bit)", READY, ""),
    # CALC: "Windows Server 2003 and Windows Server 2003 R2 | ... need a Custom Support Agreement (CSA) ... |
    # Conditionally ready for Azure." TROUBLE: "Conditionally supported Windows operating system".
    ("Microsoft Windows Server 2003 (64-bit)", COND, "Conditionally supported Windows operating system"),
    ("Windows Server 2003 Standard (32-bit)", COND, "Conditionally supported Windows operating system"),
    ("Windows Server 2003 R2", COND, "Conditionally supported Windows operating system"),
    # CALC: "Windows 2000, Windows 98, Windows 95, Windows NT, Windows 3.1, and MS-DOS | ... Azure provides no
    # OS support. | Conditionally ready for Azure." TROUBLE: "Unsupported Windows operating system".
    ("Microsoft Windows 2000 Server", COND, "Unsupported Windows operating system"),
    ("Microsoft Windows 98", COND, "Unsupported Windows operating system"),
    ("Microsoft Windows 95", COND, "Unsupported Windows operating system"),
    ("Microsoft Windows NT", COND, "Unsupported Windows operating system"),
    ("Microsoft Windows 3.1", COND, "Unsupported Windows operating system"),
    ("Microsoft MS-DOS", COND, "Unsupported Windows operating system"),
    # CALC: "Windows 7, Windows 8, and Windows 10 | Azure provides support with a Visual Studio subscription
    # only. | Conditionally ready for Azure." TROUBLE: "Requires a Microsoft Visual Studio subscription".
    ("Microsoft Windows 7 (64-bit)", COND, "Requires a Microsoft Visual Studio subscription"),
    ("Microsoft Windows 7 (32-bit)", COND, "Requires a Microsoft Visual Studio subscription"),
    ("Microsoft Windows 8 (64-bit)", COND, "Requires a Microsoft Visual Studio subscription"),
    ("Microsoft Windows 10 (64-bit)", COND, "Requires a Microsoft Visual Studio subscription"),
    ("Microsoft Windows 11 (64-bit)", COND, "Requires a Microsoft Visual Studio subscription"),
    # CALC: "Windows 10 Pro | Azure provides support with Multitenant Hosting Rights. | Conditionally ready"
    ("Windows 10 Pro", COND, "Requires Multitenant Hosting Rights"),
    # CALC: "Windows Vista and Windows XP Professional | ... Azure provides no OS support. | Conditionally
    # ready for Azure."
    ("Microsoft Windows Vista (32-bit)", COND, "Unsupported Windows operating system"),
    ("Microsoft Windows XP Professional (32-bit)", COND, "Unsupported Windows operating system"),
    # CALC: "Linux | ... | Ready for Azure if the version is endorsed. Conditionally ready if the version
    # isn't endorsed." DISTROS: Ubuntu Server 20.04 and 22.04 LTS, Debian 11 and 12, RHEL, Oracle Linux, SLES,
    # Flatcar.
    ("Ubuntu 22.04.3 LTS", READY, ""),
    ("Ubuntu 20.04 LTS", READY, ""),
    ("Debian GNU/Linux 11 (64-bit)", READY, ""),
    ("Debian GNU/Linux 12 (64-bit)", READY, ""),
    ("Red Hat Enterprise Linux 8.6", READY, ""),
    ("Red Hat Enterprise Linux Server 7.9 (Maipo)", READY, ""),
    ("Oracle Linux 8.8", READY, ""),
    ("SUSE Linux Enterprise Server 15 SP5", READY, ""),
    ("Flatcar Container Linux", READY, ""),
    # TROUBLE, "Linux VMs are conditionally ready": vCenter Server and Hyper-V do not report the minor
    # version ("for RHEL 6.10 ... detects only RHEL 6"): an endorsed distribution is "Conditionally endorsed".
    ("Red Hat Enterprise Linux 7 (64-bit)", COND, "Conditionally endorsed Linux OS"),
    ("Red Hat Enterprise Linux 8 (64-bit)", COND, "Conditionally endorsed Linux OS"),
    ("Ubuntu Linux (64-bit)", COND, "Conditionally endorsed Linux OS"),
    ("Oracle Linux 7 (64-bit)", COND, "Conditionally endorsed Linux OS"),
    ("SUSE Linux Enterprise 15 (64-bit)", COND, "Conditionally endorsed Linux OS"),
    # TROUBLE: "Unendorsed Linux OS | The server might start in Azure, but Azure provides no operating system
    # support." A distribution or version the endorsed list does not name.
    ("CentOS 4/5 or later (64-bit)", COND, "Unendorsed Linux OS"),
    ("CentOS 7 (64-bit)", COND, "Unendorsed Linux OS"),
    ("Red Hat Enterprise Linux 6 (64-bit)", COND, "Unendorsed Linux OS"),
    ("Ubuntu 18.04.6 LTS", COND, "Unendorsed Linux OS"),
    ("Debian GNU/Linux 9 (64-bit)", COND, "Unendorsed Linux OS"),
    ("VMware Photon OS (64-bit)", COND, "Unendorsed Linux OS"),
    # CALC: "Other operating systems like Oracle Solaris, Apple macOS, and FreeBSD | Azure doesn't endorse
    # these operating systems ... | Conditionally ready for Azure."
    ("Oracle Solaris 11 (64-bit)", COND, "Other operating systems"),
    ("Apple macOS 10.15 (64-bit)", COND, "Other operating systems"),
    ("FreeBSD 12 (64-bit)", COND, "Other operating systems"),
    # CALC: "OS specified as Other in vCenter Server | Azure Migrate can't identify the OS in this case. |
    # Unknown readiness." TROUBLE: "Unknown operating system".
    ("Other (32-bit)", UNKNOWN, "Unknown operating system"),
    ("Other (64-bit)", UNKNOWN, "Unknown operating system"),
    ("Other 3.x or later Linux (64-bit)", UNKNOWN, "Unknown operating system"),
    ("", UNKNOWN, "Unknown operating system"),
    ("Plan 9", UNKNOWN, "Unknown operating system"),
    # CALC: "32-bit operating systems | The server might start in Azure, but Azure might not provide full
    # support. | Conditionally ready for Azure." TROUBLE: "Unsupported bit version".
    ("Red Hat Enterprise Linux 6 (32-bit)", COND, "Unsupported bit version"),
    ("Ubuntu Linux (32-bit)", COND, "Unsupported bit version"),
]


@pytest.mark.parametrize(("os_text", "level", "issue"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_readiness_as_azure_migrate_documents_it(os_text: str, level: str, issue: str) -> None:
    state, reason, _ = os_readiness(pd.Series([os_text]))
    assert state[0] == level
    if issue:
        # readiness_reason starts with Azure Migrate's wording and ends with the OS as the inventory wrote it.
        assert reason[0].startswith(issue + ":") and reason[0].endswith(f"({os_text.strip()})")
    else:
        assert reason[0] == ""


def test_the_issue_named_in_the_brief_windows_server_2012_is_ready_not_end_of_support() -> None:
    state, reason, rule = os_readiness(pd.Series(["Microsoft Windows Server 2012 (64-bit)"]))
    assert (state[0], reason[0], rule[0]) == ("Ready", "", "windows-server-2012")


def test_every_rule_names_its_page_and_date_and_a_known_level() -> None:
    rules = load_rules()
    assert rules.rules and all(r.url.startswith("https://learn.microsoft.com/") for r in rules.rules)
    assert all(len(r.date) == 10 and r.date[:2] == "20" for r in rules.rules)
    assert {r.readiness for r in rules.rules} <= set(LEVELS)
    assert (rules.max_cores, rules.max_memory_gb, rules.max_disks) == (128, 3892, 65)


def test_every_rule_is_reached_by_a_case() -> None:
    """No row of the table is dead: each decides at least one of the published cases."""
    _, _, used = os_readiness(pd.Series([c[0] for c in CASES]))
    assert {r.id for r in load_rules().rules} == set(used)


# CALC, "Calculate readiness" machine table: "Boot type | Azure supports UEFI boot type for OS mentioned
# here | Not ready if the boot type is UEFI and the operating system running on the VM is Windows Server 2003,
# 2003 R2, 2008 or 2008 R2"; "Network adapters | Azure supports up to 32 network interfaces (NICs) attached
# to a VM | Ready if the server has 32 or fewer NICs, Not ready if it has more". Empty cells: no judgement.
BOOT_NIC_CASES = [
    ("Microsoft Windows Server 2008 R2 (64-bit)", "UEFI", 1, "Unsupported boot type"),
    ("Microsoft Windows Server 2003 Standard (32-bit)", "efi", "", "Unsupported boot type"),
    ("Microsoft Windows Server 2008 R2 (64-bit)", "BIOS", 1, ""),
    ("Microsoft Windows Server 2012 R2 Datacenter", "UEFI", 1, ""),
    ("Microsoft Windows Server 2008 R2 (64-bit)", "", "", ""),
    ("Ubuntu 22.04", "UEFI", 33, "Unsupported number of network adapters"),
    ("Ubuntu 22.04", "UEFI", 32, ""),
]


@pytest.mark.parametrize(("os_text", "boot", "nics", "issue"), BOOT_NIC_CASES)
def test_uefi_on_old_windows_and_more_than_32_nics_are_not_ready(
    os_text: str, boot: str, nics: object, issue: str
) -> None:
    row = size_servers(
        inventory([server("s", os=os_text, boot_type=boot, nics=nics)]).servers,
        SizingSettings(families=("all",)),
        _catalog(),
    ).per_server.iloc[0]
    if issue:
        assert row["readiness"] == "Not ready" and row["readiness_reason"].startswith(issue + ":")
    else:
        assert row["readiness"] != "Not ready" and not row["readiness_reason"].startswith("Unsupported")


def test_boot_and_nic_rules_name_their_page() -> None:
    rules = load_rules()
    assert rules.max_nics == 32 and rules.uefi_issue and rules.nics_issue
    assert rules.limits_source == "https://learn.microsoft.com/azure/migrate/concepts-assessment-calculation"


def test_no_boot_type_or_nic_columns_gives_no_judgement() -> None:
    bad, _ = boot_nic_readiness(pd.DataFrame({"os": ["Microsoft Windows Server 2008 R2 (64-bit)"]}))
    assert not bad.any()
