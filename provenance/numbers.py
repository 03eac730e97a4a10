"""Reading numbers as people and tools write them: "1,234.50", "2.5B", "$3.1 trillion", "12.3%"."""

from __future__ import annotations

import re

SCALES = {
    "k": 1e3, "K": 1e3, "thousand": 1e3,
    "M": 1e6, "mn": 1e6, "million": 1e6, "mln": 1e6,
    "B": 1e9, "bn": 1e9, "billion": 1e9,
    "T": 1e12, "tn": 1e12, "trillion": 1e12,
}
SUFFIX_PATTERN = r"(?:[kKMBT]|mn|mln|bn|tn|thousand|million|billion|trillion)\b"


def scale_of(suffix: str | None) -> float:
    if not suffix:
        return 1.0
    suffix = suffix.strip()
    return SCALES.get(suffix, SCALES.get(suffix.lower(), 1.0))


def parse_number(digits: str, suffix: str | None = None) -> tuple[float, float]:
    """The value of `digits` (commas allowed) times its suffix, and the unit of its last written digit."""
    plain = digits.replace(",", "")
    scale = scale_of(suffix)
    decimals = len(plain.split(".", 1)[1]) if "." in plain else 0
    return float(plain) * scale, (10.0 ** -decimals) * scale


# The sign a text gives a number: written ("+3.07", "-1.27%", "(−0.85)") or said ("fell 3.4%", "a 2% gain").
_UP = frozenset(["up", "rose", "risen", "rise", "rises", "rising", "gain", "gains", "gained", "gaining", "climb",
                 "climbs", "climbed", "climbing", "jump", "jumps", "jumped", "surge", "surges", "surged", "soared",
                 "rallied", "advanced", "increase", "increases", "increased", "grew", "grown", "grows", "higher",
                 "rebounded"])
_DOWN = frozenset(["down", "fell", "fall", "falls", "falling", "fallen", "drop", "drops", "dropped", "dropping",
                   "decline", "declines", "declined", "declining", "slipped", "slid", "sank", "sunk", "lost",
                   "lose", "loses", "losing", "loss", "losses", "plunged", "tumbled", "decrease", "decreases",
                   "decreased", "lower", "shed", "dipped", "dip", "retreated", "shrank", "shrunk"])
# Words allowed between the direction and the number ("down by about 3%"); not "over", "under": "fell under $200"
# is a level, not a change.
_BETWEEN = frozenset(["by", "of", "a", "an", "about", "around", "roughly", "nearly", "almost", "some",
                      "approximately", "approx", "approx.", "just", "only", "another", "~", "≈"])
_BETWEEN_PAIRS = frozenset({("close", "to"), ("more", "than"), ("less", "than")})
_UP_AFTER = frozenset(["higher", "gain", "gains", "rise", "increase", "jump", "advance", "up"])
_DOWN_AFTER = frozenset(["lower", "loss", "losses", "drop", "decline", "fall", "decrease", "dip", "down"])
_UNIT_AFTER = re.compile(
    rf"[ \t]?(?:%|percent\b|per[ \t]cent\b|percentage[ \t]points?\b|pp\b|{SUFFIX_PATTERN})")
_STRUCTURED_VALUE = re.compile(r"""['"][ \t]?:[ \t]?$""")
_WRITTEN_SIGN = re.compile(r"(?<![\w.)\]%])([+\-−])(?:US\$|[$€£¥])?$")


def said_sign(before: str, after: str) -> int | None:
    """+1 or -1 when the words right before a number ("rose", "down by") or after it ("a 2% drop") give its
    direction; None when they do not. "fell to $131.50" and "up from 120" are levels, not changes."""
    words = before[-40:].lower().split()
    if len(before) > 40 and words and not before[-41].isspace():
        words.pop(0)  # a word cut in two
    if before[-1:].isspace() or before[-1:] in ("~", "≈"):
        while words:
            word = words.pop().lstrip("([")
            if word in _UP:
                return 1
            if word in _DOWN:
                return -1
            if word in _BETWEEN:
                continue
            if words and (words[-1], word) in _BETWEEN_PAIRS:
                words.pop()
                continue
            break
    unit = _UNIT_AFTER.match(after)
    words = after[unit.end() if unit else 0:40].split(None, 2)
    if words and (after[unit.end() if unit else 0:][:1] in (" ", "\t")):
        word = words[0].lower().rstrip(".,;:!?)")
        if word in ("up", "down") and len(words) > 1 and words[1].lower() in ("to", "from"):
            return None  # "from $250 down to $240": a level
        if word in _UP_AFTER:
            return 1
        if word in _DOWN_AFTER:
            return -1
    return None


def sign_in(text: str, start: int, end: int) -> int | None:
    """The sign `text` gives the number written at text[start:end]: a sign written before it, a value of printed
    structured data ({'change_pct': 1.27}: repr and JSON write every negative number with its "-"), else words."""
    written = _WRITTEN_SIGN.search(text, max(0, start - 8), start)
    if written:
        return 1 if written.group(1) == "+" else -1
    if _STRUCTURED_VALUE.search(text, max(0, start - 8), start):
        return 1
    return said_sign(text[max(0, start - 40):start], text[end:end + 40])
