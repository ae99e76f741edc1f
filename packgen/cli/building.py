"""The build command: evidence packs (or one pupil's case sample), with progress on stderr."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import click

from packgen.cli.options import out_option, templates_option, today_option
from packgen.errors import InputError

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

    from packgen.build.pipeline import PackBuilt, PackOptions
    from packgen.errors import PackgenError

PACK_PASSWORD_ENV = "PACKGEN_PACK_PASSWORD"


@click.command()
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
    "--watch",
    is_flag=True,
    help="Keep running: build again each time a record or template is saved, making only what the "
    "change touched. A mistake in a record is shown and the earlier pack kept. Ctrl-C stops.",
)
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
    watch: bool,
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

    The cover and register show the day the pack was made, its contents page the time. With
    SOURCE_DATE_EPOCH set (seconds since 1970, the reproducible-builds convention) that moment is used
    instead of the clock, so two builds of the same records give the same pages.
    """
    if pupil_id:
        if watch:
            raise click.UsageError("--watch keeps whole packs up to date: leave out --pupil, or --watch")
        _case_bundles(schools, pupil_id, out_root, templates, today, quiet)
        return
    from packgen.build import pipeline

    password = None
    if encrypt:
        password = os.environ.get(PACK_PASSWORD_ENV) or click.prompt(
            "Password for the pack", hide_input=True, confirmation_prompt=True
        )
    options = pipeline.PackOptions(password=password, redact=redact, skip_bad_evidence=skip_bad_evidence)
    if watch:
        _watch(schools, out_root, templates, today, quiet, options)
        return
    with _ProgressReport(enabled=not quiet) as report:
        packs = pipeline.build_packs(
            schools, out_root, templates=templates, now=_source_date(), today=today, on_progress=report, options=options
        )
    _say_built(packs, encrypted=bool(password))


def _watch(
    schools: tuple[Path, ...], out_root: Path, templates: Path, today: date | None, quiet: bool, options: PackOptions
) -> None:
    """build --watch: each build said as a build is, under the time it finished; Ctrl-C ends it."""
    from packgen.build.watch import watch

    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        raise InputError("--watch stamps each pack with the time it is made: unset SOURCE_DATE_EPOCH to watch")

    report = _ProgressReport(enabled=not quiet)
    waiting = f"Watching {', '.join(map(str, schools))} and the templates for changes. Ctrl-C stops."

    def built(packs: list[PackBuilt]) -> None:
        report.end()
        click.echo(f"[{datetime.now():%H:%M:%S}]")
        _say_built(packs, encrypted=bool(options.password))
        click.echo(waiting)

    def problem(error: PackgenError) -> None:
        report.end()
        click.echo(f"[{datetime.now():%H:%M:%S}]")
        click.echo(f"Error: {error}", err=True)
        click.echo("Nothing was put in place: the pack made before is unchanged. " + waiting)

    with report:
        watch(
            schools,
            out_root,
            templates=templates,
            today=today,
            options=options,
            on_progress=report,
            on_built=built,
            on_problem=problem,
        )


def _say_built(packs: list[PackBuilt], *, encrypted: bool) -> None:
    """What a build made, pack by pack, and the reminder that it holds personal data."""
    for built in packs:
        if built.up_to_date:
            click.echo(f"Evidence pack: {built.path} (up to date: nothing it is made from has changed)")
            click.echo(f"{built.page_count} pages; {built.pupils} pupils, {built.providers} providers.")
        else:
            click.echo(f"Evidence pack: {built.path}" + (" (encrypted)" if encrypted else ""))
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

    LABELS: ClassVar[dict[str, str]] = {
        "render": "Filling templates",
        "convert": "Converting to PDF",
        "assemble": "Assembling the pack",
    }

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.terminal = sys.stderr.isatty()
        self.step: str | None = None
        self.bar: ProgressBar[int] | None = None
        self.shown = -1

    def __enter__(self) -> _ProgressReport:
        return self

    def __exit__(self, *exc) -> None:
        self.end()

    def end(self) -> None:
        """Close the bar of the step shown, so the next report starts afresh (the next build's)."""
        self._end_bar()
        self.step = None

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


def _case_bundles(
    schools: tuple[Path, ...], pupil_id: str, out_root: Path, templates: Path, today: date | None, quiet: bool
) -> None:
    from packgen.build import single

    with _ProgressReport(enabled=not quiet) as report:
        for school in schools:
            bundle = single.build_case_bundle(
                school, pupil_id, out_root, templates=templates, today=today, on_progress=report
            )
            click.echo(f"Case sample: {bundle.path} ({bundle.page_count} pages)")
    click.echo("OFFICIAL-SENSITIVE: it contains personal data about a child. Share it securely.")
