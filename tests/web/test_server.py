"""``packgen serve`` as real processes on real sockets: two servers on one school, signing in and out,
wrong passwords, half-open connections, IPv6 loopback.

Each server is started as a user starts it and stopped with Ctrl+C (SIGINT). The clients are plain
HTTP connections (http.client) that keep their own cookies and send the form's CSRF token back, as a
browser does; one can be given its own loopback source address (127.0.0.2) to stand for another computer.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from tests.conftest import REPO, date_fields, form_fields

PASSWORD = "staffroom kettle whistles"


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    first_line: str


@pytest.fixture
def serve(tmp_path: Path):
    """Start ``packgen serve SCHOOL ARGS`` (stopped with Ctrl+C afterwards, which must end it cleanly)."""
    running: list[subprocess.Popen] = []

    def start(school: Path, *args: str, password: str | None = None) -> Served:
        env = dict(os.environ, PACKGEN_WEB_PASSWORD=password) if password else dict(os.environ)
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from packgen.cli import main; main()",
                "serve",
                str(school),
                "--out",
                str(tmp_path / "output"),
                "--no-browser",
                *args,
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running.append(process)
        line = process.stdout.readline()
        found = re.search(r"http://\S+?:(\d+)/", line)
        assert found, line + process.stdout.read()
        return Served(process, int(found.group(1)), line)

    yield start
    for process in running:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                assert process.wait(timeout=15) == 0
            finally:
                process.kill()
                process.wait()
        process.stdout.close()


@dataclass
class Browser:
    """One person's connection to the page: their cookies, and the address they come from."""

    host: str
    port: int
    source: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None, host_header: str | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = HTTPConnection(
            self.host, self.port, timeout=60, source_address=(self.source, 0) if self.source else None
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if host_header:
            headers["Host"] = host_header
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    if (morsel["expires"] and "1970" in morsel["expires"]) or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, dict(response.headers), response.read().decode()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def send_form(self, path: str, fields: dict[str, str], form_page: str | None = None):
        """Open the form page (for its CSRF token) and send ``fields`` with it, as a browser would."""
        status, _, body = self.get(form_page or path)
        assert status == 200, (status, body)
        return self.request("POST", path, {"csrf_token": _csrf(body), **fields})

    def sign_in(self, password: str = PASSWORD) -> int:
        return self.send_form("/login", {"password": password})[0]


def _csrf(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


# ---------------------------------------------------------------- two servers, one school


def test_two_servers_on_one_school_lose_none_of_ten_edits_made_at_once(serve, demo_copy):
    first, second = serve(demo_copy), serve(demo_copy)
    path = demo_copy / "pupils" / "p01.yaml"
    reviews_before = len(yaml.safe_load(path.read_text())["reviews"])
    results: dict[int, int] = {}
    browsers = [Browser("127.0.0.1", (first, second)[n % 2].port) for n in range(10)]
    tokens = {n: _csrf(b.get("/pupils/p01/reviews/new")[2]) for n, b in enumerate(browsers)}  # forms opened first
    start = threading.Barrier(10)

    def send(n: int) -> None:
        start.wait()
        status, _, _ = browsers[n].request(
            "POST",
            "/pupils/p01/reviews/new",
            {
                "csrf_token": tokens[n],
                **date_fields("date", "2026-11-23"),
                "attendees": f"Reviewer number {n}",
                "decision": "continue",
            },
        )
        results[n] = status

    threads = [threading.Thread(target=send, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == {n: 302 for n in range(10)}
    reviews = yaml.safe_load(path.read_text())["reviews"]
    assert len(reviews) == reviews_before + 10
    assert sorted(r["attendees"][0] for r in reviews[reviews_before:]) == sorted(
        f"Reviewer number {n}" for n in range(10)
    )
    lock = demo_copy / ".packgen-edit.lock"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    out = demo_copy.parent.parent / "output"
    assert stat.S_IMODE((out / demo_copy.name).stat().st_mode) == 0o700
    assert not any(p.name.startswith(".checking") for p in out.rglob("*"))  # changes are checked in memory


def test_a_form_opened_before_someone_else_saved_is_refused_with_what_was_typed_kept(serve, demo_copy):
    first, second = serve(demo_copy), serve(demo_copy)
    path = demo_copy / "pupils" / "p01.yaml"
    mine, theirs = Browser("127.0.0.1", first.port), Browser("127.0.0.1", second.port)
    _, _, form = mine.get("/pupils/p01/placement")
    fields = form_fields(form)  # without the CSRF token: each server signs its own
    assert fields["version"]

    status, _, _ = theirs.send_form(
        "/pupils/p01/placement", {**fields, "version": _version(theirs), "transport": "Minibus from the school gate."}
    )
    assert status == 302
    saved_by_them = path.read_bytes()
    status, _, body = mine.request(
        "POST", "/pupils/p01/placement", {**fields, "csrf_token": _csrf(form), "transport": "Walks with a parent."}
    )
    assert status == 422
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S).group(0)
    assert "This record was changed by someone else since you opened it" in summary
    assert ">Walks with a parent.</textarea>" in body  # what was typed is still there to copy
    assert path.read_bytes() == saved_by_them
    assert b"Minibus from the school gate." in saved_by_them


def _version(browser: Browser) -> str:
    return re.search(r'name="version" value="([^"]+)"', browser.get("/pupils/p01/placement")[2]).group(1)


# ---------------------------------------------------------------- signing in to a page on the network


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(serve, demo_copy):
    served = serve(demo_copy, "--host", "0.0.0.0", password=PASSWORD)
    assert "everyone needs the password" in served.process.stdout.readline()
    browser = Browser("127.0.0.1", served.port)
    assert browser.get("/pupils")[0] == 302
    assert browser.sign_in() == 302
    assert browser.get("/pupils")[0] == 200
    kept = dict(browser.cookies)
    assert Browser("127.0.0.1", served.port, cookies=dict(kept)).get("/pupils")[0] == 200
    _, _, page = browser.get("/pupils")
    assert browser.request("POST", "/logout", {"csrf_token": _csrf(page)})[0] == 302
    replay = Browser("127.0.0.1", served.port, cookies=kept)
    status, headers, _ = replay.get("/pupils/p01")
    assert status == 302 and urlsplit(headers["Location"]).path == "/login"


def test_a_short_password_is_refused_when_the_page_starts(demo_copy, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from packgen.cli import main; main()",
            "serve",
            str(demo_copy),
            "--host",
            "0.0.0.0",
            "--out",
            str(tmp_path / "output"),
            "--no-browser",
        ],
        cwd=REPO,
        env=dict(os.environ, PACKGEN_WEB_PASSWORD="a"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "password must be at least 12 characters long (this one has 1)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_wrong_guesses_from_one_computer_do_not_lock_out_another(serve, demo_copy):
    served = serve(demo_copy, "--host", "0.0.0.0", password=PASSWORD)
    guesser = Browser("127.0.0.1", served.port, source="127.0.0.2")
    colleague = Browser("127.0.0.1", served.port, source="127.0.0.1")
    assert [guesser.sign_in("not the password") for _ in range(6)] == [401] * 5 + [429]
    assert guesser.sign_in() == 429  # even the right password waits now, from that address
    assert colleague.sign_in() == 302
    assert colleague.get("/pupils")[0] == 200


# ---------------------------------------------------------------- connections


def test_two_hundred_half_open_connections_do_not_stop_the_page_answering(serve, demo_copy):
    served = serve(demo_copy)
    held = []
    try:
        for _ in range(200):
            connection = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            connection.sendall(b"GET /pupils HTT")  # and never the rest
            held.append(connection)
        started = time.monotonic()
        status, _, body = Browser("127.0.0.1", served.port).get("/pupils")
        assert status == 200 and "p01" in body
        assert time.monotonic() - started < 5
    finally:
        for connection in held:
            connection.close()


def test_the_page_serves_on_ipv6_loopback_and_answers_only_to_its_own_address(serve, demo_copy):
    served = serve(demo_copy, "--host", "::1")
    assert f"http://[::1]:{served.port}/" in served.first_line
    browser = Browser("::1", served.port)
    assert browser.get("/pupils")[0] == 200
    assert browser.request("GET", "/pupils", host_header=f"attacker.example:{served.port}")[0] == 400
