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
import os
import shutil
import socket
import ssl
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from packgen import documents, mail
from packgen.documents import DocumentSpec
from packgen.errors import BusyError, DataError, TemplateProblem
from packgen.mail import MailError, SmtpSettings
from packgen.models import Provider, PupilFile, SchoolData, SchoolFile

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TODAY = date(2026, 9, 2)
NOW = datetime(2026, 9, 2, 9, 30, tzinfo=timezone.utc)
USER, PASSWORD = "ap@mini.example", "correct horse battery staple"

# ---------------------------------------------------------------- a small school


SCHOOL = {
    "school": {"name": "Mini Academy", "urn": "149999", "la": "Northshire",
               "address": "1 Example Road, Northtown, NT1 1AA", "phone": "01234 567890"},
    "staff": {"headteacher": {"name": "R. Patel", "email": "head@mini.example"},
              "ap_lead": {"name": "J. Russell", "email": "ap@mini.example"},
              "dsl": {"name": "J. Russell", "email": "dsl@mini.example"}},
    "letters": {"reply_to": {"name": "J. Russell", "email": "ap@mini.example"}, "reply_within_days": 14},
}


def provider(name: str, lead: dict, **assurance) -> dict:
    return {"name": name, "kind": "registered_ap", "registration": {"status": "registered", "urn": "148888"},
            "address": "5 Canal Street, Northtown", "contacts": {"lead": lead},
            "assurance": {"requested_on": "2026-09-02"} | assurance}


PROVIDERS = {
    "bridge-learning": provider("Bridge Learning Centre", {"name": "A. Khan", "email": "lead@bridge.example"}),
    "farm-skills": provider("Smith & <Sons> Farm Skills", {"name": "Zoë Ørsted", "email": "zoe@farm.example"}),
    "road-tutors": provider("Road Tutors", {"name": "P. Okafor", "phone": "01234 000000"}),
}

PUPILS = {
    "p01": {
        "pupil": {"upn": "B801200005001", "legal_forename": "Chloé", "legal_surname": "O'Brien-Nowak",
                  "preferred_name": "Chlo", "dob": "2011-04-03", "year_group": 10, "gender": "female"},
        "placement": {"provider": "bridge-learning", "arranged_by": "school", "category": "at_risk_full_time",
                      "start_date": "2026-09-08", "hours_per_week": 25},
    },
}


def school_data(folder: Path, providers: dict | None = None) -> SchoolData:
    """The school as packgen.load would give it: typed records checked by the models."""
    folder.mkdir(parents=True, exist_ok=True)
    return SchoolData(
        slug=folder.name, folder=str(folder), school=SchoolFile.model_validate(SCHOOL),
        providers={pid: Provider.model_validate(p) for pid, p in (providers or PROVIDERS).items()},
        pupils={pid: PupilFile.model_validate(p) for pid, p in PUPILS.items()},
    )


@dataclass(frozen=True)
class Letter:
    """A rendered letter as the pipeline hands it over (pipeline.Produced has the same spec and pdf)."""

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
    """Stand-ins for pipeline.build_letters: the real spec, and a PDF that names the provider."""
    letters = []
    for pid, record in data.providers.items():
        pdf = make_pdf(out / data.slug / "letters" / f"{pid}.pdf", "Request for staff-check assurance",
                       f"To: {record.name}", f"From: {data.school.school.name}")
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
    return school_data(tmp_path / "data" / "mini-academy")


@pytest.fixture
def letters(school: SchoolData, tmp_path: Path) -> list[Letter]:
    return render_letters(school, tmp_path / "output")


# ---------------------------------------------------------------- a real SMTP server


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message it accepts and refuses the addresses it is told to."""

    refuse: set[str] = field(default_factory=set)
    received: list[Envelope] = field(default_factory=list)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address in self.refuse:
            return "553 5.7.1 Sender not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=policy.default) for e in self.received]


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Server:
    port: int
    recorder: Recorder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start real SMTP servers on 127.0.0.1 (plain, STARTTLS or implicit TLS); all stopped afterwards."""
    running: list[Controller] = []

    def start(*, refuse: tuple[str, ...] = (), starttls: ssl.SSLContext | None = None,
              implicit_tls: ssl.SSLContext | None = None) -> Server:
        recorder = Recorder(refuse=set(refuse))
        options: dict = {}
        if starttls:
            options = {"tls_context": starttls, "require_starttls": True,
                       "authenticator": check_login, "auth_required": True}
        if implicit_tls:
            # aiosmtpd only counts STARTTLS as encryption when it guards AUTH; this connection is TLS
            # from its first byte, so the guard is lifted rather than letting passwords go in clear.
            options = {"ssl_context": implicit_tls, "authenticator": check_login, "auth_required": True,
                       "auth_require_tls": False}
        controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        running.append(controller)
        return Server(controller.port, recorder)

    yield start
    for controller in running:
        controller.stop()


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
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return Certificate(folder / "cert.pem", folder / "key.pem")


def plain(server: Server) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", server.port, security="none", timeout=5)


def log_lines(school: SchoolData) -> list[dict]:
    return [json.loads(line) for line in mail.log_path(school).read_text().splitlines()]


def by_provider(items) -> dict:
    return {(i.planned if isinstance(i, mail.Outcome) else i).provider_id: i for i in items}


def who(header) -> str:
    """An address header as a person reads it, however the display name had to be quoted."""
    (address,) = header.addresses
    return f"{address.display_name} <{address.addr_spec}>"


def pdf_text(part) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(part.get_content())).pages)


# ---------------------------------------------------------------- the .eml files (the dry run)


def test_each_provider_with_an_address_gets_a_ready_to_send_eml_beside_its_letter(school, letters, templates):
    plans = by_provider(mail.prepare_letters(school, letters, templates=templates, now=NOW))

    bridge = plans["bridge-learning"]
    assert (bridge.action, bridge.to, bridge.reason) == ("send", "lead@bridge.example", "not sent before")
    assert bridge.eml == bridge.pdf.with_suffix(".eml") and bridge.eml.name == "bridge-learning.eml"
    assert stat.S_IMODE(bridge.eml.stat().st_mode) == 0o600

    message = email.message_from_bytes(bridge.eml.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1"  # Outlook opens it as a draft, ready to send
    assert who(message["To"]) == "A. Khan <lead@bridge.example>"
    assert who(message["Reply-To"]) == "J. Russell <ap@mini.example>"
    assert who(message["From"]) == "J. Russell <ap@mini.example>"  # reply_to, as no sender was given
    assert message["Subject"] == "Staff-check assurance request from Mini Academy"
    assert message["Message-ID"].endswith("@mini.example>")
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear A. Khan," in text and "by 16 September 2026" in text  # requested 2 Sep + 14 days
    assert "<p>Dear A. Khan,</p>" in html and "16 September 2026" in html
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert "To: Bridge Learning Centre" in pdf_text(attachment)

    road = plans["road-tutors"]
    assert (road.action, road.to, road.eml) == ("post", None, None)
    assert "print the letter and post it" in road.reason
    assert not road.pdf.with_suffix(".eml").exists()


def test_the_e_mail_names_no_pupil_and_is_marked_as_its_letter_is(school, letters, templates):
    make_pdf(letters[0].pdf, "OFFICIAL-SENSITIVE", "Request for staff-check assurance")
    plans = by_provider(mail.prepare_letters(school, letters, templates=templates, now=NOW))

    marked = email.message_from_bytes(plans["bridge-learning"].eml.read_bytes(), policy=policy.default)
    assert marked["Subject"] == "OFFICIAL-SENSITIVE: Staff-check assurance request from Mini Academy"
    bodies = marked.get_body(("plain",)).get_content() + marked.get_body(("html",)).get_content()
    assert "has pupils attending Bridge Learning Centre" in bodies
    assert "Chlo" not in bodies and "B801200005001" not in bodies

    unmarked = email.message_from_bytes(plans["farm-skills"].eml.read_bytes(), policy=policy.default)
    assert unmarked["Subject"] == "Staff-check assurance request from Mini Academy"


def test_a_provider_name_with_markup_is_escaped_in_html_and_kept_in_text(school, letters, templates):
    plans = by_provider(mail.prepare_letters(school, letters, templates=templates, now=NOW))
    message = email.message_from_bytes(plans["farm-skills"].eml.read_bytes(), policy=policy.default)
    assert who(message["To"]) == "Zoë Ørsted <zoe@farm.example>"
    assert "is planning to place pupils with Smith & <Sons> Farm Skills" in message.get_body(("plain",)).get_content()
    assert "Smith &amp; &lt;Sons&gt; Farm Skills" in message.get_body(("html",)).get_content()


def test_a_sender_can_be_given_and_replies_still_go_to_the_school(school, letters, templates):
    plans = mail.prepare_letters(school, letters, templates=templates, sender="Office <office@mini.example>")
    message = email.message_from_bytes(plans[0].eml.read_bytes(), policy=policy.default)
    assert who(message["From"]) == "Office <office@mini.example>"
    assert who(message["Reply-To"]) == "J. Russell <ap@mini.example>"
    assert message["Message-ID"].endswith("@mini.example>")


def test_addresses_that_are_not_addresses_are_all_reported_with_their_file_and_key(tmp_path, templates):
    providers = PROVIDERS | {"bridge-learning": provider("Bridge", {"name": "A. Khan", "email": "bridge.example"})}
    data = school_data(tmp_path / "data" / "mini-academy", providers)
    letters = render_letters(data, tmp_path / "output")

    with pytest.raises(DataError) as caught:
        mail.prepare_letters(data, letters, templates=templates, sender="not an address")
    where = [(p.file, p.key) for p in caught.value.problems]
    assert where == [("providers/bridge-learning.yaml", "contacts.lead.email"),
                     ("school.yaml", "letters.reply_to.email")]
    assert "'bridge.example' is not an e-mail address" in str(caught.value)
    assert not list((tmp_path / "output").rglob("*.eml"))


def test_a_letter_that_names_a_pupil_is_not_e_mailed(school, letters, templates):
    make_pdf(letters[0].pdf, "Request for staff-check assurance", "Your tutor: M. O'Brien-Nowak")
    mail.prepare_letters(school, letters, templates=templates)  # a shared surname alone names no pupil
    for eml in letters[0].pdf.parent.glob("*.eml"):
        eml.unlink()

    make_pdf(letters[0].pdf, "Request for staff-check assurance", "Our pupil: Chloé O\u2019Brien-Nowak")

    with pytest.raises(TemplateProblem) as caught:
        mail.prepare_letters(school, letters, templates=templates)
    message = str(caught.value)
    assert "bridge-learning.pdf: names pupils/p01.yaml" in message and "farm-skills" not in message
    assert "Chlo" not in message  # the error itself names the record, never the child
    assert not list(letters[0].pdf.parent.glob("*.eml"))


def test_a_letter_that_gives_a_pupils_upn_is_not_e_mailed(school, letters, templates):
    make_pdf(letters[1].pdf, "Request for staff-check assurance", "UPN b801200005001")
    with pytest.raises(TemplateProblem, match="farm-skills.pdf: names pupils/p01.yaml"):
        mail.prepare_letters(school, letters, templates=templates)


def test_an_e_mail_template_cannot_reach_pupils_or_forget_its_subject(school, letters, templates):
    (templates / "letter_email.html").write_text("<p>{{ pupil.legal_forename }}</p>")
    with pytest.raises(TemplateProblem, match="letter_email.html uses something an e-mail does not have"):
        mail.prepare_letters(school, letters, templates=templates)

    (templates / "letter_email.txt").write_text("Dear {{ provider.contacts.lead.name }},\n")
    with pytest.raises(TemplateProblem, match="letter_email.txt must set the e-mail's subject"):
        mail.prepare_letters(school, letters, templates=templates)


# ---------------------------------------------------------------- the letter's version


def test_a_letter_keeps_its_version_however_often_or_late_it_is_rendered(school, templates):
    first = mail.letter_version(documents.letter(school, "bridge-learning", TODAY), templates)
    next_week = mail.letter_version(documents.letter(school, "bridge-learning", TODAY + timedelta(days=7)), templates)
    assert first == next_week


def test_the_providers_answers_and_later_records_do_not_make_a_new_letter(tmp_path, templates):
    answered = provider("Bridge Learning Centre", {"name": "A. Khan", "email": "lead@bridge.example"},
                        received_on="2026-09-10", checks={"identity": True}, staff_named=["M. Lee"])
    answered["qa_visits"] = [{"date": "2026-10-08", "by": "S. Cope", "focus": "progress"}]
    before = school_data(tmp_path / "a" / "mini-academy")
    after = school_data(tmp_path / "b" / "mini-academy", PROVIDERS | {"bridge-learning": answered})
    version = lambda data: mail.letter_version(documents.letter(data, "bridge-learning", TODAY), templates)
    assert version(before) == version(after)


def test_a_new_request_contact_or_template_makes_a_new_letter(tmp_path, templates):
    data = school_data(tmp_path / "data" / "mini-academy")
    original = mail.letter_version(documents.letter(data, "bridge-learning", TODAY), templates)

    next_year = provider("Bridge Learning Centre", {"name": "A. Khan", "email": "lead@bridge.example"},
                         requested_on="2027-09-01")
    new_lead = provider("Bridge Learning Centre", {"name": "B. Shah", "email": "shah@bridge.example"})
    for number, changed in enumerate((next_year, new_lead)):
        other = school_data(tmp_path / str(number) / "mini-academy", PROVIDERS | {"bridge-learning": changed})
        assert mail.letter_version(documents.letter(other, "bridge-learning", TODAY), templates) != original

    (templates / "letter.docx").write_bytes(b"stand-in for the letter's Word template, version 2")
    assert mail.letter_version(documents.letter(data, "bridge-learning", TODAY), templates) != original


# ---------------------------------------------------------------- sending


def test_send_delivers_each_letter_and_records_it(school, letters, templates, smtp_server):
    server = smtp_server()
    plans = mail.prepare_letters(school, letters, templates=templates, now=NOW)

    outcomes = by_provider(mail.send(school, plans, plain(server)))

    assert {pid: o.status for pid, o in outcomes.items()} == {
        "bridge-learning": "sent", "farm-skills": "sent", "road-tutors": "post"}
    mail.raise_for_failures(outcomes.values())  # nothing failed: no error

    envelopes = {e.rcpt_tos[0]: e for e in server.recorder.received}
    assert envelopes.keys() == {"lead@bridge.example", "zoe@farm.example"}
    assert envelopes["lead@bridge.example"].mail_from == "ap@mini.example"
    received = {m["To"].addresses[0].addr_spec: m for m in server.recorder.messages()}
    bridge = received["lead@bridge.example"]
    assert "X-Unsent" not in bridge  # only the .eml for Outlook carries it
    assert (who(bridge["To"]), who(bridge["Reply-To"])) == ("A. Khan <lead@bridge.example>", "J. Russell <ap@mini.example>")
    assert "staff-check assurance" in bridge["Subject"].lower() and "Mini Academy" in bridge["Subject"]
    assert "Dear A. Khan," in bridge.get_body(("plain",)).get_content()
    assert "<p>Dear A. Khan,</p>" in bridge.get_body(("html",)).get_content()
    assert "To: Bridge Learning Centre" in pdf_text(next(bridge.iter_attachments()))
    assert "To: Smith & <Sons> Farm Skills" in pdf_text(next(received["zoe@farm.example"].iter_attachments()))

    log = {line["provider"]: line for line in log_lines(school)}
    assert log.keys() == {"bridge-learning", "farm-skills"}
    entry = log["bridge-learning"]
    assert entry["to"] == "lead@bridge.example" and entry["kind"] == "letter"
    assert entry["message_id"] == bridge["Message-ID"] == outcomes["bridge-learning"].message_id
    assert entry["version"] == by_provider(plans)["bridge-learning"].version
    sent_at = datetime.fromisoformat(entry["sent_at"])
    assert sent_at.utcoffset() == timedelta(0) and abs(datetime.now(timezone.utc) - sent_at) < timedelta(minutes=1)
    assert stat.S_IMODE(mail.log_path(school).stat().st_mode) == 0o600


def test_sending_again_sends_nothing_unless_asked_to_resend(school, letters, templates, smtp_server):
    server = smtp_server()
    mail.send(school, mail.prepare_letters(school, letters, templates=templates), plain(server))
    assert len(server.recorder.received) == 2

    again = by_provider(mail.prepare_letters(school, letters, templates=templates))
    assert again["bridge-learning"].action == "skip"
    assert again["bridge-learning"].reason.startswith("this letter was sent to lead@bridge.example on ")
    outcomes = mail.send(school, list(again.values()), plain(server))
    assert [o.status for o in outcomes] == ["skipped", "skipped", "post"]
    assert len(server.recorder.received) == 2 and len(log_lines(school)) == 2

    resend = mail.prepare_letters(school, letters, templates=templates, resend=True)
    assert [p.action for p in resend] == ["resend", "resend", "post"]
    mail.send(school, resend, plain(server))
    assert len(server.recorder.received) == 4 and len(log_lines(school)) == 4


def test_a_provider_that_has_returned_its_assurance_is_not_sent_the_letter_again(tmp_path, templates):
    data = school_data(tmp_path / "data" / "mini-academy", returned_providers())
    plans = by_provider(mail.prepare_letters(data, render_letters(data, tmp_path / "output"), templates=templates))
    assert (plans["bridge-learning"].action, plans["bridge-learning"].reason) == (
        "skip", "the provider returned its assurance on 2026-09-12")
    assert plans["farm-skills"].action == "send"


def test_a_changed_letter_is_sent_again(school, letters, templates, smtp_server):
    server = smtp_server()
    mail.send(school, mail.prepare_letters(school, letters, templates=templates), plain(server))

    (templates / "letter.docx").write_bytes(b"stand-in for the letter's Word template, version 2")
    plans = by_provider(mail.prepare_letters(school, letters, templates=templates))
    assert plans["bridge-learning"].action == "send"
    assert plans["bridge-learning"].reason.startswith("the letter has changed since it was last sent on ")


def test_a_refused_recipient_fails_alone_and_only_what_was_sent_is_logged(school, letters, templates, smtp_server):
    server = smtp_server(refuse=("lead@bridge.example",))
    plans = mail.prepare_letters(school, letters, templates=templates)

    outcomes = by_provider(mail.send(school, plans, plain(server)))

    assert outcomes["bridge-learning"].status == "failed"
    assert "refused the address lead@bridge.example: 550" in outcomes["bridge-learning"].detail
    assert outcomes["farm-skills"].status == "sent"
    assert [line["provider"] for line in log_lines(school)] == ["farm-skills"]
    with pytest.raises(MailError, match=r"1 e-mail not sent \(1 sent and recorded\)") as caught:
        mail.raise_for_failures(list(outcomes.values()))
    assert "bridge-learning (lead@bridge.example): the server refused" in str(caught.value)
    assert caught.value.exit_code == 1

    retry = by_provider(mail.prepare_letters(school, letters, templates=templates))
    assert (retry["bridge-learning"].action, retry["farm-skills"].action) == ("send", "skip")


def test_a_sender_the_server_will_not_send_for_is_reported_for_each_letter(school, letters, templates, smtp_server):
    server = smtp_server(refuse=("noreply@mini.example",))
    plans = mail.prepare_letters(school, letters, templates=templates, sender="noreply@mini.example")

    outcomes = mail.send(school, plans, plain(server))

    assert [o.status for o in outcomes] == ["failed", "failed", "post"]
    assert outcomes[1].detail == "the server refused the sender noreply@mini.example: 553 5.7.1 Sender not allowed"
    assert server.recorder.received == [] and not mail.read_log(school)


def test_starttls_with_a_login_and_the_password_from_the_environment(
        school, letters, templates, smtp_server, certificate, monkeypatch):
    server = smtp_server(starttls=certificate.server_context())
    monkeypatch.setenv(mail.PASSWORD_ENV, PASSWORD)
    settings = SmtpSettings("127.0.0.1", server.port, security="starttls", user=USER,
                            cafile=certificate.cert, timeout=5)

    outcomes = mail.send(school, mail.prepare_letters(school, letters, templates=templates), settings)

    assert [o.status for o in outcomes] == ["sent", "sent", "post"]
    assert len(server.recorder.received) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # see smtp_server: it is TLS
def test_implicit_tls_with_the_callers_ssl_context_and_password(school, letters, templates, smtp_server, certificate):
    server = smtp_server(implicit_tls=certificate.server_context())
    trusting = ssl.create_default_context(cafile=certificate.cert)
    settings = SmtpSettings("127.0.0.1", server.port, security="tls", user=USER, password=PASSWORD,
                            ssl_context=trusting, timeout=5)

    outcomes = mail.send(school, mail.prepare_letters(school, letters, templates=templates), settings)

    assert [o.status for o in outcomes] == ["sent", "sent", "post"]
    assert {e.rcpt_tos[0] for e in server.recorder.received} == {"lead@bridge.example", "zoe@farm.example"}


def test_a_wrong_password_fails_every_letter_clearly_and_logs_nothing(
        school, letters, templates, smtp_server, certificate):
    server = smtp_server(starttls=certificate.server_context())
    settings = SmtpSettings("127.0.0.1", server.port, user=USER, password="wrong", cafile=certificate.cert,
                            timeout=5)

    outcomes = mail.send(school, mail.prepare_letters(school, letters, templates=templates), settings)

    failed = [o for o in outcomes if o.status == "failed"]
    assert [o.planned.provider_id for o in failed] == ["bridge-learning", "farm-skills"]
    assert failed[0].detail.startswith(f"the server 127.0.0.1:{server.port} refused the user name or password "
                                       f"for '{USER}' (535")
    assert server.recorder.received == [] and not mail.read_log(school)
    with pytest.raises(MailError, match="2 e-mails not sent"):
        mail.raise_for_failures(outcomes)


def test_a_server_whose_certificate_is_not_trusted_is_not_used(school, letters, templates, smtp_server, certificate):
    server = smtp_server(starttls=certificate.server_context())
    settings = SmtpSettings("127.0.0.1", server.port, user=USER, password=PASSWORD, timeout=5)

    outcomes = mail.send(school, mail.prepare_letters(school, letters, templates=templates), settings)

    assert "could not be trusted" in outcomes[0].detail and "CA file" in outcomes[0].detail
    assert server.recorder.received == []


def test_a_server_that_is_not_there_is_reported_for_each_letter(school, letters, templates):
    settings = SmtpSettings("127.0.0.1", free_port(), security="none", timeout=5)
    outcomes = mail.send(school, mail.prepare_letters(school, letters, templates=templates), settings)
    assert [o.status for o in outcomes] == ["failed", "failed", "post"]
    assert "refused the connection (check the host and port)" in outcomes[0].detail


def test_settings_that_cannot_work_are_refused_before_connecting(school, letters, templates, monkeypatch):
    plans = mail.prepare_letters(school, letters, templates=templates)
    monkeypatch.delenv(mail.PASSWORD_ENV, raising=False)
    with pytest.raises(MailError, match=f"no password for the SMTP user '{USER}': set {mail.PASSWORD_ENV}"):
        mail.send(school, plans, SmtpSettings("127.0.0.1", free_port(), user=USER))
    with pytest.raises(MailError, match="will not send a password over an unencrypted connection"):
        mail.send(school, plans, SmtpSettings("127.0.0.1", free_port(), security="none", user=USER,
                                              password=PASSWORD))
    assert not mail.log_path(school).exists()


def test_a_second_run_cannot_send_while_another_holds_the_log(school, letters, templates, smtp_server):
    server = smtp_server()
    plans = mail.prepare_letters(school, letters, templates=templates)
    with open(mail.log_path(school), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BusyError, match="another packgen run is sending e-mail for this school"):
            mail.send(school, plans, plain(server))
    assert server.recorder.received == []


def test_a_run_planned_before_another_sent_does_not_send_twice(school, letters, templates, smtp_server):
    server = smtp_server()
    first = mail.prepare_letters(school, letters, templates=templates)
    second = mail.prepare_letters(school, letters, templates=templates)
    mail.send(school, first, plain(server))

    outcomes = mail.send(school, second, plain(server))

    assert [o.status for o in outcomes] == ["skipped", "skipped", "post"]
    assert "sent by another packgen run" in outcomes[0].detail
    assert len(server.recorder.received) == 2


def test_a_damaged_log_line_is_reported_with_its_line_number(school):
    mail.log_path(school).write_text('{"kind": "letter"}\nnot json\n')
    with pytest.raises(DataError) as caught:
        mail.read_log(school)
    assert {(p.file, p.line) for p in caught.value.problems} == {("letters-sent.jsonl", 1), ("letters-sent.jsonl", 2)}
    assert "letters-sent.jsonl:2: is not a JSON record" in str(caught.value)


# ---------------------------------------------------------------- status and reminders


def returned_providers() -> dict:
    checks = {"identity": True, "enhanced_dbs_barred_list": True, "right_to_work": True, "overseas": "not_applicable",
              "qualifications_qts": True, "prohibition": True, "section_128": "not_applicable"}
    practice = {name: True for name in (
        "safeguarding_training", "annual_safeguarding_update", "safer_recruitment_panel", "safeguarding_policy",
        "attendance_policy", "code_of_conduct", "whistleblowing_policy", "online_safety_policy", "prevent_duty",
        "equality_statement", "complaints_policy")}
    lead = {"name": "A. Khan", "email": "lead@bridge.example"}
    return {
        "bridge-learning": provider("Bridge Learning Centre", lead, received_on="2026-09-12",
                                    checks=checks | {"right_to_work": False}, practice=practice | {"prevent_duty": None}),
        "farm-skills": provider("Farm Skills", {"name": "Zoë Ørsted", "email": "zoe@farm.example"},
                                requested_on="2026-09-10"),
        "road-tutors": provider("Road Tutors", {"name": "P. Okafor"}, requested_on="2026-09-01",
                                received_on="2026-06-30"),  # last year's reply: this year's is still owed
        "new-college": {"name": "New College", "kind": "college", "registration": {"status": "registered"},
                        "address": "College Lane", "contacts": {"lead": {"name": "T. Ng", "email": "ng@college.example"}}},
    }


def test_status_shows_what_came_back_what_is_unconfirmed_and_what_is_overdue(tmp_path):
    data = school_data(tmp_path / "data" / "mini-academy", returned_providers())

    states = by_provider(mail.status(data, date(2026, 9, 30)))

    bridge = states["bridge-learning"]
    assert (bridge.requested_on, bridge.returned_on, bridge.reply_due) == (
        date(2026, 9, 2), date(2026, 9, 12), date(2026, 9, 16))
    assert bridge.unconfirmed == ("assurance.checks.right_to_work", "assurance.practice.prevent_duty")
    assert (bridge.days_overdue, bridge.overdue) == (0, False)

    farm = states["farm-skills"]
    assert (farm.returned_on, farm.reply_due, farm.days_overdue) == (None, date(2026, 9, 24), 6)
    assert len(farm.unconfirmed) == 18  # nothing confirmed yet: every check and every policy

    road = states["road-tutors"]
    assert (road.returned_on, road.reply_due, road.days_overdue) == (None, date(2026, 9, 15), 15)

    college = states["new-college"]
    assert (college.requested_on, college.reply_due, college.days_overdue) == (None, None, 0)


def test_status_takes_the_request_date_from_the_log_when_the_record_has_none(tmp_path, templates, smtp_server):
    data = school_data(tmp_path / "data" / "mini-academy", returned_providers())
    letters = [m for m in render_letters(data, tmp_path / "output") if m.spec.owner == "new-college"]
    mail.send(data, mail.prepare_letters(data, letters, templates=templates), plain(smtp_server()))

    sent_on = datetime.now(timezone.utc).astimezone().date()
    college = by_provider(mail.status(data, sent_on + timedelta(days=20)))["new-college"]
    assert (college.requested_on, college.letter_sent_on) == (sent_on, sent_on)
    assert (college.reply_due, college.days_overdue) == (sent_on + timedelta(days=14), 6)


def test_overdue_providers_are_reminded_once_with_the_letter_attached(tmp_path, templates, smtp_server):
    data = school_data(tmp_path / "data" / "mini-academy", returned_providers())
    letters = render_letters(data, tmp_path / "output")
    server = smtp_server()
    today = date(2026, 9, 30)

    plans = by_provider(mail.prepare_chases(data, letters, today, templates=templates, now=NOW))

    assert {pid: p.action for pid, p in plans.items()} == {
        "bridge-learning": "skip", "farm-skills": "send", "road-tutors": "post", "new-college": "skip"}
    assert plans["bridge-learning"].reason == "returned on 2026-09-12"
    assert plans["farm-skills"].reason == "reply was due on 2026-09-24, 6 days overdue"
    assert plans["farm-skills"].eml.name == "farm-skills-reminder.eml"
    assert "print a reminder and post it" in plans["road-tutors"].reason
    assert plans["new-college"].reason.startswith("no request recorded")

    outcomes = mail.send(data, list(plans.values()), plain(server))
    assert [o.status for o in outcomes] == ["skipped", "sent", "post", "skipped"]
    (reminder,) = server.recorder.messages()
    assert who(reminder["To"]) == "Zoë Ørsted <zoe@farm.example>"
    assert reminder["Subject"] == "Reminder: staff-check assurance for Mini Academy"
    assert "On 10 September 2026 we asked Farm Skills" in reminder.get_body(("plain",)).get_content()
    assert "24 September 2026" in reminder.get_body(("html",)).get_content()
    assert "To: Farm Skills" in pdf_text(next(reminder.iter_attachments()))
    assert [(e["kind"], e["provider"]) for e in log_lines(data)] == [("chase", "farm-skills")]

    reminded_on = datetime.now(timezone.utc).astimezone().date()
    assert by_provider(mail.status(data, today))["farm-skills"].reminded_on == reminded_on
    again = by_provider(mail.prepare_chases(data, letters, reminded_on + timedelta(days=3), templates=templates))
    assert again["farm-skills"].action == "skip"
    assert f"next reminder from {reminded_on + timedelta(days=7):%Y-%m-%d}" in again["farm-skills"].reason
    a_week_later = by_provider(mail.prepare_chases(data, letters, reminded_on + timedelta(days=7),
                                                   templates=templates))
    assert a_week_later["farm-skills"].action == "send"
    asked = by_provider(mail.prepare_chases(data, letters, reminded_on, templates=templates, resend=True))
    assert asked["farm-skills"].action == "resend" and "reminding again as asked" in asked["farm-skills"].reason
