"""The newer record pages in a real browser (headless Chromium over Selenium), checked with axe-core.

The pupils and providers lists read on a phone (375 pixels) with nothing wider than the screen; a
provider's quality evaluation is added, changed and removed by clicking; a saved scan downloads from
the form it was uploaded on. Screenshots go to PACKGEN_SCREENSHOTS when set, else a temporary folder.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from packgen.records.read import load_school
from packgen.web import Settings, create_app, start
from tests.conftest import DEMO, TODAY, accessibility_problems, page_fits


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-records")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    server = start(create_app(Settings(school, root / "output", today=TODAY)), "127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "school": school, "root": root}
    server.shutdown()
    thread.join()


def screenshot(driver, folder, name: str, width: int = 1280) -> None:
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 100, 8000))
    assert driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1280, 900)


def click(driver, words: str) -> None:
    found = driver.find_element(By.PARTIAL_LINK_TEXT, words)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", found)
    found.click()


def save(driver, site, arrives: str) -> None:
    button = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    WebDriverWait(driver, 30).until(ready.url_to_be(site["url"] + arrives))


def type_date(driver, name: str, day: str, month: str, year: str) -> None:
    for part, typed in (("day", day), ("month", month), ("year", year)):
        box = driver.find_element(By.ID, f"{name}-{part}")
        box.clear()
        box.send_keys(typed)


def choose(driver, name: str, words: str) -> None:
    """Pick a radio button by clicking the label with these words, as a person does."""
    label = driver.find_element(
        By.XPATH, f"//input[@name='{name}']/following-sibling::label[normalize-space()='{words}']"
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
    label.click()


@pytest.mark.parametrize("url", ["/pupils", "/providers"])
def test_the_lists_fit_a_phone_with_each_row_readable(browser, site, shots, url):
    browser.get(site["url"] + url)
    assert page_fits(browser, 375)
    table = browser.find_element(By.CSS_SELECTOR, "main table")
    first = table.find_element(By.CSS_SELECTOR, "tbody tr")
    assert "Provider: " in first.text or "Registration: " in first.text  # each cell says what it is
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, f"list{url.replace('/', '-')}-phone", width=375)
    browser.set_window_size(1280, 900)
    assert page_fits(browser, 1280)
    assert first.find_element(By.CSS_SELECTOR, ".app-cell-label").is_displayed() is False  # a table again
    screenshot(browser, shots, f"list{url.replace('/', '-')}")


def test_a_quality_evaluation_is_added_changed_and_removed_by_clicking(browser, site, shots):
    before = len(load_school(site["school"]).providers["northtown-college"].qa_visits)
    browser.get(site["url"] + "/providers/northtown-college/edit")
    click(browser, "Add a quality evaluation")
    type_date(browser, "date", "18", "11", "2026")
    browser.find_element(By.ID, "by").send_keys("Simon Cope")
    choose(browser, "focus", "Personal development")
    browser.find_element(By.ID, "actions").send_keys("Share reading ages")
    assert accessibility_problems(browser) == []
    assert page_fits(browser, 375)
    screenshot(browser, shots, "evaluation-form-phone", width=375)
    save(browser, site, "/providers/northtown-college/edit#evaluations")
    card = browser.find_elements(By.CSS_SELECTOR, ".govuk-summary-card")[-1]
    assert "18 November 2026: Personal development" in card.text and "Simon Cope" in card.text
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "provider-evaluations")
    assert page_fits(browser, 375)
    screenshot(browser, shots, "provider-evaluations-phone", width=375)

    card.find_element(By.PARTIAL_LINK_TEXT, "Change").click()
    choose(browser, "focus", "Progress")
    save(browser, site, "/providers/northtown-college/edit#evaluations")
    assert load_school(site["school"]).providers["northtown-college"].qa_visits[-1].focus == "progress"

    browser.find_elements(By.CSS_SELECTOR, ".govuk-summary-card")[-1].find_element(
        By.PARTIAL_LINK_TEXT, "Remove"
    ).click()
    assert browser.find_element(By.TAG_NAME, "h1").text.endswith("Remove this quality evaluation?")
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "evaluation-remove")
    save(browser, site, "/providers/northtown-college/edit#evaluations")
    assert "Quality evaluation removed." in browser.find_element(By.CLASS_NAME, "govuk-notification-banner").text
    assert len(load_school(site["school"]).providers["northtown-college"].qa_visits) == before


def test_the_saved_agreement_scan_downloads_from_the_placement_form(browser, site, shots):
    browser.get(site["url"] + "/pupils/p01/placement")
    link = browser.find_element(By.ID, "agreement_scan-saved")
    assert link.text.startswith("Download the saved scan")
    driver_scroll = "arguments[0].scrollIntoView({block: 'center'})"
    browser.execute_script(driver_scroll, link)
    link.click()
    pdf = browser.downloads / "signed-agreement-p01.pdf"
    deadline = time.monotonic() + 60
    while not pdf.exists():  # Chromium writes a .crdownload first and renames it when complete
        assert time.monotonic() < deadline, "the scan was not downloaded"
        time.sleep(0.25)
    assert pdf.read_bytes() == (site["school"] / "evidence" / "agreement-p01-signed.pdf").read_bytes()
    assert browser.current_url == site["url"] + "/pupils/p01/placement"  # a download, not a new page
