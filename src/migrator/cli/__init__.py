"""The command line: a thin layer that parses options, calls the core and renders.

Exit codes (documented in the README):
  0  success
  1  a gate the user asked for tripped (``--fail-on``, ``--check``, ``--fail-on-blocking``)
  2  bad input or usage (a file, row and column are named on stderr)
"""

from __future__ import annotations

import importlib

from migrator.cli.app import app

# Each module registers its commands on ``app`` when imported; a new command module is appended here.
COMMAND_MODULES: tuple[str, ...] = (
    "migrator.cli.plan",
    "migrator.cli.inspect",
    "migrator.cli.catalog",
    "migrator.cli.azure",
    "migrator.cli.generate",
    "migrator.cli.diff",
    "migrator.cli.deps",
)


def _register() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def main() -> None:
    _register()
    app()


__all__ = ["app", "main"]
