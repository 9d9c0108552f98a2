"""The Form 990-T MeF return of one account: Return → ReturnHeader + ReturnData (IRS990T, one
IRS990TScheduleA per silo, IRS1041ScheduleD / IRS4797 / IRS2220 when the account object has them, and
the Part V statements), from the account object, the year's element map and the custodian settings.

Pure: the account object is read, never changed; the same inputs (and ReturnTs) give the same bytes.
"""

from __future__ import annotations

from lxml import etree

from udfi.efile.custodian import Custodian
from udfi.efile.data import RETURN_990T, element_map, reference, return_version
from udfi.efile.details import Details
from udfi.efile.header import now_timestamp, return_header
from udfi.efile.mapping import fill
from udfi.efile.partnerships import partnership_statement
from udfi.efile.statements import STATEMENT_FOR_LINE, statements_for_silo
from udfi.efile.tree import NAMESPACE, Q, Document, _attribute_text, serialize, text_document
from udfi.efile.view import account_view, silo_views

# documentId of each form document; Schedules A and statements are numbered by silo
FORM_IDS = {"IRS990T": "IRS990T", "IRS1041ScheduleD": "IRS1041ScheduleD", "IRS4797": "IRS4797", "IRS2220": "IRS2220"}
# ReturnData order: the return, its schedules, other forms by number, then statements [M: XSD order]
FORMS_AFTER_SCHEDULES = ("IRS1041ScheduleD", "IRS2220", "IRS4797")


def schedule_a_id(sequence: int) -> str:
    return f"IRS990TScheduleA-{sequence}"


def build_documents(account: dict, tax_year: int, details: Details | None = None) -> tuple[dict, list[Document]]:
    """The account view and the ReturnData documents, in order."""
    maps = element_map(tax_year)
    ref = reference(tax_year)
    silos = silo_views(account)
    view = account_view(account, silos)
    if details is not None and details.name_control:
        from udfi.efile.name_control import name_control  # noqa: PLC0415

        view["efile"]["name_control"] = name_control(view.get("name") or "", view["efile"]["ein"],
                                                     details.name_control)
    present = {name: doc_map for name, doc_map in maps.documents.items()
               if doc_map.present and account.get(doc_map.present)}  # a non-null object, or true
    attach_ids = {name: FORM_IDS[name] for name in present}

    main = Document("IRS990T", ref, {"documentId": FORM_IDS["IRS990T"]})
    written = fill(main, maps.documents["IRS990T"], view)
    _link(main, written, attach_ids)

    schedules, statements = [], []
    for silo in silos:
        sequence = silo["#sequence"]
        schedule = Document("IRS990TScheduleA", ref, {"documentId": schedule_a_id(sequence)})
        written = fill(schedule, maps.documents["IRS990TScheduleA"], silo)
        lines_written: dict[str, set[int]] = {}
        for item in written:
            line = item.entry.key.rsplit(".", 1)[-1]
            if item.entry.key.startswith("properties[].part_v.") and line in STATEMENT_FOR_LINE:
                lines_written.setdefault(line, set()).add(item.indices[0])
        silo_statements = statements_for_silo(silo, details, ref, sequence, lines_written)
        line_5 = partnership_statement(silo, ref, sequence)
        if line_5 is not None:
            silo_statements.append(line_5)
        silo_ids = {**attach_ids, **{doc.name: doc.attributes["documentId"] for doc in silo_statements}}
        _link(schedule, written, silo_ids)
        schedules.append(schedule)
        statements.extend(silo_statements)

    forms = []
    for name in FORMS_AFTER_SCHEDULES:
        if name in present:
            document = Document(name, ref, {"documentId": FORM_IDS[name]})
            fill(document, present[name], view)
            forms.append(document)
    statements.sort(key=lambda doc: (doc.name, doc.attributes["documentId"]))
    return view, [main, *schedules, *forms, *statements]


def _link(document: Document, written, attach_ids: dict[str, str]) -> None:
    for item in written:
        target = attach_ids.get(item.entry.attach) if item.entry.attach else None
        if target:
            document.attribute(item.steps, "referenceDocumentId", target)


def build_return(account: dict, tax_year: int, custodian: Custodian | None = None, details: Details | None = None,
                 timestamp: str | None = None) -> bytes:
    """990-T.xml for one account object (return.json). Raises EfileValueError for a value the XML
    cannot carry, naming the field; EfileDataError for a year without maps."""
    custodian = custodian or Custodian()
    version = return_version(RETURN_990T, tax_year, custodian.return_versions)
    view, documents = build_documents(account, tax_year, details)
    ref = reference(tax_year)
    header = return_header(view, tax_year, RETURN_990T, custodian, timestamp or custodian.return_timestamp
                           or now_timestamp(), ref)
    text = _text_return(version.version, header, documents)
    return text if text is not None else _lxml_return(version.version, header, documents)


def _text_return(version: str, header: Document, documents: list[Document]) -> bytes | None:
    """The return's bytes written as text (a third of the XML's cost was building and indenting an lxml
    tree): the same bytes as `_lxml_return` (tests/efile/test_text_writer.py), or None for a value holding a
    character only lxml should judge."""
    body: list[str] = []
    header.write_text(body, "  ")
    if documents:
        body.append(f'  <ReturnData documentCnt="{len(documents)}">')
        for document in documents:
            document.write_text(body, "    ")
        body.append("  </ReturnData>")
    else:
        body.append('  <ReturnData documentCnt="0"/>')
    return text_document(f'<Return xmlns="{NAMESPACE}" returnVersion="{_attribute_text(version)}">', "</Return>",
                         body)


def _lxml_return(version: str, header: Document, documents: list[Document]) -> bytes:
    root = etree.Element(Q + "Return", nsmap={None: Q[1:-1]})
    root.set("returnVersion", version)
    root.append(header.element())
    data = etree.SubElement(root, Q + "ReturnData")
    data.set("documentCnt", str(len(documents)))
    for document in documents:
        data.append(document.element())
    return serialize(root)
