"""Evidence scans that records attach (signed agreements, returned letters): checked before a build.

The loader already knows each path is a PDF file inside the school folder; here each one is opened as the
pack will open it, so a damaged, password-protected, empty or oversized scan is reported by name, with the
record and key that attach it, before any document is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from packgen.errors import Problem
from packgen.records.models import SchoolData

MAX_BYTES = 50 * 1024 * 1024  # a scan larger than this makes a pack too big to e-mail or upload


@dataclass(frozen=True)
class BadEvidence:
    record: str   # the record file that attaches it, relative to the school folder
    key: str      # the key holding the path
    path: str     # the evidence path as written in the record
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
    return [BadEvidence(record, key, path, reason) for record, key, path in attached(data)
            if (reason := unreadable(folder / path))]


def problems(bad: list[BadEvidence]) -> list[Problem]:
    """The bad scans as data problems: the record and key that attach each, and what is wrong with it."""
    return [Problem(b.record, b.key, f"'{b.path}' {b.reason} (or build with --skip-bad-evidence)") for b in bad]


def unreadable(pdf: Path) -> str | None:
    """Why ``pdf`` cannot go into a pack, or None when it can."""
    try:
        size = pdf.stat().st_size
        if size > MAX_BYTES:
            return f"is {size / 1024 / 1024:.0f} MB, too big for a pack (save a copy under {MAX_BYTES // 1024 // 1024} MB)"
        with open(pdf, "rb") as handle:
            if handle.read(5) != b"%PDF-":
                return "is not a PDF: scan or save it as PDF"
        reader = PdfReader(pdf)
        # Many PDFs are "protected" only against editing, with an empty password to open them.
        if reader.is_encrypted and not reader.decrypt(""):
            return "needs a password to open (save an unprotected copy)"
        if len(reader.pages) == 0:
            return "has no pages"
        for page in reader.pages:
            page.get_contents()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of error, not only its own
        return f"is not a readable PDF ({type(exc).__name__})"
    return None


def without(data: SchoolData, bad: list[BadEvidence]) -> SchoolData:
    """``data`` with the bad scans no longer attached, so the pack is built from the rest."""
    paths = {b.path for b in bad}
    providers = {
        pid: p.model_copy(update={"assurance": p.assurance.model_copy(update={"evidence": None})})
        if p.assurance.evidence in paths else p
        for pid, p in data.providers.items()
    }
    pupils = {}
    for pid, record in data.pupils.items():
        agreement = record.placement.agreement
        if agreement.evidence in paths:
            placement = record.placement.model_copy(update={"agreement": agreement.model_copy(update={"evidence": None})})
            record = record.model_copy(update={"placement": placement})
        pupils[pid] = record
    return data.model_copy(update={"providers": providers, "pupils": pupils})
