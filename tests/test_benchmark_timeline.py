"""benchmarks/timeline.py reports every step of a one-edit rebuild, as a command and in a running process,
in the order the build reaches them (run small; no timing is judged)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

ROW = re.compile(r"^(?P<step>[a-zA-Z ,]+?)\s+(?P<command>[\d.]+ s|-)\s+(?P<running>[\d.]+ s|-)$")


@pytest.mark.slow
def test_every_step_of_both_ways_is_reported_in_order():
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "timeline.py"), "--pupils", "2", "--runs", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {m["step"]: (m["command"], m["running"]) for line in done.stdout.splitlines() if (m := ROW.match(line))}
    steps = [
        "first document filled",
        "last PDF written by LibreOffice",
        "pack assembled",
        "pack published, build returned",
    ]
    assert list(rows) == [*steps, "LibreOffice ended", "process ended"], done.stdout

    def seconds(text: str) -> float:
        return float(text.removesuffix(" s"))

    for way in (0, 1):
        reached = [seconds(rows[step][way]) for step in steps]
        assert reached == sorted(reached), done.stdout
        # LibreOffice is waited for before the build returns.
        assert seconds(rows["LibreOffice ended"][way]) <= reached[-1], done.stdout
    assert seconds(rows["process ended"][0]) >= seconds(rows["pack published, build returned"][0])
    assert rows["process ended"][1] == "-"  # a running process goes on
    busy = re.search(r"the command's own process was busy ([\d.]+) s \(processor time\) of its ([\d.]+) s", done.stdout)
    assert busy and float(busy[1]) > 0, done.stdout
    assert re.search(
        r"share of the cold build: the command [\d.]+%, the call in a running process [\d.]+%", done.stdout
    )
