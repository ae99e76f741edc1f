"""A record file's text, edited the way office staff would: their comments, key order and quoting kept.

The page and hand editing are meant to be mixed, so a record is read with ruamel.yaml's round-trip
mode and only the keys a form changed are touched; everything else is written back as it was, down
to the layout of lines the change did not touch (``updated_text``). New keys go where the record's
model declares them, and new long text is folded as the demo records fold it. Checking a change and
writing it to disk are ``record_saving``'s job.
"""

from __future__ import annotations

import io
import textwrap
import types
import typing
from collections.abc import Mapping
from difflib import SequenceMatcher
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

FOLD_AT = 96  # new long text is folded like the demo records: lines of about 100 characters


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
    text = text_of(path.read_bytes())
    return text, parse(text)


def parse(text: str) -> CommentedMap:
    return _yaml().load(text) or CommentedMap()


def text_of(data: bytes) -> str:
    """A record file's bytes as text (a byte-order mark some editors write is dropped)."""
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
