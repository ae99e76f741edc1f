"""The record form pages: a pupil's details, placement, reviews, visits and attendance; providers.

Each shows its form; on sending, ``edits`` checks the candidate record with the loader. Problems
come back beside their fields in plain words with everything typed kept; a record that loads is
saved and the record's page shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from packgen.errors import Problem
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile, UnplacedPupilFile, display_name
from packgen.records.school_data import SchoolData
from packgen.web import edits, entry_forms, forms, provider_forms, pupil_forms, record_saving, wording
from packgen.web.app import settings
from packgen.web.school import kept_school
from packgen.web.views import school_data

form_pages = Blueprint("forms", __name__)
MAX_SCAN_BYTES = 20_000_000


def space() -> edits.Workspace:
    return edits.Workspace(settings().school, kept_school().records)


def words() -> dict[str, str]:
    return current_app.extensions["packgen_words"].labels


def can_start(data: SchoolData, pupil_id: str) -> bool:
    """Whether a placement can be started for the pupil now: one made from the school's information
    system has none yet, and one whose placement has ended can start another."""
    record = data.pupils.get(pupil_id)
    return pupil_id in data.unplaced or (record is not None and record.placement.ended is not None)


def record_names() -> dict[str, str]:
    """Each healthy record file's name as people say it, to put problems into words."""
    data = school_data()
    return {f"pupils/{pid}.yaml": display_name(r) for pid, r in data.pupils.items()} | {
        f"providers/{pid}.yaml": p.name for pid, p in data.providers.items()
    }


def show(
    spec: forms.FormSpec, values: Mapping[str, str], outcome: edits.Outcome | None = None, here: str = "", **context
):
    """The form, with each problem in words beside its field and all of them in the summary at the top."""
    errors: dict[str, list[str]] = {}
    if outcome and outcome.stale:
        errors[""] = [str(record_saving.StaleEdit())]
    if outcome and not outcome.stale:
        names, fields = record_names(), dict(spec.fields())
        for name, _ in spec.fields():  # in form order, so the summary reads top to bottom
            for problem in outcome.beside.get(name, []):
                errors.setdefault(name, []).append(wording.beside(problem, fields[name], names, {}))
        if outcome.general:
            errors[""] = [wording.general(p, names, here=here) for p in outcome.general]
    status = 422 if outcome and not outcome.saved else 200
    return render_template(
        "form.html",
        spec=spec,
        values=values,
        labels=spec.labels(),
        focus=spec.focus(),
        errors=errors,
        multipart=any(f.kind == "file" for _, f in spec.fields()),
        **context,
    ), status


def uploads(spec: forms.FormSpec, stem: str, relative: str) -> tuple[tuple[edits.Upload, ...], list[Problem]]:
    found, problems = [], []
    for name, item in spec.fields():
        sent = request.files.get(name)
        if item.kind != "file" or not item.path or not sent or not sent.filename:
            continue
        data = sent.read(MAX_SCAN_BYTES + 1)
        if len(data) > MAX_SCAN_BYTES:
            problems.append(Problem(relative, "", f"{item.label}: the file is over 20 MB; save a smaller copy"))
            continue
        found.append(edits.Upload(name, item.path, data, stem))
    return tuple(found), problems


def edit(
    spec: forms.FormSpec,
    relative: str,
    model: type,
    back: str,
    *,
    prefix: tuple = (),
    append_to=None,
    done: str = "Saved.",
    name: str = "",
    stem: str = "scan",
    after: Callable[[], str] | None = None,
    title: str = "",
    **context,
):
    """One form page over one record: GET shows it filled in, POST saves it or shows why not. ``context``
    goes to the page as it is (the links to saved scans, a provider's evaluations)."""
    context |= {"back": back, "name": name, "title": title}
    new = append_to is None and not (settings().school / relative).exists()
    if request.method == "GET":
        # An entry added to a list needs no version: it goes on the end of the record as it is then.
        values, version = ({}, "") if new or append_to else edits.form_values(space(), relative, spec, prefix)
        return show(spec, values, version=version, **context)
    values = forms.raw_values(spec, request.form)
    sent_version: str | None = record_saving.NEW if new else None if append_to else request.form.get("version", "")
    sent, too_big = uploads(spec, stem, relative)
    if too_big:
        return show(spec, values, edits.Outcome(False, general=too_big), relative, version=sent_version, **context)
    outcome = edits.save(
        space(), relative, model, spec, values, version=sent_version, prefix=prefix, append_to=append_to, uploads=sent
    )
    if not outcome.saved:
        return show(spec, values, outcome, relative, version=sent_version, **context)
    flash(done, "success")
    return redirect(after() if after else back)


# ---------------------------------------------------------------- pupils


def _pupil(pupil_id: str) -> PupilFile:
    data = school_data()
    if pupil_id not in data.pupils:
        abort(404)
    return data.pupils[pupil_id]


def _providers() -> dict[str, str]:
    return {pid: p.name for pid, p in sorted(school_data().providers.items(), key=lambda kv: kv[1].name.casefold())}


def _ids_on_disk(folder: str) -> set[str]:
    """Every record's id in a folder, healthy or not: a pupil not placed yet, or a file broken by hand,
    still holds its name."""
    return {path.stem for path in (settings().school / folder).glob("*.yaml")}


def _count(values: list, name: str) -> int:
    """Rows to show: those in the record, or as many as were sent back."""
    sent = {key.split("-")[1] for key in request.form if key.startswith(name + "-") and key.count("-") >= 2}
    return max(len(values), len(sent) - 1 if sent else 0)


@form_pages.route("/pupils/new", methods=["GET", "POST"])
def add_pupil():
    pupil_id = edits.new_id(_ids_on_disk("pupils"), "p")
    spec = pupil_forms.new_pupil_form(_providers(), words())
    return edit(
        spec,
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        url_for("pages.pupils"),
        done="Pupil added.",
        after=lambda: url_for("pages.pupil", pupil_id=pupil_id),
    )


@form_pages.route("/pupils/<pupil_id>/details", methods=["GET", "POST"])
def edit_pupil(pupil_id: str):
    # A pupil made from the school's MIS has details before any placement: those can be kept too.
    unplaced = school_data().unplaced.get(pupil_id)
    record: PupilFile | UnplacedPupilFile = unplaced or _pupil(pupil_id)
    counts = {
        "parent_carers": _count(record.pupil.parent_carers, "parents"),
        "emergency_contacts": _count(record.pupil.emergency_contacts, "emergency"),
    }
    return edit(
        pupil_forms.pupil_details_form(counts),
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        url_for("pages.pupils") + "#not-placed" if unplaced else url_for("pages.pupil", pupil_id=pupil_id),
        prefix=("pupil",),
        done="Pupil details saved.",
        name=display_name(record),
    )


@form_pages.route("/pupils/<pupil_id>/placement", methods=["GET", "POST"])
def edit_placement(pupil_id: str):
    record = _pupil(pupil_id)
    placement = record.placement
    counts = {"sessions": _count(placement.sessions, "sessions"), "targets": _count(placement.targets, "targets")}
    scan = url_for("scans.agreement", pupil_id=pupil_id) if placement.agreement.evidence else None
    return edit(
        pupil_forms.placement_form(_providers(), words(), counts, bool(scan)),
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        url_for("pages.pupil", pupil_id=pupil_id),
        prefix=("placement",),
        done="Placement saved.",
        name=display_name(record),
        stem=f"agreement-{pupil_id}",
        scans={"agreement_scan": scan},
        links={"reintegration": url_for("forms.edit_reintegration", pupil_id=pupil_id)},
    )


# Entries added one at a time to a list in a record: a pupil's reviews and visits, a provider's quality
# evaluations. Each has one page to add one and one page per entry to change it, in the same shape.
ENTRIES = {
    "reviews": (entry_forms.review_form, "Review"),
    "visits": (entry_forms.visit_form, "Visit"),
}


def entry(
    spec: forms.FormSpec,
    relative: str,
    model: type,
    key: str,
    count: int,
    number: int | None,
    back: str,
    noun: str,
    name: str,
):
    """Add an entry to the list ``key`` (``number`` None), or change entry ``number`` (counted from 1)."""
    if number is None:
        return edit(spec, relative, model, back, append_to=key, done=f"{noun} added.", name=name)
    if not 1 <= number <= count:
        abort(404)
    return edit(spec, relative, model, back, prefix=(key, number - 1), done=f"{noun} saved.", name=name)


def pupil_entry(pupil_id: str, kind: str, number: int | None = None):
    record = _pupil(pupil_id)
    make, noun = ENTRIES[kind]
    targets = [t.text for t in record.placement.targets]
    spec = make(targets, words()) if number is None else make(targets, words(), noun)
    back = url_for("pages.pupil", pupil_id=pupil_id)
    entries = getattr(record, kind)
    return entry(
        spec, f"pupils/{pupil_id}.yaml", PupilFile, kind, len(entries), number, back, noun, display_name(record)
    )


for _kind, _noun in (("reviews", "review"), ("visits", "visit")):
    form_pages.add_url_rule(
        f"/pupils/<pupil_id>/{_kind}/new",
        f"add_{_noun}",
        pupil_entry,
        defaults={"kind": _kind},
        methods=["GET", "POST"],
    )
    form_pages.add_url_rule(
        f"/pupils/<pupil_id>/{_kind}/<int:number>",
        f"edit_{_noun}",
        pupil_entry,
        defaults={"kind": _kind},
        methods=["GET", "POST"],
    )


@form_pages.route("/pupils/<pupil_id>/reintegration", methods=["GET", "POST"])
def edit_reintegration(pupil_id: str):
    record = _pupil(pupil_id)
    return edit(
        entry_forms.reintegration_form(_count(record.placement.reintegration_timeline, "steps")),
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        url_for("pages.pupil", pupil_id=pupil_id),
        prefix=("placement",),
        done="Return to school plan saved.",
        name=display_name(record),
    )


@form_pages.route("/pupils/<pupil_id>/attendance", methods=["GET", "POST"])
def edit_attendance(pupil_id: str):
    record = _pupil(pupil_id)
    spec = entry_forms.attendance_form(_count(record.attendance, "periods"))
    return edit(
        spec,
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        url_for("pages.pupil", pupil_id=pupil_id),
        done="Attendance saved.",
        name=display_name(record),
    )


# ---------------------------------------------------------------- providers


@form_pages.route("/providers/new", methods=["GET", "POST"])
def add_provider():
    """A new provider; added while starting a pupil's placement (``?for_pupil=p19``), the placement comes next."""
    data = school_data()
    provider_id = edits.new_id(_ids_on_disk("providers"), request.form.get("name", "") or "provider")
    spec = provider_forms.provider_form(words())
    pupil_id = request.args.get("for_pupil", "")
    starting = can_start(data, pupil_id)
    return edit(
        spec,
        f"providers/{provider_id}.yaml",
        Provider,
        url_for("placements.choose_provider", pupil_id=pupil_id) if starting else url_for("pages.providers"),
        done="Provider added.",
        stem=f"{provider_id}-appendix-4",
        title="Add a provider",
        after=(lambda: url_for("placements.new_placement", pupil_id=pupil_id, provider=provider_id))
        if starting
        else None,
    )


@form_pages.route("/providers/<provider_id>/edit", methods=["GET", "POST"])
def edit_provider(provider_id: str):
    provider = school_data().providers.get(provider_id)
    if provider is None:
        abort(404)
    scan = url_for("scans.appendix_4", provider_id=provider_id) if provider.assurance.evidence else None
    return edit(
        provider_forms.provider_form(words(), bool(scan)),
        f"providers/{provider_id}.yaml",
        Provider,
        url_for("pages.providers"),
        done="Provider saved.",
        name=provider.name,
        stem=f"{provider_id}-appendix-4",
        scans={"assurance_scan": scan},
        evaluations=list(enumerate(provider.qa_visits, start=1)),
        provider_id=provider_id,
    )
