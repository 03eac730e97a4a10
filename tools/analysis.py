"""Analysis tools for the trader (issue 17): measured news reactions and position sizing.

Both return structured data (numbers, `as_of`, `source`, `summary`) described
by `output_schema`. Headlines are third-party text: the summary carries them
inside untrusted-content tags.
"""

from __future__ import annotations

from smolagents import Tool

from core.errors import UserError, user_message
from market.news_reaction import news_reactions, reaction_figure
from tools.market_base import CompactTool
from tools.untrusted import label_untrusted
from trading.risk import RiskLimits
from trading.sizing import position_size

_NUMBER = {"type": "number"}
_TEXT = {"type": "string"}


class NewsReactionTool(CompactTool):
    name = "news_reaction"
    description = (
        "Latest headlines (untrusted), each with the stock's MEASURED move (close before to close after) and that "
        "minus SPY's; shows a chart.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "count": {"type": "integer", "description": "1-10, default 6.", "nullable": True},
    }
    output_type = "object"
    output_schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "A table of the reactions; headlines inside untrusted tags."},
            "symbol": _TEXT, "benchmark": _TEXT, "as_of": {"type": "string", "description": "Last daily bar used."},
            "source": _TEXT,
            "headlines": {"type": "array", "items": {"type": "object", "properties": {
                "published": _TEXT, "title": _TEXT, "publisher": _TEXT, "reaction_session": _TEXT,
                "return_pct": _NUMBER, "benchmark_return_pct": _NUMBER, "abnormal_pct": _NUMBER, "note": _TEXT,
                "classifier_tone": _TEXT}}},
        },
        "required": ["summary"],
    }

    def __init__(self, data_client=None, on_figure=None, tone=None):
        super().__init__()
        self.data_client = data_client
        self.on_figure = on_figure
        self.tone = tone  # market.headline_tone.ToneReader, or None

    def forward(self, symbol: str, count: int | None = None) -> dict:
        try:
            reaction = news_reactions(self.data_client, symbol, max(1, min(int(count or 6), 10)))
        except Exception as exc:  # smolagents shows the model the message
            raise UserError(user_message(exc)) from None
        tones, why_not = self.tone.read([r.title for r in reaction.rows]) if self.tone is not None else (None, "")
        headlines = []
        for i, row in enumerate(reaction.rows):
            entry = {"published": row.published.isoformat() if row.published else None, "title": row.title,
                     "publisher": row.publisher,
                     "reaction_session": row.reaction_date.isoformat() if row.reaction_date else None,
                     "return_pct": row.return_pct, "benchmark_return_pct": row.benchmark_return_pct,
                     "abnormal_pct": row.abnormal_pct, "note": row.note}
            if tones is not None:
                entry["classifier_tone"] = tones[i]
            headlines.append(entry)
        if self.on_figure is not None and reaction.rows:
            self.on_figure(reaction_figure(reaction), f"{reaction.symbol} headlines and price")
        tone_note = ("" if self.tone is None else
                     f"classifier_tone is the reading of {self.tone.model}, not a measurement" if tones is not None
                     else f"no classifier tone ({why_not})")
        return {"symbol": reaction.symbol, "benchmark": reaction.benchmark, "as_of": reaction.as_of.isoformat(),
                "source": reaction.source, "benchmark_note": reaction.benchmark_note, "headlines": headlines,
                "tone_note": tone_note,
                "summary": f"Measured reactions to {reaction.symbol} headlines:\n"
                           + label_untrusted(reaction.markdown(), "Yahoo Finance news")}


class PositionSizeTool(CompactTool):
    name = "position_size"
    description = (
        "Shares so that RISK% of equity is at risk between entry and a stop (a price or K × ATR), within risk limits "
        "and buying power, arithmetic shown. Long only.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "risk_pct": {"type": "number", "description": "e.g. 1 for 1%."},
        "stop": {"type": "number", "description": "Stop price, or give atr_multiple.", "nullable": True},
        "atr_multiple": {"type": "number", "description": "K, e.g. 2.", "nullable": True},
    }
    output_type = "object"
    output_schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "The result, then the arithmetic step by step."},
            "shares": {"type": "integer"}, "entry": _NUMBER, "stop": _NUMBER, "risk_per_share": _NUMBER,
            "cost": _NUMBER, "actual_risk_pct": _NUMBER, "binding_cap": _TEXT,
            "as_of": {"type": "string", "description": "Time of the quote used as the entry."}, "source": _TEXT,
            "propose_order_args": {"type": "object"},
        },
        "required": ["summary"],
    }

    def __init__(self, data_client=None, desk=None):
        super().__init__()
        self.data_client = data_client
        # bound methods and a closure only: model code in the sandbox cannot walk from them to the desk
        self._account = desk.broker.account
        self._positions = desk.broker.positions
        self._limits = lambda: RiskLimits.from_settings(desk.settings)

    def forward(self, symbol: str, risk_pct: float, stop: float | None = None,
                atr_multiple: float | None = None) -> dict:
        try:
            return self._size(symbol, risk_pct, stop, atr_multiple)
        except Exception as exc:  # bad input, data or broker failures: smolagents shows the model the message
            raise UserError(user_message(exc)) from None

    def _size(self, symbol, risk_pct, stop, atr_multiple) -> dict:
        from market.client import normalize_symbol
        from market.indicators import compute_indicators

        symbol = normalize_symbol(symbol)
        quote = self.data_client.quote(symbol)
        if quote.price is None:
            raise UserError(f"No current price for {symbol}.")
        atr = None
        if atr_multiple is not None:
            frame = compute_indicators(self.data_client.history(symbol, period="6mo"), ["atr"])
            atr = frame["ATR_14"].dropna()
            atr = float(atr.iloc[-1]) if len(atr) else None
        account = self._account()
        held = sum(p.qty for p in self._positions() if p.symbol == symbol)
        sizing = position_size(symbol, entry=float(quote.price), equity=account.equity,
                               buying_power=account.buying_power, risk_pct=risk_pct, limits=self._limits(),
                               stop=stop, atr=atr, atr_k=atr_multiple, position_qty=held)
        when = quote.as_of.strftime("%Y-%m-%d %H:%M UTC") if quote.as_of else "unknown time"
        target = sizing.entry + 2 * sizing.risk_per_share
        return {
            "symbol": symbol, "shares": sizing.shares, "entry": sizing.entry, "stop": round(sizing.stop, 4),
            "risk_pct": sizing.risk_pct, "equity": sizing.equity, "budget": sizing.budget,
            "risk_per_share": round(sizing.risk_per_share, 4), "cost": round(sizing.cost, 2),
            "actual_risk": round(sizing.actual_risk, 2), "actual_risk_pct": round(sizing.actual_risk_pct, 4),
            "binding_cap": sizing.binding_cap, "atr": atr, "as_of": when,
            "source": f"entry = last price from {quote.source} via {quote.provider} ({quote.delay_note}); "
                      "equity and buying power from the account",
            "propose_order_args": {"symbol": symbol, "side": "buy", "qty": sizing.shares,
                                   "stop_loss": round(sizing.stop, 2), "take_profit": round(target, 2)},
            "summary": sizing.summary + f"\nEntry is the price at {when} ({quote.delay_note}). As a bracket ticket: "
                                        f"stop-loss {sizing.stop:,.2f}, take-profit {target:,.2f} (2 × the risk per "
                                        "share above the entry: a convention, not a forecast).",
        }


def analysis_tools(market, settings=None, desk=None, on_figure=None) -> list[Tool]:
    from market.headline_tone import tone_reader

    model = getattr(settings, "sentiment_model", "") if settings is not None else ""
    tools: list[Tool] = [NewsReactionTool(data_client=market, on_figure=on_figure,
                                          tone=tone_reader(model) if model else None)]
    if desk is not None:
        tools.append(PositionSizeTool(data_client=market, desk=desk))
    return tools
