"""Quotes from pool state equal QuoterV2's to the wei, and SwapRouter02 pays exactly them.

Real anvil, real v3 contracts (npm artifacts): small swaps, swaps crossing several initialised
ticks and bitmap words, both directions, one and two hops (ETH -> USDC -> BTC).
"""

from __future__ import annotations

import pytest

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.execution.uniswap_v3.pool_state import PoolReader, TicksNotRead
from trade_executor.execution.uniswap_v3.quotes import UniswapV3Quoter
from trade_executor.execution.uniswap_v3.routing import UniswapV3Routing, V3Route, decode_path

from .conftest import NARROW_POOL, v3_contract

ETH, USDC = 10**18, 10**6


@pytest.fixture(scope="module")
def routing(web3, v3):
    return UniswapV3Routing(web3, v3.factory, fee_tiers=(3000, 500), intermediaries=(v3.usdc,))


@pytest.fixture(scope="module")
def quoter(web3):
    return UniswapV3Quoter(PoolReader(web3))


@pytest.fixture(scope="module")
def quoter_v2(web3, v3):
    return v3_contract(web3, "QuoterV2", v3.quoter_v2)


def quoter_v2_single(quoter_v2, route: V3Route, amount_in: int) -> tuple[int, int]:
    (hop,) = route.hops
    amount_out, sqrt_price_after, _, _ = quoter_v2.functions.quoteExactInputSingle((hop.token_in, hop.token_out, amount_in, hop.fee, 0)).call()
    return amount_out, sqrt_price_after


def test_routing_finds_the_pools_and_encodes_the_path(routing, v3):
    direct = routing.route(v3.usdc, v3.weth)
    assert direct.pools == (v3.pools[NARROW_POOL],) and direct.fees == (3000,)
    assert routing.route(v3.usdc, v3.weth, fee=500).pools == (v3.pools["ETH-USDC-0.05%"],)
    two_hops = routing.route(v3.weth, v3.tokens["BTC"])
    assert two_hops.path == (v3.weth, v3.usdc, v3.tokens["BTC"]) and two_hops.fees == (3000, 3000)
    assert len(routing.candidate_routes(v3.weth, v3.tokens["BTC"])) == 4  # two fee tiers a hop
    encoded = two_hops.encoded_path()
    assert len(encoded) == 20 + 2 * 23 and decode_path(encoded) == (two_hops.path, two_hops.fees)
    assert two_hops.reversed().path == tuple(reversed(two_hops.path))


def test_a_missing_pool_is_a_clear_error(routing, v3):
    with pytest.raises(ValueError, match="No Uniswap v3 pool .* at fee tier 10000"):
        routing.route(v3.usdc, v3.weth, fee=10000)


@pytest.mark.parametrize("amount_in", [1, 10**15, 3 * ETH])
def test_small_swaps_selling_eth_quote_as_quoter_v2(routing, quoter, quoter_v2, v3, amount_in):
    route = routing.route(v3.weth, v3.usdc)
    quote = quoter.quote_exact_input(route, amount_in)
    assert (quote.amount_out, quote.sqrt_prices_after[0]) == quoter_v2_single(quoter_v2, route, amount_in)


@pytest.mark.parametrize("amount_in", [1, 1_000 * USDC, 7_777_777_777])
def test_small_swaps_buying_eth_quote_as_quoter_v2(routing, quoter, quoter_v2, v3, amount_in):
    route = routing.route(v3.usdc, v3.weth)
    quote = quoter.quote_exact_input(route, amount_in)
    assert (quote.amount_out, quote.sqrt_prices_after[0]) == quoter_v2_single(quoter_v2, route, amount_in)


@pytest.mark.parametrize("direction", ["sell ETH", "buy ETH"])
def test_a_swap_crossing_several_initialised_ticks_quotes_as_quoter_v2(routing, quoter, quoter_v2, v3, direction):
    route = routing.route(v3.weth, v3.usdc) if direction == "sell ETH" else routing.route(v3.usdc, v3.weth)
    amount_in = 300 * ETH if direction == "sell ETH" else 750_000 * USDC
    quote = quoter.quote_exact_input(route, amount_in)
    assert len(quote.ticks_crossed[0]) >= 4  # the narrow positions' edges
    assert (quote.amount_out, quote.sqrt_prices_after[0]) == quoter_v2_single(quoter_v2, route, amount_in)


def test_a_swap_leaving_the_words_read_is_re_read_or_refused(web3, routing, quoter_v2, v3):
    """Only the price's own bitmap word read: the quoter reads more words, or says the quote left them."""
    route = routing.route(v3.weth, v3.usdc, fee=500)  # full range and +-10 % only: a swap of a few thousand ETH leaves the word
    narrow = UniswapV3Quoter(PoolReader(web3), words_each_side=0, max_words_each_side=0)
    growing = UniswapV3Quoter(PoolReader(web3), words_each_side=0, max_words_each_side=8)
    word = narrow.read(route)[route.pools[0]].words
    assert word[0] == word[1]
    amount_in = next(a * ETH for a in (100, 300, 1_000, 3_000, 10_000) if _leaves_word(narrow, route, a * ETH))
    with pytest.raises(TicksNotRead, match=r"reached tick bitmap word .* only words .* were read.*Read more words"):
        narrow.quote_exact_input(route, amount_in)
    quote = growing.quote_exact_input(route, amount_in)
    assert (quote.amount_out, quote.sqrt_prices_after[0]) == quoter_v2_single(quoter_v2, route, amount_in)


def _leaves_word(quoter: UniswapV3Quoter, route: V3Route, amount_in: int) -> bool:
    try:
        quoter.quote_exact_input(route, amount_in)
    except TicksNotRead:
        return True
    return False


@pytest.mark.parametrize("amount_in", [ETH, 250 * ETH])
def test_two_hops_eth_usdc_btc_quote_as_quoter_v2(routing, quoter, quoter_v2, v3, amount_in):
    route = routing.route(v3.weth, v3.tokens["BTC"])
    quote = quoter.quote_exact_input(route, amount_in)
    amount_out, sqrt_prices_after, _, _ = quoter_v2.functions.quoteExactInput(route.encoded_path(), amount_in).call()
    assert quote.amount_out == amount_out and list(quote.sqrt_prices_after) == sqrt_prices_after
    assert quote.amounts[0] == amount_in and len(quote.amounts) == 3


def test_best_route_picks_the_route_paying_most(routing, quoter, quoter_v2, v3):
    routes = routing.candidate_routes(v3.weth, v3.tokens["BTC"])
    best = quoter.best_route(routes, 10 * ETH)
    outs = [quoter_v2.functions.quoteExactInput(route.encoded_path(), 10 * ETH).call()[0] for route in routes]
    assert best.amount_out == max(outs)


def _multicall_with_deadline(web3, router, function_name: str, params) -> object:
    deadline = web3.eth.get_block("latest")["timestamp"] + 300
    data = router.encode_abi(function_name, args=[params])
    return router.get_function_by_signature("multicall(uint256,bytes[])")(deadline, [data])


def _balance(web3, token: str, owner: str) -> int:
    return web3.eth.contract(address=token, abi=load_abi("ERC20")).functions.balanceOf(owner).call()


def test_exact_input_single_through_swap_router_02_receives_exactly_the_quote(web3, routing, quoter, v3, hot_wallet):
    builder = TransactionBuilder(web3, hot_wallet)
    router = v3_contract(web3, "SwapRouter02", v3.swap_router02)
    route = routing.route(v3.usdc, v3.weth)
    amount_in = 400_000 * USDC  # crosses the narrow positions above the price
    usdc = web3.eth.contract(address=v3.usdc, abi=load_abi("ERC20"))
    send_and_wait(web3, builder.sign_call(usdc.functions.approve(v3.swap_router02, amount_in)))
    quote = quoter.quote_exact_input(route, amount_in)
    assert len(quote.ticks_crossed[0]) >= 2
    before = _balance(web3, v3.weth, hot_wallet.address), _balance(web3, v3.usdc, hot_wallet.address)
    hop = route.hops[0]
    params = (hop.token_in, hop.token_out, hop.fee, hot_wallet.address, amount_in, quote.amount_out, 0)
    receipt = send_and_wait(web3, builder.sign_call(_multicall_with_deadline(web3, router, "exactInputSingle", params)))
    assert receipt["blockNumber"] == quote.block + 1  # the quote was of the state the swap ran on
    assert _balance(web3, v3.weth, hot_wallet.address) - before[0] == quote.amount_out
    assert before[1] - _balance(web3, v3.usdc, hot_wallet.address) == amount_in
    assert v3_contract(web3, "UniswapV3Pool", hop.pool).functions.slot0().call()[0] == quote.sqrt_prices_after[0]


def test_exact_input_two_hops_through_swap_router_02_receives_exactly_the_quote(web3, routing, quoter, v3, hot_wallet):
    builder = TransactionBuilder(web3, hot_wallet)
    router = v3_contract(web3, "SwapRouter02", v3.swap_router02)
    weth = web3.eth.contract(address=v3.weth, abi=load_abi("WETH9"))
    amount_in = 120 * ETH
    send_and_wait(web3, builder.sign_call(weth.functions.deposit(), value=amount_in))
    send_and_wait(web3, builder.sign_call(weth.functions.approve(v3.swap_router02, amount_in)))
    route = routing.route(v3.weth, v3.tokens["BTC"])
    quote = quoter.quote_exact_input(route, amount_in)
    before = _balance(web3, v3.tokens["BTC"], hot_wallet.address)
    params = (route.encoded_path(), hot_wallet.address, amount_in, quote.amount_out)
    receipt = send_and_wait(web3, builder.sign_call(_multicall_with_deadline(web3, router, "exactInput", params)))
    assert receipt["blockNumber"] == quote.block + 1
    assert _balance(web3, v3.tokens["BTC"], hot_wallet.address) - before == quote.amount_out > 0


def test_a_stale_quote_as_minimum_reverts_and_an_expired_deadline_too(web3, routing, quoter, v3, hot_wallet):
    """amountOutMinimum = the quote is a hard bound: after another swap moved the pool the same swap reverts."""
    builder = TransactionBuilder(web3, hot_wallet)
    router = v3_contract(web3, "SwapRouter02", v3.swap_router02)
    route = routing.route(v3.usdc, v3.weth)
    usdc = web3.eth.contract(address=v3.usdc, abi=load_abi("ERC20"))
    send_and_wait(web3, builder.sign_call(usdc.functions.approve(v3.swap_router02, 2_000 * USDC)))
    hop = route.hops[0]
    quote = quoter.quote_exact_input(route, 1_000 * USDC)
    params = (hop.token_in, hop.token_out, hop.fee, hot_wallet.address, 1_000 * USDC, quote.amount_out, 0)
    send_and_wait(web3, builder.sign_call(_multicall_with_deadline(web3, router, "exactInputSingle", params)))
    with pytest.raises(Exception, match="Too little received"):
        _multicall_with_deadline(web3, router, "exactInputSingle", params).call({"from": hot_wallet.address})
    fresh = quoter.quote_exact_input(route, 1_000 * USDC)
    expired = router.get_function_by_signature("multicall(uint256,bytes[])")(1, [router.encode_abi("exactInputSingle", args=[(*params[:5], fresh.amount_out, 0)])])
    with pytest.raises(Exception, match="Transaction too old"):
        expired.call({"from": hot_wallet.address})
