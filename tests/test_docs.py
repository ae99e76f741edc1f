"""The documents generated from the code are current, and the docs cite only what the project holds."""

from __future__ import annotations

import re

from packgen.records.reference import records_markdown
from tests.conftest import REPO


def test_the_record_format_document_is_generated_from_the_models():
    assert (REPO / "docs" / "records.md").read_text(encoding="utf-8") == records_markdown(), (
        "docs/records.md is out of date: run `make docs`"
    )


def test_the_command_reference_is_generated_from_the_commands():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_docs", REPO / "scripts" / "make_docs.py")
    make_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_docs)
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == make_docs.cli_markdown(), (
        "docs/cli.md is out of date: run `make docs`"
    )


def test_every_model_key_is_in_the_record_format_document():
    from packgen.records.pupil_file import Placement

    text = (REPO / "docs" / "records.md").read_text(encoding="utf-8")
    for field in Placement.model_fields:
        assert f"`{field}`" in text


def test_the_docs_and_readme_cite_only_files_the_project_holds():
    cited = set()
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        cited |= set(re.findall(r"\]\(((?:docs/|\.\./|\./)?[\w./-]+\.md)\)", page.read_text(encoding="utf-8")))
    for link in cited:
        base = REPO if not link.startswith(("./", "../")) or "docs/" in link else REPO / "docs"
        assert (base / link).resolve().exists() or (REPO / "docs" / link).exists(), link
