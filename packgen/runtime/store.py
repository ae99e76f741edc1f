"""The one way packgen keeps bytes on disk between runs: each file checked against its own digest.

Kept this way: finished documents (build.cache), what each template reads (documents.reads), a
template's preparation (documents.fill), a template's all-clear from the link check
(documents.links), all named with packgen's own code digest. Each file starts with the SHA-256 of the bytes after it, is written to a temporary
name and renamed (files.write_private), and is owner-only: a damaged, cut-short or half-written file
is never served, it is made again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import packgen
from packgen.files import private_dirs, write_private

_DIGEST = hashlib.sha256().digest_size
_CODE = Path(packgen.__file__).resolve().parent


class DigestStore:
    """Blobs by name (a relative path) in ``folder``.

    ``get`` gives a blob only when every byte is as written; ``put`` keeps one, or quietly does
    nothing when the folder cannot be written (the work is then done again next time). Without a
    folder nothing is kept.
    """

    def __init__(self, folder: Path | None):
        self.folder = None if folder is None else Path(folder)

    def get(self, name: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self.folder / name
        try:
            kept = path.read_bytes()
        except OSError:
            return None
        if len(kept) >= _DIGEST and hashlib.sha256(kept[_DIGEST:]).digest() == kept[:_DIGEST]:
            return kept[_DIGEST:]
        path.unlink(missing_ok=True)  # damaged: never served
        return None

    def put(self, name: str, data: bytes) -> bool:
        if self.folder is None:
            return False
        path = self.folder / name
        try:
            private_dirs(path.parent)
            write_private(path, hashlib.sha256(data).digest() + data)
        except OSError:
            return False
        return True

    def used(self, name: str) -> None:
        """Mark ``name`` as used now, so ``prune`` keeps it."""
        if self.folder is not None:
            try:
                os.utime(self.folder / name)
            except OSError:
                pass  # replaced or removed by another run meanwhile

    def prune(self, pattern: str, keep: Iterable[str], older_than: float) -> None:
        """Remove files matching ``pattern`` whose names are not in ``keep`` and that nothing has used
        for ``older_than`` seconds."""
        if self.folder is None:
            return
        wanted = set(keep)
        cutoff = time.time() - older_than
        for path in self.folder.glob(pattern):
            try:
                if str(path.relative_to(self.folder)) not in wanted and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass  # another run removed or replaced it


class DiskMemo:
    """``made(kind, key, make)`` is ``make()``, kept in a DigestStore under ``kind`` and ``key``.

    ``salt`` names the code whose results these are (a version, say): a result of other code is
    never served. Without a folder, or with one that cannot be written, results are made each time.
    """

    def __init__(self, folder: Path | None, salt: str):
        self.folder = folder
        self._store = DigestStore(folder)
        self._salt = salt.encode()

    def made(self, kind: str, key: bytes, make: Callable[[], bytes]) -> bytes:
        name = hashlib.sha256(b"\0".join((self._salt, kind.encode(), key))).hexdigest()
        kept = self._store.get(f"{name}.{kind}")
        if kept is not None:
            return kept
        result = make()
        self._store.put(f"{name}.{kind}", result)
        return result


def code_digest() -> str:
    """packgen's version and its own source, so a copy whose code changed never serves old output."""
    return hashlib.sha256(f"packgen {packgen.__version__}\0{_source_digest()}".encode()).hexdigest()


@functools.cache
def _source_digest() -> str:
    # Once per process: the source a running program was loaded from does not change under it.
    digest = hashlib.sha256()
    for path in sorted(_CODE.rglob("*.py")):
        digest.update(f"{path.relative_to(_CODE)}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
