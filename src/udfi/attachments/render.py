"""attachments.pdf and letter.pdf of an account (templates/attachments/, templates/letter/), laid out
with ReportLab (udfi.documents): the template's two sections, each its own document.

attachments.pdf holds, in this order, Schedule D (Form 1041), Form 8949, the Schedule D Tax Worksheet,
Form 4797 and Form 2220 — each when the return has it; an account with none gets no attachments.pdf.
Every account gets a one-page letter.pdf."""

from __future__ import annotations

import jinja2

from udfi.attachments.form_2220 import form_2220_page
from udfi.attachments.form_4797 import form_4797_page
from udfi.attachments.letter import letter_context
from udfi.attachments.model import FormPage, cents, dollars
from udfi.attachments.schedule_d import form_8949_page, schedule_d_page, tax_worksheet_page
from udfi.engine.compute import AccountYear
from udfi.engine.report import account_object
from udfi.documents import markup, pages
from udfi.documents.flow import Converter, parse
from udfi.documents.styles import StyleSheet

TEMPLATE = "attachments/attachments.html.j2"
STYLESHEETS = ("attachments/attachments.css", "letter/letter.css")
ATTACHMENTS = "attachments"
LETTER = "letter"
ANCHOR = "doc-start-"

_ENVIRONMENT: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = markup.template_environment(whole=dollars, cents=cents)
    return _ENVIRONMENT


def form_pages(result: AccountYear, data: dict | None = None) -> list[FormPage]:
    """The attached forms of one account, in attachment order."""
    data = data if data is not None else account_object(result)
    pages: list[FormPage | None] = []
    if data["schedule_d"] is not None:
        pages += [schedule_d_page(result, data), form_8949_page(result, data), tax_worksheet_page(result, data)]
    pages += [form_4797_page(result, data), form_2220_page(result, data)]
    return [page for page in pages if page is not None]


def account_context(result: AccountYear, index: int) -> dict:
    data = account_object(result)
    pages = form_pages(result, data)
    letter = letter_context(result, data)
    # the Schedule D Tax Worksheet is named by its title ("Worksheet" alone says nothing to the signer)
    letter["attachments"] = [(page.title.split(" (Instructions")[0] if page.key == "tax_worksheet" else page.form,
                             page.attached) for page in pages]
    return {"index": index, "name": letter["name"], "ein": data["ein"], "year": result.tax_year,
            "pages": pages, "letter": letter}


def render_html(results: list[AccountYear], spans: bool = True) -> str:
    """The attachments and letters as HTML; `spans`: form names and citations in no-break spans (the
    PDF layout joins them itself, `markup.no_break`)."""
    accounts = [account_context(result, index) for index, result in enumerate(results)]
    html = _environment().get_template(TEMPLATE).render(accounts=accounts, anchor=ANCHOR)
    return markup.keep_together(html) if spans else html


_SHEET: StyleSheet | None = None


def style_sheet() -> StyleSheet:
    global _SHEET
    if _SHEET is None:
        _SHEET = StyleSheet(STYLESHEETS)
    return _SHEET


def sections(result: AccountYear) -> dict[str, object]:
    """The account's parsed sections by kind ("attachments" when it has attached forms, "letter")."""
    body = parse(render_html([result], spans=False))
    found = {}
    for section in body.iter("section"):
        kind = section.get("class", "")
        if kind in (ATTACHMENTS, LETTER):
            found[kind] = section
    return found


def _document(section, setup, title: str, identity) -> bytes:
    converter = Converter(style_sheet(), setup.frame_width)
    chain = (("html", frozenset()), ("body", frozenset()), ("section", frozenset(section.get("class", "").split())))
    return pages.render(converter.blocks(section, chain), setup, title, identity)


def render_account(result: AccountYear) -> dict[str, bytes]:
    """{"attachments.pdf"?: bytes, "letter.pdf": bytes} of one account."""
    name = result.account.get("name") or result.account_id
    found = sections(result)
    if LETTER not in found:
        raise RuntimeError("letter: the account's letter is missing from the rendered document")
    files: dict[str, bytes] = {}
    if ATTACHMENTS in found:
        files["attachments.pdf"] = _document(found[ATTACHMENTS], pages.ATTACHMENTS,
                                             f"Form 990-T {result.tax_year} attached forms — {name}",
                                             (name, result.account.get("ein") or "", result.tax_year))
    files["letter.pdf"] = _document(found[LETTER], pages.LETTER_PAGE,
                                    f"Form 990-T {result.tax_year} filing letter — {name}", None)
    return files


def render_many(results: list[AccountYear]) -> list[dict[str, bytes]]:
    """{"attachments.pdf"?: bytes, "letter.pdf": bytes} for each of `results` (same order)."""
    return [render_account(result) for result in results]
