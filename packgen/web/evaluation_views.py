"""A provider's quality evaluations: listed on the provider's page, each added, changed or removed on
its own page, as a pupil's reviews and visits are.

Removing asks first, on a page of its own; the record must still load without the evaluation, and a
record someone changed since the page was opened is left alone.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from packgen.records.provider_file import Provider
from packgen.web import edit_views, edits, entry_forms, record_saving, wording
from packgen.web.views import school_data

evaluation_pages = Blueprint("evaluations", __name__)


def _provider(provider_id: str) -> Provider:
    provider = school_data().providers.get(provider_id)
    if provider is None:
        abort(404)
    return provider


def _back(provider_id: str) -> str:
    return url_for("forms.edit_provider", provider_id=provider_id) + "#evaluations"


@evaluation_pages.route("/providers/<provider_id>/evaluations/new", methods=["GET", "POST"])
@evaluation_pages.route("/providers/<provider_id>/evaluations/<int:number>", methods=["GET", "POST"])
def evaluation(provider_id: str, number: int | None = None):
    provider = _provider(provider_id)
    spec = entry_forms.evaluation_form(edit_views.words(), *(() if number is None else ("Quality evaluation",)))
    return edit_views.entry(
        spec,
        f"providers/{provider_id}.yaml",
        Provider,
        "qa_visits",
        len(provider.qa_visits),
        number,
        _back(provider_id),
        "Quality evaluation",
        provider.name,
    )


@evaluation_pages.route("/providers/<provider_id>/evaluations/<int:number>/remove", methods=["GET", "POST"])
def remove(provider_id: str, number: int):
    provider = _provider(provider_id)
    if not 1 <= number <= len(provider.qa_visits):
        abort(404)
    relative = f"providers/{provider_id}.yaml"
    space = edit_views.space()
    problems: list[str] = []
    if request.method == "POST":
        outcome = edits.remove(space, relative, "qa_visits", number - 1, request.form.get("version", ""))
        if outcome.saved:
            flash("Quality evaluation removed.", "success")
            return redirect(_back(provider_id))
        names = edit_views.record_names()
        problems = (
            [str(record_saving.StaleEdit())]
            if outcome.stale
            else [wording.general(p, names, here=relative) for p in outcome.general]
        )
    version = record_saving.opened(space.file(relative))[2]
    return render_template(
        "remove_evaluation.html",
        provider=provider,
        provider_id=provider_id,
        number=number,
        visit=provider.qa_visits[number - 1],
        version=version,
        problems=problems,
        back=_back(provider_id),
    ), (409 if problems else 200)
