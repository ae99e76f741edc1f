"""Readiness findings kept between looks at a school, worked out again only for what changed.

A pupil's rules read that pupil's record, their provider's and the school's; a provider's rules read
the provider and the pupils placed there; the school's, the school file. Records of a school kept by
``records.school_cache.SchoolCache`` stay the same objects while their files are unchanged, so a
subject's findings are kept for as long as the very records they were worked out from (and the day)
are the ones given. The result is the same list ``rules.assess`` gives (tests compare them).
"""

from __future__ import annotations

import threading
from datetime import date

from packgen.readiness.rules import RULES, Finding, worst_first
from packgen.records.school_data import SchoolData


class KeptFindings:
    """``assess(data, today)`` as ``rules.assess``, keeping each subject's findings while its inputs stay."""

    def __init__(self) -> None:
        # Per subject: the day, the school's slug and the records the findings were worked out from (held,
        # and compared by identity), and the findings.
        self._kept: dict[tuple[str, str], tuple[date, str, tuple, list[Finding]]] = {}
        self._last: tuple[SchoolData, date, list[Finding]] | None = None
        self._lock = threading.Lock()
        self.worked_out = 0  # subjects whose rules were run: how a test sees what was done again

    def assess(self, data: SchoolData, today: date) -> list[Finding]:
        with self._lock:
            if self._last is not None and self._last[0] is data and self._last[1] == today:
                return list(self._last[2])
            placed: dict[str, list] = {pid: [] for pid in data.providers}
            for record in data.pupils.values():
                placed.setdefault(record.placement.provider, []).append(record)
            subjects = [
                *((("pupil", pid), self._pupil_inputs(data, pid)) for pid in data.pupils),
                *(
                    (("provider", pid), (provider, data.school, *placed[pid]))
                    for pid, provider in data.providers.items()
                ),
                (("school", data.slug), (data.school,)),
            ]
            kept = {}
            findings: list[Finding] = []
            for (subject, subject_id), inputs in subjects:
                before = self._kept.get((subject, subject_id))
                if (
                    before is None
                    or before[:2] != (today, data.slug)
                    or len(before[2]) != len(inputs)
                    or any(a is not b for a, b in zip(before[2], inputs))
                ):
                    self.worked_out += 1
                    before = (
                        today,
                        data.slug,
                        inputs,
                        [f for rule in RULES if rule.subject == subject if (f := rule.check(data, subject_id, today))],
                    )
                kept[subject, subject_id] = before
                findings += before[3]
            self._kept = kept
            findings.sort(key=worst_first)
            self._last = (data, today, findings)
            return list(findings)

    @staticmethod
    def _pupil_inputs(data: SchoolData, pupil_id: str) -> tuple:
        record = data.pupils[pupil_id]
        return record, data.providers.get(record.placement.provider), data.school
