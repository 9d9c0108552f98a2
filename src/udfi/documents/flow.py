"""The documents' HTML (a closed subset: udfi's templates) as ReportLab platypus flowables, styled by
the templates' CSS (`styles.StyleSheet`).

Blocks become Paragraphs (headings keep with what follows them), `.keep` / break-inside: avoid
become KeepTogether, break-before: page a PageBreak, tables a platypus Table: widths as the CSS
gives them (fixed layout from the first row and <col>s, the rest shared), header rows repeated on
every page, borders and backgrounds per cell, rowspan/colspan as spans. A cell is a plain string
(cheap) when its text fits its column or may not wrap; otherwise a Paragraph, which wraps — text is
never clipped. User text is escaped before it reaches ReportLab's paragraph markup.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from udfi.documents import fonts
from udfi.documents.markup import no_break
from udfi.documents.styles import ELEMENTS, StyleSheet, border, hex_colour, length

BLOCKS = frozenset(("section", "header", "div", "h1", "h2", "h3", "p", "ul", "li", "table", "img"))
INLINE = frozenset(("span", "strong", "b", "em", "i", "br"))
SKIP = frozenset(("head", "meta", "title", "colgroup", "col"))
HEADINGS = {"h1": 0, "h2": 1, "h3": 2}
# Text XML 1.0 cannot carry (a noncharacter or a control in a name): printed as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACE = re.compile(r"\s+")


class UnstyledElement(ValueError):
    pass


def parse(html: str):
    """The <body> of `html` (libxml2's HTML parser)."""
    import lxml.html  # noqa: PLC0415

    root = lxml.html.document_fromstring(_NOT_XML.sub("\ufffd", html))
    return root.find("body") if root.find("body") is not None else root


def _classes(element) -> frozenset[str]:
    """The element's classes, and the structural pseudo-classes it has (styles.PSEUDO)."""
    value = element.get("class")
    names = set(value.split()) if value else set()
    before = element.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    after = element.getnext()
    while after is not None and not isinstance(after.tag, str):
        after = after.getnext()
    if before is None:
        names.add(":first-child")
    if after is None:
        names.add(":last-child")
    while before is not None and before.tag != element.tag:
        before = before.getprevious()
    if before is None:
        names.add(":first-of-type")
    return frozenset(names)


def _bold(style: dict) -> bool:
    return style.get("font-weight", "normal") in ("bold", "700", "800", "900")


def _italic(style: dict) -> bool:
    return style.get("font-style", "normal") in ("italic", "oblique")


def _size(style: dict) -> float:
    return float(style.get("font-size", "10pt")[:-2])


def _colour(style: dict, name: str = "color", default: str = "#000000") -> str:
    return hex_colour(style.get(name, default))


def text_markup(text: str, nowrap: bool = False, upper: bool = False) -> str:
    """Plain text as paragraph markup: escaped, whitespace collapsed, no-break spaces where it may
    not wrap, and each run of characters DejaVu Sans lacks in a face that has them."""
    text = no_break(text)
    if upper:
        text = text.upper()
    if nowrap:
        text = text.replace(" ", "\u00a0").replace("\n", "\u00a0")
    if fonts.covered(text):
        return escape(text)
    out = []
    for char in text:
        if fonts.covered(char):
            out.append(escape(char))
            continue
        face = fonts.fallback_face(char)
        out.append(f'<font face="{face}">{escape(char)}</font>' if face else escape(char))
    return "".join(out)


# Paragraph styles by what they set, shared by every document of the process (a paragraph's parsed
# markup is cached per style: drawing.CachedParagraph).
_STYLES: dict[tuple, object] = {}
_BULLETED: dict[tuple[int, float], object] = {}


class Converter:
    """One document's conversion (`resources`: what <img src> names, e.g. the chart geometry)."""

    def __init__(self, sheet: StyleSheet, width: float, resources: dict | None = None):
        fonts.register()
        self.sheet = sheet
        self.width = width
        self.resources = resources or {}
        self._styles = _STYLES
        self.fresh = True  # nothing placed since the document start or the last page break

    # -- styles --------------------------------------------------------------------------------

    def paragraph_style(self, style: dict, heading: int | None = None):
        bold, italic, size = _bold(style), _italic(style), _size(style)
        line = style.get("line-height", "1.2")
        leading = length(line, size) if line.endswith(("pt", "em", "px")) else size * float(line)
        align = {"right": 2, "center": 1, "justify": 4}.get(style.get("text-align", "left"), 0)
        margin_top = length(style.get("margin-top", "0"), size)
        margin_bottom = length(style.get("margin-bottom", "0"), size)
        indent = length(style.get("padding-left", "0"), size) + length(style.get("margin-left", "0"), size)
        keep = style.get("break-after") == "avoid" or heading is not None
        key = (bold, italic, size, leading, _colour(style), align, margin_top, margin_bottom, indent, keep,
               style.get("background"))
        found = self._styles.get(key)
        if found is None:
            from reportlab.lib.colors import HexColor  # noqa: PLC0415
            from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415

            found = ParagraphStyle(
                f"s{len(self._styles)}", fontName=fonts.face(bold, italic), fontSize=size, leading=leading,
                textColor=HexColor(_colour(style)), alignment=align, spaceBefore=margin_top, spaceAfter=margin_bottom,
                leftIndent=indent, keepWithNext=int(keep), splitLongWords=1, allowWidows=0, allowOrphans=0,
                backColor=HexColor(hex_colour(style["background"])) if style.get("background") else None)
            self._styles[key] = found
        return found

    def cell_style(self, style: dict):
        """The paragraph style of a table cell's text (the cell's padding is the Table's)."""
        return self.paragraph_style({**style, "margin-top": "0", "margin-bottom": "0", "padding-left": "0",
                                     "margin-left": "0", "break-after": "auto"})

    def chain_of(self, chain: tuple, element) -> tuple:
        tag = element.tag
        if tag not in ELEMENTS:
            raise UnstyledElement(f"the document uses <{tag}>, which udfi's PDF layout does not style")
        return chain + ((tag, _classes(element)),)

    # -- inline content --------------------------------------------------------------------------

    def inline(self, element, chain: tuple, style: dict, own_text: bool = True) -> str:
        """The markup of `element`'s content (its text, inline children and their tails)."""
        nowrap = style.get("white-space") == "nowrap"
        upper = style.get("text-transform") == "uppercase"
        out = [text_markup(element.text, nowrap, upper)] if own_text and element.text else []
        for child in element:
            if not isinstance(child.tag, str):
                pass
            elif child.tag == "br":
                out.append("<br/>")
            else:
                child_chain = self.chain_of(chain, child)
                child_style = self.sheet.computed(child_chain)
                out.append(self._span(child, child_chain, style, child_style))
            if child.tail:
                out.append(text_markup(child.tail, nowrap, upper))
        return "".join(out)

    def _span(self, element, chain: tuple, parent: dict, style: dict) -> str:
        if "box" in chain[-1][1]:  # a check box: ☒ when checked, ☐ when not
            return "\u2612" if (element.text or "").strip() else "\u2610"
        inner = self.inline(element, chain, style)
        if "ln" in chain[-1][1]:  # a line number set in a fixed-width cell: its number, then a gap
            inner += "\u00a0\u00a0\u00a0"
        if style.get("display") == "block":  # a line of its own
            inner += "<br/>"
        if _bold(style) and not _bold(parent):
            inner = f"<b>{inner}</b>"
        if _italic(style) and not _italic(parent):
            inner = f"<i>{inner}</i>"
        attributes = ""
        if _colour(style) != _colour(parent):
            attributes += f' color="{_colour(style)}"'
        if _size(style) != _size(parent):
            attributes += f' size="{_size(style):g}"'
        return f"<font{attributes}>{inner}</font>" if attributes else inner

    # -- blocks ----------------------------------------------------------------------------------

    def convert(self, body) -> list:
        return self.blocks(body, (("html", frozenset()), ("body", frozenset())))

    def blocks(self, element, chain: tuple) -> list:
        """Flowables of `element`'s children (text directly in a block container is a paragraph)."""
        out: list = []
        loose = []  # inline content between blocks
        for child in element:
            if not isinstance(child.tag, str) or child.tag in SKIP:
                continue
            if child.tag in INLINE:
                loose.append(child)
                continue
            if loose:
                out += self._loose(element, chain, loose)
                loose = []
            out += self.block(child, self.chain_of(chain, child))
        if loose:
            out += self._loose(element, chain, loose)
        return out

    def _loose(self, parent, chain: tuple, children: list) -> list:
        style = self.sheet.computed(chain)
        markup = "".join(self._span(child, self.chain_of(chain, child), style, self.sheet.computed(
            self.chain_of(chain, child))) + (text_markup(child.tail) if child.tail else "") for child in children)
        return self._placed([self.paragraph(markup, style)]) if markup.strip() else []

    def _placed(self, flowables: list) -> list:
        if flowables:
            self.fresh = False
        return flowables

    def paragraph(self, markup: str, style: dict, heading: int | None = None):
        from udfi.documents.drawing import RuledParagraph  # noqa: PLC0415

        rule = border(style.get("border-bottom"))
        para = RuledParagraph(markup, self.paragraph_style(style, heading))
        if rule:
            size = _size(style)
            para.rule_below = (rule[0], rule[1], length(style.get("padding-bottom", "0"), size))
        if heading is not None:
            para.bookmark = (heading, _SPACE.sub(" ", "".join(para_text(markup))).strip())
        return para

    def block(self, element, chain: tuple) -> list:
        from reportlab.platypus import KeepTogether, PageBreak  # noqa: PLC0415

        style = self.sheet.computed(chain)
        if style.get("display") == "none":
            return []
        out: list = []
        if style.get("break-before") == "page" and not self.fresh:
            out.append(PageBreak())
            self.fresh = True
        tag = chain[-1][0]
        if tag == "table":
            from udfi.documents.tables import table  # noqa: PLC0415

            body = self._placed([table(self, element, chain, style)])
        elif tag == "img":
            body = self._placed(self.image(element))
        elif tag == "ul":
            body = []
            for item in element:
                if isinstance(item.tag, str):
                    item_chain = self.chain_of(chain, item)
                    item_style = dict(self.sheet.computed(item_chain))
                    item_style["padding-left"] = style.get("padding-left", "0")
                    para = self.paragraph(self.inline(item, item_chain, item_style), item_style)
                    para.bulletText = "\u2022"
                    para.style = _bulleted(para.style, length(item_style["padding-left"], _size(item_style)))
                    body.append(para)
            self._placed(body)
        elif tag in ("section", "header", "div") and not _has_text(element):
            box = border(style.get("border-top"))
            saved = self.width
            if box:  # what the box holds is as wide as its inside
                size = _size(style)
                self.width -= (length(style.get("padding-left", "0"), size) + length(style.get("padding-right", "0"), size)
                               + 2 * box[0])
            try:
                body = self.blocks(element, chain)
            finally:
                self.width = saved
            if box and body:
                from udfi.documents.tables import boxed  # noqa: PLC0415

                body = [boxed(body, style, self.width)]
        else:  # h1-h3, p, li, a div holding text
            markup = self.inline(element, chain, style)
            body = self._placed([self.paragraph(markup, style, HEADINGS.get(tag))]) if markup.strip() else []
        if body and (style.get("break-inside") == "avoid" or "keep" in chain[-1][1]) and (len(body) > 1 or tag == "table"):
            body = [KeepTogether(body)]
        return out + body

    def image(self, element) -> list:
        source = element.get("src", "")
        if source not in self.resources:
            raise ValueError(f"the document refers to an image udfi does not have: {source[:40]!r}")
        from udfi.documents.drawing import ChartFlowable  # noqa: PLC0415

        return [ChartFlowable(self.resources[source])]


def _has_text(element) -> bool:
    """Whether a div carries text (or inline elements) of its own, not only blocks."""
    if element.text and element.text.strip():
        return True
    return any(isinstance(child.tag, str) and child.tag in INLINE for child in element)


def _bulleted(style, indent: float):
    found = _BULLETED.get((id(style), indent))
    if found is None or found.parent is not style:
        from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415

        found = ParagraphStyle(style.name + "-li", parent=style, leftIndent=indent, bulletIndent=indent * 0.4,
                               bulletFontName=fonts.face(), bulletFontSize=style.fontSize)
        _BULLETED[(id(style), indent)] = found
    return found


_TAGS = re.compile(r"<[^>]*>")


def para_text(markup: str) -> str:
    """The text of paragraph markup (for bookmarks)."""
    from xml.sax.saxutils import unescape  # noqa: PLC0415

    return unescape(_TAGS.sub("", markup.replace("<br/>", " "))).replace("\u00a0", " ")
