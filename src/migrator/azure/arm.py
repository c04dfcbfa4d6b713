"""Azure Resource Manager access: credentials, clouds, clients, and errors turned into one clear line.

The Azure SDK is imported lazily, inside these functions, so planning and ``migrator --help`` never load it.
Tests replace :data:`CLIENT_FACTORY` (or pass a transport) and a fake token credential; nothing here runs on
import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrator.errors import MigratorError

CLOUDS: dict[str, tuple[str, str]] = {
    "public": ("https://management.azure.com", "login.microsoftonline.com"),
    "usgov": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "china": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
AUTH_CHOICES = ("default", "cli", "environment", "managed-identity")


class AzureAccessError(MigratorError):
    """Azure could not be reached or refused: the message is one line a user can act on."""


@dataclass(frozen=True)
class Connection:
    subscription: str
    auth: str = "default"
    cloud: str = "public"
    arm_endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        return (self.arm_endpoint or CLOUDS[self.cloud][0]).rstrip("/")


def make_credential(auth: str = "default", cloud: str = "public") -> Any:
    """A credential of the kind asked for (never constructed by tests)."""
    from azure.identity import (
        AzureCliCredential,
        DefaultAzureCredential,
        EnvironmentCredential,
        ManagedIdentityCredential,
    )

    authority = CLOUDS.get(cloud, CLOUDS["public"])[1]
    if auth == "cli":
        return AzureCliCredential()
    if auth == "environment":
        return EnvironmentCredential(authority=authority)
    if auth == "managed-identity":
        return ManagedIdentityCredential()
    return DefaultAzureCredential(authority=authority)


def compute_client(conn: Connection, credential: Any, **kwargs: Any) -> Any:
    """The real ComputeManagementClient for the connection's cloud or ARM endpoint; retries honour Retry-After."""
    from azure.mgmt.compute import ComputeManagementClient

    kwargs.setdefault("retry_total", 3)
    return ComputeManagementClient(
        credential,
        conn.subscription,
        base_url=conn.endpoint,
        credential_scopes=[conn.endpoint + "/.default"],
        **kwargs,
    )


def _default_factory(conn: Connection) -> Any:
    return compute_client(conn, make_credential(conn.auth, conn.cloud))


CLIENT_FACTORY: Callable[[Connection], Any] = _default_factory


def describe_error(exc: BaseException, conn: Connection, action: str) -> AzureAccessError:
    """One line for what went wrong talking to Azure."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover
        CredentialUnavailableError = ClientAuthenticationError  # type: ignore[misc,assignment]  # noqa: N806
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, CredentialUnavailableError):
        return AzureAccessError(
            f"no Azure credentials found for --auth {conn.auth}: sign in with 'az login' or choose another --auth ({first})"
        )
    if isinstance(exc, ClientAuthenticationError):
        return AzureAccessError(
            f"Azure sign-in failed or expired (--auth {conn.auth}): sign in again with 'az login' ({first})"
        )
    if isinstance(exc, HttpResponseError):
        status = getattr(exc, "status_code", None)
        code = getattr(getattr(exc, "error", None), "code", None) or ""
        if status == 403:
            return AzureAccessError(
                f"permission denied while {action}: the identity needs the Reader role on subscription {conn.subscription} ({code or 'AuthorizationFailed'})"
            )
        if status == 404 and "Subscription" in code:
            return AzureAccessError(
                f"subscription {conn.subscription} not found, or not visible to this identity ({code})"
            )
        if status == 429:
            retry = (getattr(getattr(exc, "response", None), "headers", {}) or {}).get("Retry-After", "?")
            return AzureAccessError(
                f"Azure is throttling requests while {action} (HTTP 429, still after retries); try again in {retry} s"
            )
        if status == 401:
            return AzureAccessError(
                f"Azure refused the token while {action} (HTTP 401): sign in again with 'az login'"
            )
        return AzureAccessError(f"Azure answered HTTP {status} while {action}: {code or first}")
    if isinstance(exc, ServiceRequestError):
        return AzureAccessError(f"cannot reach {conn.endpoint} while {action}: {first}")
    return AzureAccessError(f"unexpected error while {action}: {first}")
