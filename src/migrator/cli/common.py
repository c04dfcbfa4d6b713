"""Console helpers for the commands: data on stdout, messages on stderr; NO_COLOR and non-TTY honoured."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from migrator.cli.app import EXIT_INPUT


def out_console() -> Console:
    return Console(
        file=sys.stdout,
        no_color="NO_COLOR" in os.environ,
        soft_wrap=False,
        width=None if sys.stdout.isatty() else 120,
    )


def err_console() -> Console:
    return Console(file=sys.stderr, no_color="NO_COLOR" in os.environ, soft_wrap=True, highlight=False)


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err_console().print(f"error: {message}", markup=False)
    raise typer.Exit(code)


@contextmanager
def progress_reporter(enabled: bool, stages: tuple[str, ...]) -> Iterator[Callable[[str], None] | None]:
    """A rich progress bar over the pipeline stages on a terminal; nothing when disabled or not a TTY."""
    console = err_console()
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("planning", total=len(stages))
        seen: list[str] = []

        def report(stage: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(stage)
            bar.update(task, description=f"planning: {stage}")

        yield report


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            inner = drop_none(value)
            if inner:
                out[key] = inner
        elif value is not None:
            out[key] = value
    return out
