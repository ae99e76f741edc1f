"""One record file read and checked on its own: its text (an ordinary UTF-8 file inside the school
folder), its YAML (yaml_tree.py), its model, and for a record with mistakes as much of it as is valid,
so the checks (record_checks.py) still run on the rest. Also the evidence files a record names.
"""

from __future__ import annotations

import functools
import stat
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from packgen.errors import Problem
from packgen.files import NotReadable, read_regular
from packgen.records.explain import bare, explain, is_model, line_of, quoted
from packgen.records.fields import RelativePath
from packgen.records.older import old_placement_ends
from packgen.records.pupil_file import PupilFile, UnplacedPupilFile
from packgen.records.record_checks import CHECKS
from packgen.records.yaml_tree import key_text, parse

MAX_BYTES = 1_000_000  # records are a few kilobytes; anything bigger is the wrong file


@dataclass
class LoadedRecord:
    """One record file once read: the lines of its keys, the model if it is valid, and ``view``: the model,
    or for a record with mistakes as much of it as is valid, with None wherever something is wrong, so
    the checks still run on the rest (None reads as "unknown": a check that needs it is skipped)."""

    file: str
    lines: dict[tuple, int]
    model: BaseModel | None = None
    view: Any = None

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(self.file, key_text(path), message, line_of(self.lines, path))


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    """Validates one field alone as its model would, config included (stripping spaces from text);
    a field that is itself a model brings its own config."""
    annotation = model.model_fields[name].rebuild_annotation()
    return TypeAdapter(annotation, config=None if is_model(bare(annotation)) else model.model_config)


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
    annotation = bare(annotation)
    if () in errors:
        return None
    if is_model(annotation) and isinstance(value, dict):
        return _partial(annotation, value, errors)
    if typing.get_origin(annotation) is list and isinstance(value, list):
        item = bare(typing.get_args(annotation)[0])
        if is_model(item):
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


def read_record(root: Path, relative: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
    """One record file read and checked on its own: everything but whether its evidence files are there
    (``evidence_problems``), which depends on other files."""
    text = _read(root, relative)
    if isinstance(text, Problem):
        return LoadedRecord(relative, {}), [text]
    return _record_from_text(relative, text, model)


def pupil_text_problems(root: Path, relative: str, text: str) -> list[Problem]:
    """What ``packgen check`` would say of a pupil record holding ``text``, before it is written."""
    return text_record(Path(root).resolve(), relative, text, PupilFile)[1]


def text_record(root: Path, relative: str, text: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
    """The record file ``relative`` of the school at ``root`` as it would be holding ``text``, with every
    problem ``packgen check`` would find in it alone, its evidence files' among them."""
    record, problems = _record_from_text(relative, text, model)
    return record, problems + evidence_problems(root, record)


def _record_from_text(relative: str, text: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
    """A record file's ``text`` read and checked on its own, as ``read_record`` does the file's."""
    tree = parse(text, relative)
    problems = list(tree.problems)
    record = LoadedRecord(relative, tree.lines)
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
        problems += explain(model, errors, tree)
        record.view = _partial(model, tree.data, [e["loc"] for e in errors])
    problems += CHECKS[model](record)
    return record, problems


# ---------------------------------------------------------------- the evidence a record names


@functools.cache
def _evidence_fields(model: type[BaseModel]) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, key, is the path itself) for each field that is, or may hold, an evidence path:
    wherever a model declares a RelativePath, found once per model so the walk skips everything else."""

    def may_hold(annotation: Any) -> bool:
        annotation = bare(annotation)
        if is_model(annotation):
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


def evidence_paths(record: LoadedRecord) -> list[tuple[tuple, str]]:
    """(key path, file) of every evidence file the record names."""
    return list(_evidence_paths(record.view, ()))


def evidence_problems(root: Path, record: LoadedRecord, paths: list[tuple[tuple, str]] | None = None) -> list[Problem]:
    """A problem for each evidence file the record names (``paths``: see evidence_paths) that is not there."""
    problems = []
    for path, relative in evidence_paths(record) if paths is None else paths:
        # Only where the path leads: whether the file is a readable PDF is packgen.evidence's question,
        # because a build may go on without an unreadable scan (--skip-bad-evidence).
        _, problem = _real_file(root, relative)
        if problem:
            problems.append(record.problem(path, f"{quoted(relative)} {problem}"))
    return problems
