"""pypdf internals packgen relies on (pinned by tests/test_compat.py)."""

from __future__ import annotations

import functools
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import IndirectObject, NameObject, PdfObject, StreamObject


def add_object(writer: PdfWriter, obj: PdfObject) -> IndirectObject:
    """Add ``obj`` to ``writer`` as an indirect object (pypdf's public API adds only pages and
    their own objects; a footer's shared drawing is an object of its own)."""
    return writer._add_object(obj)


def stored_data(stream: StreamObject) -> bytes:
    """A stream's data as stored in the file, still encoded: pypdf's public ``get_data()`` decodes it,
    and keeps what it decoded, which is what an untrusted PDF must not be allowed to make it do."""
    return stream._data


def write_names_once() -> None:
    """pypdf writes a name (/Type, /Font) character by character each time it meets one
    (``NameObject.renumber``): most of the time of writing a pack, for a hundred distinct names
    written tens of thousands of times. A name is always written the same way, so each is worked
    out once. Idempotent; the bytes written are the same."""
    if not hasattr(NameObject.renumber, "cache_info"):
        renumber: Any = functools.lru_cache(maxsize=4096)(NameObject.renumber)
        NameObject.renumber = renumber  # type: ignore[method-assign]
