"""What an MIS file would change in a school's pupil records, and writing it: all of it, or none.

Only what the MIS owns is touched: identity, home address and phone, ethnicity, SEN provision,
looked-after status, and parents and carers (matched by name, their phones compared as digits). The
placement, reviews, visits, attendance and anything else packgen holds are never read or written.
Records are edited through ruamel.yaml's round trip, so the office's comments and key order stay.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from packgen.errors import DataError, InputError
from packgen.files import NotReadable, read_regular
from packgen.records import ctf, mis_csv
from packgen.records.incoming import (
    ImportFile,
    Incoming,
    codes,
    name_words,
    open_export,
    phone_digits,
    relationship_codes,
)
from packgen.records.pupil_file import Flags, ParentCarer, PupilDetails
from packgen.records.read import load_school
from packgen.records.record_file import MAX_BYTES, pupil_text_problems
from packgen.records.yaml_tree import key_text

PUPIL_KEYS = [
    "legal_forename",
    "legal_surname",
    "preferred_name",
    "dob",
    "year_group",
    "gender",
    "ethnicity",
    "address",
    "home_phone",
]


@dataclass
class Change:
    path: tuple
    old: Any
    new: Any
    about: str = ""  # whose detail it is, for a contact

    @property
    def key(self) -> str:
        return key_text(self.path)

    def __str__(self) -> str:
        def shown(value: Any) -> str:
            if isinstance(value, bool):
                return "true" if value else "false"
            return "(none)" if value in (None, "") else f"'{value}'"

        about = f" ({self.about})" if self.about else ""
        return f"{self.key}{about}: {shown(self.old)} -> {shown(self.new)}"


@dataclass
class PupilUpdate:
    pupil_id: str
    upn: str
    name: str
    changes: list[Change]
    original: str | None  # None for a new record
    text: str

    @property
    def file(self) -> str:
        return f"pupils/{self.pupil_id}.yaml"


@dataclass
class ImportPlan:
    school: Path
    source: ImportFile
    matched: list[PupilUpdate] = field(default_factory=list)
    added: list[PupilUpdate] = field(default_factory=list)
    not_in_packgen: list[Incoming] = field(default_factory=list)

    @property
    def changed(self) -> list[PupilUpdate]:
        return [u for u in self.matched if u.changes]

    @property
    def writes(self) -> list[PupilUpdate]:
        return self.changed + self.added


def _yaml() -> YAML:
    yaml = YAML()  # round trip, configured as the web page's editor, so both write records alike
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _dump(tree: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(tree, out)
    return out.getvalue()


def plan_import(school: Path, source: ImportFile, add: Iterable[str] = ()) -> ImportPlan:
    """Compare ``source`` with the school's records; nothing is written (see apply_import)."""
    data = load_school(school)
    root = Path(data.folder)
    known = {r.pupil.upn: i for i, r in data.pupils.items()} | {r.pupil.upn: i for i, r in data.unplaced.items()}
    in_file = {p.upn: p for p in source.pupils}
    add = {u.strip().upper() for u in add}
    for upn in sorted(add):
        if upn not in in_file:
            raise InputError(f"--add {upn}: {source.path.name} holds no pupil with that UPN")
        if upn in known:
            raise InputError(f"--add {upn}: already in packgen as pupils/{known[upn]}.yaml (it is updated, not added)")
    plan = ImportPlan(school=root, source=source)
    next_id = _next_ids(list(data.pupils) + list(data.unplaced))
    for incoming in source.pupils:
        if incoming.upn in known:
            pupil_id = known[incoming.upn]
            original = _record_text(root / "pupils" / f"{pupil_id}.yaml")
            tree = _yaml().load(original)
            changes = _update(tree.setdefault("pupil", CommentedMap()), incoming)
            plan.matched.append(
                PupilUpdate(
                    pupil_id, incoming.upn, incoming.name, changes, original, _dump(tree) if changes else original
                )
            )
        elif incoming.upn in add:
            plan.added.append(_new_record(next(next_id), incoming, source))
        else:
            plan.not_in_packgen.append(incoming)
    return plan


def _next_ids(taken: list[str]) -> Iterator[str]:
    number = max((int(m.group(1)) for i in taken if (m := re.fullmatch(r"p(\d+)", i))), default=0)
    while True:
        number += 1
        yield f"p{number:02d}"


def _put(mapping: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    """Set ``key``; a new key goes where the record's model declares it, not at the end."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = next((i for i, k in enumerate(mapping) if k in order and order.index(k) > rank), len(mapping))
    mapping.insert(position, key, value)


def _same_text(a: Any, b: Any) -> bool:
    def norm(v: Any) -> str:
        return " ".join(unicodedata.normalize("NFC", str(v)).replace(",", " ").casefold().split()) if v else ""

    return norm(a) == norm(b)


def _update(pupil: CommentedMap, incoming: Incoming) -> list[Change]:
    changes: list[Change] = []
    order = list(PupilDetails.model_fields)

    def offer(mapping: CommentedMap, path: tuple, new: Any, same, key_order: list[str], about: str = "") -> None:
        old = mapping.get(path[-1])
        if new is None or (old is not None and same(old, new)):
            return
        _put(mapping, path[-1], new, key_order)
        changes.append(Change(path, old, new, about))

    for key in PUPIL_KEYS:
        new = getattr(incoming, key)
        same = {
            "dob": lambda a, b: str(a) == str(b),
            "year_group": lambda a, b: str(a) == str(b),
            "home_phone": lambda a, b: phone_digits(str(a)) == phone_digits(str(b)),
        }.get(key, _same_text)
        offer(pupil, ("pupil", key), new, same, order)
    flags = pupil.get("flags")
    wanted_flags = dict(codes()["sen_provision"].get(incoming.sen, {}))
    if incoming.lac is not None:
        wanted_flags["lac"] = incoming.lac
    if incoming.lac and incoming.lac_la and not (flags or {}).get("lac_la"):
        wanted_flags["lac_la"] = incoming.lac_la
    if wanted_flags:
        if flags is None:
            flags = CommentedMap()
            _put(pupil, "flags", flags, order)
        for key, value in wanted_flags.items():
            offer(flags, ("pupil", "flags", key), value, lambda a, b: a == b, list(Flags.model_fields))
    changes += _contacts(pupil, incoming, order)
    return changes


def _contacts(pupil: CommentedMap, incoming: Incoming, order: list[str]) -> list[Change]:
    if not incoming.contacts:
        return []
    entries = pupil.get("parent_carers")
    if entries is None:
        entries = []
        _put(pupil, "parent_carers", entries, order)
    changes, touched = [], set()
    keys = list(ParentCarer.model_fields)
    for contact in incoming.contacts:
        words = set(name_words(contact.name))
        # "Denise & Paul Whitaker" is one entry for two contacts: every word of the contact's name is in it.
        index = next((i for i, e in enumerate(entries) if words and words <= set(name_words(e.get("name")))), None)
        if index is None:
            entry = CommentedMap(
                [
                    (k, v)
                    for k, v in (
                        ("name", contact.name),
                        ("relationship", contact.relationship),
                        ("phone", contact.phones[0] if contact.phones else None),
                        ("email", contact.email),
                    )
                    if v
                ]
            )
            entries.append(entry)
            changes.append(Change(("pupil", "parent_carers", len(entries) - 1), None, contact.name))
            touched.add(len(entries) - 1)
            continue
        entry, at = entries[index], ("pupil", "parent_carers", index)
        if index in touched:
            continue  # the entry's first contact decided it; a second on the same line is the same household
        touched.add(index)
        phones = {phone_digits(p) for p in contact.phones}
        if contact.phones and phone_digits(str(entry.get("phone") or "")) not in phones:
            changes.append(Change((*at, "phone"), entry.get("phone"), contact.phones[0], entry.get("name")))
            _put(entry, "phone", contact.phones[0], keys)
        if contact.email and not _same_text(entry.get("email"), contact.email):
            changes.append(Change((*at, "email"), entry.get("email"), contact.email, entry.get("name")))
            _put(entry, "email", contact.email, keys)
        if contact.relationship and not entry.get("relationship"):
            changes.append(Change((*at, "relationship"), None, contact.relationship, entry.get("name")))
            _put(entry, "relationship", contact.relationship, keys)
        elif contact.relationship and not (
            relationship_codes(contact.relationship) & relationship_codes(entry.get("relationship"))
        ):
            changes.append(
                Change((*at, "relationship"), entry.get("relationship"), contact.relationship, entry.get("name"))
            )
            _put(entry, "relationship", contact.relationship, keys)
    return changes


def _new_record(pupil_id: str, incoming: Incoming, source: ImportFile) -> PupilUpdate:
    missing = [
        k for k in ("legal_forename", "legal_surname", "dob", "year_group", "gender") if getattr(incoming, k) is None
    ]
    if missing:
        raise InputError(
            f"--add {incoming.upn}: {incoming.where} has no {', '.join(missing)} in "
            f"{source.path.name}, which a pupil record needs: add it in the MIS and export again"
        )
    pupil = CommentedMap([("upn", incoming.upn)])
    tree = CommentedMap([("pupil", pupil)])
    tree.yaml_set_start_comment(
        f"Made by packgen import from {source.path.name} on {date.today().isoformat()}.\n"
        "Write the placement (placement: ...) to put this pupil in the pack."
    )
    changes = _update(pupil, incoming)
    return PupilUpdate(pupil_id, incoming.upn, incoming.name, changes, None, _dump(tree))


def apply_import(plan: ImportPlan) -> list[str]:
    """Write every change in ``plan``, or none: each file is checked and staged first, then all replace
    the records together; if anything fails, every record is left as it was. The files written."""
    pupils = plan.school / "pupils"
    problems = [p for u in plan.writes for p in pupil_text_problems(plan.school, u.file, u.text)]
    if problems:
        raise DataError(problems)
    staged: list[tuple[PupilUpdate, Path]] = []
    try:
        for update in plan.writes:
            handle, temporary = tempfile.mkstemp(prefix=f".{update.pupil_id}.import-", suffix=".part", dir=pupils)
            name = Path(temporary)
            staged.append((update, name))
            with os.fdopen(handle, "wb") as stream:
                stream.write(update.text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            target = pupils / f"{update.pupil_id}.yaml"
            if update.original is None and target.exists():
                raise InputError(f"{update.file} appeared while importing: nothing was changed; import again")
            if update.original is not None:
                os.chmod(name, target.stat().st_mode & 0o777)
                if _record_text(target) != update.original:
                    raise InputError(
                        f"{update.file} was changed by someone else while importing: nothing was changed; import again"
                    )
        _replace_all(pupils, staged)
    finally:
        for _, name in staged:
            name.unlink(missing_ok=True)
    return [u.file for u in plan.writes]


def _replace_all(pupils: Path, staged: list[tuple[PupilUpdate, Path]]) -> None:
    """Rename the staged files over the records; on a failure part way, put back those already replaced."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for update, name in staged:
            target = pupils / f"{update.pupil_id}.yaml"
            backup = None
            if update.original is not None:
                backup = name.with_suffix(".was")
                os.link(target, backup)
            os.replace(name, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        raise
    finally:
        for _, backup in done:
            if backup is not None:
                backup.unlink(missing_ok=True)
    folder = os.open(pupils, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _record_text(path: Path) -> str:
    """A pupil record as the import found it; InputError naming it if it is not an ordinary file of a
    record's size (the loader has checked it, but the import reads it again to compare before writing)."""
    try:
        data = read_regular(
            path, MAX_BYTES, lambda size: f"is over {MAX_BYTES // 1_000_000} MB, far bigger than a record"
        )
        return data.decode("utf-8-sig")
    except NotReadable as exc:
        raise InputError(f"pupils/{path.name}: {exc.reason}: nothing was changed") from None
    except UnicodeDecodeError:
        raise InputError(f"pupils/{path.name} is not saved as UTF-8 text: nothing was changed") from None


def read_source(school: Path, path: Path) -> ImportFile:
    """A CTF (XML) or a CSV export, told apart by content; a CSV is read through the school's saved mapping."""
    path = Path(path)
    with open_export(path) as stream:
        start = stream.read(64).lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if start.startswith(b"<") or path.suffix.casefold() == ".xml":
        return ctf.read_ctf(path)
    mapping = mis_csv.load_mapping(school)
    if mapping is None:
        raise InputError(
            f"{Path(school).name} has no column mapping for CSV exports yet ({mis_csv.MAPPING_FILE}): "
            f"make it once with packgen import --map {school} {path}, or on the web page's Import tab"
        )
    return mis_csv.read_csv(path, mapping)
