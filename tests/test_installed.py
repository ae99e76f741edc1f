"""packgen installed from its wheel, as a school's IT would install it, works away from this repository:
the templates, labels, codes and rules go with it as package data, and the command is on the path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINI, REPO

pytestmark = pytest.mark.slow  # builds a wheel, makes a virtual environment and starts LibreOffice


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def test_the_installed_wheel_writes_an_agreement_from_a_folder_outside_the_repository(tmp_path):
    # Built from a copy holding only what the wheel is made from, so nothing else in the repository
    # (a stray build/ folder, say) can slip in, and the build writes nothing into the repository.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "packgen", source / "packgen", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, source, cwd=tmp_path)
    [wheel] = wheels.glob("packgen-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "--quiet",
        wheel,
        cwd=tmp_path,
    )
    # The dependencies come from the environment running the tests: its site-packages is added as a
    # plain folder, so its .pth files (among them the editable install of this repository) are not run.
    [site_packages] = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).stdout.split()
    Path(site_packages, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    elsewhere = tmp_path / "office"
    school = elsewhere / "mini-school"
    shutil.copytree(MINI, school)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    found = run(python, "-c", "import packgen; print(packgen.__file__)", cwd=elsewhere, env=env).stdout.strip()
    assert Path(found).is_relative_to(venv), found

    done = run(venv / "bin" / "packgen", "agreement", "mini-school", "p01", cwd=elsewhere, env=env)
    pdf = elsewhere / "output" / "mini-school" / "agreements" / "p01.pdf"
    assert f"Wrote {Path('output') / 'mini-school' / 'agreements' / 'p01.pdf'}" in done.stdout
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Commissioning agreement" in text
    assert "Alternative provision for Zoë D'Souza-Müller at Hart & Vale Learning" in text
