"""Inspection readiness: the rules of the rule table (rules.yaml), applied to a loaded school.

Each rule is one small function ``check(data, subject_id, today) -> Finding | None``: a pupil rule gets a
pupil id, a provider rule a provider id, the school rule the school's slug. ``None`` means the rule is
met. What each rule checks, its severities, its evaluation area and its sources live in the table; this
module only binds each id to its check. ``assess()`` runs every rule over every pupil, every provider on
file and the school, worst first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from packgen.readiness.attendance_rules import (
    r6_off_site_direction,
    r7_part_time_plan,
    r8_attendance_code,
    r18_la_told,
    r19_direction_notice,
    r22_unregistered_limits,
)
from packgen.readiness.findings import Finding, Status, worst_first
from packgen.readiness.plan_rules import (
    r3_written_plan,
    r4_reviews,
    r5_visits,
    r15_end_decision,
    r20_reintegration,
)
from packgen.readiness.provider_rules import (
    r1_registration,
    r2_staff_checks,
    r14_la_approval,
    r17_governance,
    r21_national_standards,
    r23_placement_to_write,
)
from packgen.readiness.pupil_rules import (
    r9_absence_and_emergency,
    r10_dsl_contacts,
    r11_agencies,
    r12_agreement,
    r13_consent,
    r16_upn,
)
from packgen.readiness.table import AreaGroup, RuleEntry, Severity, Subject, TableError, by_area, rule_table
from packgen.records.school_data import SchoolData

Check = Callable[[SchoolData, str, date], Finding | None]

CHECKS: dict[str, Check] = {
    "R1": r1_registration,
    "R2": r2_staff_checks,
    "R3": r3_written_plan,
    "R4": r4_reviews,
    "R5": r5_visits,
    "R6": r6_off_site_direction,
    "R7": r7_part_time_plan,
    "R8": r8_attendance_code,
    "R9": r9_absence_and_emergency,
    "R10": r10_dsl_contacts,
    "R11": r11_agencies,
    "R12": r12_agreement,
    "R13": r13_consent,
    "R14": r14_la_approval,
    "R15": r15_end_decision,
    "R16": r16_upn,
    "R17": r17_governance,
    "R18": r18_la_told,
    "R19": r19_direction_notice,
    "R20": r20_reintegration,
    "R21": r21_national_standards,
    "R22": r22_unregistered_limits,
    "R23": r23_placement_to_write,
}


@dataclass(frozen=True)
class Rule:
    """A row of the rule table with its check."""

    entry: RuleEntry
    source: str
    check: Check

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def title(self) -> str:
        return self.entry.title

    @property
    def subject(self) -> Subject:
        return self.entry.subject

    @property
    def severities(self) -> tuple[Severity, ...]:
        return self.entry.severities

    @property
    def area(self) -> str:
        return self.entry.area


def _bind() -> tuple[Rule, ...]:
    table = rule_table()
    if set(CHECKS) != {r.id for r in table.rules}:
        raise TableError(f"rules.yaml and the checks disagree: {sorted(set(CHECKS) ^ {r.id for r in table.rules})}")
    return tuple(Rule(entry, table.source(entry), CHECKS[entry.id]) for entry in table.rules)


RULES: tuple[Rule, ...] = _bind()
RULE_BY_ID = {rule.id: rule for rule in RULES}


# About a placement still running (reviews, visits, the part-time plan, the decision at its end date): not
# asked of one that has ended, whose history stays in the record as it was.
ONGOING = frozenset({"R4", "R5", "R7", "R15"})


def assess(data: SchoolData, today: date) -> list[Finding]:
    """Every rule over every pupil, provider and the school; worst first."""
    subjects = {"pupil": list(data.pupils), "provider": list(data.providers), "school": [data.slug]}
    ended = {pid for pid, record in data.pupils.items() if record.placement.ended_by(today)}
    findings = [
        f
        for rule in RULES
        for sid in subjects[rule.subject]
        if not (rule.id in ONGOING and sid in ended) and (f := rule.check(data, sid, today))
    ]
    return sorted(findings, key=worst_first)


__all__ = [
    "CHECKS",
    "RULES",
    "RULE_BY_ID",
    "AreaGroup",
    "Finding",
    "Rule",
    "Status",
    "assess",
    "by_area",
    "r1_registration",
    "r2_staff_checks",
    "r3_written_plan",
    "r4_reviews",
    "r5_visits",
    "r6_off_site_direction",
    "r7_part_time_plan",
    "r8_attendance_code",
    "r9_absence_and_emergency",
    "r10_dsl_contacts",
    "r11_agencies",
    "r12_agreement",
    "r13_consent",
    "r14_la_approval",
    "r15_end_decision",
    "r16_upn",
    "r17_governance",
    "r18_la_told",
    "r19_direction_notice",
    "r20_reintegration",
    "r21_national_standards",
    "r22_unregistered_limits",
    "r23_placement_to_write",
]
