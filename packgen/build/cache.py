"""Finished documents kept by what they were made from, so a rebuild redoes only what changed.

A document is the same document when its template, the words in labels.yaml, the data its template
reads (reads.py: not everything it is given) and packgen itself are the same, so its key is a
SHA-256 of exactly those. A key that matches is served; any change of input makes a new key, so
nothing stale can be found under it. Data that cannot be written down exactly gives no key, and that
document is simply always made afresh.

Each entry is one file (the .docx and the .pdf, with their own SHA-256s in a header), written to a
temporary name and renamed, so a reader sees a whole entry or none. Every byte is checked against
those digests before it is served; a damaged entry is deleted and the document made again.

A whole pack has a state beside the entries: what its inputs were (every file of the school folder
and of the templates, packgen, the days it was built for) and what it wrote. When the inputs and the
written files are unchanged, there is nothing to do.

The cache lives in the school's output folder (``.cache``), owner-only like everything there: it
holds the same children's data as the documents.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from packgen.errors import TemplateProblem, vanished
from packgen.files import write_private
from packgen.runtime.canonical import Uncacheable, canonical, dumps
from packgen.runtime.store import DigestStore, code_digest, file_digest

CACHE_DIR = ".cache"
ENTRIES = "documents"
PACK_STATE = "pack.json"
KEEP_UNUSED_SECONDS = 24 * 3600  # an entry no build has used for a day is removed


class Keys:
    """Makes document keys for one templates folder; reads each template once.

    ``data_read(template, context)`` gives what of a context the template reads, in canonical's
    form (render.Renderer.data_read: only the places its source reaches, see reads.py); without
    it, the whole context counts. ``template_digest(template)`` gives the SHA-256 of the template
    file (render.Renderer.template_digest: of the very bytes it fills from); without it, the file is
    read here.
    """

    def __init__(
        self,
        templates: Path,
        labels: str = "labels.yaml",
        data_read: Callable[[str, Mapping[str, Any]], Any] | None = None,
        template_digest: Callable[[str], str] | None = None,
    ):
        self.templates = Path(templates)
        self._labels = labels
        self._digests: dict[str, str] = {}
        self._code = code_digest()
        self._data_read = data_read or (lambda template, context: canonical(context))
        self._template_digest = template_digest or self._file

    def key(self, template: str, context: Mapping[str, Any]) -> str | None:
        """The key of ``template`` filled with ``context``; None when the data cannot be keyed."""
        try:
            data = dumps(self._data_read(template, context))
            parts = (self._code, template, self._template_digest(template), self._file(self._labels), data)
        except (Uncacheable, OSError, TemplateProblem):  # an unreadable template: filling says what is wrong
            return None
        digest = hashlib.sha256(b"packgen document\0")
        for part in parts:
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()

    def _file(self, name: str) -> str:
        if name not in self._digests:
            self._digests[name] = file_digest(self.templates / name)
        return self._digests[name]


class DocumentCache:
    """Finished documents of one output folder, by key: each entry the .docx and the .pdf together,
    in one DigestStore file (so a reader sees both whole, or neither)."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.root = self.out / CACHE_DIR / ENTRIES
        self._store = DigestStore(self.root)

    def fetch(self, key: str, docx: Path, pdf: Path) -> bool:
        """Write the entry's .docx and .pdf to ``docx`` and ``pdf`` if it is there and whole."""
        blob = self._store.get(self._name(key))
        if blob is None:
            return False
        header, _, payload = blob.partition(b"\n")
        try:
            docx_size = int(header)
        except ValueError:  # whole, but not an entry this code wrote
            return False
        write_private(docx, payload[:docx_size])
        write_private(pdf, payload[docx_size:])
        self._store.used(self._name(key))  # kept by prune()
        return True

    def store(self, key: str, docx: Path, pdf: Path) -> None:
        """Keep the finished ``docx`` and ``pdf`` under ``key``."""
        docx_bytes = docx.read_bytes()
        self._store.put(self._name(key), b"%d\n" % len(docx_bytes) + docx_bytes + pdf.read_bytes())

    def prune(self, keep: Iterable[str], older_than: float = KEEP_UNUSED_SECONDS) -> None:
        """Remove entries not in ``keep`` that nothing has used for ``older_than`` seconds."""
        self._store.prune("*/*.entry", (self._name(key) for key in keep), older_than)

    @staticmethod
    def _name(key: str) -> str:
        return f"{key[:2]}/{key}.entry"


# ---------------------------------------------------------------- a whole pack


def pack_inputs(folder: Path, templates: Path, days: Iterable[date], skip: Path | None = None) -> str:
    """One digest of everything a pack is made from: every file of the school folder and of the
    templates folder, packgen itself, and the days the documents are dated and judged on.

    ``skip`` is a folder inside the school folder to leave out (an output folder put there).
    """
    digest = hashlib.sha256(b"packgen pack\0" + code_digest().encode() + b"\0")
    for day in days:
        digest.update(day.isoformat().encode() + b"\0")
    for label, root in (("school", Path(folder).resolve()), ("templates", Path(templates).resolve())):
        # Contents only: a folder copied or moved elsewhere makes the same pack.
        digest.update(f"{label}\0".encode())
        for path in _files(root, skip.resolve() if skip else None):
            try:
                digest.update(f"{path.relative_to(root)}\0{file_digest(path)}\0".encode())
            except (FileNotFoundError, NotADirectoryError) as exc:  # a broken link, or moved away as we looked
                raise vanished(path) from exc
    return digest.hexdigest()


def load_pack_state(out: Path, inputs: str) -> dict[str, Any] | None:
    """What the last build of this pack wrote, if it was built from ``inputs`` and every file it
    wrote is still as it left it; else None."""
    try:
        state, written = _recorded(out)
        if state["inputs"] != inputs or not all(_as_written(out, name, written) for name in written):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state


def save_pack_state(out: Path, inputs: str, files: Iterable[Path], **facts: Any) -> None:
    """Record that ``files`` (inside ``out``) were written from ``inputs``, with ``facts`` to report."""
    out = Path(out)
    written = []
    for path in files:
        stat = path.stat()
        written.append([str(path.relative_to(out)), stat.st_size, stat.st_mtime_ns])
    state = {"inputs": inputs, "files": written, **facts}
    write_private(out / CACHE_DIR / PACK_STATE, json.dumps(state).encode())


def documents_in_place(out: Path) -> dict[str, str]:
    """The documents the last build of this pack left beside it that are still as it left them (same
    size and modification time, as ``load_pack_state`` judges the pack), by stem: the cache key each was
    made under. A document whose key is unchanged can stay where it is, neither copied nor moved."""
    try:
        state, written = _recorded(out)
        keys = dict(state.get("keys", {}))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    placed = {}
    for stem, key in keys.items():
        try:
            if all(_as_written(out, f"{stem}{suffix}", written) for suffix in (".docx", ".pdf")):
                placed[stem] = key
        except OSError:
            continue
    return placed


def pages_in_pack(out: Path, pack_name: str) -> dict[str, tuple[str, int, int]]:
    """Where the last build put each of its documents in the pack it left, if that pack is still as it
    left it, byte for byte: by stem, (the key the document was made under, first page from 0, page count)."""
    try:
        state, written = _recorded(out)
        # Every byte as written, too: pages taken from it go into the next pack as they are.
        if not _as_written(out, pack_name, written) or state.get("pack_digest") != file_digest(Path(out) / pack_name):
            return {}
        return {stem: (key, int(first), int(count)) for stem, (key, first, count) in state.get("pages", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def built_before(out: Path) -> bool:
    """Whether a build of this pack has been recorded (whatever it was made from)."""
    return (Path(out) / CACHE_DIR / PACK_STATE).is_file()


def forget_pack_state(out: Path) -> None:
    """The pack is about to change: until it is recorded again, nothing may be taken as up to date."""
    (Path(out) / CACHE_DIR / PACK_STATE).unlink(missing_ok=True)


# ---------------------------------------------------------------- helpers


def _recorded(out: Path) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """The state the last build of this pack recorded, and each file it wrote: name, (size, mtime)."""
    state = json.loads((Path(out) / CACHE_DIR / PACK_STATE).read_text(encoding="utf-8"))
    return state, {name: (size, mtime) for name, size, mtime in state["files"]}


def _as_written(out: Path, name: str, written: dict[str, tuple[int, int]]) -> bool:
    """Whether the file ``name`` in ``out`` is as the last build wrote it (same size and modification
    time); OSError if it is not there."""
    stat = (Path(out) / name).stat()
    return written.get(name) == (stat.st_size, stat.st_mtime_ns)


def _files(root: Path, skip: Path | None) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if skip is None or Path(folder, d).resolve() != skip)
        found += [Path(folder, name) for name in names]
    return sorted(found)
