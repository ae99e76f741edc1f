"""Editing a record file the way office staff would: their comments, key order and quoting kept.

The page and hand editing are meant to be mixed, so a record is read with ruamel.yaml's round-trip
mode and only the keys a form changed are touched; everything else is written back as it was. A
change is checked before it is saved by the same loader as ``packgen check``: the candidate file is
written into a scratch copy of the school folder and the whole folder is loaded (a new pupil's UPN
must not clash with another file, a provider id must exist). Only a file that loads is saved, and
then atomically (a temporary file beside it, renamed over it), so a reader never sees half a record.

Saving, for every form::

    text, tree, version = opened(path)        # when the form is shown; version goes in a hidden field
    ...
    def change(text):                         # when it is sent: text is the file as it is now
        ...                                   # (None if there is none); return the new text,
        return new_text                       # or None to save nothing (problems found)
    save(school, "pupils/p07.yaml", version, change)   # raises StaleEdit, SaveBusy

``save`` holds the school's edit lock from reading the file to writing it, so the check inside
``change`` sees the folder as the save leaves it. The lock is the operating system's (``flock`` on
``.packgen-edit.lock`` in the school folder), so it holds between threads, between two ``packgen
serve`` on one folder, and between computers sharing the folder where the file system passes locks
on (NFS does; a share that does not is no place for two servers). The version is a digest of the
file's bytes: if it is not the one the form was opened at, someone else (another page, another
computer, a hand edit) changed the record meanwhile, and ``StaleEdit`` says so; nothing is written.
``version=None`` skips that test (adding a review appends to whatever the file holds), and ``NEW``
means the file must not exist yet.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import shutil
import tempfile
import textwrap
import time
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from difflib import SequenceMatcher
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from packgen.errors import DataError, PackgenError, Problem, ToolError
from packgen.files import private_dirs, run_folder
from packgen.records.read import load_school

FOLD_AT = 96  # new long text is folded like the demo records: lines of about 100 characters
RECORD_PARTS = ("school.yaml", "providers", "pupils")
LOCK_FILE = ".packgen-edit.lock"  # a dot file: the loader and the scratch copy pass over it
LOCK_WAIT = 30.0  # seconds a save waits for another to finish checking and writing
NEW = "new"  # the version of a record that does not exist yet


class StaleEdit(PackgenError):
    """The record changed after the form was opened; the form's values were not saved."""

    def __init__(self) -> None:
        super().__init__(
            "This record was changed by someone else since you opened it. What you typed is "
            "still below: open the record again in another tab to see their change, then make yours."
        )


class SaveBusy(PackgenError):
    """Another save on this school held the lock for longer than a save takes."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else is saving a record of this school and it is taking a long time. "
            "Nothing was saved: send the form again in a minute."
        )


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, key order, quotes and flow style survive a load and dump
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Long lines stay as the office wrote them; ruamel would otherwise re-wrap every long value.
    yaml.width = 4096
    yaml.representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def read(path: Path) -> tuple[str, CommentedMap]:
    """A record's text and its round-trip tree (an empty mapping for an empty file)."""
    return opened(path)[:2]


def opened(path: Path) -> tuple[str, CommentedMap, str]:
    """A record's text, its round-trip tree and its version, from one read of the file."""
    data = path.read_bytes()
    text = _text_of(data)
    return text, parse(text), version_of(data)


def parse(text: str) -> CommentedMap:
    return _yaml().load(text) or CommentedMap()


def version_of(data: bytes | None) -> str:
    """Identifies one state of a file (its bytes; ``None``: no file), for a form's hidden field."""
    return NEW if data is None else hashlib.sha256(data).hexdigest()


def _text_of(data: bytes) -> str:
    return data.decode("utf-8-sig")


def dump(tree: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(tree, out)
    return out.getvalue()


def updated_text(original: str, tree: CommentedMap) -> str:
    """``tree`` written out, with every line the change did not touch exactly as in ``original``.

    ruamel keeps comments and order but not every detail of layout: a plain value continued on a second
    line, or a flow mapping split over two, comes out joined. So the edit is applied as a three-way
    merge: the lines between ruamel's rendering of the file before and after the change are put into
    the original text. Only where the office's own layout and the change touch the same lines does
    ruamel's rendering of those lines win.
    """
    before = dump(_yaml().load(original) or CommentedMap())
    after = dump(tree)
    if before == original:  # ruamel reproduces most files exactly: nothing of the layout to keep
        return after
    return "".join(_merge(before.splitlines(True), original.splitlines(True), after.splitlines(True)))


def _merge(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    """Three-way merge by lines: ``ours`` (layout) and ``theirs`` (the edit) both changed ``base``."""
    hunks = sorted(
        [
            (i1, i2, side, lines[j1:j2])
            for side, lines in (("ours", ours), ("theirs", theirs))
            for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, lines, autojunk=False).get_opcodes()
            if tag != "equal"
        ],
        key=lambda h: (h[0], h[1]),
    )
    merged, position, k = [], 0, 0
    while k < len(hunks):
        group, start, end = [hunks[k]], hunks[k][0], hunks[k][1]
        k += 1
        while k < len(hunks) and hunks[k][0] <= end:  # touching or overlapping: one region
            end = max(end, hunks[k][1])
            group.append(hunks[k])
            k += 1
        if {h[2] for h in group} == {"ours", "theirs"}:
            group = [h for h in group if h[2] == "theirs"]  # the edit wins where both changed
        merged += base[position:start]
        cursor = start
        for i1, i2, _, lines in group:
            merged += base[cursor:i1] + lines
            cursor = i2
        merged += base[cursor:end]
        position = end
    return merged + base[position:]


# ---------------------------------------------------------------- changing the tree


def set_value(tree: CommentedMap, path: tuple, value: Any, model: type[BaseModel]) -> None:
    """Put ``value`` at ``path`` (keys as written in YAML), creating mappings on the way.

    ``None`` removes the key, and with it any mapping left empty. A value equal to what is there is left
    alone, so a folded paragraph or a quoted date the office wrote keeps its form. New keys go where
    the record's model declares them, not at the end.
    """
    *parents, last = path
    node, models = tree, list[type[BaseModel] | None]([model])  # a key may hold no record: None
    trail: list[tuple[CommentedMap, str]] = []
    for key in parents:
        child = node.get(key)
        if not isinstance(child, CommentedMap):
            if value is None:
                return
            child = CommentedMap()
            _insert(node, key, child, models[-1])
        trail.append((node, key))
        node = child
        models.append(field_model(models[-1], key))
    if value is None:
        if last in node:
            del node[last]
        for parent, key in reversed(trail):  # an emptied optional group would only fail validation
            if parent[key]:
                break
            del parent[key]
        return
    if last in node and _same(node[last], value):
        return
    _insert(node, last, to_node(value), models[-1])


def append(tree: CommentedMap, key: str, item: Mapping[str, Any], model: type[BaseModel]) -> int:
    """Add ``item`` to the end of the list at ``key``; returns its index."""
    items = tree.get(key)
    if not isinstance(items, CommentedSeq):
        items = CommentedSeq()
        _insert(tree, key, items, model)
    node = to_node(item)
    if items:
        _move_trailing_comment(items[-1], node)
    items.append(node)
    return len(items) - 1


def to_node(value: Any) -> Any:
    """Plain data → what ruamel writes in the house style: long text folded, multi-line text as a block."""
    if isinstance(value, (CommentedMap, CommentedSeq)):
        return value  # already shaped (a flow-style session, say)
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = to_node(item)
        return node
    if isinstance(value, (list, tuple)):
        return CommentedSeq(to_node(v) for v in value)
    if isinstance(value, str):
        return _text(value)
    return value


def flow(mapping: Mapping[str, Any], quoted: tuple[str, ...] = ()) -> CommentedMap:
    """A short mapping written on one line (``{day: Mon, from: "09:30", to: "14:30"}``), as the demo writes
    sessions; the ``quoted`` keys in double quotes, as times must be."""
    node = CommentedMap(
        (k, DoubleQuotedScalarString(v) if k in quoted and isinstance(v, str) else v) for k, v in mapping.items()
    )
    node.fa.set_flow_style()
    return node


def _text(value: str) -> str:
    if "\n" in value:
        return LiteralScalarString(value.rstrip("\n") + "\n")
    if len(value) <= FOLD_AT or "  " in value or value != value.strip():
        return value  # folding would change text with double spaces or edge spaces
    folded = FoldedScalarString(value)
    folded.fold_pos = _fold_points(value)
    return folded


def _fold_points(value: str) -> list[int]:
    points, start = [], 0
    for line in textwrap.wrap(value, FOLD_AT, break_long_words=False, break_on_hyphens=False)[:-1]:
        start = value.index(line, start) + len(line)
        points.append(start)  # the space after this line: YAML folds it back into one space
        start += 1
    return points


def _same(existing: Any, value: Any) -> bool:
    if isinstance(existing, Mapping) and isinstance(value, Mapping):
        return existing.keys() == value.keys() and all(_same(existing[k], value[k]) for k in existing)
    if isinstance(existing, list) and isinstance(value, list):
        return len(existing) == len(value) and all(_same(a, b) for a, b in zip(existing, value))
    if isinstance(existing, str) and isinstance(value, str):
        return existing.strip() == value.strip()
    if isinstance(existing, bool) or isinstance(value, bool):
        return existing is value
    return (type(existing) is type(value) and existing == value) or (
        isinstance(existing, (int, float)) and isinstance(value, (int, float)) and existing == value
    )


def _insert(node: CommentedMap, key: str, value: Any, model: type[BaseModel] | None) -> None:
    if key in node:
        node[key] = value
        return
    order = _keys(model) if model else []
    rank = order.index(key) if key in order else len(order)
    position = len(node)
    for index, existing in enumerate(node):
        if existing in order and order.index(existing) > rank:
            position = index
            break
    node.insert(position, key, value)


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def field_model(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    """The record type of ``model``'s key ``key``, looking through Optional, Annotated and lists."""
    if model is None:
        return None
    info = next((i for n, i in model.model_fields.items() if (i.alias or n) == key), None)
    annotation = info.rebuild_annotation() if info else None
    while annotation is not None:
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        if origin is Annotated or origin is list:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), None)
        else:
            return None
    return None


# ---------------------------------------------------------------- checking and saving


def problems_with(school: Path, relative: str, text: str, scratch_root: Path) -> list[Problem]:
    """Every problem ``packgen check`` would report if ``relative`` held ``text``; empty when it loads."""
    with _scratch_copy(school, scratch_root) as copy:
        target = copy / relative
        private_dirs(target.parent)
        target.write_text(text, encoding="utf-8")
        try:
            load_school(copy)
        except DataError as error:
            return error.problems
    return []


@contextmanager
def _scratch_copy(school: Path, scratch_root: Path) -> Iterator[Path]:
    """A private copy of the records (and their evidence, which the loader checks exists)."""
    # Owner-only, and the folders above it that are made for it too (the output folder, on a first run).
    private_dirs(scratch_root)
    with run_folder(".checking-", scratch_root) as holder:
        copy = holder / school.name
        private_dirs(copy)
        for entry in school.iterdir():
            if entry.name in RECORD_PARTS and entry.is_dir():
                shutil.copytree(entry, copy / entry.name)
            elif entry.name in RECORD_PARTS:
                shutil.copy2(entry, copy / entry.name)
            elif entry.is_dir() and not entry.name.startswith("."):
                # Evidence scans can be large: link them where the file system allows, copy otherwise.
                shutil.copytree(entry, copy / entry.name, copy_function=_link_or_copy)
        yield copy


def _link_or_copy(source: str, dest: str) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def save(school: Path, relative: str, version: str | None, change: Callable[[str | None], str | None]) -> bool:
    """Change the record ``relative`` (``pupils/p07.yaml``) of ``school``; True if something was written.

    See the module's description: ``change`` gets the file's text as it is under the lock and returns
    the text to write, or None to write nothing. Raises ``StaleEdit`` when ``version`` is not the file's
    version now, ``SaveBusy`` when the lock is not free within ``LOCK_WAIT`` seconds.
    """
    path = school / relative
    with edit_lock(school):
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        if version is not None and version != version_of(data):
            raise StaleEdit()
        text = change(None if data is None else _text_of(data))
        if text is None:
            return False
        write_atomically(path, text)
        return True


@contextmanager
def edit_lock(school: Path) -> Iterator[None]:
    """The school's edit lock, held by one thread of one process at a time (each holder opens the
    file itself: an flock belongs to an open file, so two threads of one process exclude each other too)."""
    try:
        handle = os.open(school / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise ToolError(
            f"cannot save in {school}: {error.strerror} (the page needs to write to the school folder)"
        ) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EACCES) or time.monotonic() > deadline:
                    raise SaveBusy() from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)  # closing the file releases the lock


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, on disk before returning.

    A new file is readable by its owner only, in a folder made owner-only; a file that exists keeps
    its mode, so a record a colleague may also open by hand stays open to them. The temporary file's
    name starts with a dot, which the loader skips, so a crash cannot leave a second record behind.
    """
    private_dirs(path.parent)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is on disk too
    finally:
        os.close(directory)


def _move_trailing_comment(old: Any, new: Any) -> None:
    """Keep a list's closing blank lines and comments at its end when an item is added after the last.

    ruamel keeps what follows a list's last line as a comment on that item's last key, so a new item
    would land below the blank line that separated the list from the next key. The last line's own
    comment stays where it is; only the lines after it move to the new item.
    """
    source, target = _last_slot(old), _last_slot(new)
    if source is None or target is None:
        return
    holder, key, slot = source
    slots = holder.ca.items.get(key)
    token = slots[slot] if slots else None
    if token is None or "\n" not in token.value:
        return
    own, rest = token.value.split("\n", 1)
    if not rest:
        return
    token.value = own + "\n"
    holder, key, slot = target
    fresh = CommentToken("\n" + rest, CommentMark(0), None)
    holder.ca.items[key] = [None, None, fresh, None] if slot == 2 else [fresh, None]


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """Where the comment after a node's last line is kept: (container, key or index, slot)."""
    while True:
        if isinstance(node, CommentedMap) and node:
            key = next(reversed(node))
            if isinstance(node[key], (CommentedMap, CommentedSeq)) and node[key]:
                node = node[key]
                continue
            return node, key, 2
        if isinstance(node, CommentedSeq) and node:
            if isinstance(node[-1], (CommentedMap, CommentedSeq)) and node[-1]:
                node = node[-1]
                continue
            return node, len(node) - 1, 0
        return None
