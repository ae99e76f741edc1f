"""Fictional schools of any size, cloned from the demo school's records for the benchmark.

Each pupil is one of the demo's 18 records (so its size, reviews and visits are realistic), given its
own file name, name and a valid UPN. Everything is fictional, as the demo school is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from packgen.records.upn import check_letter

DEMO = Path(__file__).resolve().parent.parent / "data" / "brookfield-academy"

FORENAMES = [
    "Amara",
    "Bartek",
    "Cerys",
    "Dev",
    "Elif",
    "Finn",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kezia",
    "Leon",
    "Maya",
    "Nikolai",
    "Orla",
    "Priya",
    "Quinn",
    "Rhys",
    "Sana",
    "Tomas",
    "Uma",
    "Viktor",
    "Wren",
    "Xavier",
    "Yusuf",
    "Zara",
]
SURNAMES = [
    "Adebayo",
    "Brennan",
    "Chowdhury",
    "Dlamini",
    "Evans",
    "Fitzgerald",
    "Gallagher",
    "Horvat",
    "Iqbal",
    "Jankowski",
    "Kowalczyk",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "Okafor",
    "Petrova",
    "Quinlan",
    "Rossi",
    "Sandhu",
    "Thornton",
    "Ustinov",
    "Vasquez",
    "Whitfield",
    "Yilmaz",
    "Zielinski",
]


def make_school(dest: Path, pupils: int) -> Path:
    """Write a school folder with ``pupils`` pupils at ``dest`` (replacing it) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(DEMO / "school.yaml", dest / "school.yaml")
    shutil.copytree(DEMO / "providers", dest / "providers")
    shutil.copytree(DEMO / "evidence", dest / "evidence")
    models = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((DEMO / "pupils").glob("*.yaml"))]
    (dest / "pupils").mkdir()
    for number in range(1, pupils + 1):
        record = models[(number - 1) % len(models)]
        pupil = dict(record["pupil"])
        pupil["legal_forename"] = FORENAMES[number % len(FORENAMES)]
        pupil["legal_surname"] = SURNAMES[(number // len(FORENAMES)) % len(SURNAMES)] + f"-{number}"
        pupil.pop("preferred_name", None)
        body = f"99949{number:07d}"
        pupil["upn"] = check_letter(body) + body
        write_record(dest / "pupils" / f"p{number:03d}.yaml", record | {"pupil": pupil})
    return dest


def write_record(path: Path, record: dict) -> None:
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_one_record(school: Path) -> Path:
    """Change one pupil's transport arrangements, as office staff might; return the file changed."""
    path = sorted((school / "pupils").glob("*.yaml"))[0]
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["placement"]["transport"] = record["placement"]["transport"] + " Escort from the local authority."
    write_record(path, record)
    return path
