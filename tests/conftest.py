"""Shared fixtures: the demo school, copies of it to break, and the CLI as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from packgen.cli import main

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "brookfield-academy"


def run_cli(*args: str | Path) -> Result:
    """Run packgen as a user would; a user never sees a traceback, whatever the outcome."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo school that a test may edit or break."""
    dest = tmp_path / "data" / DEMO.name
    shutil.copytree(DEMO, dest)
    return dest
