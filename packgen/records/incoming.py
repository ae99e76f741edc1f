"""Pupils' details as a school's MIS hands them over, before they meet packgen's records.

A Common Transfer File (ctf.py) and a CSV export (mis_csv.py) are both read into ``Incoming`` pupils,
already in packgen's words (``female``, ``White - Irish``, ``mother``), so merge.py compares like with
like. A value the file does not hold is None: absent and empty mean the same, and neither ever clears
what the records say.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import yaml

from packgen.errors import InputError
from packgen.files import NotReadable, open_regular, read_regular
from packgen.records.upn import upn_problem
from packgen.records.yaml_tree import SAFE_LOADER

MAX_FILE_BYTES = 200_000_000  # a whole school's CTF with attendance runs to tens of megabytes
MAX_PUPILS = 20_000  # more than the largest school in England


@dataclass
class Contact:
    name: str
    relationship: str | None = None
    phones: list[str] = field(default_factory=list)  # the one to ring first comes first
    email: str | None = None
    responsible: bool | None = None


@dataclass
class Incoming:
    """One pupil as the file holds them. ``where`` says how to find them in the file (``pupil 3``)."""

    upn: str
    where: str
    legal_forename: str | None = None
    legal_surname: str | None = None
    preferred_name: str | None = None
    dob: date | None = None
    gender: str | None = None
    year_group: int | None = None
    ethnicity: str | None = None
    address: str | None = None
    home_phone: str | None = None
    sen: str | None = None  # N, K or E
    lac: bool | None = None
    lac_la: str | None = None
    contacts: list[Contact] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.legal_forename, self.legal_surname) if p) or "(no name)"


@dataclass
class ImportFile:
    path: Path
    kind: str  # "CTF" or "CSV"
    pupils: list[Incoming]
    warnings: list[str] = field(default_factory=list)
    version: str | None = None


@functools.cache
def codes() -> dict:
    """The DfE code lists (package data: codes/dfe.yaml)."""
    return yaml.load(
        resources.files("packgen.records").joinpath("codes/dfe.yaml").read_text("utf-8"), Loader=SAFE_LOADER
    )


def words_code(table: str, text: str | None) -> str | None:
    """The code whose words (``sen_words``, ``sex_words``...) include ``text``, compared without case."""
    if text is None:
        return None
    wanted = text.strip().casefold()
    return next((code for code, words in codes()[table].items() if wanted in (w.casefold() for w in words)), None)


def relationship_codes(text: str | None) -> set[str]:
    """Every relationship code that ``text`` (a record's or an export's word, or a code) may mean."""
    if not text:
        return set()
    wanted = text.strip().casefold()
    found = {c for c, word in codes()["relationship"].items() if wanted in (c.casefold(), word.casefold())}
    found |= {c for c, words in codes()["relationship_words"].items() if wanted in (w.casefold() for w in words)}
    return found


def yes_no(text: str | None) -> bool | None:
    if text is None:
        return None
    wanted = text.strip().casefold()
    if wanted in codes()["yes_words"]:
        return True
    if wanted in codes()["no_words"]:
        return False
    return None


def clean(text: str | None) -> str | None:
    """Text with runs of white space made one space; None for nothing at all."""
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def phone_digits(phone: str | None) -> str:
    """A phone number reduced to what identifies it: ``+44 7700 900101`` and ``07700900101`` are one."""
    digits = re.sub(r"\D", "", phone or "")
    return "0" + digits[2:] if digits.startswith("44") and len(digits) > 10 else digits


def name_words(name: str | None) -> list[str]:
    """A name's words without case, accents kept, punctuation dropped: for matching people, not showing them."""
    text = unicodedata.normalize("NFC", name or "").casefold()
    return re.sub(r"[^\w\s'-]|[&]", " ", text).replace("'", "").split()


def year_from_text(text: str | None) -> int | None:
    """A year group from ``10``, ``Year 10``, ``Y10``, ``R`` (reception, 0) or ``N1``/``N2`` (nursery, -1)."""
    if text is None:
        return None
    value = text.strip().upper().removeprefix("YEAR").removeprefix("Y").strip()
    if value == "R":
        return 0
    if value in ("N1", "N2"):
        return -1
    return int(value) if value.isdigit() and int(value) <= 14 else None


def check_upns(pupils: list[Incoming], source: Path) -> None:
    """Refuse a file where any pupil's UPN is missing, invalid or given twice, naming each one."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for pupil in pupils:
        if not pupil.upn:
            problems.append(f"{pupil.where} has no UPN")
        elif problem := upn_problem(pupil.upn):
            problems.append(f"{pupil.where}: {problem}")
        elif pupil.upn in seen:
            problems.append(f"{pupil.where} has the UPN {pupil.upn} of {seen[pupil.upn]} too")
        else:
            seen[pupil.upn] = pupil.where
    if problems:
        shown = "\n  ".join(problems[:50]) + (f"\n  ...and {len(problems) - 50} more" if len(problems) > 50 else "")
        raise InputError(
            f"{source.name}: pupils are matched by UPN, and {len(problems)} "
            f"{'is' if len(problems) == 1 else 'are'} not usable (nothing was changed):\n  {shown}"
        )


def _too_big(size: int) -> str:
    return f"is over {MAX_FILE_BYTES // 1_000_000} MB: is it the right file?"


def read_export(path: Path) -> bytes:
    """The whole of an export; InputError naming the file unless it is an ordinary file of a sensible size
    (a pipe or a device would block or never end)."""
    try:
        return read_regular(path, MAX_FILE_BYTES, _too_big)
    except NotReadable as exc:
        raise InputError(f"{path}: {exc.reason}") from None


@contextmanager
def open_export(path: Path) -> Iterator[BinaryIO]:
    """An export open for streaming, refused as ``read_export`` refuses."""
    try:
        with open_regular(path, MAX_FILE_BYTES, _too_big) as stream:
            yield stream
    except NotReadable as exc:
        raise InputError(f"{path}: {exc.reason}") from None
