"""Which of its data a template reads, so that a document is made again only when that data changes.

A document's cache key (cache.py) once held its whole context: editing a pupil's transport made
their review minutes and visit records again, though neither prints it. A template reaches its data
only through names in its Jinja source, and reading the source says where it can reach:
``placement.transport``, ``placement.reviews[0].date``, or ``placement.reviews`` as a whole when it
loops over them, gives them to a filter or prints them. Those places are its *reads*; the key holds
the value found at each.

Why a key of reads never serves a stale document: filling is a function of the values the template
reads. Two contexts with equal values at every read fill the same way: the template takes the same
branches, loops the same times and prints the same text. A read ends wherever the source does
something other than take a named attribute or a fixed item (a loop, a filter, a test, a call, an
assignment), and there the whole value counts, so nothing the template does with it goes unseen.
Sources that could reach data some other way (include, import, extends) count the whole context.

The reads of a template are worked out once per template file and packgen version and kept in the
user's cache (``reads``): they hold names of fields, never anyone's data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeGuard

from jinja2 import Environment, TemplateSyntaxError, Undefined, nodes
from pydantic import BaseModel

from packgen.files import user_cache
from packgen.runtime.canonical import Uncacheable, canonical
from packgen.runtime.store import DigestStore

# A read: a top-level name, then the attributes ("attr", name) and fixed items ("item", key) taken in turn.
Read = tuple[Any, ...]

# Nodes through which a template can reach data by other ways than its names: count everything.
_OPAQUE = (
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.ContextReference,
    nodes.DerivedContextReference,
)
_UNDEFINED = {"$undefined": True}


class TemplateReads:
    """The reads of one folder's templates, and what a context holds at them.

    ``sources(template)`` gives the Jinja sources docxtpl compiles when it fills the template
    (render.jinja_sources), ``file_digest(template)`` the SHA-256 of its file, ``code()`` packgen's own
    digest: reads are worked out once per template file and packgen, and kept (ReadsStore).
    """

    def __init__(
        self,
        environment: Environment,
        *,
        sources: Callable[[str], list[str]],
        file_digest: Callable[[str], str],
        code: Callable[[], str],
        store: ReadsStore | None = None,
    ):
        self.environment = environment
        self._sources = sources
        self._file_digest = file_digest
        self._code = code
        self._store = store or ReadsStore()
        self._reads: dict[str, list[Read] | None] = {}
        self._written: dict[tuple[int, Read], tuple[Any, Any]] = {}

    def of(self, template: str) -> list[Read] | None:
        """The reads of ``template``; None when its whole context counts."""
        if template not in self._reads:
            self._reads[template] = entry_reads(self._entry(template))
        return self._reads[template]

    def data(self, template: str, context: Mapping[str, Any]) -> Any:
        """What of ``context`` filling ``template`` reads, in cache.canonical's form: the value at each
        of its reads, or the whole context when they are not known. Raises cache.Uncacheable for a
        value with no exact written form, TemplateProblem for a template that cannot be read."""
        found = self.of(template)
        if found is None:
            return canonical(context)
        return [[list(read), self._value(context, read)] for read in found]

    def check(self, template: str, compiled: list[Any]) -> None:
        """After a fill: were the sources it compiled all among those its reads were worked out from?

        If docxtpl ever fills a part of a document jinja_sources does not know of, the reads could
        miss what that part prints: the template's documents are then keyed by their whole context
        from the next build on (and this one's are made again then, their keys having changed).
        """
        entry = self._entry(template)
        known = set(entry["sources"])
        if entry["reads"] is not None and not all(
            isinstance(source, str) and source_digest(source) in known for source in compiled
        ):
            self._store.put(self._name(template), [], None)
            self._reads[template] = None

    def _value(self, context: Mapping[str, Any], read: Read) -> Any:
        # Documents of a school share their school, staff and provider objects, and a pupil's share
        # the pupil's: each read of each is written out once (records are frozen, so it cannot change).
        # The object is kept with its entry, so its id is never another's while the entry lives.
        root = context.get(read[0])
        known = self._written.get((id(root), read))
        if known is not None and known[0] is root:
            return known[1]
        try:
            value = canonical(value_at(self.environment, context, read))
        except Uncacheable:  # a method, say: then all that can be reached from its name counts
            value = {"$whole": canonical(root)}
        if isinstance(root, (BaseModel, tuple, frozenset)) or dataclasses.is_dataclass(root):
            self._written[(id(root), read)] = (root, value)
        return value

    def _entry(self, template: str) -> dict[str, Any]:
        name = self._name(template)
        entry = self._store.get(name)
        if entry is None:
            sources = self._sources(template)
            try:
                found = reads_of(self.environment.parse(source) for source in sources)
            except TemplateSyntaxError:  # filling it will say what is wrong
                found = None
            entry = self._store.put(name, sources, found)
        return entry

    def _name(self, template: str) -> str:
        return hashlib.sha256(f"{self._code()}\0{self._file_digest(template)}".encode()).hexdigest()


def reads_of(trees: Iterable[nodes.Template]) -> list[Read] | None:
    """The reads of a template made of these parsed sources; None when it may read anything."""
    found: set[Read] = set()
    for tree in trees:
        if any(True for _ in tree.find_all(_OPAQUE)):
            return None
        parents = {id(child): node for node in tree.find_all(nodes.Node) for child in node.iter_child_nodes()}
        for name in tree.find_all(nodes.Name):
            if name.ctx == "load":
                found.add(_read_from(name, parents))
    return sorted(found, key=_text)


def _read_from(name: nodes.Name, parents: dict[int, nodes.Node]) -> Read:
    """The longest run of named attributes and fixed items taken from ``name``."""
    read: list[Any] = [name.name]
    node: nodes.Node = name
    while True:
        parent = parents.get(id(node))
        if isinstance(parent, nodes.Getattr) and parent.node is node:
            read.append(("attr", parent.attr))
        elif (
            isinstance(parent, nodes.Getitem)
            and parent.node is node
            and isinstance(parent.arg, nodes.Const)
            and isinstance(parent.arg.value, (str, int))
            and not isinstance(parent.arg.value, bool)
        ):
            read.append(("item", parent.arg.value))
        else:
            return tuple(read)
        node = parent


def value_at(environment: Environment, context: Mapping[str, Any], read: Read) -> Any:
    """What the template finds at ``read`` in ``context``, looked up as Jinja looks it up (the
    environment's own getattr and getitem: attribute first for ``a.b``, item first for ``a[b]``).
    A place with nothing there gives a marker of its own."""
    name, *steps = read
    if name not in context:
        return _UNDEFINED
    value = context[name]
    for kind, key in steps:
        value = environment.getattr(value, key) if kind == "attr" else environment.getitem(value, key)
        if isinstance(value, Undefined):
            return _UNDEFINED
    return value


class ReadsStore:
    """Reads worked out before, by template file and packgen version, with the digests of the Jinja
    sources they were worked out from (so filling can check it saw no other source)."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder if folder is not None else user_cache() / "reads"
        self._store = DigestStore(self.folder)
        self._known: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any] | None:
        if name not in self._known:
            kept = self._store.get(f"{name}.json")
            try:
                entry = json.loads(kept) if kept is not None else None
            except ValueError:
                return None
            if not _well_formed(entry):
                return None
            self._known[name] = entry
        return self._known[name]

    def put(self, name: str, sources: Iterable[str], reads: list[Read] | None) -> dict[str, Any]:
        entry = {
            "sources": sorted(source_digest(s) for s in sources),
            "reads": None if reads is None else [list(r[:1]) + [list(s) for s in r[1:]] for r in reads],
        }
        self._known[name] = entry
        self._store.put(f"{name}.json", json.dumps(entry).encode())  # if it cannot, the next run works them out again
        return entry


def entry_reads(entry: dict[str, Any]) -> list[Read] | None:
    if entry["reads"] is None:
        return None
    return [(r[0], *((kind, key) for kind, key in r[1:])) for r in entry["reads"]]


def source_digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def _well_formed(entry: Any) -> TypeGuard[dict[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("sources"), list):
        return False
    reads = entry.get("reads")
    return reads is None or (
        isinstance(reads, list)
        and all(
            isinstance(r, list)
            and r
            and isinstance(r[0], str)
            and all(isinstance(s, list) and len(s) == 2 and s[0] in ("attr", "item") for s in r[1:])
            for r in reads
        )
    )


def _text(read: Read) -> str:
    return json.dumps(read)
