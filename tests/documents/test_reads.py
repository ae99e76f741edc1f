"""Which data a template reads (reads.py), and that a key of only those reads never hides a change.

The unit tests parse small Jinja sources. The soundness tests edit the mini school's records one
value at a time, as office staff would, and check every document of the pack: where its key stayed
the same although its data changed, filling it must give exactly the same document.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from packgen.build.cache import Keys
from packgen.build.pipeline import DEFAULT_TEMPLATES
from packgen.build.planning import PackOptions, plan_pack
from packgen.documents import fill as render
from packgen.documents import reads
from packgen.documents.fill import Renderer
from packgen.errors import DataError
from packgen.records.read import load_school
from packgen.runtime.canonical import canonical
from tests.conftest import DEMO, MINI

NOW = datetime(2026, 9, 2, 9, 30)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES)


def reads_in(renderer: Renderer, *sources: str):
    return reads.reads_of(renderer.environment.parse(source) for source in sources)


# ---------------------------------------------------------------- what a source reads


def test_a_read_follows_attributes_and_fixed_items(renderer):
    assert reads_in(renderer, "{{ pupil.name }} {{ placement.reviews[0].date }} {{ counts['lac'] }}") == [
        ("counts", ("item", "lac")),
        ("placement", ("attr", "reviews"), ("item", 0), ("attr", "date")),
        ("pupil", ("attr", "name")),
    ]


def test_what_is_looped_over_filtered_tested_or_assigned_counts_whole(renderer):
    found = reads_in(
        renderer,
        "{% for r in placement.reviews %}{{ r.date }}{% endfor %}",
        "{{ staff.dsl|contact }}",
        "{% if provider.address is defined %}{% endif %}",
        "{% set p = pupil %}{{ p.upn }}",
        "{{ rows[index] }}",
        "{{ visit.outcome(1) }}",
    )
    assert ("placement", ("attr", "reviews")) in found
    assert ("staff", ("attr", "dsl")) in found
    assert ("provider", ("attr", "address")) in found
    assert ("pupil",) in found
    assert ("rows",) in found and ("index",) in found
    assert ("visit", ("attr", "outcome")) in found


def test_a_source_that_could_reach_data_another_way_counts_the_whole_context(renderer):
    assert reads_in(renderer, "{{ pupil.name }}", "{% include 'other.xml' %}") is None
    assert reads_in(renderer, "{% import 'macros.xml' as m %}") is None


def test_a_value_is_found_as_jinja_finds_it(renderer):
    environment = renderer.environment
    context = {"counts": {"lac": 2}, "rows": [], "pupil": load_school(MINI).pupils["p01"].pupil}
    assert reads.value_at(environment, context, ("counts", ("attr", "lac"))) == 2  # a.b falls back to a["b"]
    assert reads.value_at(environment, context, ("pupil", ("attr", "upn"))) == context["pupil"].upn
    assert reads.value_at(environment, context, ("rows", ("item", 0))) == {"$undefined": True}
    assert reads.value_at(environment, context, ("missing",)) == {"$undefined": True}
    # What the sandbox refuses is found as nothing too, as the template would find it.
    assert reads.value_at(environment, context, ("pupil", ("attr", "__class__"))) == {"$undefined": True}


def test_every_template_has_known_reads_and_keeps_them_once_filled(renderer, tmp_path):
    for template in sorted(p.name for p in DEFAULT_TEMPLATES.glob("*.docx")):
        found = renderer.reads(template)
        assert found, template  # None would key its documents by everything they are given
    # Filling compiles only the sources the reads were worked out from (render.jinja_sources), so
    # none of them falls back to its whole context.
    one_of_each = {spec.template: spec for spec in plan(DEMO).specs}
    assert len(one_of_each) >= 10
    for template, spec in one_of_each.items():
        renderer.render(template, spec.context, tmp_path / template)
        assert renderer.reads(template), template


# ---------------------------------------------------------------- keys of reads never hide a change


def leaves(node, path=()):
    """Every scalar in a YAML record, by its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, path + (index,))
    else:
        yield path, node


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, (date, datetime)):
        return value + timedelta(days=1)
    if isinstance(value, str):
        return value + " Zq"
    return None


def with_value(record, path, value):
    record = yaml.safe_load(yaml.safe_dump(record))
    node = record
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return record


def filled(renderer: Renderer, spec, folder: Path) -> dict[str, bytes]:
    docx = renderer.render(spec.template, spec.context, folder / f"{spec.stem.replace('/', '-')}.docx")
    with zipfile.ZipFile(docx) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def plan(school: Path):
    return plan_pack(load_school(school), school.parent / "out", NOW, NOW.date(), PackOptions())


@pytest.fixture
def school(tmp_path) -> Path:
    """The demo school with two pupils (its records are the fullest), to edit value by value."""
    school = tmp_path / "school"
    shutil.copytree(DEMO, school)
    for record in (school / "pupils").glob("*.yaml"):
        if record.name not in ("p01.yaml", "p04.yaml"):
            record.unlink()
    return school


@pytest.mark.slow
# Every n-th value of each record is edited: all of them would take a minute.
@pytest.mark.parametrize(
    "record, every",
    [
        ("pupils/p01.yaml", 3),
        ("pupils/p04.yaml", 5),
        ("providers/hart-and-field-vocational.yaml", 3),
        ("school.yaml", 4),
    ],
)
def test_a_document_whose_key_stays_the_same_after_an_edit_is_filled_exactly_as_before(school, tmp_path, record, every):
    renderer = Renderer(DEFAULT_TEMPLATES)
    keys = Keys(DEFAULT_TEMPLATES, data_read=renderer.data_read)
    before = {spec.stem: spec for spec in plan(school).specs}
    before_keys = {stem: keys.key(spec.template, spec.context) for stem, spec in before.items()}
    original = yaml.safe_load((school / record).read_text(encoding="utf-8"))
    fills: dict[str, dict[str, bytes]] = {}
    kept = checked = edits = 0
    for path, value in list(leaves(original))[::every]:
        new = changed(value)
        if new is None:
            continue
        (school / record).write_text(yaml.safe_dump(with_value(original, path, new), sort_keys=False), encoding="utf-8")
        try:
            after = plan(school).specs
        except DataError:
            continue  # an edit the records refuse (a date before another, say) makes no pack
        edits += 1
        for spec in after:
            if keys.key(spec.template, spec.context) != before_keys[spec.stem]:
                continue
            kept += 1
            if canonical(spec.context) == canonical(before[spec.stem].context):
                continue  # given the very same data: nothing to check
            # Given changed data, yet keyed the same: it must not print any of the change.
            checked += 1
            if spec.stem not in fills:
                fills[spec.stem] = filled(renderer, before[spec.stem], tmp_path / "before")
            assert filled(renderer, spec, tmp_path / "after") == fills[spec.stem], (record, path, spec.stem)
    assert edits >= 12 and checked >= 10 and kept > 0, (edits, checked, kept)


def test_filling_the_same_data_twice_gives_the_same_bytes(tmp_path):
    # What the soundness test above relies on when it compares two fills.
    renderer = Renderer(DEFAULT_TEMPLATES)
    for spec in plan(MINI).specs[:8]:
        assert filled(renderer, spec, tmp_path / "one") == filled(renderer, spec, tmp_path / "two"), spec.stem


# ---------------------------------------------------------------- filling holds to the sources read


def test_a_fill_that_compiles_a_source_the_reads_were_not_worked_out_from_keys_by_everything(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = next(s for s in plan(MINI).specs if s.template == "visit.docx")
    # As if docxtpl had begun to fill a part of the document jinja_sources does not know of.
    known = render.jinja_sources
    monkeypatch.setattr(render, "jinja_sources", lambda document: known(document)[:1])
    renderer = Renderer(DEFAULT_TEMPLATES)
    assert renderer.reads("visit.docx") is not None
    renderer.render(spec.template, spec.context, tmp_path / "visit.docx")
    # From now on (this run, and the next: it is kept) its documents are keyed by their whole context.
    assert renderer.reads("visit.docx") is None
    assert Renderer(DEFAULT_TEMPLATES).reads("visit.docx") is None
    monkeypatch.setattr(render, "jinja_sources", known)
    Renderer(DEFAULT_TEMPLATES).render(spec.template, spec.context, tmp_path / "visit.docx")
