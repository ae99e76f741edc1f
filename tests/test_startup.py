"""The command line imports what a command needs when it runs it: --help and a build with nothing to
do load none of the libraries that filling, converting and assembling need (read in a subprocess,
from the modules it ends with; no timing)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import MINI, REPO, run_cli

HEAVY = {"pydantic", "docxtpl", "docx", "pypdf", "reportlab", "PIL", "lxml", "jinja2", "flask", "yaml"}

RUN = """
import json, sys
sys.argv = ["packgen", *json.loads(sys.argv[1])]
from packgen.cli import main
try:
    main()
except SystemExit as end:
    code = end.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def packgen_modules(*args: str | Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps([str(a) for a in args])],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None), done.stdout + done.stderr
    return set(result["modules"])


def test_help_imports_none_of_the_heavy_libraries():
    assert packgen_modules("--help") & HEAVY == set()
    assert packgen_modules("build", "--help") & HEAVY == set()


def test_a_build_with_nothing_to_do_imports_none_of_them(tmp_path):
    school = tmp_path / "data" / "mini-school"
    shutil.copytree(MINI, school)
    out = tmp_path / "output"
    assert run_cli("build", school, "--out", out, "--quiet").exit_code == 0
    modules = packgen_modules("build", school, "--out", out, "--quiet")
    assert modules & HEAVY == set()
    assert "click" in modules  # the command really ran in that process


def test_checking_a_school_still_imports_what_it_needs():
    """The test above can tell: a command that reads records does import pydantic."""
    assert "pydantic" in packgen_modules("check", MINI)
