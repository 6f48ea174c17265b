"""The shipped Uniswap v3 example, backtested through the real `trade-executor` command.

strategies/eth-usd-sma-v3.py trades ETH-USDC on a uniswap-v3 pool of the 0.05% tier. With the
default fill model a v3 pair fills with the pool's own maths (execution/uniswap_v3_fill.py): the
pool takes its fee from the input, rounded up to the token unit (a v2 pool's fee in our books
rounds down), so every trade's LP fee is exactly ceil(0.05% of the input).
"""

from __future__ import annotations

from decimal import Decimal

from trade_executor.money import quantize_up
from trade_executor.state import JSONFileStore

PERIOD = ("--backtest-start=2018-01-01", "--backtest-end=2018-04-01")
TIER = Decimal("0.0005")

#: As printed on 2026-12-01; deterministic, so any change is a behaviour change to make deliberately.
V3_FIGURES = {
    "Return %": "-26.49%",
    "Value at end": "$7,350.52",
    "Total trades done": "12",
    "Stop losses triggered": "6",
    "Realised profit and loss": "$-2,649.48",
    "LP fees paid": "$104.46",
    "Gas paid": "$64.06",
    "Swaps executed": "24",
}


def test_v3_example_backtests_with_v3_maths_and_its_fee_tier(te, tmp_path):
    state_file = tmp_path / "v3.json"
    result = te.run("start", "--strategy-file=strategies/eth-usd-sma-v3.py", "--execution-type=backtest", f"--state-file={state_file}", *PERIOD)

    summary = te.assert_complete_summary(result)
    assert (
        "Execution: simulated: fills concentrated liquidity (Uniswap v3 maths), fee tier 0.05%, $5,000,000 quote-side depth; gas"
        in result.stdout
    )
    assert {label: summary[label] for label in V3_FIGURES} == V3_FIGURES

    state = JSONFileStore(state_file).load()
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert len(trades) == 24 and all(t.is_success for t in trades)
    for trade in trades:
        assert (trade.pair.exchange_slug, trade.pair.fee) == ("uniswap-v3", TIER)
        if trade.is_buy:  # the pool's fee: ceil(input x 500 / 1e6) in USDC units
            assert trade.lp_fees_paid == quantize_up(trade.executed_reserve * TIER, 6)
        else:  # in ETH units, valued at the mid price (rounded down)
            fee_in_eth = quantize_up(abs(trade.executed_quantity) * TIER, 18)
            assert trade.lp_fees_paid == (fee_in_eth * trade.planned_price).quantize(Decimal("0.000001"), rounding="ROUND_DOWN")
    assert state.portfolio.get_total_equity().quantize(Decimal("0.01")) == Decimal("7350.52")


def test_a_fee_that_is_not_a_tier_is_refused_naming_pair_value_and_tiers(te, tmp_path):
    source = (te.REPO / "strategies" / "eth-usd-sma-v3.py").read_text().replace('fee={"ETH": 0.0005}', 'fee={"ETH": 0.002}')
    strategy = tmp_path / "bad-tier.py"
    strategy.write_text(source)
    result = te.run("start", f"--strategy-file={strategy}", "--execution-type=backtest", f"--state-file={tmp_path / 's.json'}", *PERIOD)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Pair ETH-USDC on uniswap-v3: fee 0.002 (0.2%) is not a fee tier of uniswap-v3" in output, str(result)
    assert "Allowed tiers: 0.01%, 0.05%, 0.3%, 1%" in output
    assert "Traceback" not in result.stderr
