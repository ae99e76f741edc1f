"""The record forms in a real browser (headless Chromium over Selenium), checked with axe-core.

An office worker adds a provider and fills in a pupil's whole record by typing and clicking; every
page on the way is checked against the WCAG 2.2 AA rules axe-core knows, and looked at on a phone's
width (375 pixels): nothing wider than the screen, the menu behind a button. A broken record still
leaves the page usable. Screenshots go to PACKGEN_SCREENSHOTS when set, else a temporary folder.
"""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from packgen.records.read import load_school
from packgen.web import Settings, create_app, start
from tests.conftest import DEMO, accessibility_problems


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-forms")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    server = start(create_app(Settings(school, root / "output", today=date(2026, 11, 23))), "127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "school": school, "root": root}
    server.shutdown()
    thread.join()


def screenshot(driver, folder: Path, name: str, width: int = 1280) -> Path:
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 100, 8000))
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    return path


def wait(driver, condition, seconds: float = 30):
    return WebDriverWait(driver, seconds).until(condition)


def type_into(driver, values: dict[str, str]) -> None:
    for element_id, typed in values.items():
        box = driver.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(typed)


def choose(driver, name: str, code: str) -> None:
    """Pick a radio button (by its label, as a person does) or a select option."""
    found = driver.find_elements(By.CSS_SELECTOR, f"input[name='{name}'][value='{code}']")
    if found:
        driver.find_element(By.CSS_SELECTOR, f"label[for='{found[0].get_attribute('id')}']").click()
        assert found[0].is_selected()
    else:
        driver.find_element(By.CSS_SELECTOR, f"select[name='{name}'] option[value='{code}']").click()


def tick(driver, name: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, f"input[name='{name}']")
    driver.find_element(By.CSS_SELECTOR, f"label[for='{box.get_attribute('id')}']").click()
    assert box.is_selected()


def save(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def test_adding_a_provider_with_a_mistake_then_putting_it_right(browser, site, shots):
    browser.get(site["url"] + "/providers")
    browser.find_element(By.LINK_TEXT, "Add a provider").click()
    assert accessibility_problems(browser) == []
    type_into(
        browser,
        {
            "name": "Larch Farm Learning",
            "address": "Larch Farm\nMoor Lane\nNorthshire NR4 7LF",
            "lead_name": "Rita Okafor",
            "lead_role": "Manager",
            "lead_email": "rita@larch",
            "lead_phone": "01632 960455",
            "dsl_name": "Rita Okafor",
            "dsl_phone": "01632 960455",
            "requested_on-day": "2",
            "requested_on-month": "11",
            "requested_on-year": "2026",
        },
    )
    choose(browser, "kind", "unregistered")
    save(browser)
    error = wait(browser, ready.visibility_of_element_located((By.ID, "registration_status-error")))
    assert error.text.endswith("Choose registration with the Department for Education")
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".govuk-error-summary a")]
    assert listed == [
        "Registration with the Department for Education: Choose registration with the Department for Education",
        "Main contact: email: 'rita@larch' is not an email address (like name@school.example)",
    ]
    assert browser.find_element(By.ID, "address").get_attribute("value").startswith("Larch Farm\nMoor Lane")
    assert accessibility_problems(browser) == []
    screenshot(browser, shots, "provider-form-errors")
    screenshot(browser, shots, "provider-form-errors-phone", width=375)

    choose(browser, "registration_status", "unregistered")
    type_into(browser, {"lead_email": "rita@larch.example"})
    save(browser)
    wait(browser, ready.url_to_be(site["url"] + "/providers"))
    provider = load_school(site["school"]).providers["larch-farm-learning"]
    assert (provider.contacts.lead.email, provider.assurance.requested_on) == ("rita@larch.example", date(2026, 11, 2))
    assert "Larch Farm Learning" in browser.find_element(By.TAG_NAME, "main").text


def test_a_pupils_whole_record_is_filled_in_from_the_page(browser, site, shots):
    browser.get(site["url"] + "/pupils/p02")
    browser.find_element(By.LINK_TEXT, "Change pupil details").click()
    assert accessibility_problems(browser) == []
    type_into(
        browser,
        {
            "preferred_name": "Kacper",
            "parents-2-name": "Marta Łukasiewicz",
            "parents-2-relationship": "aunt",
            "parents-2-phone": "07700 900155",
            "emergency-1-name": "Jan Kowal",
            "emergency-1-relationship": "neighbour",
            "emergency-1-phone": "01632 960999",
            "social_worker": "Dana Price",
            "outside_agencies": "Youth offending service",
        },
    )
    tick(browser, "eha")
    save(browser)
    wait(browser, ready.url_to_be(site["url"] + "/pupils/p02"))

    browser.find_element(By.LINK_TEXT, "Change placement").click()
    type_into(
        browser,
        {
            "cost_amount": "110",
            "curriculum": "English\nMaths\nMotor vehicle",
            "targets-3-text": "Arrive on time every day.",
            "targets-3-measure": "Provider register",
            "parent_signed_on-day": "4",
            "parent_signed_on-month": "9",
            "parent_signed_on-year": "2026",
            "baseline_attendance": "64",
        },
    )
    choose(browser, "cost_per", "day")
    choose(browser, "cost_paid_by", "school")
    choose(browser, "dsl_contact_shared", "yes")
    screenshot(browser, shots, "placement-form")
    save(browser)
    wait(browser, ready.url_to_be(site["url"] + "/pupils/p02"))
    assert accessibility_problems(browser) == []
    record = load_school(site["school"]).pupils["p02"]
    assert record.pupil.emergency_contacts[0].name == "Jan Kowal" and record.pupil.flags.eha
    placement = record.placement
    assert (placement.cost.amount, placement.cost.per, placement.cost.paid_by) == (110, "day", "school")
    assert placement.targets[-1].text == "Arrive on time every day."
    assert placement.safeguarding.dsl_contact_shared is True and placement.baseline.attendance_percent == 64


@pytest.mark.parametrize(
    "url",
    [
        "/pupils/p03",
        "/providers/riverside-centre/edit",
        "/pupils/new",
        "/pupils/p01/reviews/new",
        "/pupils/p01/visits/1",
        "/pupils/p04/attendance",
        "/school",
    ],
)
def test_pages_meet_wcag_22_aa_and_fit_a_phone(browser, site, shots, url):
    browser.get(site["url"] + url)
    assert accessibility_problems(browser) == []
    browser.set_window_size(375, 800)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 375
    menu = browser.find_element(By.CSS_SELECTOR, ".govuk-service-navigation__toggle")
    providers = browser.find_element(By.CSS_SELECTOR, ".govuk-service-navigation__link[href='/providers']")
    assert menu.is_displayed() and not providers.is_displayed()
    menu.click()
    assert providers.is_displayed()
    screenshot(browser, shots, "phone" + url.replace("/", "-"), width=375)


def test_a_broken_record_leaves_the_page_usable_and_is_put_right(browser, site, shots):
    path = site["school"] / "providers" / "oakmere-school.yaml"
    good = path.read_text()
    path.write_text(good.replace("name: Oakmere School", "name: [Oakmere School", 1))
    try:
        browser.get(site["url"] + "/pupils")
        banner = browser.find_element(By.CLASS_NAME, "govuk-notification-banner")
        assert "cannot be read" in banner.text
        assert len(browser.find_elements(By.CSS_SELECTOR, "tr[data-search-row]")) >= 15
        banner.find_element(By.LINK_TEXT, "Put them right" if "records" in banner.text else "Put it right").click()
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "The provider Oakmere School" in main and "oakmere-school.yaml" not in main
        assert accessibility_problems(browser) == []
        screenshot(browser, shots, "repair")
        browser.find_element(By.CSS_SELECTOR, "a[href='/repair/providers/oakmere-school']").click()
        box = browser.find_element(By.ID, "text")
        box.clear()
        box.send_keys(good)
        save(browser)
        wait(browser, ready.url_to_be(site["url"] + "/repair"))
        assert "Every record can be read" in browser.find_element(By.TAG_NAME, "main").text
        assert path.read_text() == good
    finally:
        path.write_text(good)
