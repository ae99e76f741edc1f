"""E-mailing the Appendix 4 letters: the .eml files, real SMTP sending, the sent log, status and reminders.

Every send goes to a real SMTP server (aiosmtpd) on 127.0.0.1, in plain text, STARTTLS and implicit
TLS, with a self-signed certificate made here. The letters' PDFs are small stand-ins made with
reportlab, so these tests need neither LibreOffice nor the letter's Word template.
"""

from __future__ import annotations

import email
import fcntl
import ipaddress
import json
import re
import shutil
import ssl
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import policy
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from packgen.build import single
from packgen.documents import DEFAULT_TEMPLATES
from packgen.documents import plan as documents
from packgen.documents.spec import DocumentSpec
from packgen.errors import BusyError, DataError, TemplateProblem
from packgen.mail import PASSWORD_ENV, planning, replies, sent_log
from packgen.mail import send as mail
from packgen.mail.smtp import MailError, SmtpSettings, school_smtp
from packgen.records.provider_file import SafeguardingPractice
from packgen.records.read import load_school
from packgen.records.school_data import SchoolData
from tests.conftest import MINI, PASSWORD, TEMPLATES, USER, Server, free_port

REPO_TEMPLATES = TEMPLATES
FIXTURE = MINI
TODAY = date(2026, 9, 2)
NOW = datetime(2026, 9, 2, 9, 30, tzinfo=UTC)

# ---------------------------------------------------------------- the school: tests/fixtures/mini-school

# The fixture's providers: hart-vale (Hart & Vale Learning) returned its assurance on 2026-09-10;
# oak-tutors has been sent nothing yet. Its school replies within 10 days. These tests add providers.


def provider(name: str, lead: dict, **assurance) -> dict:
    return {
        "name": name,
        "kind": "registered_ap",
        "registration": {"status": "registered", "urn": "148888"},
        "address": "5 Canal Street, Westtown",
        "contacts": {"lead": lead},
        "assurance": assurance,
    }


ADDED = {
    "farm-skills": provider(
        "Farm Skills <Outdoors>", {"name": "Zoë Ørsted", "email": "zoe@farm.example"}, requested_on="2026-09-02"
    ),
    "road-tutors": provider("Road Tutors", {"name": "P. Okafor", "phone": "01632 960300"}),  # no e-mail
}


def school_copy(where: Path, providers: dict | None = None) -> SchoolData:
    """A copy of the mini school with ``providers`` written (added, or replacing the fixture's), loaded."""
    folder = where / "data" / "mini-school"
    shutil.copytree(FIXTURE, folder)
    for pid, record in (ADDED if providers is None else providers).items():
        (folder / "providers" / f"{pid}.yaml").write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    return load_school(folder)


@dataclass(frozen=True)
class Letter:
    """A rendered letter as the pipeline hands it over (making.Produced has the same spec and pdf)."""

    spec: DocumentSpec
    pdf: Path


def make_pdf(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page = canvas.Canvas(str(path))
    for number, line in enumerate(lines):
        page.drawString(72, 780 - 18 * number, line)
    page.save()
    return path


def render_letters(data: SchoolData, out: Path, today: date = TODAY) -> list[Letter]:
    """Stand-ins for single.build_letters: the real spec, and a PDF that names the provider."""
    letters = []
    for pid, record in data.providers.items():
        pdf = make_pdf(
            out / data.slug / "letters" / f"{pid}.pdf",
            "Request for staff-check assurance",
            f"To: {record.name}",
            f"From: {data.school.school.name}",
        )
        letters.append(Letter(documents.letter(data, pid, today), pdf))
    return letters


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """The repository's e-mail templates and labels, beside a stand-in for the letter's Word template."""
    folder = tmp_path / "templates"
    folder.mkdir()
    for template in [*REPO_TEMPLATES.glob("*_email.*"), REPO_TEMPLATES / "labels.yaml"]:
        shutil.copy(template, folder)
    (folder / "letter.docx").write_bytes(b"stand-in for the letter's Word template, version 1")
    return folder


@pytest.fixture
def school(tmp_path: Path) -> SchoolData:
    return school_copy(tmp_path)


@pytest.fixture
def letters(school: SchoolData, tmp_path: Path) -> list[Letter]:
    return render_letters(school, tmp_path / "output")


# ---------------------------------------------------------------- a real SMTP server


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, which no client trusts unless told to."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "packgen test mail server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


def plain(server: Server) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", server.port, security="none", timeout=5)


def log_lines(school: SchoolData) -> list[dict]:
    return [json.loads(line) for line in sent_log.log_path(school).read_text().splitlines()]


def by_provider(items) -> dict:
    return {(i.planned if isinstance(i, mail.Outcome) else i).provider_id: i for i in items}


def letter_for(letters: list[Letter], pid: str) -> Letter:
    return next(m for m in letters if m.spec.owner == pid)


def statuses(outcomes) -> dict[str, str]:
    return {o.planned.provider_id: o.status for o in outcomes}


SENT_TWO = {"farm-skills": "sent", "hart-vale": "skipped", "oak-tutors": "sent", "road-tutors": "post"}


def who(header) -> str:
    """An address header as a person reads it, however the display name had to be quoted."""
    (address,) = header.addresses
    return f"{address.display_name} <{address.addr_spec}>"


def pdf_text(part) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(part.get_content())).pages)


# ---------------------------------------------------------------- the .eml files (the dry run)


def test_each_provider_with_an_address_gets_a_ready_to_send_eml_beside_its_letter(school, letters, templates):
    plans = by_provider(planning.prepare_letters(school, letters, templates=templates, now=NOW))

    oak = plans["oak-tutors"]
    assert (oak.action, oak.to, oak.reason) == ("send", "k.byrne@oaktutors.example", "not sent before")
    assert oak.eml == oak.pdf.with_suffix(".eml") and oak.eml.name == "oak-tutors.eml"
    assert stat.S_IMODE(oak.eml.stat().st_mode) == 0o600

    message = email.message_from_bytes(oak.eml.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1"  # Outlook opens it as a draft, ready to send
    assert who(message["To"]) == "K. Byrne <k.byrne@oaktutors.example>"
    assert who(message["Reply-To"]) == "P. Quinn <ap@larkspur.example>"
    assert who(message["From"]) == "P. Quinn <ap@larkspur.example>"  # reply_to, as no sender was given
    assert message["Subject"] == "Staff-check assurance request from Larkspur Community School"
    assert message["Message-ID"].endswith("@larkspur.example>")
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # no requested_on recorded: sending is the request, so the reply is due 10 days after today
    assert "Dear K. Byrne," in text and "by 12 September 2026" in text
    assert "<p>Dear K. Byrne,</p>" in html and "12 September 2026" in html
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert "To: Oak Street Tutors" in pdf_text(attachment)

    assert (plans["hart-vale"].action, plans["hart-vale"].reason) == (
        "skip",
        "the provider returned its assurance on 2026-09-10",
    )
    assert plans["hart-vale"].eml.exists()  # ready for whoever wants to send it by hand all the same
    road = plans["road-tutors"]
    assert (road.action, road.to, road.eml) == ("post", None, None)
    assert "print the letter and post it" in road.reason
    assert not road.pdf.with_suffix(".eml").exists()


def test_the_e_mail_names_no_pupil_and_is_marked_as_its_letter_is(school, letters, templates):
    make_pdf(letter_for(letters, "oak-tutors").pdf, "OFFICIAL-SENSITIVE", "Request for staff-check assurance")
    plans = by_provider(planning.prepare_letters(school, letters, templates=templates, now=NOW))

    marked = email.message_from_bytes(plans["oak-tutors"].eml.read_bytes(), policy=policy.default)
    assert marked["Subject"] == "OFFICIAL-SENSITIVE: Staff-check assurance request from Larkspur Community School"
    bodies = marked.get_body(("plain",)).get_content() + marked.get_body(("html",)).get_content()
    assert "has pupils attending Oak Street Tutors" in bodies
    assert "Ravi" not in bodies and "Q801200005002" not in bodies  # the pupil placed there

    unmarked = email.message_from_bytes(plans["farm-skills"].eml.read_bytes(), policy=policy.default)
    assert unmarked["Subject"] == "Staff-check assurance request from Larkspur Community School"


def test_provider_names_with_markup_are_escaped_in_html_and_kept_in_text(school, letters, templates):
    plans = by_provider(planning.prepare_letters(school, letters, templates=templates, now=NOW))

    farm = email.message_from_bytes(plans["farm-skills"].eml.read_bytes(), policy=policy.default)
    assert who(farm["To"]) == "Zoë Ørsted <zoe@farm.example>"
    assert "is planning to place pupils with Farm Skills <Outdoors>." in farm.get_body(("plain",)).get_content()
    assert "Farm Skills &lt;Outdoors&gt;." in farm.get_body(("html",)).get_content()

    hart = email.message_from_bytes(plans["hart-vale"].eml.read_bytes(), policy=policy.default)
    assert "attending Hart & Vale Learning." in hart.get_body(("plain",)).get_content()
    assert "Hart &amp; Vale Learning." in hart.get_body(("html",)).get_content()


def test_a_sender_can_be_given_and_replies_still_go_to_the_school(school, letters, templates):
    plans = planning.prepare_letters(school, letters, templates=templates, sender="Office <office@larkspur.example>")
    message = email.message_from_bytes(plans[0].eml.read_bytes(), policy=policy.default)
    assert who(message["From"]) == "Office <office@larkspur.example>"
    assert who(message["Reply-To"]) == "P. Quinn <ap@larkspur.example>"


def test_addresses_that_are_not_addresses_are_all_reported_with_their_file_and_key(tmp_path, templates):
    # A provider's address in its record is checked when the records are read, as packgen check does.
    with pytest.raises(DataError) as caught:
        school_copy(
            tmp_path / "bad",
            ADDED | {"oak-tutors": provider("Oak Street Tutors", {"name": "K. Byrne", "email": "oaktutors.example"})},
        )
    assert [(p.file, p.key) for p in caught.value.problems] == [("providers/oak-tutors.yaml", "contacts.lead.email")]
    assert "'oaktutors.example' is not an email address" in str(caught.value)

    data = school_copy(tmp_path)
    letters = render_letters(data, tmp_path / "output")
    with pytest.raises(DataError) as caught:
        planning.prepare_letters(data, letters, templates=templates, sender="not an address")
    where = [(p.file, p.key) for p in caught.value.problems]
    assert where == [("school.yaml", "letters.reply_to.email")]
    assert "the sender 'not an address' given instead is not an e-mail address" in str(caught.value)
    assert not list((tmp_path / "output").rglob("*.eml"))


def test_a_letter_that_names_a_pupil_is_not_e_mailed(school, letters, templates):
    hart = letter_for(letters, "hart-vale")
    make_pdf(hart.pdf, "Request for staff-check assurance", "Your tutor: M. D'Souza-Müller")
    planning.prepare_letters(school, letters, templates=templates)  # a shared surname alone names no pupil
    for eml in hart.pdf.parent.glob("*.eml"):
        eml.unlink()

    make_pdf(hart.pdf, "Request for staff-check assurance", "Our pupil: Zoë D\u2019Souza-Müller")
    with pytest.raises(TemplateProblem) as caught:
        planning.prepare_letters(school, letters, templates=templates)
    message = str(caught.value)
    assert "hart-vale.pdf: names pupils/p01.yaml" in message and "oak-tutors" not in message
    assert "Zoë" not in message  # the error itself names the record, never the child
    assert not list(hart.pdf.parent.glob("*.eml"))


def test_a_letter_that_gives_a_pupils_upn_is_not_e_mailed(school, letters, templates):
    make_pdf(letter_for(letters, "oak-tutors").pdf, "Request for staff-check assurance", "UPN q801200005002")
    with pytest.raises(TemplateProblem, match=re.escape("oak-tutors.pdf: names pupils/p02.yaml")):
        planning.prepare_letters(school, letters, templates=templates)


def test_an_e_mail_template_cannot_reach_pupils_or_forget_its_subject(school, letters, templates):
    (templates / "letter_email.html").write_text("<p>{{ pupil.legal_forename }}</p>")
    with pytest.raises(TemplateProblem, match=re.escape("letter_email.html uses something an e-mail does not have")):
        planning.prepare_letters(school, letters, templates=templates)

    (templates / "letter_email.txt").write_text("Dear {{ provider.contacts.lead.name }},\n")
    with pytest.raises(TemplateProblem, match=re.escape("letter_email.txt must set the e-mail's subject")):
        planning.prepare_letters(school, letters, templates=templates)


# ---------------------------------------------------------------- the letter's version


def version_of(data: SchoolData, pid: str, templates: Path, today: date = TODAY) -> str:
    return planning.letter_version(documents.letter(data, pid, today), templates)


def test_a_letter_keeps_its_version_however_often_or_late_it_is_rendered(school, templates):
    assert version_of(school, "oak-tutors", templates) == version_of(
        school, "oak-tutors", templates, TODAY + timedelta(days=7)
    )


def test_the_providers_answers_and_later_records_do_not_make_a_new_letter(tmp_path, templates):
    lead = {"name": "Zoë Ørsted", "email": "zoe@farm.example"}
    answered = provider(
        "Farm Skills <Outdoors>",
        lead,
        requested_on="2026-09-02",
        received_on="2026-09-10",
        checks={"identity": True},
        staff_named=["M. Lee"],
    )
    answered["qa_visits"] = [{"date": "2026-10-08", "by": "S. Cope", "focus": "progress"}]
    before = school_copy(tmp_path / "before")
    after = school_copy(tmp_path / "after", ADDED | {"farm-skills": answered})
    assert version_of(before, "farm-skills", templates) == version_of(after, "farm-skills", templates)


def test_a_new_request_contact_or_template_makes_a_new_letter(tmp_path, templates):
    data = school_copy(tmp_path / "original")
    original = version_of(data, "farm-skills", templates)

    next_year = provider(
        "Farm Skills <Outdoors>", {"name": "Zoë Ørsted", "email": "zoe@farm.example"}, requested_on="2027-09-01"
    )
    new_lead = provider(
        "Farm Skills <Outdoors>", {"name": "B. Shah", "email": "shah@farm.example"}, requested_on="2026-09-02"
    )
    for name, changed in (("next-year", next_year), ("new-lead", new_lead)):
        other = school_copy(tmp_path / name, ADDED | {"farm-skills": changed})
        assert version_of(other, "farm-skills", templates) != original, name

    (templates / "letter.docx").write_bytes(b"stand-in for the letter's Word template, version 2")
    assert version_of(data, "farm-skills", templates) != original


# ---------------------------------------------------------------- sending


def test_send_delivers_each_letter_and_records_it(school, letters, templates, smtp_server):
    server = smtp_server()
    plans = planning.prepare_letters(school, letters, templates=templates, now=NOW)

    outcomes = mail.send(school, plans, plain(server))

    assert statuses(outcomes) == SENT_TWO
    mail.raise_for_failures(outcomes)  # nothing failed: no error

    envelopes = {e.rcpt_tos[0]: e for e in server.recorder.received}
    assert envelopes.keys() == {"k.byrne@oaktutors.example", "zoe@farm.example"}
    assert envelopes["k.byrne@oaktutors.example"].mail_from == "ap@larkspur.example"
    received = {m["To"].addresses[0].addr_spec: m for m in server.recorder.messages()}
    oak = received["k.byrne@oaktutors.example"]
    assert "X-Unsent" not in oak  # only the .eml for Outlook carries it
    assert (who(oak["To"]), who(oak["Reply-To"])) == (
        "K. Byrne <k.byrne@oaktutors.example>",
        "P. Quinn <ap@larkspur.example>",
    )
    assert "staff-check assurance" in oak["Subject"].lower() and "Larkspur Community School" in oak["Subject"]
    assert "Dear K. Byrne," in oak.get_body(("plain",)).get_content()
    assert "<p>Dear K. Byrne,</p>" in oak.get_body(("html",)).get_content()
    assert "To: Oak Street Tutors" in pdf_text(next(oak.iter_attachments()))
    assert "To: Farm Skills <Outdoors>" in pdf_text(next(received["zoe@farm.example"].iter_attachments()))

    log = {line["provider"]: line for line in log_lines(school)}
    assert log.keys() == {"oak-tutors", "farm-skills"}
    entry = log["oak-tutors"]
    assert entry["to"] == "k.byrne@oaktutors.example" and entry["kind"] == "letter"
    assert entry["message_id"] == oak["Message-ID"] == by_provider(outcomes)["oak-tutors"].message_id
    assert entry["version"] == by_provider(plans)["oak-tutors"].version
    sent_at = datetime.fromisoformat(entry["sent_at"])
    assert sent_at.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
    assert stat.S_IMODE(sent_log.log_path(school).stat().st_mode) == 0o600


def test_sending_again_sends_nothing_unless_asked_to_resend(school, letters, templates, smtp_server):
    server = smtp_server()
    mail.send(school, planning.prepare_letters(school, letters, templates=templates), plain(server))
    assert len(server.recorder.received) == 2

    again = by_provider(planning.prepare_letters(school, letters, templates=templates))
    assert again["oak-tutors"].action == "skip"
    assert again["oak-tutors"].reason.startswith("this letter was sent to k.byrne@oaktutors.example on ")
    outcomes = mail.send(school, list(again.values()), plain(server))
    assert set(statuses(outcomes).values()) == {"skipped", "post"}
    assert len(server.recorder.received) == 2 and len(log_lines(school)) == 2

    resend = by_provider(planning.prepare_letters(school, letters, templates=templates, resend=True))
    assert {pid: p.action for pid, p in resend.items()} == {
        "farm-skills": "resend",
        "hart-vale": "resend",
        "oak-tutors": "resend",
        "road-tutors": "post",
    }
    mail.send(school, list(resend.values()), plain(server))
    assert len(server.recorder.received) == 5 and len(log_lines(school)) == 5


def test_a_changed_letter_is_sent_again(school, letters, templates, smtp_server):
    mail.send(school, planning.prepare_letters(school, letters, templates=templates), plain(smtp_server()))

    (templates / "letter.docx").write_bytes(b"stand-in for the letter's Word template, version 2")
    plans = by_provider(planning.prepare_letters(school, letters, templates=templates))
    assert plans["oak-tutors"].action == "send"
    assert plans["oak-tutors"].reason.startswith("the letter has changed since it was last sent on ")


def test_a_refused_recipient_fails_alone_and_only_what_was_sent_is_logged(school, letters, templates, smtp_server):
    server = smtp_server(refuse=("k.byrne@oaktutors.example",))
    plans = planning.prepare_letters(school, letters, templates=templates)

    outcomes = by_provider(mail.send(school, plans, plain(server)))

    assert outcomes["oak-tutors"].status == "failed"
    assert "refused the address k.byrne@oaktutors.example: 550" in outcomes["oak-tutors"].detail
    assert outcomes["farm-skills"].status == "sent"
    assert [line["provider"] for line in log_lines(school)] == ["farm-skills"]
    with pytest.raises(MailError, match=r"1 e-mail not sent \(1 sent and recorded\)") as caught:
        mail.raise_for_failures(list(outcomes.values()))
    assert "oak-tutors (k.byrne@oaktutors.example): the server refused" in str(caught.value)
    assert caught.value.exit_code == 1

    retry = by_provider(planning.prepare_letters(school, letters, templates=templates))
    assert (retry["oak-tutors"].action, retry["farm-skills"].action) == ("send", "skip")


def test_a_letter_lost_in_a_dropped_connection_is_unknown_and_never_resent_without_being_asked(
    school, letters, templates, smtp_server
):
    # The server takes the first letter, then the line drops before it says so.
    server = smtp_server(hang_up_after_data=1)
    outcomes = by_provider(
        mail.send(school, planning.prepare_letters(school, letters, templates=templates), plain(server))
    )
    assert len(server.recorder.received) == 1
    first = server.recorder.received[0].rcpt_tos[0]
    assert first == "zoe@farm.example"
    assert outcomes["farm-skills"].status == "unknown"
    assert "check with the provider before sending again" in outcomes["farm-skills"].detail
    assert (outcomes["oak-tutors"].status, outcomes["oak-tutors"].detail) == (
        "failed",
        "not tried: the connection to the server broke",
    )
    # Written to the log, flushed, before anything else happened.
    assert [(line["provider"], line["fate"]) for line in log_lines(school)] == [("farm-skills", "unknown")]
    with pytest.raises(MailError, match="farm-skills") as caught:
        mail.raise_for_failures(list(outcomes.values()))
    assert caught.value.exit_code == 1

    # --resend after the failure sends what never went, and not the letter that may have arrived.
    retry = smtp_server()
    again = by_provider(planning.prepare_letters(school, letters, templates=templates, resend=True))
    assert again["farm-skills"].action == "skip"
    assert again["farm-skills"].reason.startswith(
        "unknown: the connection broke as this letter was handed to the server for zoe@farm.example on "
    )
    assert again["oak-tutors"].action == "send"
    mail.send(school, list(again.values()), plain(retry))
    resent = [e.rcpt_tos[0] for e in retry.recorder.received]
    assert "zoe@farm.example" not in resent and "k.byrne@oaktutors.example" in resent

    # Only when asked in so many words (after checking with the provider).
    asked = by_provider(planning.prepare_letters(school, letters, templates=templates, resend_unknown=True))
    assert (asked["farm-skills"].action, asked["oak-tutors"].action) == ("resend", "skip")
    outcomes = by_provider(mail.send(school, list(asked.values()), plain(retry)))
    assert outcomes["farm-skills"].status == "sent"
    assert [e.rcpt_tos[0] for e in retry.recorder.received].count("zoe@farm.example") == 1
    assert by_provider(planning.prepare_letters(school, letters, templates=templates))["farm-skills"].action == "skip"


def test_a_connection_dropped_before_the_letter_went_fails_it_and_a_retry_sends_it(
    school, letters, templates, smtp_server
):
    server = smtp_server(hang_up_at_rcpt="zoe@farm.example")
    outcomes = by_provider(
        mail.send(school, planning.prepare_letters(school, letters, templates=templates), plain(server))
    )
    assert outcomes["farm-skills"].status == "failed"
    assert "before the message was handed over" in outcomes["farm-skills"].detail
    assert server.recorder.received == [] and not sent_log.log_path(school).read_text()
    retry = smtp_server()
    plans = planning.prepare_letters(school, letters, templates=templates)
    assert by_provider(plans)["farm-skills"].action == "send"
    assert statuses(mail.send(school, plans, plain(retry))) == SENT_TWO


def test_a_server_that_fails_to_say_goodbye_after_taking_the_letters_changes_nothing(
    school, letters, templates, smtp_server
):
    server = smtp_server(quit_reply="500 5.0.0 Something went wrong on our side")
    outcomes = mail.send(school, planning.prepare_letters(school, letters, templates=templates), plain(server))
    assert statuses(outcomes) == SENT_TWO
    mail.raise_for_failures(outcomes)
    assert {line["provider"] for line in log_lines(school)} == {"oak-tutors", "farm-skills"}
    assert by_provider(planning.prepare_letters(school, letters, templates=templates))["oak-tutors"].action == "skip"


def test_a_sender_the_server_will_not_send_for_is_reported_for_each_letter(school, letters, templates, smtp_server):
    server = smtp_server(refuse=("noreply@larkspur.example",))
    plans = planning.prepare_letters(school, letters, templates=templates, sender="noreply@larkspur.example")

    outcomes = by_provider(mail.send(school, plans, plain(server)))

    assert outcomes["oak-tutors"].status == outcomes["farm-skills"].status == "failed"
    assert outcomes["oak-tutors"].detail == (
        "the server refused the sender noreply@larkspur.example: 553 5.7.1 Sender not allowed"
    )
    assert server.recorder.received == [] and not sent_log.read_log(school)


def test_starttls_with_a_login_and_the_password_from_the_environment(
    school, letters, templates, smtp_server, certificate, monkeypatch
):
    server = smtp_server(starttls=certificate.server_context())
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    settings = SmtpSettings(
        "127.0.0.1", server.port, security="starttls", user=USER, cafile=certificate.cert, timeout=5
    )

    outcomes = mail.send(school, planning.prepare_letters(school, letters, templates=templates), settings)

    assert statuses(outcomes) == SENT_TWO
    assert len(server.recorder.received) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # see smtp_server: it is TLS
def test_implicit_tls_with_the_callers_ssl_context_and_password(school, letters, templates, smtp_server, certificate):
    server = smtp_server(implicit_tls=certificate.server_context())
    trusting = ssl.create_default_context(cafile=certificate.cert)
    settings = SmtpSettings(
        "127.0.0.1", server.port, security="tls", user=USER, password=PASSWORD, ssl_context=trusting, timeout=5
    )

    outcomes = mail.send(school, planning.prepare_letters(school, letters, templates=templates), settings)

    assert statuses(outcomes) == SENT_TWO
    assert {e.rcpt_tos[0] for e in server.recorder.received} == {"k.byrne@oaktutors.example", "zoe@farm.example"}


def test_a_wrong_password_fails_every_letter_clearly_and_logs_nothing(
    school, letters, templates, smtp_server, certificate
):
    server = smtp_server(starttls=certificate.server_context())
    settings = SmtpSettings("127.0.0.1", server.port, user=USER, password="wrong", cafile=certificate.cert, timeout=5)

    outcomes = mail.send(school, planning.prepare_letters(school, letters, templates=templates), settings)

    failed = by_provider(o for o in outcomes if o.status == "failed")
    assert failed.keys() == {"farm-skills", "oak-tutors"}
    assert failed["oak-tutors"].detail.startswith(
        f"the server 127.0.0.1:{server.port} refused the user name or password for '{USER}' (535"
    )
    assert server.recorder.received == [] and not sent_log.read_log(school)
    with pytest.raises(MailError, match="2 e-mails not sent"):
        mail.raise_for_failures(outcomes)


def test_a_server_whose_certificate_is_not_trusted_is_not_used(school, letters, templates, smtp_server, certificate):
    server = smtp_server(starttls=certificate.server_context())
    settings = SmtpSettings("127.0.0.1", server.port, user=USER, password=PASSWORD, timeout=5)

    outcomes = by_provider(mail.send(school, planning.prepare_letters(school, letters, templates=templates), settings))

    assert "could not be trusted" in outcomes["oak-tutors"].detail and "CA file" in outcomes["oak-tutors"].detail
    assert server.recorder.received == []


def test_a_server_that_is_not_there_is_reported_for_each_letter(school, letters, templates):
    settings = SmtpSettings("127.0.0.1", free_port(), security="none", timeout=5)
    outcomes = mail.send(school, planning.prepare_letters(school, letters, templates=templates), settings)
    assert statuses(outcomes) == SENT_TWO | {"farm-skills": "failed", "oak-tutors": "failed"}
    assert "refused the connection (check the host and port)" in by_provider(outcomes)["oak-tutors"].detail


def test_settings_that_cannot_work_are_refused_before_connecting(school, letters, templates, monkeypatch):
    plans = planning.prepare_letters(school, letters, templates=templates)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(MailError, match=f"no password for the SMTP user '{USER}': set {PASSWORD_ENV}"):
        mail.send(school, plans, SmtpSettings("127.0.0.1", free_port(), user=USER))
    with pytest.raises(MailError, match="will not send a password over an unencrypted connection"):
        mail.send(school, plans, SmtpSettings("127.0.0.1", free_port(), security="none", user=USER, password=PASSWORD))
    assert not sent_log.log_path(school).exists()


def test_a_second_run_cannot_send_while_another_holds_the_log(school, letters, templates, smtp_server):
    server = smtp_server()
    plans = planning.prepare_letters(school, letters, templates=templates)
    with open(sent_log.log_path(school), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BusyError, match="another packgen run is sending e-mail for this school"):
            mail.send(school, plans, plain(server))
    assert server.recorder.received == []


def test_a_run_planned_before_another_sent_does_not_send_twice(school, letters, templates, smtp_server):
    server = smtp_server()
    first = planning.prepare_letters(school, letters, templates=templates)
    second = planning.prepare_letters(school, letters, templates=templates)
    mail.send(school, first, plain(server))

    outcomes = by_provider(mail.send(school, second, plain(server)))

    assert outcomes["oak-tutors"].status == "skipped"
    assert outcomes["oak-tutors"].detail == "sent by another packgen run since this was planned"
    assert len(server.recorder.received) == 2


def test_a_damaged_log_line_is_reported_with_its_line_number(school):
    sent_log.log_path(school).write_text('{"kind": "letter"}\nnot json\n')
    with pytest.raises(DataError) as caught:
        sent_log.read_log(school)
    assert {(p.file, p.line) for p in caught.value.problems} == {("letters-sent.jsonl", 1), ("letters-sent.jsonl", 2)}
    assert "letters-sent.jsonl:2: is not a JSON record" in str(caught.value)


def test_the_real_letters_go_out_as_the_command_line_sends_them(tmp_path, smtp_server):
    """The whole way, as `packgen letters --send` runs it: the pipeline's letters, then plan, then send."""
    folder = tmp_path / "data" / "mini-school"
    shutil.copytree(FIXTURE, folder)
    server = smtp_server()

    made = single.build_letters(folder, tmp_path / "output")
    plans = planning.prepare_letters(load_school(folder), made, templates=DEFAULT_TEMPLATES)
    outcomes = by_provider(mail.send(load_school(folder), plans, plain(server)))

    assert (outcomes["oak-tutors"].status, outcomes["hart-vale"].status) == ("sent", "skipped")
    assert (tmp_path / "output" / "mini-school" / "letters" / "oak-tutors.eml").is_file()
    (message,) = server.recorder.messages()
    letter = pdf_text(next(message.iter_attachments()))
    assert "Oak Street Tutors" in letter and "Larkspur Community School" in letter
    assert message["Subject"].startswith("OFFICIAL-SENSITIVE: ") == ("OFFICIAL-SENSITIVE" in letter)


# ---------------------------------------------------------------- status and reminders


def later_providers() -> dict:
    """Added to the mini school (whose hart-vale returned on 2026-09-10, and oak-tutors was asked nothing)."""
    return {
        "farm-skills": provider(
            "Farm Skills",
            {"name": "Zoë Ørsted", "email": "zoe@farm.example"},
            requested_on="2026-09-02",
            received_on="2026-09-12",
            checks={"identity": True, "right_to_work": False, "overseas": "not_applicable"},
        ),
        "road-tutors": provider("Road Tutors", {"name": "P. Okafor"}, requested_on="2026-09-01"),
        "dale-college": provider(
            "Dale College", {"name": "T. Ng", "email": "ng@dale.example"}, requested_on="2026-09-15"
        ),
    }


def test_status_shows_what_came_back_what_is_unconfirmed_and_what_is_overdue(tmp_path):
    data = school_copy(tmp_path, later_providers())

    states = by_provider(replies.status(data, date(2026, 9, 30)))

    hart = states["hart-vale"]
    assert (hart.requested_on, hart.returned_on, hart.reply_due, hart.days_overdue) == (
        date(2026, 9, 1),
        date(2026, 9, 10),
        date(2026, 9, 11),
        0,
    )
    # every staff check confirmed (two not applicable), but no policy confirmed yet
    assert hart.unconfirmed == tuple(f"assurance.practice.{name}" for name in SafeguardingPractice.model_fields)

    farm = states["farm-skills"]
    assert (farm.returned_on, farm.overdue) == (date(2026, 9, 12), False)
    assert "assurance.checks.right_to_work" in farm.unconfirmed  # answered no
    assert "assurance.checks.enhanced_dbs_barred_list" in farm.unconfirmed  # not answered
    assert not {"assurance.checks.identity", "assurance.checks.overseas"} & set(farm.unconfirmed)

    road = states["road-tutors"]
    assert (road.returned_on, road.reply_due, road.days_overdue, road.overdue) == (None, date(2026, 9, 11), 19, True)
    dale = states["dale-college"]
    assert (dale.reply_due, dale.days_overdue) == (date(2026, 9, 25), 5)
    oak = states["oak-tutors"]
    assert (oak.requested_on, oak.reply_due, oak.days_overdue) == (None, None, 0)


def test_without_a_request_date_the_letter_e_mailed_is_the_request(tmp_path, templates, smtp_server):
    last_year = provider(
        "Oak Street Tutors", {"name": "K. Byrne", "email": "k.byrne@oaktutors.example"}, received_on="2025-09-20"
    )
    data = school_copy(tmp_path, {"oak-tutors": last_year})
    oak = [letter_for(render_letters(data, tmp_path / "output"), "oak-tutors")]
    (plan,) = planning.prepare_letters(data, oak, templates=templates)
    assert (plan.action, plan.reason) == ("skip", "the provider returned its assurance on 2025-09-20")

    mail.send(data, planning.prepare_letters(data, oak, templates=templates, resend=True), plain(smtp_server()))

    sent_on = datetime.now(UTC).astimezone().date()
    state = by_provider(replies.status(data, sent_on + timedelta(days=15)))["oak-tutors"]
    assert (state.requested_on, state.letter_sent_on) == (sent_on, sent_on)
    assert state.returned_on is None  # last year's reply does not answer this request
    assert (state.reply_due, state.days_overdue) == (sent_on + timedelta(days=10), 5)


def test_overdue_providers_are_reminded_once_with_the_letter_attached(tmp_path, templates, smtp_server):
    data = school_copy(tmp_path, later_providers())
    letters = render_letters(data, tmp_path / "output")
    server = smtp_server()
    today = date(2026, 9, 30)

    plans = by_provider(planning.prepare_chases(data, letters, today, templates=templates, now=NOW))

    assert {pid: p.action for pid, p in plans.items()} == {
        "dale-college": "send",
        "farm-skills": "skip",
        "hart-vale": "skip",
        "oak-tutors": "skip",
        "road-tutors": "post",
    }
    assert plans["dale-college"].reason == "reply was due on 2026-09-25, 5 days overdue"
    assert plans["dale-college"].eml.name == "dale-college-reminder.eml"
    assert plans["hart-vale"].reason == "returned on 2026-09-10"
    assert plans["oak-tutors"].reason.startswith("no request recorded")
    assert "print a reminder and post it" in plans["road-tutors"].reason

    outcomes = mail.send(data, list(plans.values()), plain(server))
    assert statuses(outcomes)["dale-college"] == "sent"
    (reminder,) = server.recorder.messages()
    assert who(reminder["To"]) == "T. Ng <ng@dale.example>"
    assert reminder["Subject"] == "Reminder: staff-check assurance for Larkspur Community School"
    assert "On 15 September 2026 we asked Dale College" in reminder.get_body(("plain",)).get_content()
    assert "25 September 2026" in reminder.get_body(("html",)).get_content()
    assert "To: Dale College" in pdf_text(next(reminder.iter_attachments()))
    assert [(e["kind"], e["provider"]) for e in log_lines(data)] == [("chase", "dale-college")]

    reminded_on = datetime.now(UTC).astimezone().date()
    assert by_provider(replies.status(data, today))["dale-college"].reminded_on == reminded_on
    again = by_provider(planning.prepare_chases(data, letters, reminded_on + timedelta(days=3), templates=templates))
    assert again["dale-college"].action == "skip"
    assert f"next reminder from {reminded_on + timedelta(days=7):%Y-%m-%d}" in again["dale-college"].reason
    a_week_later = by_provider(
        planning.prepare_chases(data, letters, reminded_on + timedelta(days=7), templates=templates)
    )
    assert a_week_later["dale-college"].action == "send"
    asked = by_provider(planning.prepare_chases(data, letters, reminded_on, templates=templates, resend=True))
    assert asked["dale-college"].action == "resend" and "reminding again as asked" in asked["dale-college"].reason


def test_a_letter_sent_long_after_an_old_request_asks_for_a_reply_counted_from_the_day_it_goes(
    tmp_path, templates, smtp_server
):
    asked_in_spring = provider(
        "Oak Street Tutors", {"name": "K. Byrne", "email": "k.byrne@oaktutors.example"}, requested_on="2026-03-02"
    )
    data = school_copy(tmp_path, {"oak-tutors": asked_in_spring})
    sent_on = datetime.now(UTC).astimezone().date()
    oak = [letter_for(render_letters(data, tmp_path / "output", today=sent_on), "oak-tutors")]
    due = sent_on + timedelta(days=10)
    assert oak[0].spec.context["reply_by"] == due  # the printed letter agrees with the e-mail

    (plan,) = planning.prepare_letters(data, oak, templates=templates)
    assert f"by {due.day} {due:%B %Y}" in plan.message.get_body(("plain",)).get_content()
    mail.send(data, [plan], plain(smtp_server()))

    state = by_provider(replies.status(data, sent_on))["oak-tutors"]
    assert (state.requested_on, state.letter_sent_on, state.reply_due, state.overdue) == (sent_on, sent_on, due, False)


def test_the_mail_server_comes_from_the_environment_or_else_from_school_yaml(tmp_path):
    data = school_copy(tmp_path)
    assert school_smtp(data, {}) is None  # the mini school names no server
    path = Path(data.folder) / "school.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "letters:\n", "letters:\n  smtp: {host: mail.larkspur.example, port: 2525, security: tls, user: ap}\n", 1
        ),
        encoding="utf-8",
    )
    data = load_school(Path(data.folder))
    assert school_smtp(data, {"PACKGEN_SMTP_PASSWORD": "never read here"}) == SmtpSettings(
        "mail.larkspur.example", 2525, "tls", "ap"
    )
    assert school_smtp(
        data, {"PACKGEN_SMTP_HOST": "relay.example", "PACKGEN_SMTP_PORT": "25", "PACKGEN_SMTP_SECURITY": "none"}
    ) == SmtpSettings("relay.example", 25, "none")
    assert school_smtp(None, {}) is None  # school.yaml did not load: only the environment can say
