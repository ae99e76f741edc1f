"""Fill a Word template with one document's data: template name + context → a .docx file.

Templates are .docx files that office staff edit in Word, written with docxtpl (Jinja) tags.
Everything they print comes from records about children, so filling them is locked down:

- autoescaped: an ``&`` or ``<`` in a name must not break the document's XML (docxtpl's default
  leaves escaping off);
- sandboxed: a template edited by anyone must not reach Python's internals;
- strict: a misspelt variable is an error naming the template, never a silent blank;
- record text is printed exactly: characters XML forbids are dropped, braces are kept as written;
- pictures (a chart) arrive as ``Drawing`` values and print only as the picture: a template cannot
  reach the document being filled through them.

The words printed for codes (labels, yes/no, months) live in ``labels.yaml`` beside the templates,
so staff can change wording without touching Python (wording.py). Each template is trimmed of what no
document needs once (trim.py).
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib.metadata
import io
import re
import traceback
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from docx.document import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.oxml import parse_xml
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import FileSystemBytecodeCache, StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from packgen._compat.docx import PackageSource, content_types_xml
from packgen._compat.docxtpl import Template, insert_image, rendering_part
from packgen.documents import reads as template_reads
from packgen.documents.links import read_template
from packgen.documents.pictures import Drawing
from packgen.documents.trim import trimmed
from packgen.documents.wording import LABELS_FILE, Wording, filters, finalize, load_wording
from packgen.errors import TemplateProblem, ToolError
from packgen.files import private_dirs, user_cache, write_private
from packgen.runtime.store import DiskMemo, code_digest


class _Image:
    """What a template sees of a Picture: something that prints as the image and has nothing else to
    reach. (docxtpl's InlineImage exposes the document being filled, and through it its ``save``.)"""

    __slots__ = ("_inline",)

    def __init__(self, inline: InlineImage):
        self._inline = inline

    def __html__(self) -> str:
        return insert_image(self._inline)


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


def _preparing_code() -> str:
    # What a template's preparation depends on besides its bytes: our code, and docxtpl's clean-up.
    return f"{code_digest()}\0{_docxtpl_version()}"


@functools.cache
def _docxtpl_version() -> str:
    return f"docxtpl {importlib.metadata.version('docxtpl')}"


def _compiled_folder() -> Path | None:
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


# ---------------------------------------------------------------- the renderer


class Renderer:
    """Fills the templates of one folder; reads each template file once, fills it any number of times."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = Path(templates_dir)
        kept = _compiled_folder()
        self.environment = make_environment(load_wording(self.templates_dir / LABELS_FILE), kept)
        self._files: dict[str, PackageSource] = {}
        self._patched: dict[str, str] = {}
        # Kept beside the compiled templates: preparing the few templates a rebuild fills cost more
        # than filling them (see memo.py).
        self._prepared = DiskMemo(kept, _preparing_code())
        self._saved_files: dict[str, tuple[bytes, str]] = {}
        self._reads = template_reads.TemplateReads(
            self.environment,
            sources=lambda template: jinja_sources(self._template(template)),
            file_digest=self.template_digest,
            code=code_digest,
        )

    def render(self, template: str, context: Mapping[str, Any], destination: Path) -> Path:
        """Write ``template`` filled with ``context`` to ``destination`` (atomically, owner-only)."""
        document = self._template(template)
        values = {
            key: _Image(InlineImage(document, io.BytesIO(value.image()), width=Mm(value.width_mm)))
            if isinstance(value, Drawing)
            else value
            for key, value in context.items()
        }
        compiled: list[Any] = []
        self.environment.recording = compiled
        try:
            document.render(values, self.environment)
        # Anything that goes wrong while filling comes from the template staff edited, whatever
        # Python type it surfaces as; the original stays chained for a developer.
        except Exception as exc:
            raise TemplateProblem(_failure(template, document, exc, context)) from exc
        finally:
            self.environment.recording = None
        self._reads.check(template, compiled)
        destination = Path(destination)
        _write_private(_docx_bytes(document.docx), destination)
        return destination

    def data_read(self, template: str, context: Mapping[str, Any]) -> Any:
        """What of ``context`` filling ``template`` reads, in cache.canonical's form (see
        reads.TemplateReads.data): what a document's cache key is made of."""
        return self._reads.data(template, context)

    def reads(self, template: str) -> list[template_reads.Read] | None:
        """The reads of ``template`` (None: its whole context counts), worked out once per file."""
        return self._reads.of(template)

    def template_digest(self, template: str) -> str:
        """The SHA-256 of the template file as this renderer read it (once) and fills from it."""
        return self._saved(template)[1]

    def _saved(self, template: str) -> tuple[bytes, str]:
        """The template file's bytes and their SHA-256, read once."""
        if template not in self._saved_files:
            path = self.templates_dir / template
            saved = read_template(path, self._prepared)
            self._saved_files[template] = saved, hashlib.sha256(saved).hexdigest()
        return self._saved_files[template]

    def problems(self, contexts: Mapping[str, Iterable[str]]) -> list[str]:
        """What stops each template from filling with a context holding these top-level names.

        Reports tags that do not close in their paragraph (Word split them), Jinja syntax errors,
        unknown filters, and names the template uses that its context does not provide.
        """
        found: list[str] = []
        for template, names in contexts.items():
            used, trouble = self._check(template)
            given = sorted(set(names))
            found += trouble + [
                f"{template}: uses '{name}', which is not given to this template (it is given: {', '.join(given)})"
                for name in sorted(used - set(given))
            ]
        return found

    def _check(self, template: str) -> tuple[set[str], list[str]]:
        """The top-level names a template uses, and what stops it from filling at all."""
        try:
            document = self._template(template)
            parts = list(_parts(document))
        except TemplateProblem as problem:
            return set(), [str(problem)]
        except Exception as exc:
            return set(), [f"{template}: is not a Word document that can be opened ({exc})"]
        used: set[str] = set()
        trouble: list[str] = []
        for where, element in parts:
            split = _split_tags(element)
            trouble += [f"{template} ({where}): {message}" for message in split]
            if split:
                continue
            source = _source(document, element)
            try:
                tree = self.environment.parse(source)
                self.environment.compile(tree)  # finds unknown filters
            except TemplateSyntaxError as exc:
                trouble.append(f"{template} ({where}): {(exc.message or '').rstrip('.')}{_near(source, exc.lineno)}")
                continue
            used |= meta.find_undeclared_variables(tree)
        return used, trouble

    def _template(self, name: str) -> DocxTemplate:
        if name not in self._files:
            saved, digest = self._saved(name)
            self._files[name] = PackageSource(self._prepared.made("docx", digest.encode(), lambda: trimmed(saved)))
        # docxtpl changes a template as it fills it, so every document starts from the saved bytes.
        return Template(self._files[name], self._patch)

    def _patch(self, xml: str, clean: Callable[[str], str]) -> str:
        """docxtpl's clean-up (``clean``) of a part's XML, worked out once for each part."""
        if xml not in self._patched:
            kept = self._prepared.made("xml", _utf8(xml), lambda: _utf8(clean(xml)))
            self._patched[xml] = kept.decode("utf-8", "surrogatepass")
        return self._patched[xml]


def template_variable_problems(templates_dir: Path, contexts: Mapping[str, Iterable[str]]) -> list[str]:
    """Every problem with the templates in ``templates_dir`` for the given contexts (template → names)."""
    try:
        return Renderer(templates_dir).problems(contexts)
    except TemplateProblem as problem:
        return [str(problem)]


# ---------------------------------------------------------------- helpers

_DELIMITER = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _parts(document: DocxTemplate) -> Iterator[tuple[str, etree._Element]]:
    """The parts docxtpl fills, each as XML: the body, then every page header and footer."""
    yield "body", document.get_docx().element.body
    for uri, where in ((document.HEADER_URI, "page header"), (document.FOOTER_URI, "page footer")):
        for _, part in document.get_headers_footers(uri):
            yield where, parse_xml(part.blob)


def jinja_sources(document: DocxTemplate) -> list[str]:
    """Every Jinja source docxtpl compiles when it fills ``document``, as it makes each (see
    DocxTemplate.render): the body, each page header and footer, the footnotes, and the document
    properties it fills. TemplateReads.check holds a fill to exactly these."""
    sources = [_source(document, element) for _, element in _parts(document)]
    footnotes = {
        part.partname: part
        for section in document.docx.sections
        for part in section.part.package.parts
        if part.content_type == CT.WML_FOOTNOTES
    }
    sources += [
        _numbered(document.patch_xml(part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob))
        for part in footnotes.values()
    ]
    properties = document.docx.core_properties
    return sources + [getattr(properties, name) for name in _FILLED_PROPERTIES]


# The document properties docxtpl fills (DocxTemplate.render_properties).
_FILLED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


def _source(document: DocxTemplate, element: etree._Element) -> str:
    """The Jinja source docxtpl makes of a part, one paragraph per line as docxtpl numbers them."""
    return _numbered(document.patch_xml(document.xml_to_string(element)))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _numbered(xml: str) -> str:
    # As DocxTemplate.render_xml_part: a line per paragraph, so Jinja's line numbers find the paragraph.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def _split_tags(element: etree._Element) -> list[str]:
    """Tags that do not open and close inside one paragraph.

    docxtpl itself mends a tag that Word split into several runs of one paragraph, but a tag
    broken across paragraphs or cells, or left unclosed, turns the document's XML into nonsense.
    """
    problems = []
    for paragraph in element.iter(qn("w:p")):
        text = "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
        opened = None
        for match in _DELIMITER.finditer(text):
            token = match.group()
            if opened is None and token in _CLOSER:
                opened = token
            elif opened is not None and token == _CLOSER[opened]:
                opened = None
            else:
                opened = token
                break
        if opened is not None:
            problems.append(
                f"the tag around '{opened}' in \"{_shorten(text)}\" does not open and close in this paragraph "
                "(in Word, retype the whole tag in one go)"
            )
    return problems


def _near(source: str, lineno: int | None) -> str:
    """The document text around a line of docxtpl's Jinja source, to show staff where to look."""
    lines = source.splitlines()
    if lineno is None or not 0 < lineno <= len(lines):
        return ""
    text = html.unescape(re.sub(r"<[^>]+>", "", lines[lineno - 1])).strip()
    return f' (in the paragraph "{_shorten(text)}")' if text else ""


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure(template: str, document: DocxTemplate, exc: Exception, context: Mapping[str, Any]) -> str:
    if document.docx is None:
        return f"{template}: is not a Word document that can be opened ({exc})"
    what = exc.message if isinstance(exc, TemplateError) and exc.message else f"{type(exc).__name__}: {exc}"
    what = what.rstrip(".")
    part = rendering_part(document)
    near = ""
    if part is not None:
        lineno = getattr(exc, "lineno", None) or _template_line(exc)
        element = document.docx.element.body if part is document.docx.part else parse_xml(part.blob)
        near = _near(_source(document, element), lineno)
    return f"{template}: {what}{near}; this template is given: {', '.join(sorted(context)) or 'nothing'}"


def _template_line(exc: Exception) -> int | None:
    """Jinja marks the frames of template code with the template's line numbers; take the deepest."""
    lines = [line for frame, line in traceback.walk_tb(exc.__traceback__) if frame.f_code.co_filename == "<template>"]
    return lines[-1] if lines else None


def _write_private(docx: bytes, destination: Path) -> None:
    """Write owner-only, never half a document (files.py); a failure names the file."""
    try:
        write_private(destination, docx)
    except OSError as exc:
        raise ToolError(f"{destination}: cannot be written ({exc.strerror or exc})") from exc


def _docx_bytes(document: Document) -> bytes:
    """The document as a .docx, written as python-docx's save() writes it, but deflated at level 1.

    At zlib's default level (6) compressing took 1.7 times as long for files a tenth smaller;
    python-docx has no way to choose the level short of changing it for every program. (docxtpl's
    own save() adds only the replacing of pictures and media, which packgen does not use.)
    """
    package = document.part.package
    parts = package.parts
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as docx:
        docx.writestr(CONTENT_TYPES_URI.membername, content_types_xml(parts))
        docx.writestr(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            docx.writestr(part.partname.membername, part.blob)
            if len(part.rels):
                docx.writestr(part.partname.rels_uri.membername, part.rels.xml)
    return out.getvalue()
