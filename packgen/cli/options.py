"""What several commands share: the school argument, --out, --templates and --today."""

from __future__ import annotations

from pathlib import Path

import click

from packgen.documents import DEFAULT_TEMPLATES

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
