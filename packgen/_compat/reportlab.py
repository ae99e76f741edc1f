"""reportlab internals packgen relies on (pinned by tests/test_compat.py)."""

from __future__ import annotations

from typing import Any

from reportlab.pdfgen.canvas import Canvas


def canvas_document(canvas: Canvas) -> Any:
    """The PDF document a canvas writes, which a font's ``splitString`` and
    ``getSubsetInternalName`` need to number its subsets (reportlab's own text objects pass it)."""
    return canvas._doc
