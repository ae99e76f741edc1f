"""Filling many templates at once, on every core (see forked.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .forked import forked_map
from .render import Renderer

Job = tuple[str, Mapping[str, Any], Path]  # template, context, .docx to write


def fill_documents(templates: Path, jobs: Sequence[Job], on_progress: Callable[[int, int], None] | None = None,
                   workers: int | None = None) -> None:
    """Fill every (template, context, destination) job; TemplateProblem for the first that fails."""
    # Made before the workers fork, so each starts with the wording already read.
    renderer = Renderer(templates)
    forked_map(lambda job: renderer.render(*job), jobs, workers=workers,
               on_done=on_progress and (lambda done: on_progress(done, len(jobs))))
