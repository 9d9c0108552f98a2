"""Fixtures for the forms tests."""

from __future__ import annotations

import pytest
from forms_helpers import YEARS


@pytest.fixture(params=YEARS, ids=str)
def year(request) -> int:
    return request.param
