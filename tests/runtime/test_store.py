"""Work kept between runs: served when it is the same work, made again when anything about it differs."""

from __future__ import annotations

import stat

from packgen.runtime.store import DiskMemo


def counting(result: bytes):
    calls = []

    def make() -> bytes:
        calls.append(1)
        return result

    return make, calls


def test_a_result_is_made_once_and_served_from_the_folder_after(tmp_path):
    make, calls = counting(b"trimmed template")

    assert DiskMemo(tmp_path, "code 1").made("docx", b"its bytes", make) == b"trimmed template"
    assert DiskMemo(tmp_path, "code 1").made("docx", b"its bytes", make) == b"trimmed template"  # a later run

    assert len(calls) == 1
    (kept,) = tmp_path.iterdir()
    assert kept.suffix == ".docx" and stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_other_bytes_another_kind_or_other_code_are_other_work(tmp_path):
    memo = DiskMemo(tmp_path, "code 1")
    memo.made("xml", b"one", lambda: b"1")

    assert memo.made("xml", b"two", lambda: b"2") == b"2"
    assert memo.made("docx", b"one", lambda: b"docx of one") == b"docx of one"
    assert DiskMemo(tmp_path, "code 2").made("xml", b"one", lambda: b"1 by new code") == b"1 by new code"
    assert memo.made("xml", b"one", lambda: b"never made") == b"1"


def test_a_damaged_or_cut_short_file_is_made_again(tmp_path):
    memo = DiskMemo(tmp_path, "code")
    memo.made("xml", b"key", lambda: b"the whole result")
    (kept,) = tmp_path.iterdir()

    kept.write_bytes(kept.read_bytes()[:-3] + b"XYZ")
    assert memo.made("xml", b"key", lambda: b"the whole result") == b"the whole result"
    kept.write_bytes(kept.read_bytes()[:10])
    assert memo.made("xml", b"key", lambda: b"the whole result") == b"the whole result"
    assert memo.made("xml", b"key", lambda: b"never made") == b"the whole result"  # whole again


def test_without_a_folder_that_can_be_written_work_is_done_each_time(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    make, calls = counting(b"result")

    for memo in (DiskMemo(None, "code"), DiskMemo(blocked / "cache", "code")):
        assert memo.made("xml", b"key", make) == b"result"
        assert memo.made("xml", b"key", make) == b"result"

    assert len(calls) == 4


def test_the_store_serves_only_whole_blobs_and_removes_damaged_ones(tmp_path):
    from packgen.runtime.store import DigestStore

    store = DigestStore(tmp_path / "kept")
    assert store.put("ab/one.entry", b"the bytes")
    assert store.get("ab/one.entry") == b"the bytes"
    path = tmp_path / "kept" / "ab" / "one.entry"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    path.write_bytes(path.read_bytes()[:-1] + b"X")
    assert store.get("ab/one.entry") is None
    assert not path.exists()
    assert store.get("never/put") is None


def test_prune_keeps_what_is_wanted_or_recently_used(tmp_path):
    import os

    from packgen.runtime.store import DigestStore

    store = DigestStore(tmp_path)
    for name in ("a/old.entry", "a/kept.entry", "a/recent.entry"):
        store.put(name, name.encode())
    for name in ("a/old.entry", "a/kept.entry"):
        os.utime(tmp_path / name, (1, 1))

    store.prune("*/*.entry", keep=["a/kept.entry"], older_than=3600)

    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["kept.entry", "recent.entry"]
