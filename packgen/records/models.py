"""Typed records: what a school folder means once it has been read and checked.

These classes are the record format (docs/records.md is generated from them). Keys keep the names office staff write in
YAML; unknown keys are refused (``extra="forbid"``) so a typo never passes silently. Every record is
frozen: once loaded, nothing downstream changes it.

Dates arrive from YAML as strings (the loader keeps them so) and are parsed here, strictly as
YYYY-MM-DD, so ``2026-13-01`` is reported as a mistake instead of crashing the YAML reader.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# ---------------------------------------------------------------- field types


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("is not a date (use YYYY-MM-DD)")


def _clock_time(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        return value.strip()
    raise ValueError("is not a time of day (use HH:MM, 24-hour, in quotes)")


def _relative_path(value: str) -> str:
    """Evidence paths must name a file inside the school folder, written relative to it."""
    path = PurePosixPath(value.replace("\\", "/"))
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        raise ValueError("must be a path inside the school folder, not an absolute path")
    if ".." in path.parts:
        raise ValueError("must not use '..' to leave the school folder")
    if not path.parts:
        raise ValueError("is empty (give a path such as evidence/agreement.pdf)")
    return str(path)


def _upn(value: str) -> str:
    from packgen.records.upn import upn_problem  # local import keeps models free of a cycle at import time

    text = value.strip().upper()
    problem = upn_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}", value.strip()):
        raise ValueError("is not an email address (like name@school.example)")
    return value.strip()


def _phone(value: str) -> str:
    """A UK phone number as people write it: 10 or 11 digits (12 with +44), spaces, dashes, brackets."""
    digits = re.sub(r"[\s()\-.]", "", value.strip())
    if not re.fullmatch(r"(\+44|0)\d{9,10}(ext\d{1,5}|x\d{1,5})?", digits.lower()):
        raise ValueError("is not a phone number (like 01632 960101 or 07700 900121)")
    return value.strip()


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]
ClockTime = Annotated[str, BeforeValidator(_clock_time)]
RelativePath = Annotated[str, AfterValidator(_relative_path)]
Upn = Annotated[str, AfterValidator(_upn)]
Text = Annotated[str, Field(min_length=1)]
Checked = bool | Literal["not_applicable"]
Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ArrangedBy = Literal["school", "partnership", "local_authority"]


class Record(BaseModel):
    """Base of every record: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Person(Record):
    name: Text
    role: str | None = None
    email: Email | None = None
    phone: Phone | None = None


# ---------------------------------------------------------------- school.yaml


class SchoolInfo(Record):
    name: Text
    urn: Annotated[str, Field(pattern=r"^\d{6,7}$")]
    la: Text
    address: Text
    phone: Phone | None = None
    email: Email | None = None
    trust: str | None = None


class Staff(Record):
    headteacher: Person
    ap_lead: Person
    dsl: Person
    attendance_lead: Person | None = None
    quality_lead: Person | None = None
    sendco: Person | None = None
    designated_teacher: Person | None = None


class Governance(Record):
    ap_use_approved_by: str | None = None
    approved_on: IsoDate | None = None


class Partnership(Record):
    name: Text
    contact: str | None = None
    email: Email | None = None
    phone: Phone | None = None


class MailServer(Record):
    """Where letters are sent from. Never a password: that comes from PACKGEN_SMTP_PASSWORD or a prompt."""

    host: Text
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None


class Letters(Record):
    reply_to: Person
    reply_within_days: Annotated[int, Field(ge=1, le=365)] = 14
    sender: str | None = None  # the e-mails' From; replies still go to reply_to
    smtp: MailServer | None = None


class TermDate(Record):
    name: Text
    starts: IsoDate
    ends: IsoDate


class SchoolDay(Record):
    """When pupils are expected to be somewhere: used to say where each pupil should be right now."""

    starts: ClockTime = "08:40"
    ends: ClockTime = "15:20"


class PackSettings(Record):
    title: str | None = None
    term_dates: list[TermDate] = []
    school_day: SchoolDay = SchoolDay()


RegistrationLaw = Literal["education-act-1996", "cws-act-2026"]


class ReadinessSettings(Record):
    """How this school wants some readiness rules applied, where the law or guidance leaves a choice."""

    # Which registration test R1 applies: Education Act 1996 s463 (in force), or the Children's Wellbeing
    # and Schools Act 2026 s43 test, which counts any special educational needs (not yet in force until a
    # commencement date is recorded).
    registration_law: RegistrationLaw = "education-act-1996"
    cws_act_commenced_on: IsoDate | None = None
    # Hours a week that count as full time for the registration test, until regulations define them.
    full_time_hours: Annotated[float, Field(gt=0, le=40)] = 18
    # The longest off-site direction the school's behaviour policy allows (the law sets none).
    direction_max_weeks: Annotated[int, Field(ge=1, le=52)] | None = None
    # Check placements at unregistered providers against the DfE's proposed limits (not yet law).
    unregistered_limits: bool = False


class SchoolFile(Record):
    school: SchoolInfo
    staff: Staff
    governance: Governance = Governance()
    partnership: Partnership | None = None
    letters: Letters
    pack: PackSettings = PackSettings()
    readiness: ReadinessSettings = ReadinessSettings()


# ---------------------------------------------------------------- providers/<id>.yaml


CensusSetting = Literal["NFE", "OOT", "OTH", "WBP"]


class Registration(Record):
    status: Literal["registered", "unregistered"]
    urn: str | None = None
    ukprn: Annotated[str, Field(pattern=r"^1\d{7}$")] | None = None  # UK register of learning providers
    # The school census's type of setting, for a provider with neither URN nor UKPRN (codes/census.yaml).
    census_setting_type: CensusSetting | None = None
    ofsted_grade: Literal["outstanding", "good", "requires_improvement", "inadequate", "not_yet_inspected"] | None = (
        None
    )
    last_inspected: IsoDate | None = None


class LaApproval(Record):
    approved: bool
    directory: str | None = None
    audited_on: IsoDate | None = None


class ProviderContacts(Record):
    lead: Person
    dsl: Person | None = None
    attendance: Person | None = None


class StaffChecks(Record):
    """Appendix 4, part 1: checks the provider confirms it has made on its staff."""

    identity: Checked | None = None
    enhanced_dbs_barred_list: Checked | None = None
    right_to_work: Checked | None = None
    overseas: Checked | None = None
    qualifications_qts: Checked | None = None
    prohibition: Checked | None = None
    section_128: Checked | None = None


class SafeguardingPractice(Record):
    """Appendix 4, part 2: training and policies the provider confirms."""

    safeguarding_training: bool | None = None
    annual_safeguarding_update: bool | None = None
    safer_recruitment_panel: bool | None = None
    safeguarding_policy: bool | None = None
    attendance_policy: bool | None = None
    code_of_conduct: bool | None = None
    whistleblowing_policy: bool | None = None
    online_safety_policy: bool | None = None
    prevent_duty: bool | None = None
    equality_statement: bool | None = None
    complaints_policy: bool | None = None


class Assurance(Record):
    requested_on: IsoDate | None = None
    received_on: IsoDate | None = None
    checks: StaffChecks = StaffChecks()
    practice: SafeguardingPractice = SafeguardingPractice()
    staff_named: list[Text] = []
    evidence: RelativePath | None = None


class PreAdmissionItems(Record):
    child_protection_policy: bool | None = None
    code_of_conduct: bool | None = None
    online_safety: bool | None = None
    whistleblowing_policy: bool | None = None
    prevent_compliance: bool | None = None
    complaints_process: bool | None = None
    equality_objectives: bool | None = None
    assurance_letter_received: bool | None = None
    safeguarding_training_records: bool | None = None
    attendance_tracking: bool | None = None
    missing_education_safeguards: bool | None = None
    sharing_concerns_process: bool | None = None
    site_secure: bool | None = None
    visitor_security: bool | None = None
    evacuation_and_lockdown: bool | None = None


class Duty(Record):
    by: Text
    frequency: Text


class PreAdmission(Record):
    completed_on: IsoDate | None = None
    completed_by: str | None = None
    items: PreAdmissionItems = PreAdmissionItems()
    absence_arrangement: str | None = None
    transport: str | None = None
    emergency_contacts_sent: bool | None = None
    full_time_equivalent: bool | None = None
    not_full_time_reason: str | None = None
    safe_and_well_checks: Duty | None = None
    monitoring_visits: Duty | None = None


class QaVisit(Record):
    date: IsoDate
    by: Text
    focus: Literal["quality_of_education", "progress", "personal_development"]
    judgements: dict[str, str] = {}
    notes: str | None = None
    actions: list[Text] = []


class NationalStandards(Record):
    """What an unregistered provider says about the DfE's voluntary national standards for non-school AP."""

    meets: bool
    stated_on: IsoDate | None = None


class Provider(Record):
    name: Text
    kind: Literal["registered_ap", "pupil_referral_unit", "independent_school", "college", "unregistered", "online"]
    registration: Registration
    la_approved: LaApproval | None = None
    address: Text
    contacts: ProviderContacts
    assurance: Assurance = Assurance()
    pre_admission: PreAdmission | None = None
    qa_visits: list[QaVisit] = []
    national_standards: NationalStandards | None = None


# ---------------------------------------------------------------- pupils/<id>.yaml


class Flags(Record):
    lac: bool = False
    lac_la: str | None = None
    ehcp: bool = False
    sen_support: bool = False
    cp: bool = False
    cin: bool = False
    eha: bool = False


class PreviousAp(Record):
    had: bool = False
    when: str | None = None


class ParentCarer(Record):
    name: Text
    relationship: str | None = None
    phone: Phone | None = None
    email: Email | None = None


class KeyAdults(Record):
    head_of_year: str | None = None
    attendance_manager: str | None = None
    social_worker: str | None = None
    sen_keyworker: str | None = None
    virtual_school_rep: str | None = None
    others: list[Text] = []


class PupilDetails(Record):
    upn: Upn
    legal_forename: Text
    legal_surname: Text
    preferred_name: str | None = None
    dob: IsoDate
    year_group: Annotated[int, Field(ge=-1, le=14)]
    gender: Text
    ethnicity: str | None = None
    address: str | None = None  # home address, one line, as the MIS holds it
    home_phone: str | None = None
    flags: Flags = Flags()
    outside_agencies: list[Text] = []
    previous_ap: PreviousAp = PreviousAp()
    parent_carers: list[ParentCarer] = []
    emergency_contacts: list[ParentCarer] = []  # who to call when no parent or carer answers
    key_adults: KeyAdults = KeyAdults()

    @property
    def full_name(self) -> str:
        return f"{self.legal_forename} {self.legal_surname}"


class OffSiteDirection(Record):
    directed: bool = False
    directed_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    la_notified_on: IsoDate | None = None  # the local authority that maintains the pupil's EHC plan
    # The written notice to parents: when it was given and what it must say besides the provider's address
    # and the days and times (both taken from the placement).
    notice_given_on: IsoDate | None = None
    report_to: str | None = None  # who the pupil reports to on the first day
    reasons: str | None = None
    objectives: str | None = None


class Session(Record):
    day: Day
    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")

    @property
    def hours(self) -> float:
        (h1, m1), (h2, m2) = (map(int, t.split(":")) for t in (self.start, self.end))
        return ((h2 * 60 + m2) - (h1 * 60 + m1)) / 60


class Cost(Record):
    amount: Annotated[float, Field(ge=0)]
    per: Literal["day", "session", "week", "half_term", "term", "year", "placement"]
    paid_by: ArrangedBy


class PartTimePlan(Record):
    reason: Text
    review_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    core_group_on: IsoDate | None = None  # the CP core group meeting that agreed it (JTMAT procedure)


class ReintegrationStep(Record):
    by: IsoDate
    step: Text


class Baseline(Record):
    attendance_percent: Annotated[float, Field(ge=0, le=100)] | None = None
    notes: str | None = None


class Target(Record):
    text: Text
    measure: str | None = None


class PlacementSafeguarding(Record):
    absence_arrangement: str | None = None
    emergency_details_sent_on: IsoDate | None = None
    dsl_contact_shared: bool | None = None
    suspension_procedure: str | None = None


class Consent(Record):
    parent_signed_on: IsoDate | None = None
    school_signed_on: IsoDate | None = None


class Agreement(Record):
    signed_on: IsoDate | None = None
    signed_by_provider: str | None = None
    signed_by_school: str | None = None
    evidence: RelativePath | None = None


EndOutcome = Literal[
    "returned_to_school", "moved_provider", "moved_school", "permanently_excluded", "left_education", "other"
]


class PlacementEnd(Record):
    """How and when a placement ended: the one place a record says so. The placement stays in the record:
    its history is evidence. The school census return takes its leaving date from `ended_on`; the
    governors' report and the end-of-placement review say `destination`. The end form on the web page
    asks for all of it.

    Records written before this block existed said `ended_on` and `destination` directly under
    `placement`. packgen reads such a file as a mistake, naming the line and showing this block with the
    record's own date and destination filled in, rather than converting it quietly: the old keys never
    said why the placement ended or what happened next, which inspectors ask of every ended placement,
    and packgen will not guess them for the school."""

    ended_on: IsoDate
    reason: Text
    outcome: EndOutcome
    destination: str | None = None  # where the pupil went next, in words: "Year 10 at Brookfield, full time"
    reintegration: str | None = None  # how the return to school (or the move) was supported


class Placement(Record):
    provider: Text
    arranged_by: ArrangedBy
    category: Literal["pex_on_roll", "at_risk_full_time", "short_term_part_time"]
    off_site_direction: OffSiteDirection = OffSiteDirection()
    agreed_at_meeting: IsoDate | None = None
    start_date: IsoDate
    target_end_date: IsoDate | None = None
    hours_per_week: Annotated[float, Field(gt=0, le=40)]
    sessions: list[Session] = []
    attendance_code: Literal["B", "K", "D", "/", "\\"] | None = None  # for the sessions at the provider
    supervised_by: str | None = None  # who supervises online sessions: code B needs someone the school approved
    transport: str | None = None
    cost: Cost | None = None
    purpose: str | None = None
    desired_outcome: str | None = None
    why_ap: str | None = None
    why_this_provider: str | None = None
    curriculum: list[Text] = []
    reintegration: str | None = None
    reintegration_timeline: list[ReintegrationStep] = []
    # Where the pupil is for the school sessions not spent at the provider: in school (marked present), or
    # away on an agreed part-time timetable (code C2).
    sessions_not_at_provider: Literal["at_school", "C2"] | None = None
    part_time_plan: PartTimePlan | None = None
    baseline: Baseline = Baseline()
    targets: list[Target] = []
    safeguarding: PlacementSafeguarding = PlacementSafeguarding()
    consent: Consent = Consent()
    agreement: Agreement = Agreement()
    la_notified_on: IsoDate | None = None
    census_reason: str | None = None  # the school census reason code, when not the one its category implies
    ended: PlacementEnd | None = None

    @property
    def part_time(self) -> bool:
        return self.hours_per_week < 18

    @property
    def ended_on(self) -> date | None:
        """The day it ended, for the census return, reports and templates (from ``ended``)."""
        return self.ended.ended_on if self.ended else None

    @property
    def destination(self) -> str | None:
        """Where the pupil went next, once it ended (from ``ended``)."""
        return self.ended.destination if self.ended else None

    def ended_by(self, day: date) -> bool:
        return self.ended is not None and self.ended.ended_on <= day


def _has_ended(placement: Placement) -> Placement:
    if placement.ended is None:
        raise ValueError("a past placement needs 'ended': when and why it ended")
    return placement


Rating = Literal["achieved", "on_track", "some_progress", "not_yet", "not_assessed"]


class TargetProgress(Record):
    target: Annotated[int, Field(ge=1)]
    rating: Rating | None = None
    evidence: str | None = None


class Review(Record):
    date: IsoDate
    attendees: list[Text] = []
    attendance_percent: Annotated[float, Field(ge=0, le=100)] | None = None
    progress: list[TargetProgress] = []
    pupil_voice: str | None = None
    parent_voice: str | None = None
    decision: Literal["continue", "change", "end", "reintegrate"]
    decision_notes: str | None = None
    next_review: IsoDate | None = None


class Risk(Record):
    risk: Text
    mitigation: str | None = None


class Visit(Record):
    date: IsoDate
    duration_minutes: Annotated[int, Field(gt=0, le=600)] | None = None
    by: Text
    purpose: Text
    risks: list[Risk] = []
    progress: list[TargetProgress] = []
    outcome: str | None = None
    concerns: bool = False
    concern_details: str | None = None
    safeguarding_procedure_followed: bool | None = None


class AttendancePeriod(Record):
    start: IsoDate = Field(alias="from")
    end: IsoDate = Field(alias="to")
    possible_sessions: Annotated[int, Field(ge=0)]
    attended_sessions: Annotated[int, Field(ge=0)]

    @property
    def percent(self) -> float | None:
        return None if self.possible_sessions == 0 else 100 * self.attended_sessions / self.possible_sessions


class PupilFile(Record):
    pupil: PupilDetails
    placement: Placement  # the current placement, or the last one with its 'ended' block
    past_placements: list[Annotated[Placement, AfterValidator(_has_ended)]] = []  # oldest first
    reviews: list[Review] = []
    visits: list[Visit] = []
    attendance: list[AttendancePeriod] = []


class UnplacedPupilFile(Record):
    """A pupil record made from the MIS before its placement is written: loads, but is not yet in a pack."""

    pupil: PupilDetails


# ---------------------------------------------------------------- a whole school, loaded


class SchoolData(BaseModel):
    """Everything in one school folder, checked. Ids are file names without ``.yaml``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    slug: str
    folder: str
    school: SchoolFile
    providers: dict[str, Provider]
    pupils: dict[str, PupilFile]
    unplaced: dict[str, UnplacedPupilFile] = {}  # pupils whose placement is still to be written

    def provider_of(self, pupil_id: str) -> Provider:
        return self.providers[self.pupils[pupil_id].placement.provider]


def display_name(record: PupilFile | UnplacedPupilFile) -> str:
    """Legal name as recorded, with the preferred name in brackets when the pupil uses another."""
    pupil = record.pupil
    if pupil.preferred_name and pupil.preferred_name != pupil.legal_forename:
        return f"{pupil.full_name} ({pupil.preferred_name})"
    return pupil.full_name
