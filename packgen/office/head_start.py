"""A LibreOffice started before anyone knows which documents it will convert (see HeadStart)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from contextlib import ExitStack
from pathlib import Path

from packgen.files import run_folder
from packgen.office.profiles import Profiles
from packgen.office.soffice import find_soffice, kill, launch, make_folders
from packgen.runtime.workers import MAX_WORKERS

# A head start's LibreOffice is told of this many documents to come (an edit makes a handful; more
# than there are costs it well under a millisecond each).
HEAD_START_PLACES = 16
# How long a head start's LibreOffice may take to close down once the build is done.
CLOSING_SECONDS = 10.0
# What a head start converts before its documents are there (see HeadStart).
WARM_UP = "warm-up.docx"


class HeadStart:
    """A LibreOffice started before anyone knows which documents it will convert.

    A rebuild after an edit learns which few documents to make only once it has read the records
    and looked up every document's key (0.1 s at 30 pupils), and LibreOffice takes 0.1 s to start
    and 0.15 s more for its first document (loading Writer, its Word import and its PDF export). So
    this starts one at once, told to convert a small document of its own first and then
    ``places``: paths that lead nowhere yet. A conversion given it (ConvertSettings.head_start) links
    them to its first documents. A document not yet written, or not yet linked, when LibreOffice reaches
    it is simply converted by a LibreOffice started afterwards, as if there had been no head start
    (so a late one costs only the processor time of one start, on a core that was idle).

    Use as a context manager. Leaving it waits for its LibreOffice to end (it closes down once its
    documents are converted, and the pack is written meanwhile), stopping it if it takes too long or
    at once on Ctrl-C, and removes its folder.
    """

    def __init__(self, soffice: str | None = None, places: int = HEAD_START_PLACES):
        self.program = find_soffice(soffice)
        self.adopted = False
        with ExitStack() as stack:
            self.work = Path(stack.enter_context(run_folder("packgen-convert-")))
            self.profiles = stack.enter_context(Profiles(self.work, limit=4 * MAX_WORKERS, program=self.program))
            self.folder = self.work / "run0"
            make_folders(self.folder)
            warm_up = self.folder / WARM_UP
            warm_up.write_bytes(_warm_up_document())
            self.places = [self.folder / "in" / f"{index:05d}.docx" for index in range(places)]
            self.process = launch(self.program, self.profiles.take(0), self.folder, [warm_up, *self.places])
            self._cleanup = stack.pop_all()

    def __enter__(self) -> HeadStart:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        with self._cleanup:
            # Killed while it starts, a LibreOffice may leave its profile half written; one never given
            # documents ends by itself within a second (Ctrl-C does not wait for it).
            if kind is None or issubclass(kind, Exception):
                try:
                    self.process.wait(CLOSING_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            kill(self.process)


def _warm_up_document() -> bytes:
    """The smallest Word document that makes LibreOffice load all it needs for ours: a line of text
    in the font they use, in regular and bold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as docx:
        for name, xml in _WARM_UP_PARTS.items():
            docx.writestr(name, xml)
    return out.getvalue()


_WARM_UP_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>",
    "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/></w:rPr><w:t>Aa</w:t></w:r>'
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/><w:b/></w:rPr>'
    "<w:t>Bb</w:t></w:r></w:p></w:body></w:document>",
}
