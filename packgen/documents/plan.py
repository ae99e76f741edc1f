"""What a school yields: the documents to render, each a ``DocumentSpec`` with its template and its data.

The documents layer decides *which* documents exist and *what data* each template sees; it knows nothing
of Word, LibreOffice or PDF. Each kind is made in a module of its own (``pupils``, ``providers``,
``pack_pages``, with the shared ``context`` and ``figures``); this module gathers what the build and the
web page ask for, so they name one place.
"""

from packgen.documents.pack_pages import cover, evidence_left_out, readiness_report, register
from packgen.documents.providers import briefing, letter, provider_documents
from packgen.documents.pupils import agreement, ending, pupil_documents, summary
from packgen.documents.spec import DocumentSpec
from packgen.records.pupil_file import display_name

__all__ = [
    "DocumentSpec",
    "agreement",
    "briefing",
    "cover",
    "display_name",
    "ending",
    "evidence_left_out",
    "letter",
    "provider_documents",
    "pupil_documents",
    "readiness_report",
    "register",
    "summary",
]
