"""Letters out by e-mail: sending the planned messages through SMTP, each recorded in the sent log.

The flow the command line follows:

1. ``planning.prepare_letters`` (or ``prepare_chases``) writes each provider's e-mail as an ``.eml`` and
   plans what to do with it. Nothing is sent; this is the dry run.
2. ``send`` (here) sends the planned messages through one SMTP connection and appends each one to the
   school's sent log (``sent_log``) the moment the server accepts it, so a retry after a failure
   part-way never sends the same letter twice.
3. ``replies.status`` reads the records and the log: per provider, when the letter was asked for,
   whether it came back, which checks are still unconfirmed, and how many days the reply is overdue.

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

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from packgen.mail.planning import SENDING, Planned
from packgen.mail.sent_log import Sent, log_writer, read_log
from packgen.mail.smtp import (
    MailError,
    SmtpSettings,
    as_text,
    check_login,
    connect,
    connection_problem,
    describe,
    say_goodbye,
)
from packgen.records.school_data import SchoolData


@dataclass(frozen=True)
class Outcome:
    planned: Planned
    status: Literal["sent", "unknown", "failed", "skipped", "post"]
    detail: str
    message_id: str | None = None


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
        login = check_login(settings)
        with log_writer(data) as append:
            already = read_log(data)  # read under the lock: another run may have sent since planning
            outcomes |= _send_all(settings, login, pending, already, append)
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
    settings: SmtpSettings,
    login: tuple[str, str] | None,
    pending: list[tuple[int, Planned]],
    already: list[Sent],
    append,
) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    for index, item in pending:
        if item.action == "send" and _sent_meanwhile(already, item):
            outcomes[index] = Outcome(item, "skipped", "sent by another packgen run since this was planned")
    pending = [(index, item) for index, item in pending if index not in outcomes]
    if not pending:
        return outcomes
    try:
        smtp = connect(settings, login)
    except (smtplib.SMTPException, OSError) as error:
        reason = connection_problem(settings, error)
        return outcomes | {i: Outcome(item, "failed", reason) for i, item in pending}
    try:
        for position, (index, item) in enumerate(pending):
            assert item.message is not None and item.to is not None  # planned to send: composed and addressed
            try:
                smtp.send_message(item.message, to_addrs=[item.to])
            except smtplib.SMTPRecipientsRefused as error:
                refusals = "; ".join(f"{code} {as_text(msg)}" for code, msg in error.recipients.values())
                outcomes[index] = Outcome(item, "failed", f"the server refused the address {item.to}: {refusals}")
            except smtplib.SMTPSenderRefused as error:
                outcomes[index] = Outcome(
                    item,
                    "failed",
                    f"the server refused the sender {as_text(error.sender)}: {error.smtp_code} {as_text(error.smtp_error)}",
                )
            except smtplib.SMTPResponseException as error:
                outcomes[index] = Outcome(
                    item, "failed", f"the server refused the message: {error.smtp_code} {as_text(error.smtp_error)}"
                )
            # Last, as every SMTP error is an OSError too: what is left is the connection itself failing.
            except OSError as error:
                if smtp.handed_over:  # all of it went: the server may have taken it before the line dropped
                    entry = _record(item, append, already, "unknown")
                    outcomes[index] = Outcome(
                        item, "unknown", UNKNOWN_FATE.format(to=item.to, error=describe(error)), entry.message_id
                    )
                else:
                    outcomes[index] = Outcome(
                        item,
                        "failed",
                        f"the connection to the server broke before the "
                        f"message was handed over ({describe(error)}); it was not sent",
                    )
                for later, rest in pending[position + 1 :]:
                    outcomes[later] = Outcome(rest, "failed", "not tried: the connection to the server broke")
                break
            else:
                entry = _record(item, append, already, "sent")
                outcomes[index] = Outcome(item, "sent", f"sent to {item.to}", entry.message_id)
    finally:
        say_goodbye(smtp)
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


def _sent_meanwhile(log: list[Sent], item: Planned) -> bool:
    # An unknown fate counts as sent here: only resend_unknown, planned in so many words, sends it again.
    if item.kind == "letter":
        return any(e.kind == "letter" and e.provider == item.provider_id and e.version == item.version for e in log)
    today = datetime.now(UTC).date()
    return any(e.kind == "chase" and e.provider == item.provider_id and e.sent_at.date() == today for e in log)
