"""WeasyPrint plumbing shared by statements.pdf, attachments.pdf and letter.pdf: the small embedded
font, one font configuration and stylesheet set per process, a relaxed cycle collector while laying
out, an in-memory URL fetcher for charts, splitting one batch document into per-account PDFs by
anchors, and reproducible PDF bytes (fixed identifier and metadata, no dates).

Many accounts are laid out as ONE document (a document has a fixed cost) and split afterwards.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import io
import os
import re
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

from udfi.resources import templates_dir

_GC_LOCK = threading.Lock()
_GC_HOLDS = 0
_GC_SAVED: tuple = ()
# While rendering: young generations collected less often, the whole-heap (oldest) generation not at
# all. Layout allocates hundreds of thousands of short-lived objects, and the default thresholds
# make Python walk the whole heap (fonts, matplotlib, the caller's data) again and again: ~15% of
# the render time. Young garbage cycles are still freed, so memory stays close to the default.
RENDER_GC_THRESHOLDS = (10_000, 10, 1_000_000)


@contextmanager
def collector_relaxed():
    """The cycle collector's thresholds relaxed for the duration; the last render out restores them
    and collects once (one whole-heap pass per document instead of dozens)."""
    global _GC_HOLDS, _GC_SAVED
    with _GC_LOCK:
        if _GC_HOLDS == 0:
            _GC_SAVED = gc.get_threshold()
            gc.set_threshold(*RENDER_GC_THRESHOLDS)
        _GC_HOLDS += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_HOLDS -= 1
            if _GC_HOLDS == 0:
                gc.set_threshold(*_GC_SAVED)
                gc.collect()  # the render's garbage now, not after the next batch has piled up on it


_GC_FROZEN = False


def _freeze_long_lived() -> None:
    """Move what exists once the renderer is set up (WeasyPrint, fonts, matplotlib, the caller's
    data) out of the cycle collector's reach, once per process (`gc.freeze`)."""
    global _GC_FROZEN
    if not _GC_FROZEN:
        _GC_FROZEN = True
        gc.collect()
        gc.freeze()


# DejaVu Sans cut down to the characters the documents use. WeasyPrint subsets every font of every
# PDF it writes (with fontTools, ~0.2 s per face for the full 6,000-glyph DejaVu); starting from a
# ~1,000-glyph copy makes that step several times cheaper. Characters outside these ranges (in a
# name or description) fall back to the full DejaVu Sans through the font-family list.
FONT_FILES = {"normal": ("DejaVuSans.ttf", "DejaVu Sans"), "bold": ("DejaVuSans-Bold.ttf", "DejaVu Sans:bold")}
FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2100, 0x22FF), (0x25A0, 0x25FF))
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu")
FONT_FAMILY = '"udfi DejaVu Sans", "DejaVu Sans", sans-serif'
_STYLE_LOCK = threading.Lock()
_FONT_CONFIG = None
_SHEETS: dict[tuple[str, ...], list] = {}


def _find_font(filename: str, pattern: str) -> Path | None:
    for folder in FONT_DIRS:
        candidate = Path(folder) / filename
        if candidate.is_file():
            return candidate
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10,
                               check=False).stdout.strip()
    except OSError:
        return None
    return Path(found) if found.endswith(filename) and Path(found).is_file() else None


def _small_font(source: Path) -> Path:
    """A reproducible subset of `source` in the user's cache (made once per font version)."""
    data = source.read_bytes()
    key = hashlib.sha256(data + repr(FONT_RANGES).encode()).hexdigest()[:16]
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "udfi" / "fonts"
    target = folder / f"{source.stem}-udfi-{key}.ttf"
    if target.is_file():
        return target
    from fontTools import subset  # noqa: PLC0415
    from fontTools.ttLib import TTFont  # noqa: PLC0415

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    font = TTFont(io.BytesIO(data))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for low, high in FONT_RANGES for code in range(low, high + 1)])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, target)
    return target


def font_face_css() -> str:
    """@font-face rules for the small DejaVu copy, and the family on the root and every page margin
    box that prints text (margin boxes inherit from the page, not from the body)."""
    faces = []
    for weight, (filename, pattern) in FONT_FILES.items():
        source = _find_font(filename, pattern)
        if source is None:
            faces = []
            break
        try:
            small = _small_font(source)
        except Exception:  # noqa: BLE001 — a cache that cannot be written only costs speed
            faces = []
            break
        faces.append(f'@font-face {{ font-family: "udfi DejaVu Sans"; font-weight: {weight}; '
                     f'src: url("{small.as_uri()}"); }}')
    boxes = ("top-left", "top-center", "top-right", "bottom-left", "bottom-center", "bottom-right")
    margins = " ".join(f"@{box} {{ font-family: {FONT_FAMILY}; }}" for box in boxes)
    return ("\n".join(faces) + f"\nhtml {{ font-family: {FONT_FAMILY}; }}\n@page {{ {margins} }}\n"
            ".nw { white-space: nowrap; }\n")


def stylesheets(names: tuple[str, ...]):
    """(stylesheets, font configuration) for these template stylesheets, built once per process."""
    global _FONT_CONFIG
    with _STYLE_LOCK:
        if names not in _SHEETS:
            from weasyprint import CSS  # noqa: PLC0415
            from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

            if _FONT_CONFIG is None:
                _FONT_CONFIG = FontConfiguration()
                atexit.register(_drop_style)
            sheets = [CSS(filename=str(templates_dir() / name), font_config=_FONT_CONFIG) for name in names]
            sheets.append(CSS(string=font_face_css(), font_config=_FONT_CONFIG))
            _SHEETS[names] = sheets
            _freeze_long_lived()
        return _SHEETS[names], _FONT_CONFIG


def _drop_style() -> None:
    """Release the font configuration before interpreter shutdown (its finalizer needs cffi)."""
    global _FONT_CONFIG
    _SHEETS.clear()
    _FONT_CONFIG = None


def memory_fetcher(resources: dict[str, bytes], content_type: str = "image/svg+xml"):
    """A URL fetcher serving `resources` (by URL) from memory, anything else as WeasyPrint would."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class _MemoryFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url in resources:
                return URLFetcherResponse(url, resources[url], {"Content-Type": content_type})
            return super().fetch(url, headers)

    return _MemoryFetcher()


def html_tree(html: str):
    """`html` as the ElementTree WeasyPrint's own HTML5 parser (tinyhtml5, pure Python) builds for
    our templates, parsed by libxml2 instead (lxml): ~20 times less CPU, a tenth of the layout
    time saved. The two parsers differ on our documents only where HTML5 makes a table's bare rows
    a <tbody> and in the whitespace around <body>; both are made as HTML5 has them here
    (tests/test_statements_layout.py compares the trees of every document)."""
    from xml.etree import ElementTree  # noqa: PLC0415

    import lxml.etree  # noqa: PLC0415
    import lxml.html  # noqa: PLC0415

    root = ElementTree.fromstring(lxml.etree.tostring(lxml.html.document_fromstring(html), encoding="unicode"))
    root.text = None
    for child in root:
        if child.tag == "body":
            child.tail = None
    for table in root.iter("table"):
        children, body = list(table), None
        for child in children:
            if child.tag == "tr":
                if body is None:
                    body = ElementTree.Element("tbody")
                    table.insert(list(table).index(child), body)
                table.remove(child)
                body.append(child)
            else:
                body = None
    return root


# The elements templates/documents-ua.css gives their HTML defaults (a test checks every document).
UA_ELEMENTS = frozenset((
    "html", "head", "meta", "title", "style", "script", "body", "section", "div", "h1", "h2", "h3", "h4", "p", "ul",
    "ol", "li", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th", "span", "strong",
    "b", "em", "i", "small", "sub", "sup", "br", "img"))
UA_STYLESHEET = "documents-ua.css"
_DOCUMENT_CLASS = None


def _document_class():
    """weasyprint.HTML with our user-agent stylesheet and no presentational hints (the documents
    carry no presentational attributes): fewer rules to match against every element."""
    global _DOCUMENT_CLASS
    with _STYLE_LOCK:
        if _DOCUMENT_CLASS is None:
            from weasyprint import CSS, HTML  # noqa: PLC0415

            sheet = CSS(filename=str(templates_dir() / UA_STYLESHEET))

            class DocumentHTML(HTML):
                def _ua_stylesheets(self, forms=False):
                    return [sheet]

                def _ph_stylesheets(self):
                    return []

            _DOCUMENT_CLASS = DocumentHTML
        return _DOCUMENT_CLASS


def _html_document(html: str, base_url: str, url_fetcher):
    """A weasyprint.HTML of `html` built from `html_tree` (what HTML(string=...) sets up, without
    its parser), with the documents' user-agent stylesheet."""
    import cssselect2  # noqa: PLC0415
    from weasyprint.urls import URLFetcher, ensure_url  # noqa: PLC0415

    document_class = _document_class()
    document = document_class.__new__(document_class)
    document.base_url = ensure_url(base_url)
    document.url_fetcher = url_fetcher or URLFetcher()
    document.media_type = "print"
    try:
        tree = html_tree(html)
    except Exception:  # noqa: BLE001 — text XML cannot carry (a noncharacter in a name): the HTML5 parser
        import tinyhtml5  # noqa: PLC0415

        tree = tinyhtml5.parse(html, namespace_html_elements=False)
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(tree, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document


def layout(html: str, names: tuple[str, ...], resources: dict[str, bytes] | None = None):
    """Lay out `html` with the template stylesheets `names`."""
    sheets, font_config = stylesheets(names)
    fetcher = memory_fetcher(resources) if resources else None
    document = _html_document(html, str(templates_dir()), fetcher)
    return document.render(stylesheets=sheets, font_config=font_config)


def split_by_anchor(document, prefix: str) -> dict[str, list]:
    """Pages per part: a part starts on the page holding the anchor `<prefix><key>` and runs to the
    next part's first page (keys in page order)."""
    starts: list[tuple[int, str]] = []
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith(prefix):
                starts.append((number, anchor[len(prefix):]))
    starts.sort()
    parts: dict[str, list] = {}
    for position, (number, key) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(document.pages)
        if key in parts or end <= number:
            raise RuntimeError(f"document part {key!r} could not be found on its own pages")
        parts[key] = document.pages[number:end]
    return parts


def write_pdf(document, pages, title: str, identifier: str) -> bytes:
    """The pages as reproducible PDF bytes, titled `title`."""
    from weasyprint.document import DocumentMetadata  # noqa: PLC0415

    part = document.copy(pages)
    part.metadata = DocumentMetadata(title=title, authors=[], description=None, keywords=[], generator="udfi",
                                     created=None, modified=None)
    return part.write_pdf(pdf_identifier=identifier.encode("utf-8"), uncompressed_pdf=False)


# A form's name never breaks across lines: "Form 990-T", "Schedule A", "Form 8868"... The hyphen in
# "990-T" is a break opportunity and the space between the words another; a nowrap span removes both.
FORM_NAME = re.compile(r"\b((?:Form|Schedule)s?(?:\s|&nbsp;|\u00a0)(?:\d{3,4}(?:-[A-Z]{1,2})?|[A-Z](?![\w-]))(?:\s\(Form\s\d{3,4}(?:-[A-Z]{1,2})?\))?)")
# Nor does a citation's paragraph reference: "IRC §408(e)(1)" would otherwise break before "(1)".
CITATION = re.compile(r"((?:IRC(?:\s|&nbsp;|\u00a0))?§(?:\s|&nbsp;|\u00a0)?\d[\dA-Za-z.]*"
                      r"(?:\([A-Za-z0-9]{1,5}\))+(?:-\d+(?:\([A-Za-z0-9]{1,5}\))*)?)")
_TAG = re.compile(r"(<[^>]*>)")
_RAW = ("title", "style", "script")


def keep_together(html: str) -> str:
    """`html` with every form name and section citation in the text wrapped in <span class="nw"> (CSS:
    white-space: nowrap); tags, attribute values and the <title>/<style> elements are left alone."""
    out, raw = [], None
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            name = piece[1:].split(None, 1)[0].rstrip(">").lower() if len(piece) > 2 else ""
            if name in _RAW:
                raw = name
            elif name == f"/{raw}":
                raw = None
            out.append(piece)
        elif raw is None:
            if "Form" in piece or "Schedule" in piece:
                piece = FORM_NAME.sub(r'<span class="nw">\1</span>', piece)
            if "§" in piece:
                piece = CITATION.sub(r'<span class="nw">\1</span>', piece)
            out.append(piece)
        else:
            out.append(piece)
    return "".join(out)


def template_environment(**filters):
    """The Jinja environment of the PDF documents (templates/, autoescaped, strict): the `dollars` and
    `date` filters every document prints with, plus each document's own `filters`."""
    import jinja2  # noqa: PLC0415

    from udfi.money import format_dollars  # noqa: PLC0415

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["dollars"] = lambda value: format_dollars(value) if value is not None else ""
    environment.filters["date"] = lambda day: day.strftime("%B %-d, %Y") if day else ""
    environment.filters.update(filters)
    return environment
