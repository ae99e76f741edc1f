"""Shared fixtures: the demo school, copies of it to break, and the CLI as a user runs it."""

from __future__ import annotations

import difflib
import email
import html
import http.server
import io
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from click.testing import CliRunner, Result
from docx import Document
from PIL import Image
from pypdf import PdfReader

from packgen.cli import main
from packgen.documents.fill import Renderer
from packgen.readiness.findings import Finding
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.school_data import SchoolData
from packgen.records.school_file import SchoolFile

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "brookfield-academy"
TEMPLATES = REPO / "packgen" / "templates"
LABELS = TEMPLATES / "labels.yaml"
MINI = REPO / "tests" / "fixtures" / "mini-school"


def pytest_configure(config):
    """Give this test run its own temporary folder, so LibreOffice processes it starts can be told apart."""
    config.packgen_tmp = Path(tempfile.mkdtemp(prefix="packgen-tests-"))
    tempfile.tempdir = str(config.packgen_tmp)
    # LibreOffice's profiles too (packgen keeps them in the user's cache), so the check below sees
    # every LibreOffice the tests started, and the tests never touch the real cache.
    os.environ["XDG_CACHE_HOME"] = str(config.packgen_tmp / "cache")


# Tests that start LibreOffice or Chromium, build whole packs or send real signals: the full suite (CI,
# `make test`) runs them; `make test-fast` (pytest -m "not slow") leaves them out.
SLOW = (
    "tests/office/",
    "tests/pack/",
    "tests/build/",
    "tests/mail/",
    "tests/web/test_browser.py",
    "tests/web/test_browser_forms.py",
    "tests/web/test_server.py",
    "tests/test_cli.py",
    "tests/test_hardening.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        where = Path(str(item.fspath)).relative_to(REPO).as_posix()
        if where.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def pytest_unconfigure(config):
    tempfile.tempdir = None
    shutil.rmtree(config.packgen_tmp, ignore_errors=True)


def processes_using(folder: Path) -> list[str]:
    """Command lines of running processes that mention ``folder`` (LibreOffice names its profile there)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        if cmdline.parent.name == str(os.getpid()):
            continue
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        if str(folder) in command:
            found.append(command)
    return found


@pytest.fixture(scope="session", autouse=True)
def no_libreoffice_outlives_the_tests(pytestconfig):
    yield
    assert processes_using(pytestconfig.packgen_tmp) == [], "LibreOffice processes were left running"


def run_cli(*args: str | Path) -> Result:
    """Run packgen as a user would; a user never sees a traceback, whatever the outcome."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


def edit_record(path: Path, change) -> None:
    """Change a record as office staff would: read the YAML, apply ``change`` to it, write it back."""
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo school that a test may edit or break."""
    dest = tmp_path / "data" / DEMO.name
    shutil.copytree(DEMO, dest)
    return dest


DEMO_TODAY = "2026-11-23"  # the day the demo school's deliberate gaps (GAPS.md) are judged on


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> dict:
    """The demo school copied and built once through the CLI, shared by every test that reads the pack back
    (a real build with LibreOffice is the slowest thing the suite does)."""
    root = tmp_path_factory.mktemp("demo-pack")
    school = root / "data" / DEMO.name
    shutil.copytree(DEMO, school)
    out = root / "output"
    result = run_cli("build", school, "--out", out, "--today", DEMO_TODAY, "--quiet")
    assert result.exit_code == 0, result.output
    return {"school": school, "out": out, "pack": out / DEMO.name / "evidence-pack.pdf", "result": result}


REAL_SOFFICE = "/usr/bin/soffice"


def make_docx(path: Path, *paragraphs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)
    return path


def fake_soffice(folder: Path, body: str) -> Path:
    """A stand-in `soffice` program: a shell script (for a LibreOffice that hangs or lies)."""
    script = folder / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o700)
    return script


def logging_soffice(folder: Path, log: Path, keep: Path | None = None) -> Path:
    """The real LibreOffice, behind a script that notes each time it is started and with what (and
    with ``keep``, puts there each document it converted once it is done, as LibreOffice's own log
    names them: a copy, or an empty file if the document was moved on meanwhile)."""
    run = f'echo "$*" >> {shlex.quote(str(log))}\n'
    if keep is None:
        return fake_soffice(folder, run + f'exec {REAL_SOFFICE} "$@"')
    keep.mkdir(parents=True, exist_ok=True)
    where = shlex.quote(str(keep))
    # LibreOffice's output goes to convert's log file, which this script can read back as its own.
    return fake_soffice(
        folder,
        run
        + f"""{REAL_SOFFICE} "$@"; status=$?
sed -n 's/^convert \\(.*\\) -> .* using filter.*/\\1/p' /proc/$$/fd/1 | while IFS= read -r doc; do
    cp "$doc" {where}/$$-"${{doc##*/}}" 2>/dev/null || : > {where}/$$-"${{doc##*/}}"
done
exit $status""",
    )


USER, PASSWORD = "ap@larkspur.example", "correct horse battery staple"


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message it accepts and refuses the addresses it is told to.

    ``hang_up_after_data``: after taking that many messages (counting from 1) it drops the connection
    instead of answering, as a server or network failing at the worst moment does; ``hang_up_at_rcpt``
    drops it when that address is given, before any message. ``quit_reply`` answers QUIT.
    """

    refuse: set[str] = field(default_factory=set)
    received: list[Envelope] = field(default_factory=list)
    hang_up_after_data: int | None = None
    hang_up_at_rcpt: str | None = None
    quit_reply: str | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address in self.refuse:
            return "553 5.7.1 Sender not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.hang_up_at_rcpt:
            server.transport.abort()
            return "250 OK"
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        if len(self.received) == self.hang_up_after_data:
            server.transport.abort()
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        return self.quit_reply or "221 Bye"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=policy.default) for e in self.received]


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Server:
    port: int
    recorder: Recorder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start real SMTP servers on 127.0.0.1 (plain, STARTTLS or implicit TLS); all stopped afterwards."""
    running: list[Controller] = []

    def start(
        *,
        refuse: tuple[str, ...] = (),
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        **failures,
    ) -> Server:
        recorder = Recorder(refuse=set(refuse), **failures)
        options: dict = {}
        if starttls:
            options = {
                "tls_context": starttls,
                "require_starttls": True,
                "authenticator": check_login,
                "auth_required": True,
            }
        if implicit_tls:
            # aiosmtpd only counts STARTTLS as encryption when it guards AUTH; this connection is TLS
            # from its first byte, so the guard is lifted rather than letting passwords go in clear.
            options = {
                "ssl_context": implicit_tls,
                "authenticator": check_login,
                "auth_required": True,
                "auth_require_tls": False,
            }
        controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        running.append(controller)
        return Server(controller.port, recorder)

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A templates folder holding the project's labels.yaml and nothing else yet."""
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(LABELS, templates / "labels.yaml")
    return templates


def make_template(folder: Path, *paragraphs: str, header: str | None = None, name: str = "t.docx") -> str:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    document.save(str(folder / name))
    return name


def fill(folder: Path, *paragraphs: str, header: str | None = None, **context) -> Path:
    """Make a template of these paragraphs, fill it with ``context``, return the filled file."""
    name = make_template(folder, *paragraphs, header=header)
    return Renderer(folder).render(name, context, folder.parent / "out" / name)


def outline_tree(reader: PdfReader, items=None) -> list[tuple[str, int, list]]:
    """The bookmarks as (title, 1-based page, children)."""
    items = reader.outline if items is None else items
    tree: list[tuple[str, int, list]] = []
    for item in items:
        if isinstance(item, list):
            title, page, _ = tree[-1]
            tree[-1] = (title, page, outline_tree(reader, item))
        else:
            tree.append((item.title, reader.get_destination_page_number(item) + 1, []))
    return tree


def demo_gaps() -> set[tuple[str, str, str, str, str]]:
    """The findings GAPS.md promises, as (rule, subject, id, severity, status): for readiness tests to compare."""
    text = (DEMO / "GAPS.md").read_text(encoding="utf-8")
    table = text.split("## Findings", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("| R")
    ]
    return {tuple(row[:5]) for row in rows}


# ---------------------------------------------------------------- the web page through Flask's test client

TODAY = date(2026, 11, 23)  # the demo's "today" (GAPS.md)


def make_client(school: Path, **settings):
    from packgen.web import Settings, create_app

    app = create_app(Settings(school, school.parent.parent / "output", today=TODAY, **settings))
    return app.test_client()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def page_text(body: str) -> str:
    """A page's words as a reader sees them: tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def token(client, url: str) -> str:
    """The CSRF token of the form on ``url``, as a browser would send it back."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page(client, url)).group(1)


def submit(client, url: str, fields: dict):
    return client.post(url, data={"csrf_token": token(client, url), **fields})


def changes(before: str, after: str) -> list[str]:
    """The lines removed (-) and added (+) between two versions of a file."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def form_fields(body: str) -> dict[str, str]:
    """What a browser would send for the form on a page, unchanged: text boxes, text areas, the chosen
    radio, select option and ticked box."""

    def attr(tag: str, name: str) -> str | None:
        found = re.search(rf'\s{name}="([^"]*)"', tag)
        return html.unescape(found.group(1)) if found else None

    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", body):
        name, kind = attr(tag, "name"), attr(tag, "type") or "text"
        if not name or name == "csrf_token" or kind == "file":
            continue
        if kind in ("radio", "checkbox"):
            if re.search(r"\schecked\b", tag):
                fields[name] = attr(tag, "value") or ""
        else:
            fields[name] = attr(tag, "value") or ""
    for name, text in re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        fields[name] = html.unescape(text).removeprefix("\n")
    for name, options in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected', options)
        fields[name] = html.unescape(chosen.group(1)) if chosen else ""
    return fields


def date_fields(name: str, day: str) -> dict[str, str]:
    """A date typed into a form's day, month and year boxes: ``2026-11-23`` → 23, 11, 2026."""
    year, month, number = day.split("-")
    return {f"{name}-day": number.lstrip("0"), f"{name}-month": month.lstrip("0"), f"{name}-year": year}


def field_error(body: str, name: str) -> str:
    """The error shown with a field (GOV.UK's ``<p id="NAME-error">``), as text; '' when none."""
    found = re.search(rf'<p id="{re.escape(name)}-error" class="govuk-error-message">(.*?)</p>', body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).replace("Error:", "").strip() if found else ""


# ---------------------------------------------------------------- a small school to test readiness rules on


def week(days: str, start: str = "09:00", end: str = "14:00") -> list[dict]:
    """Sessions on the given days ("Mon Tue"), each from ``start`` to ``end``."""
    return [{"day": day, "from": start, "to": end} for day in days.split()]


SCHOOL = {
    "school": {"name": "Oak Lane School", "urn": "100001", "la": "Westshire", "address": "1 Oak Lane, Westtown"},
    "staff": {"headteacher": {"name": "A. Head"}, "ap_lead": {"name": "B. Lead"}, "dsl": {"name": "C. Safe"}},
    "governance": {"ap_use_approved_by": "Local Governing Body", "approved_on": "2026-09-15"},
    "letters": {"reply_to": {"name": "B. Lead"}},
}

PROVIDER = {
    "name": "Canal Street Centre",
    "kind": "registered_ap",
    "registration": {"status": "registered", "urn": "148888"},
    "la_approved": {"approved": True, "audited_on": "2026-06-01"},
    "address": "5 Canal Street, Westtown",
    "contacts": {"lead": {"name": "D. Khan"}, "dsl": {"name": "E. Lee"}},
    "assurance": {
        "requested_on": "2026-09-01",
        "received_on": "2026-09-10",
        "checks": {
            "identity": True,
            "enhanced_dbs_barred_list": True,
            "right_to_work": True,
            "overseas": "not_applicable",
            "qualifications_qts": True,
            "prohibition": True,
            "section_128": "not_applicable",
        },
    },
    "pre_admission": {"absence_arrangement": "provider phones school by 09:30", "emergency_contacts_sent": True},
}

PUPIL = {
    "pupil": {
        "upn": "B801200005001",
        "legal_forename": "Amir",
        "legal_surname": "Example",
        "dob": "2011-04-03",
        "year_group": 10,
        "gender": "male",
    },
    "placement": {
        "provider": "canal",
        "arranged_by": "school",
        "category": "at_risk_full_time",
        "start_date": "2026-09-07",
        "target_end_date": "2027-02-12",
        "hours_per_week": 25,
        "sessions": week("Mon Tue Wed Thu Fri"),
        "attendance_code": "B",
        "purpose": "re-engage with learning",
        "baseline": {"attendance_percent": 61},
        "targets": [{"text": "attend every session"}],
        "safeguarding": {
            "absence_arrangement": "provider phones school by 09:30",
            "emergency_details_sent_on": "2026-09-05",
            "dsl_contact_shared": True,
        },
        "consent": {"parent_signed_on": "2026-09-04"},
        "agreement": {"signed_on": "2026-09-05", "signed_by_provider": "D. Khan", "signed_by_school": "B. Lead"},
        "la_notified_on": "2026-09-04",
        "reintegration": "back to Oak Lane full time after February half term",
        "reintegration_timeline": [{"by": "2027-02-22", "step": "full time at Oak Lane"}],
    },
    "reviews": [{"date": "2026-10-19", "decision": "continue", "next_review": "2026-12-07"}],
    "visits": [{"date": "2026-11-10", "by": "B. Lead", "purpose": "safe and well check"}],
}


def merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` laid over it: nested dicts merge, anything else replaces."""
    out = dict(base)
    for key, value in changes.items():
        out[key] = merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def example(
    *,
    pupil: dict | None = None,
    provider: dict | None = None,
    school: dict | None = None,
    more_pupils: dict[str, dict] | None = None,
) -> SchoolData:
    """Oak Lane School with pupil p1 at provider "canal", changed as given; ``more_pupils`` adds pupils
    (each the example pupil with its own changes). Unchanged, it meets every rule on TODAY."""
    pupils = {"p1": pupil or {}} | (more_pupils or {})
    return SchoolData(
        slug="oak-lane",
        folder="data/oak-lane",
        school=SchoolFile.model_validate(merged(SCHOOL, school or {})),
        providers={"canal": Provider.model_validate(merged(PROVIDER, provider or {}))},
        pupils={pid: PupilFile.model_validate(merged(PUPIL, changes)) for pid, changes in pupils.items()},
    )


def placement(**changes) -> dict:
    return {"placement": changes}


def full_time_pupils(count: int) -> dict[str, dict]:
    return {f"p{n}": {"pupil": {"legal_forename": f"Pupil{n}"}} for n in range(2, count + 1)}


def assert_finding(finding: Finding | None, status: str, severity: str, *phrases: str) -> None:
    assert finding is not None, "expected a finding"
    assert (finding.status, finding.severity) == (status, severity), finding
    for phrase in phrases:
        assert phrase in finding.message, finding.message


UNREGISTERED = {"kind": "unregistered", "registration": {"status": "unregistered", "urn": None}}


def pdf_bomb(path: Path, pages: int = 20, each: int = 70_000_000, images: bool = False) -> Path:
    """A PDF of about a megabyte whose pages' drawing inflates to ``pages`` x ``each`` bytes of spaces:
    every stream stays under pypdf's own per-stream limit, the whole does not. With ``images`` each page
    shows instead a grey image of ``each`` pixels, as large as a scan's but compressed as a blank one."""
    packed = zlib.compress(b" " * each, 9)
    first = 3  # object numbers: catalog 1, page tree 2, then each page and its drawing (and image)
    step = 3 if images else 2
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (first + step * n) for n in range(pages)), pages),
    ]
    for n in range(pages):
        drawing = first + step * n + 1  # the page itself is first + step * n
        if images:
            shown = b"q 595 0 0 842 0 0 cm /Scan Do Q"
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /XObject << /Scan %d 0 R >> >> >>" % (drawing, drawing + 1)
            )
            objects.append(b"<< /Length %d >>\nstream\n" % len(shown) + shown + b"\nendstream")
            objects.append(
                b"<< /Type /XObject /Subtype /Image /Width 1000 /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d /Filter /FlateDecode >>\nstream\n"
                % (each // 1000, len(packed))
                + packed
                + b"\nendstream"
            )
        else:
            objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % drawing)
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


# The program's own peak resident memory, as Linux keeps it for the process's address space (VmHWM).
# Not getrusage's ru_maxrss: exec carries the high-water mark of the process it replaced into it, and
# that is pytest's own memory, which grows as the suite runs.
PEAK_LINE = """
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""

PEAK_MEMORY = (
    PEAK_LINE
    + """
import sys
from packgen.cli import main
try:
    main(sys.argv[1:])
finally:
    print(f"peak-rss-kb={peak_kb()}", file=sys.stderr)
"""
)


def run_measured(*args: str | Path, timeout: float = 120) -> tuple[subprocess.CompletedProcess, int]:
    """packgen run in a process of its own: the outcome and the process's peak memory in MB."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    peak = re.search(r"peak-rss-kb=(\d+)", done.stderr)
    assert peak, done.stderr
    return done, int(peak[1]) // 1024


_LINKED_PICTURE = (
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
    '<wp:extent cx="914400" cy="914400"/><wp:docPr id="901" name="Linked picture"/>'
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:nvPicPr><pic:cNvPr id="901" name="logo.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'r:link="rIdOutside"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r></w:p>"
)


def link_outside(docx: Path, target: str, kind: str = "image", body: str = _LINKED_PICTURE) -> Path:
    """The Word document at ``docx`` with ``body`` put at its end and a relationship rIdOutside of type ``kind``
    to ``target`` outside the file: by default a picture shown from there, as Word's Insert Picture with
    "Link to File" makes."""
    with zipfile.ZipFile(docx) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    rels = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>",
        (
            f'<Relationship Id="rIdOutside" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'{kind}" Target="{target}" TargetMode="External"/></Relationships>'
        ),
    ).encode()
    document = parts["word/document.xml"].decode()
    at = document.rindex("<w:sectPr")
    parts["word/document.xml"] = (document[:at] + body + document[at:]).encode()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return docx


class _Recording(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        picture = io.BytesIO()
        Image.new("RGB", (40, 40), "red").save(picture, "PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(picture.getvalue())

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web_server():
    """A real HTTP server on this machine that serves a picture at every address and records each request."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recording)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# ---------------------------------------------------------------- pages in a real browser

AXE = REPO / "tests" / "web" / "axe" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_problems(driver) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now, one line each."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(arguments[1])", WCAG_AA
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})" for v in result["violations"]
    ]


def page_fits(driver, width: int = 375) -> bool:
    """Nothing on the page wider than a screen ``width`` pixels wide: no sideways scrolling."""
    driver.set_window_size(width, 900)
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
