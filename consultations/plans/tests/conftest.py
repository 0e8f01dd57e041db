"""The services' refusals are matched in English (the source strings); the
pages are read in Japanese, as the staff see them."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_outside_requests():
    with translation.override("en"):
        yield
