"""Evidence scans that records attach (signed agreements, returned letters): checked before a build.

The loader already knows each path is a PDF file inside the school folder; here each one is opened as the
pack will open it, so a damaged, password-protected, empty or oversized scan is reported by name, with the
record and key that attach it, before any document is made.

A PDF's size says little about the memory it takes: compressed drawing inflates a thousandfold, and pypdf,
though it bounds each stream, keeps what it decodes. ``open_pdf`` reads only an ordinary file, and counts
what its streams inflate to, a little at a time, before pypdf decodes any of them.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, IndirectObject, NameObject, StreamObject

from packgen._compat.pypdf import stored_data
from packgen.errors import InputError, Problem
from packgen.files import NotReadable, read_regular
from packgen.records.school_data import SchoolData

MAX_BYTES = 50 * 1024 * 1024  # a scan larger than this makes a pack too big to e-mail or upload
# What a PDF's drawing, fonts and object streams may inflate to (images, never decoded, count as stored).
# Real scans and documents stay far below; a pack holds one input's objects at a time.
MAX_DECODED = 200 * 1024 * 1024
MAX_OBJECTS = 200_000  # a thousand-page scan has a few thousand
_CHUNK = 1024 * 1024
_FLATE = {"/FlateDecode", "/Fl"}


@dataclass(frozen=True)
class BadEvidence:
    record: str  # the record file that attaches it, relative to the school folder
    key: str  # the key holding the path
    path: str  # the evidence path as written in the record
    reason: str


def attached(data: SchoolData) -> Iterator[tuple[str, str, str]]:
    """(record file, key, evidence path) for every scan the records attach."""
    for pid, provider in data.providers.items():
        if provider.assurance.evidence:
            yield f"providers/{pid}.yaml", "assurance.evidence", provider.assurance.evidence
    for pid, record in data.pupils.items():
        if record.placement.agreement.evidence:
            yield f"pupils/{pid}.yaml", "placement.agreement.evidence", record.placement.agreement.evidence


def bad_evidence(data: SchoolData) -> list[BadEvidence]:
    folder = Path(data.folder)
    return [
        BadEvidence(record, key, path, reason)
        for record, key, path in attached(data)
        if (reason := unreadable(folder / path))
    ]


def problems(bad: list[BadEvidence]) -> list[Problem]:
    """The bad scans as data problems: the record and key that attach each, and what is wrong with it."""
    return [Problem(b.record, b.key, f"'{b.path}' {b.reason} (or build with --skip-bad-evidence)") for b in bad]


def unreadable(pdf: Path) -> str | None:
    """Why ``pdf`` cannot go into a pack, or None when it can."""
    try:
        reader = open_pdf(pdf)
        if len(reader.pages) == 0:
            return "has no pages"
        for page in reader.pages:
            for part in _content_parts(page):
                if NameObject("/Filter") in part:
                    decode_stream_data(part)  # not get_contents(), which keeps what it decodes
    except UnusablePdf as exc:
        return exc.reason
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of error, not only its own
        return f"is not a readable PDF ({type(exc).__name__})"
    return None


class UnusablePdf(InputError):
    """A PDF that cannot be read safely; ``reason`` says why, the message names the file too."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def open_pdf(pdf: Path, limit: int = MAX_BYTES) -> PdfReader:
    """A reader of ``pdf``, once it is known to be an ordinary file of at most ``limit`` bytes that
    inflates to no more than MAX_DECODED; UnusablePdf otherwise. Damage is pypdf's to find."""
    try:
        data = read_regular(
            pdf,
            limit,
            lambda size: (
                f"is {size / 1024 / 1024:.0f} MB, too big for a pack (save a copy under {limit // 1024 // 1024} MB)"
            ),
        )
    except NotReadable as exc:
        raise UnusablePdf(pdf, exc.reason) from None
    if not data.startswith(b"%PDF-"):
        raise UnusablePdf(pdf, "is not a PDF: scan or save it as PDF")
    reader = PdfReader(io.BytesIO(data))
    del data
    # Many PDFs are "protected" only against editing, with an empty password to open them.
    if reader.is_encrypted and not reader.decrypt(""):
        raise UnusablePdf(pdf, "needs a password to open (save an unprotected copy)")
    objects = [
        IndirectObject(number, generation, reader) for generation, numbers in reader.xref.items() for number in numbers
    ]
    if len(objects) + len(reader.xref_objStm) > MAX_OBJECTS:
        raise UnusablePdf(
            pdf,
            f"has more than {MAX_OBJECTS:,} objects, far more than a scan or document: save or print it to a new PDF",
        )
    # The streams holding other objects first: reading any object may make pypdf decode one of them.
    holders = {number for number, _ in reader.xref_objStm.values()}
    objects.sort(key=lambda ref: ref.idnum not in holders)
    left = MAX_DECODED
    for ref in objects:
        obj = ref.get_object()
        if isinstance(obj, StreamObject):
            left -= _decoded_size(obj, left)
            if left < 0:
                raise UnusablePdf(
                    pdf,
                    f"inflates to more than {MAX_DECODED // 1024 // 1024} MB when opened, "
                    "far more than a scan or document (a damaged or hostile file): "
                    "print it to a new PDF, or ask for another copy",
                )
    return reader


def _decoded_size(stream: StreamObject, budget: int) -> int:
    """What ``stream`` decodes to, counted up to a little past ``budget`` without keeping it."""
    data = stored_data(stream)
    filters = stream.get(NameObject("/Filter"))
    filters = filters.get_object() if filters is not None else []
    names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)]
    if not filters or stream.get("/Subtype") == "/Image":  # images are copied as stored, never decoded
        return len(data)
    if not all(name in _FLATE for name in names):
        try:  # rarer filters: pypdf bounds each stream it decodes, and nothing here keeps it
            return len(decode_stream_data(stream))
        except Exception:  # damage: pypdf's to report, once the file is known not to be a bomb
            return len(data)
    return _inflated_size(data, len(names), budget)


def _inflated_size(data: bytes, layers: int, budget: int) -> int:
    """The size of ``data`` inflated ``layers`` times over, counted chunk by chunk, stopping past ``budget``."""
    inflaters = [zlib.decompressobj() for _ in range(layers)]
    total = 0

    def feed(level: int, piece: bytes) -> None:
        nonlocal total
        inflater = inflaters[level]
        while piece and total <= budget:
            try:
                out = inflater.decompress(piece, _CHUNK)
            except zlib.error:
                return  # damage: pypdf's to report, once it is known not to be a bomb
            piece = inflater.unconsumed_tail
            if level + 1 == layers:
                total += len(out)
            else:
                feed(level + 1, out)
            if not out:
                return

    feed(0, data)
    return total


def _content_parts(page) -> list[StreamObject]:
    """The page's content streams, resolved."""
    contents = page.get(NameObject("/Contents"))
    if contents is None:
        return []
    contents = contents.get_object()
    parts = [part.get_object() for part in contents] if isinstance(contents, ArrayObject) else [contents]
    return [part for part in parts if isinstance(part, StreamObject)]


def without(data: SchoolData, bad: list[BadEvidence]) -> SchoolData:
    """``data`` with the bad scans no longer attached, so the pack is built from the rest."""
    paths = {b.path for b in bad}
    providers = {
        pid: p.model_copy(update={"assurance": p.assurance.model_copy(update={"evidence": None})})
        if p.assurance.evidence in paths
        else p
        for pid, p in data.providers.items()
    }
    pupils = {}
    for pid, record in data.pupils.items():
        agreement = record.placement.agreement
        if agreement.evidence in paths:
            placement = record.placement.model_copy(
                update={"agreement": agreement.model_copy(update={"evidence": None})}
            )
            record = record.model_copy(update={"placement": placement})
        pupils[pid] = record
    return data.model_copy(update={"providers": providers, "pupils": pupils})
