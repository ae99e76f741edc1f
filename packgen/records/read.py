"""A school folder → typed records, or one DataError naming every problem in every file.

Office staff edit these files by hand, so every message names the file, the key as they wrote it
and what would be right: ``pupils/p07.yaml:14: placement.start_date: '2026-13-01' is not a date
(use YYYY-MM-DD)``. Keys inside lists are numbered as people count, from 1: ``reviews[2].date`` is
the second review (the line number settles any doubt). How the YAML itself is read: yaml_tree.py;
one record file: record_file.py; the words for a validation error: explain.py.
"""

from __future__ import annotations

import os
import re
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel

from packgen.errors import DataError, InputError, Problem
from packgen.records.explain import quoted, suggest
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile, UnplacedPupilFile
from packgen.records.record_checks import each_valid
from packgen.records.record_file import LoadedRecord, evidence_problems, read_record, text_record
from packgen.records.school_data import SchoolData
from packgen.records.school_file import SchoolFile

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
LEFT_OUT = "is left out until its provider's record is put right"  # said of a healthy pupil by load_healthy
EXAMPLE_NAME = {"providers": "bridge-learning.yaml", "pupils": "p07.yaml"}

# ---------------------------------------------------------------- checks across records


def _session_times(pupils: list[LoadedRecord], school: LoadedRecord) -> Iterator[Problem]:
    """A session far outside the school day (an hour either side) is almost surely a mistyped time."""
    day = school.view and school.view.pack and school.view.pack.school_day
    if not day or not day.starts or not day.ends:
        return
    minutes = lambda t: int(t[:2]) * 60 + int(t[3:])  # noqa: E731
    earliest, latest = minutes(day.starts) - 60, minutes(day.ends) + 60
    for record in pupils:
        placement = record.view and record.view.placement
        for i, session in each_valid(placement and placement.sessions):
            for key, value in (("from", session.start), ("to", session.end)):
                if value and not earliest <= minutes(value) <= latest:
                    yield record.problem(
                        ("placement", "sessions", i, key),
                        f"'{value}' is outside the school day "
                        f"({day.starts} to {day.ends}, give or take an hour): check the time",
                    )


def _provider_references(pupils: list[LoadedRecord], provider_ids: list[str]) -> Iterator[Problem]:
    for record in pupils:
        view = record.view
        placements = [(("placement",), view and view.placement)] + [
            (("past_placements", i), past) for i, past in each_valid(view and view.past_placements)
        ]
        for at, placement in placements:
            if placement and placement.provider is not None and placement.provider not in provider_ids:
                hint = (
                    suggest(placement.provider, provider_ids, "the providers are") if provider_ids else "there are none"
                )
                yield record.problem(
                    at + ("provider",),
                    f"{quoted(placement.provider)} has no file providers/{placement.provider}.yaml ({hint})",
                )


def _shared_upns(pupils: list[LoadedRecord]) -> Iterator[Problem]:
    holders: dict[str, list[LoadedRecord]] = defaultdict(list)
    for record in pupils:
        pupil = record.view and record.view.pupil
        if pupil and pupil.upn is not None:
            holders[pupil.upn].append(record)
    for upn, records in holders.items():
        for record in records if len(records) > 1 else []:
            others = ", ".join(r.file for r in records if r is not record)
            yield record.problem(
                ("pupil", "upn"), f"{quoted(upn)} is also the UPN in {others}: each pupil has their own"
            )


# ---------------------------------------------------------------- the folder


def _record_files(root: Path, folder: str, problems: list[Problem], adding: str | None) -> list[tuple[str, str]]:
    """(id, relative path) of each record in ``folder``, and ``adding`` if it is one there is not yet.
    Other files (README.txt, .DS_Store, Office's ~$ locks) are left alone, except .yml, which is surely a
    record saved under the wrong name."""
    directory = root / folder
    names = {adding.split("/", 1)[1]} if adding is not None and adding.startswith(f"{folder}/") else set()
    if not directory.is_dir() and not names:
        problems.append(
            Problem(
                f"{folder}/",
                "",
                f"is missing: make a {folder} folder holding one file per "
                f"{folder[:-1]}, like {folder}/{EXAMPLE_NAME[folder]}",
            )
        )
        return []
    if directory.is_dir():
        names.update(os.listdir(directory))
    found = []
    for name in sorted(names):
        stem, _, extension = name.rpartition(".")
        if name.startswith((".", "~")) or extension.lower() not in ("yaml", "yml"):
            continue
        relative = f"{folder}/{name}"
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


def _fresh(root: Path, relative: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
    record, problems = read_record(root, relative, model)
    return record, problems + evidence_problems(root, record)


# How a record file is had: read now, or kept from before (school_cache.py). Its problems include its evidence's.
RecordSource = Callable[[Path, str, type[BaseModel]], tuple[LoadedRecord, list[Problem]]]


def _load_all(
    folder: Path, source: RecordSource = _fresh, adding: str | None = None
) -> tuple[Path, LoadedRecord, list, list, list[Problem]]:
    root = Path(folder).resolve()
    if not root.is_dir():
        raise InputError(f"{folder} is not a folder: give a school's data folder, such as data/brookfield-academy")
    problems: list[Problem] = []

    def load(relative: str, model: type[BaseModel]) -> LoadedRecord:
        record, found = source(root, relative, model)
        problems.extend(found)
        return record

    school = load("school.yaml", SchoolFile)
    # Lists, not dicts: p01.yaml and p01.yml share an id, and both must be checked.
    providers = [(i, load(f, Provider)) for i, f in _record_files(root, "providers", problems, adding)]
    pupils = [(i, load(f, PupilFile)) for i, f in _record_files(root, "pupils", problems, adding)]
    placed = [(i, r) for i, r in pupils if not isinstance(r.model, UnplacedPupilFile)]
    problems += _provider_references([r for _, r in placed], sorted({i for i, _ in providers}))
    problems += _shared_upns([r for _, r in pupils])
    problems += _session_times([r for _, r in placed], school)
    return root, school, providers, pupils, problems


def problems_if(folder: Path, relative: str, text: str, source: RecordSource = _fresh) -> list[Problem]:
    """Every problem ``load_school`` would report of ``folder`` if its record file ``relative``
    (``pupils/p07.yaml``, there or not yet) held ``text``: none when it would load. Nothing is written;
    the other records are had from ``source`` (read now, by default)."""

    def with_text(root: Path, name: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
        return text_record(root, name, text, model) if name == relative else source(root, name, model)

    return _load_all(folder, with_text, adding=relative)[-1]


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
