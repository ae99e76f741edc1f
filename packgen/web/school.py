"""The school a page shows, and its readiness findings: kept between requests, never stale.

Office staff edit the record files by hand as well as through the forms, and a build or another
packgen may write them, so every request must see the files as they are now. Reading and checking
every record again on every page cost time in proportion to the school; instead the app keeps the
records and findings (records/school_cache.py, readiness/kept.py), and each request looks at the
files' status and re-reads only those that changed. Pages call ``school_data()`` and
``school_findings()``, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from packgen.readiness.kept import KeptFindings
from packgen.readiness.rules import Finding
from packgen.records.school_cache import SchoolCache
from packgen.web.app import today


@dataclass
class KeptSchool:
    """What the app keeps of its school folder between requests."""

    folder: Path
    records: SchoolCache = field(init=False)
    findings: KeptFindings = field(default_factory=KeptFindings)

    def __post_init__(self) -> None:
        self.records = SchoolCache(self.folder)


def school_findings() -> list[Finding]:
    """Every readiness finding for the healthy records as they are now, worst first (as ``rules.assess``)."""
    from packgen.web.views import school_data

    return kept_school().findings.assess(school_data(), today())


def kept_school() -> KeptSchool:
    """What the app keeps of its school folder (records and findings), checked against the files on use."""
    return current_app.extensions["packgen_school"]
