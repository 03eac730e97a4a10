"""Fixed-fractional position sizing: hand-computed cases, caps, and refusals."""

from __future__ import annotations

import pytest

from core.errors import UserError
from trading.risk import RiskLimits
from trading.sizing import SizingError, position_size

WIDE = RiskLimits(max_order_notional=1e9, max_position_pct=100.0, max_orders_per_day=10, kill_switch=False)


def test_stop_price_case_by_hand():
    # budget 1% of 50,000 = 500; risk per share 100 - 95 = 5; 500 / 5 = 100 shares
    s = position_size("AAPL", entry=100, equity=50_000, buying_power=50_000, risk_pct=1, stop=95, limits=WIDE)
    assert (s.budget, s.risk_per_share, s.uncapped_shares, s.shares, s.binding_cap) == (500, 5, 100, 100, "")
    assert s.cost == 10_000 and s.actual_risk == 500 and s.actual_risk_pct == 1
    assert "Risk budget: 1% × equity $50,000.00 = $500.00" in s.summary
    assert "Shares for the budget: $500.00 / 5.00 = 100.00 → 100" in s.summary


def test_atr_stop_case_by_hand_rounds_down():
    # stop = 250 - 2 × 4.2 = 241.6; per share 8.4; budget 2% × 30,000 = 600; 600 / 8.4 = 71.43 -> 71
    s = position_size("MSFT", entry=250, equity=30_000, buying_power=30_000, risk_pct=2, atr=4.2, atr_k=2,
                      limits=WIDE)
    assert s.stop == pytest.approx(241.6) and s.shares == 71 and s.actual_risk == pytest.approx(71 * 8.4)
    assert s.steps[0] == "Stop: entry 250.00 − 2 × ATR(14) 4.20 = 241.60"


def test_caps_from_the_risk_gate_and_buying_power_apply():
    limits = RiskLimits(max_order_notional=5_000, max_position_pct=20.0, max_orders_per_day=10, kill_switch=False)
    # budget 1,000 / 1 per share = 1,000 shares; per-order cap 5,000 / 50 = 100 shares
    s = position_size("X", entry=50, equity=100_000, buying_power=100_000, risk_pct=1, stop=49, limits=limits)
    assert s.uncapped_shares == 1000 and s.shares == 100 and s.binding_cap == "the per-order limit $5,000.00"
    # position cap: 20% of 10,000 = 2,000 -> 40 shares, minus 30 held = 10
    twenty = RiskLimits(max_order_notional=1e9, max_position_pct=20.0, max_orders_per_day=10, kill_switch=False)
    s = position_size("X", entry=50, equity=10_000, buying_power=10_000, risk_pct=5, stop=45, limits=twenty,
                      position_qty=30)
    assert s.shares == 10 and s.binding_cap == "the position limit 20% of equity"
    # buying power: 1,200 / 50 = 24 shares
    s = position_size("X", entry=50, equity=10_000, buying_power=1_200, risk_pct=5, stop=45, limits=WIDE)
    assert s.shares == 24 and s.binding_cap == "buying power $1,200.00"
    assert s.summary.splitlines()[0].endswith("capped by buying power $1,200.00.")


@pytest.mark.parametrize("stop", [100, 101.5])
def test_a_stop_at_or_above_the_entry_of_a_long_is_refused(stop):
    with pytest.raises(SizingError, match="for a long position the stop must be below the entry"):
        position_size("AAPL", entry=100, equity=50_000, buying_power=50_000, risk_pct=1, stop=stop, limits=WIDE)


@pytest.mark.parametrize("kwargs, message", [
    ({"risk_pct": 0, "stop": 95}, "must be above 0"),
    ({"risk_pct": 1}, "Give either a stop price or an ATR multiple"),
    ({"risk_pct": 1, "stop": 95, "atr_k": 2, "atr": 3}, "Give either a stop price or an ATR multiple"),
    ({"risk_pct": 1, "atr_k": 2, "atr": None}, "No ATR is available"),
    ({"risk_pct": 1, "atr_k": 60, "atr": 2}, "is not a price"),
])
def test_bad_requests_are_refused_clearly(kwargs, message):
    with pytest.raises(SizingError, match=message):
        position_size("AAPL", entry=100, equity=50_000, buying_power=50_000, limits=WIDE, **kwargs)


# --- through the tool and /size, on the paper desk with recorded Yahoo quotes and bars -------------------------

from chat.commands import CommandContext, dispatch  # noqa: E402
from chat.session import Session  # noqa: E402
from core.settings import load_settings  # noqa: E402
from market.client import MarketData  # noqa: E402
from standins.yahoo import YahooReplay  # noqa: E402
from tests.harness import runtime_for  # noqa: E402
from tools.analysis import PositionSizeTool  # noqa: E402


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    import yfinance as yf

    folder = tmp_path_factory.mktemp("sizing")
    yf.set_tz_cache_location(str(folder / "tz"))
    with YahooReplay() as server:
        settings = load_settings({"MARKET_SOURCES": "yahoo", "MARKET_BAR_CACHE": "false",
                                  "MARKET_YAHOO_PER_MINUTE": "0",
                              "YAHOO_BASE_URL": server.url, "PAPER_LEDGER_PATH": str(folder / "ledger.sqlite3")},
                                 dotenv_path=None)
        yield CommandContext(session=Session(id="s"),
                             runtime=runtime_for(settings, MarketData.from_settings(settings)))


@pytest.mark.filterwarnings("ignore::Warning")
def test_tool_sizes_from_the_paper_account_and_the_recorded_quote(ctx):
    tool = PositionSizeTool(data_client=ctx.runtime.market, desk=ctx.desk)
    result = tool(symbol="AAPL", risk_pct=1, stop=240)
    # entry 244.60 (recorded quote); budget 1% × 100,000 = 1,000; 1,000 / 4.60 = 217 shares;
    # per-order limit 25,000 / 244.60 = 102 shares binds
    assert result["entry"] == 244.6 and result["shares"] == 102 and result["binding_cap"].startswith("the per-order")
    assert result["actual_risk"] == pytest.approx(102 * 4.6) and result["as_of"] == "2025-02-14 21:00 UTC"
    assert result["propose_order_args"] == {"symbol": "AAPL", "side": "buy", "qty": 102, "stop_loss": 240.0,
                                            "take_profit": 253.8}  # 244.60 + 2 × 4.60
    ticket = ctx.desk.propose(**result["propose_order_args"])
    assert ticket.order.stop_loss == 240.0 and ticket.order.qty == 102
    assert {c.name for c in ticket.risk.checks if not c.passed} <= {"market hours"}  # sizes and prices pass the gate
    atr = tool(symbol="AAPL", risk_pct=0.5, atr_multiple=2)
    assert atr["atr"] > 0 and atr["stop"] == pytest.approx(244.6 - 2 * atr["atr"], abs=1e-4)
    with pytest.raises(UserError, match="^A stop at 250.00 is at or above"):  # smolagents shows the model this
        tool(symbol="AAPL", risk_pct=1, stop=250)


@pytest.mark.filterwarnings("ignore::Warning")
def test_slash_size(ctx):
    [item] = dispatch("/size AAPL 1% stop 240", ctx)
    assert item.kind == "text" and "AAPL: 102 shares at 244.60 with a stop at 240.00" in item.content
    assert "Risk budget: 1% × equity $100,000.00 = $1,000.00" in item.content
    [item] = dispatch("/size AAPL 1%", ctx)
    assert "2 × ATR(14)" in item.content
    [error] = dispatch("/size AAPL 1% stop 260", ctx)
    assert error.kind == "error" and "stop must be below the entry" in error.content
    [error] = dispatch("/size AAPL", ctx)
    assert error.kind == "error" and "Usage: `/size SYMBOL RISK% [stop PRICE | atr K]`" in error.content


def test_the_trader_gets_the_issue_17_tools(ctx):
    from agents.toolsets import trader_toolset
    from chat.service import trader_kit

    names = {tool.name for tool in trader_toolset(trader_kit(ctx.runtime, ctx.session))}
    assert {"forecast_price", "news_reaction", "position_size"} <= names
