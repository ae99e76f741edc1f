"""Exit codes for what goes wrong around packgen rather than in it: a full disk is the machine's problem
(exit 4, naming the file), a file gone from the school's folder the user's (exit 1, naming it); neither
is reported as a bug (70)."""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from packgen.errors import StorageError
from packgen.files import disk_errors
from tests.conftest import DEMO, DEMO_TODAY, REPO, run_cli


def _build_on_a_small_disk(school: Path, disk: Path, size: str, **folders: str) -> subprocess.CompletedProcess:
    """``packgen build`` with ``disk`` a file system of ``size`` (tmpfs, mounted in a namespace of its own,
    so no privilege is needed and nothing is left mounted)."""
    disk.mkdir()
    build = shlex.join(
        [
            sys.executable,
            "-c",
            "from packgen.cli import main; main()",
            "build",
            str(school),
            "--out",
            folders.get("out", str(disk / "output")),
            "--today",
            DEMO_TODAY,
            "--quiet",
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": folders.get("temp", os.environ.get("TMPDIR", "/tmp"))}
    return subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(disk))} && exec {build}",
        ],
        check=False,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("size", ["300k", "3m"])  # full while filling the documents; while converting them
def test_an_output_disk_that_fills_up_is_exit_4_naming_the_file(demo_copy, tmp_path, size):
    disk = tmp_path / "disk"
    done = _build_on_a_small_disk(demo_copy, disk, size)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith(f"Error: could not write {disk / 'output' / DEMO.name}/"), message
    assert "the disk it is on is full. Make room on it, or choose a folder on another disk (--out)" in message
    # The namespace's disk went with it: the build's own cleanup is seen in a run on an ample disk.


def test_a_temporary_folder_that_fills_up_is_exit_4_and_says_tmpdir(demo_copy, tmp_path):
    disk = tmp_path / "disk"
    done = _build_on_a_small_disk(demo_copy, disk, "600k", out=str(tmp_path / "output"), temp=str(disk))
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith(f"Error: could not write {disk}/"), message
    assert "point TMPDIR at a folder on a disk with room" in message
    assert not (tmp_path / "output" / DEMO.name / "evidence-pack.pdf").exists()
    assert list((tmp_path / "output" / DEMO.name).glob(".staging-*")) == []


def test_a_write_the_device_refuses_for_want_of_space_becomes_a_storage_error(tmp_path):
    # A real ENOSPC, from the kernel.
    with pytest.raises(StorageError) as caught, disk_errors(tmp_path / "entry"), open("/dev/full", "wb", 0) as full:
        full.write(b"fictional cache entry")
    assert caught.value.exit_code == 4
    # The write itself names no file: the one being written is named.
    assert str(caught.value).startswith(f"could not write {tmp_path / 'entry'}: the disk it is on is full.")
    assert caught.value.__cause__.errno == errno.ENOSPC


def test_a_link_in_the_school_folder_broken_after_check_is_exit_1_naming_it(demo_copy, tmp_path):
    assert run_cli("check", demo_copy, "--today", DEMO_TODAY).exit_code == 0
    scan = demo_copy / "evidence" / "agreement-p01-signed.pdf"
    moved = tmp_path / "elsewhere.pdf"
    shutil.move(scan, moved)
    scan.symlink_to(moved)
    moved.unlink()  # the link now leads nowhere, as when a shared drive is unplugged
    result = run_cli("build", demo_copy, "--out", tmp_path / "output", "--today", DEMO_TODAY, "--quiet")
    assert result.exit_code == 1, result.output
    assert f"Error: {scan}: not there any more" in result.output
