"""The target-against-actual bar chart, drawn on the server as SVG so that the
page and the PDF show the same picture (no JavaScript, no image files).

Each indicator gets a row with two bars, the target (grey) and the actual
(green when achieved, rose when not), scaled to the larger of the two for
that indicator (the units differ from row to row). A masked count ("<5")
or a missing actual is written, not drawn.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import presentation

WIDTH = 680
LABEL_WIDTH = 250
BAR_LEFT = LABEL_WIDTH + 40
BAR_SPACE = WIDTH - BAR_LEFT - 90
ROW_HEIGHT = 44
BAR_HEIGHT = 13
TOP = 34
TARGET_FILL = "#9aa4ae"
ACHIEVED_FILL = "#2f8f4e"
MISSED_FILL = "#b5476f"


def _wrap(text: str, width: int = 17) -> list[str]:
    """Japanese labels wrapped by characters (two lines at most)."""
    lines = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1] + "…"]
    return lines


def _numeric(value) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def target_actual_svg(indicators: list[dict]) -> SafeString:
    if not indicators:
        return mark_safe("")  # noqa: S308 - empty
    height = TOP + ROW_HEIGHT * len(indicators) + 8
    title = _("Targets and actual figures")
    target_label = _("Target")
    achieved_label = _("Actual (achieved)")
    missed_label = _("Actual (not achieved)")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="target-chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" '
        f'font-family="IPAexGothic, \'Noto Sans CJK JP\', sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        # legend
        f'<rect x="{BAR_LEFT}" y="6" width="12" height="12" fill="{TARGET_FILL}"/>',
        f'<text x="{BAR_LEFT + 16}" y="16">{escape(target_label)}</text>',
        f'<rect x="{BAR_LEFT + 70}" y="6" width="12" height="12" '
        f'fill="{ACHIEVED_FILL}"/>',
        f'<text x="{BAR_LEFT + 86}" y="16">{escape(achieved_label)}</text>',
        f'<rect x="{BAR_LEFT + 200}" y="6" width="12" height="12" '
        f'fill="{MISSED_FILL}"/>',
        f'<text x="{BAR_LEFT + 216}" y="16">{escape(missed_label)}</text>',
    ]
    for row, indicator in enumerate(indicators):
        y = TOP + row * ROW_HEIGHT
        unit = indicator["unit"]
        target = _numeric(indicator["target"])
        actual = _numeric(indicator["actual"])
        scale = max(target or 0, actual or 0) or 1
        for line_no, line in enumerate(_wrap(indicator["label"])):
            parts.append(
                f'<text x="0" y="{y + 13 + line_no * 16}">{escape(line)}</text>'
            )
        parts.append(
            f'<line x1="{BAR_LEFT}" y1="{y - 2}" x2="{BAR_LEFT}" '
            f'y2="{y + 2 * BAR_HEIGHT + 6}" stroke="#57606a" stroke-width="1"/>'
        )
        bars = (
            (_("Target"), target, indicator["target"], TARGET_FILL, y),
            (
                _("Actual"),
                actual,
                indicator["actual"],
                ACHIEVED_FILL if indicator["achieved"] else MISSED_FILL,
                y + BAR_HEIGHT + 4,
            ),
        )
        for name, value, shown, fill, bar_y in bars:
            width = 0 if value is None else round(BAR_SPACE * value / scale, 1)
            parts.append(
                f'<text x="{BAR_LEFT - 6}" y="{bar_y + 12}" text-anchor="end" '
                f'font-size="10" fill="#57606a">{escape(name)}</text>'
            )
            if width:
                parts.append(
                    f'<rect x="{BAR_LEFT}" y="{bar_y}" width="{width}" '
                    f'height="{BAR_HEIGHT}" fill="{fill}"/>'
                )
            parts.append(
                f'<text x="{BAR_LEFT + width + 5}" y="{bar_y + 12}">'
                f"{escape(presentation.with_unit(shown, unit))}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
