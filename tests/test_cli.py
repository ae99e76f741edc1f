"""The command line as users meet it: help, check with readiness findings, and letters end to end."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.conftest import DEMO, edit_record, run_cli


TODAY = "2026-11-23"


@pytest.mark.parametrize("command", [[], ["check"], ["agreement"], ["letters"], ["build"]])
def test_help_gives_an_example(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "data/brookfield-academy" in result.output


def test_usage_mistakes_exit_2():
    assert run_cli("check").exit_code == 2
    assert run_cli("check", DEMO, "--today", "23/11/2026").exit_code == 2
    assert run_cli("frobnicate").exit_code == 2


def test_check_lists_findings_by_severity_after_saying_the_data_is_sound():
    result = run_cli("check", DEMO, "--today", TODAY)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("No problems found") < out.index("CRITICAL") < out.index("HIGH") < out.index("ADVISORY")
    assert "R2" in out and "Willow Tree Tuition" in out


def test_check_json_gives_every_finding_for_tools():
    result = run_cli("check", DEMO, "--today", TODAY, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["buildable"] is True and report["today"] == TODAY
    rules = {f["rule"] for f in report["findings"]}
    assert {"R1", "R2", "R11"} <= rules
    assert all({"severity", "status", "subject_id", "message", "source"} <= f.keys() for f in report["findings"])


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


def test_letters_send_delivers_once_and_a_second_send_sends_nothing(demo_copy, tmp_path, smtp_server):  # noqa: F811
    server = smtp_server()
    send = ["letters", demo_copy, "--out", tmp_path, "--send", "--smtp-host", "127.0.0.1",
            "--smtp-port", str(server.port), "--smtp-security", "none"]
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


def test_letters_send_through_the_mail_server_named_in_school_yaml(demo_copy, tmp_path, smtp_server):  # noqa: F811
    server = smtp_server()
    school_yaml = demo_copy / "school.yaml"
    edit_record(school_yaml, lambda s: s["letters"].update(
        smtp={"host": "127.0.0.1", "port": server.port, "security": "none"}, sender="AP office <ap@brookfield.example>"))
    result = run_cli("letters", demo_copy, "--out", tmp_path, "--send")
    assert result.exit_code == 0, result.output
    [message] = server.recorder.messages()
    assert message["From"].addresses[0].addr_spec == "ap@brookfield.example"
    assert message["To"].addresses[0].addr_spec == "helen@willowtree.example"


def test_a_password_in_school_yaml_is_refused_by_name(demo_copy):
    edit_record(demo_copy / "school.yaml", lambda s: s["letters"].update(
        smtp={"host": "mail.example", "user": "ap", "password": "hunter2"}))
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
    assert warning.startswith("Warning: pupils/elif-sahin.yaml: the file's name (the pupil's id, 'elif-sahin') "
                              "contains the pupil's name")
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
