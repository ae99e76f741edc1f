"""Fill a Word template with one document's data: template name + context → a .docx file.

Templates are .docx files that office staff edit in Word, written with docxtpl (Jinja) tags, filled
in the locked-down environment of jinja_environment.py. Pictures (a chart) arrive as ``Drawing``
values and print only as the picture: a template cannot reach the document being filled through
them. Each template is trimmed of what no document needs once (trim.py).
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import docxtpl
from docx.document import Document
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateSyntaxError, meta

from packgen._compat.docx import PackageSource, content_types_xml
from packgen._compat.docxtpl import Template, insert_image
from packgen.documents import reads as template_reads
from packgen.documents.jinja_environment import compiled_folder, make_environment
from packgen.documents.links import read_template
from packgen.documents.pictures import Drawing
from packgen.documents.template_source import (
    failure_message,
    filled_parts,
    jinja_sources,
    paragraph_near,
    part_source,
    split_tags,
)
from packgen.documents.trim import trimmed
from packgen.documents.wording import LABELS_FILE, load_wording
from packgen.errors import TemplateProblem, ToolError
from packgen.files import write_private
from packgen.runtime.store import DiskMemo, code_digest


class _Image:
    """What a template sees of a Picture: something that prints as the image and has nothing else to
    reach. (docxtpl's InlineImage exposes the document being filled, and through it its ``save``.)"""

    __slots__ = ("_inline",)

    def __init__(self, inline: InlineImage):
        self._inline = inline

    def __html__(self) -> str:
        return insert_image(self._inline)


def _preparing_code() -> str:
    # What a template's preparation depends on besides its bytes: our code, and docxtpl's clean-up.
    return f"{code_digest()}\0{_docxtpl_version()}"


@functools.cache
def _docxtpl_version() -> str:
    return f"docxtpl {docxtpl.__version__}"


# ---------------------------------------------------------------- the renderer


class Renderer:
    """Fills the templates of one folder; reads each template file once, fills it any number of times."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = Path(templates_dir)
        kept = compiled_folder()
        self.words = load_wording(self.templates_dir / LABELS_FILE)
        self.environment = make_environment(self.words, kept)
        self._files: dict[str, PackageSource] = {}
        self._patched: dict[str, str] = {}
        # Kept beside the compiled templates: preparing the few templates a rebuild fills cost more
        # than filling them (see runtime/store.py).
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
            raise TemplateProblem(failure_message(template, document, exc, context)) from exc
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
            parts = list(filled_parts(document))
        except TemplateProblem as problem:
            return set(), [str(problem)]
        except Exception as exc:
            return set(), [f"{template}: is not a Word document that can be opened ({exc})"]
        used: set[str] = set()
        trouble: list[str] = []
        for where, element in parts:
            split = split_tags(element)
            trouble += [f"{template} ({where}): {message}" for message in split]
            if split:
                continue
            source = part_source(document, element)
            try:
                tree = self.environment.parse(source)
                self.environment.compile(tree)  # finds unknown filters
            except TemplateSyntaxError as exc:
                trouble.append(
                    f"{template} ({where}): {(exc.message or '').rstrip('.')}{paragraph_near(source, exc.lineno)}"
                )
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


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


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
