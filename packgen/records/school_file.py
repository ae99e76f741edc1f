"""school.yaml: the school, its staff, its letters and its settings, as typed records."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from packgen.records.fields import ClockTime, Email, IsoDate, Person, Phone, Record, Text


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
