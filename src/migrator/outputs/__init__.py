"""Output formats: views of the plan document, each behind the :class:`~migrator.outputs.base.Writer`
interface.

:func:`render_plan` renders every file in memory; :func:`write_plan` then writes them atomically (temporary
file, then rename), so a failure never leaves a half-written plan behind.
"""

from __future__ import annotations

from migrator.outputs.base import Writer, render_plan, write_files, write_plan

__all__ = ["Writer", "render_plan", "write_files", "write_plan"]
