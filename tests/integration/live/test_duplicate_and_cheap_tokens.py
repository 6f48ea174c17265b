"""Live on anvil: a duplicated or stale trade sends nothing; a token at $0.000000001 trades exactly, to the wei.

- decide_trades returning the same trade twice (``return trades + trades``), or a trade of an earlier
  cycle, is a StrategyRuntimeError naming the line of the return, raised before anything is signed:
  no transaction leaves the hot wallet and the aborted cycle leaves no position behind.
- $10,000 of an 18-decimal token priced at 1e-9 USD (1e13 tokens, 1e31 wei) is bought and sold
  through the real router: each fill equals the router's getAmountsOut to the wei, and the books
  equal the chain's balances.
"""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pydantic import SecretStr

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.errors import StrategyRuntimeError
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.testing.adversary import advance_time, chain_datetime, ensure_history, swaps_by, transactions_sent

from .conftest import HOT_WALLET_KEY

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"
DUPLICATE = STRATEGIES / "duplicate_trades.py"
STALE = STRATEGIES / "stale_trade.py"
CHEAP_TOKEN = STRATEGIES / "cheap_token.py"
WEI = 10**18
USDC_UNITS = 10**6


def line_of(path: Path, text: str) -> int:
    """1-based number of the last line of ``path`` containing ``text`` (the code, after any docstring quoting it)."""
    return max(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def run_cycle_expecting_an_error(trader: LiveTrader) -> BaseException | None:
    """The cycle's exception, if any: the chain and the books are checked before the error itself."""
    try:
        trader.run_cycle(chain_datetime(trader.web3))
    except Exception as error:  # noqa: BLE001 - the test asserts it is a StrategyRuntimeError after the behaviour
        return error
    return None


# --- duplicate and stale trades --------------------------------------------------------------


def test_a_trade_returned_twice_signs_nothing_and_leaves_no_position(anvil, deployment, live_config):
    ensure_history(anvil, deployment)
    trader = LiveTrader(replace(live_config, strategy_file=DUPLICATE))
    trader.recover()
    web3, wallet = trader.web3, trader.wallet.address
    sent = transactions_sent(web3, wallet)

    error = run_cycle_expecting_an_error(trader)

    assert transactions_sent(web3, wallet) == sent, "transactions were sent for a trade returned twice"
    assert not swaps_by(web3, deployment.pairs["ETH-USDC"], wallet)
    portfolio = trader.state.portfolio
    assert not portfolio.open_positions and not portfolio.frozen_positions
    assert portfolio.get_cash() == Decimal(10_000)
    check_accounts(web3, trader.state, wallet)
    assert isinstance(error, StrategyRuntimeError), f"no strategy error for a trade returned twice: {error!r}"
    assert f"{DUPLICATE}:{line_of(DUPLICATE, 'return trades + trades')}" in str(error)
    assert "twice" in str(error)


def test_a_trade_of_an_earlier_cycle_returned_again_signs_nothing(anvil, deployment, live_config):
    ensure_history(anvil, deployment)
    trader = LiveTrader(replace(live_config, strategy_file=STALE))
    trader.recover()
    web3, wallet = trader.web3, trader.wallet.address
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    fill = (buy.executed_quantity, buy.executed_reserve, buy.blockchain_transactions[-1].tx_hash)
    sent = transactions_sent(web3, wallet)

    error = run_cycle_expecting_an_error(trader)

    assert transactions_sent(web3, wallet) == sent, "the earlier cycle's trade was sent again"
    assert len(swaps_by(web3, deployment.pairs["ETH-USDC"], wallet)) == 1
    position = trader.state.portfolio.open_positions[buy.position_id]
    assert list(position.trades) == [buy.trade_id]
    assert (buy.executed_quantity, buy.executed_reserve, buy.blockchain_transactions[-1].tx_hash) == fill
    assert not trader.state.portfolio.frozen_positions
    check_accounts(web3, trader.state, wallet)
    assert isinstance(error, StrategyRuntimeError), f"no strategy error for a trade of an earlier cycle: {error!r}"
    assert f"{STALE}:{line_of(STALE, 'return list(KEPT)')}" in str(error)


# --- a token at a billionth of a dollar ------------------------------------------------------


@pytest.fixture
def pepe(anvil, tmp_path):
    """A devnet with one pool, PEPE/USDC at $0.000000001 and $2,000,000 a side (2e33 PEPE wei, under uint112)."""
    web3 = create_web3(anvil.url)
    deployment = deploy_uniswap_v2(
        web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"PEPE": Decimal("1e-9")}, liquidity_usd=Decimal(2_000_000),
        fund_address=HotWallet(HOT_WALLET_KEY).address,
    )
    ensure_history(anvil, deployment)
    config = LiveConfig(
        strategy_file=CHEAP_TOKEN, state_file=tmp_path / "state" / "pepe.json", json_rpc_url=SecretStr(deployment.url),
        private_key=SecretStr(HOT_WALLET_KEY), router=deployment.router, factory=deployment.factory, tokens=deployment.tokens,
        confirmation_timeout=20, cache_path=tmp_path / "cache",
    )
    return deployment, config


def test_ten_thousand_dollars_of_a_token_at_a_billionth_of_a_dollar_trades_to_the_wei(anvil, pepe):
    deployment, config = pepe
    trader = LiveTrader(config)
    trader.recover()
    web3, wallet = trader.web3, trader.wallet.address
    usdc, token = deployment.tokens["USDC"], deployment.tokens["PEPE"]
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    balance = web3.eth.contract(address=token, abi=load_abi("ERC20")).functions.balanceOf
    usdc_balance = web3.eth.contract(address=usdc, abi=load_abi("ERC20")).functions.balanceOf

    bought = router.functions.getAmountsOut(10_000 * USDC_UNITS, [usdc, token]).call()[-1]
    assert bought > 10**30  # about 1e13 tokens
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success, buy.failure_reason
    assert buy.executed_reserve == Decimal(10_000)
    assert Fraction(buy.executed_quantity) == Fraction(bought, WEI), "the recorded fill is not the router's, to the wei"
    assert balance(wallet).call() == bought
    check_accounts(web3, trader.state, wallet)

    advance_time(anvil, 20 * 60)
    received = router.functions.getAmountsOut(bought, [token, usdc]).call()[-1]
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.status is TradeStatus.success, sell.failure_reason
    assert Fraction(sell.executed_quantity) == -Fraction(bought, WEI)
    assert Fraction(sell.executed_reserve) == Fraction(received, USDC_UNITS)
    assert balance(wallet).call() == 0
    assert Fraction(trader.state.portfolio.get_cash()) == Fraction(usdc_balance(wallet).call(), USDC_UNITS)
    assert not trader.state.portfolio.open_positions
    assert len(swaps_by(web3, deployment.pairs["PEPE-USDC"], wallet)) == 2
    check_accounts(web3, trader.state, wallet)
