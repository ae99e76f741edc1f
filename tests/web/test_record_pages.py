"""The record pages added for office staff, through Flask's test client on a copy of the demo school.

The school's readiness settings and a provider's statement on the national standards; an unplaced
pupil's details; the plan for a pupil's return to school; a provider's quality evaluations added,
changed and removed; saved scans opened from the form they were uploaded on, and nothing else.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from packgen.readiness.rules import assess
from packgen.records.read import load_school
from packgen.records.upn import check_letter
from tests.conftest import (
    TODAY,
    changes,
    date_fields,
    field_error,
    form_fields,
    make_client,
    page,
    page_text,
    submit,
    token,
)


@pytest.fixture
def client(demo_copy: Path):
    return make_client(demo_copy)


def rules_about(school: Path, subject_id: str) -> list[str]:
    return [f.rule for f in assess(load_school(school), TODAY) if f.subject_id == subject_id]


# ---------------------------------------------------------------- readiness settings, national standards


def test_the_readiness_settings_are_chosen_in_words_and_saved(client, demo_copy):
    body = page(client, "/school")
    assert "Education Act 1996, section 463 (in force now)" in page_text(body)
    assert "education-act-1996" not in page_text(body)  # the code stays in the record, off the page
    fields = form_fields(body) | {"registration_law": "cws-act-2026", "direction_max_weeks": "12"}
    fields |= date_fields("cws_act_commenced_on", "2026-09-01")
    fields.pop("unregistered_limits")  # unticked
    assert submit(client, "/school", fields).status_code == 302
    readiness = load_school(demo_copy).school.readiness
    assert (readiness.registration_law, readiness.direction_max_weeks) == ("cws-act-2026", 12)
    assert str(readiness.cws_act_commenced_on) == "2026-09-01" and readiness.unregistered_limits is False


def test_an_unticked_box_for_a_key_the_file_leaves_out_changes_nothing(client, demo_copy):
    path = demo_copy / "school.yaml"
    path.write_text(re.sub(r"\n  unregistered_limits: .*", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    fields = form_fields(page(client, "/school"))
    assert "unregistered_limits" not in fields  # shown unticked
    assert submit(client, "/school", fields).status_code == 302
    assert path.read_text(encoding="utf-8") == before
    ticked = submit(client, "/school", fields | {"unregistered_limits": "yes"})
    assert ticked.status_code == 302 and load_school(demo_copy).school.readiness.unregistered_limits is True


def test_a_providers_answer_on_the_national_standards_clears_the_finding(client, demo_copy):
    url = "/providers/willow-tree-tuition/edit"
    assert "R21" in rules_about(demo_copy, "willow-tree-tuition")
    before = (demo_copy / "providers" / "willow-tree-tuition.yaml").read_text(encoding="utf-8")
    fields = (
        form_fields(page(client, url)) | {"standards_meets": "no"} | date_fields("standards_stated_on", "2026-11-20")
    )
    assert submit(client, url, fields).status_code == 302
    statement = load_school(demo_copy).providers["willow-tree-tuition"].national_standards
    assert statement.meets is False and str(statement.stated_on) == "2026-11-20"  # a "No" is written, not dropped
    after = (demo_copy / "providers" / "willow-tree-tuition.yaml").read_text(encoding="utf-8")
    assert [line for line in changes(before, after) if line.startswith("-")] == []
    said = [
        f for f in assess(load_school(demo_copy), TODAY) if (f.rule, f.subject_id) == ("R21", "willow-tree-tuition")
    ]
    assert "says it does not meet" in said[0].message  # the finding now follows its answer
    assert submit(client, url, form_fields(page(client, url)) | {"standards_meets": "yes"}).status_code == 302
    assert "R21" not in rules_about(demo_copy, "willow-tree-tuition")


# ---------------------------------------------------------------- an unplaced pupil's details


def unplaced_pupil(school: Path) -> Path:
    """A pupil as an import from the school's MIS writes one: details, no placement yet."""
    body = "999499919207"
    path = school / "pupils" / "p19.yaml"
    path.write_text(
        f'pupil:\n  upn: "{check_letter(body)}{body}"\n  legal_forename: Ellie-Mae\n  legal_surname: Barnes\n'
        "  dob: 2012-03-14\n  year_group: 9\n  gender: female\n  parent_carers:\n    - name: Pauline Barnes\n"
        "      relationship: mother\n      phone: 07700 900150\n",
        encoding="utf-8",
    )
    return path


def test_an_unplaced_pupils_details_are_kept_from_the_page(client, demo_copy):
    path = unplaced_pupil(demo_copy)
    listing = page(client, "/pupils")
    unplaced = re.search(r'<ul class="govuk-list" id="unplaced-pupils">.*?</ul>', listing, re.S).group(0)
    assert "Ellie-Mae Barnes" in unplaced and 'href="/pupils/p19/details"' in unplaced
    assert "p19" not in re.search(r'<table[^>]*id="pupils-table".*?</table>', listing, re.S).group(0)
    assert client.get("/pupils/p19/steps").status_code == 404  # no placement page yet
    assert 'id="start-placement"' in page(client, "/pupils/p19")  # but a way to start one

    fields = form_fields(page(client, "/pupils/p19/details")) | {"parents-1-phone": "07700 900151"}
    saved = submit(client, "/pupils/p19/details", fields)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/pupils#not-placed")
    data = load_school(demo_copy)
    assert data.unplaced["p19"].pupil.parent_carers[0].phone == "07700 900151" and "p19" not in data.pupils
    assert "placement" not in path.read_text(encoding="utf-8")

    fresh = form_fields(page(client, "/pupils/p19/details"))
    wrong = submit(client, "/pupils/p19/details", fresh | {"parents-1-phone": "12"})
    assert wrong.status_code == 422 and "is not a phone number" in field_error(
        wrong.get_data(as_text=True), "parents-1-phone"
    )
    assert load_school(demo_copy).unplaced["p19"].pupil.parent_carers[0].phone == "07700 900151"


# ---------------------------------------------------------------- the return to school


def test_the_return_to_school_steps_are_recorded_and_the_finding_clears(client, demo_copy):
    assert "R20" in rules_about(demo_copy, "p01")
    steps = client.get("/pupils/p01/steps").get_data(as_text=True)
    assert 'href="/pupils/p01/reintegration"' in steps
    url = "/pupils/p01/reintegration"
    body = page(client, url)
    assert "Full return planned for 22 February 2027" in html.unescape(body)  # the plan as written so far
    fields = form_fields(body) | {"steps-1-step": "One Bridge day becomes a Brookfield day."}
    missing_date = submit(client, url, fields)
    assert missing_date.status_code == 422
    assert field_error(missing_date.get_data(as_text=True), "steps-1-by")
    assert "R20" in rules_about(demo_copy, "p01")  # nothing saved

    fields |= date_fields("steps-1-by", "2027-01-06") | {"steps-2-step": "Full return to Brookfield."}
    fields |= date_fields("steps-2-by", "2027-02-22")
    saved = submit(client, url, fields)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/pupils/p01")
    timeline = load_school(demo_copy).pupils["p01"].placement.reintegration_timeline
    assert [(str(s.by), s.step) for s in timeline] == [
        ("2027-01-06", "One Bridge day becomes a Brookfield day."),
        ("2027-02-22", "Full return to Brookfield."),
    ]
    assert "R20" not in rules_about(demo_copy, "p01")
    assert "R20" not in page_text(page(client, "/pupils/p01/steps"))


# ---------------------------------------------------------------- quality evaluations


def test_a_quality_evaluation_is_added_changed_and_removed(client, demo_copy):
    provider = "/providers/northtown-college"
    record = demo_copy / "providers" / "northtown-college.yaml"
    before = len(load_school(demo_copy).providers["northtown-college"].qa_visits)
    listing = page(client, provider + "/edit")
    assert 'id="evaluations"' in listing and f'href="{provider}/evaluations/new"' in listing

    form = page(client, provider + "/evaluations/new")
    assert 'type="radio"' in form and "Personal development" in form and "personal_development</" not in form
    empty = submit(client, provider + "/evaluations/new", {})
    assert empty.status_code == 422
    for name in ("date", "by", "focus"):
        assert field_error(empty.get_data(as_text=True), name), name
    assert len(load_school(demo_copy).providers["northtown-college"].qa_visits) == before

    fields = {"by": "Simon Cope", "focus": "progress", "actions": "Share reading ages\nTermly data drop"}
    added = submit(client, provider + "/evaluations/new", fields | date_fields("date", "2026-11-18"))
    assert added.status_code == 302 and added.headers["Location"].endswith("/edit#evaluations")
    visits = load_school(demo_copy).providers["northtown-college"].qa_visits
    assert len(visits) == before + 1 and visits[-1].actions == ["Share reading ages", "Termly data drop"]
    number = before + 1
    assert "18 November 2026" in page_text(page(client, provider + "/edit"))

    change = f"{provider}/evaluations/{number}"
    fields = form_fields(page(client, change)) | {"by": "Joanna Russell", "focus": "personal_development"}
    assert submit(client, change, fields).status_code == 302
    changed = load_school(demo_copy).providers["northtown-college"].qa_visits[-1]
    assert (changed.by, changed.focus, str(changed.date)) == ("Joanna Russell", "personal_development", "2026-11-18")
    assert client.get(f"{provider}/evaluations/{number + 1}").status_code == 404

    confirm = page(client, change + "/remove")
    assert "Remove this quality evaluation?" in confirm and "Joanna Russell" in confirm
    version = re.search(r'name="version" value="([^"]+)"', confirm).group(1)
    record.write_text(record.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # someone saved meanwhile
    stale = client.post(change + "/remove", data={"csrf_token": token(client, change + "/remove"), "version": version})
    assert stale.status_code == 409 and "changed by someone else" in page_text(stale.get_data(as_text=True))
    assert len(load_school(demo_copy).providers["northtown-college"].qa_visits) == number

    fresh = re.search(r'name="version" value="([^"]+)"', page(client, change + "/remove")).group(1)
    removed = client.post(change + "/remove", data={"csrf_token": token(client, change + "/remove"), "version": fresh})
    assert removed.status_code == 302
    assert len(load_school(demo_copy).providers["northtown-college"].qa_visits) == before
    assert client.get(change + "/remove").status_code == 404


def test_removing_the_last_evaluation_takes_the_list_out_of_the_record(client, demo_copy):
    record = demo_copy / "providers" / "bridge-learning-centre.yaml"
    while visits := load_school(demo_copy).providers["bridge-learning-centre"].qa_visits:
        url = f"/providers/bridge-learning-centre/evaluations/{len(visits)}/remove"
        version = re.search(r'name="version" value="([^"]+)"', page(client, url)).group(1)
        assert client.post(url, data={"csrf_token": token(client, url), "version": version}).status_code == 302
    assert "qa_visits" not in record.read_text(encoding="utf-8")
    assert "No quality evaluation is recorded" in page(client, "/providers/bridge-learning-centre/edit")


# ---------------------------------------------------------------- saved scans


def test_a_saved_scan_is_downloaded_from_the_form_it_was_uploaded_on(client, demo_copy):
    for form, url, attached in (
        ("/pupils/p01/placement", "/pupils/p01/agreement-scan.pdf", "evidence/agreement-p01-signed.pdf"),
        (
            "/providers/bridge-learning-centre/edit",
            "/providers/bridge-learning-centre/appendix-4-scan.pdf",
            "evidence/bridge-learning-centre-appendix-4.pdf",
        ),
    ):
        assert f'href="{url}"' in page(client, form)
        scan = client.get(url)
        assert scan.status_code == 200 and scan.mimetype == "application/pdf"
        assert scan.headers["Content-Disposition"].startswith("attachment;")
        assert "no-store" in scan.headers["Cache-Control"]
        assert scan.data == (demo_copy / attached).read_bytes()


def test_only_a_scan_the_records_attach_inside_the_school_folder_is_sent(client, demo_copy, tmp_path):
    assert client.get("/pupils/p02/agreement-scan.pdf").status_code == 404  # nothing attached
    assert client.get("/pupils/p99/agreement-scan.pdf").status_code == 404
    assert client.get("/providers/willow-tree-tuition/appendix-4-scan.pdf").status_code == 404
    assert client.get("/pupils/p01/../../school.yaml").status_code == 404
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"%PDF-1.4 not the school's")
    scan = demo_copy / "evidence" / "agreement-p01-signed.pdf"
    scan.unlink()
    scan.symlink_to(outside)  # the attached name now leads out of the school folder
    assert client.get("/pupils/p01/agreement-scan.pdf").status_code == 404
    scan.unlink()
    assert client.get("/pupils/p01/agreement-scan.pdf").status_code == 404  # attached, but gone
