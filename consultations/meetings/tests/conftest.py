"""These tests read the pages' and the services' messages in English (the
source strings); the Japanese catalogue is checked by the browser tests."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
