"""The deterministic risk gate: plain arithmetic over settings, never a prompt.

`evaluate()` is a pure function of its inputs (the order, limits, the current
price, the account, the position, the asset, the clock and today's order
count), so the same inputs always give the same verdict. The desk runs it when a
ticket is proposed and again, with fresh inputs, when the person confirms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from trading.broker import Account, Asset, Clock, OrderRequest


@dataclass(frozen=True)
class RiskLimits:
    max_order_notional: float
    max_position_pct: float
    max_orders_per_day: int
    kill_switch: bool

    @classmethod
    def from_settings(cls, settings) -> RiskLimits:
        return cls(
            max_order_notional=float(settings.risk_max_order_notional),
            max_position_pct=float(settings.risk_max_position_pct),
            max_orders_per_day=int(settings.risk_max_orders_per_day),
            kill_switch=bool(settings.trading_kill_switch),
        )


@dataclass(frozen=True)
class RiskCheck:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class PriceEstimate:
    """Where an order is expected to fill, for valuing it.

    `price` is the estimate the gate values the order at; `last` the market price it was judged against (the
    quote at proposal or confirmation); `fills_at_market` is True when the order would trade at once at about the
    market price (a buy limit at or above it, a sell limit at or below it, a stop already crossed) rather than at
    its own limit; `basis` names what `price` is: "last", "limit" or "stop"."""

    price: float
    last: float
    fills_at_market: bool
    basis: str


@dataclass(frozen=True)
class RiskReport:
    checks: tuple[RiskCheck, ...]
    est_price: float  # what the order is valued at (see PriceEstimate.price)
    est_qty: float
    est_cost: float
    pct_of_equity: float
    last_price: float = 0.0  # the market price at evaluation (0.0 in reports stored before it was kept)
    fills_at_market: bool = False  # a marketable limit or a crossed stop: it trades at about last_price

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[RiskCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        if self.passed:
            return "all risk checks passed (" + ", ".join(c.name for c in self.checks) + ")"
        return "FAILED: " + "; ".join(f"{c.name}: {c.detail}" for c in self.failures)

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def price_estimate(order: OrderRequest, price: float) -> PriceEstimate:
    """Where `order` would fill given the market price `price`, valued on the side that is worse for the limits.

    - market: the market price.
    - limit: a buy at its limit (at most that; a buy limit above the market fills at once, valued at the limit);
      a sell at the higher of its limit and the market: a sell limit below the market fills at once at about the
      market price, so `/sell 10000 AAPL limit 0.01` is worth 10000 x the market price, not $100.
    - stop: at the market price it triggers at (a buy stop at the higher of stop and market, a sell stop at the
      lower: a stop already crossed fills at once at about the market price).
    - stop-limit: triggered as a stop, then valued as a limit against that trigger price.
    """
    if order.type in ("stop", "stop_limit"):
        stop = float(order.stop_price or price)
        crossed = stop <= price if order.side == "buy" else stop >= price
        trigger = max(stop, price) if order.side == "buy" else min(stop, price)
        if order.type == "stop":
            return PriceEstimate(trigger, price, crossed, "last" if crossed else "stop")
        limit = float(order.limit_price or trigger)
        estimate = _limit_estimate(order.side, limit, trigger)
        return PriceEstimate(estimate.price, price, crossed and estimate.fills_at_market, estimate.basis)
    if order.type == "limit":
        estimate = _limit_estimate(order.side, float(order.limit_price or price), price)
        return PriceEstimate(estimate.price, price, estimate.fills_at_market, estimate.basis)
    return PriceEstimate(price, price, True, "last")


def _limit_estimate(side: str, limit: float, market: float) -> PriceEstimate:
    if side == "buy":
        return PriceEstimate(limit, market, limit >= market, "limit")
    marketable = limit <= market
    return PriceEstimate(max(limit, market), market, marketable, "last" if marketable else "limit")


def estimated_price(order: OrderRequest, price: float) -> float:
    """The price the order is valued at by the gate (see `price_estimate`)."""
    return price_estimate(order, price).price


def evaluate(order: OrderRequest, *, limits: RiskLimits, price: float, account: Account, position_qty: float,
             asset: Asset, clock: Clock, orders_today: int, open_buy_qty: float = 0.0,
             open_sell_qty: float = 0.0) -> RiskReport:
    """Every check, passed or failed, in a fixed order. Never raises for bad order values.

    `open_buy_qty` / `open_sell_qty`: shares of this symbol still to fill on the account's open orders. The
    position-size check counts them as if they filled, so several resting orders, each under the limit on its
    own, cannot together build a position (long or short) past it."""
    checks: list[RiskCheck] = []

    def check(name: str, passed: bool, ok: str, failed: str) -> None:
        checks.append(RiskCheck(name, bool(passed), ok if passed else failed))

    estimate = price_estimate(order, price) if price > 0 else PriceEstimate(0.0, 0.0, False, "last")
    est_price = estimate.price
    if order.qty is not None:
        est_qty = float(order.qty)
    elif order.notional is not None and est_price > 0:
        est_qty = float(order.notional) / est_price
    else:
        est_qty = 0.0
    est_cost = float(order.notional) if order.notional is not None else est_qty * est_price
    equity = account.equity if account.equity > 0 else 0.0
    pct = (est_cost / equity * 100) if equity else float("inf")

    check("kill switch", not limits.kill_switch, "trading is enabled",
          "trading is switched off by the operator (TRADING_KILL_SWITCH)")
    check("tradable symbol", asset.tradable and not account.trading_blocked, f"{asset.symbol} is tradable",
          f"{asset.symbol} is not tradable" + (" (account blocked)" if account.trading_blocked else ""))

    amount = order.qty if order.qty is not None else order.notional
    sane = amount is not None and amount > 0 and (order.qty is None or order.notional is None)
    if sane and order.qty is not None and float(order.qty) != int(order.qty) and not asset.fractionable:
        check("sane quantity", False, "", f"{asset.symbol} is not fractionable; use a whole number of shares")
    else:
        check("sane quantity", sane, f"{est_qty:g} shares", "quantity must be a positive number")

    prices_ok = all(p is None or p > 0 for p in (order.limit_price, order.stop_price, order.take_profit,
                                                  order.stop_loss))
    if order.is_bracket and prices_ok:
        if order.take_profit is None or order.stop_loss is None:
            prices_ok = False
        elif order.side == "buy":
            prices_ok = order.stop_loss < est_price < order.take_profit
        else:
            prices_ok = order.take_profit < est_price < order.stop_loss
    check("sane prices", prices_ok and price > 0, "prices are consistent",
          "prices must be positive, and a bracket's take-profit and stop-loss must sit on either side of the entry"
          if price > 0 else "no current price")

    check("max order notional", est_cost <= limits.max_order_notional,
          f"${est_cost:,.2f} ≤ ${limits.max_order_notional:,.2f}",
          f"${est_cost:,.2f} is over the ${limits.max_order_notional:,.2f} per-order limit")

    if order.side == "buy":
        check("buying power", est_cost <= account.buying_power,
              f"${est_cost:,.2f} ≤ ${account.buying_power:,.2f} available",
              f"needs ${est_cost:,.2f} but only ${account.buying_power:,.2f} buying power is available")
        after = (position_qty + max(0.0, open_buy_qty) + est_qty) * est_price
        after_pct = (after / equity * 100) if equity else float("inf")
        check("max position size", after_pct <= limits.max_position_pct,
              f"position would be {after_pct:.1f}% of equity (limit {limits.max_position_pct:g}%)",
              f"position would be {after_pct:.1f}% of equity, over the {limits.max_position_pct:g}% limit")
    else:
        covered = est_qty <= position_qty + 1e-9
        may_short = asset.shortable and account.shorting_enabled
        why_not = ("the account does not allow short selling" if asset.shortable
                   else f"{asset.symbol} cannot be sold short here")
        check("shares available", covered or may_short,
              f"selling {est_qty:g} of {position_qty:g} held" if covered else f"short sale of {asset.symbol} allowed",
              f"selling {est_qty:g} {asset.symbol} but only {position_qty:g} held, and {why_not}")
        # a sell that opens or grows a short is a position like a buy's: the same limit, on its absolute size
        after = (position_qty - max(0.0, open_sell_qty) - est_qty) * est_price
        after_pct = (abs(after) / equity * 100) if equity else float("inf")
        if after >= -1e-9:
            check("max position size", True, "the sale reduces the position", "")
        else:
            check("max position size", after_pct <= limits.max_position_pct,
                  f"short position would be {after_pct:.1f}% of equity (limit {limits.max_position_pct:g}%)",
                  f"short position would be {after_pct:.1f}% of equity, over the {limits.max_position_pct:g}% limit")

    if order.type == "market":
        when = clock.next_open.strftime("%a %Y-%m-%d %H:%M %Z") if clock.next_open else "the next session"
        check("market hours", clock.is_open, "the market is open",
              f"the market is closed (opens {when}); market orders only run while it is open — "
              "use a limit order, or wait")
    check("orders per day", orders_today < limits.max_orders_per_day,
          f"{orders_today} of {limits.max_orders_per_day} orders used today",
          f"the daily limit of {limits.max_orders_per_day} orders for this session is used up")

    return RiskReport(checks=tuple(checks), est_price=est_price, est_qty=est_qty, est_cost=est_cost,
                      pct_of_equity=pct, last_price=estimate.last, fills_at_market=estimate.fills_at_market)
