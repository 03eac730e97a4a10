"""A standalone Alpaca order tool, written to be shared on the Hugging Face Hub (`python -m hub.publish`).

The app never runs it (its orders go through trading/ and a confirmed ticket); it lives with the Hub publisher
because it runs on its own Space and reads that Space's secrets, so it is on core.settings.ENVIRONMENT_READERS.

Why it looks the way it does: `Tool.push_to_hub` ships only this class's
source, so everything `forward()` needs is imported and defined inside it
(smolagents validates that), and class attributes are plain literals.

Money safety lives in code, not in the description:
- keys are read from the environment (ALPACA_API_KEY / ALPACA_SECRET_KEY, e.g.
  Space secrets) inside `forward()`, never taken as arguments, never printed;
- orders go to the PAPER account unless the caller passes `live=True` AND the
  environment of the process says ALPACA_PAPER=false AND TRADING_LIVE_ENABLED=true;
  a live request without both is refused, it never silently goes somewhere else;
- inputs are checked (symbol, side, positive quantity, a limit price for limit
  orders) before any request is made.
ALPACA_URL_OVERRIDE (optional) points the real alpaca-py client at another
Alpaca-compatible server.
"""

from __future__ import annotations

from smolagents import Tool


class AlpacaOrderTool(Tool):
    name = "alpaca_place_order"
    description = (
        "Places a stock order on Alpaca and returns a one-line confirmation (order id, status). "
        "Uses the PAPER (simulated) account unless live=True is passed and the environment explicitly "
        "enables live trading (ALPACA_PAPER=false and TRADING_LIVE_ENABLED=true). API keys come from the "
        "environment variables ALPACA_API_KEY and ALPACA_SECRET_KEY."
    )
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. 'AAPL'."},
        "side": {"type": "string", "description": "'buy' or 'sell'."},
        "qty": {"type": "number",
                "description": "Number of shares, greater than 0 (fractions allowed for market orders)."},
        "order_type": {
            "type": "string",
            "description": "'market' (default) or 'limit'.",
            "nullable": True,
        },
        "limit_price": {
            "type": "number",
            "description": "Limit price in USD; required when order_type is 'limit'.",
            "nullable": True,
        },
        "live": {
            "type": "boolean",
            "description": "True to request the live (real money) account; refused unless the environment enables it.",
            "nullable": True,
        },
    }
    output_type = "string"

    def forward(self, symbol: str, side: str, qty: float, order_type: str | None = "market",
                limit_price: float | None = None, live: bool | None = False) -> str:
        import os
        import re
        import uuid

        symbol = str(symbol or "").strip().upper()
        side = str(side or "").strip().lower()
        order_type = str(order_type or "market").strip().lower()
        if not re.fullmatch(r"[A-Z][A-Z0-9.\-]{0,9}", symbol):
            return f"Order refused: {symbol!r} is not a valid ticker symbol."
        if side not in ("buy", "sell"):
            return "Order refused: side must be 'buy' or 'sell'."
        if order_type not in ("market", "limit"):
            return "Order refused: order_type must be 'market' or 'limit'."
        try:
            qty = float(qty)
        except (TypeError, ValueError):
            return "Order refused: qty must be a number."
        if not qty > 0 or qty != qty or qty == float("inf"):
            return "Order refused: qty must be greater than 0."
        if order_type == "limit":
            try:
                limit_price = float(limit_price)
            except (TypeError, ValueError):
                return "Order refused: a limit order needs a limit_price."
            if not limit_price > 0 or limit_price == float("inf"):
                return "Order refused: limit_price must be greater than 0."

        paper = True
        if live:
            paper_off = os.environ.get("ALPACA_PAPER", "").strip().lower() in ("0", "false", "no", "off")
            live_on = os.environ.get("TRADING_LIVE_ENABLED", "").strip().lower() in ("1", "true", "yes", "on")
            if not (paper_off and live_on):
                return ("Order refused: live trading was requested but is not enabled here "
                        "(it needs ALPACA_PAPER=false and TRADING_LIVE_ENABLED=true). Nothing was sent.")
            paper = False

        api_key = os.environ.get("ALPACA_API_KEY", "").strip()
        secret_key = os.environ.get("ALPACA_SECRET_KEY", "").strip()
        if not api_key or not secret_key:
            return ("Order not sent: set ALPACA_API_KEY and ALPACA_SECRET_KEY in the environment "
                    "(for a Space: Settings > Variables and secrets).")

        from alpaca.common.exceptions import APIError
        from alpaca.trading.client import TradingClient
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

        common = {
            "symbol": symbol,
            "qty": qty,
            "side": OrderSide.BUY if side == "buy" else OrderSide.SELL,
            "time_in_force": TimeInForce.DAY,
            "client_order_id": f"smol-{uuid.uuid4().hex[:20]}",
        }
        request = (LimitOrderRequest(limit_price=limit_price, **common) if order_type == "limit"
                   else MarketOrderRequest(**common))
        client = TradingClient(api_key, secret_key, paper=paper,
                               url_override=os.environ.get("ALPACA_URL_OVERRIDE", "").strip() or None)
        account = "paper" if paper else "LIVE"
        try:
            order = client.submit_order(request)
        except APIError as exc:
            message = str(getattr(exc, "message", "") or exc)
            for secret in (api_key, secret_key):
                message = message.replace(secret, "***")
            return f"Order rejected by Alpaca ({account} account): {message[:300]}"
        except Exception as exc:
            return f"Order not sent ({account} account): could not reach Alpaca ({type(exc).__name__})."
        status = getattr(order.status, "value", order.status)
        price = f" @ {order.limit_price}" if order_type == "limit" else ""
        return (f"Submitted {account} order {order.id}: {side} {order.qty} {order.symbol} "
                f"{order_type}{price}, status {status}.")
