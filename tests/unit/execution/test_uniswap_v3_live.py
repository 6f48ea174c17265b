"""The chain-free parts of execution/uniswap_v3: path bytes, the read tick table's bounds, the deviation tripwire."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from trade_executor.execution.uniswap_v3.oracle import check_price_deviation, human_price
from trade_executor.execution.uniswap_v3.pool_state import ReadTickTable, TicksNotRead, word_range
from trade_executor.execution.uniswap_v3.routing import Hop, V3Route, decode_path, encode_path
from trade_executor.market.uniswap_v3_math import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick
from trade_executor.market.uniswap_v3_swap import PoolState, swap

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WBTC = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"


def test_path_is_token_fee_token_packed():
    encoded = encode_path((WETH, USDC, WBTC), (500, 3000))
    assert encoded.hex() == WETH[2:].lower() + "0001f4" + USDC[2:].lower() + "000bb8" + WBTC[2:].lower()
    assert decode_path(encoded) == ((WETH, USDC, WBTC), (500, 3000))
    with pytest.raises(ValueError, match="needs 3 tokens"):
        encode_path((WETH, USDC), (500, 3000))
    with pytest.raises(ValueError, match="20 \\+ 23 \\* hops"):
        decode_path(encoded[:-1])


def test_a_route_checks_its_hops_join_up_and_reverses():
    first, second = Hop("0x" + "11" * 20, WETH, USDC, 500), Hop("0x" + "22" * 20, USDC, WBTC, 3000)
    route = V3Route((first, second))
    assert route.path == (WETH, USDC, WBTC) and route.reversed().path == (WBTC, USDC, WETH)
    assert route.reversed().fees == (3000, 500) and route.describe({WETH: "WETH", USDC: "USDC", WBTC: "WBTC"}) == "WETH -(0.05%)-> USDC -(0.3%)-> WBTC"
    assert first.zero_for_one is (int(WETH, 16) < int(USDC, 16))
    with pytest.raises(ValueError, match="the next hop takes"):
        V3Route((second, first))


def test_word_range_stays_within_the_usable_ticks():
    assert word_range(0, 60, 2) == (-2, 2)
    assert word_range(-1, 60, 0) == (-1, -1)
    assert word_range(MIN_TICK, 60, 5) == ((MIN_TICK // 60) >> 8, ((MIN_TICK // 60) >> 8) + 5)
    assert word_range(MAX_TICK - 1, 1, 3)[1] == MAX_TICK >> 8


def test_a_swap_beyond_the_words_read_raises_instead_of_quoting_empty_ticks():
    spacing, liquidity = 60, 10**20
    table = ReadTickTable(spacing, {-60: liquidity, 60: -liquidity}, "0xPool", (-1, 0))  # ticks -15360 .. 15359
    pool = PoolState(get_sqrt_ratio_at_tick(0), 0, liquidity, 3000, table)
    small = swap(pool, True, 10**15, get_sqrt_ratio_at_tick(-887000))
    assert small.amount0 == 10**15
    with pytest.raises(TicksNotRead, match="reached tick bitmap word -2, but only words -1..0 were read"):
        swap(pool, True, 10**30, get_sqrt_ratio_at_tick(-887000))  # past -60 nothing is active: the walk goes on to word -2


def test_deviation_tripwire_refuses_beyond_the_limit_only():
    source = "15-min mean tick"
    ok = check_price_deviation(ticker="ETH-USDC", spot=Decimal(2550), reference=Decimal(2500), reference_source=source, max_price_deviation=Decimal("0.03"))
    assert ok.refusal is None and ok.deviation == Decimal("0.02")
    refused = check_price_deviation(ticker="ETH-USDC", spot=Decimal(2600), reference=Decimal(2500), reference_source=source, max_price_deviation=Decimal("0.03"))
    assert refused.refusal == (
        "the spot price 2600 of ETH-USDC deviates 4.00% from the reference price 2500 (15-min mean tick); "
        "MAX_PRICE_DEVIATION is 3.00%: not sent, the next cycle or trigger check decides again"
    )


def test_human_price_either_token_order():
    raw = Decimal(2500) * 10**6 / 10**18  # USDC units per WETH unit
    assert human_price(Fraction(raw), base_is_token0=True, base_decimals=18, quote_decimals=6) == Decimal(2500)
    assert human_price(1 / Fraction(raw), base_is_token0=False, base_decimals=18, quote_decimals=6) == Decimal(2500)
