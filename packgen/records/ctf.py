"""A DfE Common Transfer File (CTF) read into ``Incoming`` pupils.

- Element names follow the DfE's CTF specification (``CTfile``, ``Header/CTFversion``,
  ``CTFpupilData/Pupil``...) but suppliers differ in case (``CTFVersion``), so names are matched
  without case, and any namespace is ignored.
- The file is read as a stream (one pupil at a time, then dropped), so a whole school's CTF with
  attendance and assessment data stays small in memory.
- defusedxml reads it: a DOCTYPE, entity declarations (the "billion laughs" bomb) and external
  entities are refused before they can expand or fetch anything. A real CTF has none of them.
- Versions packgen does not know are read with a warning; CTF 25 replaced ``Gender`` with ``Sex``, and
  either is read.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

from packgen.errors import InputError
from packgen.records.incoming import (
    MAX_PUPILS,
    Contact,
    ImportFile,
    Incoming,
    check_upns,
    clean,
    codes,
    open_export,
    year_from_text,
    yes_no,
)

PHONE_ORDER = {"M": 0, "H": 1, "W": 2}  # whom to ring: a mobile first


def _name(element: Element) -> str:
    return element.tag.rpartition("}")[2].casefold()


def _child(element: Element | None, *path: str) -> Element | None:
    for step in path:
        if element is None:
            return None
        element = next((c for c in element if _name(c) == step.casefold()), None)
    return element


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _name(c) == name.casefold()]


def _text(element: Element | None, *path: str) -> str | None:
    found = _child(element, *path) if path else element
    return clean(found.text) if found is not None and found.text else None


def read_ctf(path: Path) -> ImportFile:
    """Every pupil in the CTF ``path``; InputError for a file that is not a CTF or cannot be read safely."""
    result = ImportFile(path=path, kind="CTF", pupils=[])
    stack: list[str] = []
    with open_export(path) as stream:
        try:
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    if not stack and _name(element) != "ctfile":
                        raise InputError(
                            f"{path.name} is not a Common Transfer File: it starts with "
                            f"<{element.tag.rpartition('}')[2]}>, where a CTF starts with <CTfile>"
                        )
                    stack.append(_name(element))
                    continue
                stack.pop()
                if stack == ["ctfile"] and _name(element) == "header":
                    _header(element, result)
                    element.clear()
                elif stack == ["ctfile", "ctfpupildata"] and _name(element) == "pupil":
                    if len(result.pupils) >= MAX_PUPILS:
                        raise InputError(f"{path.name} holds more than {MAX_PUPILS} pupils: is it the right file?")
                    result.pupils.append(_pupil(element, len(result.pupils) + 1, result.warnings))
                    element.clear()
        except defusedxml.DTDForbidden:
            raise InputError(
                f"{path.name} holds a DOCTYPE declaration, which a CTF never has: packgen does not read "
                "such files, because they can make a reader expand or fetch content. Export the CTF "
                "from the MIS again"
            ) from None
        except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
            raise InputError(
                f"{path.name} declares XML entities, which a CTF never has: packgen does not read "
                "such files. Export the CTF from the MIS again"
            ) from None
        except ParseError as exc:
            line, column = exc.position
            raise InputError(
                f"{path.name} is not readable XML (line {line}, column {column + 1}: "
                f"{str(exc).split(':')[0]}). A CTF is XML saved as UTF-8 as the MIS wrote it: was it "
                "opened and saved again in another program, in another encoding?"
            ) from None
        except OSError as exc:
            raise InputError(f"{path} cannot be read ({exc.strerror})") from None
    if not stack and result.version is None:
        result.warnings.append(f"{path.name} has no CTF version in its header: read as the current version")
    check_upns(result.pupils, path)
    return result


def _header(header: Element, result: ImportFile) -> None:
    if (_text(header, "DocumentName") or "").casefold() not in ("common transfer file", ""):
        result.warnings.append(
            f"{result.path.name} calls itself '{_text(header, 'DocumentName')}', not 'Common Transfer File'"
        )
    result.version = _text(header, "CTFversion")
    if result.version and result.version not in codes()["ctf_versions"]:
        result.warnings.append(
            f"{result.path.name} is CTF version {result.version}, which packgen has not been "
            f"checked against (it knows {codes()['ctf_versions'][0]} to "
            f"{codes()['ctf_versions'][-1]}): read the changes below carefully"
        )


def _pupil(element: Element, number: int, warnings: list[str]) -> Incoming:
    pupil = Incoming(upn=(_text(element, "UPN") or "").upper(), where=f"pupil {number}")
    pupil.legal_forename, pupil.legal_surname = _text(element, "Forename"), _text(element, "Surname")
    pupil.where = f"pupil {number} ({pupil.name})"

    def warn(message: str) -> None:
        warnings.append(f"{pupil.where}: {message}")

    details = _child(element, "BasicDetails")
    pupil.preferred_name = _text(details, "PreferredForename")
    if dob := _text(element, "DOB"):
        try:
            pupil.dob = date.fromisoformat(dob)
        except ValueError:
            warn(f"DOB '{dob}' is not a date (YYYY-MM-DD): left unchanged")
    sex = _text(element, "Sex") or _text(element, "Gender")
    if sex:
        pupil.gender = codes()["sex"].get(sex.upper())
        if pupil.gender is None:
            warn(f"sex '{sex}' is not F or M: left unchanged")
    if year := _text(details, "NCyearActual"):
        pupil.year_group = year_from_text(year)
        if pupil.year_group is None:
            warn(f"year group '{year}' is not one packgen records: left unchanged")
    if ethnicity := _text(details, "Ethnicity"):
        pupil.ethnicity = codes()["ethnicity"].get(ethnicity.upper())
        if pupil.ethnicity is None:
            warn(f"ethnicity code '{ethnicity}' is not in packgen's list (records/codes/dfe.yaml): left unchanged")
    pupil.sen = _sen(_child(element, "SENhistory"), warn)
    looked_after = _child(element, "LookedAfter")
    pupil.lac = yes_no(_text(looked_after, "InCare"))
    if authority := _text(looked_after, "CareAuthority"):
        pupil.lac_la = f"local authority {authority}" if authority.isdigit() else authority
    pupil.address = _address(_child(element, "Address"))
    home = [p for p in _phones(_child(element, "Phones")) if p[0] == "H"]
    pupil.home_phone = home[0][1] if home else None
    contacts = sorted(
        _children(_child(element, "Contacts"), "Contact"),
        key=lambda c: int(o) if (o := _text(c, "Order") or "").isdigit() else 99,
    )
    pupil.contacts = [_contact(c, warn) for c in contacts]
    pupil.contacts = [c for c in pupil.contacts if c.name]
    return pupil


def _sen(history: Element | None, warn) -> str | None:
    entries = _children(history, "SEN")
    if not entries:
        return None
    latest = max(entries, key=lambda e: _text(e, "StartDate") or "")
    code = (_text(latest, "SENprovision") or "").upper()
    if code in codes()["sen_discontinued"]:
        newer = codes()["sen_discontinued"][code]
        warn(f"SEN provision '{code}' is a code the DfE stopped using in 2014: read as '{newer}'")
        return newer
    if code and code not in codes()["sen_provision"]:
        warn(f"SEN provision '{code}' is not N, K or E: left unchanged")
        return None
    return code or None


def _address(address: Element | None) -> str | None:
    if address is None:
        return None
    parts: list[str | None] = []
    if (bs7666 := _child(address, "BS7666Address")) is not None:
        paon, street = _text(bs7666, "PAON"), _text(bs7666, "Street")
        numbered = paon and street and re.fullmatch(r"\d+[A-Za-z]?(-\d+[A-Za-z]?)?", paon)
        parts += [_text(bs7666, "SAON")] + ([f"{paon} {street}"] if numbered else [paon, street])
        parts += [_text(bs7666, "Locality"), _text(bs7666, "Town")]
    elif (lines := _child(address, "AddressLines")) is not None:
        parts += [_text(lines, f"AddressLine{i}") for i in range(1, 6)]
    parts.append(_text(address, "PostCode"))
    return ", ".join(p for p in parts if p) or None


def _phones(phones: Element | None) -> list[tuple[str, str]]:
    """(type, number) for each phone, the one to ring first first: mobile, home, work, then any other."""
    found = [((_text(p, "TelephoneType") or "").upper(), _text(p, "PhoneNo")) for p in _children(phones, "Phone")]
    return sorted([(kind, number) for kind, number in found if number], key=lambda p: PHONE_ORDER.get(p[0], 3))


def _contact(element: Element, warn) -> Contact:
    name = " ".join(p for p in (_text(element, "Forename"), _text(element, "Surname")) if p)
    code = _text(element, "Relationship")
    relationship = codes()["relationship"].get(code.upper()) if code else None
    if code and relationship is None:
        warn(f"contact {name}: relationship code '{code}' is not in packgen's list: not used")
    # The CTF specification names it Responsible; some suppliers write Responsibility.
    responsible = yes_no(_text(element, "Responsible") or _text(element, "Responsibility"))
    return Contact(
        name=name,
        relationship=relationship,
        phones=[n for _, n in _phones(_child(element, "Phones"))],
        email=_text(element, "Email"),
        responsible=responsible,
    )
