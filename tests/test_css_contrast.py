"""Contrasts that axe-core cannot measure (a pseudo-element's "+"): the
free day's "+" in the room calendar reaches 3:1 against the cell (WCAG 2.1
1.4.11, non-text contrast; issue 21)."""

import re
from pathlib import Path

from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "css" / "ibasho.css"


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    r, g, b = linear
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_free_days_plus_reaches_3_to_1_on_a_white_or_weekend_cell():
    css = CSS.read_text()
    rule = re.search(r"td\.free\.future a::after \{[^}]*color: (#[0-9a-fA-F]{6})", css)
    assert rule, "the free day's + rule is gone: keep this test in step"
    for cell in ("#ffffff", "#f6f8fa"):
        assert contrast(rule.group(1), cell) >= 3.0, (rule.group(1), cell)
