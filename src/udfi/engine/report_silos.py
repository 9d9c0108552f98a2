"""The account object's K-1s and silos (docs/return-json.md): `k1s`, `schedules_a` (every attached
Schedule A with its activity code, sequence and lines) and `nol_by_silo`."""

from __future__ import annotations

from udfi.engine.k1 import TEST_WORDS, K1Interest
from udfi.engine.nol import PRE2018, LayerUse
from udfi.engine.silos import INVESTMENT, Silo, Silos
from udfi.money import money_str, percent_str


def _pct(value) -> str:
    """A percent as JSON: 4 decimals of a percent ("1.5000")."""
    return percent_str(value / 100)


def silo_name(silo: Silo) -> str:
    return "investment_activities" if silo.key == INVESTMENT else f"naics_{silo.key}"


def k1_object(item: K1Interest, silos: Silos) -> dict:
    home = next((silo for silo in silos.items if item in silo.interests), None)
    return {
        "partnership_id": item.partnership_id, "partnership_name": item.name, "partnership_ein": item.ein,
        "publicly_traded": item.publicly_traded, "ubti": money_str(item.ubti), "line_5": item.line_5,
        "gross_income": None if item.gross_income is None else money_str(item.gross_income),
        "gross_income_for_filing_test": money_str(item.gross_for_filing),
        "profits_pct": {"beginning": _pct(item.profits_beginning), "end": _pct(item.profits_end),
                        "average": _pct(item.qualification.profits_pct)},
        "capital_pct": {"beginning": _pct(item.capital_beginning), "end": _pct(item.capital_end),
                        "average": _pct(item.qualification.capital_pct)},
        "related_capital_pct": _pct(item.related_capital_pct), "control": item.control,
        "qualifying": item.qualifying, "test": item.qualification.test,
        "explanation": item.qualification.explanation, "activity_code": item.activity_code,
        "silo": None if home is None else silo_name(home),
        "schedule_a_sequence": None if home is None else home.sequence,
    }


def _layer(item: LayerUse) -> dict:
    return {"kind": item.kind, "origin_year": item.origin_year, "available": money_str(item.available),
            "used": money_str(item.used), "expired": money_str(item.expired), "remaining": money_str(item.remaining),
            "expires": item.expires_after}


def _post2017_rows(silo: Silo, tax_year: int) -> list[dict]:
    nol = silo.schedule.nol
    rows = [_layer(item) for item in nol.schedule if item.kind != PRE2018]
    if nol.generated:
        rows.append({"kind": "post2017", "origin_year": tax_year, "available": money_str(nol.generated),
                     "used": "0.00", "expired": "0.00", "remaining": money_str(nol.generated), "expires": None})
    return rows


def pre2018_rows(silos: Silos) -> list[dict]:
    """The pre-2018 NOL layers of the account, merged over the silos they were allocated to."""
    merged: dict[int | None, list[int]] = {}
    expires: dict[int | None, int | None] = {}
    for silo in silos.items:
        for item in silo.schedule.nol.schedule:
            if item.kind == PRE2018:
                totals = merged.setdefault(item.origin_year, [0, 0, 0])
                totals[0] += item.available
                totals[1] += item.used
                totals[2] += item.expired
                expires[item.origin_year] = item.expires_after
    return [{"kind": PRE2018, "origin_year": origin, "available": money_str(available), "used": money_str(used),
             "expired": money_str(expired), "remaining": money_str(available - used - expired),
             "expires": expires[origin]}
            for origin, (available, used, expired) in sorted(merged.items(), key=lambda kv: kv[0] or 0)]


def nol_by_origin(silos: Silos, tax_year: int) -> list[dict]:
    """`nol_carryover.by_origin`: the account's pre-2018 layers, then the investment silo's post-2017 ones."""
    return pre2018_rows(silos) + _post2017_rows(silos.investment, tax_year)


def nol_by_silo(silos: Silos, tax_year: int) -> list[dict]:
    """Every silo's own post-2017 NOL roll-forward (a silo with NOLs but no Schedule A this year too)."""
    rows = []
    for silo in silos.items:
        nol = silo.schedule.nol
        if not (silo.attached or nol.post2017_available or nol.generated):
            continue
        rows.append({
            "silo": silo_name(silo), "activity_code": silo.activity_code, "schedule_a_sequence": silo.sequence,
            "post2017_in": money_str(nol.post2017_available), "post2017_used": money_str(silo.schedule.line_17),
            "post2017_limit": None if nol.post2017_limit is None else money_str(nol.post2017_limit),
            "post2017_generated": money_str(nol.generated),
            "post2017_out": money_str(silo.schedule.carry_out.post2017_nol),
            "pre2018_allocated": money_str(nol.pre2018_used),
            "by_origin": _post2017_rows(silo, tax_year),
        })
    return rows


def schedules_a(silos: Silos, properties: list[dict]) -> list[dict]:
    """Every attached Schedule A, in sequence. The investment silo's entry has the Part V properties
    (the same objects as `properties` with `debt_financed` true); a partnership silo's has none."""
    attached = silos.attached
    entries = []
    for silo in attached:
        entries.append({
            "sequence": silo.sequence, "sequence_total": len(attached), "silo": silo_name(silo),
            "activity_code": silo.activity_code, "activity_description": silo.description,
            "schedule_a": silo.schedule.as_lines(),
            "properties": [item for item in properties if item["debt_financed"]] if silo.key == INVESTMENT else [],
            "partnerships": [{"partnership_id": item.partnership_id, "partnership_name": item.name,
                              "partnership_ein": item.ein, "ubti": item.line_5,
                              "test": item.qualification.test,
                              "test_words": TEST_WORDS.get(item.qualification.test, "not a qualifying interest")}
                             for item in silo.interests],
        })
    return entries


def tax_sources(result) -> list[str]:
    """In plain words, which trade or business produced the tax, and the K-1s' part of the filing test
    (for `udfi check`)."""
    silos, form = result.silos, result.form
    line_1 = silos.line_1
    lines = []
    if result.k1s:
        assumed = [item.name for item in result.k1s if item.gross_income is None]
        lines.append(f"gross unrelated income includes {result.k1_gross_income:,.2f} of K-1 gross income"
                     + (f" (UBTI counted for {', '.join(assumed)}: gross income not given)" if assumed else ""))
    for silo in silos.attached:
        names = ", ".join((["debt-financed property"] if silo.schedule.columns else [])
                          + [item.name for item in silo.interests])
        what = f"Schedule A {silo.sequence} of {silos.count} ({silo.label}{': ' + names if names else ''})"
        s = silo.schedule
        if s.line_16 < 0:
            lines.append(f"{what}: a loss of {-s.line_16:,}, kept as this trade or business's own NOL (it offsets "
                         "no other Schedule A)")
            continue
        share = f", {100 * s.line_18 / line_1:.0f}% of line 1" if line_1 and len(silos.attached) > 1 else ""
        nol = f" after its own NOL of {s.line_17:,}" if s.line_17 else ""
        lines.append(f"{what}: UBTI {s.line_18:,}{nol}{share}")
    if form.total_tax:
        lines.append(f"tax {form.total_tax:,} on UBTI {form.ubti:,} = line 1 {line_1:,} − pre-2018 NOL "
                     f"{form.part_i['6']:,} − specific deduction {form.part_i['8']:,}")
    return lines
