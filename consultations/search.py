"""Search normalisation: half-width and full-width kana and digits, upper and
lower case, hiragana and katakana all compare equal."""

import unicodedata

_KATA_TO_HIRA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def normalise(text: str) -> str:
    """NFKC (ｶﾅ→カナ, ０１２→012), then katakana→hiragana and casefold; spaces
    and hyphens dropped so that phone numbers match however they are typed."""
    folded = (
        unicodedata.normalize("NFKC", text or "").translate(_KATA_TO_HIRA).casefold()
    )
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-‐−–")
