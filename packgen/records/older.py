"""Pupil records written in an older shape: recognised as the file is read, and answered with what to write.

Before ``placement.ended`` existed, a placement's end was written as ``placement.ended_on`` and
``placement.destination`` for the census return. Those keys cannot say why the placement ended or what
happened next, so they are not converted behind the school's back (see ``models.PlacementEnd``): each is
reported once, at its own line, with the block to write in its place, the record's own values filled in.
The old keys are then taken out of what is validated, so the same lines are not also called unknown keys.
"""

from __future__ import annotations

from typing import Any, get_args

from packgen.errors import Problem
from packgen.records.pupil_file import EndOutcome
from packgen.records.yaml_tree import Tree, key_text

OLD_END_KEYS = ("ended_on", "destination")
OUTCOMES = ", ".join(get_args(EndOutcome))


def old_placement_ends(tree: Tree) -> list[Problem]:
    """A problem for each placement (current or past) that says it ended the old way."""
    past = tree.data.get("past_placements")
    places: list[tuple[tuple, Any]] = [(("placement",), tree.data.get("placement"))]
    places += [(("past_placements", i), entry) for i, entry in enumerate(past if isinstance(past, list) else [])]
    problems = []
    for at, node in places:
        if not isinstance(node, dict):
            continue
        old = {key: node.pop(key) for key in OLD_END_KEYS if key in node}
        if not old:
            continue
        first = next(iter(old))
        problems.append(
            Problem(tree.file, key_text(at + (first,)), _instead(at, old, node), tree.lines.get(at + (first,)))
        )
    return problems


def _instead(at: tuple, old: dict[str, Any], node: dict) -> str:
    where = key_text(at)
    if node.get("ended") is not None:
        return (
            f"{where} already has an 'ended' block, so {' and '.join(old)} here say the same thing a second "
            f"way: put the destination (if any) into {where}.ended and delete these lines"
        )
    block = [
        f"ended_on: {old.get('ended_on') or 'the day it ended (YYYY-MM-DD)'}",
        "reason: why it ended",
        f"outcome: what happened next (one of {OUTCOMES})",
    ]
    if old.get("destination"):
        block.append(f"destination: {old['destination']}")
    return (
        "is the old way of saying a placement ended, and leaves out why it ended and what happened next. "
        f"Replace {' and '.join(old)} with an 'ended:' block under {where} holding {', '.join(block)}"
    )
