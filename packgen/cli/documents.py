"""Commands that write one document each as .docx and .pdf: list, notice, la-letter, agreement, report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from packgen.cli.options import out_option, school_argument, templates_option, today_option


@click.command("list")
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


@click.command()
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


@click.command("la-letter")
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


@click.command()
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


@click.command()
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
