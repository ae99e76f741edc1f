"""Write the documents generated from the code (run by `make docs`; tests/test_docs.py checks they are current):

- docs/records.md, the record format, from the models;
- docs/cli.md, the command reference, from the commands' own --help;
- docs/rules.md, the readiness rules and their sources, from packgen/readiness/rules.yaml.
"""

from __future__ import annotations

from pathlib import Path

import click

from packgen.cli import main as cli
from packgen.readiness.table import as_markdown, rule_table
from packgen.records.reference import records_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def cli_markdown() -> str:
    """Every command's --help, as a user sees it, under a heading of its own."""
    lines = [
        "# Command reference",
        "",
        "Generated from `packgen --help` by `make docs`. What each command writes, its exit codes and",
        "environment: [operations](operations.md).",
        "",
    ]
    with click.Context(cli, info_name="packgen", terminal_width=100) as context:
        lines += ["```", cli.get_help(context), "```", ""]
        for name in cli.list_commands(context):
            command = cli.get_command(context, name)
            with click.Context(command, info_name=f"packgen {name}", parent=context, terminal_width=100) as sub:
                lines += [f"## packgen {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def rules_markdown() -> str:
    return as_markdown(rule_table())


GENERATED = {"records.md": records_markdown, "cli.md": cli_markdown, "rules.md": rules_markdown}


def main() -> None:
    for name, make in GENERATED.items():
        (DOCS / name).write_text(make(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
