"""The forms for a pupil's record, declared as data: every field of models.PupilFile has a place.

Paths are relative to the part of the record a form edits (``pupil``, ``placement``, one review...);
``extra`` says how many empty rows a list shows beyond those already filled in.
"""

from __future__ import annotations

from collections.abc import Mapping

from packgen.records.pupil_file import Cost, Placement
from packgen.web.forms import LINES_HINT, Field, FormSpec, Rows, Section, choices_of, numbered

Words = Mapping[str, str]  # labels.yaml's words for the records' codes
DAYS = tuple(
    (d, d_long)
    for d, d_long in (
        ("Mon", "Monday"),
        ("Tue", "Tuesday"),
        ("Wed", "Wednesday"),
        ("Thu", "Thursday"),
        ("Fri", "Friday"),
        ("Sat", "Saturday"),
        ("Sun", "Sunday"),
    )
)
SCAN_SAVED = "A scan is saved already. Choose a PDF only to replace it."
FLAGS = (
    ("lac", "Looked after by a local authority"),
    ("ehcp", "Has an education, health and care plan"),
    ("sen_support", "SEN support"),
    ("cp", "Child protection plan"),
    ("cin", "Child in need plan"),
    ("eha", "Early help assessment"),
)


def _person_rows(name: str, noun: str, path: tuple, count: int, relationship: bool = True) -> Rows:
    return Rows(
        name,
        noun,
        path,
        (
            Field("name", "Name", ("name",)),
            *(
                (Field("relationship", "Relationship to the pupil", ("relationship",), width="govuk-input--width-20"),)
                if relationship
                else ()
            ),
            Field("phone", "Phone", ("phone",), "phone"),
            Field("email", "Email", ("email",), "email"),
        ),
        numbered(noun, count),
    )


def _identity() -> tuple[Field, ...]:
    return (
        Field(
            "upn",
            "Unique pupil number (UPN)",
            ("upn",),
            required=True,
            width="govuk-input--width-20",
            hint="13 characters from the school's records, for example B801200005001.",
        ),
        Field("legal_forename", "Legal first name", ("legal_forename",), required=True),
        Field("legal_surname", "Legal last name", ("legal_surname",), required=True),
        Field("preferred_name", "Preferred name", ("preferred_name",), hint="If the pupil goes by another name."),
        Field("dob", "Date of birth", ("dob",), "date", required=True, hint="For example, 27 3 2012"),
        Field(
            "year_group", "Year group", ("year_group",), "number", required=True, hint="For example, 9. Reception is 0."
        ),
        Field("gender", "Gender", ("gender",), required=True, width="govuk-input--width-10"),
        Field("ethnicity", "Ethnicity", ("ethnicity",)),
    )


def _flags() -> tuple[Field, ...]:
    return (
        *tuple(Field(key, words, ("flags", key), "check") for key, words in FLAGS),
        Field("lac_la", "Local authority looking after the pupil", ("flags", "lac_la")),
        Field("outside_agencies", "Outside agencies involved", ("outside_agencies",), "lines", hint=LINES_HINT),
        Field("previous_ap", "Has been in alternative provision before", ("previous_ap", "had"), "check"),
        Field("previous_ap_when", "When and where", ("previous_ap", "when")),
    )


def pupil_details_form(counts: Mapping[str, int]) -> FormSpec:
    """The pupil part of the record: identity, flags, family and contacts, key adults."""
    return FormSpec(
        "Pupil details",
        (
            Section("Identity", _identity()),
            Section(
                "Home",
                (
                    Field(
                        "address", "Home address", ("address",), hint="On one line, as the school's records have it."
                    ),
                    Field("home_phone", "Home phone", ("home_phone",), "phone"),
                ),
            ),
            Section("Needs and involvement", _flags()),
            Section(
                "Parents and carers",
                (_person_rows("parents", "Parent or carer", ("parent_carers",), counts.get("parent_carers", 0) + 1),),
                hint="Leave a row empty to remove it.",
            ),
            Section(
                "Emergency contacts",
                (
                    _person_rows(
                        "emergency",
                        "Emergency contact",
                        ("emergency_contacts",),
                        counts.get("emergency_contacts", 0) + 1,
                    ),
                ),
                hint="Who to call if a parent or carer cannot be reached.",
            ),
            Section(
                "Key adults",
                (
                    Field("head_of_year", "Head of year", ("key_adults", "head_of_year")),
                    Field("attendance_manager", "Attendance manager", ("key_adults", "attendance_manager")),
                    Field("social_worker", "Social worker", ("key_adults", "social_worker")),
                    Field("sen_keyworker", "SEN key worker", ("key_adults", "sen_keyworker")),
                    Field("virtual_school_rep", "Virtual school contact", ("key_adults", "virtual_school_rep")),
                    Field("others", "Other key adults", ("key_adults", "others"), "lines", hint=LINES_HINT),
                ),
            ),
        ),
    )


def placement_basics(providers: Mapping[str, str], words: Words) -> tuple[Field, ...]:
    return (
        Field("provider", "Provider", ("provider",), "choice", tuple(providers.items()), required=True),
        Field(
            "category",
            "Kind of placement",
            ("category",),
            "choice",
            choices_of(Placement, "category", words),
            required=True,
        ),
        Field(
            "arranged_by",
            "Arranged by",
            ("arranged_by",),
            "choice",
            choices_of(Placement, "arranged_by", words),
            required=True,
        ),
        Field("start_date", "Start date", ("start_date",), "date", required=True),
        Field("target_end_date", "Planned end date", ("target_end_date",), "date"),
        Field(
            "hours_per_week",
            "Hours a week",
            ("hours_per_week",),
            "number",
            required=True,
            hint="Under 18 hours is part time and needs a part-time plan.",
        ),
    )


def new_pupil_form(providers: Mapping[str, str], words: Words) -> FormSpec:
    """What a record needs to exist: the pupil's identity and the placement's essentials."""
    place = tuple(
        Field(f.name, f.label, ("placement", *f.path), f.kind, f.choices, f.hint, f.required, f.width)
        for f in placement_basics(providers, words)
    )
    who = tuple(
        Field(f.name, f.label, ("pupil", *f.path), f.kind, f.choices, f.hint, f.required, f.width)
        for f in _identity() + _flags()[:6]
    )
    return FormSpec(
        "Add a pupil",
        (Section("Pupil", who[:8]), Section("Needs", who[8:]), Section("Placement", place)),
        intro="The rest of the record (family, plan, targets, consent) can be added once it is saved.",
    )


def placement_form(
    providers: Mapping[str, str], words: Words, counts: Mapping[str, int], scan_saved: bool = False
) -> FormSpec:
    return FormSpec(
        "Placement",
        (
            Section(
                "Placement",
                (
                    *placement_basics(providers, words),
                    Field("agreed_at_meeting", "Agreed at the meeting on", ("agreed_at_meeting",), "date"),
                    Field(
                        "attendance_code",
                        "Attendance code in the register",
                        ("attendance_code",),
                        "choice",
                        choices_of(Placement, "attendance_code", words),
                    ),
                    Field("supervised_by", "Who supervises online sessions", ("supervised_by",)),
                    Field(
                        "sessions_not_at_provider",
                        "Where the pupil is for school sessions not at the provider",
                        ("sessions_not_at_provider",),
                        "choice",
                        choices_of(Placement, "sessions_not_at_provider", words),
                    ),
                ),
            ),
            Section(
                "Off-site direction",
                (
                    Field("directed", "The pupil was directed off-site", ("off_site_direction", "directed"), "check"),
                    Field("directed_on", "Directed on", ("off_site_direction", "directed_on"), "date"),
                    Field("direction_ends_on", "Direction ends on", ("off_site_direction", "ends_on"), "date"),
                    Field(
                        "direction_la_notified_on",
                        "Local authority told of the direction on",
                        ("off_site_direction", "la_notified_on"),
                        "date",
                    ),
                    Field(
                        "notice_given_on",
                        "Written notice given to parents on",
                        ("off_site_direction", "notice_given_on"),
                        "date",
                        hint="At least two school days before the placement starts.",
                    ),
                    Field(
                        "report_to",
                        "Who the pupil reports to on the first day",
                        ("off_site_direction", "report_to"),
                    ),
                    Field("direction_reasons", "Reasons for the direction", ("off_site_direction", "reasons"), "long"),
                    Field(
                        "direction_objectives",
                        "What the direction is meant to achieve",
                        ("off_site_direction", "objectives"),
                        "long",
                    ),
                ),
                hint="Only for a pupil the school directed to attend off site.",
            ),
            Section(
                "Weekly timetable",
                (
                    Rows(
                        "sessions",
                        "Session",
                        ("sessions",),
                        (
                            Field("day", "Day", ("day",), "choice", DAYS),
                            Field("from", "Starts", ("from",), "time", hint="For example, 09:30"),
                            Field("to", "Ends", ("to",), "time", hint="For example, 14:30"),
                        ),
                        numbered("Session", counts.get("sessions", 0) + 2),
                        flow=True,
                    ),
                ),
                hint="One row per session. Leave a row empty to remove it.",
            ),
            Section(
                "Cost and transport",
                (
                    Field("cost_amount", "Cost (£)", ("cost", "amount"), "number"),
                    Field("cost_per", "Cost per", ("cost", "per"), "choice", choices_of(Cost, "per", words)),
                    Field(
                        "cost_paid_by", "Who pays", ("cost", "paid_by"), "choice", choices_of(Cost, "paid_by", words)
                    ),
                    Field("transport", "Transport", ("transport",), "long"),
                    Field("la_notified_on", "Local authority told of the placement on", ("la_notified_on",), "date"),
                ),
            ),
            Section(
                "Plan",
                (
                    Field("purpose", "Purpose", ("purpose",), "long"),
                    Field("desired_outcome", "Desired outcome", ("desired_outcome",), "long"),
                    Field("why_ap", "Why alternative provision", ("why_ap",), "long"),
                    Field("why_this_provider", "Why this provider", ("why_this_provider",), "long"),
                    Field("curriculum", "Curriculum", ("curriculum",), "lines", hint="One subject or course per line."),
                ),
                link=("reintegration", "Change the return to school plan and its dated steps"),
            ),
            Section(
                "Part-time plan",
                (
                    Field("part_time_reason", "Why part time", ("part_time_plan", "reason"), "long"),
                    Field("part_time_review_on", "Review on", ("part_time_plan", "review_on"), "date"),
                    Field("part_time_ends_on", "Ends on", ("part_time_plan", "ends_on"), "date"),
                    Field(
                        "core_group_on",
                        "Agreed at the core group meeting on",
                        ("part_time_plan", "core_group_on"),
                        "date",
                    ),
                ),
                hint="Only for fewer than 18 hours a week.",
            ),
            Section(
                "Baseline and targets",
                (
                    Field(
                        "baseline_attendance",
                        "Attendance before the placement (%)",
                        ("baseline", "attendance_percent"),
                        "number",
                    ),
                    Field("baseline_notes", "Baseline notes", ("baseline", "notes"), "long"),
                    Rows(
                        "targets",
                        "Target",
                        ("targets",),
                        (
                            Field("text", "Target", ("text",), "long"),
                            Field("measure", "How it is measured", ("measure",)),
                        ),
                        numbered("Target", counts.get("targets", 0) + 1),
                    ),
                ),
            ),
            Section(
                "Safeguarding",
                (
                    Field(
                        "absence_arrangement", "If the pupil is absent", ("safeguarding", "absence_arrangement"), "long"
                    ),
                    Field(
                        "emergency_details_sent_on",
                        "Emergency details sent to the provider on",
                        ("safeguarding", "emergency_details_sent_on"),
                        "date",
                    ),
                    Field(
                        "dsl_contact_shared",
                        "The school's safeguarding lead's contact details were shared",
                        ("safeguarding", "dsl_contact_shared"),
                        "yesno",
                    ),
                    Field(
                        "suspension_procedure",
                        "If the pupil is suspended",
                        ("safeguarding", "suspension_procedure"),
                        "long",
                    ),
                ),
            ),
            Section(
                "Consent",
                (
                    Field("parent_signed_on", "Parent or carer signed on", ("consent", "parent_signed_on"), "date"),
                    Field("school_signed_on", "School signed on", ("consent", "school_signed_on"), "date"),
                ),
            ),
            Section(
                "Commissioning agreement",
                (
                    Field("agreement_signed_on", "Signed on", ("agreement", "signed_on"), "date"),
                    Field(
                        "agreement_signed_by_provider",
                        "Signed for the provider by",
                        ("agreement", "signed_by_provider"),
                    ),
                    Field("agreement_signed_by_school", "Signed for the school by", ("agreement", "signed_by_school")),
                    Field(
                        "agreement_scan",
                        "Signed agreement (PDF scan)",
                        ("agreement", "evidence"),
                        "file",
                        hint=SCAN_SAVED if scan_saved else "Choose the agreement, signed by everyone, as a PDF.",
                    ),
                ),
            ),
        ),
    )
