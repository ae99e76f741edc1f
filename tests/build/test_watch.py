"""`packgen build --watch`: a real packgen process kept running while its records are edited, broken,
put right, written by another packgen meanwhile, and the process stopped by Ctrl-C."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pypdf import PdfReader

from packgen.build.lock import exclusive
from tests.conftest import MINI, REPO, run_cli

WAIT = 180.0  # seconds for one build, LibreOffice's start included, on a loaded machine


class Watching:
    """`packgen build SCHOOL --watch` in a process of its own, its output read line by line."""

    def __init__(self, school: Path, out: Path, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from packgen.cli import main; main()", "build", str(school), "--out", str(out)]
            + ["--quiet", "--watch"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Ctrl-C as at a terminal, even where the tests themselves were started with it ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name: str, stream) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def until(self, ending: str, *, error: str | None = None) -> list[tuple[str, str]]:
        """The lines it writes up to the first on standard output that starts with ``ending`` and, with
        ``error``, one on standard error that starts with that too (the two outputs are read apart, so
        either may come first)."""
        said: list[tuple[str, str]] = []
        wanted = {("out", ending)} | ({("err", error)} if error is not None else set())
        while wanted:
            try:
                said.append(self.lines.get(timeout=WAIT))
            except queue.Empty:
                raise AssertionError(f"no {wanted} after {WAIT:g} s; it said {said}") from None
            stream, line = said[-1]
            wanted = {(s, start) for s, start in wanted if not (s == stream and line.startswith(start))}
        return said


def text(said: list[tuple[str, str]], stream: str) -> str:
    return "\n".join(line for name, line in said if name == stream)


def test_a_watched_school_is_rebuilt_at_each_save_and_a_mistake_keeps_the_pack_made_before(tmp_path):
    school = tmp_path / "data" / "mini-school"
    shutil.copytree(MINI, school)
    out = tmp_path / "output"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    pack = out / "mini-school" / "evidence-pack.pdf"
    watching = Watching(school, out, env)
    try:
        first = watching.until("Watching")
        assert "Evidence pack:" in text(first, "out") and pack.exists()

        # Saved: only what the change touched is made again, and the pack shows it.
        first_record = school / "pupils" / "p01.yaml"
        purpose = "Time away from the classroom triggers while keeping GCSE options."
        saved = first_record.read_text(encoding="utf-8").replace(purpose, "Calmer mornings, and GCSE options kept.")
        first_record.write_text(saved, encoding="utf-8")
        edited = watching.until("Watching")
        assert "documents made afresh" in text(edited, "out") and "taken from the cache" in text(edited, "out")
        assert "Calmer mornings, and GCSE options kept." in "\n".join(p.extract_text() for p in PdfReader(pack).pages)

        # A mistake: said, naming the file, and the pack is left as it was.
        before = pack.read_bytes()
        record = school / "pupils" / "p02.yaml"
        good = record.read_text(encoding="utf-8")
        record.write_text(good + "placement: [\n", encoding="utf-8")
        broken = watching.until("Nothing was put in place", error="pupils/p02.yaml")
        assert "pupils/p02.yaml" in text(broken, "err") and "Traceback" not in text(broken, "err")
        assert pack.read_bytes() == before
        assert watching.process.poll() is None  # still watching

        # Put right: what it is made from is as at the last build, so the pack is up to date.
        record.write_text(good, encoding="utf-8")
        mended = watching.until("Watching")
        assert "up to date" in text(mended, "out") and pack.read_bytes() == before

        # Another packgen writing the same output: said once, however long it lasts, then built after it.
        with exclusive(pack.parent, "The pack"):
            first_record.write_text(saved.replace("Calmer mornings", "Quieter mornings"), encoding="utf-8")
            waiting = watching.until("Nothing was put in place", error="Error:")
            assert "already being written" in text(waiting, "err")
            time.sleep(1.0)  # ten looks or more, the output still held
            assert watching.lines.empty() and pack.read_bytes() == before
        after = watching.until("Watching")
        assert "already being written" not in text(after, "err")
        assert "Quieter mornings" in "\n".join(p.extract_text() for p in PdfReader(pack).pages)
    finally:
        watching.process.send_signal(signal.SIGINT)
        try:
            watching.process.wait(60)
        finally:
            watching.process.kill()
    assert watching.process.returncode == 130
    assert not list(out.glob("mini-school/.staging-*"))


def test_watching_builds_whole_packs_only(tmp_path):
    result = run_cli("build", MINI, "--out", tmp_path / "out", "--pupil", "p01", "--watch")
    assert result.exit_code == 2 and "--watch" in result.output
