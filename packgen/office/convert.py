"""Word documents to PDF: the office layer's way in. Which documents, and the settings a conversion
runs with (ConvertSettings); the work is shared among a pool of LibreOffice workers (pool.py).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from packgen.errors import InputError, ToolError, storage_error
from packgen.files import private_dirs, run_folder
from packgen.office.head_start import HeadStart
from packgen.office.pool import Pool, Progress
from packgen.office.profiles import Profiles
from packgen.office.soffice import find_soffice
from packgen.runtime.workers import MAX_WORKERS, default_workers

DEFAULT_TIMEOUT = 60.0  # seconds for one document, LibreOffice's start included


@dataclass(frozen=True)
class ConvertSettings:
    """How a conversion runs, as opposed to what it converts: made once by the caller and handed down
    unchanged through every layer that converts (the build, batches.convert_documents, convert).

    ``workers``: LibreOffice processes side by side (default: one per core, at most MAX_WORKERS,
    never more than there are documents). ``timeout``: seconds a worker may go without finishing a
    document before it is killed (default: $PACKGEN_SOFFICE_TIMEOUT, else DEFAULT_TIMEOUT).
    ``soffice``: the LibreOffice program (see find_soffice). ``ready`` and ``head_start``: see convert.

    Progress is not among them: it is the caller's reporting, not a setting of the conversion, and each
    layer reports it in its own terms (batches turns joined documents back into documents, the build
    names its step), so it is passed beside the settings as a callback each layer wraps.
    """

    workers: int | None = None
    timeout: float | None = None
    soffice: str | None = None
    ready: Callable[[], None] | None = None
    head_start: HeadStart | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"workers must be at least 1, not {self.workers}")


DEFAULT_SETTINGS = ConvertSettings()


def convert_to_pdf(
    docx_files: Sequence[Path],
    out_dir: Path,
    *,
    base: Path | None = None,
    settings: ConvertSettings = DEFAULT_SETTINGS,
    on_progress: Progress | None = None,
) -> list[Path]:
    """Convert Word documents to PDF; return the PDFs' paths in the order of ``docx_files``.

    Where each PDF goes:
      - without ``base``: ``out_dir / "<stem>.pdf"`` (``letters/p01.docx`` -> ``out_dir/p01.pdf``);
      - with ``base``: the document's path relative to ``base``, under ``out_dir``
        (``base/letters/p01.docx`` -> ``out_dir/letters/p01.pdf``). Pass ``base=out_dir`` to put
        each PDF beside its document.
    Documents whose PDFs would land on the same path (``letters/p01.docx`` and
    ``agreements/p01.docx`` without ``base``) are refused with InputError before anything runs.
    The rest is as ``convert``.
    """
    docs = [Path(p) for p in docx_files]
    targets = _targets(docs, Path(out_dir), base)
    convert(list(zip(docs, targets)), settings, on_progress=on_progress)
    return targets


def convert(
    pairs: Sequence[tuple[Path, Path]],
    settings: ConvertSettings = DEFAULT_SETTINGS,
    *,
    on_progress: Progress | None = None,
) -> None:
    """Convert each (Word document, PDF to write) pair, the documents shared among the workers
    (how many, how long each may take, which LibreOffice: ``settings``).

    ``on_progress(done, total)`` is called from this thread as documents are finished.

    All or nothing: if a document fails twice, ToolError names it with the end of LibreOffice's
    own log, and no PDF is written. PDFs are written mode 0600 and new folders 0700: they hold
    children's personal data.

    With ``settings.ready``, the documents are still being written, each in one step (files.replacing),
    in the order given: one LibreOffice starts at once, its start (0.2 s) overlapping their
    writing, and takes them in that order. ``ready()`` returns once all are written, or raises
    why they will not be; it is called before any other start and before this returns. A document
    not yet there when LibreOffice reached it is simply given to it again, not counted as a failure.

    With ``settings.head_start`` (see HeadStart), its LibreOffice, started earlier, takes the first
    documents.
    """
    ready, head_start = settings.ready, settings.head_start
    docs = [Path(doc) for doc, _ in pairs]
    if not docs:
        if ready is not None:
            ready()
        return
    for doc in docs if ready is None else ():
        if not doc.is_file():
            raise InputError(f"{doc}: no such document to convert")
    targets = Counter(Path(target) for _, target in pairs)
    if max(targets.values()) > 1:
        raise InputError(f"two documents would both become {targets.most_common(1)[0][0]}")
    if head_start is not None and head_start.adopted:
        head_start = None  # spent: its LibreOffice has had its documents
    program = head_start.program if head_start is not None else find_soffice(settings.soffice)
    limit = _document_timeout(settings.timeout)
    count = min(settings.workers or default_workers(), len(docs))
    try:
        with ExitStack() as stack:
            if head_start is None:
                work = Path(stack.enter_context(run_folder("packgen-convert-")))
                profiles = stack.enter_context(Profiles(work, limit=4 * MAX_WORKERS, program=program))
            else:
                work, profiles = head_start.work, head_start.profiles
            pool = Pool(program, work, count, limit, docs, on_progress, profiles, ready)
            produced = pool.run(head_start)
            for index, (_, target) in enumerate(pairs):
                produced[index].chmod(0o600)
                private_dirs(Path(target).parent)
                shutil.move(produced[index], target)
    except OSError as exc:  # a full disk, an unwritable output folder
        raise storage_error(exc) or ToolError(f"converting to PDF failed: {exc}") from exc


def _targets(docs: list[Path], out_dir: Path, base: Path | None) -> list[Path]:
    targets: list[Path] = []
    seen: dict[Path, Path] = {}
    for doc in docs:
        if not doc.is_file():
            raise InputError(f"{doc}: no such document to convert")
        if base is None:
            name = Path(doc.stem + ".pdf")
        else:
            try:
                name = doc.resolve().relative_to(Path(base).resolve()).with_suffix(".pdf")
            except ValueError:
                raise InputError(f"{doc}: is not inside {base}") from None
        target = out_dir / name
        if target in seen:
            raise InputError(
                f"{seen[target]} and {doc} would both become {target}; give documents distinct "
                "names, or pass base= to keep their folders"
            )
        seen[target] = doc
        targets.append(target)
    return targets


def _document_timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    setting = os.environ.get("PACKGEN_SOFFICE_TIMEOUT")
    if not setting:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(setting)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ToolError(f"PACKGEN_SOFFICE_TIMEOUT must be a number of seconds above 0, not {setting!r}")
    return seconds
