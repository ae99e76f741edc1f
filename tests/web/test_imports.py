"""The import page: upload, column mapping for a first CSV, preview, confirm; through Flask's test client."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from packgen.records.read import load_school
from packgen.web import Settings, create_app
from tests.conftest import DEMO

CTF = DEMO / "imports" / "brookfield-ctf.xml"
CSV = DEMO / "imports" / "brookfield-mis.csv"


def client_for(school: Path):
    return create_app(Settings(school, school.parent.parent / "output", today=date(2026, 11, 23))).test_client()


def csrf(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def upload(client, path: Path):
    token = csrf(client.get("/imports").get_data(as_text=True))
    return client.post(
        "/imports",
        data={"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data",
    )


def test_upload_preview_and_confirm_a_ctf(demo_copy):
    client = client_for(demo_copy)
    sent = upload(client, CTF)
    assert sent.status_code == 302
    body = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Matched by UPN: 18" in body and "07700 900117" in body and "Ellie-Mae Barnes" in body
    assert load_school(demo_copy).pupils["p02"].pupil.parent_carers[0].phone == "07700 900111"  # not yet
    done = client.post(sent.headers["Location"] + "/apply", data={"csrf_token": csrf(body), "add": "T999499917203"})
    assert done.status_code == 200 and "Written: 19 records" in done.get_data(as_text=True)
    data = load_school(demo_copy)
    assert data.pupils["p02"].pupil.parent_carers[0].phone == "07700 900117"
    assert list(data.unplaced) == ["p19"]
    uploads = demo_copy.parent.parent / "output" / demo_copy.name / ".imports"
    assert list(uploads.iterdir()) == []  # the uploaded file goes once written


def test_a_first_csv_asks_for_its_columns(demo_copy):
    (demo_copy / "imports" / "csv-mapping.yaml").unlink()
    client = client_for(demo_copy)
    sent = upload(client, CSV)
    columns = client.get(sent.headers["Location"])
    assert columns.status_code == 302 and columns.headers["Location"].endswith("/columns")
    form = client.get(columns.headers["Location"]).get_data(as_text=True)
    assert '<option value="UPN" selected>' in form
    fields = {
        "csrf_token": csrf(form),
        "upn": "UPN",
        "legal_surname": "Legal Surname",
        "dob": "DOB",
        "sen": "SEN Status",
        "dates": "DD/MM/YYYY",
        "address": ["Address 1", "Town", "Postcode"],
    }
    saved = client.post(columns.headers["Location"], data=fields)
    assert saved.status_code == 302
    assert (demo_copy / "imports" / "csv-mapping.yaml").exists()
    body = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Matched by UPN: 18" in body and "SEN support" in body and "sen_support" not in body  # words, not codes


def test_a_bomb_is_refused_on_the_page(demo_copy, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY a "lol">]><CTfile>&a;</CTfile>', "utf-8")
    client = client_for(demo_copy)
    sent = upload(client, bomb)
    body = client.get(sent.headers["Location"])
    assert body.status_code == 422 and "DOCTYPE" in body.get_data(as_text=True)
