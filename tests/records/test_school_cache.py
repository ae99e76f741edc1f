"""A school kept between loads gives what reading it afresh gives, whatever changed on disk in between."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from packgen.errors import DataError, InputError
from packgen.records.read import load_school
from packgen.records.school_cache import SchoolCache
from packgen.records.upn import check_letter
from tests.conftest import edit_record


def same_as_fresh(cache: SchoolCache, folder: Path):
    """``cache.load()``, checked against a fresh read: the same records, or the same problems."""
    try:
        fresh = load_school(folder)
    except DataError as error:
        with pytest.raises(DataError) as kept:
            cache.load()
        assert kept.value.problems == error.problems
        return None
    data = cache.load()
    assert data == fresh
    return data


def test_nothing_changed_reads_nothing_and_gives_the_same_school(demo_copy):
    cache = SchoolCache(demo_copy)
    first = same_as_fresh(cache, demo_copy)
    reads = cache.reads
    assert reads == 2 + len(first.pupils) + len(first.providers) - 1  # school.yaml, then every record once
    assert cache.load() is first
    assert cache.reads == reads


def test_a_file_edited_by_hand_is_read_again_alone(demo_copy):
    cache = SchoolCache(demo_copy)
    first = same_as_fresh(cache, demo_copy)
    reads = cache.reads
    edit_record(
        demo_copy / "pupils" / "p03.yaml",
        lambda r: r["placement"].update(transport="Taxi booked by the school, both ways."),
    )
    data = same_as_fresh(cache, demo_copy)
    assert data.pupils["p03"].placement.transport == "Taxi booked by the school, both ways."
    assert cache.reads == reads + 1
    assert data.pupils["p04"] is first.pupils["p04"]  # untouched records are the very same


def test_an_edit_keeping_size_and_time_is_still_seen(demo_copy):
    """Written in place within the same clock tick and the same length: the change time still moves."""
    cache = SchoolCache(demo_copy)
    same_as_fresh(cache, demo_copy)
    path = demo_copy / "school.yaml"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    name = load_school(demo_copy).school.school.name
    path.write_text(text.replace(name, name[::-1]), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert same_as_fresh(cache, demo_copy).school.school.name == name[::-1]


def test_a_record_added_or_removed_is_seen(demo_copy):
    cache = SchoolCache(demo_copy)
    same_as_fresh(cache, demo_copy)
    text = (demo_copy / "pupils" / "p01.yaml").read_text(encoding="utf-8")
    body = "999490000099"
    upn = re.sub(r"upn: *\S+", f"upn: {check_letter(body)}{body}", text, count=1)
    (demo_copy / "pupils" / "p99.yaml").write_text(upn, encoding="utf-8")
    assert "p99" in same_as_fresh(cache, demo_copy).pupils
    (demo_copy / "pupils" / "p99.yaml").unlink()
    assert "p99" not in same_as_fresh(cache, demo_copy).pupils


def test_a_broken_file_gives_its_problems_and_mending_it_gives_the_school_again(demo_copy):
    cache = SchoolCache(demo_copy)
    same_as_fresh(cache, demo_copy)
    path = demo_copy / "pupils" / "p02.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("start_date: 2026-", "start_date: 2026-13-", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"pupils/p02\.yaml.*placement\.start_date"):
        same_as_fresh(cache, demo_copy)
        cache.load()
    path.write_text("pupil: [unclosed\n", encoding="utf-8")
    same_as_fresh(cache, demo_copy)
    path.write_text(good, encoding="utf-8")
    assert "p02" in same_as_fresh(cache, demo_copy).pupils


def test_an_evidence_file_removed_or_put_back_is_seen_though_no_record_changed(demo_copy):
    cache = SchoolCache(demo_copy)
    same_as_fresh(cache, demo_copy)
    evidence = sorted((demo_copy / "evidence").glob("*.pdf"))
    named = [
        p
        for p in evidence
        if any(p.name in r.read_text(encoding="utf-8") for r in (demo_copy / "pupils").glob("*.yaml"))
    ]
    moved = named[0].rename(demo_copy / "elsewhere.pdf")
    with pytest.raises(DataError, match=re.escape(named[0].name)):
        same_as_fresh(cache, demo_copy)
        cache.load()
    moved.rename(named[0])
    same_as_fresh(cache, demo_copy)


def test_a_folder_that_is_gone_is_said_as_load_school_says_it(demo_copy, tmp_path):
    cache = SchoolCache(demo_copy)
    same_as_fresh(cache, demo_copy)
    shutil.rmtree(demo_copy)
    with pytest.raises(InputError):
        cache.load()
