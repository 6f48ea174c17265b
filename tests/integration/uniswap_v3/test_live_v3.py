"""A strategy trading live on Uniswap v3 pools from a hot wallet: real anvil, real v3 contracts, real SwapRouter02.

Buys then sells with fills equal to QuoterV2's quote at the block before, to the wei (the wallet's
token deltas are the trade's amounts); the signed swap is in the state file before the node has
seen it; the router is approved once per token; amountOutMinimum is what the pool pays at the reference price less the tolerance.
A pool pushed by an adversary, and crashes, are the venue contract's (tests/integration/live/test_venue_contract.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.execution.uniswap_v2 import execution_model as v2_execution_model
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.execution.uniswap_v3.execution_model import UniswapV3ExecutionModel, fair_amount_out, minimum_out
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality, route_prices
from trade_executor.execution.uniswap_v3.pool_state import PoolReader
from trade_executor.execution.uniswap_v3.routing import V3Route
from trade_executor.execution.uniswap_v3.swap_router import decode_swap
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import TradeStatus

from .conftest import NARROW_POOL, v3_contract

HOT_WALLET_KEY = "0x" + "33" * 32
SLIPPAGE = Decimal("0.01")

STRATEGY = '''
from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"], fee={"ETH": 0.003})


def decide_trades(input):
    """Alternate: buy 2,500 USDC of ETH, then sell it all."""
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), Decimal(2_500))
'''


@pytest.fixture(scope="module")
def hot_wallet():
    """The conftest's deployment funds this wallet (2,000,000 USDC, 5,000 native)."""
    return HotWallet(HOT_WALLET_KEY)


def advance(web3, seconds: int) -> None:
    web3.provider.make_request("evm_increaseTime", [seconds])
    web3.provider.make_request("evm_mine", [])


@pytest.fixture(scope="module")
def aged_pool(web3, v3, deployer):
    """The 0.3 % pool keeps 200 observations and has 20 minutes of history: its oracle covers the 15-minute reference window."""
    pool = v3.pools[NARROW_POOL]
    increase_cardinality(TransactionBuilder(web3, deployer), pool, 200)
    advance(web3, 20 * 60)
    return pool


@pytest.fixture(scope="module")
def trader(v3, aged_pool, tmp_path_factory):
    folder = tmp_path_factory.mktemp("live-v3")
    strategy_file = folder / "alternate_v3.py"
    strategy_file.write_text(STRATEGY)
    config = LiveConfig(
        strategy_file=strategy_file, state_file=folder / "state" / "alternate_v3.json", json_rpc_url=SecretStr(v3.url),
        private_key=SecretStr(HOT_WALLET_KEY), router="", factory="", tokens={"USDC": v3.usdc, "ETH": v3.weth},
        confirmation_timeout=20, cache_path=folder / "cache",
        uniswap_v3_factory=v3.factory, uniswap_v3_swap_router_02=v3.swap_router02, uniswap_v3_quoter_v2=v3.quoter_v2,
    )
    live = LiveTrader(config)
    live.recover()
    return live


def balance(web3, token: str, owner: str) -> int:
    return web3.eth.contract(address=token, abi=load_abi("ERC20")).functions.balanceOf(owner).call()


def quoter_v2_at(web3, v3, token_in: str, token_out: str, amount_in: int, block: int) -> int:
    quoter = v3_contract(web3, "QuoterV2", v3.quoter_v2)
    return quoter.functions.quoteExactInputSingle((token_in, token_out, amount_in, 3000, 0)).call(block_identifier=block)[0]


def approvals_by(web3, wallet: str, token: str) -> int:
    """Transactions from ``wallet`` calling approve(...) on ``token``, in every block."""
    selector = bytes.fromhex("095ea7b3")
    count = 0
    for number in range(web3.eth.block_number + 1):
        for tx in web3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == wallet and tx["to"] == token and bytes(tx["input"])[:4] == selector:
                count += 1
    return count


def test_the_venue_is_v3(trader, v3):
    assert isinstance(trader.execution, UniswapV3ExecutionModel)
    assert trader.execution.describe() == f"Uniswap v3 hot wallet {trader.wallet.address} via SwapRouter02 {v3.swap_router02}"
    universe = trader.build_universe()
    (pair,) = universe.pairs.values()
    assert pair.pool_address == v3.pools[NARROW_POOL] and pair.fee == Decimal("0.003")
    candles = universe.get_candles(pair)  # from the pool's own events since its Initialize: no swap yet, flat at its price
    assert len(candles) >= 1 and (candles["open"] == candles["close"]).all() and (candles["volume"] == 0).all()
    assert abs(candles["close"].iloc[-1] / 2500 - 1) < 0.001  # the devnet's price, no swap yet


def test_buy_sell_buy_fills_equal_quoter_v2_to_the_wei_and_approves_once(trader, web3, v3, monkeypatch):
    wallet = trader.wallet.address
    seen_before_broadcast = []

    def check_saved_before_broadcast(name: str) -> None:  # the crash point right after the state save: what a SIGKILL here leaves
        if name == "after_sign":
            saved = trader.store.__class__(trader.store.path).load()
            trade = max((t for p in saved.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)
            tx = trade.blockchain_transactions[-1]
            assert trade.status is TradeStatus.started and tx.signed_bytes
            assert web3.eth.get_transaction_count(wallet) == tx.nonce  # nothing of it reached the node yet
            seen_before_broadcast.append(tx.tx_hash)

    monkeypatch.setattr(v2_execution_model, "crash_point", check_saved_before_broadcast)
    eth_before, usdc_before = balance(web3, v3.weth, wallet), balance(web3, v3.usdc, wallet)

    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success, buy.failure_reason
    (tx,) = buy.blockchain_transactions
    assert seen_before_broadcast == [tx.tx_hash]
    expected = quoter_v2_at(web3, v3, v3.usdc, v3.weth, 2_500 * 10**6, tx.block_number - 1)
    assert trader.execution.last_quote.amount_out == expected
    assert buy.executed_reserve == Decimal(2_500) and buy.executed_quantity == Decimal(expected).scaleb(-18)
    assert balance(web3, v3.weth, wallet) - eth_before == expected
    assert usdc_before - balance(web3, v3.usdc, wallet) == 2_500 * 10**6
    assert buy.lp_fees_paid == Decimal("7.5") and buy.gas_cost_native > 0 and not buy.gas_from_reserve
    assert buy.spot_price and buy.reference_price

    # amountOutMinimum is, as on v2, what the pool pays at the reference price (the oracle's mean, recomputed here
    # at the block the check read) less the 1 % tolerance, exactly (rounded down); a finite deadline.
    raw = bytes(web3.eth.get_transaction(tx.tx_hash)["input"])
    deadline, function, params = decode_swap(raw)
    assert function == "exactInputSingle" and tx.function_name == "multicall(exactInputSingle)"
    route = trader.execution.pricing.buy_route(buy.pair)
    _, reference = route_prices(route, trader.execution.pricing.routing.oracle.consult(list(route.pools), block=tx.block_number - 1))
    fair = fair_amount_out(PoolReader(web3).read(list(route.pools), block=tx.block_number - 1), route, 2_500 * 10**6, (reference,))
    assert params["amountOutMinimum"] == minimum_out(fair, Decimal("0.01")) and params["amountIn"] == 2_500 * 10**6
    assert abs(fair - expected) < expected // 1000  # a calm pool: the reference is near the spot
    assert params["recipient"] == wallet and params["fee"] == 3000
    assert 0 < deadline - web3.eth.get_block(tx.block_number)["timestamp"] <= 300

    (sell,) = trader.run_cycle(trader.config.clock())
    assert sell.status is TradeStatus.success
    (sell_tx,) = sell.blockchain_transactions
    expected_usdc = quoter_v2_at(web3, v3, v3.weth, v3.usdc, expected, sell_tx.block_number - 1)
    assert sell.executed_quantity == -Decimal(expected).scaleb(-18) and sell.executed_reserve == Decimal(expected_usdc).scaleb(-6)
    assert balance(web3, v3.weth, wallet) == eth_before
    assert balance(web3, v3.usdc, wallet) == usdc_before - 2_500 * 10**6 + expected_usdc
    assert not trader.state.portfolio.open_positions

    (second_buy,) = trader.run_cycle(trader.config.clock())
    assert second_buy.status is TradeStatus.success
    assert approvals_by(web3, wallet, v3.usdc) == 1 and approvals_by(web3, wallet, v3.weth) == 1  # once per token, not per trade
    assert len(seen_before_broadcast) == 3
    check_accounts(trader.web3, trader.state, wallet)


def test_two_hops_go_through_exact_input_and_pay_the_exact_quote(trader, web3, v3):
    """The model's router call for a two-hop route (WETH -> USDC -> BTC): exactInput with the packed path, paid exactly the quote."""
    execution, wallet = trader.execution, trader.wallet.address
    routing = execution.routing
    route = V3Route((routing.hop(v3.weth, v3.usdc, 3000), routing.hop(v3.usdc, v3.tokens["BTC"], 3000)))
    amount = 10**18
    weth = web3.eth.contract(address=v3.weth, abi=load_abi("WETH9"))
    send_and_wait(web3, execution.builder.sign_call(weth.functions.deposit(), value=amount))
    execution.ensure_approval(v3.weth, amount)  # approved by the earlier sell: nothing sent
    assert approvals_by(web3, wallet, v3.weth) == 1
    quote = execution.quoter.quote_exact_input(route, amount)
    minimum = minimum_out(quote.amount_out, SLIPPAGE)
    call, name = execution.swap_call(route, amount, minimum, web3.eth.get_block("latest")["timestamp"] + 300)
    assert name == "multicall(exactInput)"
    before = balance(web3, v3.tokens["BTC"], wallet)
    receipt = send_and_wait(web3, execution.builder.sign_call(call))
    assert receipt["blockNumber"] == quote.block + 1
    assert balance(web3, v3.tokens["BTC"], wallet) - before == quote.amount_out > minimum
