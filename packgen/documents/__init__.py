"""Documents: what a school yields (one spec per document) and filling Word templates with it."""

from pathlib import Path

# The Word templates, labels.yaml and e-mail templates packgen ships (package data); staff may point
# packgen at a copy of their own with --templates.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
