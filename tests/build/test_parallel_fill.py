"""Filling many documents at once, in forked workers (packgen/build/parallel_fill.py)."""

from __future__ import annotations

import gc
import re
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest

from packgen.build.parallel_fill import fill_documents
from packgen.build.pipeline import DEFAULT_TEMPLATES
from packgen.documents import plan as documents
from packgen.documents.fill import Renderer
from packgen.errors import TemplateProblem
from packgen.records.read import load_school
from packgen.runtime.workers import PARALLEL_FROM
from tests.conftest import DEMO

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def jobs() -> list:
    data = load_school(DEMO)
    specs = [spec for pid in data.pupils for spec in documents.pupil_documents(data, pid, TODAY)]
    assert len(specs) >= 2 * PARALLEL_FROM  # enough to be shared among workers
    return specs


def parts(docx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(docx) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_documents_filled_by_workers_are_those_filled_one_by_one(jobs, tmp_path):
    together = [(spec.template, spec.context, tmp_path / "together" / f"{n}.docx") for n, spec in enumerate(jobs)]
    alone = [(spec.template, spec.context, tmp_path / "alone" / f"{n}.docx") for n, spec in enumerate(jobs)]
    reports = []
    fill_documents(
        Renderer(DEFAULT_TEMPLATES), together, workers=2, on_progress=lambda done, total: reports.append((done, total))
    )
    fill_documents(Renderer(DEFAULT_TEMPLATES), alone, workers=1)
    for (_, _, a), (_, _, b) in zip(together, alone):
        assert parts(a) == parts(b), a
        assert a.stat().st_mode & 0o777 == 0o600
    assert reports[-1] == (len(jobs), len(jobs))
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def test_a_template_that_fails_in_a_worker_is_named(jobs, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    for source in DEFAULT_TEMPLATES.iterdir():
        (templates / source.name).write_bytes(source.read_bytes())
    (templates / "visit.docx").write_bytes(b"not a Word document at all")
    work = [(spec.template, spec.context, tmp_path / "out" / f"{n}.docx") for n, spec in enumerate(jobs)]
    with pytest.raises(TemplateProblem, match=re.escape("visit.docx")):
        fill_documents(Renderer(templates), work, workers=2)


def test_from_a_threaded_program_documents_are_filled_all_the_same(jobs, tmp_path):
    work = [(spec.template, spec.context, tmp_path / f"{n}.docx") for n, spec in enumerate(jobs)]
    failures = []

    def fill() -> None:
        try:
            fill_documents(Renderer(DEFAULT_TEMPLATES), work, workers=2)
        except Exception as exc:  # reported below, where pytest sees it
            failures.append(exc)

    thread = threading.Thread(target=fill)  # as the web page's server builds packs
    thread.start()
    thread.join()
    assert failures == []
    assert all(destination.is_file() for _, _, destination in work)


def docx_objects() -> int:
    """python-docx's and docxtpl's objects alive or awaiting the cycle collector."""
    return sum(1 for obj in gc.get_objects() if str(getattr(type(obj), "__module__", "")).startswith("docx"))


def test_filling_in_one_process_leaves_no_documents_for_the_cycle_collector(jobs, tmp_path):
    # As in the web page's server, where nothing is forked, during a build, which runs the collector
    # seldom (collector.py): each filled document left its python-docx objects behind.
    renderer = Renderer(DEFAULT_TEMPLATES)
    same = [spec for spec in jobs if spec.template == jobs[0].template][:6]
    work = [(spec.template, spec.context, tmp_path / f"{n}.docx") for n, spec in enumerate(same)]
    fill_documents(renderer, work[:1], workers=1)  # reads the template, kept for the next
    gc.collect()
    gc.disable()
    try:
        before = docx_objects()
        fill_documents(renderer, work[1:], workers=1)
        left = docx_objects() - before
    finally:
        gc.enable()
    assert len(work) == 6 and left < 100
