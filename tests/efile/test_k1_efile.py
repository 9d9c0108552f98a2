"""The e-file XML of a K-1 book (fixtures/k1): one IRS990TScheduleA per silo, each with its activity
code, "sequence n of N" and its own lines; Schedule A line 5 linked to its partnership statement."""

from __future__ import annotations

from lxml import etree

from udfi.efile.reader import mapped_lines, parse
from udfi.efile.returns import build_return

from conftest import ROOT, TIMESTAMP, accounts_of
from test_roundtrip import CUSTODIAN, check_round_trip

K1_BOOK = ROOT / "fixtures" / "k1"
NS = {"e": "http://www.irs.gov/efile"}


def test_round_trip_k1_book_every_year_with_k1s():
    found = accounts_of(K1_BOOK, years=(2021, 2022, 2023))
    for year, items in found.items():
        for account, details in items:
            check_round_trip(account, details, year)


def test_one_schedule_a_per_silo_with_its_statement():
    """IRA-OSEI 2022: the MLP (a QPI) on Schedule A 1 (900000), the syndication on Schedule A 2 (531110);
    item J = 2; each line 5 points at a statement naming its partnership, EIN and amount."""
    account, details = next(item for item in accounts_of(K1_BOOK, years=(2022,))[2022]
                            if item[0]["account_id"] == "IRA-OSEI")
    xml = build_return(account, 2022, CUSTODIAN, details, timestamp=TIMESTAMP)
    root = etree.fromstring(xml)
    assert root.findtext(".//e:IRS990T/e:Form990TScheduleAAttachedCnt", namespaces=NS) == "2"
    schedules = root.findall(".//e:IRS990TScheduleA", NS)
    got = [(s.findtext("e:PrincipalBusinessActivityCd", namespaces=NS), s.findtext("e:SequenceReferenceNum", namespaces=NS),
            s.findtext("e:SequenceTotalNum", namespaces=NS), s.findtext("e:TotalPrtshpSCorpIncomeAmt", namespaces=NS),
            s.findtext("e:UnrelatedBusinessTaxblIncmAmt", namespaces=NS)) for s in schedules]
    assert got == [("900000", "1", "2", "900", "180"), ("531110", "2", "2", "18420", "18420")]
    statements = {s.get("documentId"): s for s in root.findall(".//e:GeneralExplanationAttachment", NS)}
    for schedule in schedules:
        target = schedule.find("e:TotalPrtshpSCorpIncomeAmt", NS).get("referenceDocumentId")
        text = etree.tostring(statements[target], encoding="unicode")
        assert schedule.findtext("e:TotalPrtshpSCorpIncomeAmt", namespaces=NS) in text.replace(",", "")
    assert "Harbor Point Multifamily LLC" in etree.tostring(statements["PrtshpIncome-2"], encoding="unicode")
    assert "83-1187204" in etree.tostring(statements["PrtshpIncome-2"], encoding="unicode")
    lines = {line.key: line.text for line in mapped_lines(parse(xml))}
    assert lines["form_990t.part_i.1"] == "18600" and lines["form_990t.part_i.11"] == "17600"


def test_partnership_silo_nol_on_part_iv_line_5():
    """ROTH-VANCE 2022: the NAICS 53 silo's own post-2017 NOL (6,000 available) is listed by its activity
    code on Part IV line 5; the pre-2018 NOL (2,600) on line 4 and line 6."""
    account, details = next(item for item in accounts_of(K1_BOOK, years=(2022,))[2022]
                            if item[0]["account_id"] == "ROTH-VANCE")
    root = etree.fromstring(build_return(account, 2022, CUSTODIAN, details, timestamp=TIMESTAMP))
    groups = [(g.findtext("e:PrincipalBusinessActivityCd", namespaces=NS), g.findtext("e:AvlblPost2017NOLCarryoverAmt",
                                                                                        namespaces=NS))
              for g in root.findall(".//e:Post2017NOLCarryoverGrp", NS)]
    assert ("531110", "6000") in groups
    assert root.findtext(".//e:IRS990T/e:AvlblPre2018NOLCarryoverAmt", namespaces=NS) == "2600"
    assert root.findtext(".//e:IRS990T/e:NetOperatingLossDeductionAmt", namespaces=NS) == "2600"
    assert root.findtext(".//e:IRS990T/e:Form990TScheduleAAttachedCnt", namespaces=NS) == "1"
