"""Finding the figures an answer states, and leaving alone the numbers that are not figures.

Figures: prices, percentages, ratios, large numbers ("2.5B", "$3.1 trillion"), counts, each with the date
written next to it and the sign it is given ("-1.2%", "fell 3.4%", "a 2% gain"). Not figures:
dates and times (kept as the date a nearby figure refers to), years in prose, step and list numbers,
heading numbers, digits inside tickers and names ("3M", "S&P 500", "10-K", "Q3", "RSI(14)"), window
lengths ("50-day"), durations ("over 30 days"), footnote marks, anything in code or links, and bare
integers below 10 ("the 3 stocks").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from provenance.dates import DATE
from provenance.numbers import SUFFIX_PATTERN, parse_number, said_sign

# Names and tickers with digits in them: never figures.
NAMES = re.compile(
    r"\bS&(?:amp;)?P\s?(?:500|400|600|100)\b|\bNasdaq[- ]?100\b|\bRussell\s?(?:1000|2000|3000)\b|\bDow\s?30\b"
    r"|\bFTSE\s?(?:100|250)\b|\bNikkei\s?225\b|\b(?:DAX|CAC)\s?40\b|\bEuro\s?Stoxx\s?50\b|\bStoxx\s?600\b"
    r"|\bFortune\s?500\b|\b3M\b|\b7-Eleven\b|\b401\(k\)|\b(?:10-K|10-Q|8-K|13F|S-1)\b|\bWeb\s?3(?:\.0)?\b"
    r"|\biPhone\s?\d+\b|\b[A-Z]{1,5}[.-]\d[A-Z0-9]*\b")
CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`|\]\([^)\s]*\)|https?://\S+|<[^>\n]*>", re.S)
LIST_MARKER = re.compile(r"^[ \t>]*(?:#{1,6}[ \t]*)?(?:[-*+][ \t]+)?\(?\d{1,3}(?:\.\d{1,2})*[.)][ \t]", re.M)
HEADING_NUMBER = re.compile(r"^[ \t]*#{1,6}[ \t]+(?:\w+[ \t]+)?\d{1,3}(?:\.\d{1,2})*\b", re.M)
NOT_FIGURES = re.compile("|".join(f"(?:{p.pattern})" for p in (NAMES, LIST_MARKER, HEADING_NUMBER)), re.M)
FIGURE = re.compile(
    r"(?P<sign>[+\-−])?(?P<cur>(?:US)?[$€£¥]|USD\s|EUR\s)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    rf"(?:[ \t]?(?P<suffix>{SUFFIX_PATTERN}))?"
    r"(?P<pct>[ \t]?(?:%|percent\b|per[ \t]cent\b|percentage[ \t]points?\b|pp\b))?"
    r"(?P<x>x\b|×)?")
# Words after which a number is a label, not a figure: "step 3", "option 2", "rank #1", "top 10".
_LABEL_WORDS = frozenset(
    w + plural for w in ("step", "stage", "phase", "part", "section", "chapter", "item", "option", "scenario",
                         "question", "point", "note", "rule", "tier", "level", "round", "version", "spec", "attempt")
    for plural in ("", "s")) | {"no.", "number", "rank", "ranked", "top", "turn", "v"}
_ARGUMENT = re.compile(r"[A-Za-z_][^\S\n]?\([^)\n]{0,12},[ \t]?$")  # the 26 of "MACD(12, 26, 9)"


def _labelled(before: str) -> bool:
    """Whether the text before a number makes it a label, a footnote or a function argument."""
    if before.endswith(("#", "[")) or (before.endswith("(") and before[-2:-1].isalpha()):
        return True
    if before.rstrip().endswith(","):
        return bool(_ARGUMENT.search(before))
    words = before.rstrip(" \t#").split()
    return bool(words) and words[-1].lower() in _LABEL_WORDS and before[len(before.rstrip(" \t#")):] != ""


_DURATION = re.compile(
    r"[ \t]?-?[ \t]?(?:trading[ \t]|calendar[ \t]|business[ \t])?(?:days?|weeks?|months?|years?|yrs?|quarters?|"
    r"sessions?|bars?|minutes?|mins?|hours?|hrs?|periods?|candles?)\b", re.I)
_APPROX = frozenset({"about", "around", "approximately", "approx", "approx.", "roughly", "nearly", "almost", "some",
                     "~", "≈", "close to", "over", "under", "more than", "less than", "c.", "ca."})


@dataclass(frozen=True)
class Figure:
    text: str  # as written in the answer, e.g. "$2.5 trillion"
    value: float  # the number it states (scaled; a percentage as written: "12.3%" -> 12.3)
    unit: float  # the unit of its last written digit, scaled ("2.5B" -> 1e8)
    kind: str  # price | percent | ratio | large | number
    start: int
    end: int
    approximate: bool = False  # "about", "~", "roughly" before it
    date: str | None = None  # a date written next to it in the same sentence
    sign: int | None = None  # +1 / -1 when written ("+3.4%", "-$2") or said ("rose 3.4%", "a 2% drop"), else None


def _mask(text: str, pattern: re.Pattern, keep: list[tuple[int, int]] | None = None) -> str:
    def blank(match: re.Match) -> str:
        written = match.group(0)
        if keep is not None:
            keep.append((match.start(), written))
        if "\n" in written:
            return "\n".join("\x00" * len(part) for part in written.split("\n"))
        return "\x00" * len(written)

    return pattern.sub(blank, text)


def _sentence_date(dates: list[tuple[int, str]], text: str, start: int, end: int, after: int, before: int
                   ) -> str | None:
    """The date written closest to a figure within its sentence (or line), at most 80 characters away, and with
    no other figure in between (written after `after`, the end of the figure before, and before `before`, the
    start of the next): in "from its 2024-06-01 low of $169.11 to $244.60" the date is the low's only."""
    at = bisect.bisect_left(dates, (start, ""))
    best = None
    for position, written in dates[max(0, at - 1):at + 1]:
        lo, hi = (position + len(written), start) if position < start else (end, position)
        if hi - lo > 80 or _SENTENCE_END.search(text, lo, hi) or position < after or position >= before:
            continue
        if best is None or hi - lo < best[0]:
            best = (hi - lo, written)
    return best[1] if best else None


_SENTENCE_END = re.compile(r"[.;!?\n](?:\s|$)")


def _kind(match: re.Match) -> str:
    if match["pct"]:
        return "percent"
    if match["cur"]:
        return "price"
    if match["x"]:
        return "ratio"
    if match["suffix"]:
        return "large"
    return "number"


def _approximate(before: str) -> bool:
    if before.endswith(("~", "≈")):
        return True
    words = before.lower().split()[-2:]
    return bool(words) and (words[-1] in _APPROX or " ".join(words) in _APPROX)


def _is_figure(masked: str, match: re.Match) -> bool:
    start, end = match.start(), match.end()
    before, after = masked[max(0, start - 24):start], masked[end:end + 24]
    last = before[-1:]
    if last and (last.isalnum() or last in "_\x00" or (last in ".-/" and before[-2:-1].isalnum())):
        return False  # part of a word, ticker, path or version: "Q3", "BRK.B2", "v1.2", "COVID-19"
    first, second = after[:1], after[1:2]
    if first and (first.isalpha() or first in "_\x00" or (first in ".-/" and second.isalnum())):
        return False  # "4th", "6mo", "10-K", "50-day", "0700.HK"
    if (first == ":" and second.isdigit()) or (before.endswith(":") and before[-2:-1].isdigit()):
        return False  # a time
    if _labelled(before):
        return False
    if match["cur"] or match["suffix"] or match["pct"] or match["x"]:
        return True
    number = match["num"]
    if _DURATION.match(after):
        return False
    if re.fullmatch(r"\d+", number):
        if int(number) < 10:
            return False  # "the 3 stocks", "2 options"
        if 1900 <= int(number) <= 2100:
            return False  # a year in prose
    return True


def extract_figures(text: str) -> list[Figure]:
    """The figures `text` states, in order of appearance."""
    dates: list[tuple[int, str]] = []
    masked = _mask(text, CODE)
    masked = _mask(masked, DATE, dates)
    masked = _mask(masked, NOT_FIGURES)
    found = []
    for match in FIGURE.finditer(masked):
        if not _is_figure(masked, match):
            continue
        value, unit = parse_number(match["num"], match["suffix"])
        value = -value if match["sign"] in ("-", "−") else value
        start, end = match.start(), match.end()
        written = text[start:end].rstrip()
        end = start + len(written)
        approximate = _approximate(text[max(0, start - 20):start])
        sign = ({"+": 1, "-": -1, "−": -1}[match["sign"]] if match["sign"]
                else said_sign(text[max(0, start - 40):start], text[end:end + 40]))
        found.append((written, value, unit, _kind(match), start, end, approximate, sign))
    figures = []
    for n, (written, value, unit, kind, start, end, approximate, sign) in enumerate(found):
        after = found[n - 1][5] if n else 0
        before = found[n + 1][4] if n + 1 < len(found) else len(text)
        figures.append(Figure(written, value, unit, kind, start, end, approximate,
                              _sentence_date(dates, text, start, end, after, before), sign))
    return figures
