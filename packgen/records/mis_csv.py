"""An MIS's CSV export read into ``Incoming`` pupils, through the school's saved column mapping.

There is no standard export: SIMS, Arbor and Bromcom each name and order their columns their own way,
and dates may be day-first or month-first. So a school says once which column holds what
(``imports/csv-mapping.yaml`` in its folder, made by ``packgen import --map`` or the web page, which
start from a guess made from the headings), and every later export is read through it, whatever
order its columns come in.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from packgen.errors import InputError
from packgen.files import NotReadable, read_regular, write_private
from packgen.records.incoming import (
    MAX_PUPILS,
    Contact,
    ImportFile,
    Incoming,
    check_upns,
    clean,
    codes,
    read_export,
    words_code,
    year_from_text,
    yes_no,
)

MAPPING_FILE = "imports/csv-mapping.yaml"
MAPPING_MAX_BYTES = 1_000_000  # a mapping is a few hundred bytes: anything near this is the wrong file
DATE_FORMATS = {"DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y", "YYYY-MM-DD": "%Y-%m-%d"}

# What each packgen field is called in exports, for the first guess (compared without case or spaces).
FIELDS = {
    "upn": ["upn", "unique pupil number"],
    "legal_forename": ["legal forename", "forename", "first name", "legal first name", "given name"],
    "legal_surname": ["legal surname", "surname", "last name", "family name", "legal last name"],
    "preferred_name": ["preferred forename", "preferred name", "known as", "preferred first name"],
    "dob": ["dob", "date of birth", "birth date"],
    "gender": ["gender", "sex"],
    "year_group": ["year", "year group", "nc year", "ncyear actual", "national curriculum year"],
    "ethnicity": ["ethnicity", "ethnic group", "ethnicity description"],
    "ethnicity_code": ["ethnicity code", "ethnic code"],
    "sen": ["sen status", "sen provision", "sen", "send status"],
    "in_care": ["in care", "looked after", "lac", "cla"],
    "care_authority": ["care authority", "la of care", "looked after by"],
    "home_phone": ["home telephone", "home phone", "telephone", "phone"],
}
ADDRESS = [
    "address 1",
    "address 2",
    "address 3",
    "address line 1",
    "address line 2",
    "address line 3",
    "street",
    "locality",
    "town",
    "postcode",
    "post code",
]
CONTACT_FIELDS = {
    "name": ["name", "full name"],
    "relationship": ["relationship"],
    "responsible": ["parental responsibility", "responsible", "pr"],
    "phone": ["mobile", "mobile phone", "telephone", "phone"],
    "email": ["email", "e-mail", "email address"],
}
_CONTACT = re.compile(r"^(?:contact|parent|carer)\s*(\d+)\s*(.*)$")


@dataclass
class Mapping:
    """Which heading holds each field; ``address`` lists headings joined in order."""

    columns: dict[str, str] = field(default_factory=dict)
    address: list[str] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)
    dates: str = "DD/MM/YYYY"

    def as_data(self) -> dict:
        return {"dates": self.dates, "columns": self.columns, "address": self.address, "contacts": self.contacts}


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", heading.casefold()).split())


def guess_mapping(headings: list[str]) -> Mapping:
    """A first mapping from the headings alone, for a person to confirm: never used unconfirmed."""
    keys = {_key(h): h for h in headings}
    mapping = Mapping()
    for name, spellings in FIELDS.items():
        found = next((keys[s] for s in spellings if s in keys), None)
        if found:
            mapping.columns[name] = found
    mapping.address = [keys[s] for s in ADDRESS if s in keys]
    contacts: dict[int, dict[str, str]] = {}
    for key, heading in keys.items():
        if match := _CONTACT.match(key):
            part = next((n for n, spellings in CONTACT_FIELDS.items() if match.group(2) in spellings), None)
            if part:
                contacts.setdefault(int(match.group(1)), {}).setdefault(part, heading)
    mapping.contacts = [contacts[n] for n in sorted(contacts) if "name" in contacts[n]]
    return mapping


def _mapping_too_big(size: int) -> str:
    return f"is {size:,} bytes, far bigger than a column mapping (a few hundred)"


def load_mapping(school: Path) -> Mapping | None:
    path = Path(school) / MAPPING_FILE
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(read_regular(path, MAPPING_MAX_BYTES, _mapping_too_big).decode("utf-8-sig"))
    except NotReadable as exc:
        raise InputError(f"{path}: {exc.reason}: make it again with packgen import --map") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read ({exc}): fix it, or make it again with packgen import --map") from None
    wrong = _mapping_problem(data)
    if wrong:
        raise InputError(f"{path}: {wrong}: fix it, or make it again with packgen import --map")
    return Mapping(
        columns=data.get("columns") or {},
        address=data.get("address") or [],
        contacts=data.get("contacts") or [],
        dates=data.get("dates") or "DD/MM/YYYY",
    )


def _mapping_problem(data: object) -> str | None:
    if not isinstance(data, dict):
        return "should hold the keys columns, address, contacts and dates"
    columns, contacts = data.get("columns") or {}, data.get("contacts") or []
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        return "columns should name one heading for each field"
    if unknown := sorted(set(columns) - set(FIELDS)):
        return f"columns: '{unknown[0]}' is not a field packgen imports (they are: {', '.join(FIELDS)})"
    if "upn" not in columns:
        return "columns: upn is required (pupils are matched by UPN)"
    if not isinstance(data.get("address") or [], list):
        return "address should be a list of headings"
    if not isinstance(contacts, list) or not all(isinstance(c, dict) and "name" in c for c in contacts):
        return "contacts should be a list, each with at least a name heading"
    if (data.get("dates") or "DD/MM/YYYY") not in DATE_FORMATS:
        return f"dates should be one of {', '.join(DATE_FORMATS)}"
    return None


def save_mapping(school: Path, mapping: Mapping) -> Path:
    wrong = _mapping_problem(mapping.as_data())
    if wrong:
        raise InputError(f"the column mapping cannot be saved: {wrong}")
    path = Path(school) / MAPPING_FILE
    text = (
        "# Which column of the MIS's CSV export holds what, by its heading in the first row.\n"
        "# Made with packgen import --map; edit it by hand if the export changes.\n"
        + yaml.safe_dump(mapping.as_data(), sort_keys=False, allow_unicode=True)
    )
    write_private(path, text.encode("utf-8"))
    return path


def _decode(path: Path) -> str:
    data = read_export(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2].count(b"\x00"):
        raise InputError(
            f"{path.name} is saved as UTF-16 ('Unicode text'): save it again as 'CSV UTF-8 "
            "(comma delimited)' and import that"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path.name} is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02X}, as a "
            "file saved as Windows 'ANSI' or Latin-1 would): save it again as 'CSV UTF-8 (comma "
            "delimited)' so names such as Zoë and Łukasiewicz come through"
        ) from None


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = _decode(path)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headings = [h.strip() for h in next(reader, [])]
        rows = []
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > MAX_PUPILS:
                raise InputError(f"{path.name} has more than {MAX_PUPILS} rows: is it the right file?")
    except csv.Error as exc:
        raise InputError(f"{path.name} is not a readable CSV file (line {reader.line_num}: {exc})") from None
    if not headings or not any(headings):
        raise InputError(f"{path.name} is empty: export the pupils again, with headings in the first row")
    return headings, rows


def read_headings(path: Path) -> list[str]:
    return _rows(path)[0]


def read_csv(path: Path, mapping: Mapping) -> ImportFile:
    """Every pupil row in the export ``path``, read through ``mapping``."""
    headings, rows = _rows(path)
    result = ImportFile(path=path, kind="CSV", pupils=[])
    where = {h: i for i, h in enumerate(headings)}
    if mapping.columns["upn"] not in where:
        raise InputError(
            f"{path.name} has no column '{mapping.columns['upn']}', which the column mapping says holds "
            f"the UPN. Its headings are: {', '.join(headings)}. Check it is the right export, or "
            "make the mapping again with packgen import --map"
        )
    wanted = [
        *mapping.columns.items(),
        *(("address", h) for h in mapping.address),
        *((f"contact {i} {part}", h) for i, c in enumerate(mapping.contacts, 1) for part, h in c.items()),
    ]
    for name, heading in wanted:
        if heading not in where:
            result.warnings.append(
                f"{path.name} has no column '{heading}' (for {name.replace('_', ' ')}): "
                "that is left unchanged for every pupil"
            )
    for number, row in enumerate(rows, start=2):

        def cell(heading: str | None, row: list[str] = row) -> str | None:
            index = where.get(heading) if heading else None
            return clean(row[index]) if index is not None and index < len(row) else None

        result.pupils.append(_pupil(cell, mapping, f"line {number}", result.warnings))
    check_upns(result.pupils, path)
    return result


def _pupil(cell, mapping: Mapping, line: str, warnings: list[str]) -> Incoming:
    column = mapping.columns.get
    pupil = Incoming(
        upn=(cell(column("upn")) or "").upper(),
        where=line,
        legal_forename=cell(column("legal_forename")),
        legal_surname=cell(column("legal_surname")),
        preferred_name=cell(column("preferred_name")),
        home_phone=cell(column("home_phone")),
    )
    pupil.where = f"{line} ({pupil.name})"

    def warn(message: str) -> None:
        warnings.append(f"{pupil.where}: {message}")

    if dob := cell(column("dob")):
        try:
            pupil.dob = datetime.strptime(dob, DATE_FORMATS[mapping.dates]).date()
        except ValueError:
            warn(f"DOB '{dob}' is not a date written {mapping.dates}: left unchanged")
    if sex := cell(column("gender")):
        code = words_code("sex_words", sex)
        pupil.gender = codes()["sex"].get(code) if code else None
        if pupil.gender is None:
            warn(f"gender '{sex}' is not female or male: left unchanged")
    if year := cell(column("year_group")):
        pupil.year_group = year_from_text(year)
        if pupil.year_group is None:
            warn(f"year '{year}' is not a year group packgen records: left unchanged")
    code, text = cell(column("ethnicity_code")), cell(column("ethnicity"))
    pupil.ethnicity = codes()["ethnicity"].get(code.upper()) if code else None
    if code and pupil.ethnicity is None:
        warn(f"ethnicity code '{code}' is not in packgen's list (records/codes/dfe.yaml): left unchanged")
    elif not code and text:
        pupil.ethnicity = next((t for t in codes()["ethnicity"].values() if t.casefold() == text.casefold()), text)
    if sen := cell(column("sen")):
        pupil.sen = words_code("sen_words", sen)
        if pupil.sen is None:
            warn(f"SEN status '{sen}' is not one packgen knows: left unchanged")
    if (care := cell(column("in_care"))) is not None:
        pupil.lac = yes_no(care)
    pupil.lac_la = cell(column("care_authority"))
    pupil.address = ", ".join(p for p in (cell(h) for h in mapping.address) if p) or None
    for columns in mapping.contacts:
        name = cell(columns.get("name"))
        if not name:
            continue
        relationship = cell(columns.get("relationship"))
        phone = cell(columns.get("phone"))
        pupil.contacts.append(
            Contact(
                name=name,
                relationship=relationship.casefold() if relationship else None,
                phones=[phone] if phone else [],
                email=cell(columns.get("email")),
                responsible=yes_no(cell(columns.get("responsible"))),
            )
        )
    return pupil
