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

import dataclasses
import enum
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import packgen
from packgen.errors import TemplateProblem, vanished
from packgen.files import write_private

CACHE_DIR = ".cache"
ENTRIES = "documents"
PACK_STATE = "pack.json"
MAGIC = b"packgen-cache 1\n"
KEEP_UNUSED_SECONDS = 24 * 3600  # an entry no build has used for a day is removed
_CODE = Path(packgen.__file__).resolve().parent


class Uncacheable(TypeError):
    """A value in a document's data that has no exact written form."""


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is equal exactly when the values are.

    Pydantic models as ``model_dump(mode="json")``, dataclasses field by field, dates and times
    in ISO form, bytes by digest; each tagged with its kind so, say, a date and the same text
    differ. Mappings keep their order, as a template looping over one would print it. Anything
    else raises Uncacheable: a guess (``repr``, ``str``) could hide a change.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, BaseModel):
        return {"$model": type(value).__qualname__, "fields": value.model_dump(mode="json")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$data": type(value).__qualname__,
                "fields": {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, clock):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, enum.Enum):
        return {"$enum": type(value).__qualname__, "value": canonical(value.value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": hashlib.sha256(value).hexdigest()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, Mapping):
        return {"$map": [[canonical(k), canonical(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((canonical(v) for v in value), key=_dumps)}
    raise Uncacheable(f"{type(value).__module__}.{type(value).__qualname__} has no exact written form")


class Keys:
    """Makes document keys for one templates folder; reads each template once.

    ``data_read(template, context)`` gives what of a context the template reads, in canonical's
    form (render.Renderer.data_read: only the places its source reaches, see reads.py); without
    it, the whole context counts. ``template_digest(template)`` gives the SHA-256 of the template
    file (render.Renderer.template_digest: of the very bytes it fills from); without it, the file is
    read here.
    """

    def __init__(self, templates: Path, labels: str = "labels.yaml",
                 data_read: Callable[[str, Mapping[str, Any]], Any] | None = None,
                 template_digest: Callable[[str], str] | None = None):
        self.templates = Path(templates)
        self._labels = labels
        self._digests: dict[str, str] = {}
        self._code = code_digest()
        self._data_read = data_read or (lambda template, context: canonical(context))
        self._template_digest = template_digest or self._file

    def key(self, template: str, context: Mapping[str, Any]) -> str | None:
        """The key of ``template`` filled with ``context``; None when the data cannot be keyed."""
        try:
            data = _dumps(self._data_read(template, context))
            parts = (self._code, template, self._template_digest(template), self._file(self._labels), data)
        except (Uncacheable, OSError, TemplateProblem):  # an unreadable template: filling says what is wrong
            return None
        digest = hashlib.sha256(b"packgen document\0")
        for part in parts:
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()

    def _file(self, name: str) -> str:
        if name not in self._digests:
            self._digests[name] = _file_digest(self.templates / name)
        return self._digests[name]


class DocumentCache:
    """Finished documents of one output folder, by key."""

    def __init__(self, out: Path):
        self.root = Path(out) / CACHE_DIR / ENTRIES

    def fetch(self, key: str, docx: Path, pdf: Path) -> bool:
        """Write the entry's .docx and .pdf to ``docx`` and ``pdf`` if it is there and whole."""
        entry = self._path(key)
        try:
            blob = entry.read_bytes()
        except OSError:
            return False
        parts = _unpack(blob)
        if parts is None:
            entry.unlink(missing_ok=True)  # damaged: never served, made again
            return False
        for data, dest in zip(parts, (docx, pdf)):
            write_private(dest, data)
        try:
            os.utime(entry)  # used: kept by prune()
        except OSError:
            pass  # another build replaced it meanwhile; what was served had been checked
        return True

    def store(self, key: str, docx: Path, pdf: Path) -> None:
        """Keep the finished ``docx`` and ``pdf`` under ``key``."""
        parts = [docx.read_bytes(), pdf.read_bytes()]
        header = json.dumps([[len(p), hashlib.sha256(p).hexdigest()] for p in parts]).encode()
        write_private(self._path(key), b"".join([MAGIC, header, b"\n", *parts]))

    def prune(self, keep: Iterable[str], older_than: float = KEEP_UNUSED_SECONDS) -> None:
        """Remove entries not in ``keep`` that nothing has used for ``older_than`` seconds."""
        wanted = {f"{key}.entry" for key in keep}
        cutoff = time.time() - older_than
        for entry in self.root.glob("*/*.entry"):
            try:
                if entry.name not in wanted and entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass  # another build removed or replaced it

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.entry"


def _unpack(blob: bytes) -> tuple[bytes, bytes] | None:
    """The .docx and .pdf of an entry, or None if any byte of it is not as written."""
    if not blob.startswith(MAGIC):
        return None
    header, _, payload = blob[len(MAGIC):].partition(b"\n")
    try:
        sizes = json.loads(header)
        (docx_size, docx_sha), (pdf_size, pdf_sha) = sizes
    except (ValueError, TypeError):
        return None
    if not isinstance(docx_size, int) or not isinstance(pdf_size, int) or len(payload) != docx_size + pdf_size:
        return None
    docx, pdf = payload[:docx_size], payload[docx_size:]
    if hashlib.sha256(docx).hexdigest() != docx_sha or hashlib.sha256(pdf).hexdigest() != pdf_sha:
        return None
    return docx, pdf


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
            digest.update(f"{path.relative_to(root)}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()


def load_pack_state(out: Path, inputs: str) -> dict[str, Any] | None:
    """What the last build of this pack wrote, if it was built from ``inputs`` and every file it
    wrote is still as it left it; else None."""
    try:
        state = json.loads((Path(out) / CACHE_DIR / PACK_STATE).read_text(encoding="utf-8"))
        if state["inputs"] != inputs:
            return None
        for name, size, mtime in state["files"]:
            stat = (Path(out) / name).stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
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
        state = json.loads((Path(out) / CACHE_DIR / PACK_STATE).read_text(encoding="utf-8"))
        written = {name: (size, mtime) for name, size, mtime in state["files"]}
        keys = dict(state.get("keys", {}))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    placed = {}
    for stem, key in keys.items():
        try:
            found = [(Path(out) / f"{stem}{suffix}").stat() for suffix in (".docx", ".pdf")]
        except OSError:
            continue
        if all(written.get(f"{stem}{suffix}") == (stat.st_size, stat.st_mtime_ns)
               for suffix, stat in zip((".docx", ".pdf"), found)):
            placed[stem] = key
    return placed


def built_before(out: Path) -> bool:
    """Whether a build of this pack has been recorded (whatever it was made from)."""
    return (Path(out) / CACHE_DIR / PACK_STATE).is_file()


def forget_pack_state(out: Path) -> None:
    """The pack is about to change: until it is recorded again, nothing may be taken as up to date."""
    (Path(out) / CACHE_DIR / PACK_STATE).unlink(missing_ok=True)


# ---------------------------------------------------------------- helpers


def code_digest() -> str:
    """packgen's version and its own source, so a copy whose code changed never serves old output."""
    digest = hashlib.sha256(f"packgen {packgen.__version__}\0".encode())
    for path in sorted(_CODE.rglob("*.py")):
        digest.update(f"{path.relative_to(_CODE)}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()


def _files(root: Path, skip: Path | None) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if skip is None or Path(folder, d).resolve() != skip)
        found += [Path(folder, name) for name in names]
    return sorted(found)


def _file_digest(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except (FileNotFoundError, NotADirectoryError) as exc:  # a broken link, or moved away as we looked
        raise vanished(path) from exc


def _dumps(value: Any) -> str:
    # Not sort_keys: a model's dict fields keep their order (see canonical()).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


