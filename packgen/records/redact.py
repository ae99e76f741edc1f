"""A redacted copy of a school's records, for a pack that goes beyond the school.

Pupils' names become initials, and their date of birth, ethnicity and every contact detail (parents'
names, phones and e-mails, the adults around them) are dropped. Scans attached as evidence cannot be
redacted, so a redacted school carries none. Everything else — placements, reviews, visits, findings —
stays, so the pack still shows how each placement is run.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from packgen.errors import Problem
from packgen.records.pupil_file import KeyAdults, PupilFile
from packgen.records.school_data import SchoolData


def redact(data: SchoolData) -> SchoolData:
    """``data`` with every pupil made anonymous and no evidence scans; the original is untouched."""
    pupils = {pupil_id: _redact_pupil(record) for pupil_id, record in data.pupils.items()}
    providers = {
        pid: p.model_copy(update={"assurance": p.assurance.model_copy(update={"evidence": None})})
        for pid, p in data.providers.items()
    }
    return data.model_copy(update={"pupils": pupils, "providers": providers})


def initials(name: str) -> str:
    """'Chloé' -> 'C.', "O'Brien-Nowak" -> 'O.-N.': one letter per part, so a double-barrelled name stays recognisable
    to the school but tells nobody else who the child is."""
    parts = [part for part in name.replace("-", " - ").split() if part]
    return "".join("-" if part == "-" else f"{part[0].upper()}." for part in parts)


def _redact_pupil(record: PupilFile) -> PupilFile:
    details = record.pupil
    forename, surname = initials(details.legal_forename), initials(details.legal_surname)
    # Staff write the child's name into free text ("Chlo said she feels safe"): replace it there too.
    # Case-sensitive, because a name is written with its capital and "Will" must not eat "will".
    replacement = {
        details.full_name: f"{forename} {surname}",
        details.legal_surname: surname,
        details.legal_forename: forename,
    }
    if details.preferred_name:
        replacement.setdefault(details.preferred_name, forename)
    names = sorted(replacement, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    record = PupilFile.model_validate(_scrub(record.model_dump(mode="json", by_alias=True), pattern, replacement))
    pupil = record.pupil.model_copy(
        update={
            "legal_forename": forename,
            "legal_surname": surname,
            "preferred_name": None,
            "dob": None,
            "ethnicity": None,
            "parent_carers": [],
            "key_adults": KeyAdults(),
            "flags": record.pupil.flags.model_copy(update={"lac_la": None}),
        }
    )
    placement = record.placement.model_copy(
        update={
            "agreement": record.placement.agreement.model_copy(update={"evidence": None}),
        }
    )
    return record.model_copy(update={"pupil": pupil, "placement": placement})


def _scrub(value: Any, pattern: re.Pattern[str], by_name: dict[str, str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(lambda m: by_name[m.group(0)], value)
    if isinstance(value, list):
        return [_scrub(v, pattern, by_name) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern, by_name) for k, v in value.items()}
    return value


def ids_naming_pupils(data: SchoolData) -> list[Problem]:
    """A warning for each pupil whose id (the record's file name) holds one of the pupil's names: the id is
    in file names, folder names and web addresses, which redaction cannot reach and which travel far."""
    warnings = []
    for pupil_id, record in data.pupils.items():
        pupil = record.pupil
        words = set(_words(pupil_id))
        named = [
            name
            for name in (pupil.legal_forename, pupil.legal_surname, pupil.preferred_name)
            if name and any(len(word) > 1 and word in words for word in _words(name))
        ]
        if named:
            warnings.append(
                Problem(
                    f"pupils/{pupil_id}.yaml",
                    "",
                    f"the file's name (the pupil's id, '{pupil_id}') contains the pupil's name, and so does every "
                    f"file name and web address made from it: rename the file to an id that names nobody, such as "
                    f"{next(f'p{n:02d}' for n in range(1, len(data.pupils) + 2) if f'p{n:02d}' not in data.pupils)}",
                )
            )
    return warnings


def _words(text: str) -> list[str]:
    return [
        word
        for word in re.split(
            r"[^a-z0-9]+", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        )
        if word
    ]
