"""One YAML record file read into plain data, every key with its line.

- The tree is built from the parser's events rather than composed: composing recurses (libyaml's
  composer crashes the interpreter on deeply nested input), events come one at a time, so depth is
  capped, every key keeps its line, and a duplicate key is caught instead of silently winning.
- Aliases (``*name``) are refused, and with them merge keys: records never need them, and refusing
  them rules out alias bombs.
- Plain scalars follow YAML 1.2's core schema, not PyYAML's 1.1: ``2026-13-01`` stays text for the
  models to explain (a timestamp resolver would crash), ``14:30`` stays a time (not 870), a phone
  number ``01234567`` stays text (not octal), and ``no`` stays text (pydantic still reads yes/no
  as a boolean where one is expected).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from packgen.errors import Problem

MAX_DEPTH = 32  # records nest about five deep

# libyaml's parser where PyYAML was built with it (its wheels and Debian's are): the same data as the
# pure-Python loaders give, about ten times as fast. For the YAML packgen ships, and labels.yaml.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEXT_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # every value read as text

# Only the parser is used: its events are turned into data here, so no constructor or resolver runs.
_Parser = SAFE_LOADER
_CORE = "tag:yaml.org,2002:"
_PLAIN = re.compile(
    r"""(?P<null>~|null|Null|NULL|)
    | (?P<bool>true|True|TRUE|false|False|FALSE)
    | (?P<int>[-+]?(?:0|[1-9][0-9]*))
    | (?P<float>[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)""",
    re.VERBOSE,
)
_CONVERT: dict[str, Callable[[str], Any]] = {
    "str": str,
    "null": lambda _: None,
    "bool": lambda v: {"true": True, "false": False}[v.lower()],
    "int": int,
    "float": float,
}
_NO_KEY, _BAD_KEY, _REFUSED = object(), object(), object()


def _scalar(event: yaml.ScalarEvent) -> Any:
    """A scalar's value under YAML 1.2's core schema; _REFUSED for a tag records never use."""
    tag = event.tag
    if tag is None:
        match = _PLAIN.fullmatch(event.value) if event.implicit[0] else None
        kind = (match.lastgroup if match else None) or "str"
    elif tag == "!":
        kind = "str"
    elif tag.startswith(_CORE) and tag[len(_CORE) :] in _CONVERT:
        kind = tag[len(_CORE) :]
    else:
        return _REFUSED
    try:
        return _CONVERT[kind](event.value)
    except (KeyError, ValueError):  # ``!!int many``: left as text for the models to explain
        return event.value


def _tag_name(tag: str) -> str:
    """A tag as people write it: ``!!timestamp`` rather than ``tag:yaml.org,2002:timestamp``."""
    return tag.replace(_CORE, "!!", 1)


@dataclass(slots=True)
class _Frame:
    """An open mapping (``key`` is what awaits a value) or list (``key`` is None).
    ``path`` is None inside a value being thrown away."""

    container: dict | list
    path: tuple | None
    key: Any
    key_line: int = 0
    is_key: bool = False


@dataclass
class Tree:
    """What one YAML file holds: plain data, the line of every key path, and what was wrong."""

    file: str
    data: Any = None
    lines: dict[tuple, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    usable: bool = True  # False when the data cannot be trusted enough to validate

    def refuse(self, path: tuple | None, message: str, line: int | None) -> None:
        self.problems.append(Problem(self.file, key_text(path or ()), message, line))
        self.usable = False

    def attach(self, stack: list[_Frame], value: Any, line: int) -> tuple | None:
        """Put a value where the parser is; return its key path, or None when it is thrown away."""
        if not stack:
            self.data, self.lines[()] = value, line
            return ()
        frame = stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
            return None if frame.path is None else frame.path + (len(frame.container) - 1,)
        key, frame.key = frame.key, _NO_KEY
        if key is _BAD_KEY or frame.path is None:
            return None
        path = frame.path + (key,)
        if key in frame.container:
            self.problems.append(
                Problem(
                    self.file,
                    key_text(path),
                    f"is given twice (lines {self.lines[path]} and {frame.key_line}): keep one",
                    frame.key_line,
                )
            )
            return None
        frame.container[key] = value
        self.lines[path] = frame.key_line
        return path


def parse(text: str, file: str) -> Tree:
    """``text`` (the file ``file``) as plain data with the line of every key, and what is wrong with it."""
    tree = Tree(file)
    stack: list[_Frame] = []
    documents, aliased = 0, False
    try:
        for event in yaml.parse(text, Loader=_Parser):
            kind = type(event)
            waiting = stack[-1] if stack and stack[-1].key is _NO_KEY else None  # a mapping awaiting its next key
            line = event.start_mark.line + 1
            if kind is yaml.ScalarEvent:
                if waiting:
                    waiting.key, waiting.key_line = event.value, line  # keys stay as written: `1:` is the key '1'
                elif (value := _scalar(event)) is _REFUSED:
                    tree.refuse(
                        tree.attach(stack, None, line), f"uses the YAML tag {_tag_name(event.tag)}: remove it", line
                    )
                else:
                    tree.attach(stack, value, line)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                is_map = kind is yaml.MappingStartEvent
                container: dict | list = {} if is_map else []
                if waiting:
                    tree.refuse(None, "has a list or a set of keys where a key name should be", line)
                    stack.append(_Frame(container, None, _NO_KEY if is_map else None, is_key=True))
                else:
                    path = tree.attach(stack, container, line)
                    if event.tag not in (None, "!", _CORE + ("map" if is_map else "seq")):
                        tree.refuse(path, f"uses the YAML tag {_tag_name(event.tag)}: remove it", line)
                    stack.append(_Frame(container, path, _NO_KEY if is_map else None))
                if len(stack) > MAX_DEPTH:
                    tree.refuse(None, f"is nested more than {MAX_DEPTH} levels deep: is it the right file?", line)
                    break
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                if stack.pop().is_key:
                    stack[-1].key = _BAD_KEY
            elif kind is yaml.AliasEvent:
                if waiting:
                    waiting.key, path = _BAD_KEY, None
                else:
                    path = tree.attach(stack, None, line)
                if not aliased:  # once is enough: an alias bomb repeats them by the thousand
                    tree.refuse(path, f"uses a YAML alias (*{event.anchor}): write the value out in full", line)
                aliased = True
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    tree.refuse(
                        None,
                        "holds more than one YAML document (a line '---' or '...' splits it): keep one record per file",
                        line,
                    )
                    break
    except yaml.YAMLError as exc:
        tree.problems.append(_syntax_problem(exc, text, file))
        tree.usable = False
    return tree


_SYNTAX_HINTS = {  # libyaml's words → what they usually mean in a hand-edited record
    "mapping values are not allowed": "a ': ' inside a value (put the value in quotes), or a key indented too far",
    "did not find expected key": "this line is indented differently from the keys above it",
    "did not find expected '-' indicator": "this line is indented differently from the list above it",
    "cannot start any token": "a value starts with a character YAML reserves (put the value in quotes)",
    "escape": "a backslash inside double quotes (use single quotes instead)",
    "hexdecimal": "a backslash inside double quotes (use single quotes instead)",
}


def _syntax_problem(exc: yaml.YAMLError, text: str, file: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml counts its position in bytes, so find the character itself
        found = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        line = text.count("\n", 0, found if found >= 0 else exc.position) + 1
        return Problem(file, "", f"holds a character YAML does not allow (#x{exc.character:04x}): delete it", line)
    mark, start = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    if mark is None:
        return Problem(file, "", f"is not valid YAML: {exc}")
    context, what = getattr(exc, "context", None) or "", getattr(exc, "problem", None) or str(exc)
    lines = text.splitlines()
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    if "nesting depth" in what:  # PyYAML 6.0.4 stops at 1000 levels itself, as it reads ahead of _parse
        return Problem(file, "", f"is nested more than {MAX_DEPTH} levels deep: is it the right file?", mark.line + 1)
    if "\t" in line_text[: len(line_text) - len(line_text.lstrip())] or "'\\t'" in what:
        return Problem(file, "", "is indented with a tab: indent with spaces only", mark.line + 1)
    # An unclosed bracket or quote is noticed lines later; point at where it was opened.
    if start is not None and "flow" in context:
        pair = "[]" if "sequence" in context else "{}"
        return Problem(
            file,
            "",
            f"has a '{pair[0]}' at column {start.column + 1} with no matching '{pair[1]}' "
            "(or items not separated by commas)",
            start.line + 1,
        )
    if start is not None and "quoted scalar" in context and "end of stream" in what:
        return Problem(file, "", f"has a quote at column {start.column + 1} that is never closed", start.line + 1)
    hint = next(
        (h for words, h in _SYNTAX_HINTS.items() if words in what),
        f"{what} (check the indentation, and put any value holding ': ' or ' #' in quotes)",
    )
    return Problem(file, "", f"is not valid YAML at column {mark.column + 1}: {hint}", mark.line + 1)


def key_text(path: tuple) -> str:
    """``('reviews', 1, 'date')`` → ``reviews[2].date``: list positions counted from 1, as people count."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
