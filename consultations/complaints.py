"""主訴 (main complaint) and その他の問題 (other problems): the list of problems
of the women's consultation statistics (福祉行政報告例), as master data.

Each entry has a stable ``code`` (what statistics and the JSON report carry;
never renamed once used) and a Japanese label that admins may edit in the
Django admin. Migration 0022 seeds the list below and carries the old
topics (consultations.Topic, removed there) over with ``LEGACY_TOPICS``.

A consultation has exactly one main complaint (a column that cannot be
empty) and any number of other problems. A consultation recorded before
主訴 existed, with no topic, gets ``UNKNOWN`` (不明): the statistics count
every consultation once, so one with nothing recorded is counted as not
known rather than given a complaint nobody wrote down. 不明 is inactive
(not offered when recording a new consultation).
"""

from __future__ import annotations

UNKNOWN = "unknown"
OTHER = "other"

# (code, label) in the order of the statistics tables.
SEED = [
    ("spouse_violence", "夫等からの暴力"),
    ("family_violence", "子・親・親族からの暴力"),
    ("partner_violence", "交際相手等からの暴力"),
    ("sexual_violence", "性暴力"),
    ("stalking", "ストーカー被害"),
    ("divorce", "離婚問題"),
    ("family_problems", "子・親・親族の問題"),
    ("housing", "住居問題"),
    ("economic", "経済関係"),
    ("medical", "医療関係"),
    ("mental", "精神的問題"),
    ("relationships", "人間関係"),
    ("pregnancy", "妊娠・出産"),
    (OTHER, "その他"),
    (UNKNOWN, "不明"),
]
INACTIVE = {UNKNOWN}

# The old topics (migration 0003) and the complaint each one becomes. A
# consultation's first topic (in the old list's order) becomes its main
# complaint, the others its other problems.
LEGACY_TOPICS = {
    "DV": "spouse_violence",
    "生活困窮": "economic",
    "就労": "economic",
    "子育て": "family_problems",
    "住まい": "housing",
    "心身の健康": "medical",
    "孤立・孤独": "relationships",
    "その他": OTHER,
}
LEGACY_ORDER = list(LEGACY_TOPICS)


def split_names(text: str) -> list[str]:
    """「夫等からの暴力、経済関係」 -> its names, in order, blanks dropped
    (、 , ， ; and ／ all separate)."""
    for sep in (",", "，", ";", "／", "/"):
        text = text.replace(sep, "、")
    return [n.strip() for n in text.split("、") if n.strip()]


def main_and_others(codes: list[str]) -> tuple[str | None, list[str]]:
    """The first code as the main complaint, the rest (without it and without
    repeats, in order) as other problems."""
    if not codes:
        return None, []
    main = codes[0]
    others = []
    for code in codes[1:]:
        if code != main and code not in others:
            others.append(code)
    return main, others


# DEMO DATA (seed_demo, the bench generator): how often each complaint is the
# main one, roughly as in the statistics of a women's consultation desk
# (violence from a husband first, then economic, mental and family problems).
DEMO_WEIGHTS = {
    "spouse_violence": 22,
    "family_violence": 6,
    "partner_violence": 6,
    "sexual_violence": 3,
    "stalking": 2,
    "divorce": 8,
    "family_problems": 9,
    "housing": 7,
    "economic": 12,
    "medical": 4,
    "mental": 9,
    "relationships": 6,
    "pregnancy": 2,
    OTHER: 4,
}


class DemoComplaints:
    """Main complaints and other problems for generated consultations: a
    woman keeps her main complaint from one consultation to the next (four
    times in five), so that per person and per consultation counts differ as
    they do in life; an anonymous contact draws one afresh."""

    def __init__(self, rng):
        self.rng = rng
        self.codes = list(DEMO_WEIGHTS)
        self.weights = list(DEMO_WEIGHTS.values())
        self.by_client: dict[object, str] = {}

    def draw(self) -> str:
        return self.rng.choices(self.codes, self.weights)[0]

    def for_consultation(self, client_key=None) -> tuple[str, list[str]]:
        if client_key is None:
            main = self.draw()
        else:
            main = self.by_client.get(client_key)
            if main is None or self.rng.random() < 0.2:
                main = self.draw()
                self.by_client.setdefault(client_key, main)
        others = []
        for _ in range(self.rng.choice([0, 0, 0, 1, 1, 2])):
            code = self.draw()
            if code != main and code not in others:
                others.append(code)
        return main, others
