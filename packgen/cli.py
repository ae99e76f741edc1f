"""The command line: parse, call the library, turn its errors into messages and exit codes.

This is the only module that imports click or prints. Exit codes (spec/pack.md): 0 done, 1 the
user's input is wrong, 2 usage error, 4 a broken environment (LibreOffice missing, say), 70 a bug.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from . import __version__, pipeline
from .errors import DataError, PackgenError
from .load import load_school

BUG_EXIT = 70

out_option = click.option(
    "--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
    show_default=True, help="Folder that receives output/<school>/...",
)
templates_option = click.option(
    "--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=pipeline.DEFAULT_TEMPLATES, show_default="the templates/ folder beside packgen",
    help="Folder of Word templates to use instead of the standard ones.",
)
school_argument = click.argument("school", type=click.Path(file_okay=False, path_type=Path))


class PackgenGroup(click.Group):
    """Turns packgen's own errors into a message and exit code; anything else is reported as a bug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PackgenError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:  # a bug: say so plainly, with the detail a developer needs
            click.echo(traceback.format_exc(), err=True)
            click.echo("packgen stopped because of a bug (above). Please report it with this message.", err=True)
            ctx.exit(BUG_EXIT)


@click.group(cls=PackgenGroup)
@click.version_option(__version__, prog_name="packgen")
def main() -> None:
    """Alternative provision evidence packs for English schools.

    Each school is a folder of YAML records (school.yaml, providers/, pupils/). packgen checks them,
    fills the Word templates, and merges everything into one indexed PDF for inspectors.

    \b
    Example:
      packgen check data/brookfield-academy
      packgen build data/brookfield-academy
    """


@main.command()
@school_argument
def check(school: Path) -> None:
    """Check a school's records and list every problem at once.

    Exits 0 when the records can be built into a pack, 1 when they cannot.

    \b
    Example:
      packgen check data/brookfield-academy
    """
    try:
        data = load_school(school)
    except DataError as error:
        for problem in error.problems:
            click.echo(str(problem))
        count = len(error.problems)
        click.echo(f"\n{count} problem{'s' if count != 1 else ''} found in {school}: fix {'them' if count != 1 else 'it'} "
                   "and run packgen check again.", err=True)
        sys.exit(1)
    click.echo(f"{school}: {len(data.pupils)} pupils, {len(data.providers)} providers. "
               "No problems found: ready to build.")


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
    made = pipeline.build_agreement(school, pupil, out_root, templates=templates)
    click.echo(f"Wrote {made.docx}\nWrote {made.pdf}")


@main.command()
@school_argument
@click.option("--provider", "provider_id", metavar="ID", help="Only this provider (its file name without .yaml).")
@out_option
@templates_option
def letters(school: Path, provider_id: str | None, out_root: Path, templates: Path) -> None:
    """Write each provider's Appendix 4 staff-check assurance request letter.

    \b
    Example:
      packgen letters data/brookfield-academy
      packgen letters data/brookfield-academy --provider bridge-learning
    """
    for made in pipeline.build_letters(school, out_root, provider_id=provider_id, templates=templates):
        click.echo(f"Wrote {made.docx} and {made.pdf.name}")


@main.command()
@school_argument
@out_option
@templates_option
def build(school: Path, out_root: Path, templates: Path) -> None:
    """Build the school's evidence pack: one indexed PDF, plus every document as .docx and .pdf.

    \b
    Example:
      packgen build data/brookfield-academy
    """
    built = pipeline.build_pack(school, out_root, templates=templates)
    click.echo(f"Evidence pack: {built.path}")
    click.echo(f"{built.page_count} pages; {built.pupils} pupils, {built.providers} providers, "
               f"{len(built.documents)} documents.")
    click.echo("OFFICIAL-SENSITIVE: the pack contains personal data about children. Share it securely.")
