"""A placement's whole life from the page, in a real browser (headless Chromium over Selenium).

A new user starts from nothing that the school has about a new provider or a new pupil: adds the
provider, the pupil and placement, downloads the agreement to print, records the signatures and
the provider's returned staff-check form with their scans, a review and a visit, then ends the
placement, all without opening a file. ``packgen check`` afterwards finds nothing about that pupil
or provider. Pages are checked with axe-core and at a phone's width; letters go through a real
SMTP server (aiosmtpd). Screenshots go to PACKGEN_SCREENSHOTS when set, to look at.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from packgen.mail.smtp import SmtpSettings
from packgen.readiness.rules import assess
from packgen.records.read import load_school
from packgen.records.upn import check_letter
from packgen.web import Settings, create_app, start
from tests.conftest import DEMO, MINI, accessibility_problems, run_cli

TODAY = date(2026, 11, 23)
SCAN = MINI / "evidence" / "agreement-p01.pdf"
REPLY_SCAN = MINI / "evidence" / "hart-vale-assurance.pdf"


def serve(root: Path, smtp: SmtpSettings | None = None) -> tuple[str, Path, object, threading.Thread]:
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    server = start(create_app(Settings(school, root / "output", today=TODAY, smtp=smtp)), "127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", school, server, thread


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-flows")
    url, school, server, thread = serve(root)
    yield {"url": url, "school": school, "root": root}
    server.shutdown()
    thread.join()


def screenshot(driver, folder: Path, name: str, width: int = 1280) -> None:
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 100, 8000))
    assert driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1280, 900)


def wait(driver, condition, seconds: float = 60):
    return WebDriverWait(driver, seconds).until(condition)


def fill(driver, values: dict[str, str]) -> None:
    """Type into boxes, pick radios and options, tick boxes and attach files, by field name."""
    for name, value in values.items():
        if isinstance(value, Path):
            driver.find_element(By.CSS_SELECTOR, f"input[type=file][name='{name}']").send_keys(str(value))
            continue
        first = driver.find_element(By.CSS_SELECTOR, f"[name='{name}']")
        if first.get_attribute("type") == "radio":
            radio = next(
                r
                for r in driver.find_elements(By.CSS_SELECTOR, f"input[name='{name}']")
                if r.get_attribute("value") == value
            )
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
            driver.find_element(By.CSS_SELECTOR, f"label[for='{radio.get_attribute('id')}']").click()
        elif first.tag_name == "select":
            next(o for o in first.find_elements(By.TAG_NAME, "option") if o.get_attribute("value") == value).click()
        else:
            box = driver.find_element(By.CSS_SELECTOR, f"[name='{name}']")
            box.clear()
            box.send_keys(value)


def day(name: str, value: str) -> dict[str, str]:
    d, m, y = value.split()
    return {f"{name}-day": d, f"{name}-month": m, f"{name}-year": y}


def save(driver) -> None:
    button = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def saved(driver, site, path: str | None = None) -> None:
    """The form was accepted: the page moved on to ``path`` (or to a pupil's page). On a refusal, say
    what the page said."""
    arrived = (
        ready.url_to_be(site["url"] + path)
        if path
        else (lambda d: "/pupils/p" in d.current_url and "/new" not in d.current_url)
    )
    try:
        wait(driver, arrived, 30)
    except Exception:
        summary = driver.find_elements(By.CSS_SELECTOR, ".govuk-error-summary")
        raise AssertionError(f"not saved: {summary[0].text if summary else driver.current_url}") from None


def link(driver, words: str) -> None:
    found = driver.find_element(By.PARTIAL_LINK_TEXT, words)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", found)
    found.click()


def downloaded(driver, suffix: str, seconds: float = 90) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in driver.downloads.iterdir() if p.name.endswith(suffix)]
        if done:
            return done[0]
        time.sleep(0.25)
    raise AssertionError(f"no {suffix} downloaded")


def test_a_new_user_records_a_whole_placement_from_nothing_without_touching_a_file(browser, site, shots):
    browser.get(site["url"] + "/")
    link(browser, "New placement")
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "flow-1-start")

    # The provider, new to the school: checked and asked for its staff checks.
    browser.find_element(By.ID, "add-provider").click()
    fill(
        browser,
        {
            "name": "Meadow Bank Learning",
            "kind": "registered_ap",
            "address": "Meadow Bank Farm\nMill Lane\nNorthtown NT6 2MB",
            "registration_status": "registered",
            "registration_urn": "148123",
            "ofsted_grade": "good",
            "lead_name": "Priya Shah",
            "lead_role": "Centre manager",
            "lead_email": "priya@meadowbank.example",
            "lead_phone": "01632 960777",
            "dsl_name": "Owen Price",
            "dsl_phone": "01632 960778",
            "la_approved": "yes",
            "la_directory": "Northshire AP directory",
        }
        | day("last_inspected", "14 3 2025")
        | day("la_audited_on", "1 9 2026")
        | day("requested_on", "2 11 2026"),
    )
    save(browser)
    saved(browser, site, "/providers")
    provider_id = next(
        pid for pid, p in load_school(site["school"]).providers.items() if p.name == "Meadow Bank Learning"
    )

    # The pupil and the placement's essentials.
    link(browser, "New placement")
    browser.find_element(By.ID, "add-pupil").click()
    body = "999499915299"
    fill(
        browser,
        {
            "upn": check_letter(body) + body,
            "legal_forename": "Jordan",
            "legal_surname": "Ellery-Mbeki",
            "year_group": "9",
            "gender": "male",
            "provider": provider_id,
            "category": "short_term_part_time",
            "arranged_by": "school",
            "hours_per_week": "10",
        }
        | day("dob", "3 5 2012")
        | day("start_date", "2 11 2026"),
    )
    save(browser)
    saved(browser, site)
    pupil_id = browser.current_url.rstrip("/").rsplit("/", 1)[1]
    browser.find_element(By.ID, "placement-steps").click()
    steps = f"/pupils/{pupil_id}/steps"
    saved(browser, site, steps)
    needed = browser.find_element(By.ID, "still-needed").find_element(By.XPATH, "..").text
    assert "the education plan has no purpose" in needed and "Record the signed agreement" in needed
    assert "R3" not in needed and ".yaml" not in needed  # words, never rule ids or file names
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "flow-2-steps-new")

    # The agreement, made by the real pipeline, to print and sign.
    browser.find_element(By.ID, "agreement-pdf").click()
    agreement = downloaded(browser, ".pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(agreement).pages)
    assert "Jordan" in text and "Meadow Bank Learning" in text

    # The placement's details, with the signed agreement's scan.
    link(browser, "Placement details")
    fill(
        browser,
        {
            "attendance_code": "B",
            "sessions-1-day": "Mon",
            "sessions-1-from": "09:00",
            "sessions-1-to": "14:00",
            "sessions-2-day": "Wed",
            "sessions-2-from": "09:00",
            "sessions-2-to": "14:00",
            "purpose": "Time away from triggers while keeping his GCSE options.",
            "part_time_reason": "Two days at Meadow Bank, three at school.",
            "baseline_attendance": "71",
            "targets-1-text": "Attend every timetabled session.",
            "targets-1-measure": "Provider register",
            "absence_arrangement": "Provider rings the school office by 09:30.",
            "dsl_contact_shared": "yes",
            "agreement_signed_by_provider": "Priya Shah",
            "agreement_signed_by_school": "Joanna Russell",
            "agreement_scan": SCAN,
        }
        | day("target_end_date", "12 2 2027")
        | day("part_time_review_on", "7 12 2026")
        | day("part_time_ends_on", "12 2 2027")
        | day("emergency_details_sent_on", "30 10 2026")
        | day("parent_signed_on", "29 10 2026")
        | day("school_signed_on", "29 10 2026")
        | day("agreement_signed_on", "30 10 2026")
        | day("la_notified_on", "30 10 2026"),
    )
    save(browser)
    saved(browser, site, f"/pupils/{pupil_id}")

    # The provider's staff-check form came back: its answers, and its scan.
    browser.get(site["url"] + steps)
    link(browser, "Provider's staff-check reply")
    fill(
        browser,
        {
            f"check_{name}": "yes"
            for name in (
                "identity",
                "enhanced_dbs_barred_list",
                "right_to_work",
                "qualifications_qts",
                "prohibition",
                "section_128",
            )
        }
        | {"check_overseas": "not_applicable", "staff_named": "Priya Shah\nOwen Price", "assurance_scan": REPLY_SCAN}
        | {
            f"practice_{name}": "yes"
            for name in (
                "safeguarding_training",
                "annual_safeguarding_update",
                "safer_recruitment_panel",
                "safeguarding_policy",
                "attendance_policy",
                "code_of_conduct",
                "whistleblowing_policy",
                "online_safety_policy",
                "prevent_duty",
                "equality_statement",
                "complaints_policy",
            )
        }
        | day("received_on", "13 11 2026"),
    )
    save(browser)
    saved(browser, site, "/providers")

    # A review and a visit.
    browser.get(site["url"] + steps)
    link(browser, "Record a review")
    fill(
        browser,
        {"attendees": "Joanna Russell\nPriya Shah\nJordan", "decision": "continue", "progress-1-rating": "on_track"}
        | day("date", "20 11 2026")
        | day("next_review", "18 12 2026"),
    )
    save(browser)
    saved(browser, site, f"/pupils/{pupil_id}")
    browser.get(site["url"] + steps)
    link(browser, "Record a visit")
    fill(browser, {"by": "Joanna Russell", "purpose": "Safe and well check"} | day("date", "16 11 2026"))
    save(browser)
    saved(browser, site, f"/pupils/{pupil_id}")

    browser.get(site["url"] + steps)
    # All but one thing: the return to school and its dated steps, which have a form of their own.
    left = [
        (f.rule, f.message)
        for f in assess(load_school(site["school"]), TODAY)
        if (f.subject_id, f.subject) in ((pupil_id, "pupil"), (provider_id, "provider"))
    ]
    assert [rule for rule, _ in left] == ["R20"]
    assert "reintegration plan (how the placement ends)" in left[0][1]
    assert "timeline (dated steps towards it)" in left[0][1]
    still = browser.find_element(By.ID, "still-needed").find_element(By.XPATH, "..").text
    assert "1 thing an inspector would find missing" in still and "timeline" in still
    link(browser, "Record the return to school and its dated steps")
    fill(
        browser,
        {
            "reintegration": "Back to Brookfield full time after February half term.",
            "steps-1-step": "Three days at school, two at Meadow Bank.",
            "steps-2-step": "Back full time.",
        }
        | day("steps-1-by", "11 1 2027")
        | day("steps-2-by", "22 2 2027"),
    )
    save(browser)
    saved(browser, site, f"/pupils/{pupil_id}")
    browser.get(site["url"] + steps)
    assert [
        f.rule
        for f in assess(load_school(site["school"]), TODAY)
        if (f.subject_id, f.subject) in ((pupil_id, "pupil"), (provider_id, "provider"))
    ] == []
    assert "Signed copy filed" in browser.find_element(By.ID, "steps").find_element(By.XPATH, "..").text
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "flow-3-steps-complete")
    screenshot(browser, shots, "flow-3-steps-complete-phone", width=375)

    # The placement ends: the pupil goes back to school full time, and the history stays.
    link(browser, "End the placement")
    save(browser)  # nothing filled in: told what is needed, in words
    summary = wait(browser, ready.visibility_of_element_located((By.CSS_SELECTOR, ".govuk-error-summary"))).text
    assert "Last day at this provider" in summary and "yaml" not in summary
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "flow-4-end-errors")
    fill(
        browser,
        {
            "reason": "Targets met: attendance above 95% for four weeks.",
            "outcome": "returned_to_school",
            "reintegration": "Mentor meets him daily for the first two weeks back.",
            "destination": "Year 10 at Brookfield full time",
        }
        | day("ended_on", "23 11 2026"),
    )
    save(browser)
    saved(browser, site, steps)
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Ended on 23 November 2026" in page and "Earlier placements" in page
    screenshot(browser, shots, "flow-5-ended")

    record = load_school(site["school"]).pupils[pupil_id]
    placement = record.placement
    assert (placement.provider, placement.ended.outcome) == (provider_id, "returned_to_school")
    assert placement.ended.destination == "Year 10 at Brookfield full time"  # for the reports
    assert placement.agreement.evidence and (site["school"] / placement.agreement.evidence).is_file()
    assert len(record.reviews) == 1 and len(record.visits) == 1

    result = run_cli("check", site["school"], "--today", TODAY.isoformat(), "--format", "json")
    report = json.loads(result.output)
    about_them = [
        f
        for f in report["findings"]
        if (f["subject"], f["subject_id"]) in (("pupil", pupil_id), ("provider", provider_id))
    ]
    assert report["problems"] == [] and about_them == []


def test_moving_a_pupil_to_another_provider_keeps_the_first_placement(browser, site, shots):
    before = load_school(site["school"]).pupils["p03"].placement
    browser.get(site["url"] + "/placements/new")
    fill(browser, {"pupil": "p03"})
    browser.find_element(By.XPATH, "//button[contains(., 'Move this pupil')]").click()
    saved(browser, site, "/pupils/p03/move")
    assert accessibility_problems(browser) == []
    other = next(pid for pid in load_school(site["school"]).providers if pid != before.provider)
    fill(
        browser,
        {"reason": "Closer to home.", "provider": other, "hours_per_week": "25"}
        | day("ended_on", "20 11 2026")
        | day("start_date", "23 11 2026"),
    )
    screenshot(browser, shots, "flow-move-form")
    screenshot(browser, shots, "flow-move-form-phone", width=375)
    save(browser)
    saved(browser, site, "/pupils/p03/steps")
    assert "has moved provider" in browser.find_element(By.TAG_NAME, "main").text
    record = load_school(site["school"]).pupils["p03"]
    assert record.placement.provider == other and record.past_placements[-1].provider == before.provider
    assert record.past_placements[-1].ended.ended_on == date(2026, 11, 20)


@pytest.mark.parametrize("url", ["/where-now", "/overdue", "/letters", "/placements/new", "/pupils/p01/steps", "/pack"])
def test_the_heads_pages_meet_wcag_22_aa_and_fit_a_phone(browser, site, shots, url):
    browser.get(site["url"] + url)
    assert accessibility_problems(browser) == []
    browser.set_window_size(375, 800)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 375
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "phone" + url.replace("/", "-"), width=375)


def test_where_everyone_is_finds_a_pupil_by_upn_and_names_who_to_ring(browser, site, shots):
    browser.get(site["url"] + "/where-now")
    upn = load_school(site["school"]).pupils["p01"].pupil.upn
    browser.find_element(By.ID, "search").send_keys(upn.lower())
    shown = [c for c in browser.find_elements(By.CSS_SELECTOR, "#where-list [data-search-row]") if c.is_displayed()]
    assert [c.get_attribute("id") for c in shown] == ["where-p01"]
    assert "Ring " in shown[0].text and shown[0].find_elements(By.CSS_SELECTOR, "a[href^='tel:']")
    screenshot(browser, shots, "where-now-search", width=375)


def test_overdue_reviews_visits_and_replies_are_marked_on_the_lists(browser, site):
    browser.get(site["url"] + "/overdue")
    replies = browser.find_element(By.ID, "overdue-replies").text
    assert "Willow Tree Tuition" in replies and "days late" in replies
    browser.get(site["url"] + "/pupils")
    assert browser.find_elements(By.XPATH, "//strong[contains(., 'Review overdue') or contains(., 'Visit overdue')]")


def test_letters_are_chosen_previewed_sent_and_shown_as_sent(tmp_path, smtp_server, browser, shots):
    mail_server = smtp_server()
    url, _, server, thread = serve(tmp_path, SmtpSettings("127.0.0.1", mail_server.port, "none"))
    try:
        browser.get(url + "/letters")
        for box in browser.find_elements(By.CSS_SELECTOR, "input[name=provider]:checked"):
            browser.find_element(By.CSS_SELECTOR, f"label[for='{box.get_attribute('id')}']").click()
        browser.find_element(By.CSS_SELECTOR, "label[for='choose-oakmere-school']").click()
        browser.find_element(By.ID, "preview-letters").click()
        wait(browser, ready.visibility_of_element_located((By.ID, "send")))
        preview = browser.find_element(By.TAG_NAME, "main").text
        assert "Will be e-mailed to head@oakmere.example" in preview and "Nothing has been sent yet" in preview
        assert "by 7 December 2026" in preview  # 14 days from the day it goes, not from the old request
        assert accessibility_problems(browser) == []
        screenshot(browser, shots, "letters-preview")
        screenshot(browser, shots, "letters-preview-phone", width=375)
        browser.find_element(By.ID, "send").click()
        wait(browser, ready.url_to_be(url + "/letters"))
        assert "Sent to Oakmere School" in browser.find_element(By.TAG_NAME, "main").text
        row = browser.find_element(By.ID, "provider-oakmere-school").text
        sent_on = date.today()
        assert f"e-mailed {sent_on.day} " in row and "Waiting" in row
        (message,) = mail_server.recorder.messages()
        assert message["To"].addresses[0].addr_spec == "head@oakmere.example"
        html = message.get_body(("html",)).get_content()
        assert "<strong>7 December 2026</strong>" in html and "has pupils attending Oakmere School." in html
        screenshot(browser, shots, "letters-sent")
    finally:
        server.shutdown()
        thread.join()
