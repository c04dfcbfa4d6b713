"""The typer application object every command module attaches to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="migrator",
    help="Plan the move of an on-premises data center to Microsoft Azure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK = 0
# A gate the user asked for tripped (missed target, broken critical condition, blocking finding, stale plan).
EXIT_GATE = 1
EXIT_INPUT = 2  # bad input or usage (typer's own usage errors exit 2 as well)


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

    Exit codes: 0 success; 1 a gate you asked for tripped (--fail-on, --check); 2 bad input or usage.
    """
