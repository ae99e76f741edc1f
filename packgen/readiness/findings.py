"""A finding, how the rules build one from the rule table, and the small helpers their messages share.

Severity
  critical  an inspector could find pupils unsafe or the school breaking the law today.
  high      something the guidance says the school must do or keep, whose absence inspectors read as
            leaders not taking responsibility for pupils in AP.
  advisory  a question the inspector will certainly ask, a record to tidy, or a proposal not yet in force.
  A finding that cannot be decided carries the severity its failure would have.

Fail or unknown
  fail      the record shows the requirement is not met, or holds nothing at all of what is required: for an
            inspector, evidence that does not exist and a step not taken look the same.
  unknown   the record holds part of the answer but not the piece the rule needs, a yes/no question left
            blank, or facts that contradict each other. Never a pass: each says what to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from packgen.readiness.table import Severity, Subject, rule_table
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import Placement, PupilFile, display_name
from packgen.records.school_data import SchoolData

Status = Literal["fail", "unknown"]

_SEVERITY_ORDER = {"critical": 0, "high": 1, "advisory": 2}
_STATUS_ORDER = {"fail": 0, "unknown": 1}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    status: Status
    subject: Subject
    subject_id: str
    subject_name: str
    message: str
    source: str
    area: str  # the toolkit evaluation area's id (see rules.yaml)
    # For the command line and people who edit the files: where the answer goes in the records, and the
    # packgen command that makes the document the finding asks for. The message never names either: it
    # is read by office staff on the web page and by inspectors in the pack.
    record_key: str = ""
    command: str = ""


def worst_first(f: Finding) -> tuple:
    return (
        _SEVERITY_ORDER[f.severity],
        _STATUS_ORDER[f.status],
        int(f.rule[1:]),
        f.subject_name.casefold(),
        f.subject_id,
    )


# ---------------------------------------------------------------- building findings


def finding(
    rule_id: str,
    subject: Subject,
    subject_id: str,
    subject_name: str,
    status: Status,
    message: str,
    severity: Severity | None,
    record_key: str = "",
    command: str = "",
) -> Finding:
    table = rule_table()
    rule = table.rule(rule_id)
    return Finding(
        rule_id,
        severity or rule.severities[0],
        status,
        subject,
        subject_id,
        subject_name,
        message,
        table.source(rule),
        rule.area,
        record_key,
        command,
    )


def provider_finding(
    rule_id: str, data: SchoolData, provider_id: str, status: Status, message: str, severity: Severity | None = None
) -> Finding:
    return finding(rule_id, "provider", provider_id, data.providers[provider_id].name, status, message, severity)


def school_finding(rule_id: str, data: SchoolData, status: Status, message: str, record_key: str = "") -> Finding:
    return finding(rule_id, "school", data.slug, data.school.school.name, status, message, None, record_key)


@dataclass(frozen=True)
class Pupil:
    """One pupil as a pupil rule judges them, and the findings a rule gives about them:
    ``pupil.fail("R3", message)``, ``pupil.unknown("R8", message, record_key="placement.attendance_code")``."""

    data: SchoolData
    pupil_id: str

    @property
    def record(self) -> PupilFile:
        return self.data.pupils[self.pupil_id]

    @property
    def placement(self) -> Placement:
        return self.record.placement

    @property
    def provider(self) -> Provider:
        return self.data.provider_of(self.pupil_id)

    @property
    def name(self) -> str:
        return display_name(self.record)

    def fail(self, rule_id: str, message: str, severity: Severity | None = None, **cli: str) -> Finding:
        return self._finding(rule_id, "fail", message, severity, **cli)

    def unknown(self, rule_id: str, message: str, severity: Severity | None = None, **cli: str) -> Finding:
        return self._finding(rule_id, "unknown", message, severity, **cli)

    def term_dates_short(self, rule_id: str, gap: str, question: str) -> Finding:
        """Not known: the school's term dates do not reach the days the rule counts (``gap``), so it
        cannot say ``question``."""
        return self.unknown(
            rule_id,
            f"{self.name}: the school's term dates {gap}, so it is not known {question}. Add the missing half "
            "terms in School settings.",
            record_key="pack.term_dates in school.yaml",
        )

    def _finding(self, rule_id: str, status: Status, message: str, severity: Severity | None, **cli: str) -> Finding:
        return finding(rule_id, "pupil", self.pupil_id, self.name, status, message, severity, **cli)


# ---------------------------------------------------------------- small helpers


def pupils_at(data: SchoolData, provider_id: str) -> list[str]:
    return [
        pid
        for pid, record in data.pupils.items()
        if record.placement.provider == provider_id and record.placement.ended is None
    ]


def absent(*parts: tuple[str, object]) -> list[str]:
    """The names of the parts (name, value) whose value is empty: what a record leaves out."""
    return [part for part, present in parts if not present]


def days_of(record: PupilFile) -> set[str]:
    return {session.day for session in record.placement.sessions}


def direction_contradicts(record: PupilFile) -> bool:
    """Direction details recorded on a placement that says it is not a direction."""
    d = record.placement.off_site_direction
    return not d.directed and any((d.directed_on, d.ends_on, d.la_notified_on, d.notice_given_on))


def contradiction(name: str) -> str:
    return (
        f"{name}: the record says the pupil is not directed off site but gives direction dates, so it is not "
        "known whether this is a direction. Correct the record."
    )


def names(records: list[PupilFile]) -> str:
    return and_([display_name(r) for r in records])


def and_(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def hours(value: float) -> str:
    return f"{value:g} hours"


def arranged(by: str) -> str:
    return by.replace("_", " ")


def year_before(value: date) -> date:
    try:
        return value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year - 1, day=28)


def unregistered(data: SchoolData, provider_id: str) -> bool:
    return data.providers[provider_id].registration.status != "registered"
