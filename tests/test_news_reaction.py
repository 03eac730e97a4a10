"""Measured reactions to headlines on recorded Yahoo bars (offline replay), /news, and the optional tone classifier."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.commands import CommandContext, dispatch
from chat.session import Session
from core.errors import UserError
from core.settings import load_settings
from market.client import MarketData
from market.headline_tone import tone_reader
from market.news_reaction import measure_reactions, news_reactions, reaction_figure
from standins.yahoo import YahooReplay
from tests.harness import runtime_for
from tools.analysis import NewsReactionTool, analysis_tools

pytestmark = pytest.mark.filterwarnings("ignore::Warning")
UTC = dt.UTC
# adjusted closes as recorded in tests/fixtures/yahoo/chart/chart-{AAPL,AMZN}-1d-2020-01-01-to-2021-01-04.json
AAPL = {"2020-03-13": 68.63787841796875, "2020-03-16": 59.80781936645508, "2020-03-17": 62.43758010864258,
        "2020-03-18": 60.90910720825195, "2020-07-02": 90.15140533447266, "2020-07-06": 92.56298065185547}
AMZN = {"2020-03-13": 1785.0, "2020-03-16": 1689.1500244140625, "2020-03-17": 1807.8399658203125,
        "2020-03-18": 1830.0, "2020-07-02": 2890.300048828125, "2020-07-06": 3057.0400390625}


def _pct(closes, start, end):
    return (closes[end] / closes[start] - 1) * 100


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        yield MarketData(base_url=server.url, timeout_s=3.0)


def _headline(title, when):
    return {"title": title, "publisher": "Wire", "time": when, "link": "https://example.com/" + title.split()[0]}


HEADLINES = [
    _headline("Saturday story", dt.datetime(2020, 3, 14, 15, 0, tzinfo=UTC)),  # weekend -> Monday 16th
    _headline("Morning story", dt.datetime(2020, 3, 17, 14, 0, tzinfo=UTC)),  # 10:00 New York, in session -> 17th
    _headline("Evening story", dt.datetime(2020, 3, 17, 21, 30, tzinfo=UTC)),  # 17:30 New York, after close -> 18th
    _headline("Holiday story", dt.datetime(2020, 7, 3, 15, 0, tzinfo=UTC)),  # Independence Day observed -> 6 July
    _headline("Undated story", None),
]


def test_abnormal_returns_match_the_hand_computed_figures(market):
    reaction = measure_reactions("AAPL", HEADLINES, market.history("AAPL", period="1y"),
                                 market.history("AMZN", period="1y"), benchmark="AMZN")
    weekend, morning, evening, holiday, undated = reaction.rows
    expected = [(weekend, "2020-03-13", "2020-03-16"), (morning, "2020-03-16", "2020-03-17"),
                (evening, "2020-03-17", "2020-03-18"), (holiday, "2020-07-02", "2020-07-06")]
    for row, before, after in expected:
        assert (str(row.close_before_date), str(row.reaction_date)) == (before, after), row.title
        assert row.return_pct == pytest.approx(_pct(AAPL, before, after), abs=1e-6)
        assert row.benchmark_return_pct == pytest.approx(_pct(AMZN, before, after), abs=1e-6)
        assert row.abnormal_pct == pytest.approx(_pct(AAPL, before, after) - _pct(AMZN, before, after), abs=1e-6)
        assert row.note == ""
    assert weekend.return_pct == pytest.approx(-12.8649, abs=1e-3)
    assert weekend.abnormal_pct == pytest.approx(-7.4950, abs=1e-3)
    assert undated.reaction_date is None and undated.note == "publication time unknown"
    table = reaction.markdown()
    assert "| 2020-03-14 15:00 | 2020-03-16 | -12.86% | -5.37% | -7.49% | Saturday story |" in table
    figure = reaction_figure(reaction)
    assert list(figure.data[1].x) == ["2020-03-16", "2020-03-17", "2020-03-18", "2020-07-06"]


def test_missing_spy_is_said_plainly_and_recent_headlines_are_not_yet_measurable(market):
    reaction = news_reactions(market, "AAPL", 4)  # the replay has no SPY recording; news is from 2025
    assert reaction.benchmark == "SPY"
    assert reaction.benchmark_note.startswith("SPY data is missing, so abnormal returns are not computed: ")
    assert all(r.abnormal_pct is None and r.note == "no close after publication yet" for r in reaction.rows)
    assert "SPY data is missing" in reaction.markdown()


def test_tool_returns_structured_rows_with_headlines_marked_untrusted(market):
    shown = []
    tool = NewsReactionTool(data_client=market, on_figure=lambda figure, title: shown.append(title))
    result = tool(symbol="AMZN", count=3)
    assert result["symbol"] == "AMZN" and result["as_of"] == "2020-12-31" and result["benchmark"] == "SPY"
    assert len(result["headlines"]) == 3 and "classifier_tone" not in result["headlines"][0]
    assert "<untrusted_web_content" in result["summary"] and "SPY data is missing" in result["benchmark_note"]
    assert shown == ["AMZN headlines and price"]
    with pytest.raises(UserError, match="not a ticker symbol"):  # smolagents shows the model this message
        tool(symbol="$$$")


def test_tone_classifier_is_off_without_the_setting_and_says_why_without_transformers(market):
    assert load_settings({}, dotenv_path=None).sentiment_model == ""
    assert tone_reader("").classify is None and tone_reader("").reason == "no SENTIMENT_MODEL configured"
    [tool] = analysis_tools(market, load_settings({}, dotenv_path=None))[:1]
    assert tool.tone is None
    import importlib.util

    if importlib.util.find_spec("transformers") is None:
        reader = tone_reader("ProsusAI/finbert")
        assert reader.classify is None and "transformers is not installed" in reader.reason
        configured = load_settings({"SENTIMENT_MODEL": "ProsusAI/finbert"}, dotenv_path=None)
        tool = analysis_tools(market, configured)[0]
        result = tool(symbol="AAPL", count=2)
        assert "classifier_tone" not in result["headlines"][0]
        assert result["tone_note"] == ("no classifier tone (SENTIMENT_MODEL=ProsusAI/finbert is set but "
                                       "transformers is not installed)")


def test_slash_news_keeps_the_list_and_adds_the_measured_reaction(market):
    settings = load_settings({"YAHOO_BASE_URL": market.base_url}, dotenv_path=None)
    ctx = CommandContext(session=Session(id="s"), runtime=runtime_for(settings, market))
    listing, measured, figure = dispatch("/news AAPL", ctx)
    assert listing.content.count("\n- ") == 4 and "](https://finance.yahoo.com/" in listing.content
    assert measured.content.startswith("**Measured price reaction** (AAPL vs SPY)")
    assert "SPY data is missing" in measured.content and "Tone" not in measured.content
    assert figure.kind == "chart"
    [error] = dispatch("/news", ctx)
    assert error.kind == "error" and "Give one ticker" in error.content


def test_a_failing_classifier_never_breaks_the_news():
    from market.headline_tone import ToneReader

    def broken(titles):
        raise OSError("cannot reach the Hub to load the weights")

    labels, why = ToneReader("some/model", broken, "").read(["a headline"])
    assert labels is None and why.startswith("the classifier some/model failed (OSError: cannot reach the Hub")
