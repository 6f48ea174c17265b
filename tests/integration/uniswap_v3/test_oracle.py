"""The pool's own oracle on anvil: a window too long for its observations is refused with the fix;
after the cardinality is raised and time passes, an adversary's large swap moves slot0 a lot in one
block while the reference (the mean tick over 15 minutes) does not move, and the deviation check
refuses that block. Time moves with evm_increaseTime + evm_mine, never a sleep.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.execution.uniswap_v3.oracle import (
    OracleWindowTooLong,
    UniswapV3Oracle,
    check_price_deviation,
    human_price,
    increase_cardinality,
    mean_tick,
    route_prices,
)
from trade_executor.execution.uniswap_v3.routing import UniswapV3Routing
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick

from .conftest import v3_contract

ETH = 10**18
WINDOW = 900
POOL = "ETH-USDC-0.05%"  # the quote tests' narrow positions are in the 0.3 % pool; this one is the oracle's alone


def advance(web3, seconds: int) -> None:
    web3.provider.make_request("evm_increaseTime", [seconds])
    web3.provider.make_request("evm_mine", [])


def sell_eth(web3, wallet: HotWallet, v3, amount: int):
    """Wrap ``amount`` ETH and sell it for USDC through SwapRouter02 (a 5-minute deadline)."""
    builder = TransactionBuilder(web3, wallet)
    weth = web3.eth.contract(address=v3.weth, abi=load_abi("WETH9"))
    send_and_wait(web3, builder.sign_call(weth.functions.deposit(), value=amount))
    send_and_wait(web3, builder.sign_call(weth.functions.approve(v3.swap_router02, amount)))
    router = v3_contract(web3, "SwapRouter02", v3.swap_router02)
    swap = router.encode_abi("exactInputSingle", args=[(v3.weth, v3.usdc, v3.fees[POOL], wallet.address, amount, 0, 0)])
    deadline = web3.eth.get_block("latest")["timestamp"] + 300
    return send_and_wait(web3, builder.sign_call(router.get_function_by_signature("multicall(uint256,bytes[])")(deadline, [swap])))


def eth_price(web3, v3, price0: Fraction) -> Decimal:
    base_is_token0 = int(v3.weth, 16) < int(v3.usdc, 16)
    return human_price(price0, base_is_token0=base_is_token0, base_decimals=18, quote_decimals=6)


def test_mean_tick_rounds_towards_negative_infinity_as_oracle_library():
    assert mean_tick(0, 1800, 900) == 2
    assert mean_tick(0, 1799, 900) == 1
    assert mean_tick(0, -1799, 900) == -2  # OracleLibrary.consult: truncate, then one lower when negative with a remainder
    assert mean_tick(100, -1700, 900) == -2
    with pytest.raises(ValueError, match="positive window"):
        mean_tick(0, 0, 0)


def test_the_reference_holds_while_an_adversary_moves_the_spot(web3, v3, hot_wallet):
    pool = v3.pools[POOL]
    oracle = UniswapV3Oracle(web3, window_seconds=WINDOW)
    sell_eth(web3, hot_wallet, v3, ETH // 10)  # a swap a moment ago: the single observation is too recent for the window
    with pytest.raises(OracleWindowTooLong, match=r"cannot average its price over 900 s: it keeps 1 observation.*increase_cardinality\(builder, '0x[0-9a-fA-F]{40}', 77\)") as refused:
        oracle.consult([pool])
    assert refused.value.cardinality == 1 and refused.value.oldest_age is not None and refused.value.oldest_age < WINDOW

    receipt = increase_cardinality(TransactionBuilder(web3, hot_wallet), pool, 100)
    assert receipt["status"] == 1
    assert v3_contract(web3, "UniswapV3Pool", pool).functions.slot0().call()[4] == 100  # observationCardinalityNext
    advance(web3, 60)
    sell_eth(web3, hot_wallet, v3, ETH // 10)  # writes an observation: the pool grows into its 100 slots
    advance(web3, 2 * WINDOW)

    before = oracle.consult([pool])[pool]
    assert before.mean_tick == before.spot_tick  # nothing traded during the window
    adversary = HotWallet(ANVIL_PRIVATE_KEYS[3])
    attack = sell_eth(web3, adversary, v3, 450 * ETH)
    after = oracle.consult([pool], block=attack["blockNumber"])[pool]
    spot_before, spot_after = eth_price(web3, v3, before.spot_price0), eth_price(web3, v3, after.spot_price0)
    reference_before, reference_after = eth_price(web3, v3, before.price0), eth_price(web3, v3, after.price0)
    assert spot_after < spot_before * Decimal("0.85")  # the spot moved more than 15 % in one block
    assert after.mean_tick == before.mean_tick and reference_after == reference_before  # the swap's block has no weight yet
    assert abs(reference_after / Decimal(2500) - 1) < Decimal("0.001")
    assert after.price0 == Fraction(get_sqrt_ratio_at_tick(after.mean_tick) ** 2, 2**192)  # exact: TickMath's price, no float

    advance(web3, 12)  # one block later the moved price has 12 s of the 900
    later = oracle.consult([pool])[pool]
    assert abs(eth_price(web3, v3, later.price0) / reference_before - 1) < Decimal("0.01")
    assert later.mean_tick != before.mean_tick

    source = f"{WINDOW // 60}-min mean tick of the pool's oracle"
    refused = check_price_deviation(ticker="ETH-USDC", spot=spot_after, reference=reference_after, reference_source=source, max_price_deviation=Decimal("0.03"))
    assert refused.refusal is not None and refused.deviation > Decimal("0.2")
    assert "deviates" in refused.refusal and "MAX_PRICE_DEVIATION is 3.00%: not sent" in refused.refusal and source in refused.refusal
    calm = check_price_deviation(ticker="ETH-USDC", spot=spot_before, reference=reference_before, reference_source=source, max_price_deviation=Decimal("0.03"))
    assert calm.refusal is None
    assert check_price_deviation(ticker="ETH-USDC", spot=spot_after, reference=reference_after, reference_source=source, max_price_deviation=None).refusal is None


def test_route_prices_of_two_hops_multiply_each_pools_price(web3, v3):
    routing = UniswapV3Routing(web3, v3.factory, fee_tiers=(3000,), intermediaries=(v3.usdc,))
    route = routing.route(v3.weth, v3.tokens["BTC"])
    advance(web3, 2 * WINDOW)  # nothing traded in these pools for a window: reference == spot's tick price
    readings = UniswapV3Oracle(web3, window_seconds=WINDOW).consult(list(route.pools))
    spot, reference = route_prices(route, readings)
    # WETH units per BTC unit: 4367.4 / 2500 ETH per BTC, scaled by 10**(18 - 8); the mean tick rounds the price down to a tick
    ideal = Fraction(43674, 25000) * 10**10
    assert abs(spot / ideal - 1) < Fraction(1, 10**6)
    assert abs(reference / ideal - 1) < Fraction(2, 10**4)  # within a tick (0.01 %) per hop


def test_cardinality_out_of_range_is_refused(web3, v3, hot_wallet):
    with pytest.raises(ValueError, match="between 1 and 65535"):
        increase_cardinality(TransactionBuilder(web3, hot_wallet), v3.pools[POOL], 70_000)
