"""The saved scans of signed papers (a placement's agreement, a provider's returned Appendix 4), opened
from the form they were uploaded on.

A URL names a record by its id, never a path: the file is the one that record attaches, and only if
it is inside the school folder once links are followed. Anything else is not found. Scans hold
children's data: sent as a download, never kept by the browser or anything between.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from packgen.web.app import settings
from packgen.web.views import school_data

scan_pages = Blueprint("scans", __name__)


def _send(attached: str | None, download_name: str):
    if not attached:
        abort(404)
    school = settings().school.resolve()
    path = (school / attached).resolve()
    if not path.is_relative_to(school) or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=download_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@scan_pages.get("/pupils/<pupil_id>/agreement-scan.pdf")
def agreement(pupil_id: str):
    record = school_data().pupils.get(pupil_id)
    return _send(record.placement.agreement.evidence if record else None, f"signed-agreement-{pupil_id}.pdf")


@scan_pages.get("/providers/<provider_id>/appendix-4-scan.pdf")
def appendix_4(provider_id: str):
    provider = school_data().providers.get(provider_id)
    return _send(provider.assurance.evidence if provider else None, f"appendix-4-{provider_id}.pdf")
