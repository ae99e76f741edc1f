"""Hostile input, broken tools and personal data: nothing lost, nothing leaked, never a traceback.

Each test here fails if the protection it names is taken away.
"""

from __future__ import annotations

import os
import stat

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from packgen.errors import TemplateProblem
from tests.conftest import edit_record, fill, run_cli

# ---------------------------------------------------------------- record text is data, never code

TEMPLATE_CODE = "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %} {# note #} {_{ 1 }_}"


def test_template_code_in_a_record_is_printed_literally_in_the_agreement(demo_copy, tmp_path):
    edit_record(demo_copy / "pupils" / "p01.yaml", lambda r: r["placement"]["targets"][0].update(text=TEMPLATE_CODE))
    result = run_cli("agreement", demo_copy, "p01", "--out", tmp_path)
    assert result.exit_code == 0, result.output

    made = tmp_path / demo_copy.name / "agreements"
    document = Document(str(made / "p01.docx"))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(TEMPLATE_CODE in text for text in cells + [p.text for p in document.paragraphs])
    pdf_text = " ".join(page.extract_text() for page in PdfReader(made / "p01.pdf").pages)
    assert "{{ 7*7 }}" in pdf_text and "{% for x in range(3) %}" in pdf_text
    assert "looplooploop" not in pdf_text


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lipsum.__globals__['os'].listdir('/') }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ self._TemplateReference__context }}",
        "{% set f = namespace.__init__.__globals__ %}{{ f }}",
    ],
)
def test_a_template_reaching_for_python_internals_fails_naming_the_template(folder, expression):
    with pytest.raises(TemplateProblem, match=r"t\.docx"):
        fill(folder, expression)


# ---------------------------------------------------------------- no input gives a traceback

PUPIL_FILE = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.sampled_from(
        [
            "\ufeffpupil: {upn: B801200005001}\n",  # a BOM
            "pupil:\n\tupn: B801200005001\n",  # a tab
            "pupil: {upn: 1}\npupil: {upn: 2}\n",  # a duplicate key
            "- a list\n- not a record\n",  # a list document
            "just a scalar\n",
            "a: &x [1, 2]\nb: *x\n",  # an alias
            "[" * 5000,  # deep nesting
            "placement: {start_date: 2026-02-30}\n",  # an impossible date
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=PUPIL_FILE)
def test_whatever_a_pupil_file_holds_check_exits_0_or_1_without_a_traceback(demo_copy, content):
    path = demo_copy / "pupils" / "p01.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = run_cli("check", demo_copy)  # run_cli itself fails on any traceback
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "pupils/p01.yaml" in result.output


def test_an_enormous_file_is_refused_by_name_without_reading_it_all(demo_copy):
    with open(demo_copy / "pupils" / "p02.yaml", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # 200 MB of nothing: sparse, so cheap to make
    result = run_cli("check", demo_copy)
    assert result.exit_code == 1
    assert "pupils/p02.yaml" in result.output and "1 MB" in result.output


# ---------------------------------------------------------------- output is private, whatever the umask


def test_output_is_owner_only_even_with_a_permissive_umask(demo_copy, tmp_path):
    old = os.umask(0)
    try:
        result = run_cli("agreement", demo_copy, "p01", "--out", tmp_path / "out")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    school_out = tmp_path / "out" / demo_copy.name
    made = list(school_out.rglob("*"))
    assert any(p.suffix == ".pdf" for p in made)
    for path in [school_out, *made]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_paths_from_records_cannot_leave_the_school_folder(demo_copy, tmp_path):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4 not yours\n")
    (demo_copy / "evidence" / "link.pdf").symlink_to(outside)
    cases = {
        "/etc/passwd": "absolute",
        "../secret.pdf": "..",
        "evidence/link.pdf": "outside",
        "evidence/../../secret.pdf": "..",
    }
    for evidence, word in cases.items():
        edit_record(
            demo_copy / "pupils" / "p01.yaml",
            lambda r, evidence=evidence: r["placement"]["agreement"].update(evidence=evidence),
        )
        result = run_cli("check", demo_copy)
        assert result.exit_code == 1, evidence
        assert "placement.agreement.evidence" in result.output, evidence
        assert word in result.output, (evidence, result.output)


def test_a_device_given_as_evidence_is_refused_without_reading_it(demo_copy):
    (demo_copy / "evidence" / "zero.pdf").symlink_to("/dev/zero")
    edit_record(
        demo_copy / "pupils" / "p01.yaml", lambda r: r["placement"]["agreement"].update(evidence="evidence/zero.pdf")
    )
    result = run_cli("check", demo_copy)
    assert result.exit_code == 1
    assert "placement.agreement.evidence" in result.output
