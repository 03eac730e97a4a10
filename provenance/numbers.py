"""Reading numbers as people and tools write them: "1,234.50", "2.5B", "$3.1 trillion", "12.3%"."""

from __future__ import annotations

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
