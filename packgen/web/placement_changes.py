"""Starting, ending, reopening and moving a placement, without losing what went before.

An ended placement keeps every key it had and gains an ``ended`` block (date, reason, outcome, where
the pupil went next, how the return was supported): the one place a record says a placement ended, from
which the census return's leaving date and the reports' destination come. The end form is an ordinary
form over ``placement.ended``. Moving a pupil ends the current placement, files it at the end of
``past_placements`` and starts a new placement with the new provider. What belongs to the pupil rather
than to the provider (who arranged it, the category, the purpose, targets and baseline) carries over;
what has to be agreed again with the new provider (agreement, consent, timetable, cost) starts empty.
Starting a placement gives a pupil who has none (a record made from the school's information system)
or whose placement has ended a new current placement; an ended one is filed in ``past_placements``
first, as a move files it, and its plan and targets carry over the same way. A new placement never starts before the one it follows ended. Reopening
a placement ended by mistake takes its ``ended`` block away again; earlier placements stay as they are.
Undoing a move made by mistake takes the new placement away and lets the one it replaced go on: that
one comes back from ``past_placements`` without its ``ended`` block, with the pupil's plan and targets
as they stand now (``THE_PUPILS_PLAN``); how it was arranged (who arranged it, the category, the
direction, the attendance code) is as it was before the move.
Each change is checked by the loader before it is saved, like every form on the page, and saved the
way every form is (``edits.checked`` and ``edits.write``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from packgen.errors import Problem
from packgen.records.pupil_file import Placement, PlacementEnd, PupilFile
from packgen.web import record_text
from packgen.web.edits import Outcome, Workspace, checked, write
from packgen.web.forms import Field, FormSpec, Section, build, choices_of
from packgen.web.pupil_forms import placement_basics
from packgen.web.wording import long_date

Words = Mapping[str, str]
# The pupil's own plan, which goes on whichever provider they are with.
THE_PUPILS_PLAN = (
    "purpose",
    "desired_outcome",
    "why_ap",
    "curriculum",
    "reintegration",
    "reintegration_timeline",
    "part_time_plan",
    "baseline",
    "targets",
)
# What a new placement with another provider takes over from the one it replaces, in the record's order:
# how it was arranged, then the pupil's plan.
CARRIED_OVER = ("arranged_by", "category", "off_site_direction", "attendance_code", *THE_PUPILS_PLAN)


def _end_fields(words: Words, moving: bool) -> tuple[Field, ...]:
    outcomes = choices_of(PlacementEnd, "outcome", words)
    if moving:
        outcomes = tuple(c for c in outcomes if c[0] == "moved_provider")
    return (
        Field(
            "ended_on",
            "Last day at this provider",
            ("ended_on",),
            "date",
            required=True,
            hint="For example, 16 10 2026",
        ),
        Field(
            "reason",
            "Why the placement ended",
            ("reason",),
            "long",
            required=True,
            hint="For example, targets met, or the provider could not meet the pupil's needs.",
        ),
        *(
            ()
            if moving  # the next placement says where the pupil went
            else (
                Field("outcome", "What happens next", ("outcome",), "choice", outcomes, required=True),
                Field(
                    "destination",
                    "Where the pupil went next",
                    ("destination",),
                    hint="For example, Year 10 at Brookfield full time. The governors' report and the "
                    "end-of-placement review say it.",
                ),
            )
        ),
        Field(
            "reintegration",
            "How the return (or the move) is supported",
            ("reintegration",),
            "long",
            hint="For example, a phased return with a mentor for the first two weeks.",
        ),
    )


def end_form(words: Words) -> FormSpec:
    return FormSpec(
        "End the placement",
        (Section("How the placement ended", _end_fields(words, False)),),
        intro="The placement stays in the pupil's record, with what you write here, as evidence for inspection.",
    )


def move_form(providers: Mapping[str, str], words: Words, leaving: str) -> FormSpec:
    """``leaving``: the provider of the placement that ends, named so nobody wonders which one."""
    return FormSpec(
        "Move to another provider",
        (
            Section(f"The placement at {leaving}, ending now", _end_fields(words, True)),
            Section(
                "The new placement",
                (
                    Field("provider", "New provider", ("provider",), "choice", tuple(providers.items()), required=True),
                    Field(
                        "start_date",
                        "First day at the new provider",
                        ("start_date",),
                        "date",
                        required=True,
                        hint="For example, 19 10 2026",
                    ),
                    Field(
                        "hours_per_week",
                        "Hours a week at the new provider",
                        ("hours_per_week",),
                        "number",
                        required=True,
                        width="govuk-input--width-4",
                    ),
                ),
            ),
        ),
        intro="The current placement is ended and kept in the pupil's record. The plan and targets carry over "
        "to the new placement; the agreement, consent and timetable are agreed again with the new provider.",
    )


def move_placement(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str], version: str) -> Outcome:
    """End the current placement, keep it in ``past_placements``, start one with the chosen provider."""
    built = build(spec, raw)
    relative = f"pupils/{pupil_id}.yaml"
    early = _starts_too_early(relative, built.values, built.values[("ended_on",)])
    starting = (("provider",), ("start_date",), ("hours_per_week",))
    ending = {path: value for path, value in built.values.items() if path not in starting}
    outcome = Outcome(True)

    def change(text: str) -> str | None:
        tree = record_text.parse(text)
        old = tree.get("placement")
        if not isinstance(old, CommentedMap) or "ended" in old:
            _refuse(outcome, relative, "This pupil has no placement going on now: start a new placement.")
            return None
        ended = copy.deepcopy(old)
        block = CommentedMap()
        for path, value in (ending | {("outcome",): "moved_provider"}).items():
            if value is not None:
                record_text.set_value(block, path, value, PlacementEnd)
        record_text.set_value(ended, ("ended",), block, Placement)
        past = tree.get("past_placements")
        index = len(past) if isinstance(past, CommentedSeq) else 0
        record_text.append(tree, "past_placements", ended, PupilFile)
        tree["placement"] = _new_placement(old, built.values)
        inputs = {("past_placements", index, "ended") + path: built.inputs[path] for path in ending}
        inputs |= {("placement",) + path: built.inputs[path] for path in starting}
        return checked(space, relative, text, tree, inputs, outcome, early)

    return write(space, relative, version, change, outcome)


def _new_placement(old: CommentedMap, typed: Mapping[tuple, object]) -> CommentedMap:
    new = CommentedMap()
    new["provider"] = typed[("provider",)]
    for key in CARRIED_OVER[:2]:
        if key in old:
            new[key] = copy.deepcopy(old[key])
    new["start_date"] = typed[("start_date",)]
    new["hours_per_week"] = typed[("hours_per_week",)]
    for key in CARRIED_OVER[2:]:
        if key in old:
            new[key] = copy.deepcopy(old[key])
    return new


def start_form(providers: Mapping[str, str], words: Words) -> FormSpec:
    return FormSpec(
        "Start a placement",
        (Section("Where and when", placement_basics(providers, words)),),
        intro="Step 2 of 2. The agreement to print and sign is made from these answers. The timetable, plan and targets, "
        "consent and safeguarding come next, in the placement details.",
    )


def start_placement(space: Workspace, pupil_id: str, spec: FormSpec, raw: Mapping[str, str], version: str) -> Outcome:
    """Give the pupil a new current placement; one that has ended is filed in ``past_placements`` first."""
    built = build(spec, raw)
    relative = f"pupils/{pupil_id}.yaml"
    outcome = Outcome(True)

    def change(text: str) -> str | None:
        tree = record_text.parse(text)
        old = tree.get("placement")
        early: list[Problem] = []
        if isinstance(old, CommentedMap):
            ended = old.get("ended")
            if not isinstance(ended, CommentedMap):
                _refuse(outcome, relative, "This pupil's placement has not ended: end it, or move the pupil.")
                return None
            early = _starts_too_early(relative, built.values, ended.get("ended_on"))
            record_text.append(tree, "past_placements", copy.deepcopy(old), PupilFile)
        new = CommentedMap()
        for path, value in built.values.items():
            if value is not None:
                record_text.set_value(new, path, value, Placement)
        for key in CARRIED_OVER[2:] if isinstance(old, CommentedMap) else ():
            if key in old:  # the pupil's plan and targets, which reviews refer to, go on as a move's do
                record_text.set_value(new, (key,), copy.deepcopy(old[key]), Placement)
        record_text.set_value(tree, ("placement",), new, PupilFile)
        inputs = {("placement",) + path: name for path, name in built.inputs.items()}
        return checked(space, relative, text, tree, inputs, outcome, early)

    return write(space, relative, version, change, outcome)


def reopen(space: Workspace, pupil_id: str, version: str) -> Outcome:
    """Take the current placement's end away again (it was recorded by mistake)."""
    relative = f"pupils/{pupil_id}.yaml"
    outcome = Outcome(True)

    def change(text: str) -> str | None:
        tree = record_text.parse(text)
        placement = tree.get("placement")
        if not isinstance(placement, CommentedMap) or "ended" not in placement:
            _refuse(outcome, relative, "This placement has not ended, so there is nothing to reopen.")
            return None
        del placement["ended"]
        return checked(space, relative, text, tree, {}, outcome)

    return write(space, relative, version, change, outcome)


def moved_from(record: PupilFile) -> Placement | None:
    """The placement a move replaced, when the pupil's current placement began with a move (and has not
    ended): the one a move made by mistake would go back to."""
    last = record.past_placements[-1] if record.past_placements else None
    if record.placement.ended or last is None or last.ended is None or last.ended.outcome != "moved_provider":
        return None
    return last


def undo_move(space: Workspace, pupil_id: str, version: str) -> Outcome:
    """Take away the placement a move started, and let the one it ended go on (a move made by mistake)."""
    relative = f"pupils/{pupil_id}.yaml"
    outcome = Outcome(True)

    def change(text: str) -> str | None:
        tree = record_text.parse(text)
        current, past = tree.get("placement"), tree.get("past_placements")
        last = past[-1] if isinstance(past, CommentedSeq) and past else None
        ended = last.get("ended") if isinstance(last, CommentedMap) else None
        if (
            not isinstance(current, CommentedMap)
            or "ended" in current
            or not isinstance(ended, CommentedMap)
            or ended.get("outcome") != "moved_provider"
        ):
            _refuse(outcome, relative, "This pupil's placement did not begin with a move, so there is no move to undo.")
            return None
        assert isinstance(past, CommentedSeq) and isinstance(last, CommentedMap)
        restored = copy.deepcopy(last)
        del restored["ended"]
        for key in THE_PUPILS_PLAN:  # as it stands now; how the placement was arranged goes back as it was
            if key in current:
                restored[key] = copy.deepcopy(current[key])
            else:
                restored.pop(key, None)
        del past[-1]
        if not past:
            del tree["past_placements"]
        tree["placement"] = restored
        return checked(space, relative, text, tree, {}, outcome)

    return write(space, relative, version, change, outcome)


def _refuse(outcome: Outcome, relative: str, message: str) -> None:
    outcome.saved, outcome.general = False, [Problem(relative, "", message)]


def _starts_too_early(relative: str, typed: Mapping[tuple, object], ended_on: object) -> list[Problem]:
    """The new placement's first day, if it comes before the last day of the placement it follows."""
    start = typed.get(("start_date",))
    if isinstance(ended_on, str):
        try:
            ended_on = date.fromisoformat(ended_on)
        except ValueError:
            return []  # the loader says what is wrong with it
    if not (isinstance(start, date) and isinstance(ended_on, date)) or start >= ended_on:
        return []
    return [
        Problem(
            relative,
            "placement.start_date",
            f"is before the last day of the placement before it ({long_date(ended_on)}): "
            "a new placement starts on or after that day",
        )
    ]
