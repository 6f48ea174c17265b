"""Issue 13's operator commands through the real CLI on anvil: close-position, show-positions with P&L and fees,
show-valuation, perform-test-trade's pair options and console --code."""

from decimal import Decimal

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.adversary import Adversary, transactions_sent

from .conftest import HOT_WALLET_KEY, STRATEGY, age_pools
from .test_crash_recovery import live_env, swaps_on_chain
from .test_operator_commands import run


def test_close_position_sells_one_position_with_a_cycles_safety_rules_and_show_positions_reports_it(anvil, deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)
    assert run(env, "start").returncode == 0  # the alternating strategy buys: position #1
    web3 = create_web3(deployment.url)
    wallet = JSONFileStore(state_file).load().live.hot_wallet

    before = state_file.read_bytes()
    valued = run(env, "show-valuation")
    assert valued.returncode == 0, valued.stderr
    assert "#1 ETH-USDC quantity " in valued.stdout and "at the reference price 300." in valued.stdout and "at the spot price 30" in valued.stdout
    assert "Open positions: 1, worth 9," in valued.stdout
    assert state_file.read_bytes() == before  # read-only

    Adversary(anvil, deployment).dump("ETH-USDC", "0.3")
    sent = transactions_sent(web3, wallet)
    refused = run(env, "close-position", "--position-id=1")
    assert refused.returncode == 1
    assert transactions_sent(web3, wallet) == sent  # nothing signed into the pushed pool
    assert "position #1 was not sold" in refused.stderr and "deviates" in refused.stderr and "--accept-spot-price" in refused.stderr

    forced = run(env, "close-position", "--position-id=1", "--accept-spot-price")
    assert forced.returncode == 0, forced.stderr
    assert "Closed position #1 ETH-USDC" in forced.stdout
    state = JSONFileStore(state_file).load()
    (closed,) = state.portfolio.closed_positions.values()
    assert [(t.is_buy, t.status) for t in closed.trades.values()] == [(True, TradeStatus.success), (False, TradeStatus.success)]
    assert swaps_on_chain(deployment, wallet) == 2

    again = run(env, "close-position", "--position-id=1")  # unknown, frozen, being sold: tests/unit/runner/test_control.py
    assert again.returncode == 2 and "Position #1 ETH-USDC is already closed" in again.stderr

    shown = run(env, "show-positions")
    assert shown.returncode == 0, shown.stderr
    buy, sell = closed.trades.values()
    line = next(line for line in shown.stdout.splitlines() if line.startswith("  #1 "))
    assert f"quantity {buy.executed_quantity:f}" in line
    assert f"at {buy.executed_price:,.6f}, closed {closed.closed_at} at {sell.executed_price:,.6f} (rebalance)" in line
    assert f"P&L {closed.get_realised_profit():,.2f} USDC ({closed.get_profit_pct():+.2%})" in line and "P&L -" in line  # sold into the dump
    assert f"fees {closed.get_lp_fees_paid() + closed.get_gas_paid_usd():,.2f} USDC (LP {closed.get_lp_fees_paid():,.2f}, gas {closed.get_gas_paid_usd():,.2f})" in line
    assert closed.get_lp_fees_paid() > 0 and closed.get_gas_paid_usd() > 0


def test_perform_test_trade_on_a_named_pair_buy_only_then_on_all_pairs(anvil, tmp_path):
    web3 = create_web3(anvil.url)
    deployment = deploy_uniswap_v2(
        web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300"), "BTC": Decimal("6000")}, liquidity_usd=Decimal(1_000_000),
        fund_address=HotWallet(HOT_WALLET_KEY).address,
    )
    age_pools(anvil)
    strategy_file = tmp_path / "two_pairs.py"
    strategy_file.write_text(STRATEGY.replace('data.embedded(["ETH"])', 'data.embedded(["ETH", "BTC"])'))
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)

    unknown = run(env, "perform-test-trade", "--pair=DOGE-USDC")
    assert unknown.returncode == 2
    assert "--pair=DOGE-USDC: Pair DOGE-USDC is not in" in unknown.stderr and "BTC-USDC, ETH-USDC" in unknown.stderr

    bought = run(env, "perform-test-trade", "--pair=BTC-USDC", "--buy-only", "--amount=2")
    assert bought.returncode == 0, bought.stderr
    assert "Making a test trade on pair: <Pair BTC-USDC" in bought.stdout and "for 2.000000 USDC" in bought.stdout
    assert "open (--buy-only); sell it with close-position --position-id=1" in bought.stdout and bought.stdout.strip().endswith("All ok")
    (position,) = JSONFileStore(state_file).load().portfolio.open_positions.values()
    assert (position.pair.ticker, position.notes, position.trades[1].notes, position.trades[1].executed_reserve) == ("BTC-USDC", "test trade", "test trade", 2)

    every = run(env, "perform-test-trade", "--all-pairs")
    assert every.returncode == 0, every.stderr
    assert every.stdout.count("Now closing the position.") == 1 and every.stdout.strip().endswith("All ok")
    assert "Skipped BTC-USDC: position #1 of that pair is open, and a test sale would sell it too." in every.stdout
    state = JSONFileStore(state_file).load()
    assert [p.pair.ticker for p in state.portfolio.closed_positions.values()] == ["ETH-USDC"]
    assert [p.pair.ticker for p in state.portfolio.open_positions.values()] == ["BTC-USDC"]  # the --buy-only one stays open, untouched
    assert state.portfolio.open_positions[1].get_quantity() == position.get_quantity()
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 2  # ETH's buy and sell (BTC's pool is another)


def test_console_code_runs_a_snippet_and_exits_with_its_outcome(deployment, strategy_file, tmp_path):
    env = live_env(deployment, strategy_file, tmp_path / "s.json")
    ran = run(env, "console", "--code=print('block', web3.eth.block_number > 0, type(state).__name__, list(universe.pairs), pricing_model is not None)")
    assert (ran.returncode, ran.stdout) == (0, "block True State ['ETH-USDC'] True\n"), ran.stderr
    assert "Following classes" not in ran.stdout  # no banner: the output is the snippet's alone

    failed = run(env, "console", "--code=x = 1\nraise ValueError(f'bad {x}')")
    assert failed.returncode == 1
    assert 'File "<console --code>", line 2' in failed.stderr and failed.stderr.strip().endswith("ValueError: bad 1")
