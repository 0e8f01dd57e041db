"""Satisfaction % of an event: responses of 4 or 5 / all responses, with one
decimal rounded half up, computed in Decimal (never float): 7/8 = 87.5,
2/3 = 66.7, 5/9 = 55.6, 1/16 = 6.3. No responses: no percentage at all,
shown as "–" (never 0%)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

NO_VALUE = "–"
ONE_DECIMAL = Decimal("0.1")


def satisfaction_percent(satisfied: int, respondents: int) -> Decimal | None:
    if not respondents:
        return None
    if not 0 <= satisfied <= respondents:
        raise ValueError("satisfied must be between 0 and the respondents")
    # Tenths of a percent, rounded half up in exact integer arithmetic:
    # floor(satisfied * 1000 / respondents + 1/2).
    tenths = (2 * satisfied * 1000 + respondents) // (2 * respondents)
    return (Decimal(tenths) / 10).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Satisfaction:
    satisfied: int
    respondents: int

    @property
    def percent(self) -> Decimal | None:
        return satisfaction_percent(self.satisfied, self.respondents)

    def __str__(self) -> str:
        percent = self.percent
        return NO_VALUE if percent is None else f"{percent}%"
