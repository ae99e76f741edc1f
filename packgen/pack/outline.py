"""The pack's tree: the nodes the build hands in (sections, pupils and providers, documents), and the
entries made from them, each with its first page, that the contents page and the bookmarks show."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import IndirectObject


@dataclass(frozen=True)
class PackNode:
    """One entry of the pack: a section, a provider or pupil, or a document.

    ``pdf`` holds this node's own pages (None for a grouping node); its children follow them.
    """

    title: str
    pdf: Path | None = None
    children: tuple[PackNode, ...] = ()


@dataclass
class Entry:
    depth: int
    title: str
    first_page: int  # 0-based index in the pack
    children: list[Entry] = field(default_factory=list)


def pdfs_in_order(nodes: Sequence[PackNode]) -> Iterator[Path]:
    """Every node's PDF, depth first: the order their pages go in."""
    for node in nodes:
        if node.pdf is not None:
            yield Path(node.pdf)
        yield from pdfs_in_order(node.children)


def titles(nodes: Sequence[PackNode]) -> Iterator[str]:
    for node in nodes:
        yield node.title
        yield from titles(node.children)


def entry_tree(nodes: Sequence[PackNode], depth: int, starts: Iterator[int]) -> list[Entry]:
    """The contents entries, given where each document (in the order of ``pdfs_in_order``) starts and,
    after the last, where the pages end. A node's first page is its own PDF's, or its first
    descendant's; a node with no pages below it has no entry."""
    entries = []
    for node in nodes:
        own = next(starts) if node.pdf is not None else None
        children = entry_tree(node.children, depth + 1, starts)
        first = own if own is not None else (children[0].first_page if children else None)
        if first is not None:
            entries.append(Entry(depth, " ".join(node.title.split()), first, children))
    return entries


def walk(entries: list[Entry]) -> Iterator[Entry]:
    for entry in entries:
        yield entry
        yield from walk(entry.children)


def add_outline(writer: PdfWriter, entries: list[Entry], parent: IndirectObject | None) -> None:
    for entry in entries:
        item = writer.add_outline_item(
            title=entry.title,
            page_number=entry.first_page,
            parent=parent,
            bold=entry.depth == 0,
            # Sections open, showing pupils and providers; each of those opens on a click.
            is_open=entry.depth == 0,
        )
        add_outline(writer, entry.children, item)
