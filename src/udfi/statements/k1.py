"""The K-1 and silo part of statements.pdf (templates/statements/sections/k1.html.j2): the statement Schedule A
Part I line 5 asks for (each partnership: name, EIN, UBTI), the test that put each interest where it
is, every trade or business (silo) with its own NOL, the pre-2018 NOL allocation and the K-1s' part of
the filing test. Figures come from the account object, so they tie to the forms exactly."""

from __future__ import annotations

from decimal import Decimal

from udfi.engine.compute import AccountYear
from udfi.engine.k1 import TEST_WORDS
from udfi.money import whole_dollars

K1_CITES = {
    "line_5": "Schedule A (Form 990-T) Part I line 5 (attach statement); Schedule K-1 (Form 1065) box 20 code V; "
              "IRC §512(c)(1)",
    "qpi": "Treas. Reg. §1.512(a)-6(c)(1)(i), (c)(2)-(5): de minimis test (≤ 2% of profits and of capital), "
           "participation test (≤ 20% of capital, no control or influence), each on the average of the beginning "
           "and end of the partnership's year",
    "silos": "IRC §512(a)(6); Treas. Reg. §1.512(a)-6(b) (two-digit NAICS codes), (g) (total UBTI), (h)(1) (each "
             "silo's own NOL), (h)(2) (pre-2018 NOLs)",
    "filing": "Instructions for Form 990-T, Who Must File: $1,000 or more of gross income from unrelated trades or "
              "businesses",
}


def _dollars(text) -> int:
    return whole_dollars(Decimal(text))


def k1_context(result: AccountYear, data: dict) -> dict | None:
    """What the K-1 include shows; None for an account without K-1s and with one Schedule A."""
    silos = result.silos
    if silos is None or (not result.k1s and silos.count == 1 and len(silos.items) == 1):
        return None
    by_id = {item["partnership_id"]: item for item in data["k1s"]}
    schedules = []
    for entry in data["schedules_a"]:
        rows = []
        for row in entry["partnerships"]:
            k1 = by_id[row["partnership_id"]]
            rows.append({"name": row["partnership_name"], "ein": row["partnership_ein"], "ubti": row["ubti"],
                         "test": TEST_WORDS.get(row["test"], "not a qualifying interest"),
                         "profits": k1["profits_pct"]["average"], "capital": k1["capital_pct"]["average"],
                         "control": k1["control"], "publicly_traded": k1["publicly_traded"],
                         "code": k1["activity_code"] or ""})
        lines = entry["schedule_a"]
        schedules.append({"sequence": entry["sequence"], "total": entry["sequence_total"],
                          "code": entry["activity_code"], "description": entry["activity_description"],
                          "rows": rows, "line_5": lines["part_i"]["5"], "line_16": lines["part_ii"]["16"],
                          "line_17": lines["part_ii"]["17"], "line_18": lines["part_ii"]["18"],
                          "counted": max(lines["part_ii"]["18"], 0)})
    nols = [{"code": item["activity_code"], "sequence": item["schedule_a_sequence"],
             "silo": item["silo"].replace("investment_activities", "investment activities").replace("naics_", "NAICS "),
             "available": _dollars(item["post2017_in"]), "used": _dollars(item["post2017_used"]),
             "generated": _dollars(item["post2017_generated"]), "out": _dollars(item["post2017_out"]),
             "pre2018": _dollars(item["pre2018_allocated"])} for item in data["nol_by_silo"]]
    gross = [{"name": item["partnership_name"], "amount": Decimal(item["gross_income_for_filing_test"]),
              "assumed": item["gross_income"] is None} for item in data["k1s"]]
    return {
        "schedules": schedules, "line_1": data["form_990t"]["part_i"]["1"], "nols": nols,
        "pre2018_used": data["form_990t"]["part_i"]["6"], "several": len(silos.items) > 1,
        "gross": gross, "gross_total": Decimal(data["k1_gross_income"]), "cite": K1_CITES,
    }
