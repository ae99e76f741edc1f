"""Ending a placement, and moving a pupil to another provider, without losing what went before.

An ended placement keeps every key it had and gains an ``ended`` block (date, reason, outcome, how
the return was supported). Moving a pupil ends the current placement, files it at the end of
``past_placements`` and starts a new placement with the new provider; what belongs to the pupil
rather than to the provider (who arranged it, the category, the purpose, targets and baseline)
carries over, while what has to be agreed again with the new provider (agreement, consent,
timetable, cost) starts empty. Each change is checked by the loader before it is saved, like every
form on the page.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from packgen.errors import Problem
from packgen.records.models import Placement, PupilFile
from packgen.web import records
from packgen.web.edits import Workspace, _saving

# What a new placement with another provider takes over from the one it replaces.
CARRIED_OVER = ("arranged_by", "category", "off_site_direction", "attendance_code", "purpose", "desired_outcome",
                "why_ap", "curriculum", "reintegration", "part_time_plan", "baseline", "targets")
END_INPUTS = {"ended_on": "ended_on", "reason": "reason", "outcome": "outcome", "reintegration": "reintegration"}
START_INPUTS = {"provider": "provider", "start_date": "start_date", "hours_per_week": "hours_per_week"}


@dataclass
class Change:
    """``saved``, or the problems: by input name, and any that belong to no input."""

    saved: bool
    beside: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def end_placement(space: Workspace, pupil_id: str, typed: Mapping[str, str], version: str) -> Change:
    """Give the current placement its ``ended`` block."""
    with _saving:
        text, tree = records.read(space.pupil_file(pupil_id))
        if records.fingerprint(text) != version:
            return _changed_meanwhile()
        records.set_value(tree["placement"], ("ended",), _end_block(typed), Placement)
        inputs = {("placement", "ended", key): name for key, name in END_INPUTS.items()}
        return _check_and_save(space, pupil_id, records.updated_text(text, tree), inputs)


def move_placement(space: Workspace, pupil_id: str, typed: Mapping[str, str], version: str) -> Change:
    """End the current placement, keep it in ``past_placements``, start one with ``typed['provider']``."""
    with _saving:
        text, tree = records.read(space.pupil_file(pupil_id))
        if records.fingerprint(text) != version:
            return _changed_meanwhile()
        old = tree["placement"]
        ended = copy.deepcopy(old)
        records.set_value(ended, ("ended",), _end_block(typed), Placement)
        past = tree.get("past_placements")
        index = len(past) if isinstance(past, CommentedSeq) else 0
        records.append(tree, "past_placements", ended, PupilFile)
        tree["placement"] = _new_placement(old, typed)
        inputs = {("past_placements", index, "ended", key): name for key, name in END_INPUTS.items()}
        inputs |= {("placement", key): name for key, name in START_INPUTS.items()}
        return _check_and_save(space, pupil_id, records.updated_text(text, tree), inputs)


def _end_block(typed: Mapping[str, str]) -> CommentedMap:
    block = CommentedMap()
    for key in END_INPUTS:
        value = " ".join(typed.get(key, "").split()) if key != "reintegration" else typed.get(key, "").strip()
        if value:
            block[key] = records.to_node(_as_date(value) if key == "ended_on" else value)
    return block


def _new_placement(old: CommentedMap, typed: Mapping[str, str]) -> CommentedMap:
    new = CommentedMap()
    new["provider"] = typed.get("provider", "").strip()
    for key in CARRIED_OVER[:2]:
        if key in old:
            new[key] = copy.deepcopy(old[key])
    new["start_date"] = _as_date(typed.get("start_date", "").strip())
    new["hours_per_week"] = _as_number(typed.get("hours_per_week", "").strip())
    for key in CARRIED_OVER[2:]:
        if key in old:
            new[key] = copy.deepcopy(old[key])
    return new


def _as_date(text: str) -> object:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # the loader says what is wrong with it, beside the input


def _as_number(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check_and_save(space: Workspace, pupil_id: str, text: str, inputs: Mapping[tuple, str]) -> Change:
    relative = f"pupils/{pupil_id}.yaml"
    problems = records.problems_with(space.school, relative, text, space.scratch)
    if problems:
        return Change(False, *_placed(problems, relative, inputs))
    records.write_atomically(space.school / relative, text)
    return Change(True)


def _placed(problems: list[Problem], relative: str, inputs: Mapping[tuple, str]) -> tuple[dict, list[str]]:
    keys = {_key(path): name for path, name in inputs.items()}
    beside: dict[str, list[str]] = {}
    general = []
    for problem in problems:
        name = keys.get(problem.key) if problem.file == relative else None
        if name:
            beside.setdefault(name, []).append(problem.message)
        else:
            general.append(problem.message)
    return beside, general


def _key(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _changed_meanwhile() -> Change:
    return Change(False, general=["Someone else changed this pupil's record while this page was open. "
                                  "Open the page again to see the changes, then make yours."])
