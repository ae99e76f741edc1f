"""The letters command: providers' staff-check letters written, sent by e-mail, chased, and their replies listed."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from packgen.cli.options import out_option, school_argument, templates_option, today_option
from packgen.mail import CHASE_EVERY_DAYS, PASSWORD_ENV

if TYPE_CHECKING:
    from packgen.mail.replies import ProviderStatus


ACTIONS = {"send": "send", "resend": "send again", "skip": "skip", "post": "print and post"}


@click.command()
@school_argument
@click.option("--provider", "provider_id", metavar="ID", help="Only this provider (its file name without .yaml).")
@out_option
@templates_option
@click.option(
    "--send",
    "really_send",
    is_flag=True,
    help="Send the e-mails through SMTP. Without it, packgen only shows what it would send.",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send again letters already sent or already returned (with --chase: remind again now). "
    "Never a letter whose fate is unknown: see --resend-unknown.",
)
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Send again letters whose fate is unknown (the connection broke after the server was handed "
    "the letter, before it said it took it). Check with the provider first: it may have arrived.",
)
@click.option(
    "--chase", is_flag=True, help="Remind the providers whose reply is overdue (the letter attached again) instead."
)
@click.option(
    "--every",
    "every_days",
    type=click.IntRange(min=1),
    default=CHASE_EVERY_DAYS,
    show_default=True,
    metavar="DAYS",
    help="With --chase: least number of days between reminders.",
)
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="Only list each provider's reply: asked on, returned on, unconfirmed checks, days overdue.",
)
@today_option
@click.option(
    "--from",
    "sender",
    envvar="PACKGEN_MAIL_FROM",
    metavar="ADDRESS",
    help="The e-mails' From address, as 'Name <address>' [default: letters.reply_to in school.yaml; "
    "env PACKGEN_MAIL_FROM].",
)
@click.option(
    "--smtp-host",
    envvar="PACKGEN_SMTP_HOST",
    metavar="HOST",
    help="Mail server to send through [env PACKGEN_SMTP_HOST; else letters.smtp.host in school.yaml].",
)
@click.option(
    "--smtp-port",
    envvar="PACKGEN_SMTP_PORT",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="Its port [default: 587 for starttls, 465 for tls, 25 for none; env PACKGEN_SMTP_PORT].",
)
@click.option(
    "--smtp-security",
    envvar="PACKGEN_SMTP_SECURITY",
    type=click.Choice(["starttls", "tls", "none"]),
    help="Encryption: STARTTLS, TLS from the start, or none (a local relay only; never with a login) "
    "[default: letters.smtp.security in school.yaml, else starttls].",
)
@click.option(
    "--smtp-user",
    envvar="PACKGEN_SMTP_USER",
    metavar="USER",
    help="User name to log in with [env PACKGEN_SMTP_USER]. The password comes from "
    "PACKGEN_SMTP_PASSWORD, or packgen asks for it; it is never read from a file.",
)
@click.option(
    "--smtp-ca-file",
    envvar="PACKGEN_SMTP_CA_FILE",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust the server's certificate from this CA file (for a server with its own CA).",
)
def letters(
    school: Path,
    provider_id: str | None,
    out_root: Path,
    templates: Path,
    really_send: bool,
    resend: bool,
    resend_unknown: bool,
    chase: bool,
    every_days: int,
    show_status: bool,
    today: date | None,
    sender: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    smtp_user: str | None,
    smtp_ca_file: Path | None,
) -> None:
    """Write each provider's Appendix 4 staff-check letter (.docx, .pdf) and its ready-to-send e-mail (.eml).

    Without --send nothing is sent: packgen lists who would get which letter, and why any is skipped.
    With --send the e-mails go through your mail server and are recorded in letters-sent.jsonl in the
    school's folder, so running the same command again never sends a letter twice. A letter whose fate is
    unknown (the connection broke as the server took it) is listed as unknown: check with the provider, and
    send it again only with --resend-unknown. Exit 1 when any e-mail was not sent or its fate is unknown.

    \b
    Example:
      packgen letters data/brookfield-academy
      packgen letters data/brookfield-academy --send --smtp-host smtp.example.org --smtp-user ap@school.example
      packgen letters data/brookfield-academy --status
      packgen letters data/brookfield-academy --chase --send --smtp-host smtp.example.org
    """
    from packgen.build import pipeline
    from packgen.mail import planning, replies, send, smtp
    from packgen.records.read import load_school

    day = today or date.today()
    data = load_school(school)
    if show_status:
        _print_status(replies.status(data, day), provider_id)
        return
    # Options and the environment win; school.yaml's letters.smtp and letters.sender fill the gaps.
    server = data.school.letters.smtp
    if server:
        smtp_host, smtp_port = smtp_host or server.host, smtp_port or server.port
        smtp_security, smtp_user = smtp_security or server.security, smtp_user or server.user
    sender = sender or data.school.letters.sender
    if really_send and not smtp_host:
        raise click.UsageError(
            "--send needs a mail server: --smtp-host, PACKGEN_SMTP_HOST, or letters.smtp.host in school.yaml"
        )
    made = pipeline.build_letters(school, out_root, provider_id=provider_id, templates=templates)
    if chase:
        planned = planning.prepare_chases(
            data, made, day, templates=templates, sender=sender, resend=resend, every_days=every_days
        )
    else:
        planned = planning.prepare_letters(
            data, made, templates=templates, sender=sender, resend=resend, resend_unknown=resend_unknown
        )
    to_send = sum(item.action in planning.SENDING for item in planned)
    if not really_send:
        for item in planned:
            click.echo(f"{ACTIONS[item.action]:>14}  {item.provider_id}  {item.to or ''}  ({item.reason})")
            if item.eml:
                click.echo(f"{'':>14}  {item.eml}")
        click.echo(f"Dry run: nothing sent. {to_send} e-mail{'s' if to_send != 1 else ''} would go with --send.")
        return
    assert smtp_host  # --send without a mail server was refused above
    password = None
    if smtp_user and not os.environ.get(PASSWORD_ENV) and to_send:
        password = click.prompt(f"Password for {smtp_user} on {smtp_host}", hide_input=True)
    settings = smtp.SmtpSettings(smtp_host, smtp_port, smtp_security or "starttls", smtp_user, password, smtp_ca_file)
    outcomes = send.send(data, planned, settings)
    for outcome in outcomes:
        click.echo(f"{outcome.status:>14}  {outcome.planned.provider_id}  {outcome.detail}")
    send.raise_for_failures(outcomes)


def _print_status(states: list[ProviderStatus], provider_id: str | None) -> None:
    for s in states:
        if provider_id and s.provider_id != provider_id:
            continue
        asked = f"asked {s.requested_on:%Y-%m-%d}" if s.requested_on else "not asked yet"
        back = (
            f"returned {s.returned_on:%Y-%m-%d}"
            if s.returned_on
            else f"{s.days_overdue} days overdue (due {s.reply_due:%Y-%m-%d})"
            if s.overdue
            else f"due {s.reply_due:%Y-%m-%d}"
            if s.reply_due
            else ""
        )
        click.echo(f"{s.provider_id}: {asked}; {back}".rstrip("; "))
        if s.returned_on and s.unconfirmed:
            click.echo(f"    not yet confirmed: {', '.join(s.unconfirmed)}")
