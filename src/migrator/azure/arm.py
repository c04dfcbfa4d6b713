"""Azure Resource Manager access: credentials, clouds, clients, and errors turned into one clear line.

The Azure SDK is the optional extra ``migrator[azure]``. :func:`azure_sdk` is the one place that imports it,
lazily, so planning and ``migrator --help`` never load it, and its absence is one clear error, never a
traceback.
Tests replace :data:`CLIENT_FACTORY` (or pass a transport) and a fake token credential; nothing here runs on
import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
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


class AzureSdkMissing(AzureAccessError):
    """The Azure SDK (the ``migrator[azure]`` extra) is not installed."""


@dataclass(frozen=True)
class AzureSdk:
    """The modules of the Azure SDK migrator uses."""

    identity: ModuleType  # azure.identity
    compute: ModuleType  # azure.mgmt.compute
    exceptions: ModuleType  # azure.core.exceptions


def azure_sdk(feature: str = "live Azure access") -> AzureSdk:
    """Import the Azure SDK, or raise :class:`AzureSdkMissing` naming ``feature`` and how to install it."""
    try:
        return AzureSdk(
            identity=importlib.import_module("azure.identity"),
            compute=importlib.import_module("azure.mgmt.compute"),
            exceptions=importlib.import_module("azure.core.exceptions"),
        )
    except ImportError:
        raise AzureSdkMissing(f"{feature} needs the Azure SDK: pip install 'migrator[azure]'") from None


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
    identity = azure_sdk().identity
    authority = CLOUDS.get(cloud, CLOUDS["public"])[1]
    if auth == "cli":
        return identity.AzureCliCredential()
    if auth == "environment":
        return identity.EnvironmentCredential(authority=authority)
    if auth == "managed-identity":
        return identity.ManagedIdentityCredential()
    return identity.DefaultAzureCredential(authority=authority)


def compute_client(conn: Connection, credential: Any, **kwargs: Any) -> Any:
    """The real ComputeManagementClient for the connection's cloud or ARM endpoint.

    Retries honour Retry-After.
    """
    kwargs.setdefault("retry_total", 3)
    return azure_sdk().compute.ComputeManagementClient(
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
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    try:
        sdk = azure_sdk()
    except AzureSdkMissing:  # then ``exc`` cannot come from the SDK
        return AzureAccessError(f"unexpected error while {action}: {first}")
    if isinstance(exc, sdk.identity.CredentialUnavailableError):
        return AzureAccessError(
            f"no Azure credentials found for --auth {conn.auth}: "
            f"sign in with 'az login' or choose another --auth ({first})"
        )
    if isinstance(exc, sdk.exceptions.ClientAuthenticationError):
        return AzureAccessError(
            f"Azure sign-in failed or expired (--auth {conn.auth}): sign in again with 'az login' ({first})"
        )
    if isinstance(exc, sdk.exceptions.HttpResponseError):
        return _http_error(exc, conn, action, first)
    if isinstance(exc, sdk.exceptions.ServiceRequestError):
        return AzureAccessError(f"cannot reach {conn.endpoint} while {action}: {first}")
    return AzureAccessError(f"unexpected error while {action}: {first}")


def _http_error(exc: BaseException, conn: Connection, action: str, first: str) -> AzureAccessError:
    """One line for an HTTP error answer of ARM (an ``azure.core`` ``HttpResponseError``)."""
    status = getattr(exc, "status_code", None)
    code = getattr(getattr(exc, "error", None), "code", None) or ""
    if status == 403:
        return AzureAccessError(
            f"permission denied while {action}: the identity needs the Reader role on subscription "
            f"{conn.subscription} ({code or 'AuthorizationFailed'})"
        )
    if status == 404 and "Subscription" in code:
        return AzureAccessError(
            f"subscription {conn.subscription} not found, or not visible to this identity ({code})"
        )
    if status == 429:
        retry = (getattr(getattr(exc, "response", None), "headers", {}) or {}).get("Retry-After", "?")
        return AzureAccessError(
            f"Azure is throttling requests while {action} (HTTP 429, still after retries); "
            f"try again in {retry} s"
        )
    if status == 401:
        return AzureAccessError(
            f"Azure refused the token while {action} (HTTP 401): sign in again with 'az login'"
        )
    return AzureAccessError(f"Azure answered HTTP {status} while {action}: {code or first}")
