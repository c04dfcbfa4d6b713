"""The typer application object every command module attaches to."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import typer
from typer._click import ClickException, Context  # typer 0.29 carries its own click
from typer.core import TyperGroup

from migrator.errors import MigratorError

EXIT_OK = 0
# A gate the user asked for tripped (missed target, broken critical condition, blocking finding, stale plan).
EXIT_GATE = 1
EXIT_INPUT = 2  # bad input or usage (typer's own usage errors exit 2 as well)
EXIT_BUG = 70  # an unexpected error: a bug in migrator (EX_SOFTWARE of sysexits.h)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives, so ``finally`` blocks remove temporary files."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


class GuardedGroup(TyperGroup):
    """The top level of the command line: no traceback ever reaches the user.

    A ``MigratorError`` (bad input) a command did not report itself is one line and exit 2; anything else
    is a bug in migrator: one line asking for a report and exit code 70 (``MIGRATOR_TRACEBACK=1`` shows the
    traceback). Ctrl-C exits 130 and SIGTERM 143, after the ``finally`` blocks below the command have removed
    their temporary files.
    """

    def invoke(self, ctx: Context) -> Any:
        previous = _install_sigterm()
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except BrokenPipeError:  # stdout closed early (``migrator diff ... | head``): typer exits quietly
            raise
        except MigratorError as exc:  # a user mistake a command did not catch itself: still one line, exit 2
            _say(_one_line(str(exc)))
            raise typer.Exit(EXIT_INPUT) from None
        except KeyboardInterrupt:
            _say("interrupted; nothing was left half-written")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Terminated:
            _say("terminated; nothing was left half-written")
            raise typer.Exit(EXIT_TERMINATED) from None
        except Exception as exc:  # noqa: BLE001 - the one place every unexpected error is caught
            if os.environ.get("MIGRATOR_TRACEBACK"):
                raise
            _say(
                f"internal error: {type(exc).__name__}: {_one_line(str(exc))} -- this is a bug in migrator: "
                "please report it with the command you ran (MIGRATOR_TRACEBACK=1 shows the traceback)"
            )
            raise typer.Exit(EXIT_BUG) from None
        finally:
            _restore_sigterm(previous)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def _say(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


def _install_sigterm() -> Any:
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


app = typer.Typer(
    cls=GuardedGroup,
    name="migrator",
    help="Plan the move of an on-premises data center to Microsoft Azure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from migrator import __version__

        typer.echo(f"migrator {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Plan the move of an on-premises data center to Microsoft Azure.

    Exit codes: 0 success; 1 a gate you asked for tripped (--fail-on, --check); 2 bad input or usage;
    70 a bug in migrator (please report it); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
    """
