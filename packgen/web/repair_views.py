"""Records that cannot be read: named in words, with a way to put each right on the page.

A file broken by hand (a stray tab, a date typed wrongly) must not lock anyone out: every other
record is still shown, and this page lists the broken ones with their problems and the file's text
to correct. A correction is saved only once that record reads without a problem.
"""

from __future__ import annotations

import re
from collections import defaultdict

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from packgen.errors import DataError, Problem
from packgen.records.read import LEFT_OUT
from packgen.web import edit_views, good_copies, record_saving, wording
from packgen.web.app import settings

repair_pages = Blueprint("repair", __name__)
FOLDERS = {"school": "", "providers": "providers/", "pupils": "pupils/"}


def broken() -> dict[str, list]:
    """Problems by record file, for records the pages cannot show."""
    try:
        edit_views.school_data()
    except DataError:
        pass
    found = defaultdict(list)
    for problem in g.get("problems", []):
        found[problem.file].append(problem)
    return found


def _names() -> dict[str, str]:
    """Names of the healthy records, and of broken ones where the name can still be picked out."""
    try:
        names = edit_views.record_names()
    except DataError:
        names = {}
    for relative in (g.get("problems") and {p.file for p in g.problems}) or ():
        if relative not in names and relative.endswith(".yaml") and (settings().school / relative).is_file():
            name = _name_in(settings().school / relative)
            if name:
                names[relative] = name
    return names


def _name_in(path) -> str | None:
    """The name in a record's text, read line by line: the record itself cannot be parsed."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:100_000]
    except OSError:
        return None
    found = {
        key: m.group(1).strip().strip("'\"")
        for key in ("legal_forename", "legal_surname", "name")
        if (m := re.search(rf"^\s*{key}:[ \t]*[\[{{'\"]*([^#\n{{}}\[\]]+)", text, re.M))
    }
    if "legal_forename" in found and "legal_surname" in found:
        return f"{found['legal_forename']} {found['legal_surname']}"
    return found.get("name")


def _relative(kind: str, record_id: str) -> str:
    if kind not in FOLDERS or (kind == "school") != (record_id == "settings"):
        abort(404)
    return "school.yaml" if kind == "school" else f"{kind}/{record_id}.yaml"


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _link(relative: str) -> str | None:
    if relative == "school.yaml":
        return url_for("repair.record", kind="school", record_id="settings")
    folder, _, name = relative.partition("/")
    stem = name.rsplit(".", 1)[0]
    return (
        url_for("repair.record", kind=folder, record_id=stem)
        if folder in FOLDERS and name.endswith(".yaml") and edit_views.edits.RECORD_ID.fullmatch(stem)
        else None
    )


@repair_pages.get("/repair")
def overview():
    names = _names()
    items = [
        {
            "title": _upper(wording.describe_file(file, names)),
            "link": None if all(p.message == LEFT_OUT for p in problems) else _link(file),
            "problems": [
                ("Line " + str(p.line) + ": " if p.line else "")
                + _upper(wording.sentence(f"{wording.key_words(p.key)}: {p.message}" if p.key else p.message, names))
                for p in problems
            ],
        }
        for file, problems in sorted(broken().items())
    ]
    return render_template("repair.html", items=items)


@repair_pages.route("/repair/<kind>/<record_id>", methods=["GET", "POST"])
def record(kind: str, record_id: str):
    relative = _relative(kind, record_id)
    path = settings().school / relative
    if not path.is_file():
        abort(404)
    names = _names()
    earlier = good_copies.kept(settings().out, relative)
    text = (
        request.form.get("text", "") if request.method == "POST" else path.read_text(encoding="utf-8", errors="replace")
    )
    if request.method == "POST" and request.form.get("restore") and earlier:
        text = earlier[0]
    problems = broken().get(relative, [])
    if request.method == "POST":
        text = text.replace("\r\n", "\n")
        found: list[Problem] = []

        def corrected(_: str | None) -> str | None:
            """Under the school's edit lock: the new text, if the record then reads without a problem."""
            found.extend(edit_views.space().problems_if(relative, text))
            return None if found else text

        try:
            saved = record_saving.save(settings().school, relative, None, corrected)
        except record_saving.SaveBusy as busy:
            found, saved = [Problem(relative, "", str(busy))], False
        if saved:
            flash(f"{_upper(wording.describe_file(relative, names))} can be read again.", "success")
            return redirect(url_for("repair.overview"))
        problems = found
    said = [
        (p.line, wording.sentence(f"{wording.key_words(p.key)}: {p.message}" if p.key else p.message, names))
        for p in problems
    ]
    return render_template(
        "repair_record.html",
        title=wording.describe_file(relative, names),
        text=text,
        problems=said,
        earlier=earlier[1] if earlier else None,
    ), 422 if request.method == "POST" else 200
