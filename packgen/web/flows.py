"""The life of a placement as guided pages: start one, see what is still needed, end it (or reopen one
ended by mistake), or move the pupil (or undo a move made by mistake).

Every step ends on the placement's page, which says in words what an inspector would still find
missing (from the readiness rules) and links each gap to the form that fills it. Nothing here
writes a record itself except through the same checked saving as every form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from packgen.documents import plan as documents
from packgen.mail.replies import status as reply_states
from packgen.readiness import rules as readiness
from packgen.readiness.rules import Finding
from packgen.records.pupil_file import PupilFile
from packgen.records.school_data import SchoolData
from packgen.web import edit_views, edits, forms, placement_changes, record_saving
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
def start(unchosen: str = ""):
    """Where a new placement begins: a pupil new to alternative provision, one the school has a record of
    but no placement for now, or one moving provider. ``unchosen``: the list a pupil was not chosen from."""
    data = school_data()
    named = lambda ids: sorted(  # noqa: E731
        ((pid, documents.display_name(data.pupils.get(pid) or data.unplaced[pid])) for pid in ids),
        key=lambda p: p[1].casefold(),
    )
    providers = sorted(data.providers.values(), key=lambda p: p.name.casefold())
    page = render_template(
        "placement_start.html",
        moving=named(pid for pid, r in data.pupils.items() if not r.placement.ended),
        starting=named(pid for pid in [*data.unplaced, *data.pupils] if edit_views.can_start(data, pid)),
        providers=providers,
        unchosen=unchosen,
    )
    return page, 422 if unchosen else 200


@placement_pages.post("/placements/new")
def start_for_pupil():
    """One of two lists, each its own field: a pupil with no placement now, or one moving provider."""
    data = school_data()
    if "pupil-starting" in request.form:
        pupil_id = request.form["pupil-starting"]
        if edit_views.can_start(data, pupil_id):
            return redirect(url_for(".choose_provider", pupil_id=pupil_id))
        return start("pupil-starting")
    pupil_id = request.form.get("pupil", "")
    if pupil_id not in data.pupils:
        return start("pupil")
    return redirect(url_for(".move", pupil_id=pupil_id))


def _starting(pupil_id: str) -> tuple[SchoolData, str]:
    """The school and the pupil's name, for a pupil a placement can be started for now."""
    data = school_data()
    record = data.unplaced.get(pupil_id) or data.pupils.get(pupil_id)
    if record is None:
        abort(404)
    if not edit_views.can_start(data, pupil_id):
        provider = data.providers[data.pupils[pupil_id].placement.provider].name
        flash(f"This pupil's placement at {provider} is going on now. To change provider, move the pupil.", "info")
        abort(redirect(url_for(".steps", pupil_id=pupil_id)))
    return data, documents.display_name(record)


@placement_pages.route("/pupils/<pupil_id>/placement/start", methods=["GET", "POST"])
def choose_provider(pupil_id: str):
    """Step one of starting a placement: the provider, from the list or added first."""
    data, name = _starting(pupil_id)
    providers = sorted(((pid, p.name) for pid, p in data.providers.items()), key=lambda p: p[1].casefold())
    error = ""
    if request.method == "POST":
        chosen = request.form.get("provider", "")
        if chosen == "new":
            return redirect(url_for("forms.add_provider", for_pupil=pupil_id))
        if chosen in data.providers:
            return redirect(url_for(".new_placement", pupil_id=pupil_id, provider=chosen))
        error = "Choose the provider, or say it is not on the list yet"
    page = render_template(
        "choose_provider.html",
        pupil_id=pupil_id,
        name=name,
        providers=providers,
        error=error,
        back=url_for("pages.pupil", pupil_id=pupil_id),
    )
    return page, 422 if error else 200


@placement_pages.route("/pupils/<pupil_id>/placement/new", methods=["GET", "POST"])
def new_placement(pupil_id: str):
    """Step two: where, when and how many hours. Saved, the agreement is ready to print and sign."""
    data, name = _starting(pupil_id)
    providers = {pid: p.name for pid, p in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold())}
    spec = placement_changes.start_form(providers, edit_views.words())
    back, relative = url_for(".choose_provider", pupil_id=pupil_id), f"pupils/{pupil_id}.yaml"
    if request.method == "GET":
        version = record_saving.opened(edit_views.space().file(relative))[2]
        chosen = request.args.get("provider", "")
        values = {"provider": chosen} if chosen in providers else {}
        return edit_views.show(spec, values, version=version, back=back, name=name)
    values = forms.raw_values(spec, request.form)
    version = request.form.get("version", "")
    outcome = placement_changes.start_placement(edit_views.space(), pupil_id, spec, values, version)
    if not outcome.saved:
        return edit_views.show(spec, values, outcome, relative, version=version, back=back, name=name)
    flash(
        f"The placement at {providers[values['provider']]} is recorded. Next, download the agreement, print it and "
        "have it signed.",
        "success",
    )
    return redirect(url_for(".steps", pupil_id=pupil_id))


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
        moved_from=placement_changes.moved_from(record),
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


@placement_pages.route("/pupils/<pupil_id>/reopen", methods=["GET", "POST"])
def reopen(pupil_id: str):
    """A placement ended by mistake, open again once the user has seen what is taken away."""
    data, record = _pupil(pupil_id)
    if not record.placement.ended:
        flash("This placement has not ended, so there is nothing to reopen.", "info")
        return redirect(url_for(".steps", pupil_id=pupil_id))
    done, errors = _confirmed(
        pupil_id, placement_changes.reopen, "The placement is open again: it no longer shows as ended.", "the placement"
    )
    return done or _confirmation(
        "reopen.html",
        pupil_id,
        errors,
        name=documents.display_name(record),
        placement=record.placement,
        provider=data.providers[record.placement.provider].name,
    )


@placement_pages.route("/pupils/<pupil_id>/undo-move", methods=["GET", "POST"])
def undo_move(pupil_id: str):
    """A move made by mistake, undone once the user has seen what is taken away and what goes on again."""
    data, record = _pupil(pupil_id)
    earlier = placement_changes.moved_from(record)
    if earlier is None:
        flash("This placement did not begin with a move, so there is no move to undo.", "info")
        return redirect(url_for(".steps", pupil_id=pupil_id))
    earlier_provider = data.providers[earlier.provider].name
    done, errors = _confirmed(
        pupil_id,
        placement_changes.undo_move,
        f"The move is undone: the placement at {earlier_provider} is going on again.",
        "the placements",
    )
    return done or _confirmation(
        "undo_move.html",
        pupil_id,
        errors,
        name=documents.display_name(record),
        placement=record.placement,
        provider=data.providers[record.placement.provider].name,
        earlier=earlier,
        earlier_provider=earlier_provider,
    )


def _confirmed(
    pupil_id: str, change: Callable[[edits.Workspace, str, str], edits.Outcome], done: str, what: str
) -> tuple[Response | None, list[str]]:
    """A change to the pupil's record confirmed on its own page: once made, back to the placement's page
    saying ``done``; refused, why (for the page to show again). Nothing when the page is only looked at."""
    if request.method != "POST":
        return None, []
    outcome = change(edit_views.space(), pupil_id, request.form.get("version", ""))
    if outcome.saved:
        flash(done, "success")
        return redirect(url_for(".steps", pupil_id=pupil_id)), []
    if outcome.stale:
        return None, [
            "Someone changed this pupil's record since you opened this page, so nothing was changed. "
            f"Check {what} below again, then confirm."
        ]
    return None, [p.message for p in outcome.general]


def _confirmation(template: str, pupil_id: str, errors: list[str], **shown: object) -> tuple[str, int]:
    """The page asking to confirm a change, with the record's version as it is now."""
    version = record_saving.opened(edit_views.space().file(f"pupils/{pupil_id}.yaml"))[2]
    page = render_template(template, version=version, errors=errors, back=url_for(".steps", pupil_id=pupil_id), **shown)
    return page, 409 if errors else 200


@placement_pages.route("/pupils/<pupil_id>/move", methods=["GET", "POST"])
def move(pupil_id: str):
    data, record = _pupil(pupil_id)
    if record.placement.ended:
        flash("This placement has ended already: start a new placement with the other provider.", "info")
        return redirect(url_for(".choose_provider", pupil_id=pupil_id))
    others = {
        pid: p.name
        for pid, p in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold())
        if pid != record.placement.provider
    }
    leaving = data.providers[record.placement.provider].name
    spec = placement_changes.move_form(others, edit_views.words(), leaving)
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
