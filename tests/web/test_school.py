"""The pages keep the school between requests, yet always show the files as they are on disk now."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from packgen.readiness.rules import assess
from packgen.records.read import load_school
from packgen.records.upn import check_letter
from packgen.web import Settings, create_app

TODAY = date(2026, 11, 23)


@pytest.fixture
def client(demo_copy: Path):
    app = create_app(Settings(demo_copy, demo_copy.parent.parent / "output", today=TODAY))
    return app.test_client()


def body(client, url: str) -> str:
    response = client.get(url)
    return html.unescape(response.get_data(as_text=True))


def test_a_file_edited_by_hand_shows_on_the_next_page(client, demo_copy):
    assert "Amara" in body(client, "/pupils/p04")
    path = demo_copy / "pupils" / "p04.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("legal_forename: Amara", "legal_forename: Ottoline"), encoding="utf-8"
    )
    page = body(client, "/pupils/p04")
    assert "Ottoline" in page
    assert "Ottoline" in body(client, "/pupils")


def test_a_pupil_added_or_removed_by_hand_shows_on_the_next_page(client, demo_copy):
    assert client.get("/pupils/p77").status_code == 404
    text = (demo_copy / "pupils" / "p04.yaml").read_text(encoding="utf-8")
    text = text.replace("legal_forename: Amara", "legal_forename: Philippa")
    digits = "999490000077"
    text = re.sub(r"upn: *\S+", f"upn: {check_letter(digits)}{digits}", text, count=1)
    (demo_copy / "pupils" / "p77.yaml").write_text(text, encoding="utf-8")
    assert "Philippa" in body(client, "/pupils/p77")
    assert "Philippa" in body(client, "/pupils")
    (demo_copy / "pupils" / "p77.yaml").unlink()
    assert client.get("/pupils/p77").status_code == 404
    assert "Philippa" not in body(client, "/pupils")


def test_a_broken_file_shows_its_problem_and_mended_the_pages_come_back(client, demo_copy):
    assert "Amara" in body(client, "/pupils")
    path = demo_copy / "pupils" / "p04.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "  nonsense: [\n", encoding="utf-8")
    page = body(client, "/pupils")
    # Never locked out: every other pupil is still listed, the broken record is left out and named on
    # the repair page the banner links to.
    assert "Amara" not in page
    assert "/repair" in page and "Kacper" in page
    repair = body(client, "/repair")
    assert "Amara" in repair or "p04" in repair
    path.write_text(good, encoding="utf-8")
    assert "Amara" in body(client, "/pupils")


def test_readiness_follows_an_edit(client, demo_copy):
    """Take away looked-after p04's social worker and virtual school contact: the next page has the finding."""

    def r11_messages() -> list[str]:
        data = load_school(demo_copy)
        return [f.message for f in assess(data, TODAY) if f.rule == "R11" and f.subject_id == "p04"]

    assert r11_messages() == []
    body(client, "/pupils/p04")
    path = demo_copy / "pupils" / "p04.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if not line.lstrip().startswith(("social_worker:", "virtual_school_rep:"))),
        encoding="utf-8",
    )
    [message] = r11_messages()
    assert message in body(client, "/pupils/p04")
