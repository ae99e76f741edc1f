"""Forms declared as data, and how typed values become record data and problems come back as words.

Each field says where its value goes in the record (a key path as written in YAML). The forms do no
validation of their own beyond reading a day, month and year: a value is turned into the YAML it
would be if typed by hand (a number stays a number, 31 February stays text) and the loader that
``packgen check`` uses judges the record. Each problem it reports is then put beside the field its
key path came from, in plain words (see ``wording``).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from packgen.errors import Problem

Kind = Literal["text", "long", "date", "number", "choice", "check", "yesno", "lines", "time", "email", "phone", "file"]
DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    path: tuple[str, ...]
    kind: Kind = "text"
    choices: tuple[tuple[str, str], ...] = ()  # (code as the record writes it, words the page shows)
    hint: str = ""
    required: bool = False  # shown to the user; the loader is what enforces it
    width: str = ""  # GOV.UK input width class for short answers: "govuk-input--width-10"

    def inputs(self) -> tuple[str, ...]:
        """The suffixes of this field's HTML inputs: a date is three boxes."""
        return tuple(f"-{part}" for part in DATE_PARTS) if self.kind == "date" else ("",)


@dataclass(frozen=True)
class Rows:
    """A repeated group: each filled row becomes one entry of the list at ``path``."""

    name: str
    noun: str  # what one row is about, to name its inputs in the list of problems: "Target 2, evidence"
    path: tuple[str, ...]
    fields: tuple[Field, ...]
    rows: tuple[tuple[str, Mapping[str, Any]], ...]  # each row's heading and the fixed keys it writes
    hint: str = ""
    flow: bool = False  # each entry written on one line, as sessions are: {day: Mon, from: "09:30", to: "14:30"}

    def html_name(self, row: int, item: Field) -> str:
        return f"{self.name}-{row + 1}-{item.name}"


def numbered(noun: str, count: int) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """Headings for a list of any length: ``Parent or carer 1``, ``Parent or carer 2``..."""
    return tuple((f"{noun} {n}", {}) for n in range(1, count + 1))


@dataclass(frozen=True)
class Section:
    legend: str
    items: tuple[Field | Rows, ...]
    hint: str = ""
    # A part of the record kept on another form, linked from this section: (the link's name, its words).
    # The page supplies the address by that name, so each part of a record has one place to change it.
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class FormSpec:
    title: str
    sections: tuple[Section, ...]
    intro: str = ""

    def fields(self) -> Iterable[tuple[str, Field]]:
        """Every field as (HTML name, field)."""
        for section in self.sections:
            for item in section.items:
                if isinstance(item, Rows):
                    for row in range(len(item.rows)):
                        yield from ((item.html_name(row, f), f) for f in item.fields)
                else:
                    yield item.name, item

    def labels(self) -> dict[str, str]:
        """Each field's name as the list of problems at the top of the form says it."""
        found: dict[str, str] = {}
        for section in self.sections:
            for item in section.items:
                if isinstance(item, Rows):
                    for row in range(len(item.rows)):
                        found |= {
                            item.html_name(row, f): f"{item.noun} {row + 1}, {f.label[:1].lower()}{f.label[1:]}"
                            for f in item.fields
                        }
                else:
                    found[item.name] = item.label
        return found

    def focus(self) -> dict[str, str]:
        """The element id the error summary links to for each field (a date's day box)."""
        return {name: name + f.inputs()[0] for name, f in self.fields()}


@dataclass
class Built:
    """A form's values as record data, and which form field each written key path came from."""

    values: dict[tuple, Any] = field(default_factory=dict)  # key path → value (None: remove the key)
    # list path → the filled rows: (row number on the form, the row's fixed keys, key path → value)
    lists: dict[tuple, list[tuple[int, Mapping[str, Any], dict[tuple, Any]]]] = field(default_factory=dict)
    inputs: dict[tuple, str] = field(default_factory=dict)  # key path → field name
    flow: set[tuple] = field(default_factory=set)  # list paths written one entry a line
    checks: set[tuple] = field(default_factory=set)  # key paths of tick boxes


def choices_of(model: type[BaseModel], key: str, words: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The codes a Literal field accepts, straight from the model so the form cannot drift from it,
    each with the words labels.yaml gives it."""
    annotation = model.model_fields[key].annotation
    for arm in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arm) is Literal:
            return tuple((str(v), words.get(str(v), str(v))) for v in typing.get_args(arm))
    raise ValueError(f"{model.__name__}.{key} is not a choice")


DATE_HINT = "For example, 7 9 2026"
LINES_HINT = "One per line."
YES_NO = (("yes", "Yes"), ("no", "No"))

# ---------------------------------------------------------------- reading what was typed


def raw_values(spec: FormSpec, form: Mapping[str, str]) -> dict[str, str]:
    """What the user typed, by input name: kept as typed to show the form again."""
    return {name + suffix: form.get(name + suffix, "") for name, f in spec.fields() for suffix in f.inputs()}


def convert(item: Field, raw: Mapping[str, str], name: str) -> Any:
    """Typed text → the YAML value it would be by hand; ``None`` when left empty."""
    if item.kind == "date":
        return _date(*(raw.get(f"{name}-{part}", "") for part in DATE_PARTS))
    text = raw.get(name, "").replace("\r\n", "\n").strip()
    if item.kind == "check":
        return bool(text)
    if not text or item.kind == "file":
        return None
    if item.kind == "number":
        return _number(text)
    if item.kind == "yesno":
        return {"yes": True, "no": False}.get(text, text)
    if item.kind == "time":
        return DoubleQuotedScalarString(_time(text))
    if item.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    if item.kind == "long":
        return "\n".join(line.rstrip() for line in text.splitlines())
    return " ".join(text.split())


def _date(day: str, month: str, year: str) -> Any:
    """Three boxes → a date; a date that does not exist stays as text (``31/2/2026``) for the loader to refuse."""
    parts = [p.strip() for p in (day, month, year)]
    if not any(parts):
        return None
    if all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            pass
    return "/".join(parts)


def _time(text: str) -> str:
    """``9.30``, ``930`` or ``9:30`` → ``09:30``; anything else is kept for the loader to explain."""
    match = re.fullmatch(r"(\d{1,2})[:.]?(\d{2})", text.replace(" ", ""))
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text.replace(",", "").lstrip("£"))
        except ValueError:
            pass
    return text  # the loader says it should be a number


def build(spec: FormSpec, raw: Mapping[str, str]) -> Built:
    built = Built()
    for section in spec.sections:
        for item in section.items:
            if isinstance(item, Rows):
                rows: list[tuple[int, Mapping[str, Any], dict[tuple, Any]]] = []
                for row, (_, fixed) in enumerate(item.rows):
                    values = {f.path: convert(f, raw, item.html_name(row, f)) for f in item.fields}
                    if all(v is None or v is False for v in values.values()):
                        continue  # an empty row is not an entry
                    for f in item.fields:
                        built.inputs[(*item.path, len(rows), *f.path)] = item.html_name(row, f)
                    rows.append((row, fixed, values))
                built.lists[item.path] = rows
                if item.flow:
                    built.flow.add(item.path)
                built.inputs.setdefault(item.path, item.html_name(0, item.fields[0]))
            elif item.kind != "file":
                built.values[item.path] = convert(item, raw, item.name)
                built.inputs[item.path] = item.name
                if item.kind == "check":
                    built.checks.add(item.path)
    return built


# ---------------------------------------------------------------- filling a form from a record


def values_of(record: Mapping[str, Any], spec: FormSpec) -> dict[str, str]:
    """A record (or the part of it the form is about) as the form's typed values."""
    values: dict[str, str] = {}
    for section in spec.sections:
        for item in section.items:
            if isinstance(item, Rows):
                entries = _at(record, item.path)
                entries = entries if isinstance(entries, list) else []
                for row, (_, fixed) in enumerate(item.rows):
                    entry = matching(entries, row, fixed)
                    for f in item.fields:
                        values |= _as_text(f, item.html_name(row, f), _at(entry, f.path))
            else:
                values |= _as_text(item, item.name, _at(record, item.path))
    return values


def _at(node: Any, path: Iterable[str]) -> Any:
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def matching(entries: list, row: int, fixed: Mapping[str, Any]) -> Any:
    """The entry a row shows: the one with the row's fixed keys (target 2), or else the row-th."""
    if fixed:
        return next(
            (e for e in entries if isinstance(e, Mapping) and all(e.get(k) == v for k, v in fixed.items())), None
        )
    return entries[row] if row < len(entries) else None


def _as_text(item: Field, name: str, value: Any) -> dict[str, str]:
    if item.kind == "date":
        if isinstance(value, date):
            return {f"{name}-day": str(value.day), f"{name}-month": str(value.month), f"{name}-year": str(value.year)}
        parts = (str(value).split("-")[::-1] if value else ["", "", ""]) + ["", ""]
        return {f"{name}-{part}": text for part, text in zip(DATE_PARTS, parts)}
    if value is None:
        return {name: ""}
    if isinstance(value, list):
        return {name: "\n".join(str(v) for v in value)}
    if isinstance(value, bool):
        return {name: ("yes" if value else "no") if item.kind == "yesno" else ("yes" if value else "")}
    if isinstance(value, float) and value.is_integer():
        return {name: str(int(value))}
    return {name: str(value)}


# ---------------------------------------------------------------- problems beside their fields


def key_of(path: Iterable) -> str:
    """A key path as the loader writes it: list positions counted from 1 (``reviews[3].date``)."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def place(
    problems: Iterable[Problem], file: str, inputs: Mapping[tuple, str], prefix: tuple = ()
) -> tuple[dict[str, list[Problem]], list[Problem]]:
    """Each problem beside the field its key came from; the rest (other keys, other files) for the top."""
    by_key = {key_of(prefix + path): name for path, name in inputs.items()}
    beside: dict[str, list[Problem]] = {}
    general: list[Problem] = []
    for problem in problems:
        match = None
        if problem.file == file:
            candidates = [k for k in by_key if problem.key == k or problem.key.startswith((k + ".", k + "["))]
            match = max(candidates, key=len, default=None)
        if match is None and problem.file == file:
            # A whole group left out ("contacts: is required"): said at the group's first field.
            inside = [k for k in by_key if k.startswith((problem.key + ".", problem.key + "["))] if problem.key else []
            match = inside[0] if inside else None
        if match is None:
            general.append(problem)
        else:
            beside.setdefault(by_key[match], []).append(problem)
    return beside, general
