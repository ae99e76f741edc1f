"""The command line: parse, call the library, turn its errors into messages and exit codes.

This is the only module that imports click or prints. Exit codes (docs/operations.md): 0 done, 1 the
user's input is wrong, 2 usage error, 4 a broken environment (LibreOffice missing, a full disk), 70 a
bug, 130 stopped by Ctrl-C or TERM.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
import traceback
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from packgen import __version__
from packgen.documents import DEFAULT_TEMPLATES
from packgen.errors import DataError, InputError, PackgenError, TemplateProblem, storage_error, vanished
from packgen.mail import CHASE_EVERY_DAYS, PASSWORD_ENV

# Each command imports what it needs when it runs: the whole library (pydantic, docxtpl, pypdf,
# reportlab) took most of a second to import, which --help and a build with nothing to do never need.
if TYPE_CHECKING:
    from packgen.mail import send as mail
    from packgen.readiness import rules as readiness

BUG_EXIT = 70
PACK_PASSWORD_ENV = "PACKGEN_PACK_PASSWORD"
STRICT_EXIT = 3
BROKEN_PIPE_EXIT = 141  # what a shell reports for a program stopped by SIGPIPE
STOPPED_EXIT = 130  # what a shell reports for a program stopped by Ctrl-C

out_option = click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder that receives output/<school>/...",
)
templates_option = click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=DEFAULT_TEMPLATES,
    show_default="the templates/ folder beside packgen",
    help="Folder of Word templates to use instead of the standard ones.",
)
school_argument = click.argument("school", type=click.Path(file_okay=False, path_type=Path))
today_option = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    callback=lambda ctx, param, value: value.date() if value else None,
    metavar="YYYY-MM-DD",
    help="Judge dates (overdue reviews, visits, replies) as on this day [default: today].",
)


class PackgenGroup(click.Group):
    """Turns packgen's own errors into a message and exit code; anything else is reported as a bug."""

    def invoke(self, ctx: click.Context):
        previous = _stop_on_term()
        try:
            return super().invoke(ctx)
        except PackgenError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:  # Ctrl-C, or TERM (see _stop_on_term): everything started is stopped by now
            click.echo(
                "\nStopped. Output being made was not put in place; what was there before is unchanged.", err=True
            )
            ctx.exit(STOPPED_EXIT)
        except BrokenPipeError:  # output piped into `head` and cut short: not an error worth a word
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(BROKEN_PIPE_EXIT)
        except OSError as exc:
            # A full or failing disk, or a file gone, met where the library does not say it itself.
            said: PackgenError | None = storage_error(exc)
            if said is None and isinstance(exc, (FileNotFoundError, NotADirectoryError)) and exc.filename:
                said = vanished(exc.filename)
            if said is None:
                _report_bug()
                ctx.exit(BUG_EXIT)
            click.echo(f"Error: {said}", err=True)
            ctx.exit(said.exit_code)
        except Exception:  # a bug: say so plainly, with the detail a developer needs
            _report_bug()
            ctx.exit(BUG_EXIT)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _report_bug() -> None:
    click.echo(traceback.format_exc(), err=True)
    click.echo("packgen stopped because of a bug (above). Please report it with this message.", err=True)


def _stop_on_term():
    """TERM (``kill``, a service manager stopping us) stops packgen as Ctrl-C does: LibreOffice and the
    workers stopped, working folders removed, nothing half made put in place. Returns the handler it
    replaced (None where signals cannot be handled: outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


@click.group(cls=PackgenGroup)
@click.version_option(__version__, prog_name="packgen")
def main() -> None:
    """Alternative provision evidence packs for English schools.

    Each school is a folder of YAML records (school.yaml, providers/, pupils/). packgen checks them,
    fills the Word templates, and merges everything into one indexed PDF for inspectors.

    \b
    Exit codes:
      0    done
      1    something in the records or the command to put right (the message names the file)
      2    the command itself is wrong (an unknown option, say)
      3    check --strict: critical readiness findings remain
      4    this computer cannot do it: LibreOffice missing or failing, a disk full or failing
      70   a bug in packgen (the message says how to report it)
      130  stopped by Ctrl-C or TERM: nothing half made is put in place

    \b
    Example:
      packgen check data/brookfield-academy
      packgen build data/brookfield-academy
    """


@main.command()
@school_argument
@today_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for other tools.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when any critical readiness finding remains.")
@templates_option
def check(school: Path, today: date | None, output_format: str, strict: bool, templates: Path) -> None:
    """Check a school's records: every data problem at once, then the inspection-readiness findings.

    Data problems stop a build (exit 1), and so does a Word template that links to a picture or file
    outside itself (LibreOffice would fetch it). Readiness findings (see packgen rules) do not: they say
    what an inspector would find missing, grouped under the evaluation areas of Ofsted's inspection
    toolkit. Nor do warnings, such as a pupil's id (the file's name) that holds the pupil's name and so
    puts it in every file name and web address made from it. Exit 0 when the records can be built,
    whatever the findings; with --strict, exit 3 when any critical finding remains.

    \b
    Example:
      packgen check data/brookfield-academy
      packgen check data/brookfield-academy --today 2026-11-23 --format json
    """
    from packgen.documents import links
    from packgen.readiness import rules as readiness
    from packgen.records import evidence
    from packgen.records.read import load_school
    from packgen.records.redact import ids_naming_pupils

    day = today or date.today()
    try:
        data = load_school(school)
        unreadable = evidence.problems(evidence.bad_evidence(data))
        if unreadable:
            raise DataError(unreadable)
    except DataError as error:
        if output_format == "json":
            click.echo(
                json.dumps(
                    {
                        "school": str(school),
                        "buildable": False,
                        "problems": [asdict(p) for p in error.problems],
                        "findings": [],
                    },
                    indent=2,
                )
            )
        else:
            for problem in error.problems:
                click.echo(str(problem))
            count = len(error.problems)
            click.echo(
                f"\n{count} problem{'s' if count != 1 else ''} found in {school}: fix "
                f"{'them' if count != 1 else 'it'} and run packgen check again.",
                err=True,
            )
        sys.exit(1)
    unsafe = links.unsafe_templates(templates)
    if unsafe:
        raise TemplateProblem("\n".join(unsafe))
    findings = readiness.assess(data, day)
    warnings = ids_naming_pupils(data)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "school": str(school),
                    "buildable": True,
                    "today": day.isoformat(),
                    "problems": [],
                    "warnings": [asdict(w) for w in warnings],
                    "findings": [asdict(f) for f in findings],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(
            f"{school}: {len(data.pupils)} pupils, {len(data.providers)} providers. No problems found: ready to build."
        )
        for warning in warnings:
            click.echo(f"Warning: {warning}")
        _print_findings(findings, day)
    if strict and any(f.severity == "critical" for f in findings):
        sys.exit(STRICT_EXIT)


def _print_findings(findings: list[readiness.Finding], day: date) -> None:
    from packgen.readiness import rules as readiness

    if not findings:
        click.echo(f"Readiness on {day:%d %B %Y}: every rule is met.")
        return
    severities = ", ".join(
        f"{n} {level}"
        for level in ("critical", "high", "advisory")
        if (n := sum(f.severity == level for f in findings))
    )
    click.echo(
        f"\nReadiness on {day:%d %B %Y}: {len(findings)} finding{'s' if len(findings) != 1 else ''} ({severities})"
    )
    for group in readiness.by_area(findings):
        click.echo(f"\n{group.heading.upper()} ({len(group.findings)})")
        for f in group.findings:
            status = " (unknown: not enough recorded to decide)" if f.status == "unknown" else ""
            click.echo(f"  {f.rule:>3}  [{f.severity}] {f.message}{status}")
            if f.record_key:
                click.echo(f"       record: {f.record_key}")
            if f.command:
                click.echo(f"       help: {f.command}")
            click.echo(f"       source: {f.source}")


@main.command("rules")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people; json for other tools; markdown for docs/rules.md.",
)
def rules_command(output_format: str) -> None:
    """List the readiness rules: what each checks, its severity, its evaluation area and its sources.

    \b
    Example:
      packgen rules
      packgen rules --format markdown > docs/rules.md
    """
    from packgen.readiness import table as rule_table

    table = rule_table.rule_table()
    render = {"text": rule_table.as_text, "json": rule_table.as_json, "markdown": rule_table.as_markdown}
    click.echo(render[output_format](table), nl=output_format == "json")


@main.command("list")
@school_argument
@out_option
@templates_option
def provider_list(school: Path, out_root: Path, templates: Path) -> None:
    """Print the providers the school's pupils attend, and write the list as .docx and .pdf.

    For each provider: address, registration and URN, how many pupils, and each placement's start date,
    hours, days and reason: the list the inspection planning call asks for. It also opens the pack.

    \b
    Example:
      packgen list data/brookfield-academy
    """
    from packgen.build import pipeline
    from packgen.documents.wording import load_wording

    made, spec = pipeline.build_provider_list(school, out_root, templates=templates)
    labels = load_wording(templates / "labels.yaml").labels
    for line in spec.context["providers"]:
        urn = f", URN {line.urn}" if line.urn else ""
        click.echo(
            f"{line.name} ({labels.get(line.registration, line.registration)}{urn}): "
            f"{line.pupils} pupil{'s' if line.pupils != 1 else ''}"
        )
        click.echo(f"  {line.address}")
        for p in line.placements:
            days = f" ({p.days})" if p.days else ""
            click.echo(
                f"  from {p.start_date.day} {p.start_date:%b %Y}: {p.hours_per_week:g} hours a week{days}; "
                f"{labels.get(p.category, p.category)}; arranged by "
                f"{labels.get(p.arranged_by, p.arranged_by).lower()}"
            )
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")


@main.command()
@school_argument
@click.argument("pupil")
@out_option
@templates_option
def notice(school: Path, pupil: str, out_root: Path, templates: Path) -> None:
    """Write the notice to parents of a pupil's off-site direction as .docx and .pdf.

    Give it to parents at least two school days before the placement starts, and record the date in
    placement.off_site_direction.notice_given_on.

    \b
    Example:
      packgen notice data/brookfield-academy p10
    """
    from packgen.build import pipeline

    made = pipeline.build_direction_notice(school, pupil, out_root, templates=templates)
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")


@main.command("la-letter")
@school_argument
@click.argument("pupil")
@out_option
@templates_option
def la_letter(school: Path, pupil: str, out_root: Path, templates: Path) -> None:
    """Write the letter telling the local authority of a pupil's placement as .docx and .pdf.

    Send it when the placement is commissioned, and record the date in placement.la_notified_on.

    \b
    Example:
      packgen la-letter data/brookfield-academy p11
    """
    from packgen.build import pipeline

    made = pipeline.build_la_letter(school, pupil, out_root, templates=templates)
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")


@main.command()
@school_argument
@click.argument("pupil")
@out_option
@templates_option
def agreement(school: Path, pupil: str, out_root: Path, templates: Path) -> None:
    """Write one pupil's commissioning agreement as .docx and .pdf.

    PUPIL is the pupil's file name in pupils/ without .yaml.

    \b
    Example:
      packgen agreement data/brookfield-academy p01
    """
    from packgen.build import pipeline

    made = pipeline.build_agreement(school, pupil, out_root, templates=templates)
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")


ACTIONS = {"send": "send", "resend": "send again", "skip": "skip", "post": "print and post"}


@main.command()
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
    today,
    sender: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str,
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
    from packgen.mail import send as mail
    from packgen.records.read import load_school

    day = today or date.today()
    data = load_school(school)
    if show_status:
        _print_status(mail.status(data, day), provider_id)
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
        planned = mail.prepare_chases(
            data, made, day, templates=templates, sender=sender, resend=resend, every_days=every_days
        )
    else:
        planned = mail.prepare_letters(
            data, made, templates=templates, sender=sender, resend=resend, resend_unknown=resend_unknown
        )
    to_send = sum(item.action in mail.SENDING for item in planned)
    if not really_send:
        for item in planned:
            click.echo(f"{ACTIONS[item.action]:>14}  {item.provider_id}  {item.to or ''}  ({item.reason})")
            if item.eml:
                click.echo(f"{'':>14}  {item.eml}")
        click.echo(f"Dry run: nothing sent. {to_send} e-mail{'s' if to_send != 1 else ''} would go with --send.")
        return
    password = None
    if smtp_user and not os.environ.get(PASSWORD_ENV) and to_send:
        password = click.prompt(f"Password for {smtp_user} on {smtp_host}", hide_input=True)
    settings = mail.SmtpSettings(smtp_host, smtp_port, smtp_security or "starttls", smtp_user, password, smtp_ca_file)
    outcomes = mail.send(data, planned, settings)
    for outcome in outcomes:
        click.echo(f"{outcome.status:>14}  {outcome.planned.provider_id}  {outcome.detail}")
    mail.raise_for_failures(outcomes)


def _print_status(states: list[mail.ProviderStatus], provider_id: str | None) -> None:
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


@main.command()
@click.argument(
    "schools", metavar="SCHOOL...", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
@out_option
@templates_option
@today_option
@click.option(
    "--encrypt",
    is_flag=True,
    help=f"Protect the pack with a password (AES-256). The password comes from {PACK_PASSWORD_ENV} "
    "or packgen asks for it; it is never given on the command line.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="For sharing beyond the school: initials instead of names; no dates of birth, ethnicity, "
    "contact details or scans. Written to output/<school>-redacted/.",
)
@click.option(
    "--skip-bad-evidence",
    is_flag=True,
    help="Build without scans that cannot be read, and list them on a page of the pack.",
)
@click.option("--quiet", is_flag=True, help="Show no progress while building.")
@click.option(
    "--pupil",
    "pupil_id",
    metavar="ID",
    help="Only this pupil's documents, in a small indexed PDF of their own (an inspector's case sample).",
)
def build(
    schools: tuple[Path, ...],
    out_root: Path,
    templates: Path,
    today: date | None,
    encrypt: bool,
    redact: bool,
    skip_bad_evidence: bool,
    quiet: bool,
    pupil_id: str | None,
) -> None:
    """Build each school's evidence pack: one indexed PDF, plus every document as .docx and .pdf.

    A rebuild redoes only what changed: documents whose records, template and packgen are unchanged
    come from the cache in the output folder, and a pack with nothing changed is left as it is.
    Several schools in one run share the LibreOffice workers. Progress goes to stderr: a bar on a
    terminal, plain lines otherwise, nothing with --quiet.

    \b
    Example:
      packgen build data/brookfield-academy
      packgen build data/*/ --quiet
      PACKGEN_PACK_PASSWORD=... packgen build data/brookfield-academy --encrypt --redact
      packgen build data/brookfield-academy --pupil p07

    The cover and register show when the pack was made. With SOURCE_DATE_EPOCH set (seconds since
    1970, the reproducible-builds convention) that moment is used instead of the clock, so two builds
    of the same records give the same pages.
    """
    if pupil_id:
        _case_bundles(schools, pupil_id, out_root, templates, today, quiet)
        return
    from packgen.build import pipeline

    password = None
    if encrypt:
        password = os.environ.get(PACK_PASSWORD_ENV) or click.prompt(
            "Password for the pack", hide_input=True, confirmation_prompt=True
        )
    options = pipeline.PackOptions(password=password, redact=redact, skip_bad_evidence=skip_bad_evidence)
    with _ProgressReport(enabled=not quiet) as report:
        packs = pipeline.build_packs(
            schools, out_root, templates=templates, now=_source_date(), today=today, on_progress=report, options=options
        )
    for built in packs:
        if built.up_to_date:
            click.echo(f"Evidence pack: {built.path} (up to date: nothing it is made from has changed)")
            click.echo(f"{built.page_count} pages; {built.pupils} pupils, {built.providers} providers.")
        else:
            click.echo(f"Evidence pack: {built.path}" + (" (encrypted)" if password else ""))
            click.echo(
                f"{built.page_count} pages; {built.pupils} pupils, {built.providers} providers, "
                f"{len(built.documents)} documents."
            )
            click.echo(f"{built.made} documents made afresh, {built.reused} taken from the cache.")
        if built.findings:
            counts = ", ".join(f"{n} {level}" for level, n in built.findings.items())
            click.echo(f"Readiness: {counts} (packgen check lists them; the pack's Readiness section too).")
        for bad in built.left_out:
            click.echo(f"Left out: {bad.path} ({bad.record}: {bad.key}) {bad.reason}", err=True)
    click.echo("OFFICIAL-SENSITIVE: the pack contains personal data about children. Share it securely.")


def _source_date() -> datetime | None:
    """The moment SOURCE_DATE_EPOCH names, in local time; None (the clock) when it is not set."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value))
    except (ValueError, OverflowError, OSError):
        raise InputError(
            f"SOURCE_DATE_EPOCH is '{value}': it must be a whole number of seconds since 1 January 1970"
        ) from None


class _ProgressReport:
    """Shows the build's on_progress(step, done, total) reports on stderr: a bar with counts and time
    left on a terminal, a line at each tenth otherwise (a log keeps them readable)."""

    LABELS = {"render": "Filling templates", "convert": "Converting to PDF", "assemble": "Assembling the pack"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.terminal = sys.stderr.isatty()
        self.step: str | None = None
        self.bar = None
        self.shown = -1

    def __enter__(self) -> _ProgressReport:
        return self

    def __exit__(self, *exc) -> None:
        self._end_bar()

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        label = self.LABELS.get(step, step)
        if step != self.step or done == 0:  # a new step, or the same step again for another school
            self._end_bar()
            self.step, self.shown = step, -1
            if total == 1:
                click.echo(f"{label}...", err=True)
            elif self.terminal:
                self.bar = click.progressbar(length=total, label=label, show_pos=True, show_eta=True, file=sys.stderr)
                self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.bar.pos)
        elif total > 1 and done * 10 // total != self.shown:
            self.shown = done * 10 // total
            click.echo(f"{label}: {done} of {total}", err=True)

    def _end_bar(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command(name="where")
@school_argument
@click.option(
    "--at",
    "moment",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
    metavar="'YYYY-MM-DD HH:MM'",
    help="The moment to answer for [default: now].",
)
def where_command(school: Path, moment: datetime | None) -> None:
    """Say where every pupil in AP should be right now, and who to ring; flag anyone unaccounted for.

    Worked out from each placement's timetable (sessions), term dates and the school day.

    \b
    Example:
      packgen where data/brookfield-academy
      packgen where data/brookfield-academy --at '2026-11-24 10:00'
    """
    from packgen.records import whereabouts as where
    from packgen.records.read import load_school

    at = moment or datetime.now()
    rows = where.whereabouts(load_school(school), at)
    click.echo(f"Where each pupil should be at {at:%H:%M} on {at:%A %d %B %Y}:")
    for w in rows:
        mark = "!! " if w.place == "unaccounted" else "   "
        ring = f"ring {w.contact.name}" + (f" on {w.contact.phone}" if w.contact.phone else "") if w.contact else ""
        click.echo(f"{mark}{w.name}: {w.location} ({w.reason})" + (f"; {ring}" if ring else ""))
    missing = sum(w.place == "unaccounted" for w in rows)
    if missing:
        click.echo(
            f"\n{missing} pupil{'s' if missing != 1 else ''} unaccounted for (marked !!): "
            "check with the school's attendance lead now."
        )


@main.command()
@school_argument
@out_option
@templates_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only 127.0.0.1 or ::1 keeps the page on this computer; any other address "
    "reaches the network and needs a password of at least 12 characters (env PACKGEN_WEB_PASSWORD, "
    "or typed when asked).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@today_option
def serve(
    school: Path, out_root: Path, templates: Path, host: str, port: int, no_browser: bool, today: date | None
) -> None:
    """Open the records as a web page for office staff: pupils, providers, the pack, and forms.

    The forms write the same YAML files you can edit by hand, checked as packgen check does. To send
    letters from the page, set PACKGEN_SMTP_HOST (and PACKGEN_SMTP_PORT, PACKGEN_SMTP_SECURITY,
    PACKGEN_SMTP_USER, PACKGEN_MAIL_FROM as for packgen letters --send). Stop with Ctrl+C.

    \b
    Example:
      packgen serve data/brookfield-academy
      PACKGEN_WEB_PASSWORD=... packgen serve data/brookfield-academy --host 0.0.0.0 --port 8080
    """
    import webbrowser

    from packgen import web
    from packgen.records.read import load_healthy

    data, _ = load_healthy(school)  # not a school: said here; broken records are repaired on the page
    password_hash = None
    if not web.is_loopback(host):
        password = os.environ.get("PACKGEN_WEB_PASSWORD") or click.prompt(
            "Password for the page (others on the network will need it)", hide_input=True, confirmation_prompt=True
        )
        password_hash = web.hash_password(password)
    from packgen.mail import send as mail

    # As packgen letters --send: the environment wins, school.yaml's letters.smtp fills in.
    smtp = mail.school_smtp(data, os.environ)
    if smtp and smtp.user and not os.environ.get(PASSWORD_ENV):
        smtp = dataclasses.replace(
            smtp, password=click.prompt(f"Password for {smtp.user} on {smtp.host}", hide_input=True)
        )
    sender = os.environ.get("PACKGEN_MAIL_FROM") or (data.school.letters.sender if data else None)
    app = web.create_app(
        web.Settings(school.resolve(), out_root.resolve(), templates, password_hash, host, smtp, sender, today)
    )
    server = web.start(app, host, port)
    url = f"http://{_url_host(host)}:{server.server_port}/"
    click.echo(f"packgen is serving {school} at {url}")
    if password_hash:
        click.echo(
            "Listening beyond this computer: everyone needs the password. Traffic is not encrypted, so use "
            "it only on a network you trust."
        )
    click.echo("OFFICIAL-SENSITIVE: the page shows personal data about children. Press Ctrl+C to stop.")
    if not no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _url_host(host: str) -> str:
    """How a browser on this computer reaches ``host``: an address that means every address is reached
    through loopback, and an IPv6 address goes in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"[{host}]" if ":" in host else host


@main.command(name="import")
@school_argument
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--apply",
    "apply_changes",
    is_flag=True,
    help="Write the changes. Without it, packgen only shows what would change, field by field.",
)
@click.option(
    "--add",
    "add_upns",
    multiple=True,
    metavar="UPN",
    help="Also make a record for this pupil, who is in the file but not in packgen (repeat for more).",
)
@click.option(
    "--map",
    "make_map",
    is_flag=True,
    help="For a CSV export: say which column holds what, and save it for every later import.",
)
def import_command(school: Path, file: Path, apply_changes: bool, add_upns: tuple[str, ...], make_map: bool) -> None:
    """Update pupils' details from the MIS: a Common Transfer File (CTF, .xml) or a CSV export.

    Pupils are matched by UPN. Identity, home address, ethnicity, SEN provision, looked-after status and
    parents and carers are updated; placements, reviews, visits and everything else packgen holds are
    never touched. Pupils in the file but not in packgen are listed and left alone, unless named with
    --add. With --apply every change is written, or none if anything is wrong; comments stay.

    \b
    Example:
      packgen import data/brookfield-academy data/brookfield-academy/imports/brookfield-ctf.xml
      packgen import --map data/brookfield-academy data/brookfield-academy/imports/brookfield-mis.csv
      packgen import data/brookfield-academy export.csv --apply --add T999499917203
    """
    from packgen.records import merge

    if make_map:
        _map_columns(school, file)
    upns = [u for given in add_upns for u in given.replace(",", " ").split()]
    plan = merge.plan_import(school, merge.read_source(school, file), add=upns)
    source = plan.source
    click.echo(
        f"{file.name}: {source.kind}{f' version {source.version}' if source.version else ''}, "
        f"{len(source.pupils)} pupils."
    )
    for warning in source.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for update in plan.changed + plan.added:
        new = " (new record)" if update.original is None else ""
        click.echo(f"\n{update.pupil_id} {update.name} ({update.upn}), {update.file}{new}:")
        for change in update.changes:
            click.echo(f"  {change}")
    unchanged = len(plan.matched) - len(plan.changed)
    click.echo(f"\nMatched by UPN: {len(plan.matched)} ({len(plan.changed)} with changes, {unchanged} unchanged).")
    if plan.added:
        click.echo(
            f"New records: {', '.join(u.file for u in plan.added)} (write each placement: packgen check "
            "lists them until then)."
        )
    if plan.not_in_packgen:
        click.echo(f"In the file but not in packgen, left alone ({len(plan.not_in_packgen)}; add one with --add UPN):")
        for pupil in plan.not_in_packgen:
            click.echo(f"  {pupil.upn}  {pupil.name}")
    if not plan.writes:
        click.echo("Nothing to change.")
    elif apply_changes:
        written = merge.apply_import(plan)
        click.echo(f"Written: {len(written)} record{'s' if len(written) != 1 else ''}.")
    else:
        click.echo(
            f"Nothing written yet: run again with --apply to write these changes to {len(plan.writes)} "
            f"record{'s' if len(plan.writes) != 1 else ''}."
        )


def _map_columns(school: Path, file: Path) -> None:
    """Ask which column holds each field, starting from packgen's guess, and save the answers."""
    from packgen.records import mis_csv

    headings = mis_csv.read_headings(file)
    mapping = mis_csv.guess_mapping(headings)
    click.echo(f"{file.name} has these columns: {', '.join(headings)}")
    click.echo("For each field, press Enter to accept packgen's guess, type another column's heading, or '-' for none.")
    for name in mis_csv.FIELDS:
        answer = click.prompt(f"  {name.replace('_', ' ')}", default=mapping.columns.get(name, "-"))
        while answer != "-" and answer not in headings:
            answer = click.prompt(f"  '{answer}' is not a heading in the file; {name.replace('_', ' ')}", default="-")
        mapping.columns.pop(name, None)
        if answer != "-":
            mapping.columns[name] = answer
    answer = click.prompt("  address columns, in order, separated by '|'", default="|".join(mapping.address) or "-")
    mapping.address = [h.strip() for h in answer.split("|") if h.strip() in headings]
    for i, contact in enumerate(mapping.contacts, 1):
        click.echo(f"  contact {i}: " + ", ".join(f"{part} = {heading}" for part, heading in contact.items()))
    if mapping.contacts and not click.confirm("  Use these contact columns?", default=True):
        mapping.contacts = []
    mapping.dates = click.prompt(
        "  dates are written", type=click.Choice(list(mis_csv.DATE_FORMATS)), default=mapping.dates
    )
    click.echo(f"Saved the column mapping to {mis_csv.save_mapping(school, mapping)}\n")


@main.command()
@school_argument
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    callback=lambda ctx, param, value: value.date() if value else None,
    help="The census day: autumn the first Thursday of October, spring and summer the third Thursday of "
    "January and of May.",
)
@click.option(
    "--previous",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    callback=lambda ctx, param, value: value.date() if value else None,
    help="The previous census day, where the census period starts [default: the census day before --date "
    "by the same rule].",
)
@click.option(
    "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write."
)
def census(school: Path, day: date, previous: date | None, out_file: Path) -> None:
    """Write the school census "AP placements arranged by schools" rows as CSV, to key into the MIS.

    One row per placement open on census day or ended since the previous census day: UPN, the
    provider's URN (or UKPRN, or type of setting), reason, entry and leaving dates, attendance pattern
    and sessions per week. Anything missing or without a checked DfE code is left blank and listed; a
    record naming a census reason code packgen's list lacks is an error.

    \b
    Example:
      packgen census data/brookfield-academy --date 2026-10-01 --out output/census-autumn-2026.csv
    """
    from packgen.records import census as school_census
    from packgen.records.read import load_school

    result = school_census.census_return(load_school(school), day, previous)
    school_census.write_census(result, out_file)
    click.echo(
        f"Census day {day:%d %B %Y} (previous {result.previous:%d %B %Y}): {len(result.rows)} placement"
        f"{'s' if len(result.rows) != 1 else ''} written to {out_file}."
    )
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if result.warnings:
        click.echo(
            f"{len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''}: the cells they name "
            "are blank. Fix the records (or packgen's census codes) before keying the return.",
            err=True,
        )


def _case_bundles(
    schools: tuple[Path, ...], pupil_id: str, out_root: Path, templates: Path, today: date | None, quiet: bool
) -> None:
    from packgen.build import pipeline

    with _ProgressReport(enabled=not quiet) as report:
        for school in schools:
            bundle = pipeline.build_case_bundle(
                school, pupil_id, out_root, templates=templates, today=today, on_progress=report
            )
            click.echo(f"Case sample: {bundle.path} ({bundle.page_count} pages)")
    click.echo("OFFICIAL-SENSITIVE: it contains personal data about a child. Share it securely.")


@main.command()
@school_argument
@click.option(
    "--term",
    required=True,
    metavar="TERM",
    help="The term to report on, as school.yaml's term dates name it: 'Autumn term 2026' or 'autumn 2026'.",
)
@out_option
@templates_option
@today_option
def report(school: Path, term: str, out_root: Path, templates: Path, today: date | None) -> None:
    """Write the governors' termly report on alternative provision (.docx and .pdf).

    Placements started, reviewed and ended, the outcomes rated at reviews, readiness findings and the
    estimated cost, each beside the term before. The wording is in templates/governors.docx.

    \b
    Example:
      packgen report data/brookfield-academy --term 'autumn 2026'
    """
    from packgen.build import pipeline

    made = pipeline.build_governors_report(school, term, out_root, templates=templates, today=today)
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")
