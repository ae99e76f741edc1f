"""A LibreOffice started before anyone knows which documents it will convert (see HeadStart)."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from packgen.files import run_folder
from packgen.office.profiles import Profiles
from packgen.office.soffice import find_soffice, kill, launch, make_folders
from packgen.runtime.workers import MAX_WORKERS

# How many rounds of (a document of its own, a place for one of ours) a head start's LibreOffice is
# given: two command-line arguments a round, and LibreOffice 7.4 ignores those past about the 253rd
# (pool.MAX_BATCH). Each round takes it a few hundredths of a second, so together they outlast the
# slowest start of a build that has one.
HEAD_START_ROUNDS = 100
# How long a head start's LibreOffice may take to close down once the build is done.
CLOSING_SECONDS = 10.0
# What a head start converts first, and the documents it converts while it waits for ours: names
# ending in this are its own (see HeadStart).
WARM_UP = "warm-up.docx"


class HeadStart:
    """A LibreOffice started before anyone knows which documents it will convert.

    A rebuild after an edit learns which few documents to make only once it has imported what filling
    needs, read the records and looked up every document's key, and LibreOffice takes 0.1 s to start
    and 0.15 s more for its first document (loading Writer, its Word import and its PDF export). So
    this starts one at once, told to convert a small document of its own first (``warm-up.docx``:
    after it, LibreOffice is ready), then rounds of a *place*, a path that leads nowhere yet, and a
    *pacer*, another small document of its own. LibreOffice finds nothing at a place and moves on at
    once, so the pacers are what it waits on, each a few hundredths of a second, each leaving its PDF
    behind: how many of those are written says how far it has got.

    A conversion given it (ConvertSettings.head_start) ``reserve``s its first documents and ``feed``s
    each to it once it is written: linked to the first place LibreOffice cannot have reached yet (two
    rounds past the newest PDF of its own). Once the last is linked, the pacers are removed, so it goes
    straight from one document to the next and then ends. ``stop_waiting`` does the same for a head
    start nobody will use. A document it never got, because it had gone through every round first, is
    converted by a LibreOffice started afterwards, as if there had been no head start.

    Use as a context manager. Leaving it stops the waiting, waits for its LibreOffice to end (it
    closes down once its documents are converted, and the pack is written meanwhile), stopping it if it
    takes too long or at once on Ctrl-C, and removes its folder.
    """

    def __init__(self, soffice: str | None = None, rounds: int = HEAD_START_ROUNDS):
        self.program = find_soffice(soffice)
        self.adopted = False
        # Which of a conversion's documents it takes (indices), and the place each was linked to.
        self.reserved: list[int] = []
        self.given: dict[int, str] = {}
        self._seen = -1  # the newest of its own documents known to be converted: 0 the warm-up, n pacer n
        self._after = 0  # one past the last place linked
        with ExitStack() as stack:
            self.work = Path(stack.enter_context(run_folder("packgen-convert-")))
            self.profiles = stack.enter_context(Profiles(self.work, limit=4 * MAX_WORKERS, program=self.program))
            self.folder = self.work / "run0"
            make_folders(self.folder)
            warm_up = self.folder / "in" / WARM_UP
            warm_up.write_bytes(_warm_up_document())
            pacer = self.folder / _PACER
            pacer.write_bytes(_warm_up_document(_PACER_TEXT))
            # Each round's pacer has a name of its own, so its PDF says LibreOffice got that far.
            self.pacers = [self.folder / "in" / f"{n:03d}-{WARM_UP}" for n in range(1, rounds)]
            for each in self.pacers:
                os.link(pacer, each)
            self.places = [self.folder / "in" / f"{n:05d}.docx" for n in range(rounds)]
            told = [warm_up]
            for place, each in zip(self.places, self.pacers):
                told += [place, each]
            self.process = launch(self.program, self.profiles.take(0), self.folder, [*told, self.places[-1]])
            self._cleanup = stack.pop_all()

    def reserve(self, docs: Sequence[Path]) -> list[int]:
        """Take the first of ``docs`` (by index) for this LibreOffice, at most one a place; they are
        linked to its places by ``feed`` as they are written. Those it has no place left for by then
        are its to give back when it ends, together."""
        for index, doc in enumerate(docs[: len(self.places)]):
            if doc.suffix.lower() != ".docx":  # its places are Word documents' names
                break
            self.reserved.append(index)
        self.adopted = True
        return self.reserved

    def feed(self, docs: Sequence[Path]) -> None:
        """Link each reserved document written by now, in order, to the first place LibreOffice cannot
        have reached yet; once every one is linked, stop waiting."""
        place = self._first_free()
        for index in self.reserved[len(self.given) :]:
            if place >= len(self.places):
                break  # it has gone through every round: the rest are converted by another start
            if not docs[index].exists():
                return
            self.places[place].symlink_to(docs[index].resolve())
            self.given[index] = self.places[place].stem
            place = self._after = place + 1
        self.stop_waiting()

    def stop_waiting(self) -> None:
        """No more documents are coming: LibreOffice converts those it was given and ends (its
        pacers are removed, so it finds nothing more to do)."""
        for pacer in self.pacers:
            pacer.unlink(missing_ok=True)

    def _first_free(self) -> int:
        """The first place LibreOffice cannot have reached yet, and past those linked: the place after
        the next pacer's, since the pacer LibreOffice is on may be all but converted, its place next."""
        out = self.folder / "out"
        while self._seen + 1 <= len(self.pacers) and (out / _own_pdf(self._seen + 1)).exists():
            self._seen += 1
        return max(self._seen + 2, self._after)

    def __enter__(self) -> HeadStart:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        with self._cleanup:
            self.stop_waiting()
            # Killed while it starts, a LibreOffice may leave its profile half written; one never given
            # documents ends by itself within a second (Ctrl-C does not wait for it).
            if kind is None or issubclass(kind, Exception):
                try:
                    self.process.wait(CLOSING_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            kill(self.process)


def _own_pdf(number: int) -> str:
    """The PDF of the head start's own document ``number`` (0 the warm-up, then the pacers)."""
    name = WARM_UP if number == 0 else f"{number:03d}-{WARM_UP}"
    return name.removesuffix(".docx") + ".pdf"


def _warm_up_document(text: str = "Aa") -> bytes:
    """The smallest Word document that makes LibreOffice load all it needs for ours: ``text`` in the
    font they use, in regular and bold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as docx:
        for name, xml in _WARM_UP_PARTS.items():
            docx.writestr(name, xml.replace("{text}", text))
    return out.getvalue()


# A pacer is the warm-up document with a longer line: LibreOffice takes a few hundredths of a second
# over it once it runs (its layout and PDF export), which is one round's wait.
_PACER = "pacer.docx"
_PACER_TEXT = " ".join(["Aa"] * 400)

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
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/></w:rPr><w:t>{text}</w:t></w:r>'
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/><w:b/></w:rPr>'
    "<w:t>Bb</w:t></w:r></w:p></w:body></w:document>",
}
