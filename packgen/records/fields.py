"""The field types every record file shares, the Record base and Person.

The record classes are the record format (docs/records.md is generated from them), one module per
file: school_file.py, provider_file.py, pupil_file.py. Keys keep the names office staff write in
YAML; unknown keys are refused (``extra="forbid"``) so a typo never passes silently. Every record is
frozen: once loaded, nothing downstream changes it.

Dates arrive from YAML as strings (the loader keeps them so) and are parsed here, strictly as
YYYY-MM-DD, so ``2026-13-01`` is reported as a mistake instead of crashing the YAML reader.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from packgen.records.upn import upn_problem


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("is not a date (use YYYY-MM-DD)")


def _clock_time(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        return value.strip()
    raise ValueError("is not a time of day (use HH:MM, 24-hour, in quotes)")


def _relative_path(value: str) -> str:
    """Evidence paths must name a file inside the school folder, written relative to it."""
    path = PurePosixPath(value.replace("\\", "/"))
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        raise ValueError("must be a path inside the school folder, not an absolute path")
    if ".." in path.parts:
        raise ValueError("must not use '..' to leave the school folder")
    if not path.parts:
        raise ValueError("is empty (give a path such as evidence/agreement.pdf)")
    return str(path)


def _upn(value: str) -> str:
    text = value.strip().upper()
    problem = upn_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}", value.strip()):
        raise ValueError("is not an email address (like name@school.example)")
    return value.strip()


def _phone(value: str) -> str:
    """A UK phone number as people write it: 10 or 11 digits (12 with +44), spaces, dashes, brackets."""
    digits = re.sub(r"[\s()\-.]", "", value.strip())
    if not re.fullmatch(r"(\+44|0)\d{9,10}(ext\d{1,5}|x\d{1,5})?", digits.lower()):
        raise ValueError("is not a phone number (like 01632 960101 or 07700 900121)")
    return value.strip()


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]
ClockTime = Annotated[str, BeforeValidator(_clock_time)]
RelativePath = Annotated[str, AfterValidator(_relative_path)]
Upn = Annotated[str, AfterValidator(_upn)]
Text = Annotated[str, Field(min_length=1)]
Checked = bool | Literal["not_applicable"]
Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ArrangedBy = Literal["school", "partnership", "local_authority"]


class Record(BaseModel):
    """Base of every record: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Person(Record):
    name: Text
    role: str | None = None
    email: Email | None = None
    phone: Phone | None = None
