"""Where each provider's reply stands: when its Appendix 4 was asked for, whether it came back, which
checks are still unconfirmed, and how many days the reply is overdue. Read from the records and the sent log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from packgen.mail.sent_log import Sent, read_log
from packgen.records.provider_file import Provider
from packgen.records.school_data import SchoolData


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


def status(data: SchoolData, today: date) -> list[ProviderStatus]:
    """Each provider's Appendix 4 position on ``today``, in the order of ``data.providers``."""
    log = read_log(data)
    states = []
    for pid, provider in data.providers.items():
        requested = requested_on(provider, log, pid)
        returned = returned_on(provider, requested)
        due = reply_due(data, requested) if requested else None
        overdue = (today - due).days if due and not returned and today > due else 0
        chases = [local_day(e.sent_at) for e in log if e.kind == "chase" and e.provider == pid]
        sent = [local_day(e.sent_at) for e in log if e.kind == "letter" and e.provider == pid]
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


def requested_on(provider: Provider, log: list[Sent], pid: str) -> date | None:
    """The newest request: the record's date, or the last letter packgen e-mailed if that came later."""
    sent = [local_day(e.sent_at) for e in log if e.kind == "letter" and e.provider == pid]
    return max([d for d in (provider.assurance.requested_on, *sent) if d], default=None)


def returned_on(provider: Provider, requested: date | None) -> date | None:
    received = provider.assurance.received_on
    if received and (requested is None or received >= requested):
        return received
    return None


def reply_due(data: SchoolData, requested: date) -> date:
    return requested + timedelta(days=data.school.letters.reply_within_days)


def _unconfirmed(provider: Provider) -> tuple[str, ...]:
    assurance = provider.assurance
    return tuple(
        f"assurance.{part}.{name}"
        for part, record in (("checks", assurance.checks), ("practice", assurance.practice))
        for name, value in record
        if value is None or value is False
    )


def local_day(moment: datetime) -> date:
    return moment.astimezone().date()
