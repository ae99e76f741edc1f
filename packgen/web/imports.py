"""The import page: upload an MIS file (CTF or CSV), see what it would change, confirm to write it.

The uploaded file is kept only in the school's private output folder, under a random name, until it is
written or dropped. A CSV export needs the school's column mapping first: the page shows a guess from
the headings for staff to correct and save. Writing goes through the same all-or-nothing path as
``packgen import --apply``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for

from packgen.errors import DataError, InputError
from packgen.files import private_dirs, write_private
from packgen.records import merge, mis_csv
from packgen.web import pupil_forms, wording
from packgen.web.app import settings
from packgen.web.forms import Rows

import_pages = Blueprint("imports", __name__)
MAX_UPLOAD = 50_000_000  # a CTF with attendance history; the app's other forms stay small
SUFFIXES = (".xml", ".csv")


def _labels() -> dict[tuple, str]:
    """Each part of a pupil's details by key path, as the pupil details form calls it."""
    found: dict[tuple, str] = {}
    for section in pupil_forms.pupil_details_form({}).sections:
        for item in section.items:
            if isinstance(item, Rows):
                found[item.path] = item.noun  # a contact added whole
                found |= {item.path + f.path: f"{item.noun}: {f.label[:1].lower()}{f.label[1:]}" for f in item.fields}
            else:
                found[item.path] = item.label
    return found


LABELS = _labels()


def change_words(path: tuple) -> str:
    """``("pupil", "parent_carers", 0, "phone")`` → "Parent or carer: phone"."""
    bare = tuple(key for key in path[1:] if not isinstance(key, int))
    return LABELS.get(bare) or wording.key_words(".".join(bare)).capitalize()


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value is None else str(value)


@import_pages.context_processor
def import_words() -> dict:
    return {"change_words": change_words, "shown": shown}


def _folder() -> Path:
    folder = settings().out / ".imports"
    private_dirs(folder)
    return folder


def _upload(token: str) -> Path:
    found = [p for p in _folder().glob(f"{token}.*") if token.isalnum() and p.suffix in SUFFIXES]
    if not found:
        abort(404)
    return found[0]


@import_pages.before_request
def larger_uploads() -> None:
    if request.endpoint == "imports.upload":
        request.max_content_length = MAX_UPLOAD


@import_pages.route("/imports", methods=["GET"])
def start():
    return render_template("imports.html", step="upload")


@import_pages.route("/imports", methods=["POST"], endpoint="upload")
def upload():
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return render_template("imports.html", step="upload", error="Choose the CTF (.xml) or CSV file to import."), 422
    suffix = Path(sent.filename).suffix.casefold()
    if suffix not in SUFFIXES:
        return render_template(
            "imports.html", step="upload", error=f"{sent.filename} is not a CTF (.xml) or a CSV export (.csv)."
        ), 422
    token = secrets.token_hex(12)
    write_private(_folder() / f"{token}{suffix}", sent.read())
    return redirect(url_for("imports.preview", token=token))


@import_pages.route("/imports/<token>", methods=["GET"])
def preview(token: str):
    path = _upload(token)
    if path.suffix == ".csv" and mis_csv.load_mapping(settings().school) is None:
        return redirect(url_for("imports.mapping", token=token))
    try:
        plan = merge.plan_import(settings().school, merge.read_source(settings().school, path))
    except InputError as error:
        path.unlink(missing_ok=True)
        return render_template("imports.html", step="upload", error=str(error)), 422
    return render_template("imports.html", step="preview", plan=plan, token=token)


@import_pages.route("/imports/<token>/columns", methods=["GET", "POST"])
def mapping(token: str):
    path = _upload(token)
    headings = mis_csv.read_headings(path)
    guess = mis_csv.guess_mapping(headings)
    if request.method == "POST":
        chosen = mis_csv.Mapping(
            columns={f: request.form[f] for f in mis_csv.FIELDS if request.form.get(f) in headings},
            address=[h for h in request.form.getlist("address") if h in headings],
            contacts=guess.contacts,
            dates=request.form.get("dates", "DD/MM/YYYY"),
        )
        try:
            mis_csv.save_mapping(settings().school, chosen)
        except InputError as error:
            return render_template(
                "imports.html",
                step="columns",
                token=token,
                headings=headings,
                guess=chosen,
                fields=mis_csv.FIELDS,
                formats=mis_csv.DATE_FORMATS,
                error=str(error),
            ), 422
        return redirect(url_for("imports.preview", token=token))
    return render_template(
        "imports.html",
        step="columns",
        token=token,
        headings=headings,
        guess=guess,
        fields=mis_csv.FIELDS,
        formats=mis_csv.DATE_FORMATS,
    )


@import_pages.route("/imports/<token>/apply", methods=["POST"])
def confirm(token: str):
    path = _upload(token)
    try:
        plan = merge.plan_import(
            settings().school, merge.read_source(settings().school, path), add=request.form.getlist("add")
        )
        written = merge.apply_import(plan)
    except (InputError, DataError) as error:
        return render_template("imports.html", step="upload", error=str(error)), 422
    path.unlink(missing_ok=True)
    return render_template("imports.html", step="done", written=written, plan=plan)
