"""The rule table (rules.yaml, shipped with the package), read into typed objects.

One file says, for every rule, what it checks, how serious its findings are, which of Ofsted's evaluation
areas it belongs to and which guidance it rests on. The checks, ``packgen rules``, the pack and
docs/rules.md all read it, so a change of guidance is one edit in one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from packgen.errors import PackgenError
from packgen.records.yaml_tree import SAFE_LOADER

Severity = Literal["critical", "high", "advisory"]
Subject = Literal["pupil", "provider", "school"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Area(_Entry):
    id: str
    heading: str


class Document(_Entry):
    title: str
    publisher: str
    year: int
    edition: str | None = None
    url: str | None = None
    checked_on: date


class Citation(_Entry):
    """Where in a document a rule comes from: a ``heading`` seen in its text, or a ``part`` described."""

    document: str
    heading: str | None = None
    part: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> Citation:
        if (self.heading is None) == (self.part is None):
            raise ValueError("give either heading (checked wording) or part (described), not both or neither")
        return self


class RuleEntry(_Entry):
    id: str = Field(pattern=r"^R\d+$")
    title: str
    checks: str
    subject: Subject
    area: str
    severities: tuple[Severity, ...] = Field(min_length=1)  # worst first
    sources: tuple[Citation, ...] = Field(min_length=1)
    basis: str | None = None
    optional: bool = False

    @property
    def number(self) -> int:
        return int(self.id[1:])


class RuleTable(_Entry):
    areas: tuple[Area, ...]
    documents: dict[str, Document]
    rules: tuple[RuleEntry, ...]

    @model_validator(mode="after")
    def _consistent(self) -> RuleTable:
        areas = {a.id for a in self.areas}
        for rule in self.rules:
            if rule.area not in areas:
                raise ValueError(f"{rule.id}: area {rule.area!r} is not one of {sorted(areas)}")
            for citation in rule.sources:
                if citation.document not in self.documents:
                    raise ValueError(f"{rule.id}: document {citation.document!r} is not listed under documents")
        ids = [r.id for r in self.rules]
        if ids != [f"R{n}" for n in range(1, len(ids) + 1)]:
            raise ValueError(f"rule ids must run R1, R2, ... in order, not {ids}")
        return self

    def rule(self, rule_id: str) -> RuleEntry:
        return next(r for r in self.rules if r.id == rule_id)

    def area_heading(self, area_id: str) -> str:
        return next(a.heading for a in self.areas if a.id == area_id)

    def cite(self, citation: Citation) -> str:
        """One citation in words: the document by title, publisher and year, then the heading or part."""
        doc = self.documents[citation.document]
        where = f'"{citation.heading}"' if citation.heading else citation.part
        note = f" ({citation.note})" if citation.note else ""
        return f"{doc.title} ({doc.publisher}, {doc.year}), {where}{note}"

    def source(self, rule: RuleEntry) -> str:
        """Every citation of a rule, then its local-practice basis if it has one."""
        parts = [self.cite(c) for c in rule.sources]
        if rule.basis:
            parts.append(f"Basis: {rule.basis}")
        return "; ".join(parts)

    def last_checked(self, rule: RuleEntry) -> date:
        """The oldest check of any document the rule cites: the rule is only as current as that."""
        return min(self.documents[c.document].checked_on for c in rule.sources)


@cache
def rule_table() -> RuleTable:
    """The table shipped with packgen. A broken table is packgen's own fault, never the user's."""
    text = resources.files("packgen.readiness").joinpath("rules.yaml").read_text(encoding="utf-8")
    try:
        return RuleTable.model_validate(yaml.load(text, Loader=SAFE_LOADER))
    except ValidationError as error:
        raise TableError(f"packgen/readiness/rules.yaml is not a valid rule table: {error}") from error


class TableError(PackgenError):
    exit_code = 70


@dataclass(frozen=True)
class AreaGroup:
    """Findings (anything with an ``area``) of one evaluation area, for output under the toolkit's headings."""

    id: str
    heading: str
    findings: tuple


def by_area(findings: Sequence) -> list[AreaGroup]:
    """``findings`` under the toolkit's evaluation areas, in the toolkit's order, each keeping the order
    given (worst first); areas with none are left out."""
    table = rule_table()
    groups = [AreaGroup(a.id, a.heading, tuple(f for f in findings if f.area == a.id)) for a in table.areas]
    return [g for g in groups if g.findings]


# ---------------------------------------------------------------- the table for people and tools


def rows(table: RuleTable) -> list[dict]:
    """One plain row per rule: what ``packgen rules --format json`` prints."""
    return [
        {
            "id": r.id,
            "title": r.title,
            "checks": r.checks,
            "subject": r.subject,
            "area": r.area,
            "area_heading": table.area_heading(r.area),
            "severities": list(r.severities),
            "optional": r.optional,
            "basis": r.basis,
            "sources": [
                {
                    "document": table.documents[c.document].model_dump(mode="json"),
                    "heading": c.heading,
                    "part": c.part,
                    "note": c.note,
                    "text": table.cite(c),
                }
                for c in r.sources
            ],
            "source": table.source(r),
            "last_checked": table.last_checked(r).isoformat(),
        }
        for r in table.rules
    ]


def as_json(table: RuleTable) -> str:
    return json.dumps({"rules": rows(table)}, indent=2, ensure_ascii=False)


def as_text(table: RuleTable) -> str:
    lines = []
    for area in table.areas:
        rules = [r for r in table.rules if r.area == area.id]
        if not rules:
            continue
        lines.append(area.heading.upper())
        for r in rules:
            optional = ", optional" if r.optional else ""
            lines.append(f"  {r.id:>3}  {r.title} [{'/'.join(r.severities)}{optional}]")
            lines.append(f"       checks: {r.checks}")
            lines.append(f"       source: {table.source(r)} (checked {_long(table.last_checked(r))})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_markdown(table: RuleTable) -> str:
    """docs/rules.md, made from the table (a test fails when the file in the repository differs)."""
    out = [
        "# Readiness rules",
        "",
        "<!-- Made by `packgen rules --format markdown > docs/rules.md` from packgen/readiness/rules.yaml."
        " Edit that file, not this one. -->",
        "",
        "packgen checks each school's records against these rules (`packgen check`, the pack's readiness page "
        "and each pupil's summary). Findings are grouped under the evaluation areas of Ofsted's school "
        "inspection toolkit (November 2025).",
        "",
        "**Severity.** *Critical*: a pupil could be unsafe, or the law broken, today. *High*: something the "
        "guidance requires is missing. *Advisory*: a question the inspector will ask, a record to tidy, or "
        "a proposal not yet in force. A finding is *not met* when the record shows the requirement is not "
        "met (or holds nothing of it), and *not known* when the record holds only part of the answer.",
        "",
        "**Sources.** A heading in quotes was checked against the published text; a part described without "
        "quotes names where the requirement sits, in our words. *Basis: local practice* marks a check "
        "that goes beyond national guidance.",
        "",
    ]
    for area in table.areas:
        rules = [r for r in table.rules if r.area == area.id]
        if not rules:
            continue
        out += [f"## {area.heading}", "", "| Rule | What it checks | Severity | Source |", "| --- | --- | --- | --- |"]
        for r in rules:
            severity = ", ".join(r.severities) + (" (optional)" if r.optional else "")
            source = "<br>".join(
                [_cell(table.cite(c)) for c in r.sources] + ([f"Basis: {_cell(r.basis)}"] if r.basis else [])
            )
            out.append(f"| {r.id} {_cell(r.title)} | {_cell(r.checks)} | {severity} | {source} |")
        out.append("")
    out += ["## Documents", "", "| Document | Publisher | Edition | Last checked |", "| --- | --- | --- | --- |"]
    for doc in sorted(table.documents.values(), key=lambda d: d.title.casefold()):
        title = f"[{_cell(doc.title)}]({doc.url})" if doc.url else _cell(doc.title)
        out.append(
            f"| {title} | {_cell(doc.publisher)} | {_cell(doc.edition or str(doc.year))} | "
            f"{doc.checked_on.isoformat()} |"
        )
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
