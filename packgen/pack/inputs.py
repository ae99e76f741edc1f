"""Reading the documents into the pack: each PDF's pages copied in, and checked for damage while the file
can still be named. An input's reader is closed as soon as its pages are copied."""

from __future__ import annotations

from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, NameObject, StreamObject

from packgen.errors import InputError, PackgenError
from packgen.records.evidence import open_pdf


def append_pdf(writer: PdfWriter, pdf: Path, at: int | None = None, check: bool = True) -> int:
    """Add the PDF's pages at the end, or before page ``at``; how many pages it has. With ``check``,
    every page's drawing is decoded once, to find damage."""
    start = len(writer.pages) if at is None else at
    try:
        # Closing the reader drops its copy of the file and the objects it parsed, which the
        # writer has cloned by then.
        # Another's PDF is read only once it is known to be a file that does not inflate without end.
        with open_pdf(pdf) if check else PdfReader(pdf) as reader:
            # Many PDFs are "protected" only against editing, with an empty password to open them.
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(f"{pdf}: the PDF needs a password to open; save an unprotected copy")
            if len(reader.pages) == 0:
                raise InputError(f"{pdf}: the PDF has no pages")
            count = len(reader.pages)
            writer.merge(at, reader, import_outline=False)
        # The writer keeps every reader it cloned from, for clones still to come; there are none.
        writer.reset_translation(reader)
    except PackgenError:
        raise
    except OSError as exc:
        raise InputError(f"{pdf}: cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of error, not only its own
        raise InputError(f"{pdf}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not check:
        return count
    # The pages' drawing is copied as it is, still encoded; decoding it once here finds damage
    # while the file can still be named, rather than in a reader's hands. (A stream's own
    # get_data() would keep the decoded copy in memory.) An eighth of the time reading takes.
    try:
        for index in range(start, start + count):
            for part in content_parts(writer.pages[index]):
                if NameObject("/Filter") in part.get_object():
                    decode_stream_data(part.get_object())
    except Exception as exc:
        raise InputError(f"{pdf}: a page of this PDF is damaged ({type(exc).__name__}: {exc})") from exc
    return count


def content_parts(page: PageObject) -> list:
    """The page's content streams (references to them), in drawing order."""
    contents = page.get(NameObject("/Contents"))
    if contents is None:  # a blank page may have no content at all
        return []
    resolved = contents.get_object()
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return [contents] if isinstance(resolved, StreamObject) else []
