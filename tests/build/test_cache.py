"""The document cache: a rebuild redoes exactly what changed, and never serves a stale or damaged document.

The end-to-end tests use the real LibreOffice and the mini school (23 documents). One cold build is
shared: each test copies the school and its output folder (cache included), changes one thing,
rebuilds, and reads the pack back with pypdf. A wrapper around soffice records what LibreOffice was
given, so a test can tell whether it ran at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import stat
from datetime import date, datetime
from pathlib import Path
from zipfile import ZipFile

import pytest
from docx import Document
from pypdf import PdfReader

import packgen
from packgen.build.cache import CACHE_DIR, DocumentCache, Keys, forget_pack_state
from packgen.build.pipeline import DEFAULT_TEMPLATES, PACK_NAME, PackOptions, build_pack, build_packs
from packgen.documents import plan as documents
from packgen.documents.fill import Renderer
from packgen.errors import InputError, TemplateProblem
from packgen.office.head_start import WARM_UP
from packgen.records.read import load_school
from packgen.runtime.canonical import canonical
from packgen.runtime.workers import MAX_WORKERS
from tests.conftest import MINI, edit_record, logging_soffice, make_docx, run_cli

JOINED_MARK = re.compile(rb"packgenDoc[0-9]+")  # combine.py's bookmark at the start of each joined document

NOW = datetime(2026, 9, 2, 9, 30)


def pack_text(pack: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pack).pages)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def cold(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("cold")
    school = root / "mini-school"
    shutil.copytree(MINI, school)
    built = build_pack(school, root / "output", now=NOW)
    return {"root": root, "built": built}


@pytest.fixture
def rebuild(cold, tmp_path, monkeypatch):
    """A copy of the cold build's school and output; ``rebuild()`` builds it again through a soffice
    that logs each start, and ``starts()`` lists them."""
    shutil.copytree(cold["root"] / "mini-school", tmp_path / "mini-school")
    shutil.copytree(cold["root"] / "output", tmp_path / "output")  # keeps times, as a later run would see them
    log = tmp_path / "soffice-starts.log"
    given = tmp_path / "given-to-soffice"
    monkeypatch.setenv("PACKGEN_SOFFICE", str(logging_soffice(tmp_path, log, keep=given)))

    class Rebuild:
        school = tmp_path / "mini-school"
        out = tmp_path / "output" / "mini-school"
        pack = out / PACK_NAME

        def __call__(self, **options):
            return build_pack(self.school, tmp_path / "output", now=NOW, **options)

        def starts(self) -> list[str]:
            return log.read_text().splitlines() if log.exists() else []

        def documents_converted(self) -> int:
            """How many documents LibreOffice converted, counting each one joined into another (and
            not the small document of its own a LibreOffice started ahead converts first)."""
            if not given.exists():
                return 0
            return sum(
                max(1, len(set(JOINED_MARK.findall(ZipFile(docx).read("word/document.xml")))))
                if docx.stat().st_size
                else 1  # moved on before it could be copied: not joined
                for docx in given.glob("*.docx")
                if not docx.name.endswith(f"-{WARM_UP}")
            )

    return Rebuild()


def published_pdfs(out: Path, pupil_id: str) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in out.rglob(f"{pupil_id}*.pdf")}


def templates_with(tmp_path: Path, template: str, paragraph: str) -> Path:
    """A copy of the templates folder where ``template`` ends with ``paragraph``."""
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    document = Document(templates / template)
    document.add_paragraph(paragraph)
    document.save(templates / template)
    return templates


def test_a_rebuild_with_nothing_changed_leaves_the_pack_alone_and_starts_no_libreoffice(rebuild):
    before = rebuild.pack.stat().st_mtime_ns, rebuild.pack.read_bytes()

    built = rebuild()

    assert built.up_to_date and built.made == 0 and built.documents == []
    assert built.page_count == len(PdfReader(rebuild.pack).pages)
    assert (rebuild.pack.stat().st_mtime_ns, rebuild.pack.read_bytes()) == before
    assert rebuild.starts() == []


def test_editing_one_pupil_redoes_their_documents_and_the_pack_pages_only(rebuild):
    others = {**published_pdfs(rebuild.out, "p01"), **published_pdfs(rebuild.out, "p03")}
    theirs = published_pdfs(rebuild.out, "p02")
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Marlowe"))

    built = rebuild()

    text = pack_text(rebuild.pack)
    assert "Marlowe" in text and "Sandhu" not in text
    assert not built.up_to_date
    # The other pupils' documents came from the cache, byte for byte; every one of p02's was made again.
    assert {p: p.read_bytes() for p in others} == others
    assert all(p.read_bytes() != old for p, old in theirs.items())
    assert built.made < len(built.documents) / 2
    assert built.made + built.reused == 25  # 23 documents, and a briefing for each of the 2 providers


def test_an_edit_remakes_only_the_documents_that_print_what_changed(rebuild):
    # Transport is printed in the commissioning agreement and the education plan, nowhere else: the
    # reviews, visits and summary of the same pupil read other parts of the record (reads.py).
    theirs = published_pdfs(rebuild.out, "p02")
    edit_record(
        rebuild.school / "pupils" / "p02.yaml",
        lambda r: r["placement"].update(transport="Minibus from the school gates at 8.15."),
    )

    built = rebuild()

    changed = {p.relative_to(rebuild.out).as_posix() for p, old in theirs.items() if p.read_bytes() != old}
    assert changed == {"agreements/p02.pdf", "education-plans/p02.pdf"}
    assert built.made == 2 and rebuild.documents_converted() == 2
    for pdf in changed:
        assert "Minibus from the school gates" in pdf_text(rebuild.out / pdf)
    assert pack_text(rebuild.pack).count("Minibus from the school gates") == 2
    # The pack was built before, so LibreOffice was started ahead, while the records were read.
    assert WARM_UP in rebuild.starts()[0]


def test_the_cover_and_register_give_the_day_and_the_contents_page_the_time(rebuild, tmp_path):
    # An edit later the same day remakes only what prints the change: the cover and the register are
    # dated by the day, so they stay; the contents page, drawn for every pack, says when it was made.
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["placement"].update(transport="Minibus at 8.15."))

    built = build_pack(rebuild.school, tmp_path / "output", now=NOW.replace(hour=15, minute=42))

    assert built.made == 2 and rebuild.documents_converted() == 2
    pages = PdfReader(rebuild.pack).pages
    assert "2 September 2026" in pages[0].extract_text() and "15:42" not in pages[0].extract_text()
    assert "Larkspur Community School · Evidence pack · generated 2 September 2026 at 15:42" in pages[1].extract_text()
    assert "as at 2 September 2026" in pack_text(rebuild.pack)

    next_day = build_pack(rebuild.school, tmp_path / "output", now=datetime(2026, 9, 3, 8, 5))

    assert not next_day.up_to_date
    text = pack_text(rebuild.pack)
    assert "3 September 2026" in PdfReader(rebuild.pack).pages[0].extract_text()
    assert "as at 3 September 2026" in text and "as at 2 September 2026" not in text
    assert "generated 3 September 2026 at 08:05" in text


def test_a_pack_never_built_there_starts_no_libreoffice_ahead(rebuild):
    # Every document is in the cache: nothing to convert, and no LibreOffice started in case.
    forget_pack_state(rebuild.out)

    built = rebuild()

    assert (built.made, built.reused) == (0, 25)
    assert rebuild.starts() == []


def test_a_template_that_fails_while_libreoffice_starts_leaves_the_pack_as_it_was(rebuild, tmp_path):
    # Three agreements to make, of 23 documents: LibreOffice starts while they are filled, and the
    # first one fails.
    templates = templates_with(tmp_path, "agreement.docx", "Keyworker: {{ pupil.keyworker }}")
    before = rebuild.pack.read_bytes()

    with pytest.raises(TemplateProblem, match=re.escape("agreement.docx")):
        rebuild(templates=templates)

    assert rebuild.pack.read_bytes() == before
    assert not list(rebuild.out.glob(".staging-*"))


def test_documents_unchanged_since_the_last_build_are_left_where_they_are(rebuild):
    # The other pupils' documents: nothing in them depends on p02 (a provider's pages list its pupils).
    others = {p: p.stat().st_mtime_ns for p in rebuild.out.rglob("*.pdf") if p.name.startswith(("p01", "p03"))}
    tampered = next(p for p in others if "p01" in p.name)
    tampered.write_bytes(tampered.read_bytes() + b"\n% changed by hand\n")  # no longer as the build left it
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Marlowe"))

    built = rebuild()

    untouched = {p: p.stat().st_mtime_ns for p in others if p != tampered}
    assert untouched == {p: t for p, t in others.items() if p != tampered}  # not copied, not moved
    assert not tampered.read_bytes().endswith(b"% changed by hand\n")  # put back from the cache
    assert {d.pdf for d in built.documents} >= set(untouched)
    assert "Marlowe" in pack_text(rebuild.pack)
    assert rebuild().up_to_date  # and the state recorded afterwards is whole


def page_texts(pack: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pack).pages]


def test_a_rebuild_takes_unchanged_pages_from_the_pack_before_and_reads_as_a_fresh_build(rebuild, tmp_path):
    # Long enough to add pages to the agreement and the plan: every page after them moves on.
    journey = "Collected by the provider's minibus at 8.15 from the corner of Mill Lane. " * 120
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["placement"].update(transport=journey))
    pages_before = len(PdfReader(rebuild.pack).pages)

    built = rebuild()

    assert built.page_count > pages_before
    assert 0 < built.kept_pages < built.page_count  # the unchanged documents' pages, from the pack before
    fresh = build_pack(rebuild.school, tmp_path / "fresh", now=NOW)
    assert fresh.kept_pages == 0
    assert page_texts(rebuild.pack) == page_texts(fresh.path)  # page for page, footers and contents too
    taken, made = PdfReader(rebuild.pack), PdfReader(fresh.path)
    assert [item.title for item in taken.outline if not isinstance(item, list)] == [
        item.title for item in made.outline if not isinstance(item, list)
    ]
    assert rebuild().up_to_date


def test_a_pack_changed_since_it_was_written_is_not_taken_from(rebuild):
    pack = rebuild.pack
    written = pack.stat()
    data = bytearray(pack.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"x" * 64  # damaged where nothing would notice, size and time kept
    pack.write_bytes(bytes(data))
    os.utime(pack, ns=(written.st_atime_ns, written.st_mtime_ns))
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Marlowe"))

    built = rebuild()

    assert built.kept_pages == 0 and built.made > 0
    texts = page_texts(pack)
    assert len(texts) == built.page_count and "Marlowe" in "\n".join(texts)
    again = rebuild.school / "pupils" / "p02.yaml"
    edit_record(again, lambda r: r["pupil"].update(legal_surname="Sandhu-Marlowe"))
    assert rebuild().kept_pages > 0  # the pack this build wrote is taken from by the next


def test_a_changed_template_shows_in_every_document_made_from_it(rebuild, tmp_path):
    templates = templates_with(tmp_path, "visit.docx", "Checked against the autumn visit standard.")
    visits = sum(len(r.visits) for r in load_school(rebuild.school).pupils.values())

    built = rebuild(templates=templates)

    visit_pdfs = sorted(rebuild.out.glob("visits/*.pdf"))
    assert len(visit_pdfs) == visits > 0
    for pdf in visit_pdfs:
        assert "Checked against the autumn visit standard." in pdf_text(pdf), pdf
    assert pack_text(rebuild.pack).count("Checked against the autumn visit standard.") == visits
    assert built.made == visits  # nothing else uses that template


def test_a_new_packgen_version_makes_every_document_afresh(rebuild, monkeypatch):
    monkeypatch.setattr(packgen, "__version__", "99.0.0")

    built = rebuild()

    assert not built.up_to_date
    assert (built.made, built.reused) == (25, 0)
    assert rebuild.documents_converted() == 25
    assert "Ravi" in pack_text(rebuild.pack)


def test_a_damaged_cache_entry_is_made_again_never_served(rebuild):
    data = load_school(rebuild.school)
    renderer = Renderer(DEFAULT_TEMPLATES)
    keys = Keys(DEFAULT_TEMPLATES, data_read=renderer.data_read, template_digest=renderer.template_digest)
    mine = documents.agreement(data, "p01", NOW.date())
    other = documents.agreement(data, "p03", NOW.date())
    entry = rebuild.out / CACHE_DIR / "documents"
    mine_entry = next(entry.glob(f"*/{keys.key(mine.template, mine.context)}.entry"))
    other_entry = next(entry.glob(f"*/{keys.key(other.template, other.context)}.entry"))
    # Damage only the digest can see: p03's whole agreement (sizes and bytes) under p01's digest.
    digest = hashlib.sha256().digest_size
    mine_entry.write_bytes(mine_entry.read_bytes()[:digest] + other_entry.read_bytes()[digest:])
    # Gone from beside the pack, so the rebuild must take it from the cache (an unchanged document
    # still where the last build left it would be left there).
    (rebuild.out / "agreements" / "p01.pdf").unlink()
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Marlowe"))

    rebuild()

    agreement = pdf_text(rebuild.out / "agreements" / "p01.pdf")
    p01, p03 = data.pupils["p01"].pupil, data.pupils["p03"].pupil
    assert p01.legal_surname in agreement and p03.legal_surname not in agreement
    served = rebuild.out / "served.docx"
    assert DocumentCache(rebuild.out).fetch(keys.key(mine.template, mine.context), served, rebuild.out / "served.pdf")
    assert p01.legal_surname in pdf_text(rebuild.out / "served.pdf")


def test_the_cache_is_private_to_its_owner(cold):
    cache = cold["built"].path.parent / CACHE_DIR
    entries = list(cache.rglob("*.entry"))
    assert len(entries) == 25
    for path in [cache, *cache.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_several_schools_share_one_pool_of_libreoffice_workers(tmp_path, monkeypatch):
    first, second = tmp_path / "a" / "mini-school", tmp_path / "b" / "north-school"
    shutil.copytree(MINI, first)
    shutil.copytree(MINI, second)
    edit_record(second / "school.yaml", lambda s: s["school"].update(name="North Fields School"))
    log = tmp_path / "starts.log"
    monkeypatch.setenv("PACKGEN_SOFFICE", str(logging_soffice(tmp_path, log)))

    result = run_cli("build", first, second, "--out", tmp_path / "out")

    assert result.exit_code == 0, result.output
    assert "North Fields School" in pack_text(tmp_path / "out" / "north-school" / PACK_NAME)
    assert "North Fields School" not in pack_text(tmp_path / "out" / "mini-school" / PACK_NAME)
    # 50 documents, one LibreOffice start per worker: the schools did not each start their own.
    workers = min(len(os.sched_getaffinity(0)), MAX_WORKERS)
    assert len(log.read_text().splitlines()) == workers
    assert "Converting to PDF: 50 of 50" in result.stderr  # not a terminal: plain lines


def test_quiet_builds_show_no_progress(rebuild):
    edit_record(rebuild.school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Marlowe"))

    result = run_cli("build", rebuild.school, "--out", rebuild.out.parent, "--quiet")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "taken from the cache" in result.stdout


def test_school_folders_with_the_same_name_are_refused(tmp_path):
    for where in ("a", "b"):
        shutil.copytree(MINI, tmp_path / where / "mini-school")

    with pytest.raises(InputError, match="same name"):
        build_packs([tmp_path / "a" / "mini-school", tmp_path / "b" / "mini-school"], tmp_path / "out")
    assert not (tmp_path / "out" / "mini-school" / PACK_NAME).exists()


# ---------------------------------------------------------------- keys, without LibreOffice


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    day: date


def test_a_key_changes_with_every_input_it_is_made_from(tmp_path, monkeypatch):
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    pupil = load_school(MINI).pupils["p01"].pupil
    context = {"pupil": pupil, "rows": [Row("Ravi", date(2026, 9, 2))], "generated_on": date(2026, 9, 2)}
    key = Keys(templates).key("visit.docx", context)

    assert Keys(templates).key("visit.docx", dict(context)) == key
    assert Keys(templates).key("review.docx", context) != key
    assert Keys(templates).key("visit.docx", context | {"generated_on": date(2026, 9, 3)}) != key
    assert Keys(templates).key("visit.docx", context | {"pupil": pupil.model_copy(update={"year_group": 11})}) != key
    assert Keys(templates).key("visit.docx", context | {"rows": [Row("Ravi", date(2026, 9, 3))]}) != key
    monkeypatch.setattr(packgen, "__version__", "99.0.0")
    assert Keys(templates).key("visit.docx", context) != key
    monkeypatch.undo()
    (templates / "labels.yaml").write_text((templates / "labels.yaml").read_text() + "\n# a comment\n")
    assert Keys(templates).key("visit.docx", context) != key


def test_a_key_is_of_the_template_as_the_renderer_read_it_though_the_file_changes_after(tmp_path):
    # Staff may save a template in Word while a build runs: the key names the bytes that are filled.
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    context = {"pupil": load_school(MINI).pupils["p01"].pupil, "rows": [], "generated_on": date(2026, 9, 2)}
    renderer = Renderer(templates)
    keys = Keys(templates, template_digest=renderer.template_digest)
    before = keys.key("visit.docx", context)

    shutil.copy(templates / "review.docx", templates / "visit.docx")

    assert Keys(templates, template_digest=renderer.template_digest).key("visit.docx", context) == before
    assert Keys(templates, template_digest=Renderer(templates).template_digest).key("visit.docx", context) != before


def test_values_a_template_would_print_differently_have_different_keys():
    def key(value):
        return Keys(DEFAULT_TEMPLATES).key("visit.docx", {"value": value})

    assert key({"a": 1, "b": 2}) != key({"b": 2, "a": 1})  # a loop over it prints in order
    assert key(date(2026, 9, 2)) != key("2026-09-02")
    assert key(1) != key(1.0) != key(True)
    assert key(b"\x89PNG one") != key(b"\x89PNG two")
    assert key({3, 1, 2}) == key({2, 3, 1})  # a set has no order to print
    assert canonical((1, 2)) == canonical([1, 2])


def test_data_without_an_exact_written_form_is_never_cached():
    assert Keys(DEFAULT_TEMPLATES).key("visit.docx", {"thing": object()}) is None


# ---------------------------------------------------------------- entries, without LibreOffice


@pytest.fixture
def entry(tmp_path) -> tuple[DocumentCache, Path]:
    docx = make_docx(tmp_path / "in" / "a.docx", "A document")
    pdf = tmp_path / "in" / "a.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n")
    cache = DocumentCache(tmp_path / "out")
    cache.store("ab" * 32, docx, pdf)
    return cache, next((tmp_path / "out").rglob("*.entry"))


def test_an_entry_comes_back_exactly_as_stored(entry, tmp_path):
    cache, _ = entry
    assert cache.fetch("ab" * 32, tmp_path / "b.docx", tmp_path / "b.pdf")
    assert (tmp_path / "b.docx").read_bytes() == (tmp_path / "in" / "a.docx").read_bytes()
    assert (tmp_path / "b.pdf").read_bytes() == (tmp_path / "in" / "a.pdf").read_bytes()
    assert not cache.fetch("cd" * 32, tmp_path / "c.docx", tmp_path / "c.pdf")


DAMAGE = {
    "a byte changed": lambda b: b[:-100] + bytes([b[-100] ^ 1]) + b[-99:],
    "cut short": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "sizes garbled": lambda b: b[:32] + b"9" + b[32:],
    "digest garbled": lambda b: bytes([b[0] ^ 1]) + b[1:],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_entry_is_refused_and_removed(entry, tmp_path, damage):
    cache, path = entry
    path.write_bytes(DAMAGE[damage](path.read_bytes()))

    assert not cache.fetch("ab" * 32, tmp_path / "b.docx", tmp_path / "b.pdf")
    assert not path.exists()
    assert not (tmp_path / "b.pdf").exists()


def test_a_plain_build_after_an_encrypted_one_makes_the_pack_again(rebuild):
    rebuild(options=PackOptions(password="correct horse"))
    assert PdfReader(rebuild.pack).is_encrypted

    built = rebuild()

    assert not built.up_to_date
    assert not PdfReader(rebuild.pack).is_encrypted
