"""The layers import one way only (pyproject.toml [tool.importlinter]), checked by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_every_import_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_layer_importing_one_above_it_is_caught(tmp_path):
    """The check can fail: a records module that imports the build is reported."""
    copy = tmp_path / "packgen"
    subprocess.run(["cp", "-r", str(REPO / "packgen"), str(copy)], check=True)
    (copy / "records" / "upward.py").write_text("from packgen.build import pipeline  # noqa\n")
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "packgen.records.upward -> packgen.build.pipeline" in result.stdout
