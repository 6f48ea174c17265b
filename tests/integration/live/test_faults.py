"""Live trading through a faulty JSON-RPC link: never twice, never corrupt, unresolved until the chain tells."""

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.rpc_proxy import DropResponse, FaultyRpcProxy, Http502, NonceTooLow, Timeout

from .test_crash_recovery import swaps_on_chain


@pytest.fixture
def proxy(anvil):
    with FaultyRpcProxy(anvil.url, max_hold_seconds=10) as running:
        yield running


def trader_via(proxy, live_config, **overrides) -> LiveTrader:
    config = live_config.__class__(**{**live_config.__dict__, "json_rpc_url": SecretStr(proxy.url), **overrides})
    trader = LiveTrader(config)
    trader.recover()
    return trader


def test_a_lost_broadcast_answer_is_resent_with_the_same_bytes_and_trades_once(proxy, live_config, deployment):
    trader = trader_via(proxy, live_config)
    proxy.add_fault(DropResponse("eth_sendRawTransaction", times=2))  # the approval's and the swap's answers are lost
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success
    assert swaps_on_chain(deployment, trader.wallet.address) == 1
    check_accounts(trader.web3, trader.state, trader.wallet.address)


def test_nonce_too_low_for_a_transaction_not_on_chain_fails_the_trade_and_leaves_nothing_frozen(proxy, live_config, deployment):
    trader = trader_via(proxy, live_config)
    trader.execution.ensure_approval(live_config.tokens["USDC"], 1)  # approval first, so the fault hits the swap
    proxy.add_fault(NonceTooLow("eth_sendRawTransaction"))
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.failed and "never reached the chain" in buy.failure_reason
    # No token moved, so nothing is uncertain: the failed buy is recorded apart and opened no position.
    assert trader.state.portfolio.unfilled_trades == {buy.trade_id: buy}
    assert not trader.state.portfolio.frozen_positions and not trader.state.portfolio.open_positions
    assert swaps_on_chain(deployment, trader.wallet.address) == 0
    check_accounts(trader.web3, trader.state, trader.wallet.address)


def test_http_502_on_reads_is_retried(proxy, live_config, deployment):
    trader = trader_via(proxy, live_config)
    proxy.add_fault(Http502("eth_call", times=2))
    proxy.add_fault(Http502("eth_getTransactionReceipt", times=2))
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success
    assert swaps_on_chain(deployment, trader.wallet.address) == 1


def test_a_confirmation_that_never_comes_leaves_the_trade_unresolved_not_failed(proxy, live_config, deployment, tmp_path):
    trader = trader_via(proxy, live_config, confirmation_timeout=1.5)
    trader.execution.ensure_approval(live_config.tokens["USDC"], 1)
    proxy.add_fault(Timeout("eth_getTransactionReceipt", times=1000, max_seconds=0.2))
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.broadcasted  # not failed: the chain has not told us yet
    saved = JSONFileStore(live_config.state_file).load()
    assert saved.portfolio.open_positions[buy.position_id].trades[buy.trade_id].status is TradeStatus.broadcasted

    # The link heals; the next start settles it from the chain, without sending anything new.
    proxy.clear()
    sent_before = proxy.count("eth_sendRawTransaction")
    restarted = trader_via(proxy, live_config)
    settled = restarted.state.portfolio.open_positions[buy.position_id].trades[buy.trade_id]
    assert settled.status is TradeStatus.success
    assert proxy.count("eth_sendRawTransaction") == sent_before
    assert swaps_on_chain(deployment, trader.wallet.address) == 1
    check_accounts(restarted.web3, restarted.state, restarted.wallet.address)
    assert restarted.state.portfolio.get_cash() == Decimal(0)
    assert Path(live_config.state_file).exists()
