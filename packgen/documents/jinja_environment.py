"""The one Jinja environment every template is filled in. Everything templates print comes from
records about children, so filling them is locked down:

- autoescaped: an ``&`` or ``<`` in a name must not break the document's XML (docxtpl's default
  leaves escaping off);
- sandboxed: a template edited by anyone must not reach Python's internals;
- strict: a misspelt variable is an error naming the template, never a silent blank;
- record text is printed exactly: characters XML forbids are dropped, braces are kept as written.

The words printed for codes (labels, yes/no, months) live in ``labels.yaml`` beside the templates,
so staff can change wording without touching Python (wording.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from packgen.documents.wording import Wording, filters, finalize
from packgen.files import private_dirs, user_cache
from packgen.runtime.store import code_digest


class _Environment(SandboxedEnvironment):
    """docxtpl compiles every part of a template afresh on each render, and compiling is most of
    its cost; the same source always compiles to the same program, so compile each source once.

    With ``compiled`` (a folder), programs are also kept there between runs in Jinja's own bytecode
    cache: a rebuild after an edit fills a few documents of many templates, and compiling those
    templates (~0.05 s each) was half its filling time. Entries are named by packgen's own code and
    the source, and Jinja checks each against the source it is asked for.
    """

    def __init__(self, compiled: Path | None = None, **options: Any):
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}
        self.recording: list[Any] | None = None  # while set, every source compiled is added to it
        self._stored = FileSystemBytecodeCache(str(compiled)) if compiled is not None else None

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if self.recording is not None:
            self.recording.append(source)
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            self._compiled[source] = self._load(source)
        return self._compiled[source]

    def _load(self, source: str) -> Any:
        if self._stored is None:
            return super().from_string(source)
        name = hashlib.sha256(f"{code_digest()}\0{source}".encode()).hexdigest()
        bucket = self._stored.get_bucket(self, name, None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            try:
                self._stored.set_bucket(bucket)
            except OSError:  # a cache that cannot be written makes filling slower, never wrong
                pass
        return self.template_class.from_code(self, bucket.code, self.make_globals(None), None)


def compiled_folder() -> Path | None:
    folder = user_cache() / "templates"
    try:
        private_dirs(folder)
    except OSError:  # no cache to keep them in: compile each run
        return None
    return folder


def make_environment(words: Wording, compiled: Path | None = None) -> _Environment:
    """The one Jinja environment every template is filled in (see the module docstring for why);
    ``compiled``: a folder to keep compiled templates in between runs."""
    env = _Environment(compiled, autoescape=True, undefined=StrictUndefined, finalize=finalize)
    env.filters.update(filters(words))
    return env
