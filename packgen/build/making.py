"""Documents looked up or made: each found where the last build left it, or in the cache, or rendered
and converted afresh, all in a private staging folder beside the output.

``produce()`` is the whole of it for a few documents (an agreement, the letters): only a complete,
successful run is moved into place, and a failed one leaves whatever was there before exactly as it
was. A pack's build (pipeline.py) uses the same steps, with the pack assembled in between.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.build.cache import DocumentCache, Keys
from packgen.build.lock import exclusive
from packgen.files import private_dirs, run_folder
from packgen.runtime.workers import PARALLEL_FROM, default_workers

# Filling and converting bring docxtpl, pypdf and LibreOffice's handling: imported where they are used,
# so a build with nothing to do never loads them.
if TYPE_CHECKING:
    from packgen.documents.fill import Renderer
    from packgen.documents.plan import DocumentSpec
    from packgen.office.convert import ConvertSettings
    from packgen.office.head_start import HeadStart

# on_progress(step, done, total) for the long steps: "render", "convert", "assemble".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Produced:
    """One document as written: its editable .docx and its .pdf."""

    spec: DocumentSpec
    docx: Path
    pdf: Path


@dataclass(frozen=True)
class Made:
    produced: list[Produced]  # in the order of the specs: in the staging folder, or left in place
    keys: dict[str, str]  # the cache keys they were made or found under, by stem
    made: int  # how many were rendered and converted (the rest came from the cache)


@dataclass(frozen=True)
class ToMake:
    """A document to make: its spec, where its .docx and .pdf go, and the cache (and key) to keep it under."""

    spec: DocumentSpec
    docx: Path
    pdf: Path
    cache: DocumentCache
    key: str | None


@dataclass(frozen=True)
class Batch:
    """One school's documents to look up: where they are staged, where they go, and which the last
    build left in place there (by stem: the key each was made under)."""

    specs: Sequence[DocumentSpec]
    stage: Path
    out: Path
    placed: dict[str, str]


def produce(
    specs: Sequence[DocumentSpec], out: Path, templates: Path, on_progress: Progress | None = None
) -> list[Produced]:
    """Render and convert ``specs`` (reusing those in the cache), then move them into ``out`` only once all
    of them succeeded."""
    from packgen.documents.fill import Renderer

    progress = on_progress or quiet
    with staging(out) as stage:
        renderer = Renderer(templates)
        made, to_make = look_up([Batch(specs, stage, out, {})], renderer)
        fill(to_make, renderer, progress)
        convert(to_make, progress)
        return publish(made[0].produced, stage, out)


def look_up(batches: Sequence[Batch], renderer: Renderer) -> tuple[list[Made], list[ToMake]]:
    """Each batch (specs, staging folder, output folder, documents in place there) as documents: those
    the last build left in the output folder under the same key stay there; those in its cache are
    copied into the staging folder; the others are listed to be made (rendered, converted, cached)."""
    # A key holds only the data its template reads: an edit remakes only documents that print it.
    keys = Keys(renderer.templates_dir, data_read=renderer.data_read, template_digest=renderer.template_digest)
    results, to_make = [], []
    for batch in batches:
        specs, stage, out, placed = batch.specs, batch.stage, batch.out, batch.placed
        cache = DocumentCache(out)
        produced, found, made = [], {}, 0
        for spec in specs:
            key = keys.key(spec.template, spec.context)
            if key is not None and placed.get(spec.stem) == key:
                # Unchanged since the last build: copying it out of the cache to move it back would
                # cost a second for every thousand documents and change nothing.
                produced.append(Produced(spec, out / f"{spec.stem}.docx", out / f"{spec.stem}.pdf"))
                found[spec.stem] = key
                continue
            docx, pdf = stage / f"{spec.stem}.docx", stage / f"{spec.stem}.pdf"
            private_dirs(docx.parent)
            if key is None or not cache.fetch(key, docx, pdf):
                to_make.append(ToMake(spec, docx, pdf, cache, key))
                made += 1
            if key is not None:
                found[spec.stem] = key
            produced.append(Produced(spec, docx, pdf))
        results.append(Made(produced, found, made))
    return results, to_make


def fill(to_make: Sequence[ToMake], renderer: Renderer, progress: Progress) -> None:
    from packgen.build.parallel_fill import fill_documents

    fill_documents(
        renderer,
        [(m.spec.template, m.spec.context, m.docx) for m in to_make],
        on_progress=lambda done, total: progress("render", done, total),
    )


def fill_while_converting(
    pool: ThreadPoolExecutor,
    to_make: Sequence[ToMake],
    renderer: Renderer,
    progress: Progress,
    head_start: HeadStart | None = None,
) -> Future[None]:
    """Fill ``to_make``, and convert them in ``pool``'s thread: the conversion, to wait for.

    LibreOffice gets one core fewer than usual: the pack reads the other documents on the one left
    (measured at 30 pupils: 1.1 s for the rebuild against 1.35 s with every core converting).
    Fewer documents than it is worth forking for are filled here, one by one, while LibreOffice
    starts: its start (0.2 s) is as long as filling four, and it takes each as it is written (see
    ConvertSettings' ``ready``). More are filled first, on every core: forking needs no other thread
    running.
    """
    from packgen.office.convert import ConvertSettings

    settings = ConvertSettings(workers=max(1, default_workers() - 1), head_start=head_start)
    if len(to_make) >= PARALLEL_FROM:
        fill(to_make, renderer, progress)
        return pool.submit(convert, to_make, progress, settings)
    filled: Future[None] = Future()

    def after_filling(step: str, done: int, total: int) -> None:  # one step at a time for the progress bar
        if filled.done():
            progress(step, done, total)

    conversion = pool.submit(convert, to_make, after_filling, replace(settings, ready=filled.result))
    try:
        fill(to_make, renderer, progress)
    except BaseException as exc:
        filled.set_exception(exc)
        raise
    filled.set_result(None)
    return conversion


def convert(to_make: Sequence[ToMake], progress: Progress, settings: ConvertSettings | None = None) -> None:
    """Every document of every batch in one run of the LibreOffice workers, then into the cache."""
    from packgen.office.batches import convert_documents
    from packgen.office.convert import DEFAULT_SETTINGS

    # Joined only within a pack, so a pack's PDFs are the same whichever packs are built with it.
    convert_documents(
        [(f"{m.cache.out.name}/{m.spec.template}", m.docx, m.pdf) for m in to_make],
        settings or DEFAULT_SETTINGS,
        on_progress=lambda done, total: progress("convert", done, total),
    )
    for m in to_make:
        if m.key is not None:
            m.cache.store(m.key, m.docx, m.pdf)


def publish(made: Sequence[Produced], stage: Path, out: Path) -> list[Produced]:
    """Move finished documents from the staging folder to their places in ``out``."""
    published = []
    for item in made:
        docx = out / f"{item.spec.stem}.docx"
        pdf = out / f"{item.spec.stem}.pdf"
        if (item.docx, item.pdf) == (docx, pdf):  # left in place: as the last build wrote it
            published.append(item)
            continue
        private_dirs(docx.parent)
        os.replace(item.docx, docx)
        os.replace(item.pdf, pdf)
        published.append(Produced(item.spec, docx, pdf))
    return published


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A private folder beside the output, on the same file system so moves out of it are atomic. One a
    killed run left behind is removed (see files.run_folder)."""
    private_dirs(out)
    with exclusive(out, f"the output for {out.name}"), run_folder(".staging-", out) as stage:
        yield stage


def quiet(step: str, done: int, total: int) -> None:
    """No progress reports wanted."""
