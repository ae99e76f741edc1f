"""Filling many templates at once, on every core (see forked.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packgen.documents.fill import Renderer
from packgen.runtime.workers import forked_map

Job = tuple[str, Mapping[str, Any], Path]  # template, context, .docx to write


def fill_documents(
    renderer: Renderer,
    jobs: Sequence[Job],
    on_progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> None:
    """Fill every (template, context, destination) job; TemplateProblem for the first that fails.

    ``renderer`` is made before the workers fork, so each starts with the wording and every template
    it has read already (the pipeline's has read them to work out their cache keys)."""
    forked_map(
        lambda job: _fill(renderer, job),
        jobs,
        workers=workers,
        on_done=on_progress and (lambda done: on_progress(done, len(jobs))),
    )


def _fill(renderer: Renderer, job: Job) -> None:
    renderer.render(*job)
    # A filled document leaves python-docx's objects behind in reference cycles, and a build runs the
    # cycle collector seldom (collector.py): in one process (the web page's) hundreds piled up, 349 MB
    # at 100 pupils. They are young, so collecting the young generations frees them, and cheaply.
    gc.collect(1)
