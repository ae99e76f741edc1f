"""The command line as users meet it: help, check with readiness findings, and letters end to end."""

from __future__ import annotations

import json

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import DEMO, edit_record, run_cli

TODAY = "2026-11-23"


@pytest.mark.parametrize(
    "command", [[], ["check"], ["agreement"], ["letters"], ["build"], ["list"], ["notice"], ["la-letter"]]
)
def test_help_gives_an_example(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "data/brookfield-academy" in result.output


def test_usage_mistakes_exit_2():
    assert run_cli("check").exit_code == 2
    assert run_cli("check", DEMO, "--today", "23/11/2026").exit_code == 2
    assert run_cli("frobnicate").exit_code == 2


def test_check_lists_findings_under_the_toolkits_evaluation_areas_after_saying_the_data_is_sound():
    result = run_cli("check", DEMO, "--today", TODAY)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(2 critical, 16 high, 3 advisory)" in out
    assert (
        out.index("No problems found")
        < out.index("INCLUSION (5)")
        < out.index("ATTENDANCE AND BEHAVIOUR (4)")
        < out.index("LEADERSHIP AND GOVERNANCE (8)")
        < out.index("SAFEGUARDING (MET OR NOT MET) (4)")
    )
    safeguarding = out[out.index("SAFEGUARDING (MET OR NOT MET)") :]
    assert "R2  [critical] Willow Tree Tuition" in safeguarding
    leadership = out[out.index("LEADERSHIP AND GOVERNANCE") : out.index("SAFEGUARDING (MET OR NOT MET)")]
    assert "R1  [high] Hart & Field Vocational" in leadership and "Test applied: Education Act 1996 s463" in leadership


def test_check_json_gives_every_finding_for_tools():
    result = run_cli("check", DEMO, "--today", TODAY, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["buildable"] is True and report["today"] == TODAY
    rules = {f["rule"] for f in report["findings"]}
    assert {"R1", "R2", "R11"} <= rules
    assert all(
        {"severity", "status", "subject_id", "message", "source", "area"} <= f.keys() for f in report["findings"]
    )


def test_check_strict_exits_3_when_a_critical_finding_remains():
    assert run_cli("check", DEMO, "--today", TODAY, "--strict").exit_code == 3


def test_check_json_reports_data_problems_with_file_and_key(demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("year_group:", "year_grup:"), encoding="utf-8")
    result = run_cli("check", demo_copy, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["buildable"] is False
    assert any(p["file"] == "pupils/p01.yaml" and p["key"] == "pupil.year_grup" for p in report["problems"])


def test_letters_dry_run_sends_nothing_and_says_who_would_get_what(demo_copy, tmp_path):
    result = run_cli("letters", demo_copy, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing sent" in result.output
    assert "willow-tree-tuition" in result.output
    assert (tmp_path / DEMO.name / "letters" / "willow-tree-tuition.eml").is_file()
    assert not (demo_copy / "letters-sent.jsonl").exists()


def test_letters_send_delivers_once_and_a_second_send_sends_nothing(demo_copy, tmp_path, smtp_server):
    server = smtp_server()
    send = [
        "letters",
        demo_copy,
        "--out",
        tmp_path,
        "--send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "none",
    ]
    first = run_cli(*send)
    assert first.exit_code == 0, first.output
    delivered = server.recorder.messages()
    assert [m["To"].addresses[0].addr_spec for m in delivered] == ["helen@willowtree.example"]
    assert (demo_copy / "letters-sent.jsonl").is_file()

    second = run_cli(*send)
    assert second.exit_code == 0, second.output
    assert len(server.recorder.messages()) == 1


def test_letters_send_without_a_server_is_a_usage_error(demo_copy, tmp_path):
    result = run_cli("letters", demo_copy, "--out", tmp_path, "--send")
    assert result.exit_code == 2
    assert "--smtp-host" in result.output


def test_letters_status_shows_overdue_replies():
    result = run_cli("letters", DEMO, "--status", "--today", TODAY)
    assert result.exit_code == 0
    assert "willow-tree-tuition: asked 2026-09-14; 56 days overdue (due 2026-09-28)" in result.output


def test_letters_send_through_the_mail_server_named_in_school_yaml(demo_copy, tmp_path, smtp_server):
    server = smtp_server()
    school_yaml = demo_copy / "school.yaml"
    edit_record(
        school_yaml,
        lambda s: s["letters"].update(
            smtp={"host": "127.0.0.1", "port": server.port, "security": "none"},
            sender="AP office <ap@brookfield.example>",
        ),
    )
    result = run_cli("letters", demo_copy, "--out", tmp_path, "--send")
    assert result.exit_code == 0, result.output
    [message] = server.recorder.messages()
    assert message["From"].addresses[0].addr_spec == "ap@brookfield.example"
    assert message["To"].addresses[0].addr_spec == "helen@willowtree.example"


def test_a_password_in_school_yaml_is_refused_by_name(demo_copy):
    edit_record(
        demo_copy / "school.yaml",
        lambda s: s["letters"].update(smtp={"host": "mail.example", "user": "ap", "password": "hunter2"}),
    )
    result = run_cli("check", demo_copy)
    assert result.exit_code == 1
    assert "school.yaml" in result.output and "letters.smtp.password" in result.output


def test_check_warns_of_a_pupil_id_that_holds_the_pupils_name_without_failing(demo_copy):
    record = demo_copy / "pupils" / "p03.yaml"
    assert yaml.safe_load(record.read_text())["pupil"]["legal_surname"] == "Şahin"
    named = demo_copy / "pupils" / "elif-sahin.yaml"  # as a file name can spell Elif Şahin
    record.rename(named)
    result = run_cli("check", demo_copy, "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "No problems found: ready to build." in result.output
    [warning] = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert warning.startswith(
        "Warning: pupils/elif-sahin.yaml: the file's name (the pupil's id, 'elif-sahin') contains the pupil's name"
    )
    assert "such as p03" in warning
    report = json.loads(run_cli("check", demo_copy, "--today", TODAY, "--format", "json").output)
    assert [w["file"] for w in report["warnings"]] == [f"pupils/{named.name}"]
    # The demo's own ids name nobody.
    assert "Warning:" not in run_cli("check", DEMO, "--today", TODAY).output


def test_help_lists_every_exit_code():
    text = run_cli("--help").output
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "70 ", "130 "):
        assert f"\n    {code}" in text, code
    assert "stopped by Ctrl-C or TERM" in text and "a disk full" in text


# ---------------------------------------------------------------- documents for the planning call, parents and the LA


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(str(path)).pages)


def test_list_prints_each_provider_and_writes_the_planning_call_list(tmp_path):
    result = run_cli("list", DEMO, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Hart & Field Vocational (Unregistered): 3 pupils" in result.output
    assert "Bridge Learning Centre (Registered, URN 148812): 5 pupils" in result.output
    assert "from 14 Sep 2026: 15 hours a week (Mon, Tue, Wed)" in result.output
    text = pdf_text(tmp_path / DEMO.name / "pack" / "provider-list.pdf")
    assert "Alternative provision: providers used" in text
    assert "18 pupils at 6 providers; 2 of the providers are not registered as a school" in text
    assert "The Old Forge, Mill Lane, Kettlewell Green, NT9 3HF" in text and "URN 132750" in text
    assert (tmp_path / DEMO.name / "pack" / "provider-list.docx").is_file()


def test_notice_fills_the_direction_notice_from_the_record(tmp_path):
    result = run_cli("notice", DEMO, "p10", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    text = pdf_text(tmp_path / DEMO.name / "notices" / "p10.pdf")
    for wanted in (
        "Notice of off-site direction",
        "Dear Gemma Dawson,",
        "from 21 September 2026 until 29 January 2027",
        "Unit 4, Canal Street Works, Northtown, NT2 2BB",
        "Aisha Khan, Head of Centre, at reception",
        "Monday: 09:15 to 14:15",
        "damage to a classroom door",
        "returns to his classes full time",
        "Rukhsana Patel",
    ):
        assert wanted in text, wanted


def test_notice_for_a_pupil_who_is_not_directed_is_a_user_mistake(tmp_path):
    result = run_cli("notice", DEMO, "p01", "--out", tmp_path)
    assert result.exit_code == 1
    assert "pupils/p01.yaml: placement.off_site_direction.directed is not true" in result.output


def test_la_letter_tells_the_local_authority_of_the_placement(tmp_path):
    result = run_cli("la-letter", DEMO, "p11", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    text = pdf_text(tmp_path / DEMO.name / "la-letters" / "p11.pdf")
    for wanted in (
        "Notice of a placement in alternative provision",
        "To the alternative provision team, Northshire",
        "Ethan Marsh, born 9 June 2012, Year 10, UPN E999499916111",
        "SEN support",
        "Riverside Centre (Northshire Pupil Referral Unit), Riverside Walk, Eastbridge, NT6 1RW",
        "From 9 November 2026; target end 5 February 2027",
        "22.5 (Mon, Tue, Wed, Thu, Fri)",
    ):
        assert wanted in text, wanted


def test_check_names_the_file_and_key_of_a_wrong_readiness_setting_or_new_record_field(demo_copy):
    school = demo_copy / "school.yaml"
    school.write_text(
        school.read_text(encoding="utf-8").replace(
            "registration_law: education-act-1996", "registration_law: cwsa-2026"
        ),
        encoding="utf-8",
    )
    pupil = demo_copy / "pupils" / "p15.yaml"
    pupil.write_text(
        pupil.read_text(encoding="utf-8").replace("sessions_not_at_provider: C2", "sessions_not_at_provider: C3"),
        encoding="utf-8",
    )
    result = run_cli("check", demo_copy)
    assert result.exit_code == 1
    assert "readiness.registration_law: 'cwsa-2026' is not one of: education-act-1996, cws-act-2026" in result.output
    assert "pupils/p15.yaml:40: placement.sessions_not_at_provider: 'C3' is not one of: at_school, C2" in result.output
