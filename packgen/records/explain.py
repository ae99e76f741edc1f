"""Pydantic's validation errors said as office staff would want them: one problem per key, naming the
key as they wrote it and what would be right (``'2026-13-01' is not a date (use YYYY-MM-DD)``), with the
nearest known key suggested for a typo.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from packgen.errors import Problem
from packgen.records.yaml_tree import Tree, key_text


def quoted(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a set of keys"
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    return f"'{text[:57]}...'" if len(text) > 60 else f"'{text}'"


def bare(annotation: Any) -> Any:
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


def is_model(annotation: Any) -> bool:
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
        annotation = bare(annotation)
        if _is_union(annotation):
            continue
        path.append(part)
        if is_model(annotation):
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
    annotation = bare(annotation)
    if annotation is bool:
        return ["true", "false"]
    if typing.get_origin(annotation) is Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if _is_union(annotation):
        return [c for arm in typing.get_args(annotation) if arm is not type(None) for c in _choices(arm)]
    if is_model(annotation) or typing.get_origin(annotation) is dict:
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
        return f"should be {expected}, not {quoted(value)}"
    hint = " (put it in quotes)" if expected == "text" and isinstance(value, (int, float)) else ""
    return f"{quoted(value)} should be {expected}{hint}"


def suggest(wanted: str, known: list[str], listing: str) -> str:
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
        return f"is not a known key ({suggest(str(error['loc'][-1]).lower(), known, 'the keys here are')})"
    if kind == "literal_error":
        return f"{quoted(value)} is not one of: {', '.join(_choices(annotation))}"
    if kind == "value_error":
        said = str(ctx.get("error", ""))
        return said if said.startswith("'") else f"{quoted(value)} {said}"
    if kind == "string_too_short":
        return "is empty"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        limit = ctx[bound]
        return f"{quoted(value)} should be {words} {format(limit, 'g') if isinstance(limit, float) else limit}"
    if kind == "string_pattern_mismatch":
        return f"{quoted(value)} is not in the right form ({_PATTERNS.get(ctx.get('pattern'), 'check it')})"
    return _wrong_type(value, annotation)


def explain(model: type[BaseModel], errors: Sequence[Mapping[str, Any]], tree: Tree) -> Iterator[Problem]:
    """One problem per key path; several errors at one path are the arms of a union, said as one."""
    by_path: dict[tuple, list] = defaultdict(list)
    for error in errors:
        path, annotation, owner = _locate(model, error["loc"])
        by_path[path].append((error, annotation, owner))
    for path, found in by_path.items():
        error, annotation, owner = found[0]
        message = _message(error, annotation, owner) if len(found) == 1 else _wrong_type(error.get("input"), annotation)
        yield Problem(tree.file, key_text(path), message, line_of(tree.lines, path))


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of a key, or of the nearest enclosing key when it is missing."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
