"""Problems in the words of the page: no file names, no record keys, dates as "7 September 2026".

The loader's messages are written for someone editing the YAML by hand (``placement.start_date:
'2026-13-01' is not a date (use YYYY-MM-DD)``). On the page the same problem sits beside a field
with a label, so it is said the way the form asks: "Enter a real date, for example 7 9 2026".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from packgen.errors import Problem
from packgen.web.forms import Field

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ISO_DATE = re.compile(r"'?(\d{4})-(\d{2})-(\d{2})'?")
KEY = re.compile(r"(?<![@.\w-])\b[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)+\b")
RECORD_FILE = re.compile(r"\b(pupils|providers)/([a-z0-9-]+)\.yaml\b|\bschool\.yaml\b")


def long_date(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _iso_to_words(match: re.Match) -> str:
    try:
        return long_date(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
    except ValueError:
        return match.group(0)


def key_words(key: str, labels: Mapping[str, str] | None = None) -> str:
    """``placement.target_end_date`` → "target end date" (or the form's label for it, when known)."""
    bare = re.sub(r"\[\d+\]", "", key)
    if labels and bare in labels:
        return labels[bare][:1].lower() + labels[bare][1:]
    last = bare.rsplit(".", 1)[-1]
    return {
        "dob": "date of birth",
        "upn": "UPN",
        "la": "local authority",
        "dsl": "designated safeguarding lead",
        "urn": "URN",
        "from": "start",
        "to": "end",
    }.get(last, last.replace("_", " "))


def describe_file(relative: str, names: Mapping[str, str]) -> str:
    """A record file as the office knows it: "the school settings", "the provider Bridge Learning Centre"."""
    if relative in ("school.yaml", ""):
        return "the school settings"
    folder, _, stem = relative.rstrip("/").partition("/")
    stem = stem.rsplit(".", 1)[0]
    name = names.get(relative)
    if folder == "providers":
        return f"the provider {name}" if name else f"a provider record ({stem})"
    if folder == "pupils":
        return f"the record of {name}" if name else f"a pupil record ({stem})"
    return f"the {folder} folder"


def sentence(text: str, names: Mapping[str, str], labels: Mapping[str, str] | None = None) -> str:
    """Any message with its keys, record file names and ISO dates put into words."""
    text = RECORD_FILE.sub(lambda m: describe_file(m.group(0), names), text)
    text = KEY.sub(lambda m: key_words(m.group(0), labels), text)
    text = ISO_DATE.sub(_iso_to_words, text)
    return text.replace("(use YYYY-MM-DD)", "").replace(", in quotes", "").strip()


def beside(problem: Problem, item: Field, names: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """A problem as said next to its field: what to do, in the form's own terms."""
    message, label = problem.message, item.label[:1].lower() + item.label[1:]
    if message in ("is required", "is empty") or message.startswith("is empty (it should be"):
        verb = "Choose" if item.kind in ("choice", "yesno") else "Enter"
        return f"{verb} {label}"
    if item.kind == "date" and "is not a date" in message:
        return "Enter a real date, for example 7 9 2026 (day, month, year)"
    if item.kind == "time" and "is not a time of day" in message:
        return "Enter a time such as 09:30 or 14:15 (24-hour clock)"
    if " is not one of: " in message:
        return "Choose one of the options"
    if re.search(r"should be (a |an )?(number|whole number|integer)", message):
        return "Enter a number, such as 12 or 12.5"
    return sentence(message, names, labels)


def general(problem: Problem, names: Mapping[str, str], labels: Mapping[str, str] | None = None, here: str = "") -> str:
    """A problem not beside a field: which record (unless it is the one on the form), which part, what."""
    said = sentence(problem.message, names, labels)
    part = key_words(problem.key, labels) if problem.key else ""
    if problem.file == here:
        return f"{part[:1].upper()}{part[1:]}: {said}" if part else said[:1].upper() + said[1:]
    return f"In {describe_file(problem.file, names)}{', ' + part if part else ''}: {said}"
