"""The forms for what happens during a placement, declared as data: reviews, visits, attendance, the
plan for the return to school; and a provider's quality evaluations.

Paths are relative to the entry a form edits (one review, one visit, one evaluation), to the pupil's
placement, or to the pupil's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from packgen.records.provider_file import QaVisit
from packgen.records.pupil_file import Review, TargetProgress
from packgen.web.forms import LINES_HINT, Field, FormSpec, Rows, Section, choices_of, numbered

Words = Mapping[str, str]  # labels.yaml's words for the records' codes


def _progress(targets: Iterable[str], words: Words) -> Rows:
    return Rows(
        "progress",
        "Target",
        ("progress",),
        (
            Field("rating", "Progress", ("rating",), "choice", choices_of(TargetProgress, "rating", words)),
            Field("evidence", "Evidence", ("evidence",), "long"),
        ),
        tuple((f"Target {n}: {text}", {"target": n}) for n, text in enumerate(targets, start=1)),
    )


def review_form(targets: Iterable[str], words: Words, title: str = "Add a review") -> FormSpec:
    return FormSpec(
        title,
        (
            Section(
                "Review",
                (
                    Field("date", "Date of the review", ("date",), "date", required=True),
                    Field("attendees", "Who attended", ("attendees",), "lines", hint=LINES_HINT),
                    Field(
                        "attendance_percent", "Attendance since the last review (%)", ("attendance_percent",), "number"
                    ),
                ),
            ),
            Section("Progress", (_progress(targets, words),)),
            Section(
                "Voice and decision",
                (
                    Field("pupil_voice", "What the pupil said", ("pupil_voice",), "long"),
                    Field("parent_voice", "What the parent or carer said", ("parent_voice",), "long"),
                    Field(
                        "decision",
                        "Decision",
                        ("decision",),
                        "choice",
                        choices_of(Review, "decision", words),
                        required=True,
                    ),
                    Field("decision_notes", "Decision notes", ("decision_notes",), "long"),
                    Field("next_review", "Next review", ("next_review",), "date"),
                ),
            ),
        ),
    )


def visit_form(targets: Iterable[str], words: Words, title: str = "Add a visit") -> FormSpec:
    return FormSpec(
        title,
        (
            Section(
                "Visit",
                (
                    Field("date", "Date of the visit", ("date",), "date", required=True),
                    Field("duration_minutes", "How long (minutes)", ("duration_minutes",), "number"),
                    Field("by", "Visited by", ("by",), required=True),
                    Field("purpose", "Purpose", ("purpose",), required=True),
                ),
            ),
            Section(
                "Risks",
                (
                    Rows(
                        "risks",
                        "Risk",
                        ("risks",),
                        (
                            Field("risk", "Risk", ("risk",), "long"),
                            Field("mitigation", "What reduces it", ("mitigation",), "long"),
                        ),
                        numbered("Risk", 3),
                    ),
                ),
            ),
            Section("Progress", (_progress(targets, words),)),
            Section(
                "Outcome",
                (
                    Field("outcome", "Outcome", ("outcome",), "long"),
                    Field("concerns", "There were concerns", ("concerns",), "check"),
                    Field("concern_details", "Concern details", ("concern_details",), "long"),
                    Field(
                        "safeguarding_procedure_followed",
                        "Safeguarding procedure followed",
                        ("safeguarding_procedure_followed",),
                        "yesno",
                    ),
                ),
            ),
        ),
    )


def attendance_form(count: int) -> FormSpec:
    return FormSpec(
        "Attendance",
        (
            Section(
                "Attendance at the provider",
                (
                    Rows(
                        "periods",
                        "Period",
                        ("attendance",),
                        (
                            Field("from", "From", ("from",), "date"),
                            Field("to", "To", ("to",), "date"),
                            Field("possible", "Sessions possible", ("possible_sessions",), "number"),
                            Field("attended", "Sessions attended", ("attended_sessions",), "number"),
                        ),
                        numbered("Period", count + 1),
                    ),
                ),
                hint="One row per period, as the provider reports it.",
            ),
        ),
    )


def reintegration_form(count: int) -> FormSpec:
    """What the readiness rules look for in a plan's ending: how the pupil returns, and dated steps."""
    return FormSpec(
        "Return to school",
        (
            Section(
                "The plan",
                (
                    Field(
                        "reintegration",
                        "How the placement ends",
                        ("reintegration",),
                        "long",
                        hint="Back to school full time, or the next step after Year 11, and how it is supported.",
                    ),
                ),
            ),
            Section(
                "Steps and their dates",
                (
                    Rows(
                        "steps",
                        "Step",
                        ("reintegration_timeline",),
                        (
                            Field("by", "By", ("by",), "date"),
                            Field("step", "What happens", ("step",), "long"),
                        ),
                        numbered("Step", count + 2),
                    ),
                ),
                hint="One row per step, in order. Leave a row empty to remove it.",
            ),
        ),
        intro="Agree this with the provider, the pupil and their parents or carers.",
    )


def evaluation_form(words: Words, title: str = "Add a quality evaluation") -> FormSpec:
    return FormSpec(
        title,
        (
            Section(
                "Evaluation",
                (
                    Field("date", "Date of the evaluation", ("date",), "date", required=True),
                    Field("by", "Carried out by", ("by",), required=True),
                    Field(
                        "focus",
                        "What it looked at",
                        ("focus",),
                        "choice",
                        choices_of(QaVisit, "focus", words),
                        required=True,
                    ),
                    Field("notes", "What was found", ("notes",), "long"),
                    Field("actions", "Actions agreed", ("actions",), "lines", hint=LINES_HINT),
                ),
            ),
        ),
    )
