"""How long packgen takes to build packs, measured in one run on this machine.

For each school size (fictional schools cloned from the demo records, benchmarks/schools.py) it times,
each size in a process of its own so memory figures are its own:

  cold     a first build into an empty output folder (empty cache, and an empty user cache: no
           LibreOffice profiles or compiled templates kept from before);
  no change  the same build again;
  one edit   a build after one pupil's record was edited (the median of 5);
  command line  --help, a no-change build and a one-edit build as `packgen` commands, each a process
           of its own (Python's start and packgen's imports included), beside Python doing nothing
           (each the median of 5);
  kept running  a `packgen build --watch` process: from a record saved to the pack rebuilt (median of 5);
  naive    one `soffice --convert-to pdf` per document, one after another, for the same documents
           (all of them, or every n-th when --naive-sample is given, then scaled up per document);
           and for up to 20 of them with the profile settled as packgen settles its own;
  cold again  after the command line and kept running, another cold build in a process of its own.

and prints the times, the ratios, documents per second, processor time and peak memory. The machine is
shared, so it also prints the load average: wall time stretches when other work competes for the cores,
processor time does not. Its speed also drifts by a fifth within minutes: every share and ratio is of
the mean of the two cold builds, one before everything else and one after.

    .venv/bin/python benchmarks/bench.py                 # 30, 100 and 300 pupils
    .venv/bin/python benchmarks/bench.py --sizes 30 --naive-sample 0
    .venv/bin/python benchmarks/bench.py --quick         # 30 pupils, a few minutes
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import packgen  # noqa: E402
from benchmarks.schools import edit_one_record, make_school  # noqa: E402
from packgen.build.pipeline import build_packs  # noqa: E402
from packgen.office.profiles import settle  # noqa: E402
from packgen.office.soffice import find_soffice  # noqa: E402

TARGETS = {
    "cold_vs_naive": 12.0,  # cold 30-pupil build at least 12x faster than the naive way
    "edit_share": 0.15,  # rebuild after one edit at most 15% of cold
    "edit_share_cli": 0.10,  # the same from the command line, Python's start and imports included
    "no_change_seconds": 2.0,
    "peak_mb_300": 600.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 300], help="pupils per school")
    parser.add_argument("--quick", action="store_true", help="30 pupils only, the naive way timed on 10 documents")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=None,
        metavar="N",
        help="time the naive way on N documents and scale up (0: every document; "
        "default: every document for up to 50 pupils, else 30)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in a process of its own
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)  # the memory of this process's tree
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cold", type=Path, nargs=2, help=argparse.SUPPRESS)  # SCHOOL OUT: one cold build
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.naive_sample = [30], 10
    if args.sample:
        sample(args.sample)
        return
    if args.cold:
        print(json.dumps(_timed(*args.cold)))
        return
    if args.one:
        print(json.dumps(measure(args.one, args.work, args.naive_sample)))
        return

    print(machine())
    results = []
    with tempfile.TemporaryDirectory(prefix="packgen-bench-") as work:
        # A snapshot of the code and templates: packgen's cache keys include its own source, so an edit
        # in the working copy during the run would (rightly) make the next build start afresh.
        snapshot = Path(work) / "snapshot"
        for name in ("packgen", "benchmarks", "data"):
            shutil.copytree(REPO / name, snapshot / name, ignore=shutil.ignore_patterns("__pycache__"))
        # Compiled, as an installed package is (pip compiles what it installs): where Python is told not
        # to write bytecode (PYTHONDONTWRITEBYTECODE), every command would otherwise compile packgen afresh.
        compileall.compile_dir(snapshot / "packgen", quiet=1)
        environment = os.environ | {"PYTHONPATH": str(snapshot)}
        for pupils in args.sizes:
            # A user cache of its own (LibreOffice profiles, compiled templates), empty, so the cold
            # build pays for making them as a first build on a new machine does.
            environment["XDG_CACHE_HOME"] = str(Path(work) / f"user-cache-{pupils}")
            command = [sys.executable, str(snapshot / "benchmarks" / "bench.py"), "--one", str(pupils), "--work", work]
            if args.naive_sample is not None:
                command += ["--naive-sample", str(args.naive_sample)]
            done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, env=environment)
            results.append(json.loads(done.stdout.splitlines()[-1]))
            report(results[-1])
    summary(results)


def measure(pupils: int, work: Path, naive_sample: int | None) -> dict:
    school = make_school(work / "schools" / f"school-{pupils}", pupils)
    out = work / "output" / f"{pupils}"
    memory = _Sampler()
    memory.start()
    result: dict = {"pupils": pupils, "code": str(Path(packgen.__file__).parent)}
    result["cold"] = _timed(school, out)
    pack = out / school.name
    result["documents"] = result["cold"]["made"]
    result["pages"] = result["cold"]["pages"]
    result["no_change"] = _timed(school, out)
    # The median of five, each after an edit: one build's time varies by a tenth or more.
    result["one_edit"] = _median(lambda: (edit_one_record(school), _timed(school, out))[1], key=_seconds)
    # The same as a user runs them: a process each, so Python's start and packgen's imports count.
    # Each the median of five: one process's time varies by a tenth or more from one run to the next.
    build = [*PACKGEN, "build", str(school), "--out", str(out), "--quiet"]
    result["python_start"] = _median(lambda: _command([sys.executable, "-c", "pass"]))
    result["help"] = _median(lambda: _command([*PACKGEN, "--help"]))
    result["no_change_cli"] = _median(lambda: _command(build))
    result["one_edit_cli"] = _median(lambda: (edit_one_record(school), _command(build))[1])
    result["one_edit_watch"] = _watched_edit(school, out)
    # The machine's speed drifts by a fifth within minutes, and the shares above are of the cold build:
    # a second one after the rest, so each share is of the two colds' mean, not of one moment's speed.
    result["cold_again"] = _cold_elsewhere(school, work / "cold-again" / f"{pupils}")
    memory.stop()
    result["peak_mb_own"] = _own_peak_mb()
    result["peak_mb_sampled"] = memory.peak / 1024 / 1024
    sample = naive_sample if naive_sample is not None else (0 if pupils <= 50 else 30)
    result["naive"] = naive(sorted(pack.rglob("*.docx")), work / "naive", sample)
    return result


PACKGEN = [sys.executable, "-c", "from packgen.cli import main; main()"]


def _median(measure: Callable[[], Any], times: int = 5, key: Callable[[Any], float] = float) -> Any:
    """Of ``times`` measurements (seconds, or builds by their ``key``), the middle one."""
    return sorted((measure() for _ in range(times)), key=key)[times // 2]


def _seconds(build: dict) -> float:
    return build["seconds"]


def _cold_elsewhere(school: Path, work: Path) -> dict:
    """Another cold build of ``school`` as a library call, in a process of its own with an empty user
    cache and an empty output folder, as the first was."""
    environment = os.environ | {"XDG_CACHE_HOME": str(work / "user-cache")}
    done = subprocess.run(
        [sys.executable, __file__, "--cold", str(school), str(work / "output")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tempfile.gettempdir(),
    )
    return json.loads(done.stdout.splitlines()[-1])


def _command(command: list[str]) -> float:
    """Wall time of a command, in a process of its own."""
    started = time.perf_counter()
    # Not run from the working copy: `python -c` would import the packgen found there before the snapshot.
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    return time.perf_counter() - started


def _watched_edit(school: Path, out: Path, edits: int = 5) -> float:
    """A `packgen build --watch` kept running: seconds from one record saved to the pack rebuilt (its
    next look at the folder included), the median of ``edits`` saves made at moments unrelated to its
    looks."""
    watching = subprocess.Popen(
        [*PACKGEN, "build", str(school), "--out", str(out), "--quiet", "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # "Stopped." as it is stopped
        text=True,
        cwd=tempfile.gettempdir(),
    )
    assert watching.stdout is not None
    took = []
    try:
        for line in watching.stdout:  # the pack is up to date: said at once
            if line.startswith("Watching"):
                break
        for _ in range(edits):
            time.sleep(1 + random.random())  # as a person would: the next save comes later
            edit_one_record(school)
            saved = time.perf_counter()
            for line in watching.stdout:
                if line.startswith("Watching"):
                    took.append(time.perf_counter() - saved)
                    break
            else:
                raise RuntimeError("packgen build --watch ended without rebuilding")
    finally:
        watching.terminate()
        watching.wait()
    return statistics.median(took)


def _timed(school: Path, out: Path) -> dict:
    """One build of ``school`` into ``out``: wall and processor time, when each step began, what it did."""
    steps: dict[str, float] = {}
    started, cpu, load = time.perf_counter(), _cpu(), os.getloadavg()[0]

    def progress(step: str, done: int, total: int) -> None:
        steps.setdefault(step, time.perf_counter() - started)

    built = build_packs([school], out, on_progress=progress)[0]
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu() - cpu,
        "load": (load + os.getloadavg()[0]) / 2,
        "made": built.made,
        "reused": built.reused,
        "kept_pages": built.kept_pages,
        "up_to_date": built.up_to_date,
        "pages": built.page_count,
        "steps": steps,
    }


def naive(docs: list[Path], work: Path, sample: int) -> dict:
    """One LibreOffice start per document, one after another, with one ready-made profile.

    Then again for a few of them with the profile settled as packgen settles its own (it records the
    LibreOffice it last ran, see packgen/office_profiles.py): a headless LibreOffice otherwise tests
    its graphics at every start, and the naive way as measured pays for that. The second figure is
    what the naive way would cost a user who knew to settle the profile."""
    chosen = docs if not sample or sample >= len(docs) else docs[:: max(1, len(docs) // sample)][:sample]
    profile = work / "profile"
    outdir = work / "out"
    soffice = find_soffice()
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
    ]
    subprocess.run(command + [str(chosen[0])], check=True, capture_output=True)  # makes the profile, untimed

    def per_document(these: list[Path]) -> tuple[float, float]:
        started, cpu = time.perf_counter(), _cpu()
        for doc in these:
            subprocess.run(command + [str(doc)], check=True, capture_output=True)
        return (time.perf_counter() - started) / len(these), (_cpu() - cpu) / len(these)

    seconds, cpu = per_document(chosen)
    settle(profile, soffice)
    few = chosen[:: max(1, len(chosen) // 20)][:20]
    settled, _ = per_document(few)
    shutil.rmtree(work, ignore_errors=True)
    return {
        "timed": len(chosen),
        "of": len(docs),
        "per_document": seconds,
        "cpu_per_document": cpu,
        "settled_per_document": settled,
        "settled_timed": len(few),
    }


def cold_seconds(r: dict) -> float:
    """The cold build's time every share and ratio is of: the mean of the one before the rest and the
    one after it."""
    return (r["cold"]["seconds"] + r["cold_again"]["seconds"]) / 2


def report(r: dict) -> None:
    docs, cold = r["documents"], cold_seconds(r)
    naive_seconds = r["naive"]["per_document"] * docs
    print(f"\n{r['pupils']} pupils: {docs} documents, {r['pages']} pages (code measured: {r['code']})")
    rows = (
        ("cold", "cold build"),
        ("no_change", "no-change rebuild"),
        ("one_edit", "one-edit rebuild"),
        ("cold_again", "cold again, last"),
    )
    for name, label in rows:
        m = r[name]
        print(
            f"  {label:<19}{m['seconds']:8.2f} s  ({m['cpu']:6.1f} s processor, load {m['load']:.1f}; "
            f"{m['made']} made, {m['reused']} from cache{', up to date' if m['up_to_date'] else ''}"
            f"{f', {kept} pages from the pack before' if (kept := m.get('kept_pages')) else ''})"
        )
        if not m["up_to_date"]:
            print(f"  {'':<19}{_steps(m)}")
    print(
        f"  shares and ratios below are of the two cold builds' mean, {cold:.2f} s; the one-edit rebuild is "
        "the median of 5"
    )
    n = r["naive"]
    scaled = "" if n["timed"] == n["of"] else f"; timed on {n['timed']} of {n['of']}, scaled up per document"
    print(
        f"  naive conversion {naive_seconds:10.1f} s  ({n['per_document']:.2f} s a document, "
        f"{n['cpu_per_document']:.2f} s processor{scaled})"
    )
    settled_seconds = n["settled_per_document"] * docs
    print(
        f"  naive, settled    {settled_seconds:9.1f} s  ({n['settled_per_document']:.2f} s a document with a "
        f"profile settled as packgen's are, timed on {n['settled_timed']}; cold build "
        f"{settled_seconds / cold:.1f}x faster)"
    )
    convert_seconds = _step_seconds(r["cold"])["convert"]  # the steps of the first cold build, so its time
    print(
        f"  cold build is {naive_seconds / cold:.1f}x faster than the naive conversion alone, "
        f"{(r['cold']['seconds'] - convert_seconds + naive_seconds) / r['cold']['seconds']:.1f}x faster than the same "
        "build converting the naive way"
    )
    print(
        f"  one-edit rebuild = {100 * r['one_edit']['seconds'] / cold:.1f}% of cold; "
        f"{docs / cold:.1f} documents a second cold"
    )
    print(
        f"  from the command line: one-edit rebuild {r['one_edit_cli']:.2f} s = "
        f"{100 * r['one_edit_cli'] / cold:.1f}% of cold; nothing changed {r['no_change_cli']:.2f} s; "
        f"packgen --help {r['help']:.2f} s; Python starting and doing nothing {r['python_start']:.2f} s"
    )
    print(
        f"  kept running (packgen build --watch): one-edit rebuild {r['one_edit_watch']:.2f} s = "
        f"{100 * r['one_edit_watch'] / cold:.1f}% of cold, from the save to the pack in place"
    )
    print(
        f"  peak memory: {r['peak_mb_own']:.0f} MB (the building process alone, its own peak), "
        f"{r['peak_mb_sampled']:.0f} MB (every process at once, proportional share, sampled)"
    )


def _step_seconds(m: dict) -> dict[str, float]:
    """How long each step took: from the moment it first reported to the next step's first report."""
    marks = sorted(m["steps"].items(), key=lambda kv: kv[1])
    ends = [t for _, t in marks[1:]] + [m["seconds"]]
    spans = {step: end - start for (step, start), end in zip(marks, ends)}
    spans["before"] = marks[0][1] if marks else m["seconds"]
    return {step: spans.get(step, 0.0) for step in ("before", "render", "convert", "assemble")}


def _steps(m: dict) -> str:
    s = _step_seconds(m)
    return (
        f"load and plan {s['before']:.1f} s, render {s['render']:.1f} s, convert and cache "
        f"{s['convert']:.1f} s, assemble and publish {s['assemble']:.1f} s"
    )


def summary(results: list[dict]) -> None:
    print("\nTargets")
    for r in results:
        if r["pupils"] == 30:
            ratio = r["naive"]["per_document"] * r["documents"] / cold_seconds(r)
            _verdict(
                f"cold 30-pupil build >= {TARGETS['cold_vs_naive']:g}x faster than naive",
                ratio,
                ratio >= TARGETS["cold_vs_naive"],
                "x",
            )
        share = r["one_edit"]["seconds"] / cold_seconds(r)
        _verdict(
            f"{r['pupils']} pupils: one-edit rebuild <= 15% of cold", 100 * share, share <= TARGETS["edit_share"], "%"
        )
        for measured, how in (("one_edit_cli", "from the command line"), ("one_edit_watch", "with build --watch")):
            share = r[measured] / cold_seconds(r)
            _verdict(
                f"{r['pupils']} pupils: one-edit rebuild {how} <= 10% of cold",
                100 * share,
                share <= TARGETS["edit_share_cli"],
                "%",
            )
        _verdict(
            f"{r['pupils']} pupils: no-change rebuild < 2 s",
            r["no_change"]["seconds"],
            r["no_change"]["seconds"] < TARGETS["no_change_seconds"],
            " s",
        )
        if r["pupils"] == 300:
            _verdict(
                "300 pupils: peak memory < 600 MB",
                r["peak_mb_sampled"],
                r["peak_mb_sampled"] < TARGETS["peak_mb_300"],
                " MB (sampled, all processes)",
            )
    if len(results) >= 2:
        xs = [r["pupils"] for r in results]
        ys = [cold_seconds(r) for r in results]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
        intercept = mean_y - slope * mean_x
        worst = max(abs(y - (intercept + slope * x)) / y for x, y in zip(xs, ys))
        print(
            f"  cold time against pupils: {slope:.2f} s a pupil + {intercept:.1f} s "
            f"(the fit is within {100 * worst:.0f}% of every size measured)"
        )


def _verdict(what: str, value: float, met: bool, unit: str) -> None:
    print(f"  {'met   ' if met else 'MISSED'} {what}: {value:.1f}{unit}")


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    office = subprocess.run([find_soffice(), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"Machine: {model}, {len(os.sched_getaffinity(0))} cores, {memory} MB memory; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; {office}"
    )


def _own_peak_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB.

    Not getrusage's ru_maxrss: on Linux exec carries over the high-water mark of the process it replaced,
    so this process would report the peak of the one that started it, and every process it starts
    (LibreOffice, the commands timed) would report this one's as its own: their largest was never
    smaller than this process. What its children hold is in the sampled figure.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # in kB
    raise RuntimeError("/proc/self/status gives no VmHWM: peak memory is measured on Linux only")


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _Sampler:
    """The most memory this process and all its descendants held at once: their proportional set
    sizes (shared pages divided among the processes sharing them, so nothing counts twice), sampled
    every 0.2 s by a process of its own. (A thread here would make this process multi-threaded, and
    packgen forks its workers only from a single-threaded program, forked.py: it would measure
    another build than the command line's.)"""

    def __init__(self) -> None:
        self.peak = 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--sample", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        assert self._process is not None
        out, _ = self._process.communicate("")  # closing its input tells it to stop and say
        self.peak = int(out.strip() or 0)


def sample(root: int) -> None:
    """Sample ``root``'s tree (not this process) until standard input closes; print the peak in bytes."""
    peak, me = 0, os.getpid()
    while not select.select([sys.stdin], [], [], 0.2)[0]:
        peak = max(peak, sum(_pss(pid) for pid in _tree(root) if pid != me))
    print(peak)


def _tree(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found = []
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor != root:
            ancestor = parents[ancestor]
        if ancestor == root:
            found.append(pid)
    return found


def _pss(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0  # it ended meanwhile
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("Pss:")), 0)


if __name__ == "__main__":
    main()
