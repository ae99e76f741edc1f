"""The evidence pack page: build it in the background with its progress shown, then download it (and
its shortened copy to share more widely).

Its routes are on the pages blueprint of ``views``, beside the other pages to look things up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from pypdf import PdfReader

from packgen.build import pipeline
from packgen.web.app import settings
from packgen.web.jobs import PackJob
from packgen.web.views import document_time, download, pages, school_data

# ---------------------------------------------------------------- the pack


@pages.get("/pack")
def pack():
    progress = _job().progress()
    return render_template(
        "pack.html", progress=progress, last=_last_pack(), redacted=_last_pack(redacted=True), min_password=MIN_PASSWORD
    )


MIN_PASSWORD = 10  # the pack travels by e-mail or memory stick: a short password is guessed offline


@pages.post("/pack/build")
def build_pack():
    school_data()  # records with problems are shown at once, not after a wait
    school, out_root, templates, now = settings().school, settings().out_root, settings().templates, document_time()
    password = request.form.get("password", "") if request.form.get("encrypt") else ""
    if request.form.get("encrypt") and len(password) < MIN_PASSWORD:
        flash(
            f"To encrypt the pack, enter a password of at least {MIN_PASSWORD} characters. Nothing was built.", "error"
        )
        return redirect(url_for(".pack"))
    redact = bool(request.form.get("redact"))

    def build(on_progress):
        options = pipeline.PackOptions(password=password or None)
        built = pipeline.build_pack(
            school, out_root, templates=templates, now=now, on_progress=on_progress, options=options
        )
        if redact:  # the bar stays near its end while the shorter copy is made
            pipeline.build_pack(
                school,
                out_root,
                templates=templates,
                now=now,
                options=pipeline.PackOptions(password=password or None, redact=True),
            )
        return built

    started = _job().start(build)
    if not started:
        flash("The pack is already being built.", "info")
    return redirect(url_for(".pack"))


@pages.get("/pack/progress")
def pack_progress():
    progress = _job().progress()
    return jsonify(
        running=progress.running,
        percent=progress.percent,
        remaining=progress.remaining,
        failed=progress.error is not None,
    )


@pages.get("/pack/evidence-pack.pdf")
def pack_download():
    if _last_pack() is None:
        abort(404)
    return download(pipeline.PACK_NAME)


@pages.get("/pack/evidence-pack-redacted.pdf")
def redacted_download():
    """The shortened copy, from its own folder beside the school's (``<school>-redacted``)."""
    if _last_pack(redacted=True) is None:
        abort(404)
    return send_from_directory(
        _redacted_out(), pipeline.PACK_NAME, as_attachment=True, download_name="evidence-pack-redacted.pdf", max_age=0
    )


def _redacted_out() -> Path:
    return settings().out_root / f"{settings().school.name}-redacted"


@dataclass(frozen=True)
class LastPack:
    built_at: datetime
    pages: int | None  # None: encrypted, so not counted without the password
    megabytes: float


def _last_pack(redacted: bool = False) -> LastPack | None:
    path = (_redacted_out() if redacted else settings().out) / pipeline.PACK_NAME
    if not path.is_file():
        return None
    stat = path.stat()
    cache = current_app.extensions.setdefault("packgen_pack_pages", {})
    if cache.get(path) is None or cache[path][0] != stat.st_mtime_ns:  # counting a big pack takes a moment
        reader = PdfReader(path)
        cache[path] = (stat.st_mtime_ns, None if reader.is_encrypted else len(reader.pages))
    return LastPack(datetime.fromtimestamp(stat.st_mtime), cache[path][1], stat.st_size / 1_000_000)


def _job() -> PackJob:
    return current_app.extensions["packgen_pack"]
