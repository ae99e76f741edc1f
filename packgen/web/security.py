"""Safe by default: who may use the page, what a browser may do with it, and what reaches the log.

- On this computer only (127.0.0.1), the page answers only to its own address, so a web site cannot
  reach it through a look-alike host name (DNS rebinding). Served to a network, every page needs
  the password, whose hash alone is kept.
- Every form carries a CSRF token (Flask-WTF), so another site cannot submit one in the user's name.
- Pages are never cached and never framed, load scripts and styles from the app alone, and send no
  Referer to anywhere.
- The log names the request line and, for a bug, where the code failed; never an exception's text,
  which may quote a record.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from packgen.web.app import Settings

MAX_FAILURES = 5  # wrong passwords in a row before the page makes the next try wait
LOCKOUT_SECONDS = 30
OPEN_ENDPOINTS = ("login", "static")

CSP = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
    "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
))


def hash_password(password: str) -> str:
    """A salted, slow hash (scrypt): the page keeps this, never the password."""
    return generate_password_hash(password)


class QuietFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """A bug's place in the code, without its message (which may quote a pupil's record)."""
        kind, _, trace = exc_info
        frames = "".join(traceback.format_tb(trace))
        self.logger.error("packgen stopped on %s %s because of a bug (%s):\n%s",
                          request.method, request.path, kind.__name__, frames)


def install(app: Flask, settings: Settings) -> None:
    from packgen.web.app import is_loopback

    CSRFProtect(app)
    app.config.update(
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # a form may stay open all day; the token still dies with the session
    )
    if is_loopback(settings.host):
        app.config["TRUSTED_HOSTS"] = ["127.0.0.1", "localhost", "[::1]"]
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
        return render_template("message.html", title="The form could not be sent",
                               message="The page was open too long or came from somewhere else. Go back, "
                                       "reload the page and try again."), 400


def _require_password(app: Flask, password_hash: str) -> None:
    failures = {"count": 0, "until": 0.0}
    lock = threading.Lock()

    @app.before_request
    def signed_in():
        if request.endpoint not in OPEN_ENDPOINTS and not session.get("signed_in"):
            return redirect(url_for("login", next=request.path))
        return None

    @app.route("/login", methods=["GET", "POST"])
    def login():
        wrong = False
        if request.method == "POST":
            with lock:
                waiting = failures["until"] - time.monotonic()
                if waiting > 0:
                    return render_template("login.html", wait=int(waiting) + 1), 429
                if check_password_hash(password_hash, request.form.get("password", "")):
                    failures["count"] = 0
                    session.clear()
                    session["signed_in"] = True
                    return redirect(_safe_next(request.args.get("next")))
                failures["count"] += 1
                if failures["count"] >= MAX_FAILURES:
                    failures["count"], failures["until"] = 0, time.monotonic() + LOCKOUT_SECONDS
                wrong = True
        return render_template("login.html", wrong=wrong), 401 if wrong else 200

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a link to elsewhere after signing in would be an open redirect."""
    if target and target.startswith("/") and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("pages.pupils")
