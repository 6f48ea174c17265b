"""The pool's own time-weighted average price: a reference price one block cannot move.

A Uniswap v2 pool adds ``price x seconds`` to ``price0CumulativeLast``/``price1CumulativeLast``
(UQ112x112 fixed point) at the first touch of each block, with the price that held *before* that
block. Two readings of the accumulator, divided by the seconds between them, give the average price
over that span. A swap in the latest block has no weight in it until time passes: a searcher who
wants to move the reference must hold a moved price for minutes against every arbitrageur.

Readings are taken in the live loop (each cycle and each trigger check, one JSON-RPC batch for all
pools). When no reading is old enough yet (a fresh start), one is read at the block about a window
ago, if the node still has that block's state (archive and recent-state nodes do; anvil does).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.blocks import block_at_or_before
from trade_executor.chain.rpc_calls import RpcCaller

logger = logging.getLogger(__name__)

Q112 = 1 << 112
MOD_256 = 1 << 256
MOD_32 = 1 << 32
GET_RESERVES = "0x0902f1ac"
PRICE0_CUMULATIVE = "0x5909c0d5"
PRICE1_CUMULATIVE = "0x5a3d5493"
MAX_READINGS_PER_POOL = 10_000


@dataclass(frozen=True, slots=True)
class PoolReading:
    """A pool at one moment of chain time; ``cumulative0`` is extended to ``timestamp``."""

    reserve0: int
    reserve1: int
    timestamp: int
    cumulative0: int


@dataclass(frozen=True, slots=True)
class Twap:
    """Average price of token0 in token1 units (raw, no decimals) over ``seconds`` ending ``end``."""

    price0: Fraction
    seconds: int
    end: int


def _word(data: bytes, index: int) -> int:
    return int.from_bytes(data[32 * index : 32 * (index + 1)], "big")


def reading_from(reserves_data: bytes, cumulative0: int, timestamp: int) -> PoolReading | None:
    """Extend the accumulator from the pool's last update to ``timestamp`` with the price since then."""
    reserve0, reserve1, updated = _word(reserves_data, 0), _word(reserves_data, 1), _word(reserves_data, 2)
    if reserve0 == 0 or reserve1 == 0:
        return None
    now = max(timestamp, updated)  # a reading can be one block newer than the block header asked with it
    elapsed = (now - updated) % MOD_32
    extended = (cumulative0 + ((reserve1 << 112) // reserve0) * elapsed) % MOD_256
    return PoolReading(reserve0, reserve1, now, extended)


def twap_between(older: PoolReading, newer: PoolReading) -> Twap | None:
    seconds = newer.timestamp - older.timestamp
    if seconds <= 0:
        return None
    return Twap(Fraction((newer.cumulative0 - older.cumulative0) % MOD_256, seconds * Q112), seconds, newer.timestamp)


class TwapOracle:
    """Keeps each pool's readings for a window of chain time and answers its average price.

    ``min_seconds``: a TWAP over less than this (a pool observed only briefly) is no reference.
    """

    def __init__(self, web3: Web3, *, window_seconds: int = 900, min_seconds: int | None = None):
        self.web3 = web3
        self.window_seconds = window_seconds
        self.min_seconds = min_seconds if min_seconds is not None else max(1, window_seconds // 3)
        self._readings: dict[str, deque[PoolReading]] = {}
        self._bootstrap_tried: set[str] = set()
        self.latest: dict[str, PoolReading] = {}

    def observe(self, pools: list[str], *, block: int | str = "latest") -> dict[str, PoolReading]:
        """Read every pool now (one batch; at ``block`` when given a number), keep the readings, return them (their reserves are the spot)."""
        pools = list(dict.fromkeys(pools))
        if not pools:
            return {}
        timestamp, readings = read_pools(self.web3, pools, block if isinstance(block, str) else hex(block))
        for pool, reading in readings.items():
            self._keep(pool, reading)
        missing = [p for p in readings if p not in self._bootstrap_tried and self.twap(p) is None]
        if missing:
            self._bootstrap(missing, timestamp)
        return readings

    def twap(self, pool: str) -> Twap | None:
        """The average over about the window, ending at the latest reading; None while too little is known."""
        readings = self._readings.get(pool)
        if not readings:
            return None
        newest = readings[-1]
        base = None
        for reading in readings:  # oldest first: the newest reading at least a window old, else the oldest
            age = newest.timestamp - reading.timestamp
            if age >= self.window_seconds or base is None:
                base = reading
            if age < self.window_seconds:
                break
        if base is None or newest.timestamp - base.timestamp < self.min_seconds:
            return None
        return twap_between(base, newest)

    def _keep(self, pool: str, reading: PoolReading) -> None:
        readings = self._readings.setdefault(pool, deque(maxlen=MAX_READINGS_PER_POOL))
        if readings and readings[-1].timestamp >= reading.timestamp:
            readings[-1] = reading  # the same moment read again (the latest block did not move)
        else:
            readings.append(reading)
        self.latest[pool] = reading
        # Forget what is older than the newest reading that already spans the window.
        while len(readings) > 2 and reading.timestamp - readings[1].timestamp >= self.window_seconds:
            readings.popleft()

    def _bootstrap(self, pools: list[str], now: int) -> None:
        """Read the pools at the block about a window ago, once per pool; a node without that state is fine."""
        self._bootstrap_tried.update(pools)
        try:
            number = block_at_or_before(self._block_timestamp, self.web3.eth.block_number, now - self.window_seconds)
            if number is None:
                return
            _, past = read_pools(self.web3, pools, hex(number))
        except Exception as e:  # noqa: BLE001 - a pruned node, a pool that did not exist yet: no bootstrap, not an error
            logger.info("No past reading for the price reference (%s); it builds up from now on.", type(e).__name__)
            return
        for pool, reading in past.items():
            readings = self._readings.setdefault(pool, deque(maxlen=MAX_READINGS_PER_POOL))
            if not readings or readings[0].timestamp > reading.timestamp:
                readings.appendleft(reading)

    def _block_timestamp(self, number: int) -> int:
        return self.web3.eth.get_block(number)["timestamp"]


def read_pools(web3: Web3, pools: list[str], block: str) -> tuple[int, dict[str, PoolReading]]:
    """(block timestamp, readings) of several pools at one block, in one JSON-RPC batch."""
    calls: list[tuple[str, list]] = [("eth_getBlockByNumber", [block, False])]
    for pool in pools:
        for selector in (GET_RESERVES, PRICE0_CUMULATIVE):
            calls.append(("eth_call", [{"to": pool, "data": selector}, block]))
    responses = RpcCaller(web3.provider).batch(calls)  # a 429 from a provider is waited out, not a crash
    for response in responses:
        if "error" in response:
            raise ConnectionError(f"Reading the pools' prices failed: {response['error']}")
    header = responses[0]["result"]
    timestamp = int(header["timestamp"], 16) if isinstance(header["timestamp"], str) else int(header["timestamp"])
    readings = {}
    for index, pool in enumerate(pools):
        reserves = bytes.fromhex(responses[1 + 2 * index]["result"].removeprefix("0x"))
        cumulative = responses[2 + 2 * index]["result"].removeprefix("0x")
        if len(reserves) < 96 or not cumulative:
            raise ConnectionError(f"Pool {pool} has no Uniswap v2 price accumulator at block {block}.")
        reading = reading_from(reserves, int(cumulative, 16), timestamp)
        if reading is not None:
            readings[pool] = reading
    return timestamp, readings
