"""The quarterly §6621(a)(2) underpayment rates used by Form 2220: complete, cited and lawful."""

from __future__ import annotations

from decimal import Decimal

import pytest

from udfi import parameters
from udfi.parameters import MissingParameterError

NAME = "underpayment_rates"
FIRST = (2020, 1)
# The last quarter whose revenue ruling had been read when the file was written. Raise it as each
# quarter's ruling is entered; the test below then requires every quarter up to it.
LAST_PUBLISHED = (2026, 2)


def quarters(first, last):
    year, quarter = first
    while (year, quarter) <= last:
        yield year, quarter
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)


def entries():
    return {key: parameters.quarterly_value(NAME, *key) for key in parameters.quarters_available(NAME)}


def test_every_quarter_from_2020_q1_has_a_rate_and_a_reference():
    known = entries()
    assert max(known) >= LAST_PUBLISHED
    for year, quarter in quarters(FIRST, max(known)):
        entry = parameters.quarterly_value(NAME, year, quarter)
        # Each quarter cites the IRS announcement: a revenue ruling, a news release or an IRS statement.
        assert any(mark in entry["reference"] for mark in ("Rev. Rul.", "IR-", "IRS statement")), (year, quarter)
        assert entry.get("verified"), (year, quarter)  # how the figure was checked


def test_keys_are_quarters_and_start_in_2020_q1():
    available = parameters.quarters_available(NAME)
    assert all(1 <= quarter <= 4 for _, quarter in available)
    assert available[0] == FIRST and len(available) == len(set(available))


def test_each_rate_is_a_whole_percent_of_at_least_three():
    # §6621(a)(2): the federal short-term rate plus 3 percentage points, where §6621(b)(3) rounds
    # the federal short-term rate to the nearest full percent, so the rate is a whole percent ≥ 3%.
    for (year, quarter), entry in entries().items():
        percent = Decimal(entry["rate"]) * 100
        assert percent == percent.to_integral_value() and 3 <= percent <= 20, (year, quarter, entry["rate"])


@pytest.mark.parametrize("year, quarter, rate", [
    (2020, 3, "0.03"),   # IR-2020-113: decrease to 3% for the quarter beginning July 1, 2020
    (2022, 4, "0.06"),   # IR-2022-150: increase to 6% for the quarter beginning Oct. 1, 2022
    (2023, 4, "0.08"),   # IR-2023-154: increase to 8% for the quarter beginning Oct. 1, 2023
    (2025, 1, "0.07"),   # IR-2024-290: decrease to 7% for the quarter beginning Jan. 1, 2025
])
def test_the_changes_announced_in_the_news_releases(year, quarter, rate):
    assert parameters.quarterly_value(NAME, year, quarter)["rate"] == rate


def test_a_quarter_without_an_entry_is_an_error():
    year, quarter = max(entries())
    after = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    with pytest.raises(MissingParameterError, match=f"{after[0]} Q{after[1]}"):
        parameters.quarterly_value(NAME, *after)
    with pytest.raises(MissingParameterError):
        parameters.quarterly_value(NAME, 2019, 4)


@pytest.mark.parametrize("name", ["large_organization_threshold", "estimated_tax_postponements"])
def test_the_other_form_2220_parameters_cover_the_same_years_with_references(name):
    assert parameters.years_available(name) == parameters.years_available("due_dates")
    for year in parameters.years_available(name):
        assert parameters.value(name, year)["reference"], (name, year)
    with pytest.raises(MissingParameterError):
        parameters.value(name, max(parameters.years_available(name)) + 1)
