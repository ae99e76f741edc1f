"""providers/<id>.yaml: one alternative provision provider, as typed records."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from packgen.records.fields import Checked, IsoDate, Person, Record, RelativePath, Text

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
