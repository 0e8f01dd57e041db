"""Text colours in static/css/ibasho.css have enough contrast for WCAG 2.1 AA:
4.5:1 for text, 3:1 for the borders of form controls."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parent.parent / "static/css/ibasho.css").read_text()
TEXT = 4.5
CONTROL = 3.0


def hex_rgb(colour: str) -> tuple[float, float, float]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(colour: str) -> float:
    """Relative luminance, as WCAG 2.1 defines it."""
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in hex_rgb(colour)
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def root_colours() -> dict[str, str]:
    root = re.search(r":root\s*\{([^}]*)\}", CSS).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", root))


VARS = root_colours()


def colour(value: str) -> str | None:
    """A plain colour: #hex or var(--name); None for anything else."""
    value = value.strip()
    if match := re.fullmatch(r"var\((--[\w-]+)\)", value):
        return VARS.get(match.group(1))
    if re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value):
        return value
    return None


def rules_with_text_on_a_background() -> list[tuple[str, str, str]]:
    """Every rule that sets both a text colour and a plain background."""
    found = []
    plain = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", plain):
        declared = {
            name.strip(): value
            for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)
        }
        fg = colour(declared.get("color", ""))
        bg = colour(declared.get("background", declared.get("background-color", "")))
        if fg and bg:
            found.append((" ".join(selector.split()), fg, bg))
    return found


def test_the_contrast_formula_gives_the_known_values():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#fff") == pytest.approx(1)


def test_the_stylesheet_defines_the_main_colours():
    assert {"--ink", "--muted", "--bg", "--card", "--accent", "--accent-ink"} <= set(
        VARS
    )


# The main pairs: body text, secondary text, links and buttons, the top bar,
# messages in colour; on the page background and on cards.
MAIN_PAIRS = [
    ("--ink", "--bg"),
    ("--ink", "--card"),
    ("--muted", "--bg"),
    ("--muted", "--card"),
    ("--muted", "#eaeef2"),  # table headers, grey badges
    ("--muted", "#dde3ea"),  # weekend days in the room calendar
    ("--accent", "--bg"),  # links
    ("--accent", "--card"),
    ("--accent-ink", "--accent"),  # top bar, primary buttons
    ("--err", "--card"),  # error messages, required marks
    ("--err", "#fde2e1"),  # public holidays in the room calendar
    ("--ok", "--card"),  # "first consultation" status
    ("--warn", "--card"),
    ("--warn", "--bg"),
]


@pytest.mark.parametrize(("fg", "bg"), MAIN_PAIRS)
def test_main_text_colours_reach_aa(fg, bg):
    fg_hex, bg_hex = (VARS.get(c, c) for c in (fg, bg))
    assert contrast(fg_hex, bg_hex) >= TEXT, f"{fg} on {bg}"


def test_every_rule_with_text_on_a_background_reaches_aa():
    rules = rules_with_text_on_a_background()
    assert len(rules) >= 10  # badges, buttons, the top bar, messages...
    weak = [
        f"{selector}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"
        for selector, fg, bg in rules
        if contrast(fg, bg) < TEXT
    ]
    assert weak == []


def test_form_control_borders_reach_three_to_one():
    border = re.search(r"input, select, textarea \{[^}]*border: 1px solid (#\w+)", CSS)
    assert border, "the form controls' border colour is not where it was"
    assert contrast(border.group(1), VARS["--card"]) >= CONTROL
