"""The evidence pack, top to bottom: load → plan → look up or make documents → assemble → publish.

Every school asked for is loaded and planned (planning.py) before anything is written; its documents
are found or made in a private staging folder beside the output (making.py); the pack is assembled
there; and only once every pack is whole are they moved into place with a note of what they were made
from (publishing.py). A failed run leaves whatever was there before exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.build.cache import built_before, documents_in_place, pack_inputs, pages_in_pack
from packgen.build.making import (
    Batch,
    Made,
    Progress,
    convert,
    fill,
    fill_while_converting,
    look_up,
    quiet,
    staging,
)
from packgen.build.planning import (
    DEFAULT_OPTIONS,
    PackOptions,
    PackPlan,
    generated,
    out_name,
    pack_tree,
    plan_pack,
    stamp,
)
from packgen.build.publishing import PACK_NAME, PackBuilt, as_last_built, publish_pack
from packgen.documents import DEFAULT_TEMPLATES
from packgen.errors import InputError, ToolError
from packgen.runtime.collection import fewer_collections

# Filling, converting and assembling bring pydantic, docxtpl, pypdf and reportlab: imported where they
# are used, so a build with nothing to do (every pack up to date) never loads them.
if TYPE_CHECKING:
    from packgen.office.head_start import HeadStart
    from packgen.pack.assemble import PackResult

__all__ = ["DEFAULT_TEMPLATES", "PACK_NAME", "PackBuilt", "PackOptions", "Progress", "build_pack", "build_packs"]

# A build that makes at most one in this many of a pack's documents reads the others into the pack
# while LibreOffice converts: a rebuild after an edit (see build_packs).
OVERLAP_SHARE = 4


def build_pack(
    folder: Path,
    out_root: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
    today: date | None = None,
    on_progress: Progress | None = None,
    options: PackOptions = DEFAULT_OPTIONS,
) -> PackBuilt:
    """The evidence pack. ``now`` is when it was made (the contents page says so, the cover and the
    register give its day); ``today`` (default: now's date) is the day
    the records are judged on, so a pack built for a given day always holds the same findings.
    What is redone on a rebuild, and ``on_progress``: see ``build_packs``."""
    return build_packs(
        [folder], out_root, templates=templates, now=now, today=today, on_progress=on_progress, options=options
    )[0]


def build_packs(
    folders: Sequence[Path],
    out_root: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
    today: date | None = None,
    on_progress: Progress | None = None,
    options: PackOptions = DEFAULT_OPTIONS,
) -> list[PackBuilt]:
    """One evidence pack per school folder, in order; all their documents share one pool of LibreOffice
    workers.

    A pack whose inputs (every file of its school folder and of ``templates``, packgen, the days) are
    as when it was last built, and whose files are as that build left them, is left alone
    (``up_to_date``; its contents page keeps the time it was made). Otherwise each document found in the
    cache is reused and only the others are rendered and converted. Every school is loaded before
    anything is written, so a data problem in one stops them all. An encrypted pack is always made
    again (the password is never stored to compare); a redacted one goes to ``<school>-redacted``.
    """
    with fewer_collections():
        return _build_packs(folders, out_root, templates, stamp(now), today, on_progress or quiet, options)


@dataclass(frozen=True)
class _Planned:
    """A school's pack to build: its place among the folders asked for, its inputs' digest, its plan."""

    number: int
    inputs: str
    plan: PackPlan


def _build_packs(
    folders: Sequence[Path],
    out_root: Path,
    templates: Path,
    now: datetime,
    today: date | None,
    progress: Progress,
    options: PackOptions,
) -> list[PackBuilt]:
    today = today or now.date()
    names = [out_name(Path(folder).resolve().name, options) for folder in folders]
    if len(set(names)) < len(names):
        raise InputError(
            "two of the school folders have the same name, so their packs would overwrite each "
            "other in the output folder; build them one at a time with different --out folders"
        )
    results: dict[int, PackBuilt] = {}
    to_build: list[tuple[int, Path, str]] = []
    for number, (folder, name) in enumerate(zip(folders, names)):
        out = Path(out_root) / name
        inputs = pack_inputs(folder, templates, (now.date(), today), skip=Path(out_root))
        # An encrypted pack is noted as such, so a later plain build never takes it as up to date.
        inputs += f"-redacted={options.redact}-skip={options.skip_bad_evidence}-encrypted={bool(options.password)}"
        built = None if options.password else as_last_built(out, inputs)
        if built is not None:
            results[number] = built
        else:
            to_build.append((number, Path(folder), inputs))

    if not to_build:
        return [results[number] for number in range(len(folders))]

    with ExitStack() as stack:
        # A pack built before is most likely rebuilt after an edit: a few documents to make. Its
        # LibreOffice starts before filling and reading are even imported.
        head_start = (
            _head_start(stack) if len(to_build) == 1 and built_before(Path(out_root) / names[to_build[0][0]]) else None
        )
        from packgen.documents.fill import Renderer
        from packgen.records.read import load_school

        plans = [
            _Planned(number, inputs, plan_pack(load_school(folder), Path(out_root), now, today, options))
            for number, folder, inputs in to_build
        ]
        stages = [stack.enter_context(staging(p.plan.out)) for p in plans]
        renderer = Renderer(templates)
        made_at = generated(renderer.words, now)
        made, to_make = look_up(
            [Batch(p.plan.specs, stage, p.plan.out, documents_in_place(p.plan.out)) for p, stage in zip(plans, stages)],
            renderer,
        )
        if len(plans) == 1 and to_make and len(to_make) * OVERLAP_SHARE <= len(plans[0].plan.specs):
            # A rebuild that makes a few documents: the pack reads the others while LibreOffice works.
            # Leaving the pool waits for its thread, so LibreOffice never writes into a removed folder.
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="packgen-convert"))
            conversion = fill_while_converting(pool, to_make, renderer, progress, head_start)
            packs = [
                _assemble(
                    plans[0].plan,
                    made[0],
                    stages[0],
                    made_at,
                    progress,
                    pending={m.pdf for m in to_make},
                    wait=conversion.result,
                )
            ]
        else:
            if head_start is not None:  # too much to make for one LibreOffice: the pool's start
                head_start.stop_waiting()
            fill(to_make, renderer, progress)
            convert(to_make, progress)
            # Every pack is assembled before any is published: one that fails leaves all as they were.
            packs = [_assemble(p.plan, batch, stage, made_at, progress) for p, stage, batch in zip(plans, stages, made)]
        for p, stage, batch, pack in zip(plans, stages, made, packs):
            results[p.number] = publish_pack(p.plan, batch, stage, pack, p.inputs)
    return [results[number] for number in range(len(folders))]


def prepare() -> None:
    """Import now what a build that makes documents needs (filling, converting, assembling), which a
    build with nothing to do never loads: for a process that will build again, such as
    ``packgen build --watch``, so that its next build does not pay for it."""
    import packgen.build.parallel_fill
    import packgen.documents.fill
    import packgen.office.convert
    import packgen.pack.assemble
    import packgen.records.read  # noqa: F401


def _assemble(
    plan: PackPlan,
    batch: Made,
    stage: Path,
    made_at: str,
    progress: Progress,
    pending: Collection[Path] = (),
    wait: Callable[[], None] | None = None,
) -> PackResult:
    """The pack from its made documents, in the staging folder (those in ``pending`` once ``wait``
    has returned: they are still being made); ``made_at``: when, in words."""
    from packgen.pack.assemble import assemble_pack
    from packgen.pack.earlier import EarlierPack

    made = {p.spec.stem: p for p in batch.produced}
    kind = "Evidence pack (redacted)" if plan.options.redact else "Evidence pack"
    # Documents unchanged since the last build are taken from the pack it left (pack/earlier.py).
    before = pages_in_pack(plan.out, PACK_NAME)
    unchanged = {
        p.pdf: before[p.spec.stem][1:]
        for p in batch.produced
        if p.spec.stem in before and before[p.spec.stem][0] == batch.keys.get(p.spec.stem) and p.pdf not in pending
    }

    def made_at_last() -> None:
        if wait is not None:
            wait()
        progress("assemble", 0, 1)  # only now, so it never interleaves with the conversion's reports

    pack = assemble_pack(
        made[plan.cover.stem].pdf,
        pack_tree(plan, made),
        stage / PACK_NAME,
        footer=f"{plan.data.school.school.name} · {kind}",
        made=made_at,
        password=plan.options.password,
        pending=pending,
        wait=made_at_last,
        ours=[p.pdf for p in batch.produced],
        earlier=EarlierPack(plan.out / PACK_NAME, unchanged) if unchanged else None,
    )
    progress("assemble", 1, 1)
    return pack


def _head_start(stack: ExitStack) -> HeadStart | None:
    """A LibreOffice started now, while the records are read (head_start.HeadStart); None if it cannot
    start: then nothing is lost but time, and a build with nothing to convert never needed it."""
    from packgen.office.head_start import HeadStart

    try:
        return stack.enter_context(HeadStart())
    except ToolError:
        return None
