"""A local authority's worth of schools built in one command, against the same schools built alone.

Makes fictional schools (benchmarks/schools.py) and runs the command line as a user would,
`packgen build school-01 ... school-20`, in a process of its own, timing it and sampling the memory
of its whole process tree (packgen, its forked workers and LibreOffice: proportional set sizes, so
shared pages count once). Then builds some of the same schools alone, one command each, and prints
beside each other: the time per school, the peak memory, and each school's pack size and number of
embedded fonts built together and alone (they should be the same). The machine's load average is
printed with each step: wall time stretches when other work competes for the cores.

    .venv/bin/python benchmarks/la.py              # 20 schools of 50 pupils; 3 of them alone
    .venv/bin/python benchmarks/la.py --quick      # 4 schools of 10 pupils; 2 alone
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pypdf import PdfReader  # noqa: E402

from benchmarks.bench import _pss, _tree, machine  # noqa: E402
from benchmarks.schools import make_school  # noqa: E402

TODAY = "2026-11-23"


def build(schools: list[Path], out: Path, environment: dict, cwd: Path) -> dict:
    """One `packgen build` of ``schools``: wall time and the peak memory of its process tree."""
    command = [
        sys.executable,
        "-c",
        "from packgen.cli import main; main()",
        "build",
        *map(str, schools),
        "--out",
        str(out),
        "--today",
        TODAY,
        "--quiet",
    ]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, cwd=cwd)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], sum(_pss(pid) for pid in [process.pid, *_tree(process.pid)]))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    if code != 0:
        raise SystemExit(f"packgen build failed ({code})")
    return {"seconds": seconds, "peak_mb": peak[0] / 1024 / 1024, "load": load}


def fonts(pack: Path) -> int:
    """How many embedded font programs the pack holds."""
    found = set()
    for page in PdfReader(pack).pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = font.get_object()
            for item in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                descriptor = item.get("/FontDescriptor")
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if descriptor is not None and key in descriptor.get_object():
                        found.add(descriptor.get_object().raw_get(key).idnum)
    return len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--pupils", type=int, default=50, help="pupils per school")
    parser.add_argument("--alone", type=int, default=3, help="how many of the schools to build alone as well")
    parser.add_argument("--quick", action="store_true", help="4 schools of 10 pupils, 2 alone")
    args = parser.parse_args()
    if args.quick:
        args.schools, args.pupils, args.alone = 4, 10, 2
    print(machine())
    with tempfile.TemporaryDirectory(prefix="packgen-la-") as folder:
        work = Path(folder)
        schools = [make_school(work / "data" / f"school-{n:02d}", args.pupils) for n in range(1, args.schools + 1)]
        # A snapshot of the code: every build measured runs the same code, whatever is edited meanwhile.
        snapshot = work / "snapshot"
        shutil.copytree(REPO / "packgen", snapshot / "packgen", ignore=shutil.ignore_patterns("__pycache__"))
        compileall.compile_dir(snapshot / "packgen", quiet=1)  # as an installed package is
        # An empty user cache (LibreOffice profiles, compiled templates), as on a new machine.
        environment = os.environ | {"PYTHONPATH": str(snapshot), "XDG_CACHE_HOME": str(work / "user-cache")}
        together = build(schools, work / "together", environment, work)
        alone = {
            school.name: build([school], work / "alone" / school.name, environment, work)
            for school in schools[: args.alone]
        }
        total = args.schools * args.pupils
        print(
            f"\n{args.schools} schools of {args.pupils} pupils ({total} pupils), one command: "
            f"{together['seconds']:.1f} s, {together['seconds'] / args.schools:.2f} s a school, "
            f"peak memory {together['peak_mb']:.0f} MB (load average {together['load']:.1f} at the start)"
        )
        per_school = sum(a["seconds"] for a in alone.values()) / len(alone)
        print(
            f"The same schools alone, one command each ({len(alone)} of them): {per_school:.2f} s a school, "
            f"peak memory {max(a['peak_mb'] for a in alone.values()):.0f} MB; "
            f"together / alone, time a school: {together['seconds'] / args.schools / per_school:.2f}"
        )
        print(f"\n  {'school':<12}{'pack together':>15}{'alone':>10}{'ratio':>8}{'fonts together':>16}{'alone':>7}")
        for name in alone:
            joint = work / "together" / name / "evidence-pack.pdf"
            single = work / "alone" / name / name / "evidence-pack.pdf"
            size_j, size_s = joint.stat().st_size / 1e6, single.stat().st_size / 1e6
            print(
                f"  {name:<12}{size_j:>13.2f}MB{size_s:>8.2f}MB{size_j / size_s:>8.3f}"
                f"{fonts(joint):>16}{fonts(single):>7}"
            )


if __name__ == "__main__":
    main()
