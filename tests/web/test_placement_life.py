"""Starting a placement for a pupil who has none, reopening one ended by mistake, undoing a move made
by mistake, and where the return to school is kept; through Flask's test client on a copy of the demo
school.

A pupil from the school's information system gets a placement from their own page (the provider
chosen or added on the way); a pupil whose placement ended starts another, the ended one kept as an
earlier placement; an ended placement is reopened, and a move undone, after a confirmation page. Each
is refused with the reason in words when it does not fit (no provider chosen, a start before the last
end, a record changed meanwhile), and nothing is written then. The letters a placement needs sent are
made from the pupil's page too.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from packgen.records.read import load_school
from packgen.records.upn import check_letter
from tests.conftest import date_fields, field_error, form_fields, make_client, page, page_text, submit


@pytest.fixture
def client(demo_copy: Path):
    return make_client(demo_copy)


def summary(body: str) -> list[str]:
    """The error summary's entries, top to bottom, each with where its link goes."""
    box = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    items = re.findall(r'<li>\s*<a href="([^"]*)">(.*?)</a>', box.group(0), re.S) if box else []
    return [f"{page_text(words)} -> {href}" for href, words in items]


def unplaced_pupil(school: Path) -> Path:
    """A pupil as an import from the school's MIS writes one: details, no placement yet."""
    body = "999499919207"
    path = school / "pupils" / "p19.yaml"
    path.write_text(
        f'pupil:\n  upn: "{check_letter(body)}{body}"\n  legal_forename: Ellie-Mae\n  legal_surname: Barnes\n'
        "  dob: 2012-03-14\n  year_group: 9\n  gender: female\n",
        encoding="utf-8",
    )
    return path


def placement_fields(provider: str, start: str = "2026-11-30") -> dict[str, str]:
    return {
        "provider": provider,
        "category": "short_term_part_time",
        "arranged_by": "school",
        "hours_per_week": "10",
        **date_fields("start_date", start),
    }


def end_placement(client, pupil_id: str, last_day: str) -> None:
    fields = form_fields(page(client, f"/pupils/{pupil_id}/end")) | {
        "reason": "Targets met.",
        "outcome": "returned_to_school",
        **date_fields("ended_on", last_day),
    }
    assert submit(client, f"/pupils/{pupil_id}/end", fields).status_code == 302


# ---------------------------------------------------------------- a pupil from the MIS, placed from the page


def test_a_pupil_from_the_information_system_is_placed_from_their_page(client, demo_copy):
    path = unplaced_pupil(demo_copy)
    listing = page(client, "/pupils")
    assert 'href="/pupils/p19/placement/start"' in listing
    own = page(client, "/pupils/p19")
    assert "no placement yet" in page_text(own) and 'href="/pupils/p19/placement/start"' in own

    chooser = page(client, "/pupils/p19/placement/start")
    assert "Which provider will Ellie-Mae Barnes attend?" in page_text(chooser) and "&lt;span" not in chooser
    assert "Bridge Learning Centre" in page_text(chooser) and "bridge-learning-centre" not in page_text(chooser)
    nothing = submit(client, "/pupils/p19/placement/start", {})
    assert nothing.status_code == 422
    assert summary(nothing.get_data(as_text=True)) == [
        "Choose the provider, or say it is not on the list yet -> #provider"
    ]
    chosen = submit(client, "/pupils/p19/placement/start", {"provider": "riverside-centre"})
    assert chosen.headers["Location"] == "/pupils/p19/placement/new?provider=riverside-centre"

    form = page(client, chosen.headers["Location"])
    assert form_fields(form)["provider"] == "riverside-centre"  # as chosen on the step before
    saved = submit(client, chosen.headers["Location"], form_fields(form) | placement_fields("riverside-centre"))
    assert saved.status_code == 302 and saved.headers["Location"] == "/pupils/p19/steps"
    data = load_school(demo_copy)
    assert "p19" in data.pupils and "p19" not in data.unplaced
    placement = data.pupils["p19"].placement
    assert (placement.provider, placement.start_date, placement.hours_per_week) == (
        "riverside-centre",
        date(2026, 11, 30),
        10,
    )
    assert data.pupils["p19"].past_placements == []
    assert path.read_text(encoding="utf-8").startswith('pupil:\n  upn: "')  # the pupil part as the import wrote it
    steps = page(client, "/pupils/p19/steps")
    assert "The placement at Riverside Centre (Northshire Pupil Referral Unit) is recorded" in page_text(steps)
    assert 'id="agreement-pdf"' in steps  # the agreement, ready to print and sign


def test_a_provider_not_on_the_list_is_added_on_the_way_to_the_placement(client, demo_copy):
    unplaced_pupil(demo_copy)
    onward = submit(client, "/pupils/p19/placement/start", {"provider": "new"})
    assert onward.headers["Location"] == "/providers/new?for_pupil=p19"
    assert 'href="/pupils/p19/placement/start"' in page(client, "/providers/new?for_pupil=p19")  # back to the choice
    fields = {
        "name": "Larch Farm Learning",
        "kind": "unregistered",
        "address": "Larch Farm, Northshire",
        "registration_status": "unregistered",
        "standards_meets": "yes",
        "lead_name": "R. Okafor",
        "lead_email": "r@larch.example",
    }
    added = submit(client, "/providers/new?for_pupil=p19", fields)
    assert added.headers["Location"] == "/pupils/p19/placement/new?provider=larch-farm-learning"
    assert "larch-farm-learning" in load_school(demo_copy).providers


def test_the_placement_form_refuses_mistakes_beside_their_fields_and_writes_nothing(client, demo_copy):
    path = unplaced_pupil(demo_copy)
    before = path.read_bytes()
    url = "/pupils/p19/placement/new"
    sent = submit(client, url, form_fields(page(client, url)) | {"hours_per_week": "10"})
    assert sent.status_code == 422
    body = sent.get_data(as_text=True)
    assert field_error(body, "provider") == "Choose provider" and field_error(body, "start_date") == "Enter start date"
    assert [line.split(":")[0] for line in summary(body)] == [
        "Provider",
        "Kind of placement",
        "Arranged by",
        "Start date",
    ]
    assert ".yaml" not in page_text(body) and "placement.start_date" not in page_text(body)
    assert path.read_bytes() == before


def test_a_pupil_in_a_placement_now_is_sent_to_move_instead(client):
    sent = client.get("/pupils/p02/placement/start")
    assert sent.status_code == 302 and sent.headers["Location"] == "/pupils/p02/steps"
    assert "To change provider, move the pupil" in page_text(page(client, "/pupils/p02/steps"))


def test_the_new_placement_page_offers_pupils_with_no_placement_and_says_when_none_is_chosen(client, demo_copy):
    unplaced_pupil(demo_copy)
    body = page(client, "/placements/new")
    starting = re.search(r'<select[^>]*id="pupil-starting".*?</select>', body, re.S).group(0)
    assert "Ellie-Mae Barnes" in starting and "Elif" not in starting  # placed pupils move instead
    chosen = submit(client, "/placements/new", {"pupil-starting": "p19"})
    assert chosen.headers["Location"] == "/pupils/p19/placement/start"
    none = submit(client, "/placements/new", {"pupil-starting": ""})
    assert none.status_code == 422
    assert summary(none.get_data(as_text=True)) == ["Choose the pupil from the list -> #pupil-starting"]


# ---------------------------------------------------------------- after a placement ends


def test_a_new_placement_after_one_ended_keeps_the_ended_one_as_history(client, demo_copy):
    end_placement(client, "p02", "2026-11-20")
    steps = page(client, "/pupils/p02/steps")
    assert 'href="/pupils/p02/placement/start"' in steps and 'href="/pupils/p02/reopen"' in steps
    assert 'href="/pupils/p02/move"' not in steps  # an ended placement is not moved: another is started
    assert client.get("/pupils/p02/move").headers["Location"] == "/pupils/p02/placement/start"

    url = "/pupils/p02/placement/new"
    too_soon = submit(client, url, form_fields(page(client, url)) | placement_fields("oakmere-school", "2026-11-16"))
    assert too_soon.status_code == 422 and field_error(too_soon.get_data(as_text=True), "start_date") == (
        "is before the last day of the placement before it (20 November 2026): a new placement starts on or after "
        "that day"
    )
    assert load_school(demo_copy).pupils["p02"].past_placements == []

    fields = form_fields(page(client, url)) | placement_fields("oakmere-school", "2026-11-23")
    assert submit(client, url, fields).status_code == 302
    record = load_school(demo_copy).pupils["p02"]
    (earlier,) = record.past_placements
    assert (earlier.provider, earlier.ended.ended_on, earlier.ended.reason) == (
        "hart-and-field-vocational",
        date(2026, 11, 20),
        "Targets met.",
    )
    assert (record.placement.provider, record.placement.ended, record.placement.start_date) == (
        "oakmere-school",
        None,
        date(2026, 11, 23),
    )
    assert record.placement.targets == earlier.targets  # the pupil's targets, which reviews rate, go on
    assert len(record.reviews) > 0  # the rest of the record stays


def test_a_placement_form_opened_before_someone_changed_the_record_is_refused(client, demo_copy):
    path = unplaced_pupil(demo_copy)
    url = "/pupils/p19/placement/new"
    fields = form_fields(page(client, url)) | placement_fields("riverside-centre")
    path.write_text(path.read_text(encoding="utf-8") + "  ethnicity: WBRI\n", encoding="utf-8")
    changed = path.read_bytes()
    body = submit(client, url, fields).get_data(as_text=True)
    assert "This record was changed by someone else since you opened it" in page_text(body)
    assert path.read_bytes() == changed


def test_a_move_cannot_start_before_the_placement_it_ends(client, demo_copy):
    path = demo_copy / "pupils" / "p03.yaml"
    before = path.read_bytes()
    fields = form_fields(page(client, "/pupils/p03/move")) | {
        "reason": "Closer to home.",
        "provider": "oakmere-school",
        "hours_per_week": "25",
        **date_fields("ended_on", "2026-11-20"),
        **date_fields("start_date", "2026-11-19"),
    }
    body = submit(client, "/pupils/p03/move", fields).get_data(as_text=True)
    assert "a new placement starts on or after that day" in field_error(body, "start_date")
    assert path.read_bytes() == before


# ---------------------------------------------------------------- reopening a placement ended by mistake


def test_a_placement_ended_by_mistake_is_reopened_after_a_confirmation(client, demo_copy):
    path = demo_copy / "pupils" / "p02.yaml"
    before = path.read_text(encoding="utf-8")
    end_placement(client, "p02", "2026-11-20")
    confirm = page(client, "/pupils/p02/reopen")
    said = page_text(confirm)
    assert "Reopen the placement at Hart & Field Vocational?" in said
    assert "20 November 2026" in said and "Targets met." in said and "Returned to school" in said
    assert load_school(demo_copy).pupils["p02"].placement.ended is not None  # looking changes nothing

    done = submit(client, "/pupils/p02/reopen", form_fields(confirm))
    assert done.status_code == 302 and done.headers["Location"] == "/pupils/p02/steps"
    record = load_school(demo_copy).pupils["p02"]
    assert record.placement.ended is None and record.past_placements == []
    assert path.read_text(encoding="utf-8") == before  # as it was before the end was recorded
    assert "The placement is open again" in page_text(page(client, "/pupils/p02/steps"))
    assert client.get("/pupils/p02/reopen").headers["Location"] == "/pupils/p02/steps"  # nothing to reopen now


def test_reopening_keeps_earlier_placements_and_refuses_a_changed_record(client, demo_copy):
    end_placement(client, "p02", "2026-11-13")
    url = "/pupils/p02/placement/new"
    assert (
        submit(
            client, url, form_fields(page(client, url)) | placement_fields("oakmere-school", "2026-11-16")
        ).status_code
        == 302
    )
    end_placement(client, "p02", "2026-11-20")
    confirm = form_fields(page(client, "/pupils/p02/reopen"))
    path = demo_copy / "pupils" / "p02.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# checked by hand\n", encoding="utf-8")
    changed = path.read_bytes()
    refused = submit(client, "/pupils/p02/reopen", confirm)
    assert refused.status_code == 409 and "nothing was changed" in page_text(refused.get_data(as_text=True))
    assert path.read_bytes() == changed

    again = form_fields(page(client, "/pupils/p02/reopen"))
    assert submit(client, "/pupils/p02/reopen", again).status_code == 302
    record = load_school(demo_copy).pupils["p02"]
    assert (record.placement.provider, record.placement.ended) == ("oakmere-school", None)
    (earlier,) = record.past_placements  # the first placement stays ended, as it was
    assert (earlier.provider, earlier.ended.ended_on) == ("hart-and-field-vocational", date(2026, 11, 13))


# ---------------------------------------------------------------- undoing a move made by mistake


def move_p03(client, to: str = "oakmere-school") -> None:
    fields = form_fields(page(client, "/pupils/p03/move")) | {
        "reason": "Closer to home.",
        "provider": to,
        "hours_per_week": "25",
        **date_fields("ended_on", "2026-11-20"),
        **date_fields("start_date", "2026-11-23"),
    }
    assert submit(client, "/pupils/p03/move", fields).status_code == 302


def test_a_move_made_by_mistake_is_undone_after_a_confirmation(client, demo_copy):
    path = demo_copy / "pupils" / "p03.yaml"
    before = path.read_text(encoding="utf-8")
    assert "/pupils/p03/undo-move" not in page(client, "/pupils/p03/steps")  # no move yet, nothing to undo
    move_p03(client)
    steps = page(client, "/pupils/p03/steps")
    assert 'href="/pupils/p03/undo-move"' in steps and "Undo the move to Oakmere School" in page_text(steps)

    confirm = page(client, "/pupils/p03/undo-move")
    said = page_text(confirm)
    assert "Undo the move to Oakmere School?" in said
    assert (
        "The placement at Riverside Centre (Northshire Pupil Referral Unit), which started on 21 September 2026" in said
    )
    assert "ending on 20 November 2026 is taken away" in said
    assert "The placement at Oakmere School, from 23 November 2026 (25 hours a week). Nothing else has been " in said
    assert load_school(demo_copy).pupils["p03"].placement.provider == "oakmere-school"  # looking changes nothing

    done = submit(client, "/pupils/p03/undo-move", form_fields(confirm))
    assert done.status_code == 302 and done.headers["Location"] == "/pupils/p03/steps"
    assert path.read_text(encoding="utf-8") == before  # as it was before the move, key for key
    assert (
        "The move is undone: the placement at Riverside Centre (Northshire Pupil Referral Unit) is going on again"
        in page_text(page(client, "/pupils/p03/steps"))
    )
    assert client.get("/pupils/p03/undo-move").headers["Location"] == "/pupils/p03/steps"  # no move left to undo


def test_undoing_a_move_keeps_the_pupils_plan_as_it_is_now_and_says_what_goes(client, demo_copy):
    move_p03(client)
    form = page(client, "/pupils/p03/placement")
    fields = form_fields(form) | {
        "purpose": "Rebuild confidence in maths.",
        "transport": "Taxi arranged by the school.",
    }
    assert submit(client, "/pupils/p03/placement", fields).status_code == 302
    path = demo_copy / "pupils" / "p03.yaml"  # the new placement's attendance code changed by hand
    path.write_text(path.read_text(encoding="utf-8").replace("attendance_code: K", "attendance_code: B", 1), "utf-8")
    record = load_school(demo_copy).pupils["p03"]
    assert (record.placement.attendance_code, record.past_placements[-1].attendance_code) == ("B", "K")
    said = page_text(page(client, "/pupils/p03/undo-move"))
    assert "and what has been recorded for it alone: its transport" in said and "Nothing else" not in said

    assert (
        submit(client, "/pupils/p03/undo-move", form_fields(page(client, "/pupils/p03/undo-move"))).status_code == 302
    )
    record = load_school(demo_copy).pupils["p03"]
    assert (record.placement.provider, record.placement.ended, record.past_placements) == ("riverside-centre", None, [])
    assert record.placement.start_date == date(2026, 9, 21)
    assert record.placement.purpose == "Rebuild confidence in maths."  # the pupil's, carried back as it was forward
    assert record.placement.transport != "Taxi arranged by the school."  # the new provider's, taken away
    assert record.placement.attendance_code == "K"  # how the first placement was arranged, as it was


def test_undoing_a_move_refuses_a_changed_record_and_a_placement_that_did_not_begin_with_one(client, demo_copy):
    sent = client.get("/pupils/p02/undo-move")
    assert sent.status_code == 302 and sent.headers["Location"] == "/pupils/p02/steps"
    assert "no move to undo" in page_text(page(client, "/pupils/p02/steps"))

    move_p03(client)
    confirm = form_fields(page(client, "/pupils/p03/undo-move"))
    path = demo_copy / "pupils" / "p03.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# checked by hand\n", encoding="utf-8")
    changed = path.read_bytes()
    refused = submit(client, "/pupils/p03/undo-move", confirm)
    assert refused.status_code == 409 and "nothing was changed" in page_text(refused.get_data(as_text=True))
    assert path.read_bytes() == changed
    assert load_school(demo_copy).pupils["p03"].placement.provider == "oakmere-school"


# ---------------------------------------------------------------- one place for the return to school


def test_the_return_to_school_is_changed_on_its_own_form_only(client, demo_copy):
    form = page(client, "/pupils/p01/placement")
    assert 'name="reintegration"' not in form
    assert 'href="/pupils/p01/reintegration"' in form  # linked from where the box used to be
    assert 'name="reintegration"' in page(client, "/pupils/p01/reintegration")
    before = load_school(demo_copy).pupils["p01"].placement.reintegration
    assert before  # the demo pupil has one, which saving the placement form leaves alone
    fields = form_fields(form) | {"transport": "Walks with a parent."}
    assert submit(client, "/pupils/p01/placement", fields).status_code == 302
    assert load_school(demo_copy).pupils["p01"].placement.reintegration == before


# ---------------------------------------------------------------- the letters a placement needs sent


def test_the_direction_notice_and_the_local_authority_letter_are_made_from_the_pupils_page(client):
    body = page(client, "/pupils/p10")
    assert "Notice of off-site direction" in body and "Placement notice to the local authority" in body
    notice = client.post("/pupils/p10/documents/notices/p10.pdf", data={"csrf_token": token_of(body)})
    assert notice.status_code == 200 and notice.data.startswith(b"%PDF")
    words = "".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(notice.data)).pages)
    assert "direct" in words.lower()
    assert "Notice of off-site direction" not in page(client, "/pupils/p01")  # nobody directed, no notice


def token_of(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
