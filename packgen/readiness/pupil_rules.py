"""The rules about a pupil's safety and the agreements behind a placement: absence and emergency
arrangements, safeguarding leads, the agencies involved, the commissioning agreement, consent and the UPN
(R9-R13, R16). The plan and how it is followed are in plan_rules.py.

Each is ``check(data, pupil_id, today) -> Finding | None``; ``None`` means the rule is met.
"""

from __future__ import annotations

from datetime import date

from packgen.readiness.findings import Finding, Pupil
from packgen.readiness.findings import and_ as _and
from packgen.readiness.findings import contradiction as _contradiction
from packgen.readiness.findings import day as _day
from packgen.readiness.findings import direction_contradicts as _direction_contradicts
from packgen.records.school_data import SchoolData
from packgen.records.upn import upn_problem


def r9_absence_and_emergency(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """An agreed absence arrangement (who contacts whom) and the pupil's emergency contacts sent."""
    pupil = Pupil(data, pupil_id)
    safeguarding, provider = pupil.placement.safeguarding, pupil.provider
    checklist = provider.pre_admission
    arranged = safeguarding.absence_arrangement or (checklist and checklist.absence_arrangement)
    sent = safeguarding.emergency_details_sent_on is not None
    missing = [] if arranged else ["no agreed arrangement for absence (who contacts whom, by when)"]
    if not sent and not (checklist and checklist.emergency_contacts_sent):
        missing.append(f"no record that {provider.name} has been sent the pupil's emergency contacts")
    if missing:
        return pupil.fail("R9", f"{pupil.name}: {_and(missing)}. Agree it with {provider.name} and record it.")
    if not sent:
        return pupil.unknown(
            "R9",
            f"{pupil.name}: {provider.name}'s pre-admission checklist says emergency contacts were sent, but not "
            "when this pupil's were. Record the date they were sent.",
            record_key="placement.safeguarding.emergency_details_sent_on",
        )
    return None


def r10_dsl_contacts(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Each side can reach the other's designated safeguarding lead."""
    pupil = Pupil(data, pupil_id)
    provider = pupil.provider
    shared = pupil.placement.safeguarding.dsl_contact_shared
    problems = []
    if provider.contacts.dsl is None:
        problems.append(f"{provider.name} has no designated safeguarding lead recorded")
    if shared is False:
        problems.append(f"our DSL's contact details have not been given to {provider.name}")
    if problems:
        return pupil.fail(
            "R10",
            f"{pupil.name}: {_and(problems)}. Exchange DSL names and numbers so a concern reaches the right "
            "person the same day.",
        )
    if shared is None:
        return pupil.unknown(
            "R10",
            f"{pupil.name}: it is not recorded whether {provider.name} has our DSL's contact details. Check and "
            "record it.",
            record_key="placement.safeguarding.dsl_contact_shared",
        )
    return None


def r11_agencies(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A looked-after, EHCP, CP or CIN pupil's placement involves the agency responsible for them (named
    as a key adult); a CP pupil's part-time timetable follows a core group meeting."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    flags, adults = pupil.record.pupil.flags, pupil.record.pupil.key_adults
    missing = []
    if flags.lac and not adults.virtual_school_rep:
        missing.append(f"the virtual school{f' ({flags.lac_la})' if flags.lac_la else ''} for a looked-after child")
    if flags.ehcp and not adults.sen_keyworker:
        missing.append("the SEN caseworker for a pupil with an EHCP")
    if (flags.cp or flags.cin) and not adults.social_worker:
        missing.append(f"the social worker for a pupil on a {'child protection' if flags.cp else 'child in need'} plan")
    plan = placement.part_time_plan
    if flags.cp and placement.part_time and not (plan and plan.core_group_on):
        missing.append("a core group meeting before the part-time timetable began")
    if not missing:
        return None
    return pupil.fail(
        "R11",
        f"{pupil.name}: the placement has no record of {_and(missing)}. Consult them now, and record who was "
        "involved and when.",
    )


def r12_agreement(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A commissioning agreement signed by the provider (or partnership) and the school."""
    pupil = Pupil(data, pupil_id)
    agreement = pupil.placement.agreement
    unsigned = [
        side
        for side, by in (("the provider", agreement.signed_by_provider), ("the school", agreement.signed_by_school))
        if not by
    ]
    if agreement.signed_on is None and len(unsigned) == 2:
        return pupil.fail(
            "R12",
            f"{pupil.name} has no signed commissioning agreement. Agree it with {pupil.provider.name}, have both "
            "sides sign it, and record the date.",
            record_key="placement.agreement",
            command="packgen agreement",
        )
    if agreement.signed_on is None:
        return pupil.unknown(
            "R12",
            f"{pupil.name}: the commissioning agreement names who signed but not when. Record the date it was signed.",
            record_key="placement.agreement.signed_on",
        )
    if unsigned:
        return pupil.unknown(
            "R12",
            f"{pupil.name}: the commissioning agreement is dated {_day(agreement.signed_on)}, but who signed for "
            f"{_and(unsigned)} is not recorded. Check the signed copy and record it.",
            record_key="placement.agreement",
        )
    return None


def r13_consent(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A parent's or carer's consent, unless the school has directed the pupil off site."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    if placement.off_site_direction.directed or placement.consent.parent_signed_on is not None:
        return None
    if _direction_contradicts(pupil.record):
        return pupil.unknown("R13", _contradiction(pupil.name) + " Consent is needed unless the pupil is directed.")
    return pupil.fail(
        "R13",
        f"{pupil.name} is not directed off site, and there is no record of a parent or carer's consent. Ask them "
        "to sign the consent form, and record the date.",
        record_key="placement.consent.parent_signed_on",
    )


def r16_upn(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The UPN's check letter is right, and the UPN is the permanent one.

    ``load_school`` already refuses a UPN with a wrong check letter, so the fail case guards records made
    another way; a temporary UPN is valid but means the permanent one is not recorded.
    """
    pupil = Pupil(data, pupil_id)
    upn = pupil.record.pupil.upn
    problem = upn_problem(upn)
    if problem:
        return pupil.fail("R16", f"{pupil.name}: the UPN {problem}. Correct it from the school's MIS.")
    if upn[-1].isalpha():
        return pupil.unknown(
            "R16", f"{pupil.name} has a temporary UPN ({upn}). Replace it with the permanent UPN once it is known."
        )
    return None
