"""Inspection readiness: the rules R1–R17 of spec/domain.md, applied to a loaded school.

Each rule is one small function ``check(data, subject_id, today) -> Finding | None``: a pupil rule gets a
pupil id, a provider rule a provider id, the school rule the school's slug. ``None`` means the rule is
met. ``assess()`` runs every rule over every pupil, every provider on file (a provider's checks come
before any placement, so an unused provider is checked too) and the school, worst first.

Severity
  critical  an inspector could find pupils unsafe or the school breaking the law today: a provider that may
            be an illegal school (R1), no written assurance of the provider's staff checks (R2), a looked-after,
            EHCP, CP or CIN pupil placed without the agency that must be involved (R11).
  high      something the guidance says the school must do or keep, and whose absence inspectors read as
            leaders not taking responsibility for pupils in AP: every other rule, and R1's warning that an
            unregistered provider gives a pupil the substantial part of their education.
  advisory  a question the inspector will certainly ask, or a record to tidy: any unregistered provider
            (R1: say why it was chosen and how it was checked), a UPN that is wrong or temporary (R16).
  A finding that cannot be decided carries the severity its failure would have.

Fail or unknown
  fail      the record shows the requirement is not met, or holds nothing at all of what is required (an
            agreement with no date and no signatories, no visit): for an inspector, evidence that does not
            exist and a step not taken look the same.
  unknown   the record holds part of the answer but not the piece the rule needs (a returned letter with a
            check left blank, an approval with no audit date), a yes/no question left blank, or facts that
            contradict each other (hours against the timetable). Never a pass: each says what to record.
  R3 (plan), R11 (agencies) have nothing partial to be unsure about, so they only ever fail.

Time
  Dates are judged against ``today``; reviews and visits dated after it are ignored, and a placement that has
  not started yet is not judged on reviews, visits or its end date. Half terms come from school.yaml
  ``pack.term_dates`` or, without them, the English default in ``packgen.terms``.
  R4: a review is overdue when more than a half term of term time (7 weeks, holidays not counted) has passed
      since the last review (or the start), or when the date the last review (or the part-time plan) set for
      the next one has passed.
  R5: the period is the half term (school-arranged) or the term (partnership or local authority arranged) that
      today is in, or the one just ended during a holiday. For the first two weeks of a period a visit in
      the previous one still counts, so a new half term does not make every pupil overdue on its first day;
      a placement under two weeks old is not yet due a visit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from packgen.records.models import display_name
from packgen.records.models import PupilFile, SchoolData
from packgen.records.calendar import Calendar, period_at
from packgen.records.upn import upn_problem

Severity = Literal["critical", "high", "advisory"]
Status = Literal["fail", "unknown"]
Subject = Literal["pupil", "provider", "school"]

FULL_TIME_HOURS = 18  # DfE: 18 hours a week counts as full time; also the "substantial part" threshold
SUBSTANTIAL_DAYS = 3  # Leicestershire: three or more days a week at one unregistered provider
ILLEGAL_SCHOOL_PUPILS = 5  # Education Act 1996 s463: full time for five or more pupils of compulsory school age
HALF_TERM = timedelta(weeks=7)
VISIT_GRACE = timedelta(weeks=2)

# Providers where a pupil can be registered as well, so dual registration (code D) is possible.
SCHOOL_KINDS = ("registered_ap", "pupil_referral_unit", "independent_school")

CHECK_NAMES = {
    "identity": "identity checks",
    "enhanced_dbs_barred_list": "enhanced DBS with children's barred list",
    "right_to_work": "right to work",
    "overseas": "overseas checks",
    "qualifications_qts": "qualifications (QTS and induction)",
    "prohibition": "prohibition from teaching",
    "section_128": "section 128",
}
# Appendix 4 asks for these "if relevant"; the others apply to everyone working with pupils.
CHECKS_THAT_MAY_NOT_APPLY = ("overseas", "qualifications_qts", "section_128")


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


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    subject: Subject
    severities: tuple[Severity, ...]  # every severity its findings can have, worst first
    check: Callable[[SchoolData, str, date], Finding | None]
    ongoing: bool = False  # about a placement still running: not asked of one that has ended


def assess(data: SchoolData, today: date) -> list[Finding]:
    """Every rule over every pupil, provider and the school; worst first."""
    subjects = {"pupil": list(data.pupils), "provider": list(data.providers), "school": [data.slug]}
    ended = {pid for pid, record in data.pupils.items() if record.placement.ended_by(today)}
    findings = [f for rule in RULES for sid in subjects[rule.subject]
                if not (rule.ongoing and sid in ended) and (f := rule.check(data, sid, today))]
    return sorted(findings, key=_worst_first)


# ---------------------------------------------------------------- provider rules


def r1_registration(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """An unregistered provider: possibly an illegal school, giving a pupil the substantial part of their
    education, or simply one the inspector will ask about. Only our own pupils are known here, so the
    critical case is a floor: other schools' pupils there count towards the five too."""
    provider = data.providers[provider_id]
    if provider.registration.status == "registered":
        return None
    ours = [data.pupils[p] for p in _pupils_at(data, provider_id)]
    # The law counts pupils of compulsory school age (Years 1 to 11), and a further education college is
    # outside its definition of a school (Education Act 1996 s4).
    judged = [r for r in ours if 1 <= r.pupil.year_group <= 11] if provider.kind != "college" else []
    full_time = [r for r in judged if not r.placement.part_time]
    vulnerable = [r for r in full_time if r.pupil.flags.lac or r.pupil.flags.ehcp]
    if len(full_time) >= ILLEGAL_SCHOOL_PUPILS or vulnerable:
        reason = (f"{len(full_time)} of our pupils full time" if len(full_time) >= ILLEGAL_SCHOOL_PUPILS
                  else f"full time a pupil who is looked after or has an EHCP ({_names(vulnerable)})")
        return _provider("R1", data, provider_id, "fail", (
            f"{provider.name} is not registered as a school but educates {reason}. It may be operating as an "
            "illegal school: tell the local authority and reduce or move these placements now."), "critical")
    substantial = [r for r in judged if not r.placement.part_time or len(_days(r)) >= SUBSTANTIAL_DAYS]
    if substantial:
        return _provider("R1", data, provider_id, "fail", (
            f"{provider.name} is not registered as a school but gives {_names(substantial)} the substantial "
            f"part of their education ({FULL_TIME_HOURS} or more hours, or {SUBSTANTIAL_DAYS} or more days, a "
            "week). Keep each pupil below both, or use a registered provider."), "high")
    undecided = [r for r in judged if not r.placement.sessions]
    if undecided:
        return _provider("R1", data, provider_id, "unknown", (
            f"{provider.name} is not registered as a school, and the days {_names(undecided)} attend are not "
            f"recorded, so it is not known whether it gives them {SUBSTANTIAL_DAYS} or more days a week. "
            "Record each pupil's sessions."), "high")
    return _provider("R1", data, provider_id, "fail", (
        f"{provider.name} is not registered as a school. The inspector must report it to Ofsted's "
        "unregistered schools team and will ask why you chose it and how you checked it stays within the "
        "law: have the local authority approval, each pupil's hours and days, and your reasons ready."),
        "advisory")


def r2_staff_checks(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """Written confirmation (Appendix 4) that the provider has made every required check on its staff."""
    provider = data.providers[provider_id]
    assurance = provider.assurance
    if assurance.received_on is None:
        asked = f"requested on {_day(assurance.requested_on)} and " if assurance.requested_on else ""
        return _provider("R2", data, provider_id, "fail", (
            f"{provider.name} has not given written assurance of its staff checks (Appendix 4 {asked}not "
            f"returned). Chase {provider.contacts.lead.name}, and do not rely on its staff until it is back."))
    answers = assurance.checks.model_dump()
    refused = [name for key, name in CHECK_NAMES.items()
               if answers[key] is False
               or (answers[key] == "not_applicable" and key not in CHECKS_THAT_MAY_NOT_APPLY)]
    blank = [name for key, name in CHECK_NAMES.items() if answers[key] is None]
    if refused:
        return _provider("R2", data, provider_id, "fail", (
            f"{provider.name}'s returned assurance does not confirm: {', '.join(refused)}. Ask it to make and "
            "confirm these checks before its staff work with our pupils."))
    if blank:
        return _provider("R2", data, provider_id, "unknown", (
            f"{provider.name}'s returned assurance is recorded, but not whether it confirmed: {', '.join(blank)}. "
            "Check the letter and record each answer."))
    return None


def r14_la_approval(data: SchoolData, provider_id: str, today: date) -> Finding | None:
    """Approved by the local authority and audited within the last year (a PRU is the authority's own)."""
    provider = data.providers[provider_id]
    if provider.kind == "pupil_referral_unit":
        return None
    approval = provider.la_approved
    if approval is None or not approval.approved:
        state = "has no record of" if approval is None else "is recorded as not having"
        return _provider("R14", data, provider_id, "fail", (
            f"{provider.name} {state} local authority approval. Check it with the local authority's AP "
            "directory before placing (or keeping) pupils there, and record the result."))
    if approval.audited_on is None:
        return _provider("R14", data, provider_id, "unknown", (
            f"{provider.name} is recorded as approved by the local authority, but not when it was last "
            "audited. Record the audit date."))
    if approval.audited_on < _year_before(today):
        return _provider("R14", data, provider_id, "fail", (
            f"{provider.name} was last audited by the local authority on {_day(approval.audited_on)}, more than "
            "a year ago. Ask for this year's audit, or its date if it has been done."))
    return None


# ---------------------------------------------------------------- pupil rules


def r3_written_plan(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A written plan: its purpose, a baseline to measure against, targets and a target end date."""
    record = data.pupils[pupil_id]
    placement = record.placement
    baseline = placement.baseline
    missing = [part for part, present in (
        ("purpose", placement.purpose),
        ("baseline", baseline.attendance_percent is not None or baseline.notes),
        ("targets", placement.targets),
        ("target end date", placement.target_end_date),
    ) if not present]
    if not missing:
        return None
    return _pupil("R3", data, pupil_id, "fail", (
        f"{display_name(record)}: the education plan has no {_and(missing)}. Agree and record "
        f"{'them' if len(missing) > 1 else 'it'} with the provider, the pupil and parents."))


def r4_reviews(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A review within every half term of term time since the last one (or the start)."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.start_date > today:
        return None
    name = display_name(record)
    last = max((r for r in record.reviews if r.date <= today), key=lambda r: r.date, default=None)
    if last:
        anchor, since, planned = last.date, f"last review on {_day(last.date)}", last.next_review
    else:
        plan = placement.part_time_plan
        anchor, since = placement.start_date, f"placement started on {_day(placement.start_date)}"
        planned = plan.review_on if plan else None
    if planned is not None and planned < today:
        return _pupil("R4", data, pupil_id, "fail", (
            f"{name}: the review planned for {_day(planned)} is not recorded ({since}). "
            "Hold the review, or record its minutes if it took place."))
    calendar = Calendar.for_school(data.school.pack.term_dates, anchor, today)
    term_days, complete = calendar.term_days(anchor, today)
    if term_days > HALF_TERM.days:
        return _pupil("R4", data, pupil_id, "fail", (
            f"{name} has had no review for more than a half term since the {since}. Hold a review with the "
            "provider, the pupil and parents, and record it."))
    if not complete:
        return _pupil("R4", data, pupil_id, "unknown", (
            f"{name}: the term dates in school.yaml do not cover {_day(anchor)} to {_day(today)}, so it is not "
            f"known whether a half term has passed since the {since}. Add the missing half terms."))
    return None


def r5_visits(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Staff from school have visited the pupil this half term (school-arranged) or this term (others)."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.start_date > today - VISIT_GRACE:
        return None
    name = display_name(record)
    termly = placement.arranged_by != "school"
    calendar = Calendar.for_school(data.school.pack.term_dates, today, today)
    periods = calendar.terms() if termly else calendar.half_terms
    index = period_at(periods, today)
    if index is not None and today < periods[index].starts + VISIT_GRACE:
        index = index - 1 if index > 0 else None
    if index is None:
        return _pupil("R5", data, pupil_id, "unknown", (
            f"{name}: the term dates in school.yaml do not say which {'term' if termly else 'half term'} "
            f"{_day(today)} is in, so it is not known whether a visit is due. Add the missing half terms."))
    period = periods[index]
    since = max(period.starts, placement.start_date)
    if any(since <= visit.date <= today for visit in record.visits):
        return None
    every = f"term (the {_arranged(placement.arranged_by)} arranged this placement)" if termly else "half term"
    began = (f"{period.name} began on {_day(period.starts)}" if since == period.starts
             else f"the placement started on {_day(since)}")
    return _pupil("R5", data, pupil_id, "fail", (
        f"No visit to {name} is recorded since {began}. Staff from school should visit at least once a "
        f"{every}: visit, and record what was seen."))


def r6_off_site_direction(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A direction off site has an end date and the local authority has been told."""
    record = data.pupils[pupil_id]
    direction = record.placement.off_site_direction
    name = display_name(record)
    if not direction.directed:
        if _direction_contradicts(record):
            return _pupil("R6", data, pupil_id, "unknown", _contradiction(name))
        return None
    missing = [part for part, present in (
        ("the date it ends", direction.ends_on),
        ("when the local authority was told", direction.la_notified_on),
    ) if not present]
    if not missing:
        return None
    return _pupil("R6", data, pupil_id, "fail", (
        f"{name} is directed off site, but the record does not give {_and(missing)}. A direction must have "
        "an end date and the local authority must be told of it: put this right and record the dates."))


def r7_part_time_plan(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Below 18 hours a week: a current, time-limited part-time plan with a review date."""
    record = data.pupils[pupil_id]
    placement = record.placement
    name = display_name(record)
    hours = placement.hours_per_week
    if placement.sessions:
        timetabled = sum(s.hours for s in placement.sessions)
        if (timetabled < FULL_TIME_HOURS) != placement.part_time:
            return _pupil("R7", data, pupil_id, "unknown", (
                f"{name}: the placement is recorded as {_hours(hours)} a week but the sessions add up to "
                f"{_hours(timetabled)}, so it is not known whether it is part time. Correct one of them."))
    if not placement.part_time:
        return None
    plan = placement.part_time_plan
    undated = plan and [part for part, day in (("review date", plan.review_on), ("end date", plan.ends_on)) if not day]
    if plan is None:
        problem = "there is no part-time plan"
    elif undated:
        problem = f"the part-time plan has no {_and(undated)}"
    elif plan.ends_on < today:
        problem = f"the part-time plan ended on {_day(plan.ends_on)}"
    else:
        return None
    return _pupil("R7", data, pupil_id, "fail", (
        f"{name} is on {_hours(hours)} a week (part time) and {problem}. Agree a time-limited plan with a "
        "review date that moves towards full-time education, and record it."))


def r8_attendance_code(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The register code fits who arranged the placement: B (school-approved activity), K (arranged by the
    local authority), D (dual registered at another school); online provision is B only when supervised."""
    record = data.pupils[pupil_id]
    placement = record.placement
    provider = data.provider_of(pupil_id)
    name = display_name(record)
    code = placement.attendance_code
    expected = "K" if placement.arranged_by == "local_authority" else "B"
    right = f"{expected}{' (or D if dual registered there)' if provider.kind in SCHOOL_KINDS else ''}"
    if code is None:
        return _pupil("R8", data, pupil_id, "unknown", (
            f"{name}: the attendance code used for sessions at {provider.name} is not recorded. "
            f"Record it (it should be {right})."))
    fits = code == expected or (code == "D" and provider.kind in SCHOOL_KINDS)
    if not fits:
        return _pupil("R8", data, pupil_id, "fail", (
            f"{name}: sessions at {provider.name} are marked '{code}', which does not fit a placement "
            f"arranged by the {_arranged(placement.arranged_by)}. Use {right}, and correct past marks."))
    if code == "B" and provider.kind == "online" and not placement.supervised_by:
        return _pupil("R8", data, pupil_id, "unknown", (
            f"{name}: online sessions with {provider.name} are marked B, which is right only if someone the "
            "school has approved supervises them. Record who does; if nobody does, B cannot be used."))
    return None


def r9_absence_and_emergency(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """An agreed absence arrangement (who contacts whom) and the pupil's emergency contacts sent."""
    record = data.pupils[pupil_id]
    placement = record.placement
    provider = data.provider_of(pupil_id)
    checklist = provider.pre_admission
    name = display_name(record)
    arranged = placement.safeguarding.absence_arrangement or (checklist and checklist.absence_arrangement)
    sent = placement.safeguarding.emergency_details_sent_on is not None
    missing = [] if arranged else ["no agreed arrangement for absence (who contacts whom, by when)"]
    if not sent and not (checklist and checklist.emergency_contacts_sent):
        missing.append(f"no record that {provider.name} has been sent the pupil's emergency contacts")
    if missing:
        return _pupil("R9", data, pupil_id, "fail", (
            f"{name}: {_and(missing)}. Agree it with {provider.name} and record it."))
    if not sent:
        return _pupil("R9", data, pupil_id, "unknown", (
            f"{name}: {provider.name}'s pre-admission checklist says emergency contacts were sent, but not "
            "when this pupil's were. Record the date they were sent."))
    return None


def r10_dsl_contacts(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Each side can reach the other's designated safeguarding lead."""
    record = data.pupils[pupil_id]
    provider = data.provider_of(pupil_id)
    shared = record.placement.safeguarding.dsl_contact_shared
    name = display_name(record)
    problems = []
    if provider.contacts.dsl is None:
        problems.append(f"{provider.name} has no designated safeguarding lead recorded")
    if shared is False:
        problems.append(f"our DSL's contact details have not been given to {provider.name}")
    if problems:
        return _pupil("R10", data, pupil_id, "fail", (
            f"{name}: {_and(problems)}. Exchange DSL names and numbers so a concern reaches the right "
            "person the same day."))
    if shared is None:
        return _pupil("R10", data, pupil_id, "unknown", (
            f"{name}: it is not recorded whether {provider.name} has our DSL's contact details. "
            "Check and record it."))
    return None


def r11_agencies(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A looked-after, EHCP, CP or CIN pupil's placement involves the agency responsible for them (named
    as a key adult); a CP pupil's part-time timetable follows a core group meeting."""
    record = data.pupils[pupil_id]
    pupil, placement = record.pupil, record.placement
    flags, adults = pupil.flags, pupil.key_adults
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
    return _pupil("R11", data, pupil_id, "fail", (
        f"{display_name(record)}: the placement has no record of {_and(missing)}. Consult them now, and record "
        "who was involved and when."))


def r12_agreement(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A commissioning agreement signed by the provider (or partnership) and the school."""
    record = data.pupils[pupil_id]
    agreement = record.placement.agreement
    name = display_name(record)
    unsigned = [side for side, by in (("the provider", agreement.signed_by_provider),
                                      ("the school", agreement.signed_by_school)) if not by]
    if agreement.signed_on is None and len(unsigned) == 2:
        return _pupil("R12", data, pupil_id, "fail", (
            f"{name} has no signed commissioning agreement. Agree it with "
            f"{data.provider_of(pupil_id).name}, have both sides sign it, and record the date."))
    if agreement.signed_on is None:
        return _pupil("R12", data, pupil_id, "unknown", (
            f"{name}: the commissioning agreement names who signed but not when. Record the date it was signed."))
    if unsigned:
        return _pupil("R12", data, pupil_id, "unknown", (
            f"{name}: the commissioning agreement is dated {_day(agreement.signed_on)}, but who signed for "
            f"{_and(unsigned)} is not recorded. Check the signed copy and record it."))
    return None


def r13_consent(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A parent's or carer's consent, unless the school has directed the pupil off site."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.off_site_direction.directed or placement.consent.parent_signed_on is not None:
        return None
    name = display_name(record)
    if _direction_contradicts(record):
        return _pupil("R13", data, pupil_id, "unknown", _contradiction(name) + (
            " Consent is needed unless the pupil is directed."))
    return _pupil("R13", data, pupil_id, "fail", (
        f"{name} is not directed off site, and there is no record of a parent or carer's consent. Ask them "
        "to sign the consent form, and record the date."))


def r15_end_decision(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Once the target end date has passed, a review has decided what happens next."""
    record = data.pupils[pupil_id]
    placement = record.placement
    name = display_name(record)
    end = placement.target_end_date
    if placement.start_date > today:
        return None
    if end is None:
        return _pupil("R15", data, pupil_id, "unknown", (
            f"{name}: the placement has no target end date, so it is not known whether it has run past it. "
            "Set one and review the placement against it."))
    if end >= today:
        return None
    reviews = [r for r in record.reviews if r.date <= today]
    if any(r.decision in ("end", "reintegrate") or r.date >= end for r in reviews):
        return None
    return _pupil("R15", data, pupil_id, "fail", (
        f"{name}: the placement passed its target end date ({_day(end)}) with no decision recorded. Review it and "
        "record whether it ends, continues to a new end date, or the pupil returns to school."))


def r16_upn(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The UPN's check letter is right, and the UPN is the permanent one.

    ``load_school`` already refuses a UPN with a wrong check letter, so the fail case guards records made
    another way; a temporary UPN is valid but means the permanent one is not recorded.
    """
    record = data.pupils[pupil_id]
    upn = record.pupil.upn
    name = display_name(record)
    problem = upn_problem(upn)
    if problem:
        return _pupil("R16", data, pupil_id, "fail", f"{name}: the UPN {problem}. Correct it from the school's MIS.")
    if upn[-1].isalpha():
        return _pupil("R16", data, pupil_id, "unknown", (
            f"{name} has a temporary UPN ({upn}). Replace it with the permanent UPN once it is known."))
    return None


# ---------------------------------------------------------------- school rules


def r17_governance(data: SchoolData, school_id: str, today: date) -> Finding | None:
    """The governing board (or trust) has approved the school's use of alternative provision."""
    governance = data.school.governance
    name = data.school.school.name
    if governance.ap_use_approved_by is None and governance.approved_on is None:
        return _school("R17", data, "fail", (
            f"{name} has no record that its governors or trust approved its use of alternative provision. "
            "Take it to the next board meeting and record who approved it and when."))
    if governance.approved_on is None:
        return _school("R17", data, "unknown", (
            f"{name}: the record says {governance.ap_use_approved_by} approved the use of alternative "
            "provision, but not when. Record the date from the minutes."))
    if governance.ap_use_approved_by is None:
        return _school("R17", data, "unknown", (
            f"{name}: the use of alternative provision was approved on {_day(governance.approved_on)}, but the "
            "record does not say by whom. Record the board that approved it."))
    return None


RULES: tuple[Rule, ...] = (
    Rule("R1", "Provider registration", "Education Act 1996 s463; handbook 416, 420; Leicestershire partnership "
         "guidance", "provider", ("critical", "high", "advisory"), r1_registration),
    Rule("R2", "Staff-check assurance", "KCSIE (AP section); Appendix 4", "provider", ("critical",),
         r2_staff_checks),
    Rule("R3", "Written plan", "DfE Arranging alternative provision (2025)", "pupil", ("high",), r3_written_plan),
    Rule("R4", "Reviews on time", "DfE AP guidance", "pupil", ("high",), r4_reviews, ongoing=True),
    Rule("R5", "Visits", "Leicestershire key steps for schools (local practice)", "pupil", ("high",), r5_visits, ongoing=True),
    Rule("R6", "Off-site direction", "School Discipline (Pupil Exclusions and Reviews) Regs; suspension and "
         "permanent exclusion guidance 2023", "pupil", ("high",), r6_off_site_direction),
    Rule("R7", "Part-time plan", "DfE AP guidance; attendance guidance", "pupil", ("high",), r7_part_time_plan, ongoing=True),
    Rule("R8", "Attendance code", "Working together to improve school attendance", "pupil", ("high",),
         r8_attendance_code),
    Rule("R9", "Absence and emergency contacts", "JTMAT procedure; Leicestershire checklist", "pupil", ("high",),
         r9_absence_and_emergency),
    Rule("R10", "DSL contacts", "Leicestershire checklist", "pupil", ("high",), r10_dsl_contacts),
    Rule("R11", "Agencies for vulnerable pupils", "JTMAT procedure", "pupil", ("critical",), r11_agencies),
    Rule("R12", "Commissioning agreement", "Leicestershire checklist", "pupil", ("high",), r12_agreement),
    Rule("R13", "Parental consent", "JTMAT off-site form", "pupil", ("high",), r13_consent),
    Rule("R14", "LA approval and audit", "Leicestershire key steps", "provider", ("high",), r14_la_approval),
    Rule("R15", "Decision at the target end date", "DfE AP guidance", "pupil", ("high",), r15_end_decision, ongoing=True),
    Rule("R16", "UPN", "DfE Common Basic Data Set", "pupil", ("advisory",), r16_upn),
    Rule("R17", "Governance approval", "Leicestershire key steps", "school", ("high",), r17_governance),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}

_SEVERITY_ORDER = {"critical": 0, "high": 1, "advisory": 2}
_STATUS_ORDER = {"fail": 0, "unknown": 1}


def _worst_first(f: Finding) -> tuple:
    return (_SEVERITY_ORDER[f.severity], _STATUS_ORDER[f.status], int(f.rule[1:]),
            f.subject_name.casefold(), f.subject_id)


# ---------------------------------------------------------------- building findings


def _finding(rule_id: str, subject: Subject, subject_id: str, subject_name: str, status: Status, message: str,
             severity: Severity | None) -> Finding:
    rule = RULE_BY_ID[rule_id]
    return Finding(rule_id, severity or rule.severities[0], status, subject, subject_id, subject_name, message,
                   rule.source)


def _pupil(rule_id: str, data: SchoolData, pupil_id: str, status: Status, message: str,
           severity: Severity | None = None) -> Finding:
    return _finding(rule_id, "pupil", pupil_id, display_name(data.pupils[pupil_id]), status, message, severity)


def _provider(rule_id: str, data: SchoolData, provider_id: str, status: Status, message: str,
              severity: Severity | None = None) -> Finding:
    return _finding(rule_id, "provider", provider_id, data.providers[provider_id].name, status, message, severity)


def _school(rule_id: str, data: SchoolData, status: Status, message: str) -> Finding:
    return _finding(rule_id, "school", data.slug, data.school.school.name, status, message, None)


# ---------------------------------------------------------------- small helpers


def _pupils_at(data: SchoolData, provider_id: str) -> list[str]:
    return [pid for pid, record in data.pupils.items()
            if record.placement.provider == provider_id and record.placement.ended is None]


def _days(record: PupilFile) -> set[str]:
    return {session.day for session in record.placement.sessions}


def _direction_contradicts(record: PupilFile) -> bool:
    """Direction dates recorded on a placement that says it is not a direction."""
    d = record.placement.off_site_direction
    return not d.directed and any((d.directed_on, d.ends_on, d.la_notified_on))


def _contradiction(name: str) -> str:
    return (f"{name}: the record says the pupil is not directed off site but gives direction dates, so it is not "
            "known whether this is a direction. Correct the record.")


def _names(records: list[PupilFile]) -> str:
    return _and([display_name(r) for r in records])


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _hours(hours: float) -> str:
    return f"{hours:g} hours"


def _arranged(by: str) -> str:
    return by.replace("_", " ")


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
