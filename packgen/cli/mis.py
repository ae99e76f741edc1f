"""Commands that exchange data with the school's MIS: import (CTF or CSV in) and census (rows out)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from packgen.cli.options import school_argument


@click.command(name="import")
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


@click.command()
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
