"""The web page in a real browser: headless Chromium (Debian's chromium and chromium-driver) over Selenium.

One server and one browser serve the whole module, on a private copy of the demo school. The tests
follow an office worker: find a pupil, open the record, download the agreement (made by the real
pipeline) and read it back, then add a review, first with a mistake. Each page is saved as a
screenshot (to PACKGEN_SCREENSHOTS when set, to look at; otherwise to a temporary folder).
"""

from __future__ import annotations

import difflib
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

from packgen.records.read import load_school
from packgen.web import Settings, create_app, start
from tests.conftest import DEMO


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    app = create_app(Settings(school, root / "output", today=date(2026, 11, 23)))
    server = start(app, "127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "school": school, "root": root}
    server.shutdown()
    thread.join()


def screenshot(driver, folder: Path, name: str) -> Path:
    """The whole page, not just the window."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(height + 100, 6000))
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    return path


def wait(driver, condition, seconds: float = 30):
    return WebDriverWait(driver, seconds).until(condition)


def choose(driver, name: str, code: str) -> None:
    """Pick a radio button by clicking its label, as a person does."""
    radio = driver.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{code}']")
    driver.find_element(By.CSS_SELECTOR, f"label[for='{radio.get_attribute('id')}']").click()
    assert radio.is_selected()


def visible_rows(driver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#pupils-table tbody tr")
    return [r.find_element(By.TAG_NAME, "a").text for r in rows if r.is_displayed()]


def test_the_pupils_page_lists_and_searches_the_pupils(browser, site, shots):
    browser.get(site["url"] + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Pupils in alternative provision"
    assert browser.find_element(By.CLASS_NAME, "app-header__school").text == "Brookfield Academy"
    assert "OFFICIAL-SENSITIVE" in browser.find_element(By.CLASS_NAME, "app-marking").text
    assert len(visible_rows(browser)) == len(load_school(site["school"]).pupils) == 18
    screenshot(browser, shots, "pupils")
    search = browser.find_element(By.ID, "search")
    search.send_keys("willow")
    assert visible_rows(browser) == ["Mateo Méndez-Ruiz (Teo)", "Nadia Begum"]
    assert browser.current_url == site["url"] + "/pupils"  # the search never reaches the address bar
    search.clear()
    search.send_keys("chloe")  # accents need not be typed
    assert visible_rows(browser) == ["Chloé O'Brien-Nowak (Chlo)"]


def test_opening_a_pupil_and_downloading_the_agreement(browser, site, shots):
    browser.get(site["url"] + "/pupils")
    browser.find_element(By.LINK_TEXT, "Chloé O'Brien-Nowak (Chlo)").click()
    wait(browser, ready.url_to_be(site["url"] + "/pupils/p01"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Chloé O'Brien-Nowak (Chlo)"
    screenshot(browser, shots, "pupil")
    browser.find_element(By.ID, "download-agreements-p01-pdf").click()
    pdf = browser.downloads / "agreements-p01.pdf"
    deadline = time.monotonic() + 120
    while not pdf.exists():  # Chromium writes a .crdownload first and renames it when complete
        assert time.monotonic() < deadline, "the agreement was not downloaded"
        time.sleep(0.25)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Commissioning agreement" in text
    assert "Chloé O'Brien-Nowak" in text and "Bridge Learning Centre" in text


def test_a_bad_date_is_shown_beside_its_field_then_the_fixed_review_is_saved(browser, site, shots):
    path = site["school"] / "pupils" / "p01.yaml"
    before = path.read_text()
    browser.get(site["url"] + "/pupils/p01")
    browser.find_element(By.LINK_TEXT, "Add a review").click()
    for part, typed in (("day", "31"), ("month", "11"), ("year", "2026")):  # November has 30 days
        browser.find_element(By.ID, f"date-{part}").send_keys(typed)
    browser.find_element(By.ID, "attendees").send_keys("Joanna Russell (AP lead)\nChloé")
    choose(browser, "progress-1-rating", "achieved")
    choose(browser, "decision", "continue")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()

    error = wait(browser, ready.visibility_of_element_located((By.ID, "date-error")))
    assert error.text.endswith("Enter a real date, for example 7 9 2026 (day, month, year)")
    day = browser.find_element(By.ID, "date-day")
    group = browser.find_element(By.CSS_SELECTOR, "fieldset[aria-describedby~='date-error']")
    assert "govuk-input--error" in day.get_attribute("class") and day in group.find_elements(By.TAG_NAME, "input")
    summary = browser.find_element(By.CSS_SELECTOR, ".govuk-error-summary a[href='#date-day']")
    assert summary.text.startswith("Date of the review: Enter a real date")
    assert browser.switch_to.active_element == browser.find_element(By.CLASS_NAME, "govuk-error-summary")
    assert browser.find_element(By.ID, "attendees").get_attribute("value") == "Joanna Russell (AP lead)\nChloé"
    assert path.read_text() == before
    screenshot(browser, shots, "review-form-error")

    summary.click()  # the summary's link takes the user to the day box
    assert browser.switch_to.active_element == browser.find_element(By.ID, "date-day")
    day.clear()
    day.send_keys("23")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser, ready.url_to_be(site["url"] + "/pupils/p01"))
    assert "Review added." in browser.find_element(By.CLASS_NAME, "govuk-notification-banner").text
    after = path.read_text()
    assert after.startswith("# Brookfield Academy demo data. Everything here is fictional")
    assert "  - date: 2026-11-23\n    attendees:\n      - Joanna Russell (AP lead)\n      - Chloé\n" in after
    assert [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith("- ")] == []
    assert load_school(site["school"]).pupils["p01"].reviews[-1].progress[0].rating == "achieved"


def test_every_other_page_renders(browser, site, shots):
    for name, url, heading in (
        ("providers", "/providers", "Providers"),
        ("pack", "/pack", "Evidence pack"),
        ("placement-form", "/pupils/p02/placement", "Kacper Łukasiewicz\nPlacement"),
        ("visit-form", "/pupils/p02/visits/new", "Kacper Łukasiewicz\nAdd a visit"),
        ("pupil-form", "/pupils/new", "Add a pupil"),
    ):
        browser.get(site["url"] + url)
        assert browser.find_element(By.TAG_NAME, "h1").text == heading
        assert browser.find_element(By.CLASS_NAME, "app-header__school").text == "Brookfield Academy"
        screenshot(browser, shots, name)
