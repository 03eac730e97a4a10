"""Table-driven: which numbers of real-looking answers are figures (and which are dates, steps, tickers, lists)."""

from __future__ import annotations

import pytest

from provenance import extract_figures

# (sentence, the figures it states as written)
CASES = [
    ("AAPL closed at $245.12 on 2025-11-20.", ["$245.12"]),
    ("Apple (AAPL) last traded at 245.12 USD, up 1.20% on the day.", ["245.12", "1.20%"]),
    ("NVDA fell 3.4% to $131.50 as of Nov 21, 2025.", ["3.4%", "$131.50"]),
    ("MSFT market cap: $3.1 trillion.", ["$3.1 trillion"]),
    ("Market cap is about 3.76T USD and volume was 45.1M shares.", ["3.76T", "45.1M"]),
    ("The company has 2.5B shares outstanding.", ["2.5B"]),
    ("Revenue reached $94.9 billion in Q4 2025.", ["$94.9 billion"]),
    ("Net income was 23,636,000,000 dollars.", ["23,636,000,000"]),
    ("The P/E ratio is 37.5 and the forward P/E 30.2.", ["37.5", "30.2"]),
    ("It trades at 8.5x sales.", ["8.5x"]),
    ("Dividend yield 0.41%; payout ratio 0.13.", ["0.41%", "0.13"]),
    ("Gross margin 46.2%, operating margin 31.5%, profit margin 24.3%.", ["46.2%", "31.5%", "24.3%"]),
    ("Beta is 1.24, so it moves a bit more than the market.", ["1.24"]),
    ("52-week range: 164.08 - 260.10.", ["164.08", "260.10"]),
    ("Analysts (42) rate it a buy with a mean target of $255.30.", ["42", "$255.30"]),
    ("Over the recorded year AAPL returned +18.4%, MSFT +12.1% and GOOG +25.7%.", ["+18.4%", "+12.1%", "+25.7%"]),
    ("GOOG returned most: 25.7% vs 18.4% for AAPL.", ["25.7%", "18.4%"]),
    ("The 14-day RSI is 61.3 (neutral).", ["61.3"]),
    ("RSI(14) = 72.4, above the 70 overbought line.", ["72.4", "70"]),
    ("The 50-day SMA is 231.45 and the 200-day SMA is 219.80.", ["231.45", "219.80"]),
    ("MACD(12, 26, 9) line 1.85, signal 1.42, histogram 0.43.", ["1.85", "1.42", "0.43"]),
    ("Bollinger bands: upper 252.10, middle 240.00, lower 227.90.", ["252.10", "240.00", "227.90"]),
    ("Average volume over the last 30 days was 52,340,100.", ["52,340,100"]),
    ("The backtest made 17 trades with a 58.8% win rate.", ["17", "58.8%"]),
    ("Total return 34.2% vs buy-and-hold 18.4%; max drawdown -12.7%; Sharpe 1.31.",
     ["34.2%", "18.4%", "-12.7%", "1.31"]),
    ("Out-of-sample return was 4.1% with a Sharpe of 0.62.", ["4.1%", "0.62"]),
    ("Equity grew from $100,000 to $134,200.", ["$100,000", "$134,200"]),
    ("Ticket: buy 10 AAPL at market, estimated cost $2,451.20 (2.5% of equity).", ["10", "$2,451.20", "2.5%"]),
    ("Your paper account has $97,548.80 in cash and equity of $100,012.40.", ["$97,548.80", "$100,012.40"]),
    ("The S&P 500 rose 0.8% today while the Nasdaq-100 gained 1.1%.", ["0.8%", "1.1%"]),
    ("3M (MMM) slipped 2.3% after its 10-K filing.", ["2.3%"]),
    ("BRK.B trades at $498.10; BRK-A at $746,000.", ["$498.10", "$746,000"]),
    ("0700.HK (Tencent) is at 420.6 HKD.", ["420.6"]),
    ("Step 3: I fetched the quote.", []),
    ("In step 2 the trader ran the backtest.", []),
    ("1. AAPL: $245.12\n2. MSFT: $415.30\n3. GOOG: $176.90", ["$245.12", "$415.30", "$176.90"]),
    ("- 1) Buy signal when RSI < 30", ["30"]),
    ("## 1. Summary\nAAPL is up 1.2%.", ["1.2%"]),
    ("### 2.1 Risks", []),
    ("In 2024 the stock doubled; by 2025 it had split 4:1.", []),
    ("Data time 2025-11-21 21:00 UTC (delayed 15 min).", []),
    ("Markets open at 9:30 AM ET and close at 4:00 PM ET.", []),
    ("Earnings are due on January 30, 2026.", []),
    ("The report covers 11/01/2025 to 11/21/2025.", []),
    ("See the chart above [1].", []),
    ("FY2025 revenue grew 6% to $416.2 billion.", ["6%", "$416.2 billion"]),
    ("Q3 revenue beat estimates by 4.5%.", ["4.5%"]),
    ("The top 5 holdings are listed below.", []),
    ("I compared 3 stocks over 1y.", []),
    ("The strategy was refined in 4 specs; spec 3 held up best.", []),
    ("Run `backtest_strategy(symbol='AAPL', fast=10, slow=50)` to repeat it.", []),
    ("```python\nprint(245.12 * 10)\n```\nThe position would cost $2,451.20.", ["$2,451.20"]),
    ("Source: [Yahoo Finance](https://finance.yahoo.com/quote/AAPL?p=2025) as of 2025-11-21.", []),
    ("It is about $245 per share, roughly 2.5 trillion in market value.", ["$245", "2.5 trillion"]),
    ("Shares fell ~4% after hours.", ["~4%"[1:]]),
    ("The yield is 4.25 percent.", ["4.25 percent"]),
    ("Spread widened by 0.35 percentage points.", ["0.35 percentage points"]),
    ("EUR/USD is at 1.0845.", ["1.0845"]),
    ("BTC-USD is near $97,250.", ["$97,250"]),
    ("Gold futures (GC=F) settled at 2,650.40.", ["2,650.40"]),
    ("Volume was 1.2 million shares, about 48% of average.", ["1.2 million", "48%"]),
    ("Apple employs 164,000 people.", ["164,000"]),
    ("The fund's expense ratio is 0.09%.", ["0.09%"]),
    ("AMD's forward EPS is 6.12 and its trailing EPS 1.90.", ["6.12", "1.90"]),
    ("COVID-19 hit travel stocks hard in March 2020.", []),
    ("iPhone 16 sales drove a 6.1% rise in revenue.", ["6.1%"]),
    ("The order expires in 300 seconds; ticket T-12 is pending.", ["300"]),
    ("Price 245.12, change +2.91 (+1.20%), previous close 242.21.", ["245.12", "+2.91", "+1.20%", "242.21"]),
    ("Over the last 90 trading days the stock gained 11.2%.", ["11.2%"]),
    ("Held for 12 days on average, the 20-day breakout won 9 of 15 trades.", ["15"]),
    ("Your limit order for 25 shares at $240.00 rests until crossed.", ["25", "$240.00"]),
    ("$245.12 was the last close.", ["$245.12"]),  # a figure at the very start
    ("12.5% of revenue comes from services", ["12.5%"]),
]


@pytest.mark.parametrize("sentence, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_figures_of_a_sentence(sentence, expected):
    assert [f.text for f in extract_figures(sentence)] == expected


def test_there_are_at_least_sixty_sentences():
    assert len(CASES) >= 60


def test_values_units_and_kinds():
    figures = {f.text: f for f in extract_figures(
        "Cap $2.5 trillion, 2.5B shares, 1,234.50 USD, 12.3%, 8.5x, about 245, 0.123 on 2025-11-20.")}
    assert figures["$2.5 trillion"].value == 2.5e12 and figures["$2.5 trillion"].unit == pytest.approx(1e11)
    assert figures["2.5B"].value == 2.5e9 and figures["2.5B"].kind == "large"
    assert figures["1,234.50"].value == 1234.5 and figures["1,234.50"].unit == pytest.approx(0.01)
    assert figures["12.3%"].kind == "percent" and figures["8.5x"].kind == "ratio"
    assert figures["245"].approximate and not figures["12.3%"].approximate
    assert figures["0.123"].date == "2025-11-20"


def test_positions_point_at_the_written_figure():
    text = "**AAPL** | $245.12 | +1.2% |"
    for figure in extract_figures(text):
        assert text[figure.start:figure.end] == figure.text
