"""The level an urgency assessment suggests: a pure function of the answers.

The rules, first match wins (unknown counts as the worse answer: an abuser
of whom we do not know whether he knows where she is may know):

* **high** when any of: a plan of suicide; severe violence and the abuser
  knows where she is (or it is not known); children at risk; no place to
  stay tonight; health needing urgent care;
* **medium** when any of: severe violence with the abuser not knowing where
  she is; some violence; thoughts of suicide; housing unsure; no money for
  the next days; health needing care;
* **low** otherwise (money short alone is low: it is work for the plan, not
  an emergency).
"""

from __future__ import annotations

from collections.abc import Mapping

HIGH, MEDIUM, LOW = "high", "medium", "low"


def suggest_urgency(answers: Mapping[str, str]) -> str:
    """``answers``: the values of UrgencyAssessment.ANSWERS (violence,
    abuser_knows, children, suicide, housing, money, health)."""
    violence = answers["violence"]
    abuser_may_know = answers["abuser_knows"] in ("yes", "unknown")
    if (
        answers["suicide"] == "plan"
        or (violence == "severe" and abuser_may_know)
        or answers["children"] == "yes"
        or answers["housing"] == "none_tonight"
        or answers["health"] == "urgent"
    ):
        return HIGH
    if (
        violence in ("some", "severe")
        or answers["suicide"] == "thoughts"
        or answers["housing"] == "unsure"
        or answers["money"] == "none"
        or answers["health"] == "needs_care"
    ):
        return MEDIUM
    return LOW
