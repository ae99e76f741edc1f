"""pupils/<id>.yaml: one pupil in alternative provision and their placement, as typed records."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from packgen.records.fields import ArrangedBy, ClockTime, Day, Email, IsoDate, Phone, Record, RelativePath, Text, Upn


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


def display_name(record: PupilFile | UnplacedPupilFile) -> str:
    """Legal name as recorded, with the preferred name in brackets when the pupil uses another."""
    pupil = record.pupil
    if pupil.preferred_name and pupil.preferred_name != pupil.legal_forename:
        return f"{pupil.full_name} ({pupil.preferred_name})"
    return pupil.full_name
