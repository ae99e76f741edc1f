"""The four forms (add a pupil, add a review, add a visit, edit a placement), declared as data.

Each field says where its value goes in the record (a key path as written in YAML). The forms do no
validation of their own: a value is turned into the YAML it would be if typed by hand (a number stays
a number, ``2026-13-01`` stays text) and the loader that ``packgen check`` uses judges the record.
Each problem it reports is then put beside the field its key path came from.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from packgen.errors import Problem
from packgen.records.models import Placement, Review, TargetProgress

Kind = Literal["text", "long", "date", "number", "choice", "check", "yesno", "lines", "sessions"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    path: tuple[str, ...]
    kind: Kind = "text"
    choices: tuple[tuple[str, str], ...] = ()  # (code as the record writes it, words the page shows)
    hint: str = ""
    required: bool = False  # shown to the user; the loader is what enforces it


@dataclass(frozen=True)
class Rows:
    """A repeated group: each filled row becomes one entry of the list at ``path``."""

    name: str
    noun: str  # what one row is about, to name its inputs in the list of problems: "Target 2, evidence"
    path: tuple[str, ...]
    fields: tuple[Field, ...]
    rows: tuple[tuple[str, Mapping[str, Any]], ...]  # each row's heading and the fixed keys it writes

    def html_name(self, row: int, item: Field) -> str:
        return f"{self.name}-{row + 1}-{item.name}"


@dataclass(frozen=True)
class Section:
    legend: str
    items: tuple[Field | Rows, ...]


@dataclass(frozen=True)
class FormSpec:
    title: str
    sections: tuple[Section, ...]

    def fields(self) -> Iterable[tuple[str, Field]]:
        """Every input as (HTML name, field)."""
        for section in self.sections:
            for item in section.items:
                if isinstance(item, Rows):
                    for row in range(len(item.rows)):
                        yield from ((item.html_name(row, f), f) for f in item.fields)
                else:
                    yield item.name, item

    def labels(self) -> dict[str, str]:
        """Each input's name as the list of problems at the top of the form says it."""
        found = {}
        for section in self.sections:
            for item in section.items:
                if isinstance(item, Rows):
                    for row in range(len(item.rows)):
                        found |= {item.html_name(row, f): f"{item.noun} {row + 1}, {f.label.lower()}"
                                  for f in item.fields}
                else:
                    found[item.name] = item.label
        return found


@dataclass
class Built:
    """A form's values as record data, and which form input each written key path came from."""

    values: dict[tuple, Any] = field(default_factory=dict)  # key path → value (None: remove the key)
    lists: dict[tuple, list[dict[tuple, Any]]] = field(default_factory=dict)  # list path → rows
    inputs: dict[tuple, str] = field(default_factory=dict)  # key path → HTML name


def choices_of(model: type, key: str, words: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The codes a Literal field accepts, straight from the model so the form cannot drift from it,
    each with the words labels.yaml gives it."""
    annotation = model.model_fields[key].annotation
    for arm in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arm) is Literal:
            return tuple((str(v), words.get(str(v), str(v))) for v in typing.get_args(arm))
    raise ValueError(f"{model.__name__}.{key} is not a choice")


DATE_HINT = "YYYY-MM-DD, for example 2026-09-07"
LINES_HINT = "One per line."

# ---------------------------------------------------------------- reading what was typed


def raw_values(spec: FormSpec, form: Mapping[str, str]) -> dict[str, str]:
    """What the user typed, by input name: kept as typed to show the form again."""
    return {name: form.get(name, "") for name, _ in spec.fields()}


def convert(item: Field, raw: str) -> Any:
    """Typed text → the YAML value it would be by hand; ``None`` when left empty."""
    text = raw.replace("\r\n", "\n").strip()
    if item.kind == "check":
        return bool(text)
    if not text:
        return None
    if item.kind == "date":
        try:
            return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text
        except ValueError:
            return text
    if item.kind == "number":
        return _number(text)
    if item.kind == "yesno":
        return {"yes": True, "no": False}.get(text, text)
    if item.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    if item.kind == "sessions":
        return [_session(line) for line in text.splitlines() if line.strip()] or None
    if item.kind == "long":
        return "\n".join(line.rstrip() for line in text.splitlines())
    return " ".join(text.split()) if item.kind == "text" else text


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text  # the loader says it should be a number


SESSION = re.compile(r"(\S+)\s+(\S+?)\s*(?:-|–|to)\s*(\S+)")


def _session(line: str) -> dict[str, str]:
    """``Mon 09:30-14:30`` → a session; a line in another shape is kept whole for the loader to explain."""
    match = SESSION.fullmatch(line.strip())
    if not match:
        return {"day": line.strip()}
    day, start, end = match.groups()
    return {"day": day[:1].upper() + day[1:3].lower(), "from": start, "to": end}


def sessions_text(sessions: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{s.get('day', '')} {s.get('from', '')}-{s.get('to', '')}" for s in sessions)


def build(spec: FormSpec, raw: Mapping[str, str]) -> Built:
    built = Built()
    for section in spec.sections:
        for item in section.items:
            if isinstance(item, Rows):
                rows = []
                for row, (_, fixed) in enumerate(item.rows):
                    values = {f.path: convert(f, raw.get(item.html_name(row, f), "")) for f in item.fields}
                    if all(v is None or v is False for v in values.values()):
                        continue  # an empty row is not an entry
                    for f in item.fields:
                        built.inputs[item.path + (len(rows),) + f.path] = item.html_name(row, f)
                    rows.append({(k,): v for k, v in fixed.items()} | values)
                built.lists[item.path] = rows
                built.inputs.setdefault(item.path, item.html_name(0, item.fields[0]))
            else:
                built.values[item.path] = convert(item, raw.get(item.name, ""))
                built.inputs[item.path] = item.name
    return built


# ---------------------------------------------------------------- problems beside their fields


def key_of(path: Iterable) -> str:
    """A key path as the loader writes it: list positions counted from 1 (``reviews[3].date``)."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def place(problems: Iterable[Problem], file: str, inputs: Mapping[tuple, str],
          prefix: tuple = ()) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem beside the input its key came from; the rest (other keys, other files) for the top."""
    by_key = {key_of(prefix + path): name for path, name in inputs.items()}
    beside: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        match = None
        if problem.file == file:
            candidates = [k for k in by_key if problem.key == k or problem.key.startswith((k + ".", k + "["))]
            match = max(candidates, key=len, default=None)
        if match is None:
            general.append(str(Problem(problem.file, problem.key, problem.message)))
            continue
        rest = problem.key[len(match):]
        said = f"{_readable(rest)}: {problem.message}" if rest else problem.message
        beside.setdefault(by_key[match], []).append(said)
    return beside, general


def _readable(rest: str) -> str:
    """``[2].from`` → ``line 2, from``: what is left of a key inside a field that holds a list."""
    words = re.sub(r"\[(\d+)\]", r" line \1,", rest).replace(".", " ").strip(" ,")
    return " ".join(words.split())


# ---------------------------------------------------------------- the forms

Words = Mapping[str, str]  # labels.yaml's words for the records' codes
SESSIONS_HINT = "One session per line: day, start and end, for example Mon 09:30-14:30."
YES_NO = (("yes", "Yes"), ("no", "No"))


def _progress(targets: Iterable[str], words: Words) -> Rows:
    return Rows("progress", "Target", ("progress",), (
        Field("rating", "Progress", ("rating",), "choice", choices_of(TargetProgress, "rating", words)),
        Field("evidence", "Evidence", ("evidence",), "long"),
    ), tuple((f"Target {n}: {text}", {"target": n}) for n, text in enumerate(targets, start=1)))


def _placement_fields(providers: Mapping[str, str], words: Words) -> tuple[Field, ...]:
    return (
        Field("provider", "Provider", ("provider",), "choice", tuple(providers.items()), required=True),
        Field("arranged_by", "Arranged by", ("arranged_by",), "choice",
              choices_of(Placement, "arranged_by", words), required=True),
        Field("category", "Category", ("category",), "choice", choices_of(Placement, "category", words),
              required=True),
        Field("start_date", "Start date", ("start_date",), "date", hint=DATE_HINT, required=True),
        Field("target_end_date", "Target end date", ("target_end_date",), "date", hint=DATE_HINT),
        Field("hours_per_week", "Hours a week", ("hours_per_week",), "number", required=True,
              hint="Under 18 hours is part time and needs a part-time plan."),
        Field("attendance_code", "Attendance code", ("attendance_code",), "choice",
              choices_of(Placement, "attendance_code", words)),
    )


def pupil_form(providers: Mapping[str, str], words: Words) -> FormSpec:
    """A new pupil: what the loader requires, and the placement's essentials; the rest can follow."""
    placement = tuple(Field(f.name, f.label, ("placement",) + f.path, f.kind, f.choices, f.hint, f.required)
                      for f in _placement_fields(providers, words))
    return FormSpec("Add a pupil", (
        Section("Pupil", (
            Field("pupil_id", "Record id", ("id",), hint="The file name, such as p19: lowercase letters, digits "
                  "and hyphens. Never the pupil's name.", required=True),
            Field("upn", "UPN", ("pupil", "upn"), hint="13 characters, for example B801200005001.", required=True),
            Field("legal_forename", "Legal forename", ("pupil", "legal_forename"), required=True),
            Field("legal_surname", "Legal surname", ("pupil", "legal_surname"), required=True),
            Field("preferred_name", "Preferred name", ("pupil", "preferred_name")),
            Field("dob", "Date of birth", ("pupil", "dob"), "date", hint=DATE_HINT, required=True),
            Field("year_group", "Year group", ("pupil", "year_group"), "number", required=True),
            Field("gender", "Gender", ("pupil", "gender"), required=True),
            Field("ethnicity", "Ethnicity", ("pupil", "ethnicity")),
        )),
        Section("Flags", tuple(
            Field(key, label, ("pupil", "flags", key), "check") for key, label in (
                ("lac", "Looked after (LAC)"), ("ehcp", "EHCP"), ("sen_support", "SEN support"),
                ("cp", "Child protection plan"), ("cin", "Child in need"), ("eha", "Early help (EHA)"))
        )),
        Section("Placement", placement),
    ))


def placement_form(providers: Mapping[str, str], words: Words) -> FormSpec:
    return FormSpec("Edit the placement", (
        Section("Placement", _placement_fields(providers, words) + (
            Field("agreed_at_meeting", "Agreed at the meeting on", ("agreed_at_meeting",), "date", hint=DATE_HINT),
            Field("sessions", "Sessions", ("sessions",), "sessions", hint=SESSIONS_HINT),
            Field("transport", "Transport", ("transport",)),
            Field("la_notified_on", "Local authority told on", ("la_notified_on",), "date", hint=DATE_HINT),
        )),
        Section("Plan", (
            Field("purpose", "Purpose", ("purpose",), "long"),
            Field("desired_outcome", "Desired outcome", ("desired_outcome",), "long"),
            Field("why_ap", "Why alternative provision", ("why_ap",), "long"),
            Field("why_this_provider", "Why this provider", ("why_this_provider",), "long"),
            Field("reintegration", "Reintegration or exit plan", ("reintegration",), "long"),
        )),
        Section("Part-time plan", (
            Field("part_time_reason", "Reason", ("part_time_plan", "reason"), "long"),
            Field("part_time_review_on", "Review on", ("part_time_plan", "review_on"), "date", hint=DATE_HINT),
            Field("part_time_ends_on", "Ends on", ("part_time_plan", "ends_on"), "date", hint=DATE_HINT),
        )),
        Section("Commissioning agreement", (
            Field("agreement_signed_on", "Signed on", ("agreement", "signed_on"), "date", hint=DATE_HINT),
            Field("agreement_signed_by_provider", "Signed for the provider by", ("agreement", "signed_by_provider")),
            Field("agreement_signed_by_school", "Signed for the school by", ("agreement", "signed_by_school")),
        )),
    ))


def review_form(targets: Iterable[str], words: Words) -> FormSpec:
    return FormSpec("Add a review", (
        Section("Review", (
            Field("date", "Date", ("date",), "date", hint=DATE_HINT, required=True),
            Field("attendees", "Attendees", ("attendees",), "lines", hint=LINES_HINT),
            Field("attendance_percent", "Attendance since the last review (%)", ("attendance_percent",), "number"),
        )),
        Section("Progress", (_progress(targets, words),)),
        Section("Voice and decision", (
            Field("pupil_voice", "Pupil voice", ("pupil_voice",), "long"),
            Field("parent_voice", "Parent or carer voice", ("parent_voice",), "long"),
            Field("decision", "Decision", ("decision",), "choice", choices_of(Review, "decision", words),
                  required=True),
            Field("decision_notes", "Decision notes", ("decision_notes",), "long"),
            Field("next_review", "Next review", ("next_review",), "date", hint=DATE_HINT),
        )),
    ))


def visit_form(targets: Iterable[str], words: Words) -> FormSpec:
    return FormSpec("Add a visit", (
        Section("Visit", (
            Field("date", "Date", ("date",), "date", hint=DATE_HINT, required=True),
            Field("duration_minutes", "Duration (minutes)", ("duration_minutes",), "number"),
            Field("by", "Visited by", ("by",), required=True),
            Field("purpose", "Purpose", ("purpose",), required=True),
        )),
        Section("Risks", (
            Rows("risks", "Risk", ("risks",), (
                Field("risk", "Risk", ("risk",), "long"),
                Field("mitigation", "Mitigation", ("mitigation",), "long"),
            ), tuple((f"Risk {n}", {}) for n in (1, 2, 3))),
        )),
        Section("Progress", (_progress(targets, words),)),
        Section("Outcome", (
            Field("outcome", "Outcome", ("outcome",), "long"),
            Field("concerns", "There were concerns", ("concerns",), "check"),
            Field("concern_details", "Concern details", ("concern_details",), "long"),
            Field("safeguarding_procedure_followed", "Safeguarding procedure followed",
                  ("safeguarding_procedure_followed",), "yesno", YES_NO),
        )),
    ))
