"""Importing pupils' details from an MIS: a CTF or a CSV export, compared with and written to the records."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from packgen.errors import DataError, InputError
from packgen.readiness.rules import assess
from packgen.records import merge
from packgen.records.ctf import read_ctf
from packgen.records.incoming import MAX_FILE_BYTES
from packgen.records.mis_csv import (
    MAPPING_FILE,
    MAPPING_MAX_BYTES,
    guess_mapping,
    load_mapping,
    read_csv,
    read_headings,
)
from packgen.records.read import load_school
from tests.conftest import DEMO, run_cli

CTF = DEMO / "imports" / "brookfield-ctf.xml"
CSV = DEMO / "imports" / "brookfield-mis.csv"
# The deliberate differences between the demo's exports and its records (besides the first addresses).
EXPECTED = {
    "p02": [("pupil.parent_carers[1].phone", "07700 900111", "07700900117")],
    "p07": [("pupil.parent_carers[1].email", "lisa.thompson@mail.example", "lisa.thompson@example.org")],
    "p08": [("pupil.parent_carers[1].phone", "07700 900181", "07700900187")],
    "p12": [("pupil.flags.sen_support", False, True)],
    "p13": [("pupil.parent_carers[1].phone", "07700 900231", "07700900237")],
}
NOT_IN_AP = {"D999499916201", "T999499916202", "T999499917203", "Z999499914204"}


def digests(school: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((school / "pupils").iterdir())}


def changes_besides_address(plan: merge.ImportPlan) -> dict[str, list[tuple]]:
    from packgen.records.yaml_tree import key_text

    found = {}
    for update in plan.matched:
        kept = [(key_text(c.path), c.old, c.new) for c in update.changes if c.path[1] not in ("address", "home_phone")]
        if kept:
            found[update.pupil_id] = kept
    return found


@pytest.mark.parametrize("source", ["ctf", "csv"])
def test_the_demo_exports_show_exactly_the_deliberate_differences(source):
    incoming = read_ctf(CTF) if source == "ctf" else read_csv(CSV, load_mapping(DEMO))
    plan = merge.plan_import(DEMO, incoming)
    assert len(plan.matched) == 18
    assert {p.upn for p in plan.not_in_packgen} == NOT_IN_AP
    found = changes_besides_address(plan)
    if source == "ctf":  # the CTF keeps the spaces in phone numbers; the CSV export has none
        for rows in found.values():
            rows[:] = [(p, o, n.replace(" ", "") if isinstance(n, str) and "phone" in p else n) for p, o, n in rows]
    assert found == EXPECTED
    assert incoming.warnings == []
    # The foster carers (one record entry, two CTF contacts) and a name in Arabic script are not changes.
    assert "p04" not in found and "p05" not in found


def test_a_realistic_ctf_keeps_names_as_written():
    pupils = {p.upn: p for p in read_ctf(CTF).pupils}
    assert pupils["Y999499913102"].legal_surname == "Łukasiewicz"
    assert pupils["D999499916201"].name == "Oliwia Wiśniewska"
    assert pupils["F999499919105"].contacts[0].name == "ليلى الراشد"
    assert pupils["F999499915101"].preferred_name == "Chlo"
    assert pupils["Y999499915104"].lac is True and pupils["Y999499915104"].contacts[0].responsible is False


def test_element_names_are_matched_without_case_and_older_gender_is_read(tmp_path):
    text = CTF.read_text("utf-8").replace("<CTFversion>26.0</CTFversion>", "<CTFVersion>19.0</CTFVersion>")
    text = text.replace("<Sex>", "<Gender>").replace("</Sex>", "</Gender>").replace("<Forename>", "<FORENAME>")
    text = text.replace("</Forename>", "</FORENAME>")
    path = tmp_path / "old.xml"
    path.write_text(text, "utf-8")
    result = read_ctf(path)
    assert result.version == "19.0" and result.warnings == []
    assert {p.gender for p in result.pupils} == {"female", "male"}
    assert result.pupils[0].legal_forename == "Chloé"


def test_an_unknown_version_is_read_with_a_warning(tmp_path):
    path = tmp_path / "new.xml"
    path.write_text(CTF.read_text("utf-8").replace(">26.0<", ">31.0<"), "utf-8")
    result = read_ctf(path)
    assert len(result.pupils) == 22
    assert any("version 31.0" in w for w in result.warnings)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE CTfile [
 <!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<CTfile><Header><DocumentName>&i;</DocumentName></Header></CTfile>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CTfile><CTFpupilData><Pupil><UPN>F999499915101</UPN><Surname>&secret;</Surname></Pupil></CTFpupilData></CTfile>"""
NO_DTD_ENTITY = """<?xml version="1.0"?>
<CTfile><CTFpupilData><Pupil><UPN>F999499915101</UPN><Surname>&unknown;</Surname></Pupil></CTFpupilData></CTfile>"""


@pytest.mark.parametrize(
    "text, words",
    [
        (BOMB, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        (NO_DTD_ENTITY, "not readable XML"),
        ('<?xml version="1.0"?><html><body>report</body></html>', "is not a Common Transfer File"),
        ('<?xml version="1.0"?><CTfile><Header>', "not readable XML"),
    ],
)
def test_unsafe_or_wrong_xml_is_refused_and_nothing_changes(demo_copy, text, words):
    path = demo_copy / "bad.xml"
    path.write_text(text, "utf-8")
    before = digests(demo_copy)
    result = run_cli("import", demo_copy, path, "--apply")
    assert result.exit_code == 1
    assert words in result.output and "bad.xml" in result.output
    assert digests(demo_copy) == before


def test_a_ctf_declared_utf8_but_saved_as_latin1_is_refused(demo_copy):
    path = demo_copy / "latin1.xml"
    path.write_bytes(
        CTF.read_text("utf-8")
        .replace("Chloé", "Chloe")
        .replace("<!-- FICTIONAL", "<!-- é FICTIONAL")
        .encode("utf-8", "ignore")
        .replace("é".encode(), b"\xe9")
    )
    result = run_cli("import", demo_copy, path)
    assert result.exit_code == 1 and "not readable XML" in result.output and "encoding" in result.output


def test_a_utf16_ctf_with_its_bom_is_read(tmp_path):
    path = tmp_path / "utf16.xml"
    path.write_bytes(CTF.read_text("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert len(read_ctf(path).pupils) == 22


@pytest.mark.parametrize(
    "change, words",
    [
        (("<UPN>F999499915101</UPN>", "<UPN>A999499915101</UPN>"), "wrong check letter"),
        (("<UPN>F999499915101</UPN>", ""), "has no UPN"),
        (("<UPN>Y999499913102</UPN>", "<UPN>F999499915101</UPN>"), "has the UPN F999499915101 of pupil 1"),
    ],
)
def test_missing_or_invalid_upns_are_refused_by_pupil(demo_copy, change, words):
    path = demo_copy / "upn.xml"
    path.write_text(CTF.read_text("utf-8").replace(*change), "utf-8")
    before = digests(demo_copy)
    result = run_cli("import", demo_copy, path, "--apply")
    assert result.exit_code == 1 and words in result.output and "nothing was changed" in result.output
    assert digests(demo_copy) == before


def shuffled_csv(tmp_path: Path, drop: set[str]) -> Path:
    import csv

    rows = list(csv.DictReader(CSV.read_text("utf-8-sig").splitlines()))
    headings = [h for h in reversed(list(rows[0])) if h not in drop]
    path = tmp_path / "shuffled.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, headings, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_csv_with_shuffled_and_missing_columns_is_read_through_the_mapping(tmp_path):
    path = shuffled_csv(tmp_path, {"Contact 1 Email", "Home Telephone"})
    result = read_csv(path, load_mapping(DEMO))
    assert any("'Contact 1 Email'" in w for w in result.warnings)
    assert any("'Home Telephone'" in w for w in result.warnings)
    found = changes_besides_address(merge.plan_import(DEMO, result))
    assert "p07" not in found  # its only change was the e-mail, whose column is gone
    assert {k: v for k, v in EXPECTED.items() if k != "p07"} == found


def test_a_csv_without_the_upn_column_is_refused(tmp_path):
    result = run_cli("import", DEMO, shuffled_csv(tmp_path, {"UPN"}))
    assert result.exit_code == 1 and "no column 'UPN'" in result.output


@pytest.mark.parametrize(
    "encode, words",
    [
        (lambda t: t.encode("utf-16"), "UTF-16"),
        (lambda t: t.encode("latin-1", "replace"), "not UTF-8"),
    ],
)
def test_a_csv_in_the_wrong_encoding_is_refused(tmp_path, encode, words):
    path = tmp_path / "export.csv"
    path.write_bytes(encode(CSV.read_text("utf-8-sig")))
    result = run_cli("import", DEMO, path)
    assert result.exit_code == 1 and words in result.output and "CSV UTF-8" in result.output


def test_a_csv_without_a_saved_mapping_asks_for_one(demo_copy):
    (demo_copy / "imports" / "csv-mapping.yaml").unlink()
    result = run_cli("import", demo_copy, demo_copy / "imports" / "brookfield-mis.csv")
    assert result.exit_code == 1 and "packgen import --map" in result.output


def test_map_saves_the_confirmed_mapping(demo_copy):
    from click.testing import CliRunner

    from packgen.cli import main

    (demo_copy / "imports" / "csv-mapping.yaml").unlink()
    answers = "\n" * 14 + "y\n\n"
    result = CliRunner().invoke(main, ["import", "--map", str(demo_copy), str(CSV)], input=answers)
    assert result.exit_code == 0, result.output
    assert load_mapping(demo_copy) == guess_mapping(read_headings(CSV))
    assert "Matched by UPN: 18" in result.output


def test_without_apply_nothing_is_written(demo_copy):
    before = digests(demo_copy)
    result = run_cli("import", demo_copy, demo_copy / "imports" / "brookfield-ctf.xml")
    assert result.exit_code == 0
    assert "pupil.parent_carers[1].phone (Agnieszka Łukasiewicz): '07700 900111' -> '07700 900117'" in result.output
    assert "Nothing written yet" in result.output
    assert digests(demo_copy) == before


def test_apply_writes_only_what_the_mis_owns_and_keeps_comments(demo_copy):
    before = {i: r for i, r in load_school(demo_copy).pupils.items()}
    original = (demo_copy / "pupils" / "p02.yaml").read_text("utf-8")
    result = run_cli("import", demo_copy, demo_copy / "imports" / "brookfield-ctf.xml", "--apply")
    assert result.exit_code == 0, result.output
    after = load_school(demo_copy)
    for pupil_id, record in after.pupils.items():
        old = before[pupil_id]
        assert (record.placement, record.reviews, record.visits, record.attendance) == (
            old.placement,
            old.reviews,
            old.visits,
            old.attendance,
        )
    assert after.pupils["p02"].pupil.parent_carers[0].phone == "07700 900117"
    assert after.pupils["p12"].pupil.flags.sen_support is True
    assert after.pupils["p02"].pupil.address == "Flat 3, 8 Weaver Court, Canal Side, Northtown, NT2 6XA"
    text = (demo_copy / "pupils" / "p02.yaml").read_text("utf-8")
    assert text.splitlines()[0] == original.splitlines()[0]  # the comment at the top
    changed = [line for line in text.splitlines() if line not in original.splitlines()]
    assert len(changed) == 3  # the address, the home phone and the mother's phone
    again = run_cli("import", demo_copy, demo_copy / "imports" / "brookfield-ctf.xml")
    assert "0 with changes" in again.output and "Nothing to change." in again.output


def test_add_makes_a_record_awaiting_its_placement(demo_copy):
    result = run_cli(
        "import", demo_copy, demo_copy / "imports" / "brookfield-ctf.xml", "--apply", "--add", "T999499917203"
    )
    assert result.exit_code == 0, result.output
    data = load_school(demo_copy)
    assert list(data.unplaced) == ["p19"] and "p19" not in data.pupils
    assert data.unplaced["p19"].pupil.parent_carers[0].name == "Pauline Barnes"
    findings = [f for f in assess(data, data.unplaced["p19"].pupil.dob) if f.rule == "R23"]
    assert len(findings) == 1 and "Ellie-Mae Barnes" in findings[0].message
    assert findings[0].record_key == "placement in pupils/p19.yaml"  # for the command line, not the sentence
    check = run_cli("check", demo_copy)
    assert check.exit_code == 0 and "R23" in check.output and "Ellie-Mae Barnes" in check.output
    assert "record: placement in pupils/p19.yaml" in check.output


def test_add_refuses_a_pupil_already_in_packgen_or_not_in_the_file(demo_copy):
    for upn, words in (("F999499915101", "already in packgen"), ("D999499916209", "holds no pupil")):
        result = run_cli("import", demo_copy, CTF, "--add", upn)
        assert result.exit_code == 1 and words in result.output


def test_a_change_that_would_break_a_record_writes_nothing(demo_copy):
    plan = merge.plan_import(demo_copy, read_ctf(CTF))
    plan.matched[0].text = plan.matched[0].text.replace("dob: 2012-04-03", "dob: 2012-13-03")
    before = digests(demo_copy)
    with pytest.raises(DataError, match="dob"):
        merge.apply_import(plan)
    assert digests(demo_copy) == before


def test_a_record_edited_during_the_import_stops_it_whole(demo_copy):
    plan = merge.plan_import(demo_copy, read_ctf(CTF))
    target = demo_copy / "pupils" / "p18.yaml"
    target.write_text(target.read_text("utf-8") + "# edited by hand meanwhile\n", "utf-8")
    before = digests(demo_copy)
    with pytest.raises(InputError, match="changed by someone else"):
        merge.apply_import(plan)
    assert digests(demo_copy) == before
    assert not [p for p in (demo_copy / "pupils").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("name", ["export.xml", "export.csv"])
def test_an_export_that_is_a_pipe_is_refused_without_waiting_for_it(demo_copy, tmp_path, name):
    pipe = tmp_path / name
    os.mkfifo(pipe)  # nobody writes to it: opening it the ordinary way would wait for ever
    with pytest.raises(InputError, match=rf"{name}: is not an ordinary file"):
        merge.read_source(demo_copy, pipe)
    result = run_cli("import", demo_copy, pipe)
    assert result.exit_code == 1 and name in result.output and "Traceback" not in result.output


def test_an_export_far_too_big_is_refused_before_it_is_read(demo_copy, tmp_path):
    huge = tmp_path / "export.csv"
    with huge.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: its size says enough
    with pytest.raises(InputError, match=r"export.csv: is over 200 MB"):
        merge.read_source(demo_copy, huge)
    huge.rename(huge.with_suffix(".xml"))
    with pytest.raises(InputError, match=r"export.xml: is over 200 MB"):
        read_ctf(huge.with_suffix(".xml"))


def test_a_column_mapping_that_is_a_pipe_or_huge_is_refused_naming_it(demo_copy):
    mapping = demo_copy / MAPPING_FILE
    mapping.unlink()
    os.mkfifo(mapping)
    with pytest.raises(InputError, match=r"csv-mapping.yaml: is not an ordinary file"):
        load_mapping(demo_copy)
    mapping.unlink()
    with mapping.open("wb") as stream:
        stream.truncate(MAPPING_MAX_BYTES + 1)
    with pytest.raises(InputError, match=r"csv-mapping.yaml: is 1,000,001 bytes"):
        load_mapping(demo_copy)


def test_a_pupil_record_swapped_for_a_pipe_during_an_import_is_refused(demo_copy):
    plan = merge.plan_import(demo_copy, read_ctf(CTF))
    update = next(u for u in plan.matched if u.changes)
    record = demo_copy / update.file
    record.unlink()
    os.mkfifo(record)
    with pytest.raises(InputError, match=rf"{update.file}: is not an ordinary file"):
        merge.apply_import(plan)
