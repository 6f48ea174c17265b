"""A real strategy trading live on anvil through the real Uniswap v2 router."""

from decimal import Decimal

import pytest

from trade_executor.chain.abi import load_abi
from trade_executor.errors import AccountingMismatch
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import JSONFileStore, TradeStatus


def token_balance(trader, symbol):
    contract = trader.web3.eth.contract(address=trader.config.tokens[symbol], abi=load_abi("ERC20"))
    return contract.functions.balanceOf(trader.wallet.address).call()


def test_buy_then_sell_settles_from_receipts_and_state_equals_chain(live_config):
    trader = LiveTrader(live_config)
    trader.recover()
    usdc_units = 10**6

    # Cycle 1: the 10,000 USDC deposit is found by treasury sync, then all of it buys ETH.
    quote_before = trader.routing.quote(10_000 * usdc_units, trader.routing.route(live_config.tokens["USDC"], live_config.tokens["ETH"]))
    trades = trader.run_cycle(trader.config.clock())
    (buy,) = trades
    assert buy.status is TradeStatus.success
    assert buy.executed_reserve == Decimal(10_000)
    assert buy.executed_quantity == Decimal(quote_before[-1]).scaleb(-18)  # the fill equals the exact quote, to the wei
    assert buy.lp_fees_paid == Decimal(30)
    assert buy.gas_cost_native > 0 and not buy.gas_from_reserve
    (tx,) = buy.blockchain_transactions
    assert tx.status is True and tx.block_number and tx.signed_bytes
    assert trader.state.portfolio.get_cash() == Decimal(0)
    assert token_balance(trader, "USDC") == 0
    assert token_balance(trader, "ETH") == int(buy.executed_quantity.scaleb(18))
    (deposit,) = trader.state.portfolio.balance_updates
    assert deposit.quantity == Decimal(10_000)

    # Cycle 2: sell it all; cash is what the receipt says arrived.
    (sell,) = trader.run_cycle(trader.config.clock())
    assert sell.status is TradeStatus.success
    assert token_balance(trader, "ETH") == 0
    assert trader.state.portfolio.get_cash() == Decimal(token_balance(trader, "USDC")).scaleb(-6) == sell.executed_reserve
    assert not trader.state.portfolio.open_positions
    check_accounts(trader.web3, trader.state, trader.wallet.address)

    # The state on disk is the same state.
    assert JSONFileStore(live_config.state_file).load() == trader.state


def test_accounting_check_stops_with_a_table_when_chain_and_state_disagree(live_config):
    trader = LiveTrader(live_config)
    trader.recover()
    trader.run_cycle(trader.config.clock())
    trader.state.portfolio.open_positions[1].trades[1].executed_quantity += Decimal("0.001")  # a book-keeping error
    with pytest.raises(AccountingMismatch) as raised:
        check_accounts(trader.web3, trader.state, trader.wallet.address)
    message = str(raised.value)
    assert "ETH" in message and "differs" in message and "check-accounts" in message and "correct-accounts" in message
