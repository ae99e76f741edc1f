"""The form pages: add a pupil, add a review, add a visit, edit a placement.

Each shows its form; on sending, ``edits`` checks the candidate record with the loader. Problems
come back beside their fields with everything typed kept; a record that loads is saved and the
pupil's page shown.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from packgen.web import edits, forms
from packgen.web.app import settings
from packgen.records.models import display_name
from packgen.web.views import school_data

form_pages = Blueprint("forms", __name__)


def _space() -> edits.Workspace:
    # Scratch copies go under the school's private output folder: same disk as the output, never shared.
    return edits.Workspace(settings().school, settings().out / ".checking")


def _words() -> dict[str, str]:
    return current_app.extensions["packgen_words"].labels


def _providers() -> dict[str, str]:
    return {pid: p.name for pid, p in sorted(school_data().providers.items(), key=lambda kv: kv[1].name.casefold())}


def _targets(pupil_id: str) -> list[str]:
    data = school_data()
    if pupil_id not in data.pupils:
        abort(404)
    return [t.text for t in data.pupils[pupil_id].placement.targets]


def _name(pupil_id: str) -> str:
    return display_name(school_data().pupils[pupil_id])


def _show(spec: forms.FormSpec, values: dict[str, str], outcome: edits.Outcome | None = None, **context):
    status = 422 if outcome and not outcome.saved else 200
    return render_template("form.html", spec=spec, values=values, labels=spec.labels(),
                           beside=outcome.beside if outcome else {},
                           general=outcome.general if outcome else [], **context), status


@form_pages.route("/pupils/new", methods=["GET", "POST"])
def add_pupil():
    spec = forms.pupil_form(_providers(), _words())
    if request.method == "GET":
        taken = set(school_data().pupils)
        suggested = next(f"p{n:02d}" for n in range(1, 10_000) if f"p{n:02d}" not in taken)
        return _show(spec, {"pupil_id": suggested}, back=url_for("pages.pupils"))
    values = forms.raw_values(spec, request.form)
    outcome = edits.add_pupil(_space(), spec, values)
    if not outcome.saved:
        return _show(spec, values, outcome, back=url_for("pages.pupils"))
    pupil_id = values["pupil_id"].strip()
    flash(f"Pupil added: pupils/{pupil_id}.yaml.", "success")
    return redirect(url_for("pages.pupil", pupil_id=pupil_id))


@form_pages.route("/pupils/<pupil_id>/placement", methods=["GET", "POST"])
def edit_placement(pupil_id: str):
    _targets(pupil_id)
    spec = forms.placement_form(_providers(), _words())
    back = url_for("pages.pupil", pupil_id=pupil_id)
    if request.method == "GET":
        values, version = edits.placement_values(_space(), pupil_id, spec)
        return _show(spec, values, version=version, back=back, name=_name(pupil_id))
    values = forms.raw_values(spec, request.form)
    version = request.form.get("version", "")
    outcome = edits.edit_placement(_space(), pupil_id, spec, values, version)
    if not outcome.saved:
        return _show(spec, values, outcome, version=version, back=back, name=_name(pupil_id))
    flash("Placement saved.", "success")
    return redirect(back)


@form_pages.route("/pupils/<pupil_id>/reviews/new", methods=["GET", "POST"])
def add_review(pupil_id: str):
    return _add_entry(pupil_id, forms.review_form, edits.add_review, "Review added.")


@form_pages.route("/pupils/<pupil_id>/visits/new", methods=["GET", "POST"])
def add_visit(pupil_id: str):
    return _add_entry(pupil_id, forms.visit_form, edits.add_visit, "Visit added.")


def _add_entry(pupil_id: str, make_spec, save, done: str):
    spec = make_spec(_targets(pupil_id), _words())
    back = url_for("pages.pupil", pupil_id=pupil_id)
    if request.method == "GET":
        return _show(spec, {}, back=back, name=_name(pupil_id))
    values = forms.raw_values(spec, request.form)
    outcome = save(_space(), pupil_id, spec, values)
    if not outcome.saved:
        return _show(spec, values, outcome, back=back, name=_name(pupil_id))
    flash(done, "success")
    return redirect(back)
