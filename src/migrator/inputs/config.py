"""Settings of the ``[inputs]`` section: deriving missing fields by well-known rules."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class InputSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    environment_pattern: str = Field(
        "",
        description=(
            "Regex on the server name with a named group 'env' (e.g. "
            "'^[a-z]+-(?P<env>prd|dev|tst)-'); fills an empty environment."
        ),
    )
    environment_map: dict[str, str] = Field(
        default_factory=lambda: {
            "p": "prod",
            "prd": "prod",
            "d": "dev",
            "dv": "dev",
            "t": "test",
            "tst": "test",
            "q": "qa",
            "u": "uat",
        },
        description=(
            "What the captured 'env' text means (lower case); unmapped captures are used as they are."
        ),
    )
    application_from: Literal["none", "folder", "annotation"] = Field(
        "none", description="Fill an empty application from the VM folder or annotation (RVTools)."
    )
    application_pattern: str = Field(
        "",
        description=(
            "Regex with a named group 'app' applied to the folder or annotation; the whole text when empty."
        ),
    )

    @field_validator("environment_pattern")
    @classmethod
    def _env_regex(cls, value: str) -> str:
        return _check(value, "env")

    @field_validator("application_pattern")
    @classmethod
    def _app_regex(cls, value: str) -> str:
        return _check(value, "app")


def _check(pattern: str, group: str) -> str:
    if not pattern:
        return pattern
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if group not in compiled.groupindex:
        raise ValueError(f"the regular expression needs a named group (?P<{group}>...)")
    return pattern
