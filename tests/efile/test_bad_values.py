"""A value the XML cannot carry is refused with the field it came from — never a partial file."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from udfi.efile.returns import build_return
from udfi.efile.statements import allocate
from udfi.efile.values import EfileValueError
from udfi.efile.view import books_in_care_of, property_address, us_address

from decimal import Decimal


def _chen(sample_accounts):
    return next(item for item in sample_accounts[2022] if item[0]["account_id"] == "IRA-CHEN")


@pytest.mark.parametrize("change, field, words", [
    ({"name": "Pinecrest Trust Company FBO " + "Margaret " * 20 + "Chen IRA"}, "accounts.csv name", "too long"),
    ({"name": "Pinecrest Trust Company FBO Margaret Chen IRA @ 50%"}, "accounts.csv name", "unsupported character"),
    ({"ein": ""}, "accounts.csv ein", "missing"),
    ({"ein": "46-281739"}, "accounts.csv ein", "9 digits"),
    ({"address": {"street": "", "city": "Columbus", "state": "OH", "zip": "43215"}}, "accounts.csv", "missing street"),
    ({"address": {"street": "1 Main St", "city": "Columbus", "state": "Ohio", "zip": "43215"}}, "accounts.csv state",
     "too long"),
    ({"address": {"street": "1 Main St", "city": "Columbus", "state": "OH", "zip": "4321"}}, "accounts.csv zip",
     "ZIP"),
    ({"phone": "555-0142"}, "accounts.csv phone", "10-digit"),
])
def test_account_values_the_xml_cannot_carry(sample_accounts, change, field, words):
    account, details = _chen(sample_accounts)
    with pytest.raises(EfileValueError) as caught:
        build_return({**account, **change}, 2022, details=details, timestamp="2024-03-01T09:00:00-05:00")
    assert caught.value.field.startswith(field), caught.value
    assert words in str(caught.value)


def test_an_ssn_shaped_ein_is_never_echoed(sample_accounts):
    account, details = _chen(sample_accounts)
    with pytest.raises(EfileValueError) as caught:
        build_return({**account, "ein": "123-45-6789"}, 2022, details=details, timestamp="2024-03-01T09:00:00-05:00")
    assert "6789" not in str(caught.value)


def test_property_description_must_be_a_us_address(sample_accounts):
    account, details = _chen(sample_accounts)
    properties = [dict(p) for p in account["properties"]]
    properties[1]["description"] = "the warehouse on the corner"
    with pytest.raises(EfileValueError) as caught:
        build_return({**account, "properties": properties}, 2022, details=details,
                     timestamp="2024-03-01T09:00:00-05:00")
    assert caught.value.field == "properties.csv description (property P-COMMERCE)"


def test_the_input_account_object_is_not_changed(sample_accounts):
    import copy

    account, details = _chen(sample_accounts)
    before = copy.deepcopy(account)
    build_return(account, 2022, details=details, timestamp="2024-03-01T09:00:00-05:00")
    assert account == before


def test_address_and_name_normalization():
    # periods, commas and '#' are left out of MeF address lines; a long street uses line 2
    assert property_address("Parcel 14-0082, County Road 9, Marysville, OH 43040", "d") == {
        "line1": "Parcel 14-0082 County Road 9", "line2": "", "city": "Marysville", "state": "OH", "zip": "43040"}
    address = us_address("1200 Lakeview Drive Northeast, Building C, Suite #400", "Columbus", "oh", "43215-1234", "a")
    assert (address["line1"], address["line2"], address["state"], address["zip"]) == (
        "1200 Lakeview Drive Northeast", "Building C Suite 400", "OH", "432151234")
    assert books_in_care_of("Daniel R. Okafor, Trustee") == {"person": "Daniel R Okafor", "business": ""}
    assert books_in_care_of("Pinecrest Trust Company") == {"person": "", "business": "Pinecrest Trust Company"}


@given(st.lists(st.decimals(min_value=-10**7, max_value=10**7, places=2), min_size=1, max_size=8))
def test_allocated_rows_add_up_to_the_rounded_line(amounts):
    # the statement rows are whole dollars that add up to the Part V line (the rounded total)
    total = int(sum(amounts, Decimal(0)).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))
    rows = allocate(amounts, total)
    assert sum(rows) == total
    assert all(abs(row - amount) < 1 + len(amounts) for row, amount in zip(rows, amounts))
