"""The web page for office staff, through Flask's test client: pages, forms, downloads, safety.

Every test works on its own copy of a school. The forms are checked by the real loader and write the
real YAML files; the few downloads and the pack build run the real pipeline (LibreOffice), on the
small mini-school where a whole pack is built.
"""

from __future__ import annotations

import email
import html
import io
import os
import re
import shutil
import socket
import stat
import threading
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from packgen.errors import InputError
from packgen.mail.sent_log import read_log
from packgen.mail.smtp import SmtpSettings
from packgen.records.pupil_file import display_name
from packgen.records.read import load_school
from packgen.web import Settings, create_app, hash_password, record_text
from packgen.web.jobs import PackJob
from tests.conftest import DEMO, MINI, TODAY, form_fields, make_client, page, submit, token


@pytest.fixture
def client(demo_copy: Path):
    return make_client(demo_copy)


def rows_in_order(body: str) -> list[str]:
    return [
        html.unescape(name) for name in re.findall(r'<tr data-search-row>\s*<td><a href="/pupils/[^"]+">([^<]+)<', body)
    ]


# ---------------------------------------------------------------- the pages


def test_pupils_page_lists_every_pupil_with_provider_reviews_visits_and_readiness(client, demo_copy):
    data = load_school(demo_copy)
    body = page(client, "/pupils")
    assert "Brookfield Academy" in body and "OFFICIAL-SENSITIVE" in body
    assert sorted(rows_in_order(body)) == sorted(display_name(p) for p in data.pupils.values())
    elif_row = re.search(r"<tr data-search-row>.*?Elif .*?</tr>", body, re.S).group(0)  # p03: R11, critical
    assert "Riverside Centre" in elif_row and "1 critical" in elif_row and "26 November 2026" in elif_row
    chloe_row = re.search(r"<tr data-search-row>.*?Chlo.*?</tr>", body, re.S).group(0)
    assert "Ready" in chloe_row and "14 December 2026" in chloe_row and "11 November 2026" in chloe_row


def test_pupils_sort_by_any_column_and_either_way(client, demo_copy):
    data = load_school(demo_copy)
    by_hours = sorted(data.pupils.values(), key=lambda p: p.placement.hours_per_week, reverse=True)
    names = rows_in_order(page(client, "/pupils?sort=hours&order=desc"))
    assert [by_hours[0].placement.hours_per_week] == [27.5] and names[0] == display_name(by_hours[0])
    assert [names.index(display_name(p)) for p in by_hours] == sorted(names.index(display_name(p)) for p in by_hours)
    worst_first = rows_in_order(page(client, "/pupils?sort=readiness"))
    assert worst_first[0].startswith("Elif")  # the only pupil with a critical finding
    assert rows_in_order(page(client, "/pupils?sort=nonsense")) == rows_in_order(page(client, "/pupils"))


def test_pupil_page_shows_the_record_its_documents_and_its_findings(client):
    body = html.unescape(page(client, "/pupils/p03"))
    assert "Elif" in body and "Riverside Centre" in body
    # the pupil's own finding, with what its rule is about in words, never the rule's id
    assert "Agencies for vulnerable pupils" in body and "social worker" in body and "R11" not in body
    for title in ("Commissioning agreement", "Education plan", "Review 1", "Visit 1"):
        assert title in body
    assert 'action="/pupils/p03/documents/agreements/p03.pdf"' in body


def test_providers_page_shows_registration_and_appendix_4_status(client):
    body = html.unescape(page(client, "/providers"))
    willow = re.search(r"<strong>Willow Tree Tuition</strong>.*?</tr>", body, re.S).group(0)
    assert "Unregistered" in willow and "days overdue" in willow and "Staff-check assurance: critical" in willow
    bridge = re.search(r"<strong>Bridge Learning Centre</strong>.*?</tr>", body, re.S).group(0)
    assert "Returned 24 July 2026" in bridge and "URN 148812" in bridge
    assert "PACKGEN_SMTP_HOST" in body  # no mail server given: the page says how to send


def test_an_unknown_pupil_or_document_is_not_found(client):
    assert client.get("/pupils/p99").status_code == 404
    assert (
        client.post(
            "/pupils/p01/documents/agreements/p02.pdf", data={"csrf_token": token(client, "/pupils/p01")}
        ).status_code
        == 404
    )


# ---------------------------------------------------------------- personal data stays out of URLs


def test_no_link_or_form_on_any_page_carries_a_name_or_upn(client, demo_copy):
    data = load_school(demo_copy)
    personal = {
        w.casefold()
        for p in data.pupils.values()
        for w in (p.pupil.legal_forename, p.pupil.legal_surname, p.pupil.preferred_name or "", p.pupil.upn)
        if len(w) > 2
    }
    urls = ["/pupils", "/providers", "/pack", "/pupils/new"]
    for pid in data.pupils:
        urls += [f"/pupils/{pid}", f"/pupils/{pid}/placement", f"/pupils/{pid}/reviews/new"]
    targets = set()
    for url in urls:
        targets |= set(re.findall(r'(?:href|action|src)="([^"]*)"', page(client, url)))
    assert len(targets) > 100
    leaks = [t for t in targets for word in personal if word in html.unescape(t).casefold()]
    assert leaks == []


# ---------------------------------------------------------------- the forms


def test_every_demo_record_is_written_back_byte_for_byte_when_nothing_changed():
    for path in sorted(DEMO.rglob("*.yaml")) + sorted(MINI.rglob("*.yaml")):
        text, tree = record_text.read(path)
        assert record_text.updated_text(text, tree) == text, path


# ---------------------------------------------------------------- downloads (real LibreOffice)


def test_a_document_is_made_once_and_downloaded_in_either_format(client, demo_copy):
    csrf = token(client, "/pupils/p05")
    word = client.post("/pupils/p05/documents/education-plans/p05.docx", data={"csrf_token": csrf})
    assert word.status_code == 200 and word.data[:2] == b"PK"
    assert "attachment; filename=education-plans-p05.docx" in word.headers["Content-Disposition"]
    made = demo_copy.parent.parent / "output" / DEMO.name / "education-plans" / "p05.pdf"
    first = made.stat().st_mtime_ns
    pdf = client.post("/pupils/p05/documents/education-plans/p05.pdf", data={"csrf_token": csrf})
    assert pdf.data.startswith(b"%PDF") and made.stat().st_mtime_ns == first  # up to date: not made again
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def test_downloads_come_only_from_the_schools_output_folder(client, demo_copy):
    secret = demo_copy.parent.parent / "output" / "secret.pdf"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(b"%PDF-1.4 not yours")
    for url in ("/providers/..%2Fsecret/letter.pdf", "/providers/../secret.pdf", "/pack/..%2F..%2Fsecret.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.get("/providers/bridge-learning-centre/letter.pdf").status_code == 302  # not made yet


# ---------------------------------------------------------------- the pack (real build, mini-school)


@pytest.mark.slow
def test_the_pack_is_built_in_the_background_and_downloaded(tmp_path):
    school = tmp_path / "data" / "mini-school"
    shutil.copytree(MINI, school)
    client = make_client(school)
    assert "has not been built yet" in page(client, "/pack")
    response = client.post("/pack/build", data={"csrf_token": token(client, "/pack")})
    assert response.headers["Location"] == "/pack"
    building = page(client, "/pack")
    assert "<progress" in building or "Built:" in building
    deadline = time.monotonic() + 180
    while client.get("/pack/progress").get_json()["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    state = client.get("/pack/progress").get_json()
    assert (state["percent"], state["failed"]) == (100, False)
    body = page(client, "/pack")
    pages = len(PdfReader(tmp_path / "output" / "mini-school" / "evidence-pack.pdf").pages)
    assert f"{pages} pages" in body and "Download the pack" in body
    download = client.get("/pack/evidence-pack.pdf")
    assert len(PdfReader(io.BytesIO(download.data)).pages) == pages


# ---------------------------------------------------------------- sending letters (real SMTP, mini-school)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def test_letters_are_sent_only_after_the_user_confirms(tmp_path):
    school = tmp_path / "data" / "mini-school"
    shutil.copytree(MINI, school)
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        client = make_client(school, smtp=SmtpSettings("127.0.0.1", port, "none"))
        response = client.post("/providers/send", data={"csrf_token": token(client, "/providers")})
        body = html.unescape(response.get_data(as_text=True))
        assert "Nothing has been sent yet" in body and "Send 1 e-mail" in body
        assert "k.byrne@oaktutors.example" in body and "returned its assurance" in body
        assert inbox.messages == []
        confirm = re.findall(r'name="letter" value="([^"]+)"', body)
        done = client.post(
            "/providers/send/confirm", data={"csrf_token": token(client, "/providers"), "letter": confirm}
        )
        assert "Letters sent" in done.get_data(as_text=True)
        assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["k.byrne@oaktutors.example"]
        assert [e.provider for e in read_log(load_school(school))] == ["oak-tutors"]
        again = client.post(
            "/providers/send/confirm", data={"csrf_token": token(client, "/providers"), "letter": confirm}
        )
        assert again.status_code == 200 and len(inbox.messages) == 1  # recorded as sent: never twice
    finally:
        controller.stop()


def test_a_letter_changed_since_confirming_is_not_sent(tmp_path):
    school = tmp_path / "data" / "mini-school"
    shutil.copytree(MINI, school)
    client = make_client(school, smtp=SmtpSettings("127.0.0.1", 9, "none"))
    stale = "oak-tutors:" + "0" * 64
    response = client.post(
        "/providers/send/confirm", data={"csrf_token": token(client, "/providers"), "letter": [stale]}
    )
    assert response.status_code == 409 and "Nothing was sent" in response.get_data(as_text=True)


# ---------------------------------------------------------------- safe by default


def test_every_form_needs_its_csrf_token(client, demo_copy):
    path = demo_copy / "pupils" / "p01.yaml"
    before = path.read_bytes()
    response = client.post("/pupils/p01/reviews/new", data={"date": "2026-11-23", "decision": "continue"})
    assert response.status_code == 400 and "could not be sent" in response.get_data(as_text=True)
    assert path.read_bytes() == before
    assert client.post("/pack/build").status_code == 400
    assert client.post("/providers/letters").status_code == 400


def test_pages_are_not_cached_framed_or_given_foreign_scripts(client):
    headers = client.get("/pupils").headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"


def test_on_this_computer_the_page_answers_only_to_its_own_address(client):
    assert client.get("/pupils", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/pupils", headers={"Host": "attacker.example:5000"}).status_code == 400


def test_serving_to_a_network_needs_a_password(demo_copy):
    with pytest.raises(InputError, match="set a password"):
        make_client(demo_copy, host="0.0.0.0")
    client = make_client(demo_copy, host="0.0.0.0", password_hash=hash_password("correct horse"))
    assert client.get("/pupils/p01").headers["Location"] == "/login?next=/pupils/p01"
    assert client.get("/pupils/p01/placement").status_code == 302
    csrf = token(client, "/login")
    wrong = client.post("/login", data={"csrf_token": csrf, "password": "wrong"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    right = client.post("/login?next=//attacker.example/", data={"csrf_token": csrf, "password": "correct horse"})
    assert right.headers["Location"] == "/pupils"  # never sent off the site after signing in
    assert "Chlo" in page(client, "/pupils")


def test_repeated_wrong_passwords_make_the_next_try_wait(demo_copy):
    client = make_client(demo_copy, host="0.0.0.0", password_hash=hash_password("correct horse"))
    csrf = token(client, "/login")
    statuses = [client.post("/login", data={"csrf_token": csrf, "password": "guess"}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert client.post("/login", data={"csrf_token": csrf, "password": "correct horse"}).status_code == 429


def test_a_bug_is_logged_without_its_message_which_may_quote_a_record(demo_copy, caplog):
    app = create_app(Settings(demo_copy, demo_copy.parent.parent / "output", today=TODAY))

    def broken():
        record = load_school(demo_copy).pupils["p01"]
        raise RuntimeError(f"could not read {record.pupil.full_name}")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "/broken" in logged and "in broken" in logged
    assert "Chloé" not in logged and "Chlo" not in response.get_data(as_text=True)


def test_the_pack_page_shows_the_builds_own_progress():
    job, reported, finish = PackJob(), threading.Event(), threading.Event()

    def build(on_progress):
        on_progress("render", 10, 10)
        on_progress("convert", 50, 100)
        reported.set()
        finish.wait(10)
        return None  # as a build that made nothing new

    assert job.start(build)
    assert reported.wait(10)
    halfway = job.progress()
    assert halfway.running and halfway.percent == 52  # filling done (20%), half of converting (20-85%)
    assert halfway.remaining is not None and halfway.remaining >= 1
    assert not job.start(build)  # one build at a time
    finish.set()
    job.wait(10)
    assert not job.progress().running


def test_folders_the_page_makes_are_the_owners_alone_whatever_the_umask(demo_copy):
    old = os.umask(0o022)  # a umask that would leave new folders open to everyone
    try:
        out = demo_copy.parent.parent / "output"
        assert not out.exists()
        client = make_client(demo_copy)
        response = submit(
            client,
            "/pupils/p01/reviews/new",
            form_fields(page(client, "/pupils/p01/reviews/new"))
            | {"date-day": "23", "date-month": "11", "date-year": "2026", "decision": "continue"},
        )
        assert response.status_code == 302
        for folder in (out, out / DEMO.name):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        # Checked against the records kept in memory: no copy of them is written anywhere.
        assert not any(p.name.startswith(".checking") for p in out.rglob("*"))
    finally:
        os.umask(old)
