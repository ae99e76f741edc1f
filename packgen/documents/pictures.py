"""Pictures a template prints: anything that can give its PNG, made only when a document is filled."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class Drawing(ABC):
    """Anything a template can print as a picture: ``image()`` gives its PNG, ``width_mm`` its width.

    Give it as a top-level value of a document's context: docxtpl can only place an image while it
    fills that very document, so the renderer turns each one into an image at that moment, and only
    then is ``image()`` called. A document served from the cache is never filled, so a drawing that
    is costly to make (a chart) costs nothing on a rebuild.
    """

    width_mm: float

    @abstractmethod
    def image(self) -> bytes:
        """The picture as PNG bytes."""


@dataclass(frozen=True)
class Picture(Drawing):
    """A PNG image already made, for a template to print with ``{{ name }}``, ``width_mm`` wide."""

    png: bytes
    width_mm: float

    def image(self) -> bytes:
        return self.png
