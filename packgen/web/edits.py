"""What each form does to the records: build the candidate file, check it with the loader, save it.

Nothing here knows about Flask: a form's typed values come in, and either the file is saved or the
problems come back, each beside the form input it belongs to. Saving holds a lock, so two people
using the page at once cannot interleave a read and a write.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
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
_saving = threading.Lock()


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
    with _saving:
        if space.pupil_file(pupil_id).exists():
            return Outcome(False, {"pupil_id": [f"pupils/{pupil_id}.yaml already exists: choose another id"]})
        return _check_and_save(space, f"pupils/{pupil_id}.yaml", records.dump(tree), built.inputs)


def edit_placement(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str],
                   version: str) -> Outcome:
    built = build(spec, raw)
    with _saving:
        text, tree = records.read(space.pupil_file(pupil_id))
        if records.fingerprint(text) != version:
            return Outcome(False, general=[
                f"pupils/{pupil_id}.yaml was changed by someone else while this form was open. "
                "Open the form again to see the changes, then make yours."])
        for path, value in built.values.items():
            if path == ("sessions",) and value is not None:
                value = [records.flow(session, quoted=("from", "to")) for session in value]
            records.set_value(tree, ("placement",) + path, value, PupilFile)
        inputs = {("placement",) + path: name for path, name in built.inputs.items()}
        return _check_and_save(space, f"pupils/{pupil_id}.yaml", records.updated_text(text, tree), inputs)


def add_review(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str]) -> Outcome:
    return _add_entry(space, pupil_id, "reviews", Review, spec, raw)


def add_visit(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str]) -> Outcome:
    return _add_entry(space, pupil_id, "visits", Visit, spec, raw)


def _add_entry(space: Workspace, pupil_id: str, key: str, model: type[BaseModel], spec: FormSpec,
               raw: Mapping[str, str]) -> Outcome:
    built = build(spec, raw)
    item = _entry(built, model)
    with _saving:
        text, tree = records.read(space.pupil_file(pupil_id))
        index = records.append(tree, key, item, PupilFile)
        inputs = {(key, index) + path: name for path, name in built.inputs.items()}
        return _check_and_save(space, f"pupils/{pupil_id}.yaml", records.updated_text(text, tree), inputs)


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


def _check_and_save(space: Workspace, relative: str, text: str, inputs: Mapping[tuple, str]) -> Outcome:
    problems = records.problems_with(space.school, relative, text, space.scratch)
    if problems:
        beside, general = place(problems, relative, inputs)
        return Outcome(False, beside, general)
    records.write_atomically(space.school / relative, text)
    return Outcome(True)


# ---------------------------------------------------------------- filling a form from a record


def placement_values(space: Workspace, pupil_id: str, spec: FormSpec) -> tuple[dict[str, str], str]:
    """The placement as the form shows it, and the file's fingerprint to catch a change meanwhile."""
    text, tree = records.read(space.pupil_file(pupil_id))
    placement = tree.get("placement") or {}
    values = {}
    for name, item in spec.fields():
        value: Any = placement
        for key in item.path:
            value = value.get(key) if isinstance(value, Mapping) else None
        values[name] = _as_text(value, item.kind)
    return values, records.fingerprint(text)


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
