"""The command line: a thin layer that parses options, calls the core and renders.

Exit codes (documented in the README):
  0  success
  1  a gate the user asked for tripped (``--fail-on``, ``--check``, ``--fail-on-blocking``)
  2  bad input or usage (a file, row and column are named on stderr)
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

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


def _register(argv: Sequence[str] | None = None) -> None:
    """Import the command modules (each registers its commands on ``app``): with ``argv``, only the module of
    the command it names first when there is one (``migrator plan`` imports no other command's module), else
    every one (``--help`` lists them all, a mistyped name gets its suggestion)."""
    named = next((arg for arg in argv or () if not arg.startswith("-")), None)
    chosen = [m for m in COMMAND_MODULES if m.rsplit(".", 1)[1] == named] or COMMAND_MODULES
    for module in chosen:
        importlib.import_module(module)


def main() -> None:
    """The ``migrator`` command (the console script): run it, then leave without tearing Python down."""
    _register(sys.argv[1:])
    try:
        app()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, skipping the interpreter's teardown: freeing, one by one, the
    hundreds of thousands of pandas, pyarrow and pydantic objects a plan leaves takes 0.2-0.3 s after a
    1,000-server plan (measured; more on a large one) and changes nothing on disk. What matters at exit still
    happens: the atexit handlers run (child processes reaped, temporary files removed) and the standard
    streams are flushed. Only the console script leaves this way; ``app`` (tests, library users) is untouched.
    """
    if code is None or isinstance(code, int):
        status = code or 0
    else:  # sys.exit("message"): the message on stderr, status 1
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (``| head``): nothing more to say
            stream.flush()
    os._exit(status)


__all__ = ["app", "main"]
