"""Shared fixtures: the demo school, copies of it to break, and the CLI as a user runs it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from packgen.cli import main

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "brookfield-academy"


def pytest_configure(config):
    """Give this test run its own temporary folder, so LibreOffice processes it starts can be told apart."""
    config.packgen_tmp = Path(tempfile.mkdtemp(prefix="packgen-tests-"))
    tempfile.tempdir = str(config.packgen_tmp)
    # LibreOffice's profiles too (packgen keeps them in the user's cache), so the check below sees
    # every LibreOffice the tests started, and the tests never touch the real cache.
    os.environ["XDG_CACHE_HOME"] = str(config.packgen_tmp / "cache")


def pytest_unconfigure(config):
    tempfile.tempdir = None
    shutil.rmtree(config.packgen_tmp, ignore_errors=True)


def processes_using(folder: Path) -> list[str]:
    """Command lines of running processes that mention ``folder`` (LibreOffice names its profile there)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        if cmdline.parent.name == str(os.getpid()):
            continue
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        if str(folder) in command:
            found.append(command)
    return found


@pytest.fixture(scope="session", autouse=True)
def no_libreoffice_outlives_the_tests(pytestconfig):
    yield
    assert processes_using(pytestconfig.packgen_tmp) == [], "LibreOffice processes were left running"


def run_cli(*args: str | Path) -> Result:
    """Run packgen as a user would; a user never sees a traceback, whatever the outcome."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


def edit_record(path: Path, change) -> None:
    """Change a record as office staff would: read the YAML, apply ``change`` to it, write it back."""
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo school that a test may edit or break."""
    dest = tmp_path / "data" / DEMO.name
    shutil.copytree(DEMO, dest)
    return dest


DEMO_TODAY = "2026-11-23"  # the day the demo school's deliberate gaps (GAPS.md) are judged on


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> dict:
    """The demo school copied and built once through the CLI, shared by every test that reads the pack back
    (a real build with LibreOffice is the slowest thing the suite does)."""
    root = tmp_path_factory.mktemp("demo-pack")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    out = root / "output"
    result = run_cli("build", school, "--out", out, "--today", DEMO_TODAY, "--quiet")
    assert result.exit_code == 0, result.output
    return {"school": school, "out": out, "pack": out / DEMO.name / "evidence-pack.pdf", "result": result}
