"""The deployment guide's operator commands, end to end on anvil through the real CLI."""

import re
import subprocess

from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import TRADE_EXECUTOR, live_env, swaps_on_chain


def run(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), *args], env=env, capture_output=True, text=True, timeout=120, input=stdin)


def test_check_wallet_reports_chain_wallet_balances_and_routes(deployment, strategy_file, tmp_path):
    result = run(live_env(deployment, strategy_file, tmp_path / "s.json"), "check-wallet")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Chain id is 31337" in out and "Latest block is" in out
    assert "Balance of USDC: 10000 USDC" in out
    assert "We have 10.000000 gas money left" in out
    assert "Execution model is trade_executor.execution.uniswap_v2.execution_model.UniswapV2ExecutionModel" in out
    assert f"ETH-USDC: USDC -> ETH via pool(s) {deployment.pairs['ETH-USDC']}" in out
    assert HOT_WALLET_KEY.removeprefix("0x") not in out + result.stderr


def test_perform_test_trade_buys_and_sells_one_dollar_then_says_all_ok(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    result = run(live_env(deployment, strategy_file, state_file), "perform-test-trade")
    assert result.returncode == 0, result.stderr
    assert "Making a test trade on pair: <Pair ETH-USDC" in result.stdout
    assert result.stdout.strip().endswith("All ok")
    state = JSONFileStore(state_file).load()
    (position,) = state.portfolio.closed_positions.values()
    assert position.notes == "test trade"
    assert [(t.is_buy, t.status, t.notes) for t in position.trades.values()] == [(True, TradeStatus.success, "test trade"), (False, TradeStatus.success, "test trade")]
    assert position.trades[1].executed_reserve == 1
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 2


def test_show_positions_close_all_and_repair(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)
    assert run(env, "start").returncode == 0  # one cycle: the alternating strategy buys
    shown = run(env, "show-positions")
    assert shown.returncode == 0, shown.stderr
    assert "Open positions: 1" in shown.stdout and "trade #1 buy success 0x" in shown.stdout

    closed = run(env, "close-all")
    assert closed.returncode == 0, closed.stderr
    assert "Closed 1 of 1 positions" in closed.stdout
    state = JSONFileStore(state_file).load()
    assert not state.portfolio.open_positions and len(state.portfolio.closed_positions) == 1

    repaired = run(env, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "Frozen positions left: 0" in repaired.stdout


def test_console_has_the_guide_objects_ready(deployment, strategy_file, tmp_path):
    env = live_env(deployment, strategy_file, tmp_path / "s.json")
    result = run(env, "console", stdin="print('block', web3.eth.block_number > 0, type(state).__name__, list(universe.pairs))\n")
    assert result.returncode == 0, result.stderr
    assert "block True State ['ETH-USDC']" in result.stdout
    for name in ("web3", "state", "universe", "store", "routing_state", "pricing_model", "valuation_method"):
        assert name in result.stdout + result.stderr
    assert "state             : trade_executor.state.state.State" in result.stderr  # the banner: names and types,
    assert len(result.stderr) < 2000  # not the repr of the whole state


def test_new_wallet_prints_a_usable_key_and_address():
    from trade_executor.chain.wallet import HotWallet

    result = subprocess.run([str(TRADE_EXECUTOR), "new-wallet"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    key = result.stdout.split("private key=")[1].split(",")[0]
    address = result.stdout.strip().split("account=")[1]
    assert HotWallet(key).address == address


def test_cli_approval_asks_before_trading(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file, APPROVAL_TYPE="cli")
    refused = run(env, "start", stdin="n\n")
    assert refused.returncode == 0, refused.stderr
    assert "Execute these 1 trades?" in refused.stdout and "Not approved" in refused.stdout
    assert swaps_on_chain(deployment, JSONFileStore(state_file).load().live.hot_wallet) == 0
    assert not JSONFileStore(state_file).load().portfolio.open_positions

    approved = run(env, "start", stdin="y\n")
    assert approved.returncode == 0, approved.stderr
    state = JSONFileStore(state_file).load()
    (position,) = state.portfolio.open_positions.values()
    assert [t.status for t in position.trades.values()] == [TradeStatus.success]
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 1


def test_check_universe_live_reports_the_latest_candle_from_the_pools(deployment, strategy_file, tmp_path):
    result = run(live_env(deployment, strategy_file, tmp_path / "s.json"), "check-universe")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Latest OHLCV candle is at: ")
    assert re.search(r"ETH-USDC: [12] candles of 1h, 0 gaps", result.stdout)  # two when the pools' twenty minutes of age cross an hour
    pool = deployment.pairs["ETH-USDC"]
    assert re.search(rf"Cached ETH-USDC pool {pool}: blocks 0 to [\d,]+ \(to 20\d\d-", result.stdout)


def test_close_all_into_a_pushed_pool_sends_nothing_exits_1_and_says_how_to_force_it(anvil, deployment, strategy_file, tmp_path):
    """The operator's close-all obeys the same safety rules as a cycle: no sell into a dumped pool, unless told."""
    from trade_executor.chain.connection import create_web3
    from trade_executor.testing.adversary import Adversary, transactions_sent

    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)
    assert run(env, "start").returncode == 0  # the alternating strategy buys
    web3 = create_web3(deployment.url)
    wallet = JSONFileStore(state_file).load().live.hot_wallet
    Adversary(anvil, deployment).dump("ETH-USDC", "0.3")
    sent = transactions_sent(web3, wallet)

    refused = run(env, "close-all")
    assert refused.returncode == 1
    assert transactions_sent(web3, wallet) == sent  # no approval, no swap: nothing signed
    assert "deviates" in refused.stdout and "--accept-spot-price" in refused.stderr
    shown = run(env, "show-positions")
    assert "Open positions: 1" in shown.stdout and "Frozen positions: 0" in shown.stdout
    assert "moved no tokens (skipped by a safety rule, or reverted): 1" in shown.stdout and "skipped" in shown.stdout

    forced = run(env, "close-all", "--accept-spot-price")  # the operator accepts the dumped price
    assert forced.returncode == 0, forced.stderr
    assert "Closed 1 of 1 positions" in forced.stdout
    assert not JSONFileStore(state_file).load().portfolio.open_positions
