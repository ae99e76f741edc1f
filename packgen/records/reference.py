"""The record format as a document, written from the models themselves so it cannot drift from them.

``docs/records.md`` is this module's output (``make docs``); a test fails when the two differ.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.school_file import SchoolFile

INTRO = """\
# The record format

A school is one folder. packgen reads it, checks every file at once, and refuses to build from a
record it cannot understand: each problem is reported as `file:line: key: what is wrong`.

```
data/<school>/
  school.yaml                 the school (one file)
  providers/<provider>.yaml   one per provider; the file name is its id
  pupils/<pupil>.yaml         one per pupil in alternative provision; the file name is its id
  evidence/                   scans the records point to (signed agreements, returned letters)
```

Rules that hold everywhere:

- Unknown keys are refused, with the nearest known key suggested: a typo never passes silently.
- Dates are written `YYYY-MM-DD`; times of day `"HH:MM"` (24-hour, in quotes).
- Evidence paths are relative to the school folder (`evidence/p01-agreement.pdf`), never absolute.
- A pupil id (the file name) must not contain the pupil's name: it appears in file names and web addresses.
- A key marked *required* must be present; the others may be left out (or `null`), and the readiness
  check says which of them an inspector would expect.

This page is generated from `packgen/records/models.py` by `make docs`. Each section below is one kind of
mapping; a key's type names the section that describes it.
"""

ROOTS = (
    ("school.yaml", SchoolFile),
    ("providers/<provider>.yaml", Provider),
    ("pupils/<pupil>.yaml", PupilFile),
)


def records_markdown() -> str:
    """The whole record-format document, in Markdown."""
    lines = [INTRO]
    seen: set[type[BaseModel]] = set()
    for file_name, root in ROOTS:
        lines.append(f"## `{file_name}`\n")
        for model in _models_under(root, seen):
            lines.extend(_section(model, root))
    return "\n".join(lines).rstrip("\n") + "\n"


def _models_under(root: type[BaseModel], seen: set[type[BaseModel]]) -> list[type[BaseModel]]:
    """``root`` and every model its fields reach, in the order a reader meets them, each once."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        found.append(model)
        for info in model.model_fields.values():
            for inner in _inner_models(info.annotation):
                visit(inner)

    visit(root)
    return found


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _inner_models(arg)]


def _section(model: type[BaseModel], root: type[BaseModel]) -> list[str]:
    title = "The file itself" if model is root else f"`{model.__name__}`"
    lines = [f"### {title}\n"]
    doc = (model.__doc__ or "").strip()
    if doc and not doc.startswith(("Usage docs", "!!!")):
        lines.append(" ".join(doc.split()) + "\n")
    lines.append("| key | type | required | default |")
    lines.append("| --- | --- | --- | --- |")
    for name, info in model.model_fields.items():
        key = info.alias or name
        required = "yes" if info.is_required() else ""
        default = "" if info.is_required() else _default(info)
        lines.append(f"| `{key}` | {_type(info.annotation)} | {required} | {default} |")
    lines.append("")
    return lines


def _default(info: FieldInfo) -> str:
    value = info.get_default(call_default_factory=True)
    if value is None or value == [] or value == {}:
        return ""
    if isinstance(value, BaseModel):
        return "see its section"
    return f"`{value}`"


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        return " or ".join(_type(a) for a in kept)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return f"`{annotation.__name__}`"
        return {
            str: "text",
            int: "whole number",
            float: "number",
            bool: "yes/no (`true`/`false`)",
            date: "date (YYYY-MM-DD)",
        }.get(annotation, annotation.__name__)
    return str(annotation)
