"""packgen: alternative provision evidence packs for English schools.

The public library API, for a trust's own scripts as much as for packgen's command line and web page::

    import packgen

    school = packgen.load_school("data/brookfield-academy")   # typed records, or DataError
    for finding in packgen.check(school):                      # readiness findings, worst first
        print(finding.severity, finding.message)
    built = packgen.build("data/brookfield-academy", "output") # the evidence pack (PackBuilt)
    packgen.agreement("data/brookfield-academy", "p01", "output")
    packgen.letters("data/brookfield-academy", "output")

Every error packgen raises on purpose is a ``packgen.PackgenError``: ``DataError`` lists every
problem in the records (file, key, what is wrong), ``InputError`` a request that cannot be met,
``ToolError`` something missing on the machine (LibreOffice, say).

The library never prints and never imports click or Flask. Names are imported when first used, so
``import packgen`` costs next to nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from packgen.build.making import Produced
    from packgen.build.planning import PackOptions
    from packgen.build.publishing import PackBuilt
    from packgen.documents.wording import Wording
    from packgen.readiness.rules import Finding
    from packgen.records.school_data import SchoolData

# Exported names and where they live; each module is imported on first use (see __getattr__).
_LAZY = {
    "PackgenError": "packgen.errors",
    "DataError": "packgen.errors",
    "InputError": "packgen.errors",
    "ToolError": "packgen.errors",
    "Problem": "packgen.errors",
    "SchoolData": "packgen.records.school_data",
    "Finding": "packgen.readiness.rules",
    "PackOptions": "packgen.build.planning",
    "PackBuilt": "packgen.build.publishing",
    "Produced": "packgen.build.making",
    "DEFAULT_TEMPLATES": "packgen.documents",
}

__all__ = ["__version__", "load_school", "check", "build", "agreement", "letters", "wording", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'packgen' has no attribute {name!r}")


def load_school(folder: str | Path) -> SchoolData:
    """Read a school folder (school.yaml, providers/, pupils/) into typed records.

    Raises ``DataError`` naming every problem in every file at once (file, line, key, what is wrong).
    """
    from packgen.records.read import load_school as load

    return load(Path(folder))


def check(school: SchoolData, today: date | None = None) -> list[Finding]:
    """The inspection-readiness findings for a loaded school on ``today`` (default: today), worst first."""
    from packgen.readiness.rules import assess

    return assess(school, today or date.today())


def build(
    folders: str | Path | list[str | Path],
    out: str | Path = "output",
    *,
    templates: str | Path | None = None,
    today: date | None = None,
    options: PackOptions | None = None,
) -> PackBuilt | list[PackBuilt]:
    """Build the evidence pack of one school folder (a ``PackBuilt``), or of several (a list, sharing one
    pool of LibreOffice workers). Only what changed since the last build is made again.
    ``options``: ``PackOptions`` (encrypt, redact, skip bad evidence)."""
    from packgen.build import pipeline

    many = isinstance(folders, list)
    packs = pipeline.build_packs(
        [Path(f) for f in folders] if isinstance(folders, list) else [Path(folders)],
        Path(out),
        templates=Path(templates) if templates else pipeline.DEFAULT_TEMPLATES,
        today=today,
        options=options or pipeline.PackOptions(),
    )
    return packs if many else packs[0]


def agreement(
    folder: str | Path,
    pupil_id: str,
    out: str | Path = "output",
    *,
    templates: str | Path | None = None,
    now: datetime | None = None,
) -> Produced:
    """The commissioning agreement of one pupil, as .docx and .pdf under ``out/<school>/agreements/``."""
    from packgen.build import single
    from packgen.documents import DEFAULT_TEMPLATES

    return single.build_agreement(
        Path(folder),
        pupil_id,
        Path(out),
        now=now,
        templates=Path(templates) if templates else DEFAULT_TEMPLATES,
    )


def letters(
    folder: str | Path,
    out: str | Path = "output",
    *,
    provider_id: str | None = None,
    templates: str | Path | None = None,
    now: datetime | None = None,
) -> list[Produced]:
    """The Appendix 4 assurance letter of every provider (or one), as .docx and .pdf under
    ``out/<school>/letters/``. Sending them is ``packgen.mail.send``'s job."""
    from packgen.build import single
    from packgen.documents import DEFAULT_TEMPLATES

    return single.build_letters(
        Path(folder),
        Path(out),
        provider_id=provider_id,
        now=now,
        templates=Path(templates) if templates else DEFAULT_TEMPLATES,
    )


def wording(templates: str | Path | None = None) -> Wording:
    """The words a templates folder's labels.yaml gives the records' codes (what forms and pages show)."""
    from packgen.documents import DEFAULT_TEMPLATES
    from packgen.documents.wording import LABELS_FILE, load_wording

    return load_wording(Path(templates or DEFAULT_TEMPLATES) / LABELS_FILE)
