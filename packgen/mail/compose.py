"""The e-mails that carry providers' letters: addresses, wording from templates, the message itself,
and the check that no pupil's data goes by e-mail (see mail.py for the whole flow).

An e-mail carries no personal data about children: its templates are given no pupil records, and
``letter_markings`` reads every PDF about to be attached and refuses one that names a pupil (name or
UPN). The e-mail takes the protective marking of the letter it carries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from packgen.documents.spec import DocumentSpec
from packgen.documents.wording import LABELS_FILE, load_wording
from packgen.errors import DataError, Problem, TemplateProblem
from packgen.files import write_private
from packgen.records.fields import Person
from packgen.records.pupil_file import PupilFile
from packgen.records.school_data import SchoolData

MARKING = "OFFICIAL-SENSITIVE"


class LetterMade(Protocol):
    """What the pipeline hands over for each letter (``making.Produced``): its spec and its PDF."""

    @property
    def spec(self) -> DocumentSpec: ...

    @property
    def pdf(self) -> Path: ...


def check_addresses(data: SchoolData, letters: Sequence[LetterMade], sender: str | None) -> dict[str, str]:
    """Every address the e-mails need, checked at once; returns provider id → lead's address."""
    problems = []
    if sender is not None and _address(sender) is None:
        problems.append(
            Problem(
                "school.yaml", "letters.reply_to.email", f"the sender '{sender}' given instead is not an e-mail address"
            )
        )
    reply_to = data.school.letters.reply_to
    if _person_address(reply_to) is None and letters:
        problems.append(
            Problem(
                "school.yaml",
                "letters.reply_to.email",
                f"'{reply_to.email or ''}' is not an e-mail address; providers reply to it "
                "(write it as name@school.example)",
            )
        )
    emailed = {}
    for made in letters:
        pid = made.spec.owner
        lead = data.providers[pid].contacts.lead
        if not lead.email:
            continue
        if _person_address(lead) is None:
            problems.append(
                Problem(
                    f"providers/{pid}.yaml",
                    "contacts.lead.email",
                    f"'{lead.email}' is not an e-mail address (write it as name@provider.example, "
                    "or leave it empty to post the letter)",
                )
            )
        else:
            emailed[pid] = lead.email.strip()
    if problems:
        raise DataError(problems)
    return emailed


def _address(text: str) -> Address | None:
    """``"Name <addr>"`` or ``addr`` as an Address, or None when it is not a usable address."""
    match = re.fullmatch(r"\s*(?:(.*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*", text)
    if not match:
        return None
    name, spec = (match.group(1) or "").strip('" '), match.group(2) or match.group(3)
    return _make_address(name, spec)


def _person_address(person: Person) -> Address | None:
    return _make_address(person.name, person.email.strip()) if person.email else None


def _make_address(name: str, spec: str) -> Address | None:
    local, at, domain = spec.rpartition("@")
    if not (local and at and domain) or "@" in local or domain.startswith(".") or domain.endswith("."):
        return None
    try:
        return Address(display_name=name, addr_spec=spec)
    except (ValueError, IndexError, HeaderParseError):
        return None


def base_context(data: SchoolData, pid: str) -> dict[str, Any]:
    """What an e-mail template may use. It holds no pupil records: an e-mail must never name a pupil."""
    school = data.school
    return {
        "school": school.school,
        "staff": school.staff,
        "letters": school.letters,
        "provider": data.providers[pid],
        "provider_id": pid,
        "pupil_count": sum(p.placement.provider == pid for p in data.pupils.values()),
    }


def compose(
    env: jinja2.Environment,
    name: str,
    context: Mapping[str, Any],
    data: SchoolData,
    pid: str,
    sender: str | None,
    pdf: Path,
    marking: str | None,
    now: datetime,
) -> EmailMessage:
    """Provider ``pid``'s e-mail from templates ``name``.txt and .html, the letter ``pdf`` attached and
    its ``marking`` (if any) before the subject."""
    reply_to = _person_address(data.school.letters.reply_to)
    from_ = _address(sender) if sender is not None else reply_to
    assert from_ is not None  # check_addresses refused an unusable sender or reply-to before anything was composed
    subject, text = _render_text(env, f"{name}.txt", context)
    html = _render(env, f"{name}.html", context)

    message = EmailMessage()
    message["From"] = from_
    message["To"] = _person_address(data.providers[pid].contacts.lead)
    message["Reply-To"] = reply_to
    message["Subject"] = f"{marking}: {subject}" if marking else subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=from_.domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        pdf.read_bytes(), maintype="application", subtype="pdf", filename=f"{data.slug}-staff-check-request.pdf"
    )
    return message


def write_eml(path: Path, message: EmailMessage) -> Path:
    """Write the message as an .eml that Outlook opens as a draft ready to send (``X-Unsent: 1``)."""
    body = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    write_private(path, b"X-Unsent: 1\r\n" + body)
    return path


# ---------------------------------------------------------------- templates


def email_environment(templates: Path) -> jinja2.Environment:
    """Sandboxed (office staff edit these templates), strict about unknown names, escaping HTML only.

    Dates are written with the ``date`` filter, as in the Word templates, in the month names of
    ``labels.yaml``: the Word templates' environment cannot be shared, as it escapes for XML.
    """
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    words = load_wording(templates / LABELS_FILE)

    def as_date(value: date | None) -> str:
        if value is None:
            return words.answers.not_recorded
        if not isinstance(value, date):
            raise jinja2.TemplateRuntimeError(f"the date filter was given {value!r}, which is not a date")
        return f"{value.day} {words.dates.months[value.month - 1]} {value.year}"

    env.filters["date"] = as_date
    return env


def _render_text(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The plain-text body and the subject it sets (``{% set subject %}...{% endset %}``)."""
    module = _load(env, name, lambda t: t.make_module(dict(context)))
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise TemplateProblem(
            f"{name} must set the e-mail's subject, as its first line: {{% set subject %}}The subject{{% endset %}}"
        )
    return subject, str(module).strip() + "\n"


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    return _load(env, name, lambda t: t.render(context))


def _load(env: jinja2.Environment, name: str, use):
    try:
        return use(env.get_template(name))
    except jinja2.TemplateNotFound:
        loader = env.loader
        assert isinstance(loader, jinja2.FileSystemLoader)  # email_environment reads the templates from a folder
        raise TemplateProblem(f"the e-mail template {name} is missing from {loader.searchpath[0]}") from None
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"{name}, line {error.lineno}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise TemplateProblem(
            f"{name} uses something an e-mail does not have ({error.message}); "
            "it may use: school, staff, letters, provider, provider_id, pupil_count, reply_by "
            "(reminders also requested_on, days_overdue). Pupils are never available: "
            "an e-mail to a provider must not name a pupil."
        ) from None
    # Anything else going wrong while filling comes from the template staff edited, whatever Python
    # type it surfaces as (the context is fixed); the original stays chained for a developer.
    except Exception as error:
        raise TemplateProblem(f"{name}: {error}") from error


# ---------------------------------------------------------------- no pupil data by e-mail


def letter_markings(data: SchoolData, letters: Sequence[LetterMade]) -> dict[str, str | None]:
    """Each letter's protective marking (or None); refuses any letter that names a pupil.

    The letter's Word template is edited by staff, so what it shows is read from the PDF itself.
    A pupil is named by legal or preferred name, or UPN; the error names the pupil's record, not the child.
    """
    patterns = {pid: _pupil_pattern(record) for pid, record in data.pupils.items()}
    marked = re.compile(r"(?<!\w)official[-\s]sensitive(?!\w)")
    markings, problems = {}, []
    for made in letters:
        text = _normalise(_pdf_text(made.pdf))
        markings[made.spec.owner] = MARKING if marked.search(text) else None
        named = sorted(pid for pid, pattern in patterns.items() if pattern.search(text))
        if named:
            problems.append(f"  {made.pdf}: names {', '.join(f'pupils/{p}.yaml' for p in named)}")
    if problems:
        raise TemplateProblem(
            "these letters name pupils, so packgen will not e-mail them: a letter to a "
            "provider is about its staff checks and must hold no pupil's personal data. "
            "Take the pupils' details out of the letter template (letter.docx).\n" + "\n".join(problems)
        )
    return markings


def _pupil_pattern(record: PupilFile) -> re.Pattern[str]:
    """A pupil's full names (legal and preferred) and UPN, matched as whole words only."""
    pupil = record.pupil
    forenames = {pupil.legal_forename, pupil.preferred_name or pupil.legal_forename}
    names = {f"{f} {pupil.legal_surname}" for f in forenames} | {f"{pupil.legal_surname}, {pupil.legal_forename}"}
    alternatives = "|".join(re.escape(_normalise(n)) for n in sorted(names | {pupil.upn}))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _pdf_text(pdf: Path) -> str:
    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    except (OSError, PyPdfError) as error:
        raise TemplateProblem(f"cannot read the letter {pdf} to check it before e-mailing: {error}") from None


def _normalise(text: str) -> str:
    """Compare text as a reader would: accents composed, case and curly quotes ignored, spaces collapsed."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.translate(str.maketrans("\u2019\u2018\u2010\u2011", "''--"))
    return " ".join(text.split())
