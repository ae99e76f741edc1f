"""The rules about providers (R1, R2, R14, R21) and about the school itself (R17).

Each is ``check(data, subject_id, today) -> Finding | None``; ``None`` means the rule is met. A provider's
checks come before any placement, so a provider with no pupils is checked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from packgen.readiness.findings import (
    Finding,
    day,
    days_of,
    names,
    provider_finding,
    pupils_at,
    school_finding,
    year_before,
)
from packgen.records.pupil_file import Flags, display_name
from packgen.records.school_data import SchoolData
from packgen.records.school_file import ReadinessSettings

SUBSTANTIAL_DAYS = 3  # local practice: three or more days a week at one unregistered provider
REGISTRATION_PUPILS = 5  # both tests: full time for five or more pupils of compulsory school age

CHECK_NAMES = {
    "identity": "identity checks",
    "enhanced_dbs_barred_list": "enhanced DBS with children's barred list",
    "right_to_work": "right to work",
    "overseas": "overseas checks",
    "qualifications_qts": "qualifications (QTS and induction)",
    "prohibition": "prohibition from teaching",
    "section_128": "section 128",
}
# The letter asks for these "if relevant"; the others apply to everyone working with pupils.
CHECKS_THAT_MAY_NOT_APPLY = ("overseas", "qualifications_qts", "section_128")


@dataclass(frozen=True)
class RegistrationTest:
    """The registration test a school has chosen, and whether it is law on the day judged."""

    edition: str
    full_time_hours: float
    any_sen: bool  # the 2026 test counts special educational needs of any kind, not only an EHC plan
    status: str  # in words, for the finding: "in force", "not yet in force", ...

    @classmethod
    def chosen(cls, settings: ReadinessSettings, today: date) -> RegistrationTest:
        if settings.registration_law == "education-act-1996":
            return cls("Education Act 1996 s463", settings.full_time_hours, False, "in force")
        commenced = settings.cws_act_commenced_on
        if commenced is None:
            status = "not yet in force: no commencement date is set in School settings"
        elif commenced > today:
            status = f"not yet in force: it commences on {day(commenced)}"
        else:
            status = f"in force from {day(commenced)}"
        return cls("Children's Wellbeing and Schools Act 2026 s43", settings.full_time_hours, True, status)

    def protects(self, flags: Flags) -> bool:
        return flags.lac or flags.ehcp or (self.any_sen and flags.sen_support)

    @property
    def protected(self) -> str:
        return (
            "looked after or has special educational needs (SEN support counts)"
            if self.any_sen
            else "looked after or has an EHC plan"
        )

    @property
    def applied(self) -> str:
        return (
            f" (Test applied: {self.edition}, {self.status}; full time taken as {self.full_time_hours:g} hours "
            "or more a week.)"
        )

    @property
    def named(self) -> str:
        return f" (Test applied: {self.edition}, {self.status}.)"


def r1_registration(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """An unregistered provider: possibly an illegal school, giving a pupil the substantial part of their
    education, or simply one the inspector will ask about. Only our own pupils are known here, so the
    critical case is a floor: other schools' pupils there count towards the five too."""
    provider = data.providers[provider_id]
    if provider.registration.status == "registered":
        return None
    test = RegistrationTest.chosen(data.school.readiness, today)
    ours = [data.pupils[p] for p in pupils_at(data, provider_id)]
    # The law counts pupils of compulsory school age (Years 1 to 11), and a further education college is
    # outside its definition of a school (Education Act 1996 s4).
    judged = [r for r in ours if 1 <= r.pupil.year_group <= 11] if provider.kind != "college" else []
    full_time = [r for r in judged if r.placement.hours_per_week >= test.full_time_hours]
    protected = [r for r in full_time if test.protects(r.pupil.flags)]
    if len(full_time) >= REGISTRATION_PUPILS or protected:
        reason = (
            f"{len(full_time)} of our pupils full time"
            if len(full_time) >= REGISTRATION_PUPILS
            else f"full time a pupil who is {test.protected} ({names(protected)})"
        )
        return provider_finding(
            "R1",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} is not registered as a school but educates {reason}. It may be operating as an "
                "illegal school: tell the local authority and reduce or move these placements now." + test.applied
            ),
            "critical",
        )
    substantial = [
        r for r in judged if r.placement.hours_per_week >= test.full_time_hours or len(days_of(r)) >= SUBSTANTIAL_DAYS
    ]
    if substantial:
        return provider_finding(
            "R1",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} is not registered as a school but gives {names(substantial)} the substantial "
                f"part of their education ({test.full_time_hours:g} or more hours, or {SUBSTANTIAL_DAYS} or more "
                "days, a week). Keep each pupil below both, or use a registered provider." + test.applied
            ),
            "high",
        )
    undecided = [r for r in judged if not r.placement.sessions]
    if undecided:
        return provider_finding(
            "R1",
            data,
            provider_id,
            "unknown",
            (
                f"{provider.name} is not registered as a school, and the days {names(undecided)} attend are not "
                f"recorded, so it is not known whether it gives them {SUBSTANTIAL_DAYS} or more days a week. "
                "Record each pupil's sessions." + test.applied
            ),
            "high",
        )
    return provider_finding(
        "R1",
        data,
        provider_id,
        "fail",
        (
            f"{provider.name} is not registered as a school, so the inspector will ask why you chose it and how "
            "you checked it stays within the law: have the local authority approval, each pupil's hours and days, "
            "and your reasons ready." + test.named
        ),
        "advisory",
    )


def r2_staff_checks(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """Written confirmation (the Appendix 4 letter) that the provider has made every required check."""
    provider = data.providers[provider_id]
    assurance = provider.assurance
    if assurance.received_on is None:
        asked = f"requested on {day(assurance.requested_on)} and " if assurance.requested_on else ""
        return provider_finding(
            "R2",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} has not given written assurance of its staff checks (Appendix 4 {asked}not "
                f"returned). Chase {provider.contacts.lead.name}, and do not rely on its staff until it is back."
            ),
        )
    answers = assurance.checks.model_dump()
    refused = [
        name
        for key, name in CHECK_NAMES.items()
        if answers[key] is False or (answers[key] == "not_applicable" and key not in CHECKS_THAT_MAY_NOT_APPLY)
    ]
    blank = [name for key, name in CHECK_NAMES.items() if answers[key] is None]
    if refused:
        return provider_finding(
            "R2",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name}'s returned assurance does not confirm: {', '.join(refused)}. Ask it to make and "
                "confirm these checks before its staff work with our pupils."
            ),
        )
    if blank:
        return provider_finding(
            "R2",
            data,
            provider_id,
            "unknown",
            (
                f"{provider.name}'s returned assurance is recorded, but not whether it confirmed: {', '.join(blank)}. "
                "Check the letter and record each answer."
            ),
        )
    return None


def r14_la_approval(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """Approved by the local authority and audited within the last year (a PRU is the authority's own)."""
    provider = data.providers[provider_id]
    if provider.kind == "pupil_referral_unit":
        return None
    approval = provider.la_approved
    if approval is None or not approval.approved:
        state = "has no record of" if approval is None else "is recorded as not having"
        return provider_finding(
            "R14",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} {state} local authority approval. Check it with the local authority's AP "
                "directory before placing (or keeping) pupils there, and record the result."
            ),
        )
    if approval.audited_on is None:
        return provider_finding(
            "R14",
            data,
            provider_id,
            "unknown",
            (
                f"{provider.name} is recorded as approved by the local authority, but not when it was last "
                "audited. Record the audit date."
            ),
        )
    if approval.audited_on < year_before(today):
        return provider_finding(
            "R14",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} was last audited by the local authority on {day(approval.audited_on)}, more than "
                "a year ago. Ask for this year's audit, or its date if it has been done."
            ),
        )
    return None


def r21_national_standards(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """An unregistered provider says whether it meets the voluntary national standards (advice only)."""
    provider = data.providers[provider_id]
    if provider.registration.status == "registered":
        return None
    standards = provider.national_standards
    if standards is None:
        return provider_finding(
            "R21",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} is unregistered and has not said whether it meets the DfE's voluntary national "
                "standards for non-school AP (August 2025). Ask it, and record its answer and the date."
            ),
        )
    if not standards.meets:
        return provider_finding(
            "R21",
            data,
            provider_id,
            "fail",
            (
                f"{provider.name} says it does not meet the voluntary national standards for non-school "
                "alternative provision. The standards are voluntary, but the inspector may ask how you judged "
                "the provider safe and good enough: record which standards it falls short of and why you use it."
            ),
        )
    return None


def r23_placement_to_write(data: SchoolData, school_id: str, today: date) -> Finding | None:
    """Pupil records made from the MIS (packgen import --add) load without a placement, so the rest of the
    pack builds; each stays out of it until its placement is written."""
    if not data.unplaced:
        return None
    waiting = ", ".join(display_name(record) for record in data.unplaced.values())
    return school_finding(
        "R23",
        data,
        "fail",
        f"No placement is recorded yet for {waiting}, added from the school's MIS: fill in each one's placement "
        "on the pupil's page so the pupil is in the pack.",
        record_key=", ".join(f"placement in pupils/{pid}.yaml" for pid in data.unplaced),
    )


def r17_governance(data: SchoolData, school_id: str, today: date) -> Finding | None:
    """The governing board (or trust) has approved the school's use of alternative provision."""
    governance = data.school.governance
    name = data.school.school.name
    if governance.ap_use_approved_by is None and governance.approved_on is None:
        return school_finding(
            "R17",
            data,
            "fail",
            (
                f"{name} has no record that its governors or trust approved its use of alternative provision. "
                "Take it to the next board meeting and record who approved it and when."
            ),
        )
    if governance.approved_on is None:
        return school_finding(
            "R17",
            data,
            "unknown",
            (
                f"{name}: the record says {governance.ap_use_approved_by} approved the use of alternative "
                "provision, but not when. Record the date from the minutes."
            ),
        )
    if governance.ap_use_approved_by is None:
        return school_finding(
            "R17",
            data,
            "unknown",
            (
                f"{name}: the use of alternative provision was approved on {day(governance.approved_on)}, but the "
                "record does not say by whom. Record the board that approved it."
            ),
        )
    return None
