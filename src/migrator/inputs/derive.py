"""Fill missing fields by well-known rules, only when asked (``[inputs]`` settings); say what was derived."""

from __future__ import annotations

import pandas as pd

from migrator.errors import Finding
from migrator.inputs.config import InputSettings
from migrator.outputs.text import plural


def derive_fields(servers: pd.DataFrame, settings: InputSettings) -> tuple[pd.DataFrame, list[Finding]]:
    """Servers with empty environments / applications filled where asked; what was derived or is missing."""
    findings: list[Finding] = []
    derives = bool(settings.environment_pattern) or settings.application_from != "none"
    out = servers.copy() if derives else servers  # copied only when a column is filled in
    if settings.environment_pattern:
        findings.append(_derive_environment(out, settings))
    if settings.application_from != "none":
        findings.append(_derive_application(out, settings))
    findings.extend(_still_missing(out))
    return out, findings


def _derive_environment(out: pd.DataFrame, settings: InputSettings) -> Finding:
    """Empty environments from the server name (``environment_pattern``'s ``env`` group, then mapped)."""
    empty = out["environment"].eq("")
    captured = (
        out["name"].str.extract(settings.environment_pattern, expand=True)["env"].fillna("").str.lower()
    )
    mapped = captured.replace(settings.environment_map)
    fill = empty & mapped.ne("")
    out.loc[fill, "environment"] = mapped[fill]
    return Finding(
        "derived-environment",
        f"environment derived from the server name for {int(fill.sum())} servers "
        f"({int((empty & ~fill).sum())} still have none)",
        column="environment",
        severity="info",
    )


def _derive_application(out: pd.DataFrame, settings: InputSettings) -> Finding:
    """Empty applications from another column (its ``app`` group, or the last folder of a path)."""
    source = out.get(settings.application_from, pd.Series("", index=out.index)).fillna("").astype(str)
    if settings.application_pattern:
        source = source.str.extract(settings.application_pattern, expand=True)["app"].fillna("")
    else:
        source = source.str.strip().str.strip("/").str.split("/").str[-1].fillna("")
    empty = out["application"].eq("")
    fill = empty & source.ne("")
    out.loc[fill, "application"] = source[fill]
    return Finding(
        "derived-application",
        f"application derived from the {settings.application_from} for {int(fill.sum())} servers "
        f"({int((empty & ~fill).sum())} still have none)",
        column="application",
        severity="info",
    )


def _still_missing(out: pd.DataFrame) -> list[Finding]:
    """What planning assumes for servers still without an application or an environment."""
    findings = []
    missing_app = int(out["application"].eq("").sum())
    if missing_app:
        findings.append(
            Finding(
                "no-application",
                f"{plural(missing_app, 'server')} {'has' if missing_app == 1 else 'have'} no application: "
                "each is its own move group "
                "(set [inputs] application_from, or add an application column)",
                column="application",
                severity="info",
            )
        )
    missing_env = int(out["environment"].eq("").sum())
    if missing_env:
        findings.append(
            Finding(
                "no-environment",
                f"{plural(missing_env, 'server')} {'has' if missing_env == 1 else 'have'} no environment and "
                f"{'is' if missing_env == 1 else 'are'} planned as production "
                "(set [inputs] environment_pattern to derive it from the name)",
                column="environment",
                severity="info",
            )
        )
    return findings
