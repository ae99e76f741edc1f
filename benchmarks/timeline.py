"""Where a one-edit rebuild's time goes: the same edit as a `packgen build` command and in a running process.

A rebuild after one pupil's record is edited makes two documents. In a process of its own it first
imports what reading records, filling and assembling need; in a running process (the web page's, or
`packgen build --watch`) all that is loaded already. Both start a LibreOffice at once (the head start),
and it converts the two documents as they are filled while the pack takes the others from the pack
built before. This prints, for each, when each step was reached, counted from the process's start (the
command) or the call (the running process), the median of ``--runs`` edits made alternately:

    .venv/bin/python benchmarks/timeline.py            # 30 pupils, 7 edits each way
    .venv/bin/python benchmarks/timeline.py --pupils 100 --runs 11

The steps are those the build reports to its progress callback (the first document filled, the last PDF
written, the pack assembled), the call's return, LibreOffice's end (seen from /proc) and the process's
end. A cold build of the same school in the same run gives the shares.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.schools import edit_one_record, make_school  # noqa: E402

# Reached in this order; each the first moment it was reported.
STEPS = {
    "filled": "first document filled",
    "converted": "last PDF written by LibreOffice",
    "assembled": "pack assembled",
    "returned": "pack published, build returned",
    "office ended": "LibreOffice ended",
    "ended": "process ended",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pupils", type=int, default=30)
    parser.add_argument("--runs", type=int, default=7, help="edits each way (default 7)")
    # SCHOOL OUT STARTED: one command, traced, its marks counted from STARTED (the monotonic clock is the
    # machine's, so the process that started this one can give the moment it did)
    parser.add_argument("--inside", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        school, out, started = args.inside
        _command_inside(Path(school), Path(out), float(started))
        return
    import packgen
    from packgen.build.pipeline import build_packs

    # Compiled, as an installed package is: where Python is told not to write bytecode
    # (PYTHONDONTWRITEBYTECODE), every command would otherwise compile packgen afresh.
    code = Path(packgen.__file__).parent
    compileall.compile_dir(code, quiet=1)
    with tempfile.TemporaryDirectory(prefix="packgen-timeline-") as work:
        root = Path(work)
        os.environ["XDG_CACHE_HOME"] = str(root / "user-cache")
        school, out = make_school(root / "school", args.pupils), root / "output"
        started = time.perf_counter()
        build_packs([school], out)
        cold = time.perf_counter() - started
        edit_one_record(school)
        build_packs([school], out)  # this process has now used every part a rebuild uses once
        command: list[dict[str, float]] = []
        running: list[dict[str, float]] = []
        for _ in range(args.runs):
            edit_one_record(school)
            command.append(_command(school, out))
            edit_one_record(school)
            running.append(_running(build_packs, school, out))
        print(
            f"{args.pupils} pupils, one record edited (two documents made), the median of {args.runs} edits each way"
            f" (code measured: {code});"
            f"\na cold build of the same school in this run: {cold:.2f} s\n"
        )
        print(f"{'':38}{'command':>10}{'running process':>18}")
        for step, words in STEPS.items():
            print(f"{words:38}{_median(command, step):>10}{_median(running, step):>18}")
        whole = statistics.median(m["ended"] for m in command)
        call = statistics.median(m["returned"] for m in running)
        print(
            f"\nthe command's own process was busy {statistics.median(m['processor'] for m in command):.2f} s "
            f"(processor time) of its {whole:.2f} s; the processes it started (LibreOffice) "
            f"{statistics.median(m['processor, LibreOffice'] for m in command):.2f} s, on {os.cpu_count()} cores"
        )
        print(
            f"share of the cold build: the command {100 * whole / cold:.1f}%, "
            f"the call in a running process {100 * call / cold:.1f}%"
        )


def _median(marks: list[dict[str, float]], step: str) -> str:
    values = [m[step] for m in marks if step in m]
    return f"{statistics.median(values):.3f} s" if values else "-"


def _command(school: Path, out: Path) -> dict[str, float]:
    """One `packgen build` command in a process of its own, traced (``--inside``): its marks, from the
    moment it was started, and its end as seen from here."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--inside", str(school), str(out), repr(started)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    marks: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    marks["ended"] = time.perf_counter() - started
    return marks


def _command_inside(school: Path, out: Path, started: float) -> None:
    """Run `packgen build SCHOOL --out OUT --quiet` in this process as the command does, with the build's
    progress reports and LibreOffice's end marked; print the marks, counted from ``started``."""
    import packgen.build.pipeline as pipeline
    from packgen.cli import main as packgen

    marks: dict[str, float] = {}
    build_packs = pipeline.build_packs

    def traced(*args: Any, **kwargs: Any) -> Any:
        reported = kwargs.get("on_progress")
        kwargs["on_progress"] = _progress(marks, started, reported)
        with _office_watched(marks, started):
            built = build_packs(*args, **kwargs)
            marks["returned"] = time.perf_counter() - started
        return built

    pipeline.build_packs = traced
    sys.argv = ["packgen", "build", str(school), "--out", str(out), "--quiet"]
    try:
        packgen()
    except SystemExit as end:
        if end.code:
            raise
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    marks["processor"] = own.ru_utime + own.ru_stime
    marks["processor, LibreOffice"] = children.ru_utime + children.ru_stime
    print(json.dumps(marks))


def _running(build_packs: Callable[..., Any], school: Path, out: Path) -> dict[str, float]:
    """The same build as a call in this process, which has everything loaded."""
    marks: dict[str, float] = {}
    started = time.perf_counter()
    with _office_watched(marks, started):
        build_packs([school], out, on_progress=_progress(marks, started, None))
        marks["returned"] = time.perf_counter() - started
    return marks


def _progress(
    marks: dict[str, float], started: float, passed: Callable[[str, int, int], None] | None
) -> Callable[[str, int, int], None]:
    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        if step == "render" and done:
            marks.setdefault("filled", now)
        elif step == "convert" and done == total:
            marks.setdefault("converted", now)
        elif step == "assemble" and done == total:
            marks.setdefault("assembled", now)
        if passed is not None:
            passed(step, done, total)

    return progress


@contextmanager
def _office_watched(marks: dict[str, float], started: float) -> Iterator[None]:
    """Within it, the moment the LibreOffice this process starts ends (``office ended``): found among its
    children (Python's own left aside) and waited for without being reaped, which stays the build's."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.003):
            office = [pid for pid in _children() if not _name(pid).startswith("python")]
            if office:
                try:
                    os.waitid(os.P_PID, office[0], os.WEXITED | os.WNOWAIT)
                except ChildProcessError:  # reaped already: it ended a moment ago
                    pass
                marks["office ended"] = time.perf_counter() - started
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _children() -> list[int]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


if __name__ == "__main__":
    main()
