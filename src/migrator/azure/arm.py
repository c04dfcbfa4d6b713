"""Azure Resource Manager access: credentials, clouds, clients, and errors turned into one clear line.

The Azure SDK is the optional extra ``migrator[azure]``. :func:`azure_sdk` is the one place that imports it,
lazily, so planning and ``migrator --help`` never load it, and its absence is one clear error, never a
traceback.
Tests replace :data:`CLIENT_FACTORY` (or pass a transport) and a fake token credential; nothing here runs on
import.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
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


# How the SDK retries one request (azure-core's RetryPolicy): 5xx, 408 and 429 answers (Retry-After honoured),
# connection errors and resets, and answers cut off mid-body, with exponential back-off.
RETRY: dict[str, Any] = {
    "retry_total": 5,
    "retry_connect": 3,
    "retry_read": 3,
    "retry_status": 4,
    "retry_backoff_factor": 0.8,
    "retry_backoff_max": 30,
    "retry_on_status_codes": [408, 429, 500, 502, 503, 504],
}
READ_TIMEOUT = 60.0  # seconds one answer may take before it counts as a dropped connection (and is retried)
MAX_PAGES = 100_000  # a paged list longer than this is taken for a server that never stops paging


@dataclass(frozen=True)
class Connection:
    subscription: str
    auth: str = "default"
    cloud: str = "public"
    arm_endpoint: str | None = None
    timeout: float = 300.0  # seconds for the whole check, retries included

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


class Deadline:
    """The overall ``--timeout``: checked before every attempt of every request (retries included), and caps
    each attempt's connect and read timeouts at the time left. Runs as an azure-core per-retry policy
    (:func:`deadline_policy`)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        return self.ends - time.monotonic()

    def expired(self, action: str) -> AzureAccessError:
        return AzureAccessError(f"Azure did not answer within --timeout {self.seconds:g} s while {action}")

    def on_request(self, request: Any) -> None:
        left = self.left()
        if left <= 0:
            url = str(getattr(request.http_request, "url", "ARM")).split("?")[0]
            raise self.expired("waiting for " + url)
        options = request.context.options
        options["connection_timeout"] = min(float(options.get("connection_timeout", left)), left)
        options["read_timeout"] = min(float(options.get("read_timeout", READ_TIMEOUT)), left)


def deadline_policy(seconds: float) -> Any:
    """A :class:`Deadline` as an azure-core ``SansIOHTTPPolicy`` (the SDK is imported here, lazily)."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class _DeadlinePolicy(Deadline, SansIOHTTPPolicy):
        pass

    return _DeadlinePolicy(seconds)


def compute_client(conn: Connection, credential: Any, **kwargs: Any) -> Any:
    """The real ComputeManagementClient for the connection's cloud or ARM endpoint, with :data:`RETRY` as its
    retry policy and ``conn.timeout`` as the deadline of everything it sends (``kwargs`` override)."""
    for key, value in RETRY.items():
        kwargs.setdefault(key, value)
    kwargs.setdefault("read_timeout", min(READ_TIMEOUT, conn.timeout))
    kwargs.setdefault("timeout", conn.timeout)
    kwargs.setdefault("per_retry_policies", [deadline_policy(conn.timeout)])
    return azure_sdk().compute.ComputeManagementClient(
        credential,
        conn.subscription,
        base_url=conn.endpoint,
        credential_scopes=[conn.endpoint + "/.default"],
        **kwargs,
    )


def drain(pager: Any, conn: Connection, action: str, max_pages: int = MAX_PAGES) -> Iterator[Any]:
    """Every item of an SDK paged list, stopping with one line when ARM sends a ``nextLink`` it has sent
    before (a server that pages in a loop) or more than ``max_pages`` pages."""
    pages = pager.by_page()
    seen: set[str] = set()
    for count, page in enumerate(pages, start=1):
        yield from page
        link = pages.continuation_token
        if link is None:
            return
        if link in seen:
            raise AzureAccessError(
                f"Azure sent the same nextLink twice while {action} "
                f"({conn.endpoint} pages in a loop); stopped"
            )
        if count >= max_pages:
            raise AzureAccessError(f"Azure sent more than {max_pages:,} pages while {action}; stopped")
        seen.add(str(link))


def _default_factory(conn: Connection) -> Any:
    return compute_client(conn, make_credential(conn.auth, conn.cloud))


CLIENT_FACTORY: Callable[[Connection], Any] = _default_factory


def describe_error(exc: BaseException, conn: Connection, action: str) -> AzureAccessError:
    """One line for what went wrong talking to Azure."""
    if isinstance(exc, AzureAccessError):
        return exc
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    try:
        sdk = azure_sdk()
    except AzureSdkMissing:  # then ``exc`` cannot come from the SDK
        return AzureAccessError(f"unexpected error while {action}: {first}")
    answer = _answer_error(exc, sdk, conn, action)
    if answer is not None:
        return answer
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


def _answer_error(
    exc: BaseException, sdk: AzureSdk, conn: Connection, action: str
) -> AzureAccessError | None:
    """One line for an answer that never came whole: timed out, cut off, dropped, or not JSON."""
    errors = sdk.exceptions
    if isinstance(exc, errors.ServiceResponseTimeoutError | errors.ServiceRequestTimeoutError):
        return AzureAccessError(
            f"Azure did not answer within --timeout {conn.timeout:g} s while {action} ({conn.endpoint})"
        )
    if isinstance(exc, errors.IncompleteReadError):
        return AzureAccessError(
            f"Azure's answer was cut off while {action}, still after retries ({conn.endpoint}); try again"
        )
    if isinstance(exc, errors.DecodeError):
        return AzureAccessError(
            f"Azure sent an answer that is not valid JSON (malformed or truncated) while {action} "
            f"({conn.endpoint}); try again"
        )
    if isinstance(exc, errors.ServiceResponseError):
        return AzureAccessError(
            f"the connection to {conn.endpoint} dropped while {action}, still after retries: "
            f"{str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__}"
        )
    return None


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
