"""The rule table: one file (rules.yaml) that the checks, `packgen rules`, the pack and docs/rules.md read."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from pydantic import ValidationError

from packgen.readiness.rules import RULES
from packgen.readiness.table import RuleTable, as_markdown, rule_table
from tests.conftest import REPO, run_cli

TOOLKIT_AREAS = [
    "inclusion",
    "curriculum_and_teaching",
    "achievement",
    "attendance_and_behaviour",
    "personal_development_and_wellbeing",
    "leadership_and_governance",
    "safeguarding",
]


def test_docs_rules_md_is_made_from_the_table_and_up_to_date():
    written = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == as_markdown(rule_table()), (
        "docs/rules.md is out of date: run `packgen rules --format markdown > docs/rules.md`"
    )


def test_packgen_rules_markdown_is_exactly_docs_rules_md():
    result = run_cli("rules", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.output == (REPO / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_rule_cites_documents_by_title_publisher_and_year_with_the_date_checked():
    result = run_cli("rules", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rules"]
    assert [r["id"] for r in rows] == [f"R{n}" for n in range(1, 24)]
    for row in rows:
        assert row["checks"] and row["severities"] and row["area"] in TOOLKIT_AREAS, row["id"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["last_checked"]), row["id"]
        for source in row["sources"]:
            document = source["document"]
            assert document["title"] and document["publisher"] and 1990 < document["year"] < 2100, row["id"]
            assert (source["heading"] is None) != (source["part"] is None), row["id"]
            assert document["title"] in source["text"] and str(document["year"]) in source["text"]


def test_no_rule_cites_the_withdrawn_handbook_a_paragraph_number_or_a_project_file():
    text = (REPO / "packgen" / "readiness" / "rules.yaml").read_text(encoding="utf-8")
    sources = " ".join(rule.source for rule in RULES)
    for withdrawn in ("handbook", "spec/", "domain.md", "paragraph", "para "):
        assert withdrawn not in sources.casefold(), withdrawn
    assert "handbook" not in text.casefold()


def test_the_areas_are_the_toolkits_in_its_order_and_every_area_a_rule_names_exists():
    table = rule_table()
    assert [a.id for a in table.areas] == TOOLKIT_AREAS
    assert {r.area for r in table.rules} <= set(TOOLKIT_AREAS)


def test_the_required_guidance_is_all_in_the_table():
    titles = " | ".join(d.title for d in rule_table().documents.values())
    for wanted in (
        "School inspection toolkit",
        "School inspection operating guide",
        "Arranging alternative provision",
        "Keeping children safe in education 2025",
        "Children's Wellbeing and Schools Act 2026",
        "Pupil Registration) (England) Regulations 2024",
        "Working together to improve school attendance",
        "Suspension and permanent exclusion",
        "Educational Provision for Improving Behaviour) Regulations 2010",
        "School census",
        "voluntary national standards",
    ):
        assert wanted in titles, wanted


def test_a_citation_must_name_a_listed_document_and_one_place_in_it():
    raw = yaml.safe_load((REPO / "packgen" / "readiness" / "rules.yaml").read_text(encoding="utf-8"))
    raw["rules"][0]["sources"][0]["document"] = "no-such-document"
    with pytest.raises(ValidationError, match="no-such-document"):
        RuleTable.model_validate(raw)
    raw = yaml.safe_load((REPO / "packgen" / "readiness" / "rules.yaml").read_text(encoding="utf-8"))
    raw["rules"][0]["sources"][0]["part"] = "somewhere"
    with pytest.raises(ValidationError, match="either heading"):
        RuleTable.model_validate(raw)


def test_packgen_rules_prints_each_rule_under_its_area_with_severity_and_source():
    result = run_cli("rules")
    assert result.exit_code == 0, result.output
    assert (
        result.output.index("INCLUSION")
        < result.output.index("ATTENDANCE AND BEHAVIOUR")
        < result.output.index("LEADERSHIP AND GOVERNANCE")
        < result.output.index("SAFEGUARDING")
    )
    assert "R2  Staff-check assurance [critical]" in result.output
    assert "Keeping children safe in education 2025 (Department for Education, 2025)" in result.output
