"""The life of a placement as guided pages: start one, see what is still needed, end it, or move the pupil.

Every step ends on the placement's page, which says in words what an inspector would still find
missing (from the readiness rules) and links each gap to the form that fills it. Nothing here
writes a record itself except through the same checked saving as every form.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from packgen.documents import plan as documents
from packgen.mail.replies import status as reply_states
from packgen.readiness import rules as readiness
from packgen.readiness.rules import Finding
from packgen.records.models import PupilFile, SchoolData
from packgen.web import edit_views, edits, forms, placement_changes
from packgen.web.app import today
from packgen.web.views import school_data

placement_pages = Blueprint("placements", __name__)

# How serious a gap is, said as what to do about it.
URGENCY = {"critical": "Must be put right", "high": "Should be put right", "advisory": "Worth doing"}
# Which form fills the gap a rule finds: (endpoint, words on the link). Provider rules go to the provider.
FIX = {
    "R3": ("forms.edit_placement", "Add the plan, baseline and targets"),
    "R4": ("forms.add_review", "Record a review"),
    "R5": ("forms.add_visit", "Record a visit"),
    "R6": ("forms.edit_placement", "Complete the off-site direction"),
    "R7": ("forms.edit_placement", "Complete the part-time plan"),
    "R8": ("forms.edit_placement", "Correct the attendance code"),
    "R9": ("forms.edit_placement", "Record the absence and emergency arrangements"),
    "R10": ("forms.edit_placement", "Record the safeguarding contacts"),
    "R11": ("forms.edit_pupil", "Record the agencies involved"),
    "R12": ("forms.edit_placement", "Record the signed agreement"),
    "R13": ("forms.edit_placement", "Record the parent's consent"),
    "R15": ("forms.add_review", "Record the decision at a review"),
    "R16": ("forms.edit_pupil", "Correct the UPN"),
    "R18": ("forms.edit_placement", "Record when the local authority was told"),
    "R19": ("forms.edit_placement", "Record the direction notice"),
    "R20": ("forms.edit_reintegration", "Record the return to school and its dated steps"),
    "R22": ("forms.edit_placement", "Change the placement's hours"),
    "R1": ("forms.edit_provider", "Update the provider's registration"),
    "R2": ("forms.edit_provider", "Record the provider's staff-check reply"),
    "R14": ("forms.edit_provider", "Record the local authority approval"),
    "R21": ("forms.edit_provider", "Record whether it meets the national standards"),
}


@dataclass(frozen=True)
class Gap:
    """One thing still missing for inspection, in words, with where to put it right."""

    urgency: str
    severity: str
    message: str
    unsure: bool
    fix_url: str | None
    fix_words: str | None


def gaps(data: SchoolData, pupil_id: str) -> list[Gap]:
    """The pupil's findings and their provider's, worst first, each with the form that fills it."""
    provider_id = data.pupils[pupil_id].placement.provider
    found: list[Gap] = []
    for finding in readiness.assess(data, today()):
        if (finding.subject, finding.subject_id) not in (("pupil", pupil_id), ("provider", provider_id)):
            continue
        found.append(_gap(finding, pupil_id, provider_id))
    return found


def _gap(finding: Finding, pupil_id: str, provider_id: str) -> Gap:
    endpoint, words = FIX.get(finding.rule, (None, None))
    url = None
    if endpoint:
        url = (
            url_for(endpoint, provider_id=provider_id)
            if finding.subject == "provider"
            else url_for(endpoint, pupil_id=pupil_id)
        )
    return Gap(URGENCY[finding.severity], finding.severity, finding.message, finding.status == "unknown", url, words)


def _pupil(pupil_id: str) -> tuple[SchoolData, PupilFile]:
    data = school_data()
    if pupil_id not in data.pupils:
        abort(404)
    return data, data.pupils[pupil_id]


@placement_pages.get("/placements/new")
def start():
    """Where a new placement begins: a pupil new to alternative provision, or one moving provider."""
    data = school_data()
    pupils = sorted(((pid, documents.display_name(r)) for pid, r in data.pupils.items()), key=lambda p: p[1].casefold())
    providers = sorted(data.providers.values(), key=lambda p: p.name.casefold())
    return render_template("placement_start.html", pupils=pupils, providers=providers)


@placement_pages.post("/placements/new")
def start_for_pupil():
    pupil_id = request.form.get("pupil", "")
    if pupil_id not in school_data().pupils:
        flash("Choose the pupil who is moving.", "error")
        return redirect(url_for(".start"))
    return redirect(url_for(".move", pupil_id=pupil_id))


@placement_pages.get("/pupils/<pupil_id>/steps")
def steps(pupil_id: str):
    """The placement from start to end: what is done, what is still needed, the history."""
    data, record = _pupil(pupil_id)
    placement = record.placement
    provider = data.providers[placement.provider]
    state = next(s for s in reply_states(data, today()) if s.provider_id == placement.provider)
    agreement = next((d for d in documents.pupil_documents(data, pupil_id, today()) if d.folder == "agreements"), None)
    return render_template(
        "placement_steps.html",
        pupil_id=pupil_id,
        record=record,
        name=documents.display_name(record),
        placement=placement,
        provider=provider,
        provider_id=placement.provider,
        assurance=state,
        agreement=agreement,
        gaps=gaps(data, pupil_id),
        ended=placement.ended_by(today()),
        providers={pid: p.name for pid, p in data.providers.items()},
    )


@placement_pages.route("/pupils/<pupil_id>/end", methods=["GET", "POST"])
def end(pupil_id: str):
    _, record = _pupil(pupil_id)
    if record.placement.ended:
        flash("This placement has already ended.", "info")
        return redirect(url_for(".steps", pupil_id=pupil_id))
    spec = placement_changes.end_form(edit_views.words())
    back, name, relative = (
        url_for(".steps", pupil_id=pupil_id),
        documents.display_name(record),
        f"pupils/{pupil_id}.yaml",
    )
    if request.method == "GET":  # the record has no end yet: an empty form, with the file's version
        version = edits.form_values(edit_views.space(), relative, spec)[1]
        return edit_views.show(spec, {}, version=version, back=back, name=name)
    values = forms.raw_values(spec, request.form)
    version = request.form.get("version", "")
    outcome = edits.save(
        edit_views.space(), relative, PupilFile, spec, values, version=version, prefix=("placement", "ended")
    )
    if not outcome.saved:
        return edit_views.show(spec, values, outcome, relative, version=version, back=back, name=name)
    flash("The placement has ended. It stays in the pupil's record.", "success")
    return redirect(back)


@placement_pages.route("/pupils/<pupil_id>/move", methods=["GET", "POST"])
def move(pupil_id: str):
    data, record = _pupil(pupil_id)
    others = {
        pid: p.name
        for pid, p in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold())
        if pid != record.placement.provider
    }
    spec = placement_changes.move_form(others, edit_views.words())
    back, name = url_for(".steps", pupil_id=pupil_id), documents.display_name(record)
    relative = f"pupils/{pupil_id}.yaml"
    if request.method == "GET":
        version = edits.form_values(edit_views.space(), relative, spec)[1]
        return edit_views.show(spec, {}, version=version, back=back, name=name)
    values = forms.raw_values(spec, request.form)
    version = request.form.get("version", "")
    outcome = placement_changes.move_placement(edit_views.space(), pupil_id, spec, values, version)
    if not outcome.saved:
        return edit_views.show(spec, values, outcome, relative, version=version, back=back, name=name)
    flash(f"{name} has moved provider. Next, fill in the new placement: timetable, agreement and consent.", "success")
    return redirect(back)
