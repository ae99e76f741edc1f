"""Starting, reopening and moving placements in a real browser (headless Chromium over Selenium), with axe-core.

A pupil who came from the school's information system with no placement is placed from their own
page: the provider, new to the school, is added on the way, and the agreement made by the real
pipeline downloads ready to print. A placement ended by mistake is reopened, and a move made by mistake
undone, each after a confirmation page. Every page is checked at a desktop's width and a phone's (375 pixels); screenshots go to
PACKGEN_SCREENSHOTS when set, else a temporary folder.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from packgen.records.read import load_school
from packgen.records.upn import check_letter
from packgen.web import Settings, create_app, start
from tests.conftest import DEMO, TODAY, accessibility_problems, page_fits


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-placements")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    body = "999499919207"  # as an import from the school's MIS writes a pupil: details, no placement
    (school / "pupils" / "p40.yaml").write_text(
        f'pupil:\n  upn: "{check_letter(body)}{body}"\n  legal_forename: Ellie-Mae\n  legal_surname: Barnes\n'
        "  dob: 2012-03-14\n  year_group: 9\n  gender: female\n",
        encoding="utf-8",
    )
    server = start(create_app(Settings(school, root / "output", today=TODAY)), "127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "school": school, "root": root}
    server.shutdown()
    thread.join()


def looked_at(driver, shots: Path, name: str) -> None:
    """The page passes axe-core and fits a phone; screenshots at both widths."""
    assert accessibility_problems(driver) == []
    for width, suffix in ((1280, ""), (375, "-phone")):
        assert page_fits(driver, width)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(height + 100, 8000))
        assert driver.save_screenshot(str(shots / f"{name}{suffix}.png"))
    driver.set_window_size(1280, 900)


def press(driver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def arrive(driver, site, path: str) -> None:
    try:
        WebDriverWait(driver, 30).until(ready.url_to_be(site["url"] + path))
    except Exception:
        found = driver.find_elements(By.CSS_SELECTOR, ".govuk-error-summary")
        raise AssertionError(f"not at {path}: {found[0].text if found else driver.current_url}") from None


def submit(driver, site, path: str) -> None:
    press(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    arrive(driver, site, path)


def type_into(driver, values: dict[str, str]) -> None:
    for name, value in values.items():
        box = driver.find_element(By.ID, name)
        box.clear()
        box.send_keys(value)


def radio(driver, name: str, value: str) -> None:
    item = driver.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
    press(driver, driver.find_element(By.CSS_SELECTOR, f"label[for='{item.get_attribute('id')}']"))


def test_a_pupil_from_the_information_system_gets_a_placement_and_an_agreement(browser, site, shots):
    browser.get(site["url"] + "/pupils")
    press(browser, browser.find_element(By.LINK_TEXT, "Ellie-Mae Barnes"))
    arrive(browser, site, "/pupils/p40")
    assert "no placement yet" in browser.find_element(By.TAG_NAME, "main").text
    looked_at(browser, shots, "start-1-unplaced-pupil")

    press(browser, browser.find_element(By.ID, "start-placement"))
    arrive(browser, site, "/pupils/p40/placement/start")
    press(browser, browser.find_element(By.ID, "continue"))  # nothing chosen: said at the top and beside
    summary = WebDriverWait(browser, 30).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, ".govuk-error-summary"))
    )
    assert "Choose the provider" in summary.text
    looked_at(browser, shots, "start-2-choose-provider-error")
    radio(browser, "provider", "new")
    submit(browser, site, "/providers/new?for_pupil=p40")

    type_into(
        browser,
        {
            "name": "Larch Farm Learning",
            "address": "Larch Farm\nNorthshire NT4 4LF",
            "lead_name": "Rita Okafor",
            "lead_email": "rita@larch.example",
        },
    )
    radio(browser, "kind", "unregistered")
    radio(browser, "registration_status", "unregistered")
    radio(browser, "standards_meets", "yes")
    submit(browser, site, "/pupils/p40/placement/new?provider=larch-farm-learning")
    assert "Provider added." in browser.find_element(By.CLASS_NAME, "govuk-notification-banner").text

    radio(browser, "category", "short_term_part_time")
    radio(browser, "arranged_by", "school")
    type_into(
        browser,
        {"start_date-day": "30", "start_date-month": "11", "start_date-year": "2026", "hours_per_week": "10"},
    )
    looked_at(browser, shots, "start-3-placement-form")
    submit(browser, site, "/pupils/p40/steps")
    assert "The placement at Larch Farm Learning is recorded" in browser.find_element(By.TAG_NAME, "main").text
    looked_at(browser, shots, "start-4-steps")
    placement = load_school(site["school"]).pupils["p40"].placement
    assert (placement.provider, placement.hours_per_week) == ("larch-farm-learning", 10)

    press(browser, browser.find_element(By.ID, "agreement-pdf"))
    deadline = time.monotonic() + 90
    while not (done := [p for p in browser.downloads.iterdir() if p.suffix == ".pdf"]):
        assert time.monotonic() < deadline, "no agreement downloaded"
        time.sleep(0.25)
    text = "\n".join(page.extract_text() for page in PdfReader(done[0]).pages)
    assert "Ellie-Mae" in text and "Larch Farm Learning" in text


def test_a_placement_ended_by_mistake_is_reopened_after_a_confirmation(browser, site, shots):
    browser.get(site["url"] + "/pupils/p05/end")
    type_into(
        browser,
        {"ended_on-day": "20", "ended_on-month": "11", "ended_on-year": "2026", "reason": "Entered by mistake."},
    )
    radio(browser, "outcome", "returned_to_school")
    submit(browser, site, "/pupils/p05/steps")
    press(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Reopen this placement"))
    arrive(browser, site, "/pupils/p05/reopen")
    ending = browser.find_element(By.ID, "ending").text
    assert "20 November 2026" in ending and "Entered by mistake." in ending
    looked_at(browser, shots, "reopen-confirm")
    press(browser, browser.find_element(By.ID, "reopen"))
    arrive(browser, site, "/pupils/p05/steps")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "The placement is open again" in main and "End the placement" in main
    assert load_school(site["school"]).pupils["p05"].placement.ended is None
    looked_at(browser, shots, "reopen-done")


def test_a_move_made_by_mistake_is_undone_after_a_confirmation(browser, site, shots):
    browser.get(site["url"] + "/pupils/p06/steps")
    press(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Move to another provider"))
    arrive(browser, site, "/pupils/p06/move")
    type_into(
        browser,
        {
            "ended_on-day": "20",
            "ended_on-month": "11",
            "ended_on-year": "2026",
            "reason": "Chosen by mistake.",
            "start_date-day": "23",
            "start_date-month": "11",
            "start_date-year": "2026",
            "hours_per_week": "15",
        },
    )
    radio(browser, "provider", "oakmere-school")
    submit(browser, site, "/pupils/p06/steps")
    press(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Undo the move to Oakmere School"))
    arrive(browser, site, "/pupils/p06/undo-move")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Bridge Learning Centre" in browser.find_element(By.ID, "goes-on").text
    assert "23 November 2026 (15 hours a week)" in browser.find_element(By.ID, "taken-away").text
    assert "Undo the move to Oakmere School?" in main
    looked_at(browser, shots, "undo-move-confirm")
    press(browser, browser.find_element(By.ID, "undo-move"))
    arrive(browser, site, "/pupils/p06/steps")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "The move is undone" in main and "Move to another provider" in main and "Undo the move" not in main
    record = load_school(site["school"]).pupils["p06"]
    assert (record.placement.provider, record.placement.ended, record.past_placements) == (
        "bridge-learning-centre",
        None,
        [],
    )
    looked_at(browser, shots, "undo-move-done")
