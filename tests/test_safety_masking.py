"""mask_ssn skips texts without a 3-2-4 digit run before running its look-arounds: it masks exactly
what the full pattern masks (hypothesis over digits, separators, amounts and Unicode digits)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.safety import SSN_PATTERN, _mask, mask_ssn

TEXT = st.text(alphabet=st.sampled_from("0123456789-. $,aZ٣"), max_size=24)


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_the_quick_check_masks_exactly_what_the_pattern_masks(text):
    assert mask_ssn(text) == SSN_PATTERN.sub(_mask, text)


def test_the_shapes_of_the_docstring():
    # 3-2-4 with "-", " " or ".", or a bare 9-digit run; not inside a longer number or an amount
    assert mask_ssn("SSN 123-45-6789") == "SSN ***-**-6789"
    assert mask_ssn("id 123 45 6789.") == "id ***-**-6789."
    assert mask_ssn("bare 123456789") == "bare ***-**-6789"
    assert mask_ssn("amount $123456789 or 123456789.50 or 1234567890") == \
        "amount $123456789 or 123456789.50 or 1234567890"
