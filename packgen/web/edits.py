"""What a form does to the records: build the candidate file, check it with the loader, save it.

Nothing here knows about Flask: a form's typed values come in, and either the file is saved or the
problems come back, each beside the form field it belongs to. ``record_saving.save`` holds the school's edit
lock from reading the file to writing it, and refuses a form opened before someone else saved the
record, so nobody's change is lost.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from packgen.errors import Problem
from packgen.files import write_private
from packgen.records import evidence
from packgen.records.school_cache import SchoolCache
from packgen.web import record_saving, record_text
from packgen.web.forms import FormSpec, build, key_of, matching, place, values_of

RECORD_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as the loader names records: a slug, at most 64 long


@dataclass
class Outcome:
    """``saved`` or not; if not, problems by field name and problems for the top of the form."""

    saved: bool
    beside: dict[str, list[Problem]] = field(default_factory=dict)
    general: list[Problem] = field(default_factory=list)
    stale: bool = False  # the file changed since the form was opened


@dataclass(frozen=True)
class Upload:
    """A scan sent with a form: where its path goes in the record, and its bytes."""

    field: str
    path: tuple
    data: bytes
    stem: str  # the evidence file's name without extension: agreement-p07


@dataclass(frozen=True)
class Workspace:
    """Where a school's records are, and the records as kept between requests, which a change is
    checked against."""

    school: Path
    records: SchoolCache

    def file(self, relative: str) -> Path:
        return self.school / relative

    def problems_if(self, relative: str, text: str) -> list[Problem]:
        """This record's own problems if it held ``text``: another file someone broke by hand is
        repaired on its own page."""
        return [p for p in self.records.problems_if(relative, text) if p.file == relative]


def new_id(taken: set[str], stem: str) -> str:
    """A free record id from ``stem``: ``p19``, or ``bridge-learning-centre-2`` when the name is taken."""
    if stem == "p":
        return next(f"p{n:02d}" for n in range(1, 100_000) if f"p{n:02d}" not in taken)
    base = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:56] or "record"
    return next(c for c in (base, *(f"{base}-{n}" for n in range(2, 1000))) if c not in taken)


def form_values(space: Workspace, relative: str, spec: FormSpec, prefix: tuple = ()) -> tuple[dict[str, str], str]:
    """The record as the form shows it, and its version, to catch a change meanwhile."""
    _, tree, version = record_saving.opened(space.file(relative))
    node = tree
    for key in prefix:
        node = node[key] if isinstance(node, (CommentedMap, CommentedSeq)) else None
    return values_of(node if isinstance(node, Mapping) else {}, spec), version


def save(
    space: Workspace,
    relative: str,
    model: type[BaseModel],
    spec: FormSpec,
    raw: Mapping[str, str],
    *,
    version: str | None,
    prefix: tuple = (),
    append_to: str | None = None,
    uploads: tuple[Upload, ...] = (),
) -> Outcome:
    """Put the form's values into the record at ``prefix`` (a new entry at the end of the list
    ``append_to``), check the whole school, and save only if it loads. ``version`` is the record's
    version when the form was opened (``record_saving.NEW`` for a new record; None: add to it as it is now)."""
    built = build(spec, raw)
    outcome = Outcome(True)
    stored: list[Path] = []

    def change(text: str) -> str | None:
        """The record with the form's values in it, or None (and the problems in ``outcome``)."""
        tree = record_text.parse(text)
        at = (append_to, record_text.append(tree, append_to, CommentedMap(), model)) if append_to else prefix
        owner, node = _owner(model, tree, at)
        for key_path, value in built.values.items():
            if not _unchanged(node, key_path, value, key_path in built.checks):
                record_text.set_value(node, key_path, value, owner)
        for key_path, rows in built.lists.items():
            _update_list(node, key_path, rows, owner, key_path in built.flow)
        kept, problems = _store_uploads(space, uploads, node, owner, relative, at)
        stored.extend(kept)
        inputs = {at + p: name for p, name in built.inputs.items()} | {at + u.path: u.field for u in uploads}
        return checked(space, relative, text, tree, inputs, outcome, problems)

    result = write(space, relative, version, change, outcome)
    if not result.saved:
        for upload in stored:
            upload.unlink(missing_ok=True)
    return result


def checked(
    space: Workspace,
    relative: str,
    text: str,
    tree: CommentedMap,
    inputs: Mapping[tuple, str],
    outcome: Outcome,
    found: list[Problem] | None = None,
) -> str | None:
    """The record's new text if the school still loads with ``tree``; else None, with the problems (``found``
    already, and the loader's: all of them at once) in ``outcome`` beside the form fields ``inputs`` maps
    their keys to."""
    candidate = record_text.updated_text(text, tree) if text else record_text.dump(tree)
    problems = [*(found or ()), *space.problems_if(relative, candidate)]
    if problems:
        outcome.saved = False
        outcome.beside, outcome.general = place(problems, relative, inputs)
        return None
    return candidate


def write(
    space: Workspace, relative: str, version: str | None, change: Callable[[str], str | None], outcome: Outcome
) -> Outcome:
    """Save ``change(text)`` under the school's edit lock: ``outcome``, or why nothing was saved."""
    try:
        record_saving.save(space.school, relative, version, lambda text: change(text or ""))
    except record_saving.StaleEdit:
        return Outcome(False, stale=True)
    except record_saving.SaveBusy as busy:
        return Outcome(False, general=[Problem(relative, "", str(busy))])
    return outcome


def remove(space: Workspace, relative: str, key: str, index: int, version: str) -> Outcome:
    """Take entry ``index`` out of the list ``key`` of a record (the key goes with its last entry), if
    the record still loads without it and nobody changed the file since the page was opened."""
    outcome = Outcome(True)

    def change(text: str | None) -> str | None:
        tree = record_text.parse(text or "")
        entries = tree.get(key)
        if not isinstance(entries, CommentedSeq) or not 0 <= index < len(entries):
            outcome.saved = False
            outcome.general = [Problem(relative, "", "That entry is no longer in the record: nothing was removed.")]
            return None
        del entries[index]
        if not entries:
            del tree[key]
        candidate = record_text.updated_text(text or "", tree)
        problems = space.problems_if(relative, candidate)
        if problems:
            outcome.saved, outcome.general = False, problems
            return None
        return candidate

    try:
        record_saving.save(space.school, relative, version, change)
    except record_saving.StaleEdit:
        return Outcome(False, stale=True)
    except record_saving.SaveBusy as busy:
        return Outcome(False, general=[Problem(relative, "", str(busy))])
    return outcome


def _owner(model: type[BaseModel], tree: CommentedMap, prefix: tuple) -> tuple[type[BaseModel], CommentedMap]:
    """The mapping at ``prefix`` (made if missing) and the record type it holds."""
    node: Any = tree
    owner = model
    for key in prefix:
        if isinstance(key, int):
            node = node[key]
            continue
        child = node.get(key)
        owner_of_child = _record_type(owner, key)
        if not isinstance(child, (CommentedMap, CommentedSeq)):
            child = CommentedMap()
            record_text.set_value(node, (key,), child, owner)
        node, owner = child, owner_of_child
    return owner, node


def _record_type(owner: type[BaseModel], key: str) -> type[BaseModel]:
    found = record_text.field_model(owner, key)
    if found is None:
        raise ValueError(f"a form addresses {owner.__name__}.{key}, which holds no record")
    return found


def _unchanged(node: CommentedMap, path: tuple, value: object, tick_box: bool = False) -> bool:
    """An answer that changes nothing: empty where the file says ``null`` on purpose, or an unticked
    box for a key the file leaves out (a tick box's key means false when left out)."""
    for key in path:
        if not isinstance(node, CommentedMap) or key not in node:
            return tick_box and value is False
        node = node[key]
    return value is None and node is None


def _update_list(node: CommentedMap, key_path: tuple, rows: list, owner: type[BaseModel], flow: bool) -> None:
    """Each row into the entry it came from, changing only the keys the row changed (so an entry's
    other keys, comments and folding stay); new rows become new entries, emptied rows go."""
    existing = node
    for key in key_path:
        existing = existing.get(key) if isinstance(existing, CommentedMap) else None
    entries: list[Any] = list(existing) if isinstance(existing, CommentedSeq) else []
    row_model = owner
    for key in key_path:
        row_model = _record_type(row_model, key)
    kept = []
    for row, fixed, values in rows:
        entry = matching(entries, row, fixed)
        if not isinstance(entry, CommentedMap):
            entry = CommentedMap(fixed)
            if flow:
                entry.fa.set_flow_style()
        for row_path, value in values.items():
            if not _unchanged(entry, row_path, value):
                record_text.set_value(entry, row_path, value, row_model)
        kept.append(entry)
    if len(kept) == len(entries) and all(a is b for a, b in zip(kept, entries)):
        return  # the same entries in the same order: nothing to rewrite
    if isinstance(existing, CommentedSeq) and kept:
        existing[:] = kept
    else:
        record_text.set_value(node, key_path, CommentedSeq(kept) if kept else None, owner)


def _store_uploads(
    space: Workspace,
    uploads: tuple[Upload, ...],
    node: CommentedMap,
    owner: type[BaseModel],
    relative: str,
    prefix: tuple,
) -> tuple[list[Path], list[Problem]]:
    """Each scan saved under evidence/ and checked as the pack will read it; its path set in the record."""
    stored, problems = [], []
    folder = space.school / "evidence"
    for upload in uploads:
        name = f"{upload.stem}-{secrets.token_hex(3)}.pdf"  # never over an older scan another record may use
        target = folder / name
        write_private(target, upload.data)
        reason = evidence.unreadable(target)
        if reason:
            target.unlink()
            problems.append(Problem(relative, key_of(prefix + upload.path), f"The file you chose {reason}"))
            continue
        stored.append(target)
        record_text.set_value(node, upload.path, f"evidence/{name}", owner)
    return stored, problems
