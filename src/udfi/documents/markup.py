"""The documents' HTML: the Jinja environment every PDF document is rendered with, and the no-break
spans that keep a form's name and a citation on one line."""

from __future__ import annotations

import re

from udfi.resources import templates_dir

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


_BLANKS = re.compile(r"\s")


def _joined(match: re.Match) -> str:
    return _BLANKS.sub("\u00a0", match.group(1))


def no_break(text: str) -> str:
    """Plain `text` with the spaces inside each form name and citation made no-break spaces (what
    `keep_together`'s spans do, for text the PDF layout reads directly)."""
    if "Form" in text or "Schedule" in text:
        text = FORM_NAME.sub(_joined, text)
    if "§" in text:
        text = CITATION.sub(_joined, text)
    return text


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
