"""A school folder → typed records, or one DataError naming every problem in every file.

Office staff edit these files by hand, so every message names the file, the key as they wrote it
and what would be right: ``pupils/p07.yaml:14: placement.start_date: '2026-13-01' is not a date
(use YYYY-MM-DD)``. Keys inside lists are numbered as people count, from 1: ``reviews[2].date`` is
the second review (the line number settles any doubt). How the YAML itself is read: yaml_tree.py.
"""

from __future__ import annotations

import difflib
import functools
import re
import stat
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, TypeAdapter, ValidationError

from packgen.errors import DataError, InputError, Problem
from packgen.files import NotReadable, read_regular
from packgen.records.models import Provider, PupilFile, RelativePath, SchoolData, SchoolFile, UnplacedPupilFile
from packgen.records.older import old_placement_ends
from packgen.records.yaml_tree import Tree, key_text, parse

MAX_BYTES = 1_000_000  # records are a few kilobytes; anything bigger is the wrong file
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
LEFT_OUT = "is left out until its provider's record is put right"  # said of a healthy pupil by load_healthy
EXAMPLE_NAME = {"providers": "bridge-learning.yaml", "pupils": "p07.yaml"}

# ---------------------------------------------------------------- explaining validation errors


def _quote(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a set of keys"
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    return f"'{text[:57]}...'" if len(text) > 60 else f"'{text}'"


def _bare(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``Optional[...]``; a real union is returned as it is."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(arms) > 1:
                return annotation
            annotation = arms[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """The keys a record takes, as written in YAML (aliases such as ``from``), to their full types."""
    return {(info.alias or name): info.rebuild_annotation() for name, info in model.model_fields.items()}


def _locate(model: type[BaseModel], loc: tuple) -> tuple[tuple, Any, type[BaseModel]]:
    """Follow pydantic's error location through the types: the key path as written, the type expected
    there, and the record holding its last key. Pydantic also names the arm of a union it tried
    (``bool``, ``literal[...]``); that is not a key, so it is dropped."""
    path: list = []
    annotation: Any = model
    owner = model
    for part in loc:
        annotation = _bare(annotation)
        if _is_union(annotation):
            continue
        path.append(part)
        if _is_model(annotation):
            owner = annotation
            annotation = _fields(annotation).get(part)
        elif typing.get_origin(annotation) in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            annotation = None
    return tuple(path), annotation, owner


_TYPE_NAMES = {int: "a whole number", float: "a number", str: "text", date: "a date (YYYY-MM-DD)"}


def _choices(annotation: Any) -> list[str]:
    """What a value may be, in words, one alternative each."""
    annotation = _bare(annotation)
    if annotation is bool:
        return ["true", "false"]
    if typing.get_origin(annotation) is Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if _is_union(annotation):
        return [c for arm in typing.get_args(annotation) if arm is not type(None) for c in _choices(arm)]
    if _is_model(annotation) or typing.get_origin(annotation) is dict:
        return ["a set of keys"]
    if typing.get_origin(annotation) is list:
        return ["a list"]
    return [_TYPE_NAMES.get(annotation, "something else")]


def _expected(annotation: Any) -> str:
    choices = _choices(annotation)
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _wrong_type(value: Any, annotation: Any) -> str:
    expected = _expected(annotation)
    if value is None:
        return f"is empty (it should be {expected})"
    if isinstance(value, (list, dict)):
        return f"should be {expected}, not {_quote(value)}"
    hint = " (put it in quotes)" if expected == "text" and isinstance(value, (int, float)) else ""
    return f"{_quote(value)} should be {expected}{hint}"


def _suggest(wanted: str, known: list[str], listing: str) -> str:
    close = difflib.get_close_matches(wanted, known, n=1)
    return f"did you mean '{close[0]}'?" if close else f"{listing}: {', '.join(known)}"


_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}
_PATTERNS = {r"^\d{6,7}$": "6 or 7 digits", r"^1\d{7}$": "8 digits starting with 1"}


def _message(error: dict, annotation: Any, owner: type[BaseModel]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known = list(_fields(owner))
        return f"is not a known key ({_suggest(str(error['loc'][-1]).lower(), known, 'the keys here are')})"
    if kind == "literal_error":
        return f"{_quote(value)} is not one of: {', '.join(_choices(annotation))}"
    if kind == "value_error":
        said = str(ctx.get("error", ""))
        return said if said.startswith("'") else f"{_quote(value)} {said}"
    if kind == "string_too_short":
        return "is empty"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        limit = ctx[bound]
        return f"{_quote(value)} should be {words} {format(limit, 'g') if isinstance(limit, float) else limit}"
    if kind == "string_pattern_mismatch":
        return f"{_quote(value)} is not in the right form ({_PATTERNS.get(ctx.get('pattern'), 'check it')})"
    return _wrong_type(value, annotation)


def _explain(model: type[BaseModel], errors: Sequence[Mapping[str, Any]], tree: Tree) -> Iterator[Problem]:
    """One problem per key path; several errors at one path are the arms of a union, said as one."""
    by_path: dict[tuple, list] = defaultdict(list)
    for error in errors:
        path, annotation, owner = _locate(model, error["loc"])
        by_path[path].append((error, annotation, owner))
    for path, found in by_path.items():
        error, annotation, owner = found[0]
        message = _message(error, annotation, owner) if len(found) == 1 else _wrong_type(error.get("input"), annotation)
        yield Problem(tree.file, key_text(path), message, _line(tree.lines, path))


def _line(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of a key, or of the nearest enclosing key when it is missing."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


# ---------------------------------------------------------------- one record file


@dataclass
class _Record:
    """One record file once read: the lines of its keys, the model if it is valid, and ``view``: the model,
    or for a record with mistakes as much of it as is valid, with None wherever something is wrong, so
    the checks still run on the rest (None reads as "unknown": a check that needs it is skipped)."""

    file: str
    lines: dict[tuple, int]
    model: BaseModel | None = None
    view: Any = None

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(self.file, key_text(path), message, _line(self.lines, path))


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    """Validates one field alone as its model would, config included (stripping spaces from text);
    a field that is itself a model brings its own config."""
    annotation = model.model_fields[name].rebuild_annotation()
    return TypeAdapter(annotation, config=None if _is_model(_bare(annotation)) else model.model_config)


def _partial(model: type[BaseModel], data: dict, errors: list[tuple]) -> BaseModel:
    """``model`` built from ``data`` with each field that has an error (pydantic ``loc``, relative to ``data``)
    left None; the rest validated as usual."""
    if not errors:
        return model.model_validate(data)
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        inside = [loc[1:] for loc in errors if loc[:1] == (key,)]
        if inside:
            values[name] = _partial_value(info.rebuild_annotation(), data.get(key), inside)
        elif key in data:
            values[name] = _field_adapter(model, name).validate_python(data[key])
        else:
            values[name] = info.get_default(call_default_factory=True)
    return model.model_construct(**values)


def _partial_value(annotation: Any, value: Any, errors: list[tuple]) -> Any:
    annotation = _bare(annotation)
    if () in errors:
        return None
    if _is_model(annotation) and isinstance(value, dict):
        return _partial(annotation, value, errors)
    if typing.get_origin(annotation) is list and isinstance(value, list):
        item = _bare(typing.get_args(annotation)[0])
        if _is_model(item):
            return [
                _partial(item, v, [loc[1:] for loc in errors if loc[:1] == (i,)]) if isinstance(v, dict) else None
                for i, v in enumerate(value)
            ]
    return None


def _real_file(root: Path, relative: str) -> tuple[Path | None, str | None]:
    """The real path of an ordinary file inside the school folder, or why ``relative`` is not one."""
    try:
        resolved = (root / relative).resolve(strict=True)
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        return None, "does not exist in the school folder"
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        return None, f"cannot be opened ({getattr(exc, 'strerror', None) or exc})"
    if not resolved.is_relative_to(root):
        return None, "leads outside the school folder (it is a link): put the file itself in the folder"
    if stat.S_ISDIR(mode):
        return None, "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return None, "is not an ordinary file"
    return resolved, None


def _read(root: Path, relative: str) -> str | Problem:
    """The record's text, or the problem that keeps it from being read."""
    path, problem = _real_file(root, relative)
    if path is None:
        return Problem(relative, "", problem or "cannot be opened")
    try:
        data = read_regular(
            path,
            MAX_BYTES,
            lambda size: f"is over {MAX_BYTES // 1_000_000} MB, far bigger than a record: is it the right file?",
        )
    except NotReadable as exc:
        return Problem(relative, "", exc.reason)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(
            relative,
            "",
            f"is not saved as UTF-8 text (byte 0x{data[exc.start]:02X} cannot be read): save it again as UTF-8",
            line,
        )


def read_record(root: Path, relative: str, model: type[BaseModel]) -> tuple[_Record, list[Problem]]:
    """One record file read and checked on its own: everything but whether its evidence files are there
    (``evidence_problems``), which depends on other files."""
    text = _read(root, relative)
    if isinstance(text, Problem):
        return _Record(relative, {}), [text]
    return _record_from_text(relative, text, model)


def pupil_text_problems(root: Path, relative: str, text: str) -> list[Problem]:
    """What ``packgen check`` would say of a pupil record holding ``text``, before it is written."""
    record, problems = _record_from_text(relative, text, PupilFile)
    return problems + evidence_problems(Path(root).resolve(), record)


def _record_from_text(relative: str, text: str, model: type[BaseModel]) -> tuple[_Record, list[Problem]]:
    tree = parse(text, relative)
    problems = list(tree.problems)
    record = _Record(relative, tree.lines)
    if not tree.usable:
        return record, problems
    if not isinstance(tree.data, dict):
        found = "nothing" if tree.data is None else "a list" if isinstance(tree.data, list) else "a single value"
        required = [f"'{info.alias or name}:'" for name, info in model.model_fields.items() if info.is_required()]
        problems.append(
            Problem(
                relative,
                "",
                f"should hold keys such as {' and '.join(required[:2])}, but holds {found}",
                tree.lines.get(()),
            )
        )
        return record, problems
    if model is PupilFile and "placement" not in tree.data and not set(tree.data) - {"pupil"}:
        # Made by an import, its placement to be written later (a readiness finding). With mistakes in it,
        # it is judged as any pupil record, so the missing placement is said along with them.
        try:
            record.model = record.view = UnplacedPupilFile.model_validate(tree.data)
            return record, problems
        except ValidationError:
            pass
    if model is PupilFile:
        problems += old_placement_ends(tree)
    try:
        record.model = record.view = model.model_validate(tree.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems += _explain(model, errors, tree)
        record.view = _partial(model, tree.data, [e["loc"] for e in errors])
    problems += _CHECKS[model](record)
    return record, problems


# ---------------------------------------------------------------- checks within one record


@functools.cache
def _evidence_fields(model: type[BaseModel]) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, key, is the path itself) for each field that is, or may hold, an evidence path:
    wherever a model declares a RelativePath, found once per model so the walk skips everything else."""

    def may_hold(annotation: Any) -> bool:
        annotation = _bare(annotation)
        if _is_model(annotation):
            return bool(_evidence_fields(annotation))
        return any(may_hold(arg) for arg in typing.get_args(annotation))

    found = []
    for name, info in model.model_fields.items():
        annotation = info.rebuild_annotation()
        if RelativePath in (annotation, *typing.get_args(annotation)):
            found.append((name, info.alias or name, True))
        elif may_hold(annotation):
            found.append((name, info.alias or name, False))
    return tuple(found)


def _evidence_paths(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _evidence_paths(item, path + (index,))
    elif isinstance(value, BaseModel):
        for name, key, is_path in _evidence_fields(type(value)):
            inner = getattr(value, name)
            if is_path and inner is not None:
                yield path + (key,), inner
            elif not is_path:
                yield from _evidence_paths(inner, path + (key,))


def evidence_paths(record: _Record) -> list[tuple[tuple, str]]:
    """(key path, file) of every evidence file the record names."""
    return list(_evidence_paths(record.view, ()))


def evidence_problems(root: Path, record: _Record, paths: list[tuple[tuple, str]] | None = None) -> list[Problem]:
    """A problem for each evidence file the record names (``paths``: see evidence_paths) that is not there."""
    problems = []
    for path, relative in evidence_paths(record) if paths is None else paths:
        # Only where the path leads: whether the file is a readable PDF is packgen.evidence's question,
        # because a build may go on without an unreadable scan (--skip-bad-evidence).
        _, problem = _real_file(root, relative)
        if problem:
            problems.append(record.problem(path, f"{_quote(relative)} {problem}"))
    return problems


def _each(items: list | None) -> list[tuple[int, Any]]:
    """The position and value of each list item known to be valid (see _Record.view)."""
    return [(i, item) for i, item in enumerate(items or []) if item is not None]


def _in_order(
    record: _Record,
    earlier: tuple[tuple, Any],
    later: tuple[tuple, Any],
    *,
    strictly: bool = False,
    blame_later: bool = True,
) -> Iterator[Problem]:
    """A problem when two dates (or times) come the wrong way round; ``strictly`` forbids them being equal."""
    (first_path, first), (second_path, second) = earlier, later
    if first is None or second is None or second > first or (second == first and not strictly):
        return
    if blame_later:
        words = "is on or before" if second == first else "is before"
        yield record.problem(second_path, f"{_quote(second)} {words} {key_text(first_path)} ({first})")
    else:
        words = "is on or after" if second == first else "is after"
        yield record.problem(first_path, f"{_quote(first)} {words} {key_text(second_path)} ({second})")


def _school_checks(record: _Record) -> Iterator[Problem]:
    pack = record.view.pack
    for i, term in _each(pack and pack.term_dates):
        yield from _in_order(
            record, (("pack", "term_dates", i, "starts"), term.starts), (("pack", "term_dates", i, "ends"), term.ends)
        )


def _provider_checks(record: _Record) -> Iterator[Problem]:
    if assurance := record.view.assurance:
        yield from _in_order(
            record,
            (("assurance", "requested_on"), assurance.requested_on),
            (("assurance", "received_on"), assurance.received_on),
        )


def _pupil_checks(record: _Record) -> Iterator[Problem]:
    pupil, placement = record.view.pupil, record.view.placement
    if pupil and placement:
        yield from _in_order(
            record,
            (("pupil", "dob"), pupil.dob),
            (("placement", "start_date"), placement.start_date),
            strictly=True,
            blame_later=False,
        )
    if (
        pupil
        and placement
        and None not in (pupil.dob, pupil.year_group, placement.start_date)
        and pupil.dob < placement.start_date
    ):  # a birth after the start is reported already
        yield from _year_group_check(record, pupil.dob, pupil.year_group, placement.start_date)
    if placement:
        yield from _placement_checks(record, placement)
    for i, review in _each(record.view.reviews):
        yield from _in_order(
            record,
            (("reviews", i, "date"), review.date),
            (("reviews", i, "next_review"), review.next_review),
            strictly=True,
        )
    for i, period in _each(record.view.attendance):
        yield from _in_order(record, (("attendance", i, "from"), period.start), (("attendance", i, "to"), period.end))
        if (
            None not in (period.attended_sessions, period.possible_sessions)
            and period.attended_sessions > period.possible_sessions
        ):
            possible = key_text(("attendance", i, "possible_sessions"))
            yield record.problem(
                ("attendance", i, "attended_sessions"),
                f"{_quote(period.attended_sessions)} is more than {possible} ({period.possible_sessions})",
            )
    if placement and placement.targets is not None:
        count = len(placement.targets)
        have = f"placement.targets has {count}: number them 1 to {count}" if count else "placement.targets is empty"
        for section in ("reviews", "visits"):
            for i, entry in _each(getattr(record.view, section)):
                for j, progress in _each(entry.progress):
                    if progress.target is not None and progress.target > count:
                        yield record.problem(
                            (section, i, "progress", j, "target"),
                            f"{_quote(progress.target)} is not a target number ({have})",
                        )


def _year_group_check(record: _Record, dob: date, year_group: int, start: date) -> Iterator[Problem]:
    """A year group more than one away from the date of birth is almost surely a typing mistake. English
    year groups run September to August: Year N is the year a child turns N + 5 by 31 August."""
    school_year = start.year if start.month >= 9 else start.year - 1
    born_year = dob.year if dob.month >= 9 else dob.year - 1
    expected = school_year - born_year - 5
    if abs(year_group - expected) > 1:
        yield record.problem(
            ("pupil", "year_group"),
            f"'{year_group}' does not fit the date of birth "
            f"({dob.isoformat()}): a pupil born then is in Year {expected} when the placement starts",
        )


def _session_times(pupils: list[_Record], school: _Record) -> Iterator[Problem]:
    """A session far outside the school day (an hour either side) is almost surely a mistyped time."""
    day = school.view and school.view.pack and school.view.pack.school_day
    if not day or not day.starts or not day.ends:
        return
    minutes = lambda t: int(t[:2]) * 60 + int(t[3:])  # noqa: E731
    earliest, latest = minutes(day.starts) - 60, minutes(day.ends) + 60
    for record in pupils:
        placement = record.view and record.view.placement
        for i, session in _each(placement and placement.sessions):
            for key, value in (("from", session.start), ("to", session.end)):
                if value and not earliest <= minutes(value) <= latest:
                    yield record.problem(
                        ("placement", "sessions", i, key),
                        f"'{value}' is outside the school day "
                        f"({day.starts} to {day.ends}, give or take an hour): check the time",
                    )


def _placement_checks(record: _Record, placement: Any) -> Iterator[Problem]:
    at = ("placement",)
    yield from _in_order(
        record, (at + ("start_date",), placement.start_date), (at + ("target_end_date",), placement.target_end_date)
    )
    yield from _in_order(
        record,
        (at + ("agreed_at_meeting",), placement.agreed_at_meeting),
        (at + ("start_date",), placement.start_date),
        blame_later=False,
    )
    if ended := placement.ended:
        yield from _in_order(
            record, (at + ("start_date",), placement.start_date), (at + ("ended", "ended_on"), ended.ended_on)
        )
    if direction := placement.off_site_direction:
        yield from _in_order(
            record,
            (at + ("off_site_direction", "directed_on"), direction.directed_on),
            (at + ("off_site_direction", "ends_on"), direction.ends_on),
        )
    if plan := placement.part_time_plan:
        yield from _in_order(
            record,
            (at + ("part_time_plan", "review_on"), plan.review_on),
            (at + ("part_time_plan", "ends_on"), plan.ends_on),
        )
    sessions = _each(placement.sessions)
    wrong_way = [
        problem
        for i, session in sessions
        for problem in _in_order(
            record,
            (at + ("sessions", i, "from"), session.start),
            (at + ("sessions", i, "to"), session.end),
            strictly=True,
        )
    ]
    yield from wrong_way
    known = (
        sessions
        and len(sessions) == len(placement.sessions)
        and not wrong_way
        and placement.hours_per_week is not None
        and all(s.start and s.end for _, s in sessions)
    )
    if known:
        total = sum(session.hours for _, session in sessions)
        if abs(total - placement.hours_per_week) > 0.5:
            yield record.problem(
                at + ("hours_per_week",),
                f"{_quote(f'{placement.hours_per_week:g}')} does not "
                f"match the sessions, which add up to {total:.4g} hours a week",
            )


_CHECKS = {SchoolFile: _school_checks, Provider: _provider_checks, PupilFile: _pupil_checks}

# ---------------------------------------------------------------- the folder


def _record_files(root: Path, folder: str, problems: list[Problem]) -> list[tuple[str, str]]:
    """(id, relative path) of each record in ``folder``. Other files (README.txt, .DS_Store, Office's ~$
    locks) are left alone, except .yml, which is surely a record saved under the wrong name."""
    directory = root / folder
    if not directory.is_dir():
        problems.append(
            Problem(
                f"{folder}/",
                "",
                f"is missing: make a {folder} folder holding one file per "
                f"{folder[:-1]}, like {folder}/{EXAMPLE_NAME[folder]}",
            )
        )
        return []
    found = []
    for path in sorted(directory.iterdir()):
        stem, _, extension = path.name.rpartition(".")
        if path.name.startswith((".", "~")) or extension.lower() not in ("yaml", "yml"):
            continue
        relative = f"{folder}/{path.name}"
        wrong = []
        if extension != "yaml":
            wrong.append(f"it should end in .yaml, not .{extension}")
        if not SLUG.fullmatch(stem):
            wrong.append("the name should use only lowercase letters, digits and hyphens")
        if wrong:
            problems.append(
                Problem(relative, "", f"is not a usable record name: {'; '.join(wrong)} (like {EXAMPLE_NAME[folder]})")
            )
        found.append((stem, relative))
    if not found:
        problems.append(
            Problem(
                f"{folder}/",
                "",
                f"has no records: add one file per {folder[:-1]}, like {folder}/{EXAMPLE_NAME[folder]}",
            )
        )
    return found


def _provider_references(pupils: list[_Record], provider_ids: list[str]) -> Iterator[Problem]:
    for record in pupils:
        view = record.view
        placements = [(("placement",), view and view.placement)] + [
            (("past_placements", i), past) for i, past in _each(view and view.past_placements)
        ]
        for at, placement in placements:
            if placement and placement.provider is not None and placement.provider not in provider_ids:
                hint = (
                    _suggest(placement.provider, provider_ids, "the providers are")
                    if provider_ids
                    else "there are none"
                )
                yield record.problem(
                    at + ("provider",),
                    f"{_quote(placement.provider)} has no file providers/{placement.provider}.yaml ({hint})",
                )


def _shared_upns(pupils: list[_Record]) -> Iterator[Problem]:
    holders: dict[str, list[_Record]] = defaultdict(list)
    for record in pupils:
        pupil = record.view and record.view.pupil
        if pupil and pupil.upn is not None:
            holders[pupil.upn].append(record)
    for upn, records in holders.items():
        for record in records if len(records) > 1 else []:
            others = ", ".join(r.file for r in records if r is not record)
            yield record.problem(
                ("pupil", "upn"), f"{_quote(upn)} is also the UPN in {others}: each pupil has their own"
            )


def _fresh(root: Path, relative: str, model: type[BaseModel]) -> tuple[_Record, list[Problem]]:
    record, problems = read_record(root, relative, model)
    return record, problems + evidence_problems(root, record)


# How a record file is had: read now, or kept from before (school_cache.py). Its problems include its evidence's.
RecordSource = Callable[[Path, str, type[BaseModel]], tuple[_Record, list[Problem]]]


def _load_all(folder: Path, source: RecordSource = _fresh) -> tuple[Path, _Record, list, list, list[Problem]]:
    root = Path(folder).resolve()
    if not root.is_dir():
        raise InputError(f"{folder} is not a folder: give a school's data folder, such as data/brookfield-academy")
    problems: list[Problem] = []

    def load(relative: str, model: type[BaseModel]) -> _Record:
        record, found = source(root, relative, model)
        problems.extend(found)
        return record

    school = load("school.yaml", SchoolFile)
    # Lists, not dicts: p01.yaml and p01.yml share an id, and both must be checked.
    providers = [(i, load(f, Provider)) for i, f in _record_files(root, "providers", problems)]
    pupils = [(i, load(f, PupilFile)) for i, f in _record_files(root, "pupils", problems)]
    placed = [(i, r) for i, r in pupils if not isinstance(r.model, UnplacedPupilFile)]
    problems += _provider_references([r for _, r in placed], sorted({i for i, _ in providers}))
    problems += _shared_upns([r for _, r in pupils])
    problems += _session_times([r for _, r in placed], school)
    return root, school, providers, pupils, problems


def load_school(folder: Path) -> SchoolData:
    """Read and check a school folder; raise DataError listing every problem in every file at once."""
    return school_from(folder, _fresh)


def school_from(folder: Path, source: RecordSource) -> SchoolData:
    """The school in ``folder`` from its records as ``source`` has them; DataError listing every problem."""
    root, school, providers, pupils, problems = _load_all(folder, source)
    if problems:
        raise DataError(problems)
    placed = [(i, r) for i, r in pupils if not isinstance(r.model, UnplacedPupilFile)]
    return SchoolData(
        slug=root.name,
        folder=str(root),
        school=typing.cast(SchoolFile, school.model),
        providers={i: r.model for i, r in sorted(providers, key=lambda p: p[0])},
        pupils={i: r.model for i, r in sorted(placed, key=lambda p: p[0])},
        unplaced={i: r.model for i, r in sorted(pupils, key=lambda p: p[0]) if isinstance(r.model, UnplacedPupilFile)},
    )


def load_healthy(folder: Path, source: RecordSource = _fresh) -> tuple[SchoolData | None, list[Problem]]:
    """Every record without a problem, and the problems of the rest: one broken file must not hide the
    others from the people who keep them. None when school.yaml itself has a problem. A pupil placed
    with a provider whose record has a problem is left out too (its page would name no provider)."""
    root, school, providers, pupils, problems = _load_all(folder, source)
    broken = {p.file for p in problems}
    if school.model is None or "school.yaml" in broken:
        return None, problems
    healthy = {i: r.model for i, r in providers if r.model is not None and r.file not in broken}
    kept = {i: r.model for i, r in pupils if r.model is not None and r.file not in broken}
    unplaced = {i: m for i, m in kept.items() if isinstance(m, UnplacedPupilFile)}
    placed = {i: m for i, m in kept.items() if i not in unplaced}
    for pid, record in list(placed.items()):
        if record.placement.provider not in healthy:
            del placed[pid]
            problems.append(Problem(f"pupils/{pid}.yaml", "", LEFT_OUT))
    return SchoolData(
        slug=root.name,
        folder=str(root),
        school=typing.cast(SchoolFile, school.model),
        providers=dict(sorted(healthy.items())),
        pupils=dict(sorted(placed.items())),
        unplaced=dict(sorted(unplaced.items())),
    ), problems
