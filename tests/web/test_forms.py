"""Every record form through Flask's test client, on a copy of the demo school.

Saving a form unchanged leaves its file byte for byte as it was (comments, order, quoting); a change
touches only its own lines; mistakes come back all at once, in words, beside their fields and in the
summary at the top, with nothing saved. A broken record never locks the page.
"""

from __future__ import annotations

import io
import re
import signal
import stat
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from packgen import __version__
from packgen.records.read import load_school
from tests.conftest import changes, date_fields, field_error, form_fields, make_client, page, page_text, submit

FORMS = {  # form page → the record file it writes
    "/pupils/p01/details": "pupils/p01.yaml",
    "/pupils/p18/placement": "pupils/p18.yaml",
    "/pupils/p01/placement": "pupils/p01.yaml",
    "/pupils/p01/reviews/1": "pupils/p01.yaml",
    "/pupils/p01/visits/1": "pupils/p01.yaml",
    "/pupils/p04/attendance": "pupils/p04.yaml",
    "/providers/bridge-learning-centre/edit": "providers/bridge-learning-centre.yaml",
    "/providers/willow-tree-tuition/edit": "providers/willow-tree-tuition.yaml",
    "/school": "school.yaml",
}


@pytest.fixture
def client(demo_copy: Path):
    return make_client(demo_copy)


def summary(body: str) -> list[str]:
    """The error summary's entries, top to bottom."""
    box = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    return [page_text(item) for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)] if box else []


def pdf_bytes(words: str) -> bytes:
    out = io.BytesIO()
    sheet = canvas.Canvas(out)
    sheet.drawString(72, 720, words)
    sheet.save()
    return out.getvalue()


@pytest.mark.parametrize("url", FORMS)
def test_saving_a_form_unchanged_leaves_its_file_exactly_as_it_was(client, demo_copy, url):
    path = demo_copy / FORMS[url]
    before = path.read_bytes()
    body = page(client, url)
    response = submit(client, url, form_fields(body))
    assert response.status_code == 302, summary(response.get_data(as_text=True))
    assert path.read_bytes() == before


def test_parents_and_emergency_contacts_are_added_with_comments_kept(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_text()
    fields = form_fields(page(client, "/pupils/p01/details"))
    row = next(n for n in range(1, 9) if not fields[f"parents-{n}-name"])  # the empty row after the parents
    fields |= {
        f"parents-{row}-name": "Sam Nowak",
        f"parents-{row}-relationship": "stepfather",
        f"parents-{row}-phone": "07700 900103",
        "emergency-1-name": "Ewa Nowak",
        "emergency-1-relationship": "aunt",
        "emergency-1-phone": "01632 960777",
        "social_worker": "Dana Price (Northshire)",
    }
    assert submit(client, "/pupils/p01/details", fields).status_code == 302
    after = path.read_text()
    assert after.startswith("# Brookfield Academy demo data. Everything here is fictional")
    assert before.count("#") == after.count("#")  # every comment is still there
    assert all(line.startswith("+") for line in changes(before, after))  # only added lines
    pupil = load_school(demo_copy).pupils["p01"].pupil
    assert [p.name for p in pupil.parent_carers][-1] == "Sam Nowak"
    assert [(c.name, c.relationship, c.phone) for c in pupil.emergency_contacts] == [
        ("Ewa Nowak", "aunt", "01632 960777")
    ]
    assert pupil.key_adults.social_worker == "Dana Price (Northshire)"


def test_the_whole_placement_is_recorded_from_the_page(client, demo_copy):
    fields = form_fields(page(client, "/pupils/p01/placement"))
    row = next(n for n in range(1, 9) if not fields[f"targets-{n}-text"])
    fields |= {
        "cost_amount": "85",
        "cost_per": "day",
        "cost_paid_by": "local_authority",
        "curriculum": "English\nMaths\nConstruction",
        "baseline_attendance": "71.5",
        f"targets-{row}-text": "Attend every session for six weeks.",
        f"targets-{row}-measure": "Provider register",
        "dsl_contact_shared": "yes",
        **date_fields("parent_signed_on", "2026-09-04"),
        **date_fields("school_signed_on", "2026-09-04"),
        "transport": "Walks with a parent.",
    }
    assert submit(client, "/pupils/p01/placement", fields).status_code == 302
    placement = load_school(demo_copy).pupils["p01"].placement
    assert (placement.cost.amount, placement.cost.per, placement.cost.paid_by) == (85, "day", "local_authority")
    assert placement.curriculum == ["English", "Maths", "Construction"]
    assert placement.targets[-1].text == "Attend every session for six weeks."
    assert placement.safeguarding.dsl_contact_shared is True
    assert placement.consent.parent_signed_on == date(2026, 9, 4)
    assert placement.baseline.attendance_percent == 71.5


def test_mistakes_are_all_shown_at_once_in_words_beside_their_fields(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_bytes()
    fields = form_fields(page(client, "/pupils/p01/details"))
    fields |= {
        "upn": "B801200005002",
        "legal_surname": "",
        "dob-day": "31",
        "dob-month": "2",
        "parents-1-email": "not an address",
        "parents-1-phone": "12",
    }
    response = submit(client, "/pupils/p01/details", fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and path.read_bytes() == before
    assert "wrong check letter" in field_error(body, "upn")
    assert field_error(body, "legal_surname") == "Enter legal last name"
    assert field_error(body, "dob") == "Enter a real date, for example 7 9 2026 (day, month, year)"
    assert "is not an email address" in field_error(body, "parents-1-email")
    assert "is not a phone number" in field_error(body, "parents-1-phone")
    listed = summary(body)
    assert [entry.split(":")[0] for entry in listed] == [
        "Unique pupil number (UPN)",
        "Legal last name",
        "Date of birth",
        "Parent or carer 1, phone",
        "Parent or carer 1, email",
    ]  # in the order of the form
    assert 'href="#dob-day"' in body  # the summary takes you to the first box of the date
    assert 'value="not an address"' in body  # what was typed is kept to correct
    for raw in ("legal_surname", "pupil.", "p01.yaml", "YYYY"):
        assert raw not in page_text(body.split('id="main-content"')[1].split("<form")[0])


def test_a_date_of_birth_that_does_not_fit_the_year_group_is_questioned(client, demo_copy):
    fields = form_fields(page(client, "/pupils/p01/details")) | date_fields("dob", "2016-05-01")
    body = submit(client, "/pupils/p01/details", fields).get_data(as_text=True)
    assert "does not fit the date of birth (1 May 2016)" in field_error(body, "year_group")


def test_an_end_before_the_start_and_a_session_at_night_are_questioned(client, demo_copy):
    fields = form_fields(page(client, "/pupils/p01/placement"))
    fields |= date_fields("target_end_date", "2026-08-01") | {"sessions-1-from": "0930", "sessions-1-to": "2:30"}
    body = submit(client, "/pupils/p01/placement", fields).get_data(as_text=True)
    assert field_error(body, "target_end_date").startswith("1 August 2026 is before start date (7 September 2026)")
    assert "is outside the school day" in field_error(body, "sessions-1-to")
    assert field_error(body, "sessions-1-from") == ""  # 0930 is read as 09:30


def test_a_signed_agreement_scan_is_uploaded_checked_and_attached(client, demo_copy):
    url = "/pupils/p02/placement"
    fields = form_fields(page(client, url))
    bad = submit(client, url, fields | {"agreement_scan": (io.BytesIO(b"not a pdf"), "scan.pdf")})
    assert "is not a PDF" in field_error(bad.get_data(as_text=True), "agreement_scan")
    assert not list((demo_copy / "evidence").glob("agreement-p02-*"))
    good = submit(client, url, fields | {"agreement_scan": (io.BytesIO(pdf_bytes("Signed")), "scan.pdf")})
    assert good.status_code == 302
    attached = load_school(demo_copy).pupils["p02"].placement.agreement.evidence
    assert attached.startswith("evidence/agreement-p02-") and (demo_copy / attached).read_bytes().startswith(b"%PDF")


def test_a_provider_is_added_and_its_appendix_4_marked_returned_with_the_scan(client, demo_copy):
    fields = {
        "name": "Larch Farm Learning",
        "kind": "unregistered",
        "address": "Larch Farm, Northshire",
        "registration_status": "unregistered",
        "standards_meets": "yes",
        "lead_name": "R. Okafor",
        "lead_email": "r@larch.example",
        **date_fields("requested_on", "2026-11-02"),
    }
    response = submit(client, "/providers/new", fields)
    assert response.status_code == 302, summary(response.get_data(as_text=True))
    provider = load_school(demo_copy).providers["larch-farm-learning"]
    assert (provider.name, provider.registration.status) == ("Larch Farm Learning", "unregistered")
    assert provider.national_standards.meets is True
    url = "/providers/larch-farm-learning/edit"
    fields = (
        form_fields(page(client, url))
        | date_fields("received_on", "2026-11-20")
        | {"check_enhanced_dbs_barred_list": "yes", "assurance_scan": (io.BytesIO(pdf_bytes("Appendix 4")), "a4.pdf")}
    )
    assert submit(client, url, fields).status_code == 302
    assurance = load_school(demo_copy).providers["larch-farm-learning"].assurance
    assert assurance.received_on == date(2026, 11, 20) and assurance.checks.enhanced_dbs_barred_list is True
    assert assurance.evidence.startswith("evidence/larch-farm-learning-appendix-4-")
    assert "Larch Farm Learning" in page(client, "/providers")


def test_school_settings_never_hold_a_password_and_the_logo_shows_in_the_header(client, demo_copy):
    body = page(client, "/school")
    assert 'type="password"' not in body and "password" not in form_fields(body)
    assert "<img" not in body.split("</header>")[0]  # no logo yet: nothing in its place
    picture = io.BytesIO()
    Image.new("RGB", (300, 120), "navy").save(picture, "JPEG")
    picture.seek(0)
    fields = form_fields(body)
    row = next(n for n in range(1, 30) if not fields[f"terms-{n}-name"])  # the empty row after the terms
    fields |= {
        "approved_by": "Full governing board",
        "logo": (picture, "crest.jpg"),
        "full_time_hours": "20",
        f"terms-{row}-name": "Autumn 1 2027",
        **date_fields(f"terms-{row}-starts", "2027-09-02"),
        **date_fields(f"terms-{row}-ends", "2027-10-22"),
    }
    assert submit(client, "/school", fields).status_code == 302
    settings = load_school(demo_copy).school
    assert settings.governance.ap_use_approved_by == "Full governing board"
    assert settings.readiness.full_time_hours == 20 and settings.pack.term_dates[-1].name == "Autumn 1 2027"
    header = page(client, "/pupils").split("</header>")[0]
    assert re.search(r'<img class="app-header__logo" src="/school/logo.png\?v=\d+" alt="">', header)
    with Image.open(io.BytesIO(client.get("/school/logo.png").data)) as logo:
        assert logo.format == "PNG" and logo.height <= 160
    bad = submit(client, "/school", form_fields(body) | {"logo": (io.BytesIO(b"<svg onload=x>"), "x.png")})
    assert "not a picture packgen can read" in page_text(bad.get_data(as_text=True))


def test_a_broken_record_is_named_and_repaired_while_every_other_record_is_shown(client, demo_copy):
    path = demo_copy / "pupils" / "p03.yaml"
    good = path.read_text()
    path.write_text(good.replace("start_date:", "start_date: [", 1))
    body = page_text(page(client, "/pupils"))
    assert "1 record cannot be read and is left out" in body
    assert "Amara Okafor" in body and "Elif" not in body  # the others are all there
    repair = page_text(page(client, "/repair"))
    assert "The record of Elif Şahin" in repair and "no matching ']'" in repair and "p03.yaml" not in repair
    fields = {"text": good.replace("start_date:", "start_date: 2026-13-01 #", 1)}
    still = submit(client, "/repair/pupils/p03", fields)
    assert still.status_code == 422 and "is not a date" in page_text(still.get_data(as_text=True))
    assert submit(client, "/repair/pupils/p03", {"text": good}).status_code == 302
    assert path.read_text() == good and "Elif" in page_text(page(client, "/pupils"))
    assert "cannot be read" not in page_text(page(client, "/pupils"))


def test_a_form_saves_while_another_record_is_broken(client, demo_copy):
    (demo_copy / "providers" / "oakmere-school.yaml").write_text("name: [\n")
    fields = form_fields(page(client, "/pupils/p01/details")) | {"preferred_name": "Chlo"}
    assert submit(client, "/pupils/p01/details", fields).status_code == 302
    assert "Chlo" in (demo_copy / "pupils" / "p01.yaml").read_text()


def test_a_bad_date_is_shown_beside_its_field_and_nothing_is_saved(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_bytes()
    fields = (
        form_fields(page(client, "/pupils/p01/reviews/new"))
        | date_fields("date", "2026-11-31")
        | {"decision": "continue"}
    )
    response = submit(client, "/pupils/p01/reviews/new", fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(body, "date") == "Enter a real date, for example 7 9 2026 (day, month, year)"
    assert field_error(body, "decision") == ""
    assert 'value="31"' in body and 'value="2026"' in body  # what was typed is kept to correct
    assert f"packgen {__version__} · 23 November 2026" in page_text(body)  # the footer, on a form too
    assert path.read_bytes() == before


def test_a_review_is_added_to_the_file_with_its_comments_and_layout_kept(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_text()
    fields = form_fields(page(client, "/pupils/p01/reviews/new")) | {
        "attendees": "Joanna Russell (AP lead)\nChloé",
        "attendance_percent": "93.5",
        "progress-2-rating": "on_track",
        "progress-2-evidence": "93.5% this half term.",
        "decision": "continue",
        **date_fields("date", "2026-11-23"),
        **date_fields("next_review", "2026-12-14"),
    }
    response = submit(client, "/pupils/p01/reviews/new", fields)
    assert response.status_code == 302 and response.headers["Location"] == "/pupils/p01"
    after = path.read_text()
    assert after.startswith("# Brookfield Academy demo data. Everything here is fictional")
    assert changes(before, after) == [
        "+  - date: 2026-11-23",
        "+    attendees:",
        "+      - Joanna Russell (AP lead)",
        "+      - Chloé",
        "+    attendance_percent: 93.5",
        "+    progress:",
        "+      - target: 2",
        "+        rating: on_track",
        "+        evidence: 93.5% this half term.",
        "+    decision: continue",
        "+    next_review: 2026-12-14",
    ]
    review = load_school(demo_copy).pupils["p01"].reviews[-1]
    assert (review.date, review.attendance_percent, review.progress[0].target) == (date(2026, 11, 23), 93.5, 2)
    assert "Review added." in page(client, "/pupils/p01")


def test_a_visit_with_risks_and_a_wrong_target_rating(client, demo_copy):
    fields = (
        form_fields(page(client, "/pupils/p01/visits/new"))
        | date_fields("date", "2026-11-20")
        | {
            "by": "Joanna Russell",
            "purpose": "Safe and well check",
            "risks-1-risk": "Leaves the site when upset.",
            "risks-1-mitigation": "Quiet room agreed.",
            "progress-1-rating": "brilliant",
        }
    )
    body = submit(client, "/pupils/p01/visits/new", fields).get_data(as_text=True)
    assert field_error(body, "progress-1-rating") == "Choose one of the options"
    assert "Target 1, progress: Choose one of the options" in summary(body)  # the summary names it in words
    fields["progress-1-rating"] = "on_track"
    assert submit(client, "/pupils/p01/visits/new", fields).status_code == 302
    visit = load_school(demo_copy).pupils["p01"].visits[-1]
    assert [(r.risk, r.mitigation) for r in visit.risks] == [("Leaves the site when upset.", "Quiet room agreed.")]


def test_editing_the_placement_changes_only_the_lines_it_changed(client, demo_copy):
    path = demo_copy / "pupils" / "p18.yaml"  # its long values run over two lines, as typed by hand
    before = path.read_text()
    fields = form_fields(page(client, "/pupils/p18/placement"))
    assert submit(client, "/pupils/p18/placement", fields | {"transport": "Walks with a parent."}).status_code == 302
    assert changes(before, path.read_text()) == [
        "-  transport: Brookfield taxi to Willow Tree and back to Brookfield for lunch.",
        "+  transport: Walks with a parent.",
    ]


def test_hours_that_do_not_match_the_sessions_are_explained_beside_hours(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_bytes()
    fields = form_fields(page(client, "/pupils/p01/placement")) | {"hours_per_week": "18"}
    body = submit(client, "/pupils/p01/placement", fields).get_data(as_text=True)
    assert field_error(body, "hours_per_week") == "'18' does not match the sessions, which add up to 15 hours a week"
    fields |= {"hours_per_week": "15", "sessions-3-from": "9.3O"}
    body = submit(client, "/pupils/p01/placement", fields).get_data(as_text=True)
    assert field_error(body, "sessions-3-from") == "Enter a time such as 09:30 or 14:15 (24-hour clock)"
    assert path.read_bytes() == before


def test_a_file_changed_by_hand_while_the_form_was_open_is_not_overwritten(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    fields = form_fields(page(client, "/pupils/p01/placement"))
    path.write_text(path.read_text().replace("transport: Taxi", "transport: Minibus"))
    hand_edited = path.read_bytes()
    body = submit(client, "/pupils/p01/placement", fields | {"transport": "Walks"}).get_data(as_text=True)
    assert "This record was changed by someone else since you opened it" in page_text(body)
    assert path.read_bytes() == hand_edited


def test_adding_a_pupil_writes_a_new_private_file_the_loader_accepts(client, demo_copy):
    fields = {
        "upn": "F999499915101",
        "legal_forename": "Ada",
        "legal_surname": "Quinn",
        "year_group": "9",
        "gender": "female",
        "provider": "oakmere-school",
        "arranged_by": "school",
        "category": "at_risk_full_time",
        "hours_per_week": "25",
        "sen_support": "yes",
        **date_fields("dob", "2012-02-30"),
        **date_fields("start_date", "2026-11-30"),
    }
    body = submit(client, "/pupils/new", fields).get_data(as_text=True)
    assert field_error(body, "dob") == "Enter a real date, for example 7 9 2026 (day, month, year)"
    assert "is also the UPN in the record of Chloé O'Brien-Nowak" in field_error(body, "upn")
    assert not (demo_copy / "pupils" / "p19.yaml").exists()
    response = submit(client, "/pupils/new", fields | date_fields("dob", "2012-02-28") | {"upn": "B801200005001"})
    assert response.headers["Location"] == "/pupils/p19"
    new = demo_copy / "pupils" / "p19.yaml"
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    record = load_school(demo_copy).pupils["p19"]
    assert (record.pupil.full_name, record.pupil.flags.sen_support, record.placement.provider) == (
        "Ada Quinn",
        True,
        "oakmere-school",
    )
    assert "Ada Quinn" in page(client, "/pupils")


def test_a_record_broken_by_hand_goes_back_to_its_last_good_version_in_one_click(client, demo_copy):
    path = demo_copy / "providers" / "northtown-college.yaml"
    good = path.read_text()
    page(client, "/pupils")  # the page reads the records while they are healthy, and keeps a copy
    path.write_text(good.replace("name:", "name: [", 1))
    body = page_text(page(client, "/repair/providers/northtown-college"))
    assert "Go back to the last version that worked" in body
    response = submit(client, "/repair/providers/northtown-college", {"restore": "yes", "text": ""})
    assert response.status_code == 302 and path.read_text() == good
    assert "Every record can be read" in page_text(page(client, "/repair"))
    kept = demo_copy.parent.parent / "output" / demo_copy.name / ".last-good" / "providers" / "northtown-college.yaml"
    assert oct(kept.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow  # a real process, stopped with a real signal
def test_serve_starts_with_a_broken_record_and_the_page_names_it(demo_copy, tmp_path):
    broken = demo_copy / "pupils" / "p07.yaml"
    broken.write_text(broken.read_text().replace("dob:", "dob: [", 1))
    command = [
        sys.executable,
        "-c",
        "from packgen.cli import main; main()",
        "serve",
        str(demo_copy),
        "--out",
        str(tmp_path / "output"),
        "--no-browser",
        "--today",
        "2026-11-23",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"at (http://\S+/)", first)
        assert url, first + process.stderr.read()
        with urllib.request.urlopen(url.group(1) + "pupils", timeout=30) as response:
            body = page_text(response.read().decode("utf-8"))
        assert "1 record cannot be read and is left out" in body and "Amara Okafor" in body
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
