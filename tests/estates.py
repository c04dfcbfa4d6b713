"""Generated estates handed to the pipeline as the native reader would (every cell text), without files."""

from __future__ import annotations

from pathlib import Path

from migrator.generate import Estate
from migrator.inputs.base import ReadResult


def native_results(estate: Estate, folder: str | Path = "") -> list[ReadResult]:
    """servers.csv, dependencies.csv and hosts.csv of ``estate`` as read results (paths under ``folder``)."""

    def path(name: str) -> str:
        return str(Path(folder) / name) if folder else name

    servers = estate.servers.astype(str).replace({"nan": ""})
    return [
        ReadResult(path=path("servers.csv"), format="native", servers=servers),
        ReadResult(
            path=path("dependencies.csv"), format="native", dependencies=estate.dependencies.astype(str)
        ),
        ReadResult(path=path("hosts.csv"), format="native", hosts=estate.hosts.astype(str)),
    ]
