"""Interactive plotly charts: candlesticks + volume + overlays + RSI/MACD panels, and normalized performance.

The one chart pipeline of the app, its tools and their Hub copies:
`price_chart` / `performance_chart` build the figures (indicators computed on
the full history first, then the bars downsampled so the figure's JSON stays
small); `price_chart_for` / `performance_chart_for` fetch through the client
and return (figure, title, detail) for the chart tools.
"""

from __future__ import annotations

import plotly.graph_objects as go

from core.chart_style import DOWN, NEUTRAL, UP, styled
from market.client import origin, split_symbols
from market.downsample import MAX_CHART_BARS, downsample_ohlcv
from market.indicators import compute_indicators

CHART_INDICATORS = ("sma20", "sma50", "sma200", "ema20", "ema50", "bollinger", "rsi", "macd")


def price_figure(frame, title: str):
    """Candlestick + volume, with overlays/panels for the indicator columns `frame` already has.

    Overlays: SMA_*, EMA_*, BB_* on the price panel. Panels: RSI_* (with 30/70
    lines) and MACD (line, signal, histogram) under the volume panel.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    intraday = len(frame) > 1 and (frame.index[1] - frame.index[0]).total_seconds() < 86400 * 0.9
    index = frame.index.tz_localize(None) if getattr(frame.index, "tz", None) is not None else frame.index
    x = index.strftime("%Y-%m-%d %H:%M" if intraday else "%Y-%m-%d").tolist()
    rsi_columns = [c for c in frame.columns if c.startswith("RSI_")]
    has_macd = "MACD" in frame.columns
    panels = ["price", "volume"] + (["rsi"] if rsi_columns else []) + (["macd"] if has_macd else [])
    heights = {"price": 0.55, "volume": 0.15, "rsi": 0.15, "macd": 0.15}
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.02,
                        row_heights=[heights[p] for p in panels])
    row = {p: i + 1 for i, p in enumerate(panels)}

    def values(column):
        return frame[column].round(4).to_numpy()

    fig.add_trace(go.Candlestick(x=x, open=values("Open"), high=values("High"), low=values("Low"),
                                 close=values("Close"), name="Price", showlegend=False), row=1, col=1)
    up = (frame["Close"] >= frame["Open"]).to_numpy()
    fig.add_trace(go.Bar(x=x, y=frame["Volume"].fillna(0).round(0).to_numpy(), name="Volume", showlegend=False,
                         marker_color=[UP if u else DOWN for u in up]), row=row["volume"], col=1)
    for column in frame.columns:
        if column.startswith(("SMA_", "EMA_")):
            label = f"{column.split('_')[0]} {column.split('_')[1]}"
            fig.add_trace(go.Scatter(x=x, y=values(column), mode="lines", name=label, line={"width": 1.2}),
                          row=1, col=1)
    if "BB_upper" in frame.columns:
        for column, label in (("BB_upper", "Bollinger upper"), ("BB_lower", "Bollinger lower")):
            fig.add_trace(go.Scatter(x=x, y=values(column), mode="lines", name=label,
                                     line={"width": 1, "dash": "dot", "color": "#7e57c2"}), row=1, col=1)
    for column in rsi_columns:
        fig.add_trace(go.Scatter(x=x, y=values(column), mode="lines", name=f"RSI {column.split('_')[1]}",
                                 line={"width": 1.2, "color": "#ff9800"}), row=row["rsi"], col=1)
        for level in (30, 70):
            fig.add_hline(y=level, line={"width": 1, "dash": "dash", "color": NEUTRAL}, row=row["rsi"], col=1)
        fig.update_yaxes(range=[0, 100], title_text="RSI", row=row["rsi"], col=1)
    if has_macd:
        fig.add_trace(go.Bar(x=x, y=values("MACD_hist"), name="MACD hist", marker_color="#90a4ae"),
                      row=row["macd"], col=1)
        fig.add_trace(go.Scatter(x=x, y=values("MACD"), mode="lines", name="MACD", line={"width": 1.2}),
                      row=row["macd"], col=1)
        fig.add_trace(go.Scatter(x=x, y=values("MACD_signal"), mode="lines", name="Signal", line={"width": 1.2}),
                      row=row["macd"], col=1)
        fig.update_yaxes(title_text="MACD", row=row["macd"], col=1)
    if not intraday and len(index) > 10 and not (index.dayofweek >= 5).any():
        fig.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])  # no empty weekends for exchange-traded symbols
    fig.update_yaxes(title_text="Price", row=1, col=1)
    fig.update_yaxes(title_text="Volume", row=row["volume"], col=1)
    return styled(fig, title={"text": title}, height=300 + 130 * (len(panels) - 1), hovermode="x unified",
                  xaxis_rangeslider_visible=False)


def performance_figure(closes, title: str, max_points: int = 600):
    """Lines of each ticker's close rebased to 100 at its first value (a DataFrame, one column per ticker)."""
    import math

    import plotly.graph_objects as go

    step = max(1, math.ceil(len(closes) / max_points))
    thinned = closes.iloc[::step] if step > 1 else closes
    if step > 1 and thinned.index[-1] != closes.index[-1]:
        thinned = closes.iloc[list(range(0, len(closes), step)) + [len(closes) - 1]]
    fig = go.Figure()
    for symbol in closes.columns:
        series = thinned[symbol]
        first = closes[symbol].dropna()
        if first.empty:
            continue
        rebased = (series / float(first.iloc[0]) * 100).round(2)
        fig.add_trace(go.Scatter(x=thinned.index.strftime("%Y-%m-%d").tolist(), y=rebased.to_numpy(),
                                 mode="lines", name=symbol, connectgaps=True))
    fig.add_hline(y=100, line={"width": 1, "dash": "dash", "color": NEUTRAL})
    return styled(fig, title={"text": title}, height=420, yaxis_title="Rebased to 100", hovermode="x unified")


def price_chart(frame, symbol: str, period: str, indicators=("sma50",), max_bars: int = MAX_CHART_BARS) -> go.Figure:
    """Candlestick chart of `frame` (OHLCV) with `indicators`, downsampled to `max_bars`."""
    enriched = compute_indicators(frame, indicators) if indicators else frame
    shown = downsample_ohlcv(enriched, max_bars)
    note = f" (each bar = {round(len(enriched) / len(shown))} bars)" if len(shown) < len(enriched) else ""
    source = frame.attrs.get("source")
    return price_figure(shown, f"{symbol} {period}{note}" + (f" · {source}" if source else ""))


def performance_chart(closes, period: str) -> go.Figure:
    return performance_figure(closes, f"Performance over {period}, rebased to 100: {', '.join(closes.columns)}")


def price_chart_for(market, symbol: str, period: str | None, indicators: str | None, interval: str | None):
    """(figure, title, detail) of a candlestick chart: the computation shared by the tool and its Hub copy."""
    symbol, period, interval = symbol.strip().upper(), period or "1y", interval or "1d"
    names = [n.strip() for n in (indicators if indicators is not None else "sma50").split(",") if n.strip()]
    frame = market.history(symbol, period=period, interval=interval)
    figure = price_chart(frame, symbol, period, names[:8])
    shown = len(figure.data[0].x)
    title = f"{symbol} {period} {interval}" + (f" with {', '.join(names)}" if names else "")
    detail = (f", candlestick with volume, {len(frame)} bars" + (f" shown as {shown}" if shown < len(frame) else "")
              + f"; last close {float(frame['Close'].iloc[-1]):,.2f}; source {origin(frame)}.")
    return figure, title, detail


def performance_chart_for(market, symbols: str, period: str | None):
    """(figure, title, detail) of a rebased performance chart of several tickers."""
    comparison = market.compare(split_symbols(symbols), period or "1y")
    figure = performance_chart(comparison.closes, comparison.period)
    returns = ", ".join([f"{s} {r:+.1f}%" for s, r in comparison.stats["return_pct"].items() if r == r])
    failed = "; ".join(f"{s}: {m}" for s, m in comparison.failures.items())
    detail = (f". Returns: {returns}; source {comparison.source_label}."
              + (f" Not fetched: {failed}" if failed else ""))
    return figure, figure.layout.title.text, detail
