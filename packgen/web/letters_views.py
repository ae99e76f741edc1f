"""The Appendix 4 letters from the page: who has replied, choose who to write to, preview, send, chase.

Sending is two steps. The first makes the chosen letters and shows each e-mail as it will go; the
second sends exactly those, unless the records changed what a letter asks in between. The sent log
(the same as ``packgen letters --send`` writes) is what the status reads back, so the page shows a
letter as sent the moment the server has accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for

from packgen.build import pipeline
from packgen.documents import plan as documents
from packgen.documents.spec import DocumentSpec
from packgen.mail import planning, replies
from packgen.mail import send as mail
from packgen.web import wording
from packgen.web.app import settings, today
from packgen.web.views import school_data

letter_pages = Blueprint("letters", __name__)


@dataclass(frozen=True)
class _Letter:
    """A letter already on disk, as ``planning.prepare_letters`` takes it."""

    spec: DocumentSpec
    pdf: Path


def _now() -> datetime | None:
    fixed = settings().today
    return datetime.combine(fixed, datetime.now().time()) if fixed else None


@letter_pages.get("/letters")
def letters():
    data = school_data()
    states = sorted(
        replies.status(data, today()), key=lambda s: (not s.overdue, s.returned_on is not None, s.name.casefold())
    )
    placed = {
        pid: sum(1 for r in data.pupils.values() if r.placement.provider == pid and not r.placement.ended)
        for pid in data.providers
    }
    return render_template(
        "letters.html",
        states=states,
        placed=placed,
        can_send=settings().smtp is not None,
        overdue=[s for s in states if s.overdue],
    )


def _chosen() -> list[str]:
    providers = school_data().providers
    return [pid for pid in request.form.getlist("provider") if pid in providers]


@letter_pages.post("/letters/preview")
def preview():
    """Step one: make the chosen letters and show each e-mail. Nothing is sent yet."""
    chosen = _chosen()
    if not chosen:
        flash("Choose at least one provider to write to.", "error")
        return redirect(url_for(".letters"))
    kind = "chase" if request.form.get("kind") == "chase" else "letter"
    return render_template(
        "letters_preview.html", planned=_plan(chosen, kind), kind=kind, smtp=settings().smtp, sending=planning.SENDING
    )


def _plan(chosen: list[str], kind: str) -> list[planning.Planned]:
    made = [
        p
        for pid in chosen
        for p in pipeline.build_letters(
            settings().school, settings().out_root, provider_id=pid, templates=settings().templates, now=_now()
        )
    ]
    data = school_data()
    if kind == "chase":
        return planning.prepare_chases(
            data, made, today(), templates=settings().templates, sender=settings().sender, resend=True
        )
    # Chosen by hand: a letter sent before in the same words goes again, as asked.
    return planning.prepare_letters(
        data, made, templates=settings().templates, sender=settings().sender, resend=True, now=_now()
    )


@letter_pages.post("/letters/send")
def send():
    """Step two: send exactly the e-mails previewed, unless the records changed them since."""
    smtp = settings().smtp
    if smtp is None:
        flash("E-mail is not set up, so nothing was sent. Print the letters and post them instead.", "error")
        return redirect(url_for(".letters"))
    data = school_data()
    kind = "chase" if request.form.get("kind") == "chase" else "letter"
    letters, changed = [], []
    for entry in request.form.getlist("letter"):
        provider_id, _, version = entry.partition(":")
        pdf = settings().out / "letters" / f"{provider_id}.pdf"
        if provider_id not in data.providers or not pdf.is_file():
            continue
        spec = documents.letter(data, provider_id, today())
        if planning.letter_version(spec, settings().templates) != version:
            changed.append(data.providers[provider_id].name)
            continue
        letters.append(_Letter(spec, pdf))
    if changed:
        flash(
            "Nothing was sent: the records changed since you checked these e-mails "
            f"({', '.join(changed)}). Choose the providers again to see the new letters.",
            "error",
        )
        return redirect(url_for(".letters"))
    if kind == "chase":
        planned = planning.prepare_chases(
            data, letters, today(), templates=settings().templates, sender=settings().sender, resend=True
        )
    else:
        planned = planning.prepare_letters(
            data, letters, templates=settings().templates, sender=settings().sender, resend=True, now=_now()
        )
    outcomes = mail.send(data, [p for p in planned if p.action in planning.SENDING], smtp)
    sent = [o.planned.provider_name for o in outcomes if o.status == "sent"]
    failed = [f"{o.planned.provider_name} ({o.detail})" for o in outcomes if o.status == "failed"]
    if sent:
        flash(f"Sent to {', '.join(sent)}.", "success")
    if failed:
        flash(f"Not sent: {'; '.join(failed)}. Check the mail settings and try again.", "error")
    return redirect(url_for(".letters"))


@letter_pages.app_template_filter("plan_words")
def plan_words(item: planning.Planned) -> str:
    """What will happen to one e-mail, in the office's words."""
    if item.action in planning.SENDING:
        return f"Will be e-mailed to {item.to}"
    if item.action == "post":
        return "No e-mail address is recorded for this provider: print the letter and post it"
    said = wording.sentence(item.reason, {})
    return "Will not be sent: " + said


@letter_pages.app_template_filter("email_text")
def email_text(item: planning.Planned) -> str:
    body = item.message.get_body(("plain",)) if item.message is not None else None
    return body.get_content() if body is not None else ""
