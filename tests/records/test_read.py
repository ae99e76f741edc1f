"""Loading a school folder: typed records from hand-written YAML, or every problem at once.

Each test copies tests/fixtures/mini-school (fictional: a school, two providers, three pupils and two
scanned PDFs), breaks one thing the way office staff might, and reads back what `packgen check` would
say: the file, the key as they wrote it, the line, and what would be right.
"""

from __future__ import annotations

import copy
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from packgen.errors import DataError, InputError, Problem
from packgen.records.read import load_school
from packgen.records.school_data import SchoolData
from packgen.records.upn import check_letter, upn_problem
from tests.conftest import MINI, run_measured


@pytest.fixture
def school(tmp_path: Path) -> Path:
    """A private copy of the mini school to break."""
    dest = tmp_path / "mini-school"
    shutil.copytree(MINI, dest)
    return dest


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(DataError) as caught:
        load_school(folder)
    return caught.value.problems


def edit(folder: Path, relative: str, old: str, new: str) -> None:
    """Replace text that occurs exactly once, as someone editing the file by hand would."""
    path = folder / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- the valid school


def test_the_mini_school_loads_into_typed_records():
    data = load_school(MINI)

    assert isinstance(data, SchoolData)
    assert data.slug == "mini-school"
    assert data.folder == str(MINI)
    assert data.school.school.name == "Larkspur Community School"
    assert data.school.school.urn == "149997"
    assert list(data.providers) == ["hart-vale", "oak-tutors"]
    assert list(data.pupils) == ["p01", "p02", "p03"]

    zoe = data.pupils["p01"]
    assert zoe.pupil.full_name == "Zoë D'Souza-Müller"
    assert zoe.pupil.upn == "B801200005001"
    assert zoe.pupil.dob == date(2011, 5, 17)
    assert zoe.placement.hours_per_week == 15
    assert zoe.placement.agreement.evidence == "evidence/agreement-p01.pdf"
    assert zoe.reviews[0].next_review == date(2026, 12, 7)
    assert zoe.attendance[0].percent == pytest.approx(100 * 37 / 42)
    assert data.providers["hart-vale"].name == "Hart & Vale Learning"
    assert data.providers["hart-vale"].assurance.checks.overseas == "not_applicable"
    assert data.pupils["p03"].pupil.upn == "A80120000501A"  # a temporary UPN
    assert data.pupils["p03"].pupil.legal_surname == "N'Diaye"
    assert data.provider_of("p02").name == "Oak Street Tutors"


def test_times_stay_times_whether_quoted_or_not():
    # YAML 1.1 would read an unquoted 09:30 as the number 570 (base 60).
    sessions = load_school(MINI).pupils["p01"].placement.sessions
    assert [(s.day, s.start, s.end) for s in sessions] == [
        ("Mon", "09:30", "14:30"),
        ("Tue", "09:30", "14:30"),
        ("Wed", "09:30", "14:30"),
    ]


def test_yes_no_read_as_booleans_where_one_is_expected_and_as_text_elsewhere(school):
    edit(school, "pupils/p01.yaml", "flags: {sen_support: true}", "flags: {sen_support: yes, ehcp: no}")
    edit(school, "pupils/p01.yaml", "purpose: Time away", "transport: no\n  purpose: Time away")
    edit(school, "pupils/p01.yaml", "phone: 07700 900201", "phone: 07700900201")
    pupil = load_school(school).pupils["p01"]
    assert (pupil.pupil.flags.sen_support, pupil.pupil.flags.ehcp) == (True, False)
    assert pupil.placement.transport == "no"
    assert pupil.pupil.parent_carers[0].phone == "07700900201"  # not an octal number, not 7700900201


def test_a_utf8_byte_order_mark_is_accepted(school):
    path = school / "pupils" / "p01.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_school(school).pupils["p01"].pupil.legal_forename == "Zoë"


def test_stray_files_beside_the_records_are_ignored(school):
    (school / "pupils" / "README.txt").write_text("Pupil records, one per file.", encoding="utf-8")
    (school / "pupils" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (school / "providers" / "~$rt-vale.yaml").write_bytes(b"\x00lock")
    (school / "pupils" / "archive").mkdir()
    assert list(load_school(school).pupils) == ["p01", "p02", "p03"]


def test_a_missing_folder_is_a_usage_mistake_not_a_data_problem(tmp_path):
    with pytest.raises(InputError, match="is not a folder"):
        load_school(tmp_path / "no-such-school")


# ---------------------------------------------------------------- one mistake, one exact problem

P01, P02, HART, SCHOOL = "pupils/p01.yaml", "pupils/p02.yaml", "providers/hart-vale.yaml", "school.yaml"

# case: (file, text to replace, replacement, the problem expected: key, message, line)
MISTAKES = {
    "impossible date": (
        P01,
        "start_date: 2026-09-07",
        "start_date: 2026-13-01",
        "placement.start_date",
        "'2026-13-01' is not a date (use YYYY-MM-DD)",
        15,
    ),
    "date written the British way": (
        P01,
        "dob: 2011-05-17",
        "dob: 17/05/2011",
        "pupil.dob",
        "'17/05/2011' is not a date (use YYYY-MM-DD)",
        5,
    ),
    "unknown key, close to a real one": (
        P01,
        "target_end_date:",
        "target_end_dte:",
        "placement.target_end_dte",
        "is not a known key (did you mean 'target_end_date'?)",
        16,
    ),
    "unknown key in an aliased record": (
        P01,
        '{day: Mon, from: "09:30", to: "14:30"}',
        '{day: Mon, from: "09:30", too: "14:30", to: "14:30"}',
        "placement.sessions[1].too",
        "is not a known key (did you mean 'to'?)",
        19,
    ),
    "unknown key, like nothing known": (
        HART,
        "address:",
        "colour: green\naddress:",
        "colour",
        "is not a known key (the keys here are: name, kind, registration, "
        "la_approved, address, contacts, assurance, pre_admission, qa_visits, national_standards)",
        5,
    ),
    "missing required key": (P01, "  arranged_by: school\n", "", "placement.arranged_by", "is required", 10),
    "missing required record": (
        SCHOOL,
        "  dsl: {name: P. Quinn, email: dsl@larkspur.example}\n",
        "",
        "staff.dsl",
        "is required",
        9,
    ),
    "not one of the choices": (
        P01,
        "category: short_term_part_time",
        "category: short term",
        "placement.category",
        "'short term' is not one of: pex_on_roll, at_risk_full_time, short_term_part_time",
        13,
    ),
    "not true or false": (
        P01,
        "sen_support: true",
        "sen_support: sometimes",
        "pupil.flags.sen_support",
        "'sometimes' should be true or false",
        8,
    ),
    "true, false or not applicable": (
        HART,
        "identity: true",
        "identity: unsure",
        "assurance.checks.identity",
        "'unsure' should be true, false or not_applicable",
        12,
    ),
    "not a number": (
        P01,
        "hours_per_week: 15",
        "hours_per_week: fifteen",
        "placement.hours_per_week",
        "'fifteen' should be a number",
        17,
    ),
    "not a whole number": (
        P01,
        "year_group: 10",
        "year_group: 10.5",
        "pupil.year_group",
        "'10.5' should be a whole number",
        6,
    ),
    "out of range": (
        P01,
        "hours_per_week: 15",
        "hours_per_week: 0",
        "placement.hours_per_week",
        "'0' should be more than 0",
        17,
    ),
    "a list where one value belongs": (
        P01,
        "gender: female",
        "gender: [female]",
        "pupil.gender",
        "should be text, not a list",
        7,
    ),
    "one value where a list belongs": (
        P01,
        "attendees: [P. Quinn, F. Adeyemi, Zoë]",
        "attendees: P. Quinn",
        "reviews[1].attendees",
        "'P. Quinn' should be a list",
        36,
    ),
    "one value where a set of keys belongs": (
        SCHOOL,
        "headteacher: {name: D. Okafor, email: head@larkspur.example}",
        "headteacher: D. Okafor",
        "staff.headteacher",
        "'D. Okafor' should be a set of keys",
        10,
    ),
    "a number where text belongs": (
        HART,
        'urn: "147777"',
        "urn: 147777",
        "registration.urn",
        "'147777' should be text (put it in quotes)",
        3,
    ),
    "empty where text is required": (
        P01,
        "legal_forename: Zoë",
        "legal_forename:",
        "pupil.legal_forename",
        "is empty (it should be text)",
        3,
    ),
    "blank text": (P01, "legal_forename: Zoë", "legal_forename: '  '", "pupil.legal_forename", "is empty", 3),
    "URN in the wrong form": (
        SCHOOL,
        'urn: "149997"',
        'urn: "14999"',
        "school.urn",
        "'14999' is not in the right form (6 or 7 digits)",
        4,
    ),
    "time of day out of range": (
        P01,
        '{day: Wed, from: "09:30", to: "14:30"}',
        '{day: Wed, from: "09:30", to: "24:30"}',
        "placement.sessions[3].to",
        "'24:30' is not a time of day (use HH:MM, 24-hour, in quotes)",
        21,
    ),
    "UPN check letter wrong": (
        P01,
        "upn: B801200005001",
        "upn: C801200005001",
        "pupil.upn",
        "'C801200005001' has the wrong check letter (the digits give 'B'; check the UPN was copied correctly)",
        2,
    ),
    "UPN too short": (
        P01,
        "upn: B801200005001",
        "upn: B80120000500",
        "pupil.upn",
        "'B80120000500' is not a UPN (13 characters: a check letter, 11 digits, "
        "then a digit or, for a temporary UPN, a letter)",
        2,
    ),
    "email address without a domain": (
        SCHOOL,
        "email: office@larkspur.example",
        "email: office@larkspur",
        "school.email",
        "'office@larkspur' is not an email address (like name@school.example)",
        8,
    ),
    "phone number too short": (
        P01,
        "phone: 07700 900201",
        "phone: 0770 0900",
        "pupil.parent_carers[1].phone",
        "'0770 0900' is not a phone number (like 01632 960101 or 07700 900121)",
        9,
    ),
    "year group that does not fit the date of birth": (
        P01,
        "year_group: 10",
        "year_group: 7",
        "pupil.year_group",
        "'7' does not fit the date of birth (2011-05-17): a pupil born then is in Year 11 when the placement starts",
        6,
    ),
    "session before dawn": (
        P01,
        '{day: Wed, from: "09:30", to: "14:30"}',
        '{day: Wed, from: "04:30", to: "09:30"}',
        "placement.sessions[3].from",
        "'04:30' is outside the school day (08:40 to 15:20, give or take an hour): check the time",
        21,
    ),
    # dates and numbers that cannot all be true at once
    "target end before start": (
        P01,
        "target_end_date: 2027-02-12",
        "target_end_date: 2026-09-01",
        "placement.target_end_date",
        "'2026-09-01' is before placement.start_date (2026-09-07)",
        16,
    ),
    "meeting after the start": (
        P01,
        "agreed_at_meeting: 2026-09-03",
        "agreed_at_meeting: 2026-09-10",
        "placement.agreed_at_meeting",
        "'2026-09-10' is after placement.start_date (2026-09-07)",
        14,
    ),
    "born after the placement starts": (
        P01,
        "dob: 2011-05-17",
        "dob: 2026-09-07",
        "pupil.dob",
        "'2026-09-07' is on or after placement.start_date (2026-09-07)",
        5,
    ),
    "part-time plan ends before its review": (
        P01,
        "review_on: 2026-10-19, ends_on: 2027-02-12",
        "review_on: 2026-10-19, ends_on: 2026-10-01",
        "placement.part_time_plan.ends_on",
        "'2026-10-01' is before placement.part_time_plan.review_on (2026-10-19)",
        24,
    ),
    "off-site direction ends before it begins": (
        P02,
        "  attendance_code: K\n",
        "  attendance_code: K\n"
        "  off_site_direction: {directed: true, directed_on: 2026-09-14,\n"
        "                       ends_on: 2026-09-11}\n",
        "placement.off_site_direction.ends_on",
        "'2026-09-11' is before placement.off_site_direction.directed_on (2026-09-14)",
        16,
    ),
    "session ends before it starts": (
        P01,
        '{day: Mon, from: "09:30", to: "14:30"}',
        '{day: Mon, from: "14:30", to: "09:30"}',
        "placement.sessions[1].to",
        "'09:30' is before placement.sessions[1].from (14:30)",
        19,
    ),
    "hours do not match the sessions": (
        P01,
        "hours_per_week: 15",
        "hours_per_week: 16",
        "placement.hours_per_week",
        "'16' does not match the sessions, which add up to 15 hours a week",
        17,
    ),
    "next review not after the review": (
        P01,
        "next_review: 2026-12-07",
        "next_review: 2026-10-19",
        "reviews[1].next_review",
        "'2026-10-19' is on or before reviews[1].date (2026-10-19)",
        40,
    ),
    "attendance period ends before it starts": (
        P01,
        "to: 2026-10-23",
        "to: 2026-09-01",
        "attendance[1].to",
        "'2026-09-01' is before attendance[1].from (2026-09-07)",
        44,
    ),
    "more sessions attended than possible": (
        P01,
        "attended_sessions: 37",
        "attended_sessions: 43",
        "attendance[1].attended_sessions",
        "'43' is more than attendance[1].possible_sessions (42)",
        44,
    ),
    "progress against a target that does not exist": (
        P01,
        "{target: 2, rating: on_track}]}",
        "{target: 3, rating: on_track}]}",
        "visits[1].progress[1].target",
        "'3' is not a target number (placement.targets has 2: number them 1 to 2)",
        42,
    ),
    "assurance received before it was asked for": (
        HART,
        "received_on: 2026-09-10",
        "received_on: 2026-08-10",
        "assurance.received_on",
        "'2026-08-10' is before assurance.requested_on (2026-09-01)",
        11,
    ),
    # references to other files
    "provider with no file, close to one": (
        P01,
        "provider: hart-vale",
        "provider: hart-vail",
        "placement.provider",
        "'hart-vail' has no file providers/hart-vail.yaml (did you mean 'hart-vale'?)",
        11,
    ),
    "provider with no file, like none": (
        P02,
        "provider: oak-tutors",
        "provider: riverside",
        "placement.provider",
        "'riverside' has no file providers/riverside.yaml (the providers are: hart-vale, oak-tutors)",
        9,
    ),
    "evidence that is not there": (
        P01,
        "evidence/agreement-p01.pdf",
        "evidence/agreement-p1.pdf",
        "placement.agreement.evidence",
        "'evidence/agreement-p1.pdf' does not exist in the school folder",
        33,
    ),
    "evidence by absolute path": (
        P01,
        "evidence/agreement-p01.pdf",
        "/home/office/agreement.pdf",
        "placement.agreement.evidence",
        "'/home/office/agreement.pdf' must be a path inside the school folder, not an absolute path",
        33,
    ),
    "evidence that climbs out": (
        HART,
        "evidence/hart-vale-assurance.pdf",
        "../other-school/evidence/a.pdf",
        "assurance.evidence",
        "'../other-school/evidence/a.pdf' must not use '..' to leave the school folder",
        15,
    ),
    "evidence that is a folder": (
        P01,
        "evidence/agreement-p01.pdf",
        "evidence",
        "placement.agreement.evidence",
        "'evidence' is a folder, not a file",
        33,
    ),
    # the YAML itself
    "duplicate key": (
        P01,
        "  year_group: 10\n",
        "  year_group: 10\n  year_group: 11\n",
        "pupil.year_group",
        "is given twice (lines 6 and 7): keep one",
        7,
    ),
    "tab for indentation": (
        P01,
        "  gender: female",
        "\tgender: female",
        "",
        "is indented with a tab: indent with spaces only",
        7,
    ),
    # an unclosed bracket or quote is noticed on a later line, but reported where it opens
    "unclosed bracket": (
        P01,
        "attendees: [P. Quinn, F. Adeyemi, Zoë]",
        "attendees: [P. Quinn, F. Adeyemi, Zoë",
        "",
        "has a '[' at column 16 with no matching ']' (or items not separated by commas)",
        36,
    ),
    "unclosed quote": (
        P01,
        'two at school.",',
        "two at school.,",
        "",
        "has a quote at column 28 that is never closed",
        24,
    ),
    "colon inside an unquoted value": (
        P01,
        "purpose: Time away",
        "purpose: Aim: time away",
        "",
        "is not valid YAML at column 15: a ': ' inside a value (put the value in quotes), or a key indented too far",
        23,
    ),
    "key indented out of line": (
        P01,
        "  gender: female",
        " gender: female",
        "",
        "is not valid YAML at column 2: this line is indented differently from the keys above it",
        7,
    ),
    "backslash in double quotes": (
        P01,
        "evidence: evidence/agreement-p01.pdf",
        r'evidence: "evidence\scans.pdf"',
        "",
        "is not valid YAML at column 24: a backslash inside double quotes (use single quotes instead)",
        33,
    ),
    "value starting with a reserved character": (
        P01,
        "gender: female",
        "gender: @female",
        "",
        "is not valid YAML at column 11: a value starts with a character YAML reserves (put the value in quotes)",
        7,
    ),
    "alias": (
        P01,
        "  dob: 2011-05-17\n",
        "  dob: &born 2011-05-17\n  preferred_name: *born\n",
        "pupil.preferred_name",
        "uses a YAML alias (*born): write the value out in full",
        6,
    ),
    "YAML tag": (
        P01,
        "dob: 2011-05-17",
        "dob: !!timestamp 2011-05-17",
        "pupil.dob",
        "uses the YAML tag !!timestamp: remove it",
        5,
    ),
    "a key that is a list": (
        P01,
        "  gender: female\n",
        "  [gender, sex]: female\n",
        "",
        "has a list or a set of keys where a key name should be",
        7,
    ),
    "two documents in one file": (
        P02,
        "  attendance_code: K\n",
        "  attendance_code: K\n---\nnotes: extra\n",
        "",
        "holds more than one YAML document (a line '---' or '...' splits it): keep one record per file",
        15,
    ),
}


@pytest.mark.parametrize("case", MISTAKES)
def test_each_mistake_is_reported_with_file_key_message_and_line(school, case):
    file, old, new, key, message, line = MISTAKES[case]
    edit(school, file, old, new)
    assert problems_of(school) == [Problem(file, key, message, line)]


def test_a_problem_reads_as_file_line_key_and_what_is_wrong(school):
    edit(school, P01, "start_date: 2026-09-07", "start_date: 2026-13-01")
    (problem,) = problems_of(school)
    assert str(problem) == "pupils/p01.yaml:15: placement.start_date: '2026-13-01' is not a date (use YYYY-MM-DD)"


def test_a_duplicate_upn_is_reported_on_both_pupils(school):
    edit(school, P02, "upn: Q801200005002", "upn: b801200005001")  # the same UPN, typed in lower case
    assert problems_of(school) == [
        Problem(P01, "pupil.upn", "'B801200005001' is also the UPN in pupils/p02.yaml: each pupil has their own", 2),
        Problem(P02, "pupil.upn", "'B801200005001' is also the UPN in pupils/p01.yaml: each pupil has their own", 2),
    ]


def test_evidence_linked_from_outside_the_folder_is_refused(school, tmp_path):
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes((MINI / "evidence" / "agreement-p01.pdf").read_bytes())
    link = school / "evidence" / "agreement-p01.pdf"
    link.unlink()
    link.symlink_to(outside)
    assert problems_of(school) == [
        Problem(
            P01,
            "placement.agreement.evidence",
            "'evidence/agreement-p01.pdf' leads "
            "outside the school folder (it is a link): put the file itself in the "
            "folder",
            33,
        )
    ]


def test_evidence_that_is_a_device_or_pipe_is_refused_without_reading_it(school):
    pipe = school / "evidence" / "agreement-p01.pdf"
    pipe.unlink()
    os.mkfifo(pipe)  # opening a pipe to read its header would wait for ever
    assert problems_of(school) == [
        Problem(P01, "placement.agreement.evidence", "'evidence/agreement-p01.pdf' is not an ordinary file", 33)
    ]


def test_record_file_names_must_be_plain_ids(school):
    p02 = (school / P02).read_text(encoding="utf-8")
    (school / "pupils" / "Pupil 4.yaml").write_text(p02.replace("Q801200005002", "E801200005003"), encoding="utf-8")
    (school / "pupils" / "p05.yml").write_text(p02.replace("Q801200005002", "U801200005004"), encoding="utf-8")
    (school / "providers" / "hart-vale.yaml").rename(school / "providers" / "Hart_Vale.YAML")
    edit(school, P01, "provider: hart-vale", "provider: Hart_Vale")
    edit(school, "pupils/p03.yaml", "provider: hart-vale", "provider: Hart_Vale")
    assert problems_of(school) == [
        Problem(
            "providers/Hart_Vale.YAML",
            "",
            "is not a usable record name: it should end in .yaml, not .YAML; "
            "the name should use only lowercase letters, digits and hyphens (like bridge-learning.yaml)",
        ),
        Problem(
            "pupils/Pupil 4.yaml",
            "",
            "is not a usable record name: the name should use only lowercase "
            "letters, digits and hyphens (like p07.yaml)",
        ),
        Problem("pupils/p05.yml", "", "is not a usable record name: it should end in .yaml, not .yml (like p07.yaml)"),
    ]


def test_a_school_without_school_yaml_or_providers_or_pupils(school):
    (school / "school.yaml").unlink()
    shutil.rmtree(school / "providers")
    for pupil in (school / "pupils").glob("*.yaml"):
        pupil.unlink()
    assert problems_of(school) == [
        Problem(
            "providers/",
            "",
            "is missing: make a providers folder holding one file per provider, like providers/bridge-learning.yaml",
        ),
        Problem("pupils/", "", "has no records: add one file per pupil, like pupils/p07.yaml"),
        Problem("school.yaml", "", "does not exist in the school folder"),
    ]


@pytest.mark.parametrize(
    "content, message, line",
    [
        (b"", "should hold keys such as 'pupil:' and 'placement:', but holds nothing", None),
        (b"# just a comment\n", "should hold keys such as 'pupil:' and 'placement:', but holds nothing", None),
        (b"- pupil\n- placement\n", "should hold keys such as 'pupil:' and 'placement:', but holds a list", 1),
        (b"Zoe's record\n", "should hold keys such as 'pupil:' and 'placement:', but holds a single value", 1),
        (
            b"pupil:\n  legal_forename: Zo\xeb\n",
            "is not saved as UTF-8 text (byte 0xEB cannot be read): save it again as UTF-8",
            2,
        ),
        (b"pupil:\n  gender: \x07\n", "holds a character YAML does not allow (#x0007): delete it", 2),
        (b"[" * 200_000, "is nested more than 32 levels deep: is it the right file?", 1),
        (b"#" * 1_000_001, "is over 1 MB, far bigger than a record: is it the right file?", None),
    ],
)
def test_a_file_that_is_not_a_record_at_all(school, content, message, line):
    (school / P01).write_bytes(content)
    assert problems_of(school) == [Problem(P01, "", message, line)]


def test_an_alias_bomb_is_refused_at_once(school):
    # Each line multiplies the one before by nine: expanded, the last would hold 9**9 items.
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (school / P01).write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Refused at the first alias, before anything is expanded: that, not a stopwatch, is the protection.
    problems = problems_of(school)
    assert problems == [Problem(P01, "a1[1]", "uses a YAML alias (*a0): write the value out in full", 2)]


def test_every_problem_in_every_file_comes_in_one_error(school):
    edit(school, P01, "start_date: 2026-09-07", "start_date: 2026-13-01")
    edit(school, P01, "provider: hart-vale", "provider: hart-vail")
    edit(school, P02, "hours_per_week: 25", "hours_per_week: lots")
    edit(school, "pupils/p03.yaml", "  year_group: 11\n", "  year_group: 11\n  year_group: 12\n")
    edit(school, HART, "kind: registered_ap", "kind: registered")
    edit(school, SCHOOL, "reply_within_days: 10", "reply_in_days: 10")
    (school / "pupils" / "p04.yml").write_text("pupil: {}\n", encoding="utf-8")

    problems = problems_of(school)

    assert [(p.file, p.line, p.key) for p in problems] == [
        (HART, 2, "kind"),
        (P01, 11, "placement.provider"),  # still checked, though the placement has another mistake
        (P01, 15, "placement.start_date"),
        (P02, 13, "placement.hours_per_week"),
        ("pupils/p03.yaml", 7, "pupil.year_group"),  # given twice
        ("pupils/p04.yml", None, ""),  # the name
        ("pupils/p04.yml", 1, "placement"),
        ("pupils/p04.yml", 1, "pupil.dob"),
        ("pupils/p04.yml", 1, "pupil.gender"),
        ("pupils/p04.yml", 1, "pupil.legal_forename"),
        ("pupils/p04.yml", 1, "pupil.legal_surname"),
        ("pupils/p04.yml", 1, "pupil.upn"),
        ("pupils/p04.yml", 1, "pupil.year_group"),
        (SCHOOL, 18, "letters.reply_in_days"),
    ]


def test_a_mistake_in_one_part_does_not_hide_mistakes_in_another(school):
    # The pupil part and the one review are broken, yet the placement is still checked against the
    # provider files, and the visit against the placement's targets.
    edit(school, P01, "gender: female", "gender: [female]")
    edit(school, P01, "decision: continue", "decision: carry on")
    edit(school, P01, "provider: hart-vale", "provider: ' hart-vail '")
    edit(school, P01, "{target: 2, rating: on_track}]}", "{target: 3, rating: on_track}]}")
    assert [(p.key, p.line) for p in problems_of(school)] == [
        ("pupil.gender", 7),
        ("placement.provider", 11),
        ("reviews[1].decision", 39),
        ("visits[1].progress[1].target", 42),
    ]


def test_text_is_trimmed_alike_whether_or_not_the_rest_is_valid(school):
    edit(school, P01, "provider: hart-vale", "provider: '  hart-vale  '")
    assert load_school(school).pupils["p01"].placement.provider == "hart-vale"
    edit(school, P01, "start_date: 2026-09-07", "start_date: soon")
    assert [p.key for p in problems_of(school)] == ["placement.start_date"]


# ---------------------------------------------------------------- whatever is in a file, only DataError


VALID_P01 = (MINI / P01).read_bytes()


@st.composite
def spliced_records(draw) -> bytes:
    """The valid record with a few bytes cut out and others put in: mistakes near real structure."""
    start = draw(st.integers(0, len(VALID_P01)))
    end = draw(st.integers(start, min(len(VALID_P01), start + 40)))
    middle = draw(st.binary(max_size=20) | st.text(":-[]{}&*!#'\"\t\n ,|>%@`?", max_size=8).map(str.encode))
    return VALID_P01[:start] + middle + VALID_P01[end:]


yaml_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
).map(lambda value: yaml.safe_dump(value, allow_unicode=True).encode())


@pytest.fixture(scope="module")
def shared_school(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("hypothesis") / "mini-school"
    shutil.copytree(MINI, dest)
    return dest


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode) | yaml_documents | spliced_records())
def test_any_content_in_a_pupil_file_gives_records_or_a_data_error(shared_school, content):
    (shared_school / P01).write_bytes(content)
    try:
        result = load_school(shared_school)
    except DataError as error:
        assert error.problems and all(p.file and p.message for p in error.problems)
    else:
        assert isinstance(result, SchoolData)


ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 50)
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["2026-13-01", "2026-09-01", "09:30", "yes", "not_applicable", "../x.pdf", "evidence"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["date", "from", "to", "target"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def key_paths(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield path + (key,)
            yield from key_paths(inner, path + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield path + (index,)
            yield from key_paths(inner, path + (index,))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_value_at_any_key_gives_records_or_a_data_error(shared_school, data):
    # Closer to real mistakes than random bytes: the record's own structure with a few values swapped.
    file = data.draw(st.sampled_from([P01, HART, SCHOOL]))
    record = yaml.load((MINI / file).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    for _ in range(data.draw(st.integers(1, 3))):
        *parents, last = data.draw(st.sampled_from(list(key_paths(record))))
        container = record
        for part in parents:
            container = container[part]
        container[last] = data.draw(ANY_VALUE)
    for original in (P01, HART, SCHOOL):
        shutil.copy(MINI / original, shared_school / original)
    (shared_school / file).write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    try:
        load_school(shared_school)
    except DataError as error:
        assert error.problems


# ---------------------------------------------------------------- size


def test_three_hundred_pupils_load_with_every_one_distinct(school):
    template = (school / P01).read_text(encoding="utf-8")
    for path in (school / "pupils").glob("*.yaml"):
        path.unlink()
    for number in range(300):
        body = f"8012{number:08d}"
        text = template.replace("B801200005001", check_letter(body) + body)
        (school / "pupils" / f"p{number:03d}.yaml").write_text(text, encoding="utf-8")
    data = load_school(school)  # how fast: benchmarks/, never a timed test
    assert len(data.pupils) == 300
    assert len({record.pupil.upn for record in data.pupils.values()}) == 300


# ---------------------------------------------------------------- the UPN check letter


@pytest.mark.parametrize("upn", ["B801200005001", "A80120000501A"])
def test_valid_upns_pass(upn):
    assert upn_problem(upn) is None
    assert check_letter(upn[1:]) == upn[0]


def test_a_upn_with_the_wrong_check_letter_says_which_letter_the_digits_give():
    assert upn_problem("C801200005001") == (
        "'C801200005001' has the wrong check letter (the digits give 'B'; check the UPN was copied correctly)"
    )


@pytest.mark.parametrize("upn", ["B80120000500", "B8012000050011", "B80120000500I", "I801200005001", ""])
def test_a_upn_of_the_wrong_shape_is_not_a_upn(upn):
    assert upn_problem(upn).startswith(f"'{upn}' is not a UPN (13 characters")


# ---------------------------------------------------------------- ended placements


def test_an_ended_placement_stays_in_the_record_as_history(school):
    path = school / P02
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = dict(
        copy.deepcopy(record["placement"]),
        ended={"ended_on": "2026-10-16", "reason": "Moved nearer home", "outcome": "moved_provider"},
    )
    record["past_placements"] = [first]
    record["placement"] = dict(record["placement"], provider="hart-vale", start_date="2026-10-19")
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")

    pupil = load_school(school).pupils["p02"]
    (past,) = pupil.past_placements
    assert (past.provider, past.ended.ended_on, past.ended.outcome) == (
        "oak-tutors",
        date(2026, 10, 16),
        "moved_provider",
    )
    assert past.ended_by(date(2026, 10, 16)) and not pupil.placement.ended_by(date(2027, 1, 1))


def test_a_past_placement_must_say_when_it_ended_and_name_a_provider_on_file(school):
    path = school / P02
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["past_placements"] = [dict(copy.deepcopy(record["placement"]), provider="oak-tutor")]
    record["placement"] = dict(
        record["placement"],
        ended={"ended_on": "2026-09-01", "reason": "Back at school", "outcome": "returned_to_school"},
    )
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")

    messages = {(p.key, p.message) for p in problems_of(school)}
    assert any(key == "past_placements[1]" and "needs 'ended'" in message for key, message in messages)
    assert any(
        key == "placement.ended.ended_on" and "is before placement.start_date" in message for key, message in messages
    )


def test_a_pipe_among_the_records_is_refused_without_waiting_for_it(tmp_path):
    school = tmp_path / MINI.name
    shutil.copytree(MINI, school)
    os.mkfifo(school / "pupils" / "p09.yaml")  # nobody writes to it: reading it would wait for ever

    done, _ = run_measured("check", school, timeout=60)

    assert done.returncode == 1, done.stderr
    assert "pupils/p09.yaml: is not an ordinary file" in done.stdout


def test_a_placement_ended_the_old_way_is_answered_with_the_block_to_write(school):
    path = school / P02
    text = path.read_text(encoding="utf-8")
    assert "\n  hours_per_week:" in text
    path.write_text(
        text.replace(
            "\n  hours_per_week:",
            "\n  ended_on: 2026-12-11\n  destination: Full time at Mini School\n  hours_per_week:",
        ),
        encoding="utf-8",
    )
    line = path.read_text(encoding="utf-8").splitlines().index("  ended_on: 2026-12-11") + 1

    (problem,) = problems_of(school)  # said once: not also as two unknown keys
    assert (problem.file, problem.key, problem.line) == (P02, "placement.ended_on", line)
    for words in ("ended_on: 2026-12-11", "destination: Full time at Mini School", "reason:", "returned_to_school"):
        assert words in problem.message
    assert "'ended:' block under placement" in problem.message


def test_an_end_said_both_ways_names_the_lines_to_delete(school):
    path = school / P02
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["placement"] |= {
        "ended": {"ended_on": "2026-12-11", "reason": "Back at school", "outcome": "returned_to_school"},
        "destination": "Full time at Mini School",
    }
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")

    (problem,) = problems_of(school)
    assert problem.key == "placement.destination" and "already has an 'ended' block" in problem.message
