"""The Word templates in templates/: each fits the data the documents layer gives it, and fills cleanly.

Each template is filled twice, with the context the documents layer builds from a fictional school: once
from rich records (awkward characters, every optional field set) and once from sparse ones (every
optional field left out). The filled document must open, and its text must hold the record's values
exactly as written.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from packgen.documents import governors, notices
from packgen.documents import plan as documents
from packgen.documents.context import LOGO_FILE
from packgen.documents.fill import Renderer, template_variable_problems
from packgen.documents.spec import TEMPLATE_CONTEXT
from packgen.readiness import rules as readiness
from packgen.records.evidence import BadEvidence
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.school_data import SchoolData
from packgen.records.school_file import SchoolFile
from tests.conftest import TEMPLATES

CONTRACT = TEMPLATE_CONTEXT  # the top-level names the documents layer gives each template

# ---------------------------------------------------------------- fictional records

SCHOOL_NAME = "St Łucja's & St Ştefan's \"Brookfield\" Academy"
PUPIL_FORENAME = "Zoë"
PUPIL_SURNAME = "O'Brien-Nowak"
PREFERRED = "زوي"  # right-to-left
PROVIDER_NAME = "Bridge <Learning> & Skills"
PUPIL_VOICE = "I like the workshop 🔧\nI want to go back to school after Easter."
NOTES = "Scored {{ 7*7 }} on the reading test; {% raw %} is just text here"


def rich_school() -> SchoolFile:
    return SchoolFile.model_validate(
        {
            "school": {
                "name": SCHOOL_NAME,
                "urn": "149999",
                "la": "Northshire",
                "address": "1 Example Road, Northtown, NT1 1AA",
                "phone": "01234 567890",
                "email": "office@brookfield.example",
                "trust": "Example Learning Trust",
            },
            "staff": {
                "headteacher": {"name": "R. Patel", "email": "head@brookfield.example"},
                "ap_lead": {
                    "name": "J. Russell",
                    "role": "Assistant head",
                    "email": "ap@brookfield.example",
                    "phone": "01234 567891",
                },
                "dsl": {"name": "D. Okafor", "email": "dsl@brookfield.example", "phone": "01234 567892"},
                "attendance_lead": {"name": "A. Lewis"},
                "quality_lead": {"name": "S. Cope"},
                "sendco": {"name": "N. Caffery", "email": "senco@brookfield.example"},
                "designated_teacher": {"name": "L. Baker"},
            },
            "governance": {"ap_use_approved_by": "Local Governing Body", "approved_on": "2026-09-15"},
            "partnership": {
                "name": "North Behaviour Partnership",
                "contact": "P. Shah",
                "email": "nbp@example.org",
                "phone": "01234 000111",
            },
            "letters": {
                "reply_to": {"name": "J. Russell", "email": "ap@brookfield.example", "phone": "01234 567891"},
                "reply_within_days": 14,
            },
        }
    )


def sparse_school() -> SchoolFile:
    return SchoolFile.model_validate(
        {
            "school": {"name": "Brookfield Academy", "urn": "149999", "la": "Northshire", "address": "1 Example Road"},
            "staff": {
                "headteacher": {"name": "R. Patel"},
                "ap_lead": {"name": "J. Russell"},
                "dsl": {"name": "D. Okafor"},
            },
            "letters": {"reply_to": {"name": "J. Russell"}},
        }
    )


def rich_provider() -> Provider:
    return Provider.model_validate(
        {
            "name": PROVIDER_NAME,
            "kind": "registered_ap",
            "registration": {
                "status": "registered",
                "urn": "148888",
                "ofsted_grade": "good",
                "last_inspected": "2025-03-12",
            },
            "la_approved": {"approved": True, "directory": "Northshire AP directory", "audited_on": "2026-06-01"},
            "address": "5 Canal Street, Northtown, NT2 2BB",
            "contacts": {
                "lead": {"name": "A. Khan", "email": "lead@bridge.example", "phone": "01234 222333"},
                "dsl": {"name": "M. Lee", "email": "dsl@bridge.example"},
                "attendance": {"name": "S. Brown", "phone": "01234 222334"},
            },
            "assurance": {
                "requested_on": "2026-09-02",
                "received_on": "2026-09-10",
                "checks": {
                    "identity": True,
                    "enhanced_dbs_barred_list": True,
                    "right_to_work": True,
                    "overseas": "not_applicable",
                    "qualifications_qts": True,
                    "prohibition": True,
                    "section_128": False,
                },
                "practice": {"safeguarding_training": True, "prevent_duty": True},
                "staff_named": ["M. Lee", "S. Brown"],
                "evidence": "evidence/bridge-assurance.pdf",
            },
            "pre_admission": {
                "completed_on": "2026-09-05",
                "completed_by": "J. Russell",
                "items": {"child_protection_policy": True, "assurance_letter_received": False},
                "absence_arrangement": "Bridge phones the school by 09:30",
                "transport": "Taxi & escort",
                "emergency_contacts_sent": True,
                "full_time_equivalent": False,
                "not_full_time_reason": "Mornings only, <for now>",
                "safe_and_well_checks": {"by": "J. Russell", "frequency": "weekly"},
                "monitoring_visits": {"by": "S. Cope", "frequency": "half-termly"},
            },
            "qa_visits": [
                {
                    "date": "2026-10-08",
                    "by": "S. Cope",
                    "focus": "quality_of_education",
                    "judgements": {"lessons & <behaviour>": 'Calm; "good" questioning'},
                    "notes": "Science is not taught here",
                    "actions": ["Send science booklets"],
                }
            ],
        }
    )


def sparse_provider() -> Provider:
    return Provider.model_validate(
        {
            "name": "Quay Tuition",
            "kind": "unregistered",
            "registration": {"status": "unregistered"},
            "address": "2 Quay Lane",
            "contacts": {"lead": {"name": "B. Ward"}},
        }
    )


def rich_pupil() -> PupilFile:
    return PupilFile.model_validate(
        {
            "pupil": {
                "upn": "B801200005001",
                "legal_forename": PUPIL_FORENAME,
                "legal_surname": PUPIL_SURNAME,
                "preferred_name": PREFERRED,
                "dob": "2011-04-03",
                "year_group": 10,
                "gender": "female",
                "ethnicity": "White - Irish",
                "flags": {"lac": True, "lac_la": "Southshire", "ehcp": True, "cp": True, "cin": False, "eha": True},
                "outside_agencies": ["CAMHS", "Youth Service"],
                "previous_ap": {"had": True, "when": "Year 8, spring term"},
                "parent_carers": [{"name": "M. O'Brien", "relationship": "mother", "phone": "07700 900123"}],
                "key_adults": {
                    "head_of_year": "K. Adams",
                    "attendance_manager": "T. Hughes",
                    "social_worker": "F. Ndiaye",
                    "sen_keyworker": "H. Wood",
                    "virtual_school_rep": "G. Price",
                    "others": ["Mentor: C. Day"],
                },
            },
            "placement": {
                "provider": "bridge-learning",
                "arranged_by": "school",
                "category": "at_risk_full_time",
                "off_site_direction": {
                    "directed": True,
                    "directed_on": "2026-09-01",
                    "ends_on": "2027-02-12",
                    "la_notified_on": "2026-09-02",
                    "notice_given_on": "2026-09-02",
                    "report_to": "A. Khan at the <front> desk",
                    "reasons": "Two fights & a threat to staff",
                    "objectives": "No more fights; a calm return by February",
                },
                "agreed_at_meeting": "2026-09-03",
                "start_date": "2026-09-08",
                "target_end_date": "2027-02-12",
                "ended": {
                    "ended_on": "2027-02-19",
                    "reason": "Targets met",
                    "outcome": "returned_to_school",
                    "destination": "Back at Brookfield full time from 22 February 2027",
                },
                "hours_per_week": 15,
                "sessions": [
                    {"day": "Mon", "from": "09:30", "to": "14:30"},
                    {"day": "Wed", "from": "09:30", "to": "14:30"},
                    {"day": "Fri", "from": "09:00", "to": "14:00"},
                ],
                "attendance_code": "B",
                "transport": "Taxi arranged by the school",
                "cost": {"amount": 1200, "per": "half_term", "paid_by": "school"},
                "purpose": "Re-engage with learning through practical work",
                "desired_outcome": "Attendance above 90% and a return to full-time school",
                "why_ap": "Two fixed-term suspensions this year; in-school support has not been enough",
                "why_this_provider": "Strong construction course and a small-group setting",
                "curriculum": ["English", "Maths", "Construction Level 1"],
                "reintegration": "Phased return from the summer term",
                "part_time_plan": {
                    "reason": "Building up hours after a long absence",
                    "review_on": "2026-10-20",
                    "ends_on": "2026-12-18",
                },
                "baseline": {"attendance_percent": 61, "notes": NOTES},
                "targets": [
                    {"text": "Attend every timetabled session", "measure": "Weekly attendance returns"},
                    {"text": "Complete Construction unit 1", "measure": "Tutor assessment"},
                    {"text": "Use the agreed calm-down plan"},
                ],
                "safeguarding": {
                    "absence_arrangement": "Provider phones the school by 09:30",
                    "emergency_details_sent_on": "2026-09-05",
                    "dsl_contact_shared": True,
                    "suspension_procedure": "Provider calls the AP lead before any suspension",
                },
                "consent": {"parent_signed_on": "2026-09-04", "school_signed_on": "2026-09-04"},
                "agreement": {
                    "signed_on": "2026-09-05",
                    "signed_by_provider": "A. Khan",
                    "signed_by_school": "J. Russell",
                },
                "la_notified_on": "2026-09-09",
            },
            "reviews": [
                {
                    "date": "2026-10-20",
                    "attendees": ["J. Russell (AP lead)", "A. Khan (provider)", "M. O'Brien (mother)"],
                    "attendance_percent": 78.4,
                    "progress": [
                        {"target": 1, "rating": "on_track", "evidence": "Missed 2 of 30 sessions"},
                        {"target": 2, "rating": "some_progress", "evidence": "Half the unit done"},
                    ],
                    "pupil_voice": PUPIL_VOICE,
                    "parent_voice": "Much happier in the mornings",
                    "decision": "continue",
                    "decision_notes": "Keep the same timetable",
                    "next_review": "2026-12-08",
                }
            ],
            "visits": [
                {
                    "date": "2026-09-29",
                    "duration_minutes": 60,
                    "by": "J. Russell",
                    "purpose": "Safe and well check",
                    "risks": [{"risk": "Leaves site at lunchtime", "mitigation": "Lunch on site with the tutor"}],
                    "progress": [{"target": 3, "rating": "not_yet", "evidence": "Two incidents this week"}],
                    "outcome": "Settled; good relationship with the tutor",
                    "concerns": True,
                    "concern_details": "Mentioned an older group near the gate",
                    "safeguarding_procedure_followed": True,
                }
            ],
            "attendance": [
                {"from": "2026-09-08", "to": "2026-10-23", "possible_sessions": 60, "attended_sessions": 47}
            ],
        }
    )


def sparse_pupil() -> PupilFile:
    return PupilFile.model_validate(
        {
            "pupil": {
                "upn": "A80120000501A",
                "legal_forename": "Sam",
                "legal_surname": "Jones",
                "dob": "2012-01-30",
                "year_group": 9,
                "gender": "male",
            },
            "placement": {
                "provider": "quay-tuition",
                "arranged_by": "partnership",
                "category": "short_term_part_time",
                "start_date": "2026-11-02",
                "hours_per_week": 6,
                "ended": {"ended_on": "2026-12-18", "reason": "Short course done", "outcome": "returned_to_school"},
            },
            "reviews": [{"date": "2026-12-01", "decision": "change"}],
            "visits": [{"date": "2026-11-20", "by": "J. Russell", "purpose": "First visit"}],
        }
    )


NOW = datetime(2026, 11, 3, 14, 5)


def school_data(school: SchoolFile, provider: Provider | None, pupil: PupilFile | None) -> SchoolData:
    """A school with at most one pupil ("p1") and the provider it is placed with."""
    return SchoolData(
        slug="brookfield",
        folder="data/brookfield",
        school=school,
        providers={pupil.placement.provider: provider} if pupil and provider else {},
        pupils={"p1": pupil} if pupil else {},
    )


def specs(data: SchoolData) -> dict[str, documents.DocumentSpec]:
    """The first document the documents layer makes from each template for this school."""
    findings = readiness.assess(data, NOW.date())
    made = [
        documents.cover(data, NOW),
        documents.register(data, NOW),
        notices.provider_list(data, NOW.date()),
        *(notices.direction_notice(data, pid, NOW.date()) for pid in data.pupils),
        *(notices.la_letter(data, pid, NOW.date()) for pid in data.pupils),
        documents.readiness_report(data, NOW.date(), findings, readiness.RULES),
        governors.governors_report(data, "autumn 2026", NOW.date()),
        *(spec for pid in data.providers for spec in documents.provider_documents(data, pid, NOW.date(), findings)),
        *(documents.summary(data, pid, NOW.date(), findings) for pid in data.pupils),
        *(spec for pid in data.pupils for spec in documents.pupil_documents(data, pid, NOW.date())),
        documents.evidence_left_out(
            data,
            NOW.date(),
            [
                BadEvidence(
                    f"pupils/{pid}.yaml",
                    "placement.agreement.evidence",
                    "evidence/scan & copy.pdf",
                    "needs a password to open (save an unprotected copy)",
                )
                for pid in data.pupils
            ],
        ),
    ]
    return {spec.template: spec for spec in reversed(made)}


def rich(template: str) -> dict:
    return specs(school_data(rich_school(), rich_provider(), rich_pupil()))[template].context


def sparse(template: str) -> dict:
    return specs(school_data(sparse_school(), sparse_provider(), sparse_pupil()))[template].context


# What each filled document must show, word for word, from the rich records.
EVERYWHERE = [SCHOOL_NAME, "OFFICIAL-SENSITIVE"]
PUPIL_TEXT = [f"{PUPIL_FORENAME} {PUPIL_SURNAME}", PREFERRED, "B801200005001", PROVIDER_NAME]
EXPECTED = {
    "agreement.docx": PUPIL_TEXT
    + [
        "3 April 2011",
        "£1,200.00 per half term",
        "At risk of permanent exclusion: full-time programme",
        "Attend every timetabled session",
        "Weekly attendance returns",
        "Monday",
        "09:30",
        "14:30",
        "15 hours a week (part time)",
        "Building up hours after a long absence",
        "12 February 2027",
        "Provider phones the school by 09:30",
        "D. Okafor, dsl@brookfield.example, 01234 567892",
        "M. O'Brien (mother), 07700 900123",
        "Registered, URN 148888. Ofsted: Good (inspected 12 March 2025)",
        "Yes: Northshire AP directory; last audited 1 June 2026",
        "English, Maths, Construction Level 1",
        "5 September 2026",
        "A. Khan",
    ],
    "letter.docx": [
        PROVIDER_NAME,
        "Dear A. Khan,",
        "has one pupil placed with",
        "3 November 2026",
        "by 17 November 2026",
        "ap@brookfield.example",
        "M. Lee, S. Brown",
        "Section 128",
        "Prevent duty",
        "children's barred list",
    ],
    "education_plan.docx": PUPIL_TEXT
    + [
        "White - Irish",
        "Southshire",
        "CAMHS, Youth Service",
        "Year 8, spring term",
        "K. Adams",
        "F. Ndiaye",
        "Mentor: C. Day",
        "N. Caffery, senco@brookfield.example",
        "Consent is not required",
        "61%",
        NOTES,
        "Use the agreed calm-down plan",
        "half-termly, by S. Cope",
        "weekly, by J. Russell",
        "1 September 2026",
        "Re-engage with learning through practical work",
    ],
    "review.docx": PUPIL_TEXT
    + [
        "20 October 2026",
        "Review 1",
        "M. O'Brien (mother)",
        "78%",
        "61%",
        "On track",
        "Missed 2 of 30 sessions",
        "2. Complete Construction unit 1",
        PUPIL_VOICE,
        "Continue the placement as planned",
        "8 December 2026",
    ],
    "visit.docx": PUPIL_TEXT
    + [
        "29 September 2026",
        "60 minutes",
        "Safe and well check",
        "Leaves site at lunchtime",
        "Lunch on site with the tutor",
        "3. Use the agreed calm-down plan",
        "Not yet",
        "Mentioned an older group near the gate",
        "Settled; good relationship with the tutor",
    ],
    "cover.docx": [
        "149999",
        "Northshire",
        "Example Learning Trust",
        "3 November 2026",
        "OFFICIAL-SENSITIVE: contains personal data about children",
        "R. Patel, head@brookfield.example",
    ],
    "register.docx": [
        f"{PUPIL_FORENAME} {PUPIL_SURNAME} ({PREFERRED})",
        "B801200005001",
        "LAC, EHCP, CP, EHA",
        PROVIDER_NAME,
        "Registered",
        "8 Sep 2026",
        "12 Feb 2027",
        "20 Oct 2026",
        "8 Dec 2026",
        "29 Sep 2026",
        "78%",
        "The school",
        "North Behaviour Partnership",
        "SENDCo",
        "N. Caffery",
    ],
    "summary.docx": PUPIL_TEXT
    + [
        "At risk of permanent exclusion: full-time programme, arranged by the school.",
        "Two fixed-term suspensions this year",
        "Strong construction course",
        "the last on 20 October 2026 decided: continue the placement as planned. Next review 8 December 2026.",
        "returned 10 September 2026: 5 of 7 staff checks confirmed, 1 not applicable, 1 not confirmed",
        "Provider's DSL: M. Lee, dsl@bridge.example",
        "If absent: Provider phones the school by 09:30",
        "(a concern was recorded)",
        "Monday 09:30–14:30, Wednesday 09:30–14:30, Friday 09:00–14:00",
        "Quality of education at the provider: evaluated 8 October 2026.",
        "Before the placement 61%; since it began 78%",
        "Dashed line: attendance before the placement",
        NOTES,
        "I like the workshop 🔧",
        "Personal development at the provider: not yet evaluated by the school.",
        "1. Attend every timetabled session On track (20 Oct 2026)",
        "3. Use the agreed calm-down plan Not yet (29 Sep 2026)",
    ],
    "readiness.docx": [
        "Inspection readiness",
        "as on 3 November 2026",
        "Provider registration",
        "Governance approval",
        "Every rule",
        "Met",
        "Findings by evaluation area",
        "Safeguarding (met or not met)",
        "Source: Keeping children safe in education 2025 (Department for Education, 2025)",
    ],
    "provider_list.docx": [
        "Alternative provision: providers used",
        "the list for the inspection planning call, as on 3 November 2026",
        PROVIDER_NAME,
        "5 Canal Street, Northtown, NT2 2BB",
        "Registered, URN 148888",
        "Registered alternative provision",
        "1 pupil at 1 provider; 0 of the providers are not registered",
        "From 8 Sep 2026 to 12 Feb 2027: 15 hours a week (Mon, Wed, Fri). At risk of permanent exclusion: "
        "full-time programme; arranged by the school.",
    ],
    "direction_notice.docx": PUPIL_TEXT[:2]
    + [
        PROVIDER_NAME,
        "Dear M. O'Brien,",
        "5 Canal Street, Northtown, NT2 2BB",
        "A. Khan at the <front> desk",
        "from 8 September 2026 until 12 February 2027",
        "Monday: 09:30 to 14:30",
        "Friday: 09:00 to 14:00",
        "Two fights & a threat to staff",
        "No more fights; a calm return by February",
        "Taxi arranged by the school",
        "local authority that maintains Zoë’s EHC plan",
        "J. Russell (Assistant head), ap@brookfield.example",
        "R. Patel",
    ],
    "la_letter.docx": PUPIL_TEXT
    + [
        "To the alternative provision team, Northshire",
        "born 3 April 2011",
        "Special educational needs\nEHC plan",
        "Looked after\nYes (Southshire)",
        "Registered, URN 148888",
        "5 Canal Street, Northtown, NT2 2BB",
        "At risk of permanent exclusion: full-time programme. Two fixed-term suspensions this year",
        "From 8 September 2026; target end 12 February 2027",
        "15 (Mon, Wed, Fri)",
        "B: approved educational activity",
        "Directed off site\nYes",
        "has commissioned for a pupil on our roll",
    ],
    "evidence_left_out.docx": [
        "Evidence left out of this pack",
        "pupils/p1.yaml",
        "placement.agreement.evidence",
        "evidence/scan & copy.pdf",
        "needs a password to open (save an unprotected copy)",
    ],
    "assurance.docx": [
        PROVIDER_NAME,
        "Registered, URN 148888",
        "M. Lee, dsl@bridge.example",
        f"1: {PUPIL_FORENAME} {PUPIL_SURNAME} ({PREFERRED})",
        "Returned on\n10 September 2026",
        "5 of 7 confirmed, 1 not applicable, 1 not confirmed",
        "2 of 11 confirmed",
        "M. Lee, S. Brown",
        "Yes: it follows this document",
        "Section 128 (where relevant)\nNo",
        "Overseas checks (where relevant)\nNot applicable",
        "Meets the Prevent duty\nYes",
    ],
    "checklist.docx": [
        PROVIDER_NAME,
        "completed on 5 September 2026 by J. Russell",
        "Written assurance of staff checks received (Appendix 4)\nNo",
        "Bridge phones the school by 09:30",
        "Taxi & escort",
        "Mornings only, <for now>",
        "J. Russell, weekly",
        "S. Cope, half-termly",
    ],
    "ending.docx": PUPIL_TEXT
    + [
        "End-of-placement review",
        "19 February 2027",
        "Attend every timetabled session",
        "Back at Brookfield full time from 22 February 2027",
    ],
    "briefing.docx": [
        PROVIDER_NAME,
        f"{PUPIL_FORENAME} {PUPIL_SURNAME}",
        PREFERRED,
        "Mon 09:30–14:30",
        "Provider phones the school by 09:30",
        "D. Okafor (designated safeguarding lead), 01234 567892",
        "A. Lewis (attendance)",
    ],
    "governors.docx": [
        "Autumn term 2026",
        "Summer term 2026",
        PROVIDER_NAME,
        f"{PUPIL_FORENAME} {PUPIL_SURNAME}",
        "8 September 2026",
        "Placements started\n1\n0",
    ],
    "qa_visit.docx": [
        PROVIDER_NAME,
        "Quality evaluation: Quality of education",
        "visit 1 on 8 October 2026, by S. Cope",
        "Records of assessment on entry",
        'lessons & <behaviour>\nCalm; "good" questioning',
        "Science is not taught here",
        "Send science booklets",
        "Progress\nNot yet evaluated",
    ],
}

# What the sparse records must read as: plain words where a value or a list is missing.
SPARSE_EXPECTED = {
    "agreement.docx": [
        "6 hours a week (part time)",
        "Part-time plan\nNot recorded",
        "No sessions recorded.",
        "No targets recorded.",
        "No: the placement is not an off-site direction",
    ],
    "letter.docx": ["has one pupil placed with", "by 17 November 2026"],
    "education_plan.docx": [
        "If so, which local authority\nNot applicable",
        "I understand that my child",
        "Monitoring visits\nNot recorded",
    ],
    "review.docx": [
        "No attendees recorded.",
        "No progress recorded.",
        "Continue with changes",
        "Next review\nNot recorded",
    ],
    "visit.docx": ["Any known risks\nNo", "No risks recorded.", "Length of visit\nNot recorded"],
    "cover.docx": ["Pupils in alternative provision\n1"],
    "register.docx": ["Sam Jones", "–", "Not recorded", "Unregistered"],
    "summary.docx": [
        "Sam Jones",
        "Staff checks (Appendix 4): not requested.",
        "No targets recorded.",
        "No attendance has been recorded yet, so there is no chart.",
        "(no concerns)",
    ],
    "readiness.docx": ["Brookfield Academy\nThe school"],
    "provider_list.docx": [
        "Quay Tuition",
        "Unregistered",
        "1 of the providers is not registered",
        "From 2 Nov 2026: 6 hours a week. Short-term placement",
    ],
    "direction_notice.docx": [
        "Dear parent or carer of Sam,",
        "On the first day, report to\nNot recorded",
        "Why\nNot recorded",
    ],
    "la_letter.docx": [
        "Special educational needs\nNeither an EHC plan nor SEN support recorded",
        "Directed off site\nNo",
        "our partnership has commissioned",
    ],
    "evidence_left_out.docx": ["Evidence left out of this pack"],
    "assurance.docx": [
        "Written assurance has not been requested.",
        "Returned on\nNot returned",
        "Identity\nNot recorded",
        "Copy of the reply in this pack\nNo",
    ],
    "briefing.docx": [
        "Sam Jones, year 9",
        "No sessions recorded.",
        "Key adults at school\nNot recorded",
        "1 December 2026",
    ],
    "governors.docx": [
        "Autumn term 2026",
        "No target was rated at a review this term.",
        "Placements ended\n1\n0",
        "Placements started\n1\n0",
    ],
    "ending.docx": ["Sam Jones", "18 December 2026", "No targets recorded.", "Where the pupil went next\nNot recorded"],
    "checklist.docx": ["Not completed.", "No pre-admission checklist is recorded for Quay Tuition."],
    "qa_visit.docx": [
        "Not completed.",
        "No quality-assurance visit to Quay Tuition is recorded.",
        "Personal development\nNot yet evaluated",
    ],
}


def document_text(path: Path) -> str:
    """All the text a reader sees: paragraphs and table cells (nested too), in the body and headers."""
    document = Document(str(path))

    def blocks(container) -> list[str]:
        out = [p.text for p in container.paragraphs]
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    out += blocks(cell)
        return out

    texts = blocks(document)
    for section in document.sections:
        texts += blocks(section.header)
    return "\n".join(texts)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


# ---------------------------------------------------------------- tests


def test_every_template_is_in_the_contract():
    assert sorted(p.name for p in TEMPLATES.glob("*.docx")) == sorted(CONTRACT)


def test_every_template_uses_only_what_its_context_gives():
    assert template_variable_problems(TEMPLATES, CONTRACT) == []


def test_a_template_asking_for_more_than_it_is_given_is_reported():
    narrower = {**CONTRACT, "review.docx": [name for name in CONTRACT["review.docx"] if name != "review"]}
    problems = template_variable_problems(TEMPLATES, narrower)
    assert problems == [problems[0]] and problems[0].startswith("review.docx: uses 'review'")


@pytest.mark.parametrize("template", sorted(CONTRACT))
def test_rich_records_appear_exactly(renderer, tmp_path, template):
    out = renderer.render(template, rich(template), tmp_path / template)
    with zipfile.ZipFile(out) as package:
        etree.fromstring(package.read("word/document.xml"))
    text = document_text(out)
    for value in EVERYWHERE + EXPECTED[template]:
        assert value in text, f"{template} lacks {value!r}"
    assert "{{" not in text.replace(NOTES, "") and "{%" not in text.replace(NOTES, "")


@pytest.mark.parametrize("template", sorted(CONTRACT))
def test_sparse_records_read_well(renderer, tmp_path, template):
    out = renderer.render(template, sparse(template), tmp_path / template)
    text = document_text(out)
    for value in ["Brookfield Academy", *SPARSE_EXPECTED[template]]:
        assert value in text, f"{template} lacks {value!r}"
    assert "None" not in text, f"{template} prints a Python None"
    assert "Trust" not in text, "a school without a trust shows no trust row"


def test_an_empty_register_says_so(renderer, tmp_path):
    nobody = specs(school_data(sparse_school(), None, None))["register.docx"].context
    text = document_text(renderer.render("register.docx", nobody, tmp_path / "r.docx"))
    assert "No pupils are in alternative provision." in text
    assert "Behaviour partnership" not in text  # the sparse school has none


def test_consent_is_asked_for_only_when_the_school_did_not_direct(renderer, tmp_path):
    directed = document_text(renderer.render("education_plan.docx", rich("education_plan.docx"), tmp_path / "a.docx"))
    agreed = document_text(renderer.render("education_plan.docx", sparse("education_plan.docx"), tmp_path / "b.docx"))
    assert "Consent is not required" in directed and "I understand that my child" not in directed
    assert "Consent is not required" not in agreed and "I understand that my child" in agreed


@pytest.mark.parametrize("template", sorted(CONTRACT))
def test_templates_keep_the_page_the_pack_expects(template):
    section = Document(str(TEMPLATES / template)).sections[0]
    width, height = sorted((section.page_width.cm, section.page_height.cm))
    assert (round(width, 1), round(height, 1)) == (21.0, 29.7)  # A4
    assert (section.page_width > section.page_height) == (template in ("register.docx", "provider_list.docx"))
    # The pack stamps its footer into the bottom centimetre of each page.
    assert min(section.left_margin.cm, section.right_margin.cm, section.bottom_margin.cm) >= 2.0


# ---------------------------------------------------------------- readiness documents


def pictures(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as package:
        return [name for name in package.namelist() if name.startswith("word/media/")]


def test_the_summary_shows_an_attendance_chart_only_when_attendance_is_recorded(renderer, tmp_path):
    charted = renderer.render("summary.docx", rich("summary.docx"), tmp_path / "a.docx")
    uncharted = renderer.render("summary.docx", sparse("summary.docx"), tmp_path / "b.docx")
    assert [name.rsplit(".", 1)[1] for name in pictures(charted)] == ["png"]
    assert pictures(uncharted) == []


@pytest.mark.parametrize("make", [rich, sparse])
def test_documents_show_the_findings_about_their_subject_and_no_others(renderer, tmp_path, make):
    report = make("readiness.docx")
    assert report["findings"], "the example school should have findings to show"
    for template, subjects in (
        ("readiness.docx", {"pupil", "provider", "school"}),
        ("summary.docx", {"pupil", "provider"}),
        ("assurance.docx", {"provider"}),
    ):
        text = document_text(renderer.render(template, make(template), tmp_path / template))
        for finding in report["findings"]:
            shown = finding.message in text
            assert shown == (finding.subject in subjects), f"{template}: {finding.rule} {finding.subject_name}"


@pytest.mark.parametrize("template", ["readiness.docx", "summary.docx"])
def test_findings_are_grouped_under_the_toolkits_evaluation_areas_in_its_order(renderer, tmp_path, template):
    context = rich(template)
    groups = context["areas"]
    assert [g.id for g in groups] == [
        a
        for a in (
            "inclusion",
            "curriculum_and_teaching",
            "achievement",
            "attendance_and_behaviour",
            "personal_development_and_wellbeing",
            "leadership_and_governance",
            "safeguarding",
        )
        if any(f.area == a for f in context["findings"])
    ]
    assert len(groups) >= 2, "the rich school should have findings in more than one area"
    text = document_text(renderer.render(template, context, tmp_path / template))
    places = [text.index(g.heading) for g in groups]
    assert places == sorted(places)
    for group, start, end in zip(groups, places, places[1:] + [len(text)]):
        for finding in group.findings:
            assert start < text.index(finding.message) < end, (group.id, finding.rule)


def test_the_readiness_report_counts_each_rule_and_shows_a_rule_without_findings_as_met(renderer, tmp_path):
    data = school_data(sparse_school(), sparse_provider(), sparse_pupil())
    findings = readiness.assess(data, NOW.date())
    context = documents.readiness_report(data, NOW.date(), findings, readiness.RULES).context
    assert [r.id for r in context["rules"]] == [f"R{n}" for n in range(1, 24)]
    counted = {r.id: (r.fail, r.unknown) for r in context["rules"]}
    for rule in readiness.RULES:
        mine = [f for f in findings if f.rule == rule.id]
        assert counted[rule.id] == (sum(f.status == "fail" for f in mine), sum(f.status == "unknown" for f in mine))
    counts = context["counts"]
    assert (counts.critical, counts.high, counts.advisory) == tuple(
        sum(f.severity == s for f in findings) for s in ("critical", "high", "advisory")
    )
    text = document_text(renderer.render("readiness.docx", context, tmp_path / "r.docx"))
    assert f"{counts.critical} critical, {counts.high} high, {counts.advisory} advisory" in text

    clean = documents.readiness_report(data, NOW.date(), [], readiness.RULES).context
    text = document_text(renderer.render("readiness.docx", clean, tmp_path / "clean.docx"))
    assert "No findings: every rule is met." in text
    assert text.count("\nMet\n") == len(readiness.RULES)


def test_the_cover_shows_the_schools_logo_where_one_was_uploaded_and_no_placeholder_where_none_was(renderer, tmp_path):
    from PIL import Image

    school = tmp_path / "brookfield"
    school.mkdir()
    data = school_data(rich_school(), rich_provider(), rich_pupil()).model_copy(update={"folder": str(school)})
    made = {}
    for spec in (documents.cover(data, NOW), documents.letter(data, "bridge-learning", NOW.date())):
        made[spec.template] = renderer.render(spec.template, spec.context, tmp_path / f"plain-{spec.template}")
        assert pictures(made[spec.template]) == []
        with zipfile.ZipFile(made[spec.template]) as package:
            text = " ".join(
                package.read(n).decode()
                for n in package.namelist()
                if n.startswith("word/header") or n == "word/document.xml"
            )
        assert "logo" not in text.lower() and "dashed" not in text  # no empty box where a logo would go

    Image.new("RGB", (400, 100), (29, 79, 145)).save(school / LOGO_FILE)
    cover = documents.cover(data, NOW).context
    assert cover["cover_logo"].width_mm == 60  # four times as wide as high: as wide as the cover allows
    assert cover["logo"].width_mm == 28  # and as wide as the box in each page heading allows
    logo = renderer.render("cover.docx", cover, tmp_path / "logo.docx")
    assert {name.rsplit(".", 1)[1] for name in pictures(logo)} == {"png"}
    letter = renderer.render(
        "letter.docx", documents.letter(data, "bridge-learning", NOW.date()).context, tmp_path / "letter.docx"
    )
    with zipfile.ZipFile(letter) as package:
        assert [n for n in package.namelist() if n.startswith("word/media/")]
        relations = package.read("word/_rels/header1.xml.rels").decode()
    assert "media/" in relations  # the logo sits in the letter's heading
