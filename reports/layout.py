"""What the report page and the PDF show, in the order of the municipal
summaries in shared/seeds (Tsuchiura's order; Ueda's has the same sections):

title【municipality】, budget lines, 地域の実情と課題, 目的・目標 (with the
target-versus-actual list and chart), 事業の特徴, 連携団体, 事業の効果 (with
the headline figures), 今後の課題, 事業の概要 (with the tables: consultations
by channel, LINE consultations (SNS) by month, support, salon, shelter, peer
sessions with their dates, training events with satisfaction), then the
statutory tables (reports.statutory).

The page and the PDF render the same template body from this context.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import chart, presentation, statutory, wareki


def _narrative(data: dict, key: str, title: str) -> dict:
    return {"key": key, "title": title, "text": data["programme"]["narrative"][key]}


def report_context(data: dict) -> dict:
    indicators = [
        dict(
            i,
            line=presentation.indicator_line(i),
            achieved_label=presentation.achieved_text(i),
        )
        for i in data["indicators"]
    ]
    training_dates = wareki.date_lines(
        (e["date"], None) for e in data["training"]["events_detail"]
    )
    return {
        "report": data,
        "has_programme": data["programme"]["id"] is not None,
        "period_label": (
            f"{wareki.wareki(data['period']['start'])}～"
            f"{wareki.wareki(data['period']['end'])}"
        ),
        "indicators": indicators,
        "chart": chart.target_actual_svg(data["indicators"]),
        "sections": {
            key: _narrative(data, key, title)
            for key, title in (
                ("local_situation", _("Local situation and issues")),
                ("purpose", _("Purpose and goals")),
                ("features", _("Features of the programme")),
                ("effects", _("Effects of the programme")),
                ("future_issues", _("Issues for the future")),
                ("overview", _("Outline of the programme")),
            )
        },
        "sns_headers": presentation.sns_headers(),
        "sns_rows": [
            (label, values[:3], values[3], values[4:])
            for label, *values in presentation.sns_rows(data["sns"])
        ],
        "statutory_tables": statutory.shown_grids(data),
        "peer_date_lines": data["peer_support"]["dates_wareki"].splitlines(),
        "training_date_lines": training_dates,
        "events": [
            dict(
                e,
                date_wareki=wareki.wareki(e["date"]),
                satisfaction=presentation.percent(e["satisfaction_pct"]),
            )
            for e in data["training"]["events_detail"]
        ],
    }
