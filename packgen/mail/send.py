"""Letters out by e-mail: the ready-to-send messages, sending them through SMTP, and the sent log.

The flow the command line follows, each step a function here:

1. ``prepare_letters`` (or ``prepare_chases``) turns each provider's rendered letter into an e-mail,
   writes it as ``<provider>.eml`` beside the letter's PDF, and plans what to do with it: send, send
   again, skip (and why), or print and post when the provider has no e-mail address. Nothing is sent;
   this is the dry run.
2. ``send`` sends the planned messages through one SMTP connection and appends each one to the school's
   sent log (``letters-sent.jsonl`` in the school folder) the moment the server accepts it, so a retry
   after a failure part-way never sends the same letter twice.
3. ``status`` reads the records and the log: per provider, when the letter was asked for, whether it came
   back, which checks are still unconfirmed, and how many days the reply is overdue.

Which letters are "the same": a letter's *version* is a hash of what the letter is made from (its Word
template and the data it is rendered with), not of the PDF, whose bytes change with every rendering.
The day it was made is left out, so a retry tomorrow is still the same letter; so are the provider's
answers and the school's later notes about the provider (pre-admission checks, QA visits), which do not
change what the letter asks. A changed template, a new contact or a new ``requested_on`` is a new letter.

Classification: an e-mail carries no personal data about children. Its templates are given no pupil
records, and ``prepare_*`` reads every PDF it is about to attach and refuses to e-mail a letter that
names a pupil (name or UPN). The e-mail takes the protective marking of what it carries: when the
letter is marked OFFICIAL-SENSITIVE (the completed form will hold the provider's staff check details),
so is the e-mail's subject; a letter without the marking gives an e-mail without it.

SMTP failures (unknown host, refused connection, bad password, refused recipient) are reported per
provider in ``Outcome``; they come from settings the user gave or a server the user can retry, so the
caller treats them as the user's input (exit 1, via ``raise_for_failures``), not a broken packgen.

A connection that breaks after a message was handed over in full but before the server answered leaves
its fate unknown: it may well have arrived. Such a message is logged as ``fate: unknown`` and never sent
again by a later run, not even with ``resend``, unless asked in so many words (``resend_unknown``): only
the provider can say whether it came. A server that fails to say goodbye (QUIT) after accepting the
messages changes nothing: they were accepted, and are logged as sent.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, ValidationError
from pydantic_core import to_jsonable_python

from packgen.documents.plan import DocumentSpec
from packgen.errors import BusyError, DataError, PackgenError, Problem, TemplateProblem, ToolError
from packgen.mail import CHASE_EVERY_DAYS, PASSWORD_ENV
from packgen.mail.compose import (
    LetterMade,
    base_context,
    check_addresses,
    compose,
    email_environment,
    letter_markings,
    write_eml,
)
from packgen.records.models import Provider, Record, SchoolData, Text

LOG_NAME = "letters-sent.jsonl"
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}

Kind = Literal["letter", "chase"]
Action = Literal["send", "resend", "skip", "post"]
SENDING: tuple[Action, ...] = ("send", "resend")


class MailError(PackgenError):
    """E-mail could not be sent as asked: SMTP settings missing or unsafe, or some messages failed.

    Exit code 1: every cause is something the user can put right (host, port, security, user name,
    password, an address) or retry (a server that is down); none means packgen's environment is broken.
    """


@dataclass(frozen=True)
class Planned:
    """One provider's e-mail and what will happen to it; ``reason`` says why, for the dry-run listing."""

    kind: Kind
    provider_id: str
    provider_name: str
    to: str | None
    action: Action
    reason: str
    eml: Path | None
    pdf: Path
    version: str
    message: EmailMessage | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Outcome:
    planned: Planned
    status: Literal["sent", "unknown", "failed", "skipped", "post"]
    detail: str
    message_id: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. The password comes from the caller or ``PACKGEN_SMTP_PASSWORD``.

    ``security``: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a local relay
    only; a login is refused without encryption). ``cafile`` or ``ssl_context`` let the caller trust a
    server whose certificate is not signed by a public authority.
    """

    host: str
    port: int | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: Path | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    timeout: float = 30.0


class Sent(Record):
    """One line of the sent log: a message the server accepted, or (``fate: unknown``) one handed over in full
    whose acceptance the server never confirmed."""

    sent_at: AwareDatetime
    kind: Kind
    provider: Text
    to: Text
    message_id: Text
    version: Text
    subject: str
    fate: Literal["sent", "unknown"] = "sent"


@dataclass(frozen=True)
class ProviderStatus:
    """Where a provider's Appendix 4 stands on ``today``.

    ``requested_on`` is the newest request: the record's ``assurance.requested_on``, or the day packgen
    last e-mailed the letter if that is later. ``returned_on`` is ``assurance.received_on`` when it answers that request (a reply
    older than the request belongs to an earlier round). ``unconfirmed`` lists the record's keys
    (``assurance.checks.identity``) that are not yet true or not applicable.
    """

    provider_id: str
    name: str
    email: str | None
    requested_on: date | None
    letter_sent_on: date | None
    returned_on: date | None
    unconfirmed: tuple[str, ...]
    reply_due: date | None
    days_overdue: int
    reminded_on: date | None

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


# ---------------------------------------------------------------- planning (the dry run)


def prepare_letters(
    data: SchoolData,
    letters: Sequence[LetterMade],
    *,
    templates: Path,
    sender: str | None = None,
    resend: bool = False,
    resend_unknown: bool = False,
    now: datetime | None = None,
) -> list[Planned]:
    """Write ``<provider>.eml`` beside each letter's PDF and plan which to send.

    A letter already sent in this version, or already returned, is skipped unless ``resend``; one whose
    last sending has an unknown fate, unless ``resend_unknown``.
    ``sender`` is the From address (``"Name <addr>"`` or ``addr``); by default ``letters.reply_to``.
    """
    now = _now(now)
    log = read_log(data)
    emailed = check_addresses(data, letters, sender)
    markings = letter_markings(data, [m for m in letters if m.spec.owner in emailed])
    env = email_environment(templates)
    plans = []
    for made in letters:
        pid = made.spec.owner
        provider = data.providers[pid]
        version = letter_version(made.spec, templates)
        if pid not in emailed:
            plans.append(
                Planned(
                    "letter",
                    pid,
                    provider.name,
                    None,
                    "post",
                    "no e-mail address (contacts.lead.email): print the letter and post it",
                    None,
                    made.pdf,
                    version,
                )
            )
            continue
        # The e-mail is the request: the reply is due counting from the day it goes, never from an
        # older request date in the record, which would ask for a reply by a day already past.
        reply_by = _reply_due(data, now.date())
        message = compose(
            env,
            "letter_email",
            base_context(data, pid) | {"reply_by": reply_by},
            data,
            pid,
            sender,
            made.pdf,
            markings[pid],
            now,
        )
        eml = write_eml(made.pdf.with_suffix(".eml"), message)
        returned = _returned_on(provider, _requested_on(provider, log, pid))
        action, reason = _letter_decision(log, pid, version, returned, resend, resend_unknown)
        plans.append(
            Planned("letter", pid, provider.name, emailed[pid], action, reason, eml, made.pdf, version, message)
        )
    return plans


def prepare_chases(
    data: SchoolData,
    letters: Sequence[LetterMade],
    today: date,
    *,
    templates: Path,
    sender: str | None = None,
    resend: bool = False,
    every_days: int = CHASE_EVERY_DAYS,
    now: datetime | None = None,
) -> list[Planned]:
    """Plan a reminder to each provider whose reply is overdue, the letter attached again.

    Each reminder is written as ``<provider>-reminder.eml`` beside the letter. A provider reminded in
    the last ``every_days`` days is skipped unless ``resend``; providers not overdue are listed as skipped.
    """
    now = _now(now)
    states = {s.provider_id: s for s in status(data, today)}
    overdue = [m for m in letters if states[m.spec.owner].overdue]
    emailed = check_addresses(data, overdue, sender)
    markings = letter_markings(data, [m for m in overdue if m.spec.owner in emailed])
    env = email_environment(templates) if emailed else None
    plans = []
    for made in letters:
        pid, state = made.spec.owner, states[made.spec.owner]
        version = letter_version(made.spec, templates)

        def plan(
            action: Action,
            reason: str,
            to: str | None = None,
            eml: Path | None = None,
            message: EmailMessage | None = None,
        ) -> Planned:
            return Planned("chase", pid, state.name, to, action, reason, eml, made.pdf, version, message)

        if not state.overdue:
            plans.append(plan("skip", _not_overdue_reason(state)))
        elif pid not in emailed:
            plans.append(
                plan(
                    "post",
                    f"reply {_overdue_words(state)}; no e-mail address "
                    "(contacts.lead.email): print a reminder and post it",
                )
            )
        else:
            context = base_context(data, pid) | {
                "requested_on": state.requested_on,
                "reply_by": state.reply_due,
                "days_overdue": state.days_overdue,
            }
            message = compose(env, "chase_email", context, data, pid, sender, made.pdf, markings[pid], now)
            eml = write_eml(made.pdf.with_name(f"{made.pdf.stem}-reminder.eml"), message)
            action, reason = _chase_decision(state, today, every_days, resend)
            plans.append(plan(action, reason, emailed[pid], eml, message))
    return plans


def letter_version(spec: DocumentSpec, templates: Path) -> str:
    """A hash of what the letter is made from: its template's bytes and the data it is rendered with.

    Left out, because they do not change what the letter asks of the provider: the day it was made
    and the reply-by date counted from it, the provider's answers, and the school's later records
    about the provider.
    """
    inputs = {
        key: _request_part(value) for key, value in spec.context.items() if key not in ("generated_on", "reply_by")
    }
    digest = hashlib.sha256(_read_template(templates, spec.template))
    digest.update(json.dumps(to_jsonable_python(inputs), sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _read_template(templates: Path, name: str) -> bytes:
    try:
        return (templates / name).read_bytes()
    except FileNotFoundError:
        raise TemplateProblem(f"the letter template {name} is missing from {templates}") from None


def _request_part(value: object) -> object:
    if isinstance(value, Provider):
        return value.model_dump(
            mode="json",
            exclude={
                "assurance": {"received_on", "checks", "practice", "staff_named", "evidence"},
                "pre_admission": True,
                "qa_visits": True,
                "la_approved": True,
            },
        )
    return value


def _letter_decision(
    log: list[Sent], pid: str, version: str, returned_on: date | None, resend: bool, resend_unknown: bool = False
) -> tuple[Action, str]:
    letters = [e for e in log if e.kind == "letter" and e.provider == pid]
    same = [e for e in letters if e.version == version]
    if same and same[-1].fate == "unknown":
        said = (
            f"unknown: the connection broke as this letter was handed to the server for {same[-1].to} on "
            f"{_local_day(same[-1].sent_at):%Y-%m-%d}, so it may have arrived; check with the provider "
            "before sending again"
        )
        return ("resend", f"{said}; sending it again as asked") if resend_unknown else ("skip", said)
    if same:
        last = same[-1]
        said = f"this letter was sent to {last.to} on {_local_day(last.sent_at):%Y-%m-%d}"
        return ("resend", f"{said}; sending it again as asked") if resend else ("skip", said)
    if returned_on:
        said = f"the provider returned its assurance on {returned_on:%Y-%m-%d}"
        return ("resend", f"{said}; sending the letter again as asked") if resend else ("skip", said)
    if letters:
        return "send", f"the letter has changed since it was last sent on {_local_day(letters[-1].sent_at):%Y-%m-%d}"
    return "send", "not sent before"


def _chase_decision(state: ProviderStatus, today: date, every_days: int, resend: bool) -> tuple[Action, str]:
    overdue = f"reply {_overdue_words(state)}"
    if state.reminded_on and (today - state.reminded_on).days < every_days:
        if resend:
            return "resend", f"{overdue}; reminded on {state.reminded_on:%Y-%m-%d}, reminding again as asked"
        next_on = state.reminded_on + timedelta(days=every_days)
        return "skip", f"{overdue}; reminded on {state.reminded_on:%Y-%m-%d}, next reminder from {next_on:%Y-%m-%d}"
    return "send", overdue


def _not_overdue_reason(state: ProviderStatus) -> str:
    if state.returned_on:
        return f"returned on {state.returned_on:%Y-%m-%d}"
    if state.reply_due:
        return f"reply not due until {state.reply_due:%Y-%m-%d}"
    return "no request recorded (assurance.requested_on) and no letter e-mailed yet"


def _overdue_words(state: ProviderStatus) -> str:
    days = state.days_overdue
    return f"was due on {state.reply_due:%Y-%m-%d}, {days} day{'s' if days != 1 else ''} overdue"


def school_smtp(data: SchoolData | None, environ: Mapping[str, str]) -> SmtpSettings | None:
    """The mail server: PACKGEN_SMTP_HOST (with PACKGEN_SMTP_PORT, _SECURITY, _USER, _CA_FILE) when set,
    else ``letters.smtp`` in school.yaml (``data`` None: school.yaml did not load); None when neither says.
    The password is never read here."""
    if environ.get("PACKGEN_SMTP_HOST"):
        port, ca_file = environ.get("PACKGEN_SMTP_PORT"), environ.get("PACKGEN_SMTP_CA_FILE")
        return SmtpSettings(
            environ["PACKGEN_SMTP_HOST"],
            int(port) if port else None,
            environ.get("PACKGEN_SMTP_SECURITY", "starttls"),
            environ.get("PACKGEN_SMTP_USER"),
            cafile=Path(ca_file) if ca_file else None,
        )
    server = data and data.school.letters.smtp
    if server is None:
        return None
    return SmtpSettings(server.host, server.port, server.security, server.user)


# ---------------------------------------------------------------- sending


def send(data: SchoolData, planned: Sequence[Planned], settings: SmtpSettings) -> list[Outcome]:
    """Send every planned message marked send or resend through one SMTP connection.

    Each message the server accepts is appended to the sent log at once. A failure (server unreachable,
    login refused, a recipient refused) becomes that provider's ``Outcome``; the rest go on where they
    can. Outcomes come back in the order of ``planned``.
    """
    outcomes: dict[int, Outcome] = {}
    for index, item in enumerate(planned):
        if item.action == "post":
            outcomes[index] = Outcome(item, "post", item.reason)
        elif item.action == "skip":
            outcomes[index] = Outcome(item, "skipped", item.reason)
    pending = [(i, item) for i, item in enumerate(planned) if item.action in SENDING]
    if pending:
        password = _password(settings)
        with _log_writer(data) as append:
            already = read_log(data)  # read under the lock: another run may have sent since planning
            outcomes |= _send_all(settings, password, pending, already, append)
    return [outcomes[i] for i in range(len(planned))]


def raise_for_failures(outcomes: Sequence[Outcome]) -> None:
    """Raise ``MailError`` naming each provider whose message was not sent, or may not have been."""
    failed = [o for o in outcomes if o.status in ("failed", "unknown")]
    if failed:
        lines = "\n".join(f"  {o.planned.provider_id} ({o.planned.to}): {o.detail}" for o in failed)
        sent = sum(o.status == "sent" for o in outcomes)
        raise MailError(
            f"{len(failed)} e-mail{'s' if len(failed) != 1 else ''} not sent ({sent} sent "
            f"and recorded):\n{lines}\nPut the cause right and run the same command again: "
            "what was sent will not be sent twice."
        )


def _send_all(
    settings: SmtpSettings, password: str | None, pending: list[tuple[int, Planned]], already: list[Sent], append
) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    for index, item in pending:
        if item.action == "send" and _sent_meanwhile(already, item):
            outcomes[index] = Outcome(item, "skipped", "sent by another packgen run since this was planned")
    pending = [(index, item) for index, item in pending if index not in outcomes]
    if not pending:
        return outcomes
    try:
        smtp = _connect(settings, password)
    except (smtplib.SMTPException, OSError) as error:
        reason = _connection_problem(settings, error)
        return outcomes | {i: Outcome(item, "failed", reason) for i, item in pending}
    try:
        for position, (index, item) in enumerate(pending):
            try:
                smtp.send_message(item.message, to_addrs=[item.to])
            except smtplib.SMTPRecipientsRefused as error:
                refusals = "; ".join(f"{code} {_text(msg)}" for code, msg in error.recipients.values())
                outcomes[index] = Outcome(item, "failed", f"the server refused the address {item.to}: {refusals}")
            except smtplib.SMTPSenderRefused as error:
                outcomes[index] = Outcome(
                    item,
                    "failed",
                    f"the server refused the sender {_text(error.sender)}: {error.smtp_code} {_text(error.smtp_error)}",
                )
            except smtplib.SMTPResponseException as error:
                outcomes[index] = Outcome(
                    item, "failed", f"the server refused the message: {error.smtp_code} {_text(error.smtp_error)}"
                )
            # Last, as every SMTP error is an OSError too: what is left is the connection itself failing.
            except OSError as error:
                if smtp.handed_over:  # all of it went: the server may have taken it before the line dropped
                    entry = _record(item, append, already, "unknown")
                    outcomes[index] = Outcome(
                        item, "unknown", UNKNOWN_FATE.format(to=item.to, error=_describe(error)), entry.message_id
                    )
                else:
                    outcomes[index] = Outcome(
                        item,
                        "failed",
                        f"the connection to the server broke before the "
                        f"message was handed over ({_describe(error)}); it was not sent",
                    )
                for later, rest in pending[position + 1 :]:
                    outcomes[later] = Outcome(rest, "failed", "not tried: the connection to the server broke")
                break
            else:
                entry = _record(item, append, already, "sent")
                outcomes[index] = Outcome(item, "sent", f"sent to {item.to}", entry.message_id)
    finally:
        _say_goodbye(smtp)
    return outcomes


UNKNOWN_FATE = (
    "unknown: the connection broke after the message was handed to the server for {to}, before it "
    "said whether it took it ({error}); it may have arrived: check with the provider before sending "
    "again (packgen letters sends it again only with --resend-unknown)"
)


def _record(item: Planned, append, already: list[Sent], fate: Literal["sent", "unknown"]) -> Sent:
    assert item.message is not None and item.to is not None
    entry = Sent(
        sent_at=datetime.now(UTC).replace(microsecond=0),
        kind=item.kind,
        provider=item.provider_id,
        to=item.to,
        message_id=item.message["Message-ID"],
        version=item.version,
        subject=item.message["Subject"],
        fate=fate,
    )
    append(entry)
    already.append(entry)
    return entry


def _say_goodbye(smtp: smtplib.SMTP) -> None:
    """QUIT, then close. What the server says to QUIT changes nothing: every message it accepted it said
    so for, and those are logged."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


class _SMTP(smtplib.SMTP):
    """Notes when a message has gone to the server in full (its DATA sent, down to the final '.'), so a
    connection that breaks afterwards, before the server's answer, is known to leave its fate unknown."""

    handed_over = False

    def sendmail(self, *args, **kwargs):
        self.handed_over = False
        return super().sendmail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.handed_over = True


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    pass


def _sent_meanwhile(log: list[Sent], item: Planned) -> bool:
    # An unknown fate counts as sent here: only resend_unknown, planned in so many words, sends it again.
    if item.kind == "letter":
        return any(e.kind == "letter" and e.provider == item.provider_id and e.version == item.version for e in log)
    today = datetime.now(UTC).date()
    return any(e.kind == "chase" and e.provider == item.provider_id and e.sent_at.date() == today for e in log)


def _password(settings: SmtpSettings) -> str | None:
    """Check the settings before any connection, and find the password: given, or from the environment."""
    if settings.security not in DEFAULT_PORTS:
        raise MailError(f"unknown SMTP security '{settings.security}' (use starttls, tls or none)")
    if not settings.host:
        raise MailError("no SMTP host given: name the mail server that sends the school's e-mail")
    if not settings.user:
        return None
    if settings.security == "none":
        raise MailError(
            "packgen will not send a password over an unencrypted connection: "
            "use security starttls (port 587) or tls (port 465)"
        )
    password = settings.password or os.environ.get(PASSWORD_ENV)
    if not password:
        raise MailError(
            f"no password for the SMTP user '{settings.user}': set {PASSWORD_ENV} or type it when packgen asks"
        )
    return password


def _connect(settings: SmtpSettings, password: str | None) -> _SMTP | _SMTP_SSL:
    port = settings.port or DEFAULT_PORTS[settings.security]
    context = settings.ssl_context or ssl.create_default_context(
        cafile=str(settings.cafile) if settings.cafile else None
    )
    if settings.security == "tls":
        smtp: _SMTP | _SMTP_SSL = _SMTP_SSL(settings.host, port, timeout=settings.timeout, context=context)
    else:
        smtp = _SMTP(settings.host, port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _connection_problem(settings: SmtpSettings, error: BaseException) -> str:
    """Say what went wrong reaching the server in terms of the settings the user gave."""
    where = f"{settings.host}:{settings.port or DEFAULT_PORTS[settings.security]}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"the server {where} refused the user name or password for '{settings.user}' "
            f"({error.smtp_code} {_text(error.smtp_error)})"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"the server {where} does not offer what was asked ({error}): check the security setting and port"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of {where} could not be trusted ({error.verify_message}): "
            "give the server's CA file if it uses its own"
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"no secure connection with {where} ({error.reason}): "
            "port 465 usually needs security tls, port 587 starttls"
        )
    if isinstance(error, socket.gaierror):
        return f"there is no mail server called '{settings.host}' (check the host name)"
    if isinstance(error, ConnectionRefusedError):
        return f"{where} refused the connection (check the host and port)"
    if isinstance(error, TimeoutError):
        return f"{where} did not answer within {settings.timeout:g} seconds"
    return f"could not use the mail server {where}: {_describe(error)}"


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# ---------------------------------------------------------------- the sent log


def log_path(data: SchoolData) -> Path:
    return Path(data.folder) / LOG_NAME


def read_log(data: SchoolData) -> list[Sent]:
    """Every message recorded as sent, oldest first; a damaged line is reported with its number."""
    path = log_path(data)
    if not path.exists():
        return []
    entries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(Sent.model_validate(json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(Problem(LOG_NAME, "", f"is not a JSON record ({error.msg})", number))
        except ValidationError as error:
            for item in error.errors():
                key = ".".join(str(part) for part in item["loc"])
                problems.append(Problem(LOG_NAME, key, item["msg"], number))
    if problems:
        raise DataError(problems)
    return entries


@contextmanager
def _log_writer(data: SchoolData) -> Iterator[Any]:
    """Hold the log open for appending, locked so that two runs cannot send the same letters at once."""
    path = log_path(data)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                f"another packgen run is sending e-mail for this school ({path} is locked); wait for it to finish"
            ) from None

        def append(entry: Sent) -> None:
            line = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False) + "\n"
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)  # on disk before the next message goes, so a crash cannot lead to a resend
            except OSError as error:
                raise ToolError(
                    f"the e-mail to {entry.to} ({entry.provider}) was sent but could not be recorded "
                    f"in {path} ({error}); add it to the log by hand, or it will be sent again"
                ) from error

        yield append
    finally:
        os.close(fd)


# ---------------------------------------------------------------- status


def status(data: SchoolData, today: date) -> list[ProviderStatus]:
    """Each provider's Appendix 4 position on ``today``, in the order of ``data.providers``."""
    log = read_log(data)
    states = []
    for pid, provider in data.providers.items():
        requested = _requested_on(provider, log, pid)
        returned = _returned_on(provider, requested)
        due = _reply_due(data, requested) if requested else None
        overdue = (today - due).days if due and not returned and today > due else 0
        chases = [_local_day(e.sent_at) for e in log if e.kind == "chase" and e.provider == pid]
        sent = [_local_day(e.sent_at) for e in log if e.kind == "letter" and e.provider == pid]
        states.append(
            ProviderStatus(
                provider_id=pid,
                name=provider.name,
                email=provider.contacts.lead.email,
                requested_on=requested,
                letter_sent_on=max(sent, default=None),
                returned_on=returned,
                unconfirmed=_unconfirmed(provider),
                reply_due=due,
                days_overdue=overdue,
                reminded_on=max((d for d in chases if requested is None or d >= requested), default=None),
            )
        )
    return states


def _requested_on(provider: Provider, log: list[Sent], pid: str) -> date | None:
    """The newest request: the record's date, or the last letter packgen e-mailed if that came later."""
    sent = [_local_day(e.sent_at) for e in log if e.kind == "letter" and e.provider == pid]
    return max([d for d in (provider.assurance.requested_on, *sent) if d], default=None)


def _returned_on(provider: Provider, requested: date | None) -> date | None:
    received = provider.assurance.received_on
    if received and (requested is None or received >= requested):
        return received
    return None


def _reply_due(data: SchoolData, requested: date) -> date:
    return requested + timedelta(days=data.school.letters.reply_within_days)


def _unconfirmed(provider: Provider) -> tuple[str, ...]:
    assurance = provider.assurance
    return tuple(
        f"assurance.{part}.{name}"
        for part, record in (("checks", assurance.checks), ("practice", assurance.practice))
        for name, value in record
        if value is None or value is False
    )


def _local_day(moment: datetime) -> date:
    return moment.astimezone().date()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone().replace(microsecond=0)
