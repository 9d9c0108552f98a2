"""attachments.pdf and letter.pdf for many accounts, laid out as ONE WeasyPrint document and split
per account and file (templates/attachments/, templates/letter/).

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
from udfi.reproducible import fixed_font_timestamps
from udfi.statements import pdf

TEMPLATE = "attachments/attachments.html.j2"
STYLESHEETS = ("attachments/attachments.css", "letter/letter.css")
ATTACHMENTS = "attachments"
LETTER = "letter"
ANCHOR = "doc-start-"

_ENVIRONMENT: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = pdf.template_environment(whole=dollars, cents=cents)
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


def render_html(results: list[AccountYear]) -> str:
    accounts = [account_context(result, index) for index, result in enumerate(results)]
    return pdf.keep_together(_environment().get_template(TEMPLATE).render(accounts=accounts, anchor=ANCHOR))


def render_many(results: list[AccountYear]) -> list[dict[str, bytes]]:
    """{"attachments.pdf"?: bytes, "letter.pdf": bytes} for each of `results` (same order)."""
    results = list(results)
    if not results:
        return []
    with pdf.collector_relaxed(), fixed_font_timestamps():
        document = pdf.layout(render_html(results), STYLESHEETS)
        parts = pdf.split_by_anchor(document, ANCHOR)
        files = []
        for index, result in enumerate(results):
            name = result.account.get("name") or result.account_id
            found: dict[str, bytes] = {}
            for kind, filename, title in ((ATTACHMENTS, "attachments.pdf", "attached forms"),
                                          (LETTER, "letter.pdf", "filing letter")):
                pages = parts.get(f"{index}-{kind}")
                if pages is not None:
                    found[filename] = pdf.write_pdf(document, pages, f"Form 990-T {result.tax_year} {title} — {name}",
                                                    f"udfi-{kind}-{result.account_id}-{result.tax_year}")
            if "letter.pdf" not in found:
                raise RuntimeError("letter: could not find the account's letter in the batch document")
            files.append(found)
        return files


def render_account(result: AccountYear) -> dict[str, bytes]:
    return render_many([result])[0]
