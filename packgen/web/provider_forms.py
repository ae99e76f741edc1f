"""The forms for a provider's record and the school's own settings, declared as data.

Every field of models.Provider and models.SchoolFile has a place here, except the SMTP password,
which is never written to a record (it comes from PACKGEN_SMTP_PASSWORD or a prompt).
"""

from __future__ import annotations

from collections.abc import Mapping

from packgen.records.provider_file import PreAdmissionItems, Provider, Registration, SafeguardingPractice, StaffChecks
from packgen.records.school_file import MailServer, ReadinessSettings
from packgen.web.forms import LINES_HINT, Field, FormSpec, Rows, Section, choices_of, numbered

Words = Mapping[str, str]
CHECKED = (("yes", "Yes"), ("no", "No"), ("not_applicable", "Not applicable"))


def _person(prefix: str, path: tuple, title: str, required: bool = False, role: bool = True) -> tuple[Field, ...]:
    return (
        Field(f"{prefix}_name", f"{title}: name", (*path, "name"), required=required),
        *((Field(f"{prefix}_role", f"{title}: role", (*path, "role")),) if role else ()),
        Field(f"{prefix}_email", f"{title}: email", (*path, "email"), "email"),
        Field(f"{prefix}_phone", f"{title}: phone", (*path, "phone"), "phone"),
    )


def _words_for(key: str, words: Words) -> str:
    return words.get(key, key.replace("_", " ").capitalize())


def provider_form(words: Words, scan_saved: bool = False) -> FormSpec:
    return FormSpec(
        "Provider",
        (
            Section(
                "Provider",
                (
                    Field("name", "Name", ("name",), required=True),
                    Field(
                        "kind",
                        "Kind of provider",
                        ("kind",),
                        "choice",
                        choices_of(Provider, "kind", words),
                        required=True,
                    ),
                    Field("address", "Address", ("address",), "long", required=True),
                ),
            ),
            Section(
                "Registration",
                (
                    Field(
                        "registration_status",
                        "Registration with the Department for Education",
                        ("registration", "status"),
                        "choice",
                        choices_of(Registration, "status", words),
                        required=True,
                    ),
                    Field(
                        "registration_urn",
                        "URN",
                        ("registration", "urn"),
                        width="govuk-input--width-10",
                        hint="The 6 or 7 digit number of a registered school or provider.",
                    ),
                    Field(
                        "registration_ukprn",
                        "UKPRN",
                        ("registration", "ukprn"),
                        width="govuk-input--width-10",
                        hint="The 8 digit UK provider reference number of a college or training provider.",
                    ),
                    Field(
                        "census_setting_type",
                        "Type of setting, for the school census",
                        ("registration", "census_setting_type"),
                        "choice",
                        choices_of(Registration, "census_setting_type", words),
                        hint="Only for a provider with neither a URN nor a UKPRN.",
                    ),
                    Field(
                        "ofsted_grade",
                        "Latest Ofsted judgement",
                        ("registration", "ofsted_grade"),
                        "choice",
                        choices_of(Registration, "ofsted_grade", words),
                    ),
                    Field("last_inspected", "Last inspected on", ("registration", "last_inspected"), "date"),
                ),
            ),
            Section(
                "Contacts",
                _person("lead", ("contacts", "lead"), "Main contact", required=True)
                + _person("dsl", ("contacts", "dsl"), "Safeguarding lead (DSL)")
                + _person("attendance", ("contacts", "attendance"), "Attendance contact"),
            ),
            Section(
                "Local authority approval",
                (
                    Field(
                        "la_approved", "On the local authority's approved list", ("la_approved", "approved"), "yesno"
                    ),
                    Field("la_directory", "Which list or directory", ("la_approved", "directory")),
                    Field("la_audited_on", "Audited by the local authority on", ("la_approved", "audited_on"), "date"),
                ),
            ),
            Section(
                "Safeguarding letter (Appendix 4)",
                (
                    Field("requested_on", "Requested on", ("assurance", "requested_on"), "date"),
                    Field("received_on", "Returned on", ("assurance", "received_on"), "date"),
                    *(
                        Field(f"check_{key}", _words_for(key, words), ("assurance", "checks", key), "yesno", CHECKED)
                        for key in StaffChecks.model_fields
                    ),
                    *(
                        Field(f"practice_{key}", _words_for(key, words), ("assurance", "practice", key), "yesno")
                        for key in SafeguardingPractice.model_fields
                    ),
                    Field(
                        "staff_named",
                        "Staff named in the letter",
                        ("assurance", "staff_named"),
                        "lines",
                        hint=LINES_HINT,
                    ),
                    Field(
                        "assurance_scan",
                        "Returned letter (PDF scan)",
                        ("assurance", "evidence"),
                        "file",
                        hint="A scan is saved already. Choose a PDF only to replace it."
                        if scan_saved
                        else "Choose the letter the provider returned, signed, as a PDF.",
                    ),
                ),
            ),
            Section(
                "Pre-admission checks",
                (
                    Field("pre_completed_on", "Completed on", ("pre_admission", "completed_on"), "date"),
                    Field("pre_completed_by", "Completed by", ("pre_admission", "completed_by")),
                    *(
                        Field(f"item_{key}", _words_for(key, words), ("pre_admission", "items", key), "yesno")
                        for key in PreAdmissionItems.model_fields
                    ),
                    Field("pre_absence", "If a pupil is absent", ("pre_admission", "absence_arrangement"), "long"),
                    Field("pre_transport", "Transport", ("pre_admission", "transport"), "long"),
                    Field(
                        "pre_contacts_sent",
                        "Emergency contacts sent",
                        ("pre_admission", "emergency_contacts_sent"),
                        "yesno",
                    ),
                    Field("pre_full_time", "Full-time equivalent", ("pre_admission", "full_time_equivalent"), "yesno"),
                    Field("pre_not_full_time", "Why not full time", ("pre_admission", "not_full_time_reason"), "long"),
                    Field("safe_well_by", "Safe and well checks: by", ("pre_admission", "safe_and_well_checks", "by")),
                    Field(
                        "safe_well_often",
                        "Safe and well checks: how often",
                        ("pre_admission", "safe_and_well_checks", "frequency"),
                    ),
                    Field("monitoring_by", "Monitoring visits: by", ("pre_admission", "monitoring_visits", "by")),
                    Field(
                        "monitoring_often",
                        "Monitoring visits: how often",
                        ("pre_admission", "monitoring_visits", "frequency"),
                    ),
                ),
            ),
            Section(
                "National standards for unregistered providers",
                (
                    Field(
                        "standards_meets",
                        "The provider says it meets the national standards",
                        ("national_standards", "meets"),
                        "yesno",
                    ),
                    Field("standards_stated_on", "Said on", ("national_standards", "stated_on"), "date"),
                ),
                hint="Only for a provider that is not registered.",
            ),
        ),
    )


def school_form(words: Words, counts: Mapping[str, int]) -> FormSpec:
    return FormSpec(
        "School settings",
        (
            Section(
                "School",
                (
                    Field("school_name", "School name", ("school", "name"), required=True),
                    Field("school_urn", "URN", ("school", "urn"), required=True, width="govuk-input--width-10"),
                    Field("school_la", "Local authority", ("school", "la"), required=True),
                    Field("school_address", "Address", ("school", "address"), "long", required=True),
                    Field("school_phone", "Phone", ("school", "phone"), "phone"),
                    Field("school_email", "Email", ("school", "email"), "email"),
                    Field("school_trust", "Trust", ("school", "trust")),
                    Field(
                        "logo",
                        "School logo",
                        (),
                        "file",
                        hint="A PNG or JPEG picture. It appears at the top of every page.",
                    ),
                ),
            ),
            Section(
                "Staff",
                _person("head", ("staff", "headteacher"), "Headteacher", required=True)
                + _person("ap_lead", ("staff", "ap_lead"), "Alternative provision lead", required=True)
                + _person("dsl", ("staff", "dsl"), "Safeguarding lead (DSL)", required=True)
                + _person("attendance", ("staff", "attendance_lead"), "Attendance lead")
                + _person("quality", ("staff", "quality_lead"), "Quality lead")
                + _person("sendco", ("staff", "sendco"), "SENCO")
                + _person("designated", ("staff", "designated_teacher"), "Designated teacher"),
            ),
            Section(
                "Governance",
                (
                    Field(
                        "approved_by", "Use of alternative provision approved by", ("governance", "ap_use_approved_by")
                    ),
                    Field("approved_on", "Approved on", ("governance", "approved_on"), "date"),
                ),
            ),
            Section(
                "Partnership",
                (
                    Field("partnership_name", "Partnership name", ("partnership", "name")),
                    Field("partnership_contact", "Contact", ("partnership", "contact")),
                    Field("partnership_email", "Email", ("partnership", "email"), "email"),
                    Field("partnership_phone", "Phone", ("partnership", "phone"), "phone"),
                ),
            ),
            Section(
                "Letters to providers",
                (
                    *_person("reply", ("letters", "reply_to"), "Replies go to", required=True),
                    Field("reply_within_days", "Days to reply", ("letters", "reply_within_days"), "number"),
                    Field("sender", "Sent from (email address)", ("letters", "sender"), "email"),
                    Field(
                        "smtp_host",
                        "Mail server",
                        ("letters", "smtp", "host"),
                        hint="The password is never kept here: packgen asks for it when sending.",
                    ),
                    Field("smtp_port", "Mail server port", ("letters", "smtp", "port"), "number"),
                    Field(
                        "smtp_security",
                        "Mail server security",
                        ("letters", "smtp", "security"),
                        "choice",
                        choices_of(MailServer, "security", words),
                    ),
                    Field("smtp_user", "Mail server user name", ("letters", "smtp", "user")),
                ),
            ),
            Section(
                "How the readiness rules are applied",
                (
                    Field(
                        "registration_law",
                        "Which law decides whether a provider must register",
                        ("readiness", "registration_law"),
                        "choice",
                        choices_of(ReadinessSettings, "registration_law", words),
                    ),
                    Field(
                        "cws_act_commenced_on",
                        "Children's Wellbeing and Schools Act test in force from",
                        ("readiness", "cws_act_commenced_on"),
                        "date",
                    ),
                    Field(
                        "full_time_hours",
                        "Hours a week that count as full time",
                        ("readiness", "full_time_hours"),
                        "number",
                    ),
                    Field(
                        "direction_max_weeks",
                        "Longest off-site direction the behaviour policy allows (weeks)",
                        ("readiness", "direction_max_weeks"),
                        "number",
                    ),
                    Field(
                        "unregistered_limits",
                        "Check unregistered placements against the proposed limits",
                        ("readiness", "unregistered_limits"),
                        "check",
                    ),
                ),
            ),
            Section(
                "Evidence pack",
                (
                    Field("pack_title", "Title of the pack", ("pack", "title")),
                    Field("day_starts", "School day starts", ("pack", "school_day", "starts"), "time"),
                    Field("day_ends", "School day ends", ("pack", "school_day", "ends"), "time"),
                    Rows(
                        "terms",
                        "Term",
                        ("pack", "term_dates"),
                        (
                            Field("name", "Name", ("name",)),
                            Field("starts", "Starts", ("starts",), "date"),
                            Field("ends", "Ends", ("ends",), "date"),
                        ),
                        numbered("Term", counts.get("term_dates", 0) + 1),
                    ),
                ),
            ),
        ),
    )
