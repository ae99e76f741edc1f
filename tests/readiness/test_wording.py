"""Findings are read by office staff on the web page and by inspectors in the pack: their words never name
a packgen command or a record key. Where the command line needs one, it is in the finding's own field."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

import packgen.readiness
from packgen.readiness.rules import assess
from packgen.readiness.table import rule_table
from packgen.records.read import load_school
from tests.conftest import DEMO, MINI

COMMAND = re.compile(r"\bpackgen\s+[a-z]|(?<!\w)--[a-z]")
RECORD_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]+\.[a-z_]+\b|\.ya?ml\b")
FOR_THE_CLI = {"record_key", "command"}  # keyword arguments whose values the command line shows, not users
RULE_MODULES = sorted(
    p for p in Path(packgen.readiness.__file__).parent.glob("*.py") if p.stem.endswith("_rules") or p.stem == "findings"
)


def not_for_users(text: str) -> list[str]:
    return COMMAND.findall(text) + RECORD_KEY.findall(text)


def test_the_patterns_catch_what_users_should_not_read():
    for text in ("record it in placement.agreement.evidence", "run packgen la-letter", "in school.yaml", "--add"):
        assert not_for_users(text), text
    assert not not_for_users("Upload the signed agreement on the pupil's page. Add the half terms in School settings.")


def _wording(tree: ast.AST) -> list[tuple[int, str]]:
    """Every piece of sentence in a module: string constants with a space and the fixed parts of f-strings,
    leaving out docstrings and the values given to the command line's own fields."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], ast.Expr) else None
        if first and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            skipped.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg in FOR_THE_CLI:
            skipped.update(id(inner) for inner in ast.walk(node.value))
    in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    pieces = []
    for node in ast.walk(tree):
        sentence = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if sentence and id(node) not in skipped and (" " in node.value or id(node) in in_fstrings):
            pieces.append((node.lineno, node.value))
    return pieces


@pytest.mark.parametrize("module", RULE_MODULES, ids=lambda p: p.name)
def test_every_sentence_a_rule_can_say_is_in_school_words(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    pieces = _wording(tree)
    assert pieces, "the walk found no wording at all"
    wrong = [(line, text, not_for_users(text)) for line, text in pieces if not_for_users(text)]
    assert not wrong, f"{module.name}: command names or record keys in user-facing words: {wrong}"


def test_the_rule_table_says_what_each_rule_checks_in_school_words():
    for rule in rule_table().rules:
        for text in (rule.title, rule.checks):
            assert not not_for_users(text), (rule.id, text)


@pytest.mark.parametrize(("folder", "day"), [(DEMO, date(2026, 11, 23)), (MINI, date(2027, 3, 1))])
def test_the_findings_a_school_is_shown_name_no_command_or_key(folder, day):
    findings = assess(load_school(folder), day)
    assert findings
    for finding in findings:
        assert not not_for_users(finding.message), (finding.rule, finding.message)
    assert any(f.record_key for f in findings)  # the keys are still there, for the command line
