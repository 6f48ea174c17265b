"""A v3 pool's stored events replayed: L through in-range mints and burns, exact closes, the ticks' net liquidity."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pyarrow as pa
from eth_abi import encode

from trade_executor.execution.uniswap_v3.pool_download import BURN_TOPIC, MINT_TOPIC, SWAP_V3_TOPIC, decode_v3_log
from trade_executor.market.pool_candles_v3 import block_states, liquidity_net, v3_candles
from trade_executor.market.pool_history import SCHEMAS, PoolEvents, PoolMetadata, TokenInfo

WETH = TokenInfo("0x" + "11" * 20, "WETH", 18)
USDC = TokenInfo("0x" + "22" * 20, "USDC", 6)
SQRT = 3961408125713216879677197516800  # ~ 2500 USDC per ETH with WETH as token0
T0 = 1_700_000_400  # 12:00 UTC... any hour boundary + 400 s


def _topic(value: int) -> str:
    return "0x" + value.to_bytes(32, "big", signed=True).hex()


def _log(topics: list[str], data: bytes, block: int, index: int) -> dict:
    return {"topics": topics, "data": "0x" + data.hex(), "blockNumber": hex(block), "logIndex": hex(index), "address": "0x" + "33" * 20}


def _events() -> PoolEvents:
    events = PoolEvents()
    owner = _topic(0x44)
    logs = [
        _log([SWAP_V3_TOPIC, owner, owner], encode(["int256", "int256", "uint160", "uint128", "int24"], [10**18, -2500 * 10**6, SQRT, 10**15, -198_000]), 10, 0),
        _log([MINT_TOPIC, owner, _topic(-198_060), _topic(-197_940)], encode(["address", "uint128", "uint256", "uint256"], ["0x" + "44" * 20, 5 * 10**14, 1, 1]), 11, 0),
        _log([MINT_TOPIC, owner, _topic(-190_000), _topic(-180_000)], encode(["address", "uint128", "uint256", "uint256"], ["0x" + "44" * 20, 7, 1, 1]), 11, 1),
        _log([BURN_TOPIC, owner, _topic(-198_060), _topic(-197_940)], encode(["uint128", "uint256", "uint256"], [10**14, 1, 1]), 12, 0),
    ]
    for number, log in enumerate(logs):
        decode_v3_log(log, events, T0 + 60 * number)
    return events


def test_mints_and_burns_in_range_move_l_and_sum_to_the_ticks_net():
    events = _events()
    swaps, ranges = pa.table(events.v3_swap, schema=SCHEMAS["v3_swap"]), pa.table(events.v3_range, schema=SCHEMAS["v3_range"])
    metadata = PoolMetadata(31337, "0x" + "33" * 20, WETH, USDC, 0, 13, last_timestamp=T0 + 600, fee_pips=3000)
    states = block_states(metadata, swaps, ranges)
    assert [(s.block, s.liquidity) for s in states] == [(10, 10**15), (11, 10**15 + 5 * 10**14), (12, 10**15 + 4 * 10**14)]  # the out-of-range mint leaves L
    assert liquidity_net(ranges) == {-198_060: 4 * 10**14, -197_940: -4 * 10**14, -190_000: 7, -180_000: -7}
    candles = v3_candles(metadata, swaps, ranges, WETH.address, pd.Timedelta("1h"))
    exact = Fraction(SQRT * SQRT, 2**192) * Fraction(10**18, 10**6)
    assert candles["close"].iloc[-1] == float(exact) and candles["active_liquidity"].iloc[-1] == float(10**15 + 4 * 10**14)
    assert candles["volume"].sum() == 2500.0
    assert candles["liquidity"].iloc[-1] == float(Fraction((10**15 + 4 * 10**14) * SQRT, 2**96 * 10**6))
