"""A one-edit `packgen build` command with the code of two revisions, one run after the other.

The machine's speed drifts by a fifth or more within minutes, more than most changes are worth, so two
benchmark runs minutes apart cannot tell whether a change made a command faster. This runs the code
before and after, alternately, each on its own copy of the same fictional school (benchmarks/schools.py)
built once cold first, and prints the median of each:

    .venv/bin/python benchmarks/compare.py main~3            # that revision against the working copy
    .venv/bin/python benchmarks/compare.py main~3 main --runs 20 --pupils 100
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.schools import edit_one_record, make_school  # noqa: E402

COMMAND = "import sys; from packgen.cli import main; sys.argv[0] = 'packgen'; sys.exit(main())"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="a git revision")
    parser.add_argument("after", nargs="?", help="a git revision (default: the working copy)")
    parser.add_argument("--runs", type=int, default=12, help="one-edit commands for each (default 12)")
    parser.add_argument("--pupils", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="packgen-compare-") as work:
        root = Path(work)
        sides = {
            args.before: _code(args.before, root / "before"),
            args.after or "working copy": _code(args.after, root / "after"),
        }
        environment = os.environ | {"XDG_CACHE_HOME": str(root / "user-cache")}
        schools = {}
        for number, name in enumerate(sides):
            schools[name] = make_school(root / f"school-{number}" / "school", args.pupils)
            _build(sides[name], schools[name], environment)  # cold: the cache, then the pack to rebuild
        seconds: dict[str, list[float]] = {name: [] for name in sides}
        processor: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name in sides:
                edit_one_record(schools[name])
                wall, cpu = _build(sides[name], schools[name], environment)
                seconds[name].append(wall)
                processor[name].append(cpu)
    print(f"One-edit `packgen build` command, {args.pupils} pupils, median of {args.runs}, alternately:")
    for name in sides:
        print(
            f"  {name:>20}: {statistics.median(seconds[name]):.3f} s "
            f"({statistics.median(processor[name]):.2f} s processor, LibreOffice included): "
            + " ".join(f"{s:.2f}" for s in seconds[name])
        )
    before, after = (statistics.median(seconds[name]) for name in sides)
    print(f"  after / before: {after / before:.2f}")


def _code(revision: str | None, dest: Path) -> Path:
    """packgen's code at ``revision`` (None: the working copy) in ``dest``, compiled as pip would."""
    if revision is None:
        shutil.copytree(REPO / "packgen", dest / "packgen", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", revision, "packgen"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
    compileall.compile_dir(dest / "packgen", quiet=1)
    return dest


def _build(code: Path, school: Path, environment: dict[str, str]) -> tuple[float, float]:
    """Wall and processor seconds (LibreOffice's too) of one `packgen build` run with ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", COMMAND, "build", str(school), "--out", str(school.parent / "output"), "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=environment | {"PYTHONPATH": str(code)},
        cwd=code,  # `python -c` imports the packgen beside it first: this one, not the working copy's
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


if __name__ == "__main__":
    main()
