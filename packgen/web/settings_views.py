"""The school's own settings page, and its logo: uploaded once, shown at the top of every page.

The logo is kept as logo.png in the school folder, made again from what was uploaded (so a picture
with a script inside, or a huge one, never reaches a browser as it was sent).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, request, send_file, url_for
from PIL import Image, UnidentifiedImageError

from packgen.errors import Problem
from packgen.files import write_private
from packgen.records.school_file import SchoolFile
from packgen.web import edit_views, edits, provider_forms
from packgen.web.app import settings

settings_pages = Blueprint("settings", __name__)
LOGO = "logo.png"
LOGO_HEIGHT = 160
MAX_LOGO_BYTES = 5_000_000


def logo_version() -> str:
    """Changes when the logo does (so a browser shows a new one at once); empty when there is none."""
    path = settings().school / LOGO
    return str(path.stat().st_mtime_ns) if path.is_file() else ""


@settings_pages.get("/school/logo.png")
def logo():
    path = settings().school / LOGO
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=0)


@settings_pages.route("/school", methods=["GET", "POST"])
def school():
    data = edit_views.school_data()
    spec = provider_forms.school_form(
        edit_views.words(), {"term_dates": edit_views._count(data.school.pack.term_dates, "terms")}
    )
    if request.method == "POST":
        problem = _save_logo()
        if problem:
            return edit_views.show(
                spec,
                edit_views.forms.raw_values(spec, request.form),
                edits.Outcome(False, general=[Problem("school.yaml", "", problem)]),
                version=request.form.get("version", ""),
                back=url_for("pages.pupils"),
            )
    return edit_views.edit(spec, "school.yaml", SchoolFile, url_for("pages.pupils"), done="School settings saved.")


def _save_logo() -> str | None:
    sent = request.files.get("logo")
    if not sent or not sent.filename:
        return None
    data = sent.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        return "the logo is over 5 MB: choose a smaller picture"
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.thumbnail((LOGO_HEIGHT * 4, LOGO_HEIGHT))
            out = io.BytesIO()
            picture.convert("RGBA").save(out, "PNG")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return "the logo is not a picture packgen can read: choose a PNG or JPEG"
    write_private(settings().school / LOGO, out.getvalue())
    return None
