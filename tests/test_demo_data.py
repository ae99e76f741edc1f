"""The demo school's records: each file is a valid record, the records agree with each other, and together
they show everything the demo must show (every category, every kind of arrangement, vulnerable pupils,
awkward names), with its deliberate gaps listed in GAPS.md and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
import yaml

from packgen.readiness.rules import RULE_BY_ID
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.read import load_school
from packgen.records.school_file import SchoolFile
from tests.conftest import DEMO, demo_gaps

TODAY = date(2026, 11, 23)  # the demo's "today": GAPS.md lists the readiness findings on this date
SCHOOL_FILE = DEMO / "school.yaml"
PROVIDER_FILES = sorted((DEMO / "providers").glob("*.yaml"))
PUPIL_FILES = sorted((DEMO / "pupils").glob("*.yaml"))
GAP_COMMENT = re.compile(r"^# (?:Deliberate gap|Expected advisory finding) [^:]*: (R\d+)", re.M)


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def school() -> SchoolFile:
    return SchoolFile.model_validate(read(SCHOOL_FILE))


@pytest.fixture(scope="module")
def providers() -> dict[str, Provider]:
    return {path.stem: Provider.model_validate(read(path)) for path in PROVIDER_FILES}


@pytest.fixture(scope="module")
def pupils() -> dict[str, PupilFile]:
    return {path.stem: PupilFile.model_validate(read(path)) for path in PUPIL_FILES}


# ---------------------------------------------------------------- every file is a valid record


def test_school_file_is_a_valid_record(school):
    assert school.school.name == "Brookfield Academy"
    assert school.school.la == "Northshire"


@pytest.mark.parametrize("path", PROVIDER_FILES, ids=lambda p: p.name)
def test_provider_file_is_a_valid_record(path):
    Provider.model_validate(read(path))


@pytest.mark.parametrize("path", PUPIL_FILES, ids=lambda p: p.name)
def test_pupil_file_is_a_valid_record(path):
    PupilFile.model_validate(read(path))


def test_the_folder_loads_as_one_school(providers, pupils):
    data = load_school(DEMO)
    assert data.slug == "brookfield-academy"
    assert data.pupils == pupils
    assert data.providers == providers


def test_ids_are_slugs_and_pupil_ids_hold_no_names(providers, pupils):
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", pid) for pid in providers)
    assert all(re.fullmatch(r"p\d{2}", pid) for pid in pupils)


def test_every_placement_names_a_provider_on_file(providers, pupils):
    assert {record.placement.provider for record in pupils.values()} <= set(providers)


def test_every_provider_on_file_has_pupils(providers, pupils):
    assert set(providers) == {record.placement.provider for record in pupils.values()}


def test_upns_are_unique(pupils):
    upns = [record.pupil.upn for record in pupils.values()]
    assert len(set(upns)) == len(upns)


# ---------------------------------------------------------------- what the demo must show


def test_enough_pupils_and_providers(providers, pupils):
    assert len(pupils) >= 12
    assert len(providers) >= 5


def test_every_category_and_every_kind_of_arrangement_is_present(pupils):
    placements = [record.placement for record in pupils.values()]
    assert {p.category for p in placements} == {"pex_on_roll", "at_risk_full_time", "short_term_part_time"}
    assert {p.arranged_by for p in placements} == {"school", "partnership", "local_authority"}


def test_looked_after_ehcp_child_protection_and_child_in_need_pupils_are_present(pupils):
    flags = [record.pupil.flags for record in pupils.values()]
    assert any(f.lac and f.lac_la for f in flags)
    assert any(f.ehcp for f in flags)
    assert any(f.cp for f in flags)
    assert any(f.cin for f in flags)


def test_a_part_time_placement_has_a_part_time_plan(pupils):
    assert any(
        r.placement.part_time and r.placement.part_time_plan and r.placement.part_time_plan.review_on
        for r in pupils.values()
    )


def test_an_off_site_direction_and_an_unregistered_provider_are_used(providers, pupils):
    assert any(r.placement.off_site_direction.directed for r in pupils.values())
    unregistered = {pid for pid, p in providers.items() if p.registration.status == "unregistered"}
    assert any(r.placement.provider in unregistered for r in pupils.values())


def test_names_carry_apostrophes_accents_ampersands_and_right_to_left_script(providers, pupils):
    names = [f"{r.pupil.legal_forename} {r.pupil.legal_surname}" for r in pupils.values()]
    assert any("'" in name for name in names)
    assert {"é", "Ł", "Ş"} <= set("".join(names))
    assert any("&" in provider.name for provider in providers.values())
    carers = "".join(carer.name for r in pupils.values() for carer in r.pupil.parent_carers)
    assert any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in carers)


def test_every_review_has_progress_on_each_target_and_both_voices(pupils):
    assert all(record.reviews for record in pupils.values())
    assert sum(len(record.reviews) > 1 for record in pupils.values()) >= 5
    for record, review in [(r, review) for r in pupils.values() for review in r.reviews]:
        assert sorted(p.target for p in review.progress) == list(range(1, len(record.placement.targets) + 1))
        assert review.pupil_voice and review.parent_voice and review.attendees


def test_every_pupil_has_visits_with_risks_and_attendance(pupils):
    for pid, record in pupils.items():
        assert record.visits and record.attendance, pid
        assert all(v.risks and all(r.mitigation for r in v.risks) and v.outcome for v in record.visits), pid
    assert any(v.concerns and v.safeguarding_procedure_followed for r in pupils.values() for v in r.visits)


# ---------------------------------------------------------------- the records agree with each other


def test_hours_per_week_are_the_sum_of_the_sessions(pupils):
    for pid, record in pupils.items():
        assert sum(s.hours for s in record.placement.sessions) == record.placement.hours_per_week, pid


def test_year_group_matches_date_of_birth_in_2026_27(pupils):
    for pid, record in pupils.items():
        born_from = date(2021 - record.pupil.year_group, 9, 1)
        assert born_from <= record.pupil.dob < born_from.replace(year=born_from.year + 1), pid


def test_nothing_has_happened_after_the_demo_today_or_before_the_placement(pupils):
    for pid, record in pupils.items():
        start = record.placement.start_date
        assert all(start <= review.date <= TODAY for review in record.reviews), pid
        assert all(start <= visit.date <= TODAY for visit in record.visits), pid
        assert all(start <= period.start <= period.end <= TODAY for period in record.attendance), pid
        assert all(period.attended_sessions <= period.possible_sessions for period in record.attendance), pid
        targets = range(1, len(record.placement.targets) + 1)
        assert all(p.target in targets for v in record.visits for p in v.progress), pid


def test_contact_details_are_fictional(school, providers, pupils):
    """E-mail addresses use .example domains; phone numbers come from Ofcom's ranges reserved for drama."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in [SCHOOL_FILE, *PROVIDER_FILES, *PUPIL_FILES])
    emails = re.findall(r"[\w.+-]+@[\w.-]+", text)
    phones = re.findall(r"(?:^\s*|[{,] )phone: ([^,}\n]+)", text, re.M)
    assert emails and all(e.endswith(".example") for e in emails)
    assert phones and all(re.fullmatch(r"01632 960\d{3}|07700 900\d{3}", p) for p in phones)


# ---------------------------------------------------------------- evidence


def test_evidence_is_small_real_pdfs_each_referenced_by_a_record(providers, pupils):
    referenced = {r.placement.agreement.evidence for r in pupils.values()}
    referenced |= {p.assurance.evidence for p in providers.values()}
    referenced.discard(None)
    on_disk = {f"evidence/{path.name}" for path in (DEMO / "evidence").iterdir()}
    assert referenced == on_disk
    assert len(on_disk) >= 2
    for relative in on_disk:
        data = (DEMO / relative).read_bytes()
        assert data.startswith(b"%PDF-") and len(data) < 20_000, relative


# ---------------------------------------------------------------- the deliberate gaps


def test_gaps_name_real_rules_and_real_subjects(providers, pupils):
    gaps = demo_gaps()
    assert len(gaps) >= 10
    known = {"pupil": set(pupils), "provider": set(providers)}
    for rule, subject, subject_id, severity, status in gaps:
        assert rule in RULE_BY_ID and RULE_BY_ID[rule].subject == subject, rule
        assert severity in RULE_BY_ID[rule].severities, (rule, severity)
        assert subject_id in known[subject], subject_id
        assert severity in ("critical", "high", "advisory"), severity
        assert status in ("fail", "unknown"), status


def test_the_demo_shows_each_rule_added_with_the_current_guidance_exactly_once():
    shown = [rule for rule, *_ in demo_gaps()]
    assert {rule: shown.count(rule) for rule in ("R18", "R19", "R20", "R21", "R22")} == dict.fromkeys(
        ("R18", "R19", "R20", "R21", "R22"), 1
    )


def test_the_demo_school_chooses_its_registration_test_and_the_optional_limits(school):
    assert school.readiness.registration_law == "education-act-1996"
    assert school.readiness.unregistered_limits is True
    assert school.readiness.direction_max_weeks == 16


def test_each_gap_is_flagged_at_the_top_of_its_file_and_no_others_are():
    flagged = {
        (rule, path.stem)
        for path in [*PROVIDER_FILES, *PUPIL_FILES]
        for rule in GAP_COMMENT.findall(path.read_text(encoding="utf-8"))
    }
    assert flagged == {(rule, subject_id) for rule, _subject, subject_id, *_ in demo_gaps()}
