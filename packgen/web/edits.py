"""What each form does to the records: build the candidate file, check it with the loader, save it.

Nothing here knows about Flask: a form's typed values come in, and either the file is saved or the
problems come back, each beside the form input it belongs to. ``records.save`` holds the school's
edit lock from reading the file to writing it, so two people saving at once, through one page or two
``packgen serve`` on one folder, cannot lose each other's change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap

from packgen.records.models import PupilFile, Review, Visit
from packgen.web import records
from packgen.web.forms import Built, FormSpec, build, place, sessions_text

RECORD_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as load.py names records: a slug, at most 64 long


@dataclass
class Outcome:
    """``saved`` or not; if not, messages by input name and messages for the top of the form."""

    saved: bool
    beside: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Workspace:
    """Where a school's records are, and a private place for scratch copies made while checking."""

    school: Path
    scratch: Path

    def pupil_file(self, pupil_id: str) -> Path:
        return self.school / "pupils" / f"{pupil_id}.yaml"


# ---------------------------------------------------------------- the four forms


def add_pupil(space: Workspace, spec: FormSpec, raw: Mapping[str, str]) -> Outcome:
    built = build(spec, raw)
    pupil_id = raw.get("pupil_id", "").strip()
    del built.values[("id",)], built.inputs[("id",)]  # the file's name, not a key inside it
    if not RECORD_ID.fullmatch(pupil_id):
        return Outcome(False, {"pupil_id": ["use lowercase letters, digits and hyphens, such as p19 "
                                            "(never the pupil's name)"]})
    tree = CommentedMap()
    for path, value in built.values.items():
        records.set_value(tree, path, value, PupilFile)
    relative = f"pupils/{pupil_id}.yaml"
    return _save(space, relative, records.NEW, lambda _: (records.dump(tree), built.inputs),
                 refused=Outcome(False, {"pupil_id": [f"{relative} already exists: choose another id"]}))


def edit_placement(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str],
                   version: str) -> Outcome:
    built = build(spec, raw)

    def change(text: str | None) -> tuple[str, dict]:
        if text is None:  # the file was removed since the form was opened
            raise records.StaleEdit()
        tree = records.parse(text)
        for path, value in built.values.items():
            if path == ("sessions",) and value is not None:
                value = [records.flow(session, quoted=("from", "to")) for session in value]
            records.set_value(tree, ("placement",) + path, value, PupilFile)
        inputs = {("placement",) + path: name for path, name in built.inputs.items()}
        return records.updated_text(text, tree), inputs

    return _save(space, f"pupils/{pupil_id}.yaml", version, change)


def add_review(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str]) -> Outcome:
    return _add_entry(space, pupil_id, "reviews", Review, spec, raw)


def add_visit(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str]) -> Outcome:
    return _add_entry(space, pupil_id, "visits", Visit, spec, raw)


def _add_entry(space: Workspace, pupil_id: str, key: str, model: type[BaseModel], spec: FormSpec,
               raw: Mapping[str, str]) -> Outcome:
    built = build(spec, raw)
    item = _entry(built, model)

    def change(text: str | None) -> tuple[str, dict]:
        text = text or ""  # the file went meanwhile: the check says what the review alone lacks
        tree = records.parse(text)
        index = records.append(tree, key, item, PupilFile)
        inputs = {(key, index) + path: name for path, name in built.inputs.items()}
        return records.updated_text(text, tree), inputs

    return _save(space, f"pupils/{pupil_id}.yaml", None, change)


def _entry(built: Built, model: type[BaseModel]) -> CommentedMap:
    """A review or visit as a mapping in the model's key order, empty answers left out."""
    item = CommentedMap()
    for path, value in built.values.items():
        records.set_value(item, path, value, model)
    for path, rows in built.lists.items():
        row_model = records.field_model(model, path[-1])
        entries = []
        for row in rows:
            entry = CommentedMap()
            for row_path, value in row.items():
                records.set_value(entry, row_path, value, row_model)
            entries.append(entry)
        records.set_value(item, path, entries or None, model)
    return item


def _save(space: Workspace, relative: str, version: str | None,
          candidate: Callable[[str | None], tuple[str, Mapping[tuple, str]]], refused: Outcome | None = None
          ) -> Outcome:
    """Save the text ``candidate`` makes from the file, if it loads; its inputs place the problems.
    ``refused`` is the answer when the file is no longer at ``version``."""
    outcome = Outcome(True)

    def checked(text: str | None) -> str | None:
        new, inputs = candidate(text)
        problems = records.problems_with(space.school, relative, new, space.scratch)
        if problems:
            outcome.saved = False
            outcome.beside, outcome.general = place(problems, relative, inputs)
            return None
        return new

    try:
        records.save(space.school, relative, version, checked)
    except records.SaveBusy as error:
        return Outcome(False, general=[str(error)])
    except records.StaleEdit as error:
        return refused or Outcome(False, general=[str(error)])
    return outcome


# ---------------------------------------------------------------- filling a form from a record


def placement_values(space: Workspace, pupil_id: str, spec: FormSpec) -> tuple[dict[str, str], str]:
    """The placement as the form shows it, and the file's version to catch a change meanwhile."""
    _, tree, version = records.opened(space.pupil_file(pupil_id))
    placement = tree.get("placement") or {}
    values = {}
    for name, item in spec.fields():
        value: Any = placement
        for key in item.path:
            value = value.get(key) if isinstance(value, Mapping) else None
        values[name] = _as_text(value, item.kind)
    return values, version


def _as_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "sessions" and isinstance(value, list):
        return sessions_text(s for s in value if isinstance(s, Mapping))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return ("yes" if value else "no") if kind == "yesno" else ("yes" if value else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
