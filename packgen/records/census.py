"""The school census module "alternative provision placements arranged by schools", from the records.

One row per placement the census asks about: open on census day, or ended since the previous census
day, whether it is the pupil's current placement or one in ``past_placements`` (a pupil who moved
provider in the period has a row for each). The leaving date is ``placement.ended.ended_on``, the one
place a record says a placement ended. Codes come from codes/census.yaml (package data), never from a
guess: where a code or a fact is missing, the cell is left blank and a warning says what to record; a
record that names a code the list lacks is an error.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import yaml

from packgen.errors import DataError, InputError, Problem
from packgen.files import write_private
from packgen.records.pupil_file import Placement
from packgen.records.school_data import SchoolData
from packgen.records.yaml_tree import SAFE_LOADER

COLUMNS = [
    "UPN",
    "Surname",
    "Forename",
    "AP placement URN",
    "AP placement UKPRN",
    "AP placement type of setting",
    "AP placement reason",
    "Entry date",
    "Leaving date",
    "Attendance pattern",
    "Sessions per week",
]
MORNING_ENDS, AFTERNOON_STARTS = "12:00", "13:30"  # a session reaching both sides of lunch is two sessions


@functools.cache
def census_codes() -> dict:
    return yaml.load(
        resources.files("packgen.records").joinpath("codes/census.yaml").read_text("utf-8"), Loader=SAFE_LOADER
    )


@dataclass
class CensusReturn:
    day: date
    previous: date
    rows: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue()


def census_days(year: int) -> dict[str, date]:
    """The census days of calendar ``year`` by term, by the DfE's rule (codes/census.yaml census_days)."""
    days = {}
    for rule in census_codes()["census_days"]:
        first = date(year, rule["month"], 1)
        days[rule["term"]] = first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (rule["thursday"] - 1))
    return days


def previous_census_day(day: date) -> date:
    """The census day before ``day``: the start of the period whose ended placements are returned."""
    return max(d for year in (day.year - 1, day.year) for d in census_days(year).values() if d < day)


def sessions_per_week(placement: Placement) -> int:
    """Half-day sessions in the weekly timetable: each day's morning and afternoon count once each."""
    halves = set()
    for session in placement.sessions:
        if session.start < MORNING_ENDS:
            halves.add((session.day, "am"))
        if session.end > AFTERNOON_STARTS or session.start >= MORNING_ENDS:
            halves.add((session.day, "pm"))
    return len(halves)


def in_scope(placement: Placement, day: date, previous: date) -> bool:
    if placement.start_date > day:
        return False
    return placement.ended_on is None or placement.ended_on > previous


def census_return(data: SchoolData, day: date, previous: date | None = None, codes: dict | None = None) -> CensusReturn:
    """The rows for census ``day``; ``codes`` are the code lists (packgen's own, codes/census.yaml, unless given)."""
    codes = codes or census_codes()
    if previous is not None and previous >= day:
        raise InputError(f"the previous census day ({previous}) must be before the census day ({day})")
    result = CensusReturn(day, previous or previous_census_day(day))
    if day not in census_days(day.year).values():
        result.warnings.append(
            f"{day} is not a census day by the DfE's rule (first Thursday of October, third Thursday of January "
            "and of May): check the date against the DfE's guide for the year"
        )
    uncoded: dict[str, int] = {}  # a missing code is said once, with how many rows it leaves blank
    unknown: list[Problem] = []
    placements = [(pid, r, p) for pid, r in data.pupils.items() for p in (*r.past_placements, r.placement)]
    for pupil_id, record, placement in placements:
        pupil = record.pupil
        if not in_scope(placement, day, result.previous):
            continue
        provider = data.providers[placement.provider]
        where = f"pupils/{pupil_id}.yaml ({pupil.full_name})"

        def warn(message: str, where: str = where) -> None:
            result.warnings.append(f"{where}: {message}")

        row = dict.fromkeys(COLUMNS, "")
        row.update(
            {
                "UPN": pupil.upn,
                "Surname": pupil.legal_surname,
                "Forename": pupil.legal_forename,
                "Entry date": placement.start_date.isoformat(),
                "Leaving date": placement.ended_on.isoformat() if placement.ended_on else "",
            }
        )
        registration = provider.registration
        if registration.urn:
            row["AP placement URN"] = registration.urn
        elif registration.ukprn:
            row["AP placement UKPRN"] = registration.ukprn
        elif registration.census_setting_type:
            row["AP placement type of setting"] = registration.census_setting_type
        else:
            warn(
                f"provider {placement.provider} has no URN, UKPRN or census type of setting: record one in "
                f"providers/{placement.provider}.yaml (registration.urn, ukprn or census_setting_type)"
            )
        reason = placement.census_reason or codes["reason_by_category"].get(placement.category)
        if placement.census_reason and placement.census_reason not in codes["reasons"]:
            known = ", ".join(codes["reasons"]) or "none yet: the DfE's code set is not checked"
            unknown.append(
                Problem(
                    f"pupils/{pupil_id}.yaml",
                    "placement.census_reason",
                    f"the school census reason for the placement, {placement.census_reason!r}, is not in "
                    f"packgen's list of AP placement reason codes (known: {known}); remove it, or correct it "
                    "to a code from the DfE's guide for the year",
                )
            )
        elif reason:
            row["AP placement reason"] = reason
        else:
            key = (
                f"no census reason code for the placement category {placement.category} in packgen's census "
                "codes (or placement.census_reason)"
            )
            uncoded[key] = uncoded.get(key, 0) + 1
        pattern = codes["attendance_pattern"]["part_time" if placement.part_time else "full_time"]
        if pattern:
            row["Attendance pattern"] = pattern
        else:
            key = f"no census code for {'part' if placement.part_time else 'full'} time attendance in packgen's codes"
            uncoded[key] = uncoded.get(key, 0) + 1
        if placement.sessions:
            row["Sessions per week"] = str(sessions_per_week(placement))
        else:
            warn("placement.sessions is empty, so the sessions per week are not known: record the timetable")
        if placement.ended_on is None and placement.target_end_date and placement.target_end_date < day:
            warn(
                f"the target end date ({placement.target_end_date}) has passed but the placement's end is not "
                "recorded: returned as still open (if it has ended, record when in placement.ended)"
            )
        result.rows.append(row)
    if unknown:
        raise DataError(unknown)
    result.warnings += [
        f"{key}: {count} row{'s' if count != 1 else ''} left blank (fill the code in from the DfE guide for the year)"
        for key, count in uncoded.items()
    ]
    result.rows.sort(key=lambda r: (r["Surname"].casefold(), r["Forename"].casefold(), r["Entry date"]))
    return result


def write_census(result: CensusReturn, out: Path) -> None:
    write_private(Path(out), result.csv_text().encode("utf-8"))
