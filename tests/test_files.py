"""Writing personal data: owner-only, never half written (packgen/files.py)."""

from __future__ import annotations

import os
import stat

import pytest

from packgen.files import private_dirs, replacing, write_private


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # a umask that would leave new files readable by everyone
    yield
    os.umask(old)


def test_new_folders_and_files_are_the_owners_alone(tmp_path, open_umask):
    target = tmp_path / "a" / "b" / "record.pdf"
    write_private(target, b"%PDF-1.7 fictional")
    assert target.read_bytes() == b"%PDF-1.7 fictional"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    private_dirs(tmp_path / "a" / "c")
    assert stat.S_IMODE((tmp_path / "a" / "c").stat().st_mode) == 0o700


@pytest.mark.parametrize("durable", [False, True])
def test_a_write_that_fails_leaves_the_old_file_and_no_scraps(tmp_path, durable):
    target = tmp_path / "pack.pdf"
    target.write_bytes(b"the good pack")
    with pytest.raises(RuntimeError), replacing(target, durable=durable) as stream:
        stream.write(b"half a pa")
        raise RuntimeError("the disk filled up")
    assert target.read_bytes() == b"the good pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.pdf"]


def test_a_finished_write_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "pack.pdf"
    target.write_bytes(b"old")
    with replacing(target, durable=True) as stream:
        stream.write(b"new")
        assert target.read_bytes() == b"old"  # nobody sees the new one until it is whole
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
