"""A build stopped part way (Ctrl-C, TERM, kill -9): nothing it started survives it, its lock is free at
once, and what it left in the temporary folder and beside the output is gone after the next run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from packgen.files import remove_abandoned, run_folder
from tests.conftest import DEMO, DEMO_TODAY, REPO

STOP_WITHIN = 5.0  # seconds


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


def _cmdline(pid: int) -> bytes:
    """The process's command line; empty once it has ended (a process may end between two looks)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _mentioning(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes() and _alive(int(cmdline.parent.name)):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.fixture
def school_and_env(tmp_path: Path):
    school = tmp_path / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    temp = tmp_path / "temp"
    temp.mkdir()
    # Its own temporary and cache folders: every LibreOffice it starts names its profile there.
    env = {**os.environ, "TMPDIR": str(temp), "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    return school, tmp_path / "output", temp, env


def _build(school: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from packgen.cli import main; main()",
            "build",
            str(school),
            "--out",
            str(out),
            "--today",
            DEMO_TODAY,
            "--quiet",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(build: subprocess.Popen, phase: str, tmp_path: Path) -> list[int]:
    """Wait until the build has forked its workers, or has LibreOffice converting; the processes seen."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert build.poll() is None, build.communicate()
        children = _children(build.pid)
        if phase == "workers":
            workers = [pid for pid in children if _cmdline(pid) == _cmdline(build.pid)]
            if len(workers) >= 2:
                return workers
        else:
            offices = [pid for pid in _mentioning(str(tmp_path / "cache")) if pid != build.pid]
            if len(offices) >= 2 and any(b"soffice.bin" in _cmdline(p) for p in offices if _alive(p)):
                return offices + children
        time.sleep(0.005)
    raise AssertionError(f"the build never reached its {phase}")


@pytest.mark.parametrize(
    "how, phase",
    [
        pytest.param(how, phase, id=f"{how.name}-{phase}")
        for how, phase in [
            (signal.SIGKILL, "libreoffice"),
            (signal.SIGKILL, "workers"),
            (signal.SIGTERM, "libreoffice"),
            (signal.SIGINT, "libreoffice"),
            (signal.SIGTERM, "workers"),
        ]
    ],
)
def test_a_stopped_build_leaves_no_process_and_the_next_build_runs(school_and_env, tmp_path, how, phase):
    school, out, temp, env = school_and_env
    build = _build(school, out, env)
    seen = _wait_for(build, phase, tmp_path)
    build.send_signal(how)
    stopped = time.monotonic()
    _, err = build.communicate(timeout=STOP_WITHIN)
    # Every process it started ends with it, however it ended.
    while time.monotonic() - stopped < STOP_WITHIN and (any(_alive(pid) for pid in seen) or _mentioning(str(tmp_path))):
        time.sleep(0.05)
    assert [pid for pid in seen if _alive(pid)] == []
    assert _mentioning(str(tmp_path)) == []
    if how == signal.SIGKILL:
        assert build.returncode == -signal.SIGKILL
    else:
        # Stopped tidily: said so, exit 130, its working folders removed by itself.
        assert build.returncode == 130, err.decode()
        assert b"Stopped" in err and b"Traceback" not in err, err.decode()
        assert list(temp.iterdir()) == []
        assert [p.name for p in (out / DEMO.name).glob(".staging-*")] == []
    # The lock is free at once: the next build runs to the end, and leaves nothing behind either.
    again = _build(school, out, env)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err.decode()
    assert (out / DEMO.name / "evidence-pack.pdf").stat().st_size > 0
    assert list(temp.iterdir()) == []
    assert [p.name for p in (out / DEMO.name).glob(".staging-*")] == []


def test_a_build_killed_outright_leaves_pupils_documents_that_the_next_run_removes(school_and_env, tmp_path):
    school, out, temp, env = school_and_env
    build = _build(school, out, env)
    _wait_for(build, "libreoffice", tmp_path)
    build.kill()
    build.communicate(timeout=STOP_WITHIN)
    left = [p.name for p in temp.iterdir()] + [p.name for p in (out / DEMO.name).glob(".staging-*")]
    assert any(name.startswith("packgen-convert-") for name in left), left
    assert any(name.startswith(".staging-") for name in left), left
    staged = next((out / DEMO.name).glob(".staging-*"))
    assert any(staged.rglob("*.docx")), "the killed build had filled documents in its staging folder"
    again = _build(school, out, env)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err.decode()
    assert list(temp.iterdir()) == []
    assert list((out / DEMO.name).glob(".staging-*")) == []


def test_only_the_folders_of_runs_that_ended_are_removed(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        start = Path(f"/proc/{live.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        theirs = tmp_path / f"packgen-convert-{live.pid}-{start}-abc"  # a live run's
        reused = tmp_path / f"packgen-convert-{live.pid}-{int(start) - 1}-abc"  # its id, an earlier process's
        ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        gone = tmp_path / f"packgen-convert-{ended.stdout.strip()}-1-abc"
        other = tmp_path / "packgen-convert-notours"
        for folder in (theirs, reused, gone, other):
            folder.mkdir()
            (folder / "p01.docx").write_bytes(b"fictional")
        with run_folder("packgen-convert-", tmp_path) as mine:
            assert sorted(p.name for p in tmp_path.iterdir()) == sorted([theirs.name, other.name, mine.name])
            assert remove_abandoned("packgen-convert-", tmp_path) == []  # this run's own is never taken
            assert mine.stat().st_mode & 0o777 == 0o700
        assert not mine.exists()
    finally:
        live.communicate(b"")
    assert remove_abandoned("packgen-convert-", tmp_path) == [theirs]
