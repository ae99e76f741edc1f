"""Safe by default: who may use the page, what a browser may do with it, and what reaches the log.

- On this computer only (127.0.0.1 or ::1), the page answers only to its own address, so a web site
  cannot reach it through a look-alike host name (DNS rebinding). Served to a network, every page
  needs the password (at least 12 characters), whose hash alone is kept.
- A sign-in is a session the server keeps, named by a random id in the signed cookie: signing out
  ends it for good (a copy of the old cookie is worth nothing), and so do a working day without use
  and a new start of ``packgen serve`` (the only way to change the password).
- Wrong passwords slow down the address they come from, one guess at a time, never everybody.
- Every form carries a CSRF token (Flask-WTF), so another site cannot submit one in the user's name.
- Pages are never cached and never framed, load scripts and styles from the app alone, and send no
  Referer to anywhere.
- The log names the request line and, for a bug, where the code failed; never an exception's text,
  which may quote a record.
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
import traceback
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from packgen.errors import InputError

if TYPE_CHECKING:
    from packgen.web.app import Settings

MIN_PASSWORD = 12
MAX_FAILURES = 5  # wrong passwords in a row from one address before its next try waits
LOCKOUT_SECONDS = 30
IDLE_LIMIT = timedelta(hours=10)  # a working day: a sign-in unused for longer ends
MAX_SESSIONS = 1_000  # sign-ins kept at once; the longest unused goes first
MAX_CLIENTS = 10_000  # addresses whose wrong guesses are remembered at once
OPEN_ENDPOINTS = ("login", "static")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def hash_password(password: str) -> str:
    """A salted, slow hash (scrypt): the page keeps this, never the password, which must be long enough."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the page's password must be at least {MIN_PASSWORD} characters long (this one has "
            f"{len(password)}): three or four ordinary words together are long and easy to remember"
        )
    return generate_password_hash(password)


class Sessions:
    """Sign-ins the server keeps: an id is good until it is ended or left unused for ``IDLE_LIMIT``."""

    def __init__(self) -> None:
        self._last_used: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._last_used[session_id] = time.monotonic()
            while len(self._last_used) > MAX_SESSIONS:
                self._last_used.popitem(last=False)
        return session_id

    def alive(self, session_id: object) -> bool:
        """True for a session still running (and it counts as used now)."""
        if not isinstance(session_id, str):
            return False
        now = time.monotonic()
        with self._lock:
            last = self._last_used.get(session_id)
            if last is None or now - last > IDLE_LIMIT.total_seconds():
                self._last_used.pop(session_id, None)
                return False
            self._last_used[session_id] = now
            self._last_used.move_to_end(session_id)
            return True

    def end(self, session_id: object) -> None:
        if isinstance(session_id, str):
            with self._lock:
                self._last_used.pop(session_id, None)


class Throttle:
    """Wrong guesses counted per client address: after ``MAX_FAILURES`` that address waits
    ``LOCKOUT_SECONDS``; and each address gets one guess checked at a time, so its guesses in parallel
    neither get round the count nor hold every worker thread."""

    def __init__(self) -> None:
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def client(self, address: str | None) -> _Client:
        key = _client_key(address)
        with self._lock:
            client = self._clients.pop(key, None) or _Client()
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            return client


class _Client:
    def __init__(self) -> None:
        self.checking = threading.Lock()
        self.failures = 0
        self.until = 0.0

    def wait(self) -> float:
        return self.until - time.monotonic()

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures, self.until = 0, time.monotonic() + LOCKOUT_SECONDS


def _client_key(address: str | None) -> str:
    """An IPv4 address, or an IPv6 address's /64: one home or office network holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class QuietFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """A bug's place in the code, without its message (which may quote a pupil's record)."""
        kind, _, trace = exc_info
        frames = "".join(traceback.format_tb(trace))
        self.logger.error(
            "packgen stopped on %s %s because of a bug (%s):\n%s", request.method, request.path, kind.__name__, frames
        )


def install(app: Flask, settings: Settings) -> None:
    from packgen.web.app import is_loopback

    CSRFProtect(app)
    app.config.update(
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=IDLE_LIMIT,  # how long Flask trusts a signed cookie at all
        WTF_CSRF_TIME_LIMIT=None,  # a form may stay open all day; the token still dies with the session
    )
    if is_loopback(settings.host):
        _answer_only_to_own_address(app)
    if settings.password_hash:
        _require_password(app, settings.password_hash)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def stale_form(error: CSRFError):
        return render_template(
            "message.html",
            title="The form could not be sent",
            message="The page was open too long or came from somewhere else. Go back, reload the page and try again.",
        ), 400


def _answer_only_to_own_address(app: Flask) -> None:
    # Not Flask's TRUSTED_HOSTS: Werkzeug cuts each of its entries at the first colon, so it cannot name ::1.
    @app.before_request
    def own_address():
        try:
            name = urlsplit(f"//{request.host}").hostname
        except ValueError:
            name = None
        if name not in LOOPBACK_NAMES:
            abort(400)


def _require_password(app: Flask, password_hash: str) -> None:
    sessions, throttle = Sessions(), Throttle()

    @app.before_request
    def signed_in():
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        if not sessions.alive(session.get("signed_in")):
            session.clear()
            return redirect(url_for("login", next=request.path))
        return None

    @app.route("/login", methods=["GET", "POST"])
    def login():
        wrong = False
        if request.method == "POST":
            client = throttle.client(request.remote_addr)
            if not client.checking.acquire(blocking=False):
                return render_template("login.html", wait=1), 429
            try:
                if client.wait() > 0:
                    return render_template("login.html", wait=int(client.wait()) + 1), 429
                if check_password_hash(password_hash, request.form.get("password", "")):
                    client.failures = 0
                    sessions.end(session.get("signed_in"))
                    session.clear()
                    session["signed_in"] = sessions.begin()
                    return redirect(_safe_next(request.args.get("next")))
                client.failed()
                wrong = True
            finally:
                client.checking.release()
        return render_template("login.html", wrong=wrong), 401 if wrong else 200

    @app.post("/logout")
    def logout():
        sessions.end(session.get("signed_in"))
        session.clear()
        return redirect(url_for("login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a link to elsewhere after signing in would be an open redirect."""
    if target and target.startswith("/") and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("pages.pupils")
