"""One copy of each font in a pack, however many documents carry it.

Documents filled from one template are converted as one document and cut apart again
(office/batches.py), so each carries the same font subsets as the others, byte for byte, under
objects of its own. pypdf's ``compress_identical_objects`` keeps one copy of each identical object,
but compares an object's references by number, so it keeps the font programs once and every font
dictionary and descriptor that points to them as often as before: at 30 pupils about 560 copies,
an eighth of the pack. Here a font is compared by everything it holds, references followed, and
each page is pointed at the first of its equals; the copies are then unreferenced, and the pack
leaves them out when it is written.

Only packgen's own documents (made by LibreOffice) are looked at: their fonts are a few plain
dictionaries deep, where a PDF from elsewhere can nest without end.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from pypdf import PageObject
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, StreamObject

from packgen._compat.pypdf import stored_data

FONT = NameObject("/Font")
RESOURCES = NameObject("/Resources")
MAX_DEPTH = 16  # a composite font, its descendant, descriptor and program: a dozen levels; deeper is not shared


class _Unshareable(Exception):
    """A font nested deeper than fonts are, or in a loop: kept as it is."""


def share_fonts(pages: Iterable[PageObject]) -> int:
    """Point the fonts of ``pages`` at one copy of each; how many references now share a copy."""
    looks: dict[int, Hashable] = {}
    first: dict[Hashable, IndirectObject] = {}
    done: set[int] = set()
    shared = 0
    for page in pages:
        fonts = page_fonts(page)
        if fonts is None or id(fonts) in done:
            continue  # a document's pages share one set of resources: looked at once
        done.add(id(fonts))
        for name, font in list(fonts.items()):
            if not isinstance(font, IndirectObject):
                continue
            try:
                look = _look(font, looks, set(), 0)
            except _Unshareable:
                continue
            kept = first.setdefault(look, font)
            if kept.idnum != font.idnum:
                fonts[NameObject(name)] = kept
                _alias(font, kept, set())
                shared += 1
    return shared


def page_fonts(page: PageObject) -> DictionaryObject | None:
    """The fonts a page's resources name, by the names its drawing uses; None if it names none."""
    resources = page.get(RESOURCES)
    found = resources.get_object() if resources is not None else None
    fonts = found.get(FONT) if isinstance(found, DictionaryObject) else None
    fonts = fonts.get_object() if fonts is not None else None
    return fonts if isinstance(fonts, DictionaryObject) else None


def _alias(copy: IndirectObject, kept: IndirectObject, seen: set[int]) -> None:
    """Make the copy, and each copy it leads to, hold what its equal holds.

    pypdf leaves out, when it writes, an object nothing refers to: a font no page uses any longer,
    but not yet the descriptor that font used to point at (nothing is left out because of something
    left out). Pointed at the kept font's descriptor instead, the copy leaves its own with nothing
    pointing at it, and the copies go as one. The two look alike all the way down, so each reference
    to a copy stays right.
    """
    if copy.idnum == kept.idnum or copy.idnum in seen:
        return
    seen.add(copy.idnum)
    copied, original = copy.get_object(), kept.get_object()
    if (
        isinstance(copied, StreamObject)
        or not isinstance(copied, (DictionaryObject, ArrayObject))
        or not isinstance(original, (DictionaryObject, ArrayObject))
    ):
        return  # a stream equal to another is kept once as it is: pypdf compares streams by their bytes
    for inner_copy, inner_kept in _references(copied, original):
        _alias(inner_copy, inner_kept, seen)
    if isinstance(copied, DictionaryObject) and isinstance(original, DictionaryObject):
        copied.clear()
        copied.update(original)
    elif isinstance(copied, ArrayObject) and isinstance(original, ArrayObject):
        copied[:] = original


def _references(copied: PdfObject, original: PdfObject) -> Iterable[tuple[IndirectObject, IndirectObject]]:
    """Pairs of references at the same places in two objects that look alike."""
    if isinstance(copied, IndirectObject) and isinstance(original, IndirectObject):
        yield copied, original
    elif isinstance(copied, DictionaryObject) and isinstance(original, DictionaryObject):
        for key, value in copied.items():
            other = original.raw_get(key) if key in original else None
            if other is not None:
                yield from _references(value, other)
    elif isinstance(copied, ArrayObject) and isinstance(original, ArrayObject):
        for value, other in zip(copied, original):
            yield from _references(value, other)


def _look(obj: PdfObject, looks: dict[int, Hashable], path: set[int], depth: int) -> Hashable:
    """All that ``obj`` holds, references followed, as something to compare and hash."""
    if depth > MAX_DEPTH:
        raise _Unshareable
    if isinstance(obj, IndirectObject):
        if obj.idnum in looks:
            return looks[obj.idnum]
        if obj.idnum in path:
            raise _Unshareable
        target = obj.get_object()
        if target is None:  # a reference to nothing
            raise _Unshareable
        path.add(obj.idnum)
        look = looks[obj.idnum] = _look(target, looks, path, depth + 1)
        path.discard(obj.idnum)
        return look
    if isinstance(obj, StreamObject):
        return ("stream", _entries(obj, looks, path, depth), stored_data(obj))
    if isinstance(obj, DictionaryObject):
        return ("dict", _entries(obj, looks, path, depth))
    if isinstance(obj, ArrayObject):
        return ("array", tuple(_look(item, looks, path, depth + 1) for item in obj))
    return (type(obj).__name__, obj)


def _entries(obj: DictionaryObject, looks: dict[int, Hashable], path: set[int], depth: int) -> Hashable:
    return tuple(sorted((str(key), _look(value, looks, path, depth + 1)) for key, value in obj.items()))
