"""Every field a record can hold has a place on a form, so nobody needs to open a record file.

Walks the record models (a pupil, a provider, the school) down to their plain values and looks for
each among the key paths the page's forms write. A field added to a model without a form fails here.
"""

from __future__ import annotations

from pydantic import BaseModel

from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.school_file import SchoolFile
from packgen.web import entry_forms, placement_changes, provider_forms, pupil_forms
from packgen.web.forms import FormSpec, Rows
from packgen.web.record_text import field_model

# Not on a form, each for a reason an office user would accept:
NOT_ON_A_FORM = {
    # The school census's reason codes for a placement are not published yet (codes/census.yaml has
    # none), so the only value the record accepts today is none; the census return uses the category.
    ("placement", "census_reason"),
    # Set by the row a form shows it on (target 1, 2...), never typed.
    ("reviews", "progress", "target"),
    ("visits", "progress", "target"),
    # An evaluation's free-form judgements under headings a school chooses; its notes say the same.
    ("qa_visits", "judgements"),
}


def leaves(model: type[BaseModel], prefix: tuple = ()) -> list[tuple]:
    found = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        inner = field_model(model, key)
        found += leaves(inner, prefix + (key,)) if inner else [prefix + (key,)]
    return found


def written(spec: FormSpec, prefix: tuple = ()) -> set[tuple]:
    paths = set()
    for section in spec.sections:
        for item in section.items:
            if isinstance(item, Rows):
                paths |= {prefix + item.path + f.path for f in item.fields}
            else:
                paths.add(prefix + item.path)
    return paths


def test_every_field_of_a_pupil_record_has_a_form():
    on_forms = (
        written(pupil_forms.pupil_details_form({}), ("pupil",))
        | written(pupil_forms.placement_form({}, {}, {}), ("placement",))
        | written(entry_forms.reintegration_form(1), ("placement",))
        | written(placement_changes.end_form({}), ("placement", "ended"))
        | written(entry_forms.review_form([], {}), ("reviews",))
        | written(entry_forms.visit_form([], {}), ("visits",))
        | written(entry_forms.attendance_form(1))
    )
    # Earlier placements are the current one's fields, filed when a pupil moves or starts again.
    fields = [p for p in leaves(PupilFile) if p[0] != "past_placements"]
    assert [p for p in fields if p not in on_forms and p not in NOT_ON_A_FORM] == []


def test_every_field_of_a_provider_and_the_school_has_a_form():
    provider = written(provider_forms.provider_form({})) | written(entry_forms.evaluation_form({}), ("qa_visits",))
    assert [p for p in leaves(Provider) if p not in provider and p not in NOT_ON_A_FORM] == []
    school = written(provider_forms.school_form({}, {}))
    assert [p for p in leaves(SchoolFile) if p not in school and p not in NOT_ON_A_FORM] == []
