"""How long the web pages take, at several school sizes, kept between requests and read afresh.

For each size (fictional schools, benchmarks/schools.py) it times the pupils table, one pupil's page
and the providers page through Flask's test client: the first request (everything read), then the
median of later ones with nothing changed, and after one record was edited. Beside each, the same
pages with the school read and assessed afresh on every request (how the pages worked before the
school was kept), measured in the same run, interleaved, so the ratio holds however busy the machine is.
Then a form's save: the check of the whole school with the change, against the records kept, beside
writing the change into a copy of the folder and reading it all (how saves were checked before).

    .venv/bin/python benchmarks/web.py                   # 30, 300 and 1000 pupils
    .venv/bin/python benchmarks/web.py --sizes 30 300 --repeat 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.schools import edit_one_record, make_school  # noqa: E402
from packgen.readiness.kept import KeptFindings  # noqa: E402
from packgen.records.read import load_healthy, load_school  # noqa: E402
from packgen.web import Settings, create_app  # noqa: E402
from packgen.web.school import KeptSchool  # noqa: E402

TODAY = date(2026, 11, 23)
PAGES = {"pupils table": "/pupils", "one pupil": "/pupils/p001", "providers": "/providers"}


class Afresh(KeptSchool):
    """The naive way: every request reads and checks every record and assesses every rule again."""

    @property
    def records(self):
        return _Reader(self.folder)

    @records.setter
    def records(self, value) -> None:
        pass

    @property
    def findings(self):
        return KeptFindings()

    @findings.setter
    def findings(self, value) -> None:
        pass


class _Reader:
    def __init__(self, folder: Path):
        self.folder = folder

    def load(self):
        return load_school(self.folder)

    def load_healthy(self):
        return load_healthy(self.folder)


def timed(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    took = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return took


def measure(pupils: int, repeat: int, root: Path) -> None:
    school = make_school(root / f"school-{pupils}", pupils)
    kept_app = create_app(Settings(school, root / "output", today=TODAY))
    naive_app = create_app(Settings(school, root / "output", today=TODAY))
    naive_app.extensions["packgen_school"] = Afresh(school)
    kept, naive = kept_app.test_client(), naive_app.test_client()
    first = {name: timed(kept, url) for name, url in PAGES.items()}
    times: dict[str, dict[str, list[float]]] = {name: {"kept": [], "afresh": [], "edit": []} for name in PAGES}
    for _ in range(repeat):
        for name, url in PAGES.items():  # interleaved: both ways see the same load on the machine
            times[name]["kept"].append(timed(kept, url))
            times[name]["afresh"].append(timed(naive, url))
    for _ in range(repeat):
        for name, url in PAGES.items():
            edit_one_record(school)
            times[name]["edit"].append(timed(kept, url))
    print(f"\n{pupils} pupils (milliseconds; median of {repeat}; first request {first['pupils table'] * 1000:.0f} ms)")
    print(f"  {'page':<14}{'kept':>8}{'after an edit':>15}{'afresh':>9}{'afresh/kept':>13}")
    for name in PAGES:
        k, e, a = (statistics.median(times[name][way]) * 1000 for way in ("kept", "edit", "afresh"))
        print(f"  {name:<14}{k:>8.1f}{e:>15.1f}{a:>9.1f}{a / k:>12.1f}x")
    # A form's save checks the whole school as it would be with the change: against the records the
    # page keeps, or (the naive way) by writing the change into a copy of the folder and reading it all.
    relative = "pupils/p001.yaml"
    text = (school / relative).read_text(encoding="utf-8")
    records = kept_app.extensions["packgen_school"].records
    checks: dict[str, list[float]] = {"kept": [], "copy": []}
    for n in range(repeat):
        start = time.perf_counter()
        assert records.problems_if(relative, text) == []
        checks["kept"].append(time.perf_counter() - start)
        start = time.perf_counter()
        copy = root / f"copy-{pupils}-{n}" / school.name
        shutil.copytree(school, copy)
        (copy / relative).write_text(text, encoding="utf-8")
        load_school(copy)
        checks["copy"].append(time.perf_counter() - start)
    k, c = (statistics.median(checks[way]) * 1000 for way in ("kept", "copy"))
    print(f"  {'a save checked':<14}{k:>8.1f}{'':>15}{c:>9.1f}{c / k:>12.1f}x   (afresh: in a copy of the folder)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 1000], help="pupils per school")
    parser.add_argument("--repeat", type=int, default=7, help="requests of each page each way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="packgen-web-bench-") as folder:
        for pupils in args.sizes:
            measure(pupils, args.repeat, Path(folder))


if __name__ == "__main__":
    main()
