"""The pages to look things up and make documents: pupils, one pupil, providers and letters, the pack.

URLs carry record ids (``p07``, ``bridge-learning-centre``), never a name: a URL ends up in browser
history and server logs. Searching the pupils table happens in the browser for the same reason.
Every download is a file inside the school's output folder, found from ids, never from a path the
browser sends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from packgen.build import making, single
from packgen.documents import notices
from packgen.documents import plan as documents
from packgen.documents.figures import attendance_percent
from packgen.documents.pack_pages import RegisterRow, register_row
from packgen.documents.spec import DocumentSpec
from packgen.errors import DataError
from packgen.mail import planning, replies
from packgen.mail import send as mail
from packgen.mail.smtp import SmtpSettings
from packgen.readiness.rules import Finding
from packgen.records.school_data import SchoolData
from packgen.web import good_copies
from packgen.web.app import settings, today
from packgen.web.school import kept_school, school_findings

pages = Blueprint("pages", __name__)

SEVERITIES = ("critical", "high", "advisory")


def school_data() -> SchoolData:
    """The healthy records as they are on disk now (office staff may have edited a file since the last
    page): kept between requests and re-read only where a file changed (web/school.py). A record with a
    problem is left out and listed in ``g.problems`` for the repair page; only a broken school.yaml stops
    the pages, and then the problems page shows it."""
    if "data" not in g:
        g.data, g.problems = kept_school().records.load_healthy()
        g.problems = list(g.problems)
        if g.data is not None:
            broken = {p.file for p in g.problems}
            healthy = [
                "school.yaml",
                *(f"providers/{i}.yaml" for i in g.data.providers),
                *(f"pupils/{i}.yaml" for i in g.data.pupils),
            ]
            good_copies.keep(settings().school, settings().out, (f for f in healthy if f not in broken))
    if g.data is None:
        raise DataError(g.problems)
    return g.data


def document_time() -> datetime | None:
    """The moment documents are dated with: now, or now on the fixed day the page was started with."""
    fixed = settings().today
    return datetime.combine(fixed, datetime.now().time()) if fixed else None


# ---------------------------------------------------------------- pupils


@dataclass(frozen=True)
class Readiness:
    """A pupil's findings, as the table and the pupil page show them."""

    findings: tuple[Finding, ...]

    @property
    def worst(self) -> str | None:
        return next((s for s in SEVERITIES if any(f.severity == s for f in self.findings)), None)

    @property
    def counts(self) -> list[tuple[str, int]]:
        return [(s, n) for s in SEVERITIES if (n := sum(f.severity == s for f in self.findings))]

    def rank(self) -> tuple[int, ...]:
        """Sorts the pupils with the most serious findings first."""
        return tuple(-sum(f.severity == s for f in self.findings) for s in SEVERITIES)


@dataclass(frozen=True)
class PupilRow:
    row: RegisterRow
    readiness: Readiness


SORTS: dict[str, Callable[[PupilRow], Any]] = {
    "name": lambda r: r.row.name.casefold(),
    "provider": lambda r: r.row.provider.casefold(),
    "category": lambda r: r.row.category,
    "hours": lambda r: r.row.hours_per_week,
    "next_review": lambda r: r.row.next_review,
    "last_visit": lambda r: r.row.last_visit,
    "readiness": lambda r: r.readiness.rank(),
}


@pages.get("/")
def home():
    return redirect(url_for(".pupils"))


@pages.get("/pupils")
def pupils():
    data = school_data()
    findings = _findings_by_subject(data)
    rows = [PupilRow(register_row(data, pid), Readiness(tuple(findings["pupil", pid]))) for pid in data.pupils]
    sort = request.args.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    descending = request.args.get("order") == "desc"
    key = SORTS[sort]
    known = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
    rows = known + [r for r in rows if key(r) is None]  # nothing recorded sorts last either way
    counts = {s: sum(f.severity == s for fs in findings.values() for f in fs) for s in SEVERITIES}
    unplaced = sorted(((pid, documents.display_name(r)) for pid, r in data.unplaced.items()), key=lambda p: p[1])
    return render_template(
        "pupils.html",
        rows=rows,
        sort=sort,
        descending=descending,
        counts=counts,
        providers=len(data.providers),
        unplaced=unplaced,
    )


@pages.get("/pupils/<pupil_id>")
def pupil(pupil_id: str):
    data = school_data()
    if pupil_id in data.unplaced:  # from the school's information system: the way to start a placement
        unplaced = data.unplaced[pupil_id]
        return render_template(
            "pupil_unplaced.html", pupil_id=pupil_id, record=unplaced, name=documents.display_name(unplaced)
        )
    record = _pupil_record(data, pupil_id)
    findings = _findings_by_subject(data)
    provider_id = record.placement.provider
    docs = pupil_documents(data, pupil_id)
    return render_template(
        "pupil.html",
        pupil_id=pupil_id,
        record=record,
        name=documents.display_name(record),
        provider=data.providers[provider_id],
        provider_id=provider_id,
        row=register_row(data, pupil_id),
        readiness=Readiness(tuple(findings["pupil", pupil_id])),
        provider_findings=findings["provider", provider_id],
        documents=docs,
        attendance=attendance_percent(record),
    )


@pages.post("/pupils/<pupil_id>/documents/<folder>/<name>.<any(pdf, docx):fmt>")
def pupil_document(pupil_id: str, folder: str, name: str, fmt: str):
    """Make one of the pupil's documents (unless it is up to date) and download it."""
    data = school_data()
    _pupil_record(data, pupil_id)
    spec = next((s for s in pupil_documents(data, pupil_id) if (s.folder, s.name) == (folder, name)), None)
    if spec is None:
        abort(404)
    if not _up_to_date(spec):
        making.produce([spec], settings().out, settings().templates)
    return download(f"{spec.stem}.{fmt}")


def pupil_documents(data: SchoolData, pupil_id: str) -> list[DocumentSpec]:
    """What the pupil's page makes: the pack's documents about them, and the letters the placement needs
    sent (the local authority told of a placement it did not arrange; parents told of a direction)."""
    placement = data.pupils[pupil_id].placement
    docs = documents.pupil_documents(data, pupil_id, today())
    if placement.arranged_by != "local_authority":
        docs.append(notices.la_letter(data, pupil_id, today()))
    if placement.off_site_direction.directed:
        docs.append(notices.direction_notice(data, pupil_id, today()))
    return docs


def _up_to_date(spec: DocumentSpec) -> bool:
    """Made today, after the last change to any record or template: then making it again gives the same."""
    made = [settings().out / f"{spec.stem}.{fmt}" for fmt in ("docx", "pdf")]
    if not all(p.is_file() for p in made):
        return False
    oldest = min(p.stat().st_mtime for p in made)
    sources = [settings().school / "school.yaml", *settings().school.glob("*/*.yaml"), *settings().templates.iterdir()]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    return oldest >= newest and date.fromtimestamp(oldest) == date.today()


def _pupil_record(data: SchoolData, pupil_id: str):
    if pupil_id not in data.pupils:
        abort(404)
    return data.pupils[pupil_id]


def _findings_by_subject(data: SchoolData) -> dict[tuple[str, str], list[Finding]]:
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in school_findings():
        grouped[finding.subject, finding.subject_id].append(finding)
    return grouped


def download(relative: str):
    """A file from the school's output folder; ``send_from_directory`` refuses any path that leaves it."""
    return send_from_directory(
        settings().out, relative, as_attachment=True, download_name=relative.replace("/", "-"), max_age=0
    )


# ---------------------------------------------------------------- providers and letters


@dataclass(frozen=True)
class _Letter:
    """A letter already on disk, as ``planning.prepare_letters`` takes it."""

    spec: DocumentSpec
    pdf: Path


@pages.get("/providers")
def providers():
    data = school_data()
    findings = _findings_by_subject(data)
    states = {s.provider_id: s for s in replies.status(data, today())}
    placed: defaultdict[str, int] = defaultdict(int)
    for record in data.pupils.values():
        placed[record.placement.provider] += 1
    letters = {pid: _made_at(settings().out / "letters" / f"{pid}.pdf") for pid in data.providers}
    rows = sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold())
    return render_template(
        "providers.html",
        rows=rows,
        states=states,
        placed=placed,
        letters=letters,
        findings=findings,
        can_send=settings().smtp is not None,
    )


@pages.post("/providers/letters")
def make_letters():
    made = single.build_letters(
        settings().school, settings().out_root, templates=settings().templates, now=document_time()
    )
    flash(f"Letters made for {len(made)} provider{'s' if len(made) != 1 else ''}.", "success")
    return redirect(url_for(".providers"))


@pages.get("/providers/<provider_id>/letter.<any(pdf, docx):fmt>")
def letter(provider_id: str, fmt: str):
    if provider_id not in school_data().providers:
        abort(404)
    if not (settings().out / "letters" / f"{provider_id}.{fmt}").is_file():
        flash("Make the letters first.", "error")
        return redirect(url_for(".providers"))
    return download(f"letters/{provider_id}.{fmt}")


@pages.post("/providers/send")
def confirm_send():
    """Step one of two: make the letters, and show who would get which e-mail. Nothing is sent yet."""
    smtp = _smtp()
    made = single.build_letters(
        settings().school, settings().out_root, templates=settings().templates, now=document_time()
    )
    planned = planning.prepare_letters(school_data(), made, templates=settings().templates, sender=settings().sender)
    return render_template("send_confirm.html", planned=planned, smtp=smtp, sending=planning.SENDING)


@pages.post("/providers/send/confirm")
def send():
    """Step two: send exactly the letters confirmed, unless the records changed them since."""
    smtp = _smtp()
    data = school_data()
    letters, changed = [], []
    for entry in request.form.getlist("letter"):
        provider_id, _, version = entry.partition(":")
        pdf = settings().out / "letters" / f"{provider_id}.pdf"
        if provider_id not in data.providers or not pdf.is_file():
            changed.append(provider_id)
            continue
        spec = documents.letter(data, provider_id, today())
        if planning.letter_version(spec, settings().templates) != version:
            changed.append(data.providers[provider_id].name)
            continue
        letters.append(_Letter(spec, pdf))
    if changed:
        return render_template(
            "message.html",
            title="Nothing was sent",
            message=(
                "The records changed since you confirmed, so these letters are not the ones you saw: "
                f"{', '.join(changed)}. Go back to Providers and send again to see the new letters."
            ),
        ), 409
    planned = planning.prepare_letters(data, letters, templates=settings().templates, sender=settings().sender)
    outcomes = mail.send(data, [p for p in planned if p.action in planning.SENDING], smtp)
    return render_template("send_done.html", outcomes=outcomes)


def _smtp() -> SmtpSettings:
    smtp = settings().smtp
    if smtp is None:
        abort(404)
    return smtp


def _made_at(path: Path) -> datetime | None:
    return datetime.fromtimestamp(path.stat().st_mtime) if path.is_file() else None
