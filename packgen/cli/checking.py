"""Commands that check the records and answer questions about them: check, rules, where."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from packgen.cli.options import school_argument, templates_option, today_option
from packgen.errors import DataError, TemplateProblem

if TYPE_CHECKING:
    from packgen.readiness import rules as readiness

STRICT_EXIT = 3


@click.command()
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


@click.command("rules")
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


@click.command(name="where")
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
