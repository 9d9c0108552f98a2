"""The reports' .xlsx twins written directly: the same bytes openpyxl writes for a one-sheet workbook
of text and numbers (header row frozen), without importing openpyxl or building a cell object per value.

Importing openpyxl and filling its worksheet cost ~1 s of the run's serial tail for a 1,000-account
book; the workbook is a zip of a few fixed parts and one sheet of inline strings, so it is written here
as text. Anything this writer does not produce exactly as openpyxl would (a character a worksheet
cannot hold, a very long text, a non-finite number, a header openpyxl would store as a formula) returns
None: the caller then uses openpyxl itself, which also raises for what a worksheet cannot hold.
`tests/test_report_xlsx.py` compares the bytes with openpyxl's.
"""

from __future__ import annotations

import importlib.util
import math
import re
from functools import lru_cache
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAX_TEXT = 32767  # openpyxl truncates longer text; left to it
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE) and what the XML writer refuses.
_UNUSUAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# openpyxl's XML writer (lxml, no declared encoding) writes ASCII: anything else as a character reference.
_ESCAPES = re.compile("[&<>\r\x80-\U0010ffff]")
_ESCAPED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")  # openpyxl's cell types 'e'

SHEET_HEAD = ('<worksheet xmlns="' + MAIN_NS + '"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
              '<pageSetUpPr/></sheetPr><dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">'
              '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
              '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
              '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><sheetData>')
SHEET_TAIL = ('</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
              '</worksheet>')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
    '.styles+xml"/>'
    '<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-'
    'properties+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
    '.sheet.main+xml"/></Types>')
ROOT_RELS = (
    f'<Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Type="{REL}/officeDocument" Target="xl/workbook.xml" Id="rId1"/>'
    '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml" Id="rId2"/>'
    f'<Relationship Type="{REL}/extended-properties" Target="docProps/app.xml" Id="rId3"/></Relationships>')
CORE = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
        '<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">openpyxl</dc:creator>'
        '<dcterms:created xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>')
WORKBOOK = (
    f'<workbook xmlns="{MAIN_NS}"><workbookPr/><workbookProtection/><bookViews><workbookView visibility="visible" '
    'minimized="0" showHorizontalScroll="1" showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" '
    'activeTab="0" autoFilterDateGrouping="1"/></bookViews><sheets>'
    f'<sheet xmlns:r="{REL}" name="{{title}}" sheetId="1" state="visible" r:id="rId1"/></sheets><definedNames/>'
    '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
WORKBOOK_RELS = (
    f'<Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Type="{REL}/worksheet" Target="/xl/worksheets/sheet1.xml" Id="rId1"/>'
    f'<Relationship Type="{REL}/styles" Target="styles.xml" Id="rId2"/>'
    f'<Relationship Type="{REL}/theme" Target="theme/theme1.xml" Id="rId3"/></Relationships>')
INDEXED_COLORS = (
    "00000000 00FFFFFF 00FF0000 0000FF00 000000FF 00FFFF00 00FF00FF 0000FFFF 00000000 00FFFFFF 00FF0000 0000FF00 "
    "000000FF 00FFFF00 00FF00FF 0000FFFF 00800000 00008000 00000080 00808000 00800080 00008080 00C0C0C0 00808080 "
    "009999FF 00993366 00FFFFCC 00CCFFFF 00660066 00FF8080 000066CC 00CCCCFF 00000080 00FF00FF 00FFFF00 0000FFFF "
    "00800080 00800000 00008080 000000FF 0000CCFF 00CCFFFF 00CCFFCC 00FFFF99 0099CCFF 00FF99CC 00CC99FF 00FFCC99 "
    "003366FF 0033CCCC 0099CC00 00FFCC00 00FF9900 00FF6600 00666699 00969696 00003366 00339966 00003300 00333300 "
    "00993300 00993366 00333399 00333333").split()
STYLES = (
    f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="0"/><fonts count="1"><font><name val="Calibri"/>'
    '<family val="2"/><color theme="1"/><sz val="11"/><scheme val="minor"/></font></fonts><fills count="2"><fill>'
    '<patternFill/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
    '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'pivotButton="0" quotePrefix="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0" hidden="0"/></cellStyles><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/><colors><indexedColors>'
    + "".join(f'<rgbColor rgb="{rgb}"/>' for rgb in INDEXED_COLORS) + '</indexedColors></colors></styleSheet>')
SHEET_MODE = 0o100600 << 16  # openpyxl adds the sheet from a temporary file (mode 0600); the other parts as text
PART_MODE = 0o600 << 16


def _openpyxl_file(name: str) -> Path | None:
    spec = importlib.util.find_spec("openpyxl")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def _constant(name: str, variable: str) -> str | None:
    """A string constant of one of openpyxl's own modules (modules without imports), read without
    importing the package: the Office theme it writes and its version (in docProps/app.xml)."""
    path = _openpyxl_file(name)
    if path is None:
        return None
    spec = importlib.util.spec_from_file_location(f"_udfi_openpyxl_{variable}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    value = getattr(module, variable, None)
    return value if isinstance(value, str) else None


@lru_cache(maxsize=1)
def _fixed_parts() -> dict[str, str] | None:
    theme, version = _constant("writer/theme.py", "theme_xml"), _constant("_constants.py", "__version__")
    if theme is None or version is None:
        return None
    app = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           f'<Application>Microsoft Excel Compatible / Openpyxl {version}</Application>'
           f'<AppVersion>{".".join(version.split(".")[:-1])}</AppVersion></Properties>')
    return {"app": app, "theme": theme}


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _escaped(found: re.Match) -> str:
    character = found.group()
    return _ESCAPED.get(character) or f"&#{ord(character)};"


def _text_cell(reference: str, text: str) -> str:
    if not text:
        return f'<c r="{reference}" t="inlineStr"></c>'
    escaped = _ESCAPES.sub(_escaped, text) if _ESCAPES.search(text) else text
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{reference}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _usable_text(text: str) -> bool:
    return len(text) <= MAX_TEXT and _UNUSUAL.search(text) is None


def sheet_workbook(header: list[str], rows: list[list], title: str) -> dict[str, str] | None:
    """The workbook's parts (name -> XML, in openpyxl's order) for a header and rows of str/int/float
    values; None when openpyxl would write something else for them (see the module's docstring)."""
    fixed = _fixed_parts()
    if fixed is None or any(text.startswith("=") or text in ERROR_CODES or not _usable_text(text) for text in header):
        return None
    if not title or not title.isascii() or re.search(r"[\\*?:/\[\]&<>\"]", title):
        return None
    letters = [_column_letter(index + 1) for index in range(max(len(header), max(map(len, rows), default=0)))]
    out = []
    for number, values in enumerate([header, *rows], start=1):
        cells = []
        for letter, value in zip(letters, values):
            reference = f"{letter}{number}"
            if type(value) is str:
                if not _usable_text(value):
                    return None
                cells.append(_text_cell(reference, value))
            elif type(value) in (int, float) and math.isfinite(value):
                cells.append(f'<c r="{reference}" t="n"><v>{"%.16g" % value}</v></c>')
            else:
                return None
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    width = max(len(header), max(map(len, rows), default=0))
    sheet = SHEET_HEAD.format(last=f"{letters[width - 1] if width else 'A'}{len(rows) + 1}") + "".join(out) + SHEET_TAIL
    return {"docProps/app.xml": fixed["app"], "docProps/core.xml": CORE, "xl/theme/theme1.xml": fixed["theme"],
            "xl/worksheets/sheet1.xml": sheet, "xl/styles.xml": STYLES, "_rels/.rels": ROOT_RELS,
            "xl/workbook.xml": WORKBOOK.format(title=title), "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
            "[Content_Types].xml": CONTENT_TYPES}
