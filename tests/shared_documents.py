"""The sample book's and the six-property book's computed years and rendered documents, built once per
test session (per xdist worker) and shared by the modules that read them: test_statements,
test_statements_layout and test_attachments each rendered the same years' statements and attachments
of the same books for themselves. Users read them only: results come as tuples, each account's
attachments as a read-only mapping, PDFs as bytes."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample"
# The modules that read these documents are one xdist unit (conftest.UNITS), so each is built once.
GROUP = "shared_documents"


class SharedDocuments:
    """`results(book, year)` (compute_book with keep_history=True), `statements(book, year)` (statements.pdf
    per account, one render_many batch) and `attachments(book, year)` ({"attachments.pdf"?, "letter.pdf"}
    per account, one batch), for book "sample" (fixtures/sample) or "six" (attachment_books'
    six_property_book) — each computed on first use. (Imports are local: the conftest imports this module
    in every pytest process, the xdist controller included, which never renders.)"""

    def __init__(self, folder: Path):
        self._folder = folder
        self._books: dict[str, object] = {}
        self._cache: dict[tuple, tuple] = {}

    def path(self, book: str) -> Path:
        if book == "sample":
            return SAMPLE
        if book == "six":
            from attachment_books import six_property_book

            target = self._folder / "six"
            return target if target.exists() else six_property_book(target)
        raise KeyError(book)

    def _once(self, key: tuple, build):
        if key not in self._cache:
            self._cache[key] = tuple(build())
        return self._cache[key]

    def _book(self, book: str):
        from udfi.validate import validate_book

        if book not in self._books:
            report = validate_book(self.path(book))
            assert report.book is not None, report.problems[:3]
            self._books[book] = report.book
        return self._books[book]

    def results(self, book: str, year: int) -> tuple:
        from udfi.engine.compute import compute_book

        return self._once(("results", book, year), lambda: compute_book(self._book(book), year, keep_history=True))

    def statements(self, book: str, year: int) -> tuple[bytes, ...]:
        from udfi.statements.render import render_many as render_statements

        return self._once(("statements", book, year), lambda: render_statements(list(self.results(book, year))))

    def attachments(self, book: str, year: int) -> tuple:
        from udfi.attachments.render import render_many as render_attachments

        return self._once(("attachments", book, year), lambda: [
            MappingProxyType(files) for files in render_attachments(list(self.results(book, year)))])


# make test's xdist units (tests/conftest.py's scheduler): one module each, the readers of these
# documents one together.
UNITS = {"tests/test_statements.py": GROUP, "tests/test_statements_layout.py": GROUP,
         "tests/test_attachments.py": GROUP}
# Units that start first: long ones with few tests, which --dist loadscope (largest test count first)
# would leave to the end of the run, where one of them ran alone on one worker.
FIRST = (GROUP, "tests/test_cluster.py", "tests/test_hostile_kill.py", "tests/test_invariants.py")


def unit_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return UNITS.get(module, module)
