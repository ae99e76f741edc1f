"""Planning letters out by e-mail (the dry run): each provider's rendered letter made into an e-mail,
written as ``<provider>.eml`` beside the letter's PDF, and what to do with it: send, send again, skip
(and why), or print and post when the provider has no e-mail address. Nothing is sent here.

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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from jinja2 import Environment
from pydantic_core import to_jsonable_python

from packgen.documents.spec import DocumentSpec
from packgen.errors import TemplateProblem
from packgen.mail import CHASE_EVERY_DAYS
from packgen.mail.compose import (
    LetterMade,
    base_context,
    check_addresses,
    compose,
    email_environment,
    letter_markings,
    write_eml,
)
from packgen.mail.replies import ProviderStatus, local_day, reply_due, requested_on, returned_on, status
from packgen.mail.sent_log import Kind, Sent, read_log
from packgen.records.provider_file import Provider
from packgen.records.school_data import SchoolData

Action = Literal["send", "resend", "skip", "post"]
SENDING: tuple[Action, ...] = ("send", "resend")


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
        reply_by = reply_due(data, now.date())
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
        returned = returned_on(provider, requested_on(provider, log, pid))
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
    env: Environment | None = None  # read at the first reminder: reminding nobody needs no e-mail templates
    plans = []
    for made in letters:
        pid, state = made.spec.owner, states[made.spec.owner]
        version = letter_version(made.spec, templates)
        if not state.overdue:
            reason = _not_overdue_reason(state)
            plans.append(Planned("chase", pid, state.name, None, "skip", reason, None, made.pdf, version))
            continue
        if pid not in emailed:
            reason = (
                f"reply {_overdue_words(state)}; no e-mail address (contacts.lead.email): print a reminder and post it"
            )
            plans.append(Planned("chase", pid, state.name, None, "post", reason, None, made.pdf, version))
            continue
        context = base_context(data, pid) | {
            "requested_on": state.requested_on,
            "reply_by": state.reply_due,
            "days_overdue": state.days_overdue,
        }
        env = env or email_environment(templates)
        message = compose(env, "chase_email", context, data, pid, sender, made.pdf, markings[pid], now)
        eml = write_eml(made.pdf.with_name(f"{made.pdf.stem}-reminder.eml"), message)
        action, reason = _chase_decision(state, today, every_days, resend)
        plans.append(Planned("chase", pid, state.name, emailed[pid], action, reason, eml, made.pdf, version, message))
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
            f"{local_day(same[-1].sent_at):%Y-%m-%d}, so it may have arrived; check with the provider "
            "before sending again"
        )
        return ("resend", f"{said}; sending it again as asked") if resend_unknown else ("skip", said)
    if same:
        last = same[-1]
        said = f"this letter was sent to {last.to} on {local_day(last.sent_at):%Y-%m-%d}"
        return ("resend", f"{said}; sending it again as asked") if resend else ("skip", said)
    if returned_on:
        said = f"the provider returned its assurance on {returned_on:%Y-%m-%d}"
        return ("resend", f"{said}; sending the letter again as asked") if resend else ("skip", said)
    if letters:
        return "send", f"the letter has changed since it was last sent on {local_day(letters[-1].sent_at):%Y-%m-%d}"
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


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone().replace(microsecond=0)
