"""A Uniswap v3 pool's state read from the chain, pinned to one block, as market.uniswap_v3_swap takes it.

Three JSON-RPC batches for any number of pools: slot0, liquidity, fee, tickSpacing and the tokens;
then the tick bitmap words around each pool's price; then ``ticks(tick).liquidityNet`` of every
initialised tick in those words. Each word covers 256 usable ticks (a factor of about 4.6 in price
at the 0.3 % tier's spacing of 60). The tick table only knows the words read: a swap that walks
beyond them raises ``TicksNotRead`` instead of quoting a pool without liquidity there.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError, SkipError
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.market.uniswap_v3_math import MAX_TICK, MIN_TICK
from trade_executor.market.uniswap_v3_swap import PoolState, TickTable

DEFAULT_WORDS_EACH_SIDE = 2
STATE_READS = ("slot0", "liquidity", "fee", "tickSpacing", "token0", "token1")


class TicksNotRead(SkipError, LookupError):
    """A swap walked past the tick bitmap words read: its quote would miss initialised ticks beyond them."""

    def __init__(self, pool: str, word: int, words: tuple[int, int]):
        super().__init__(
            f"The swap through pool {pool} reached tick bitmap word {word}, but only words {words[0]}..{words[1]} were read: "
            f"the quote would miss liquidity beyond them. Read more words (words_each_side), or quote a smaller amount."
        )
        self.pool, self.word, self.words = pool, word, words


class ReadTickTable(TickTable):
    """A TickTable that knows which bitmap words it was read from and refuses to answer beyond them."""

    __slots__ = ("pool", "first_word", "last_word")

    def __init__(self, tick_spacing: int, liquidity_net: dict[int, int], pool: str, words: tuple[int, int]):
        super().__init__(tick_spacing, liquidity_net)
        self.pool, (self.first_word, self.last_word) = pool, words

    def next_initialized_tick_within_one_word(self, tick: int, lte: bool) -> tuple[int, bool]:
        compressed = tick // self.tick_spacing
        word = compressed >> 8 if lte else (compressed + 1) >> 8
        if not self.first_word <= word <= self.last_word:
            raise TicksNotRead(self.pool, word, (self.first_word, self.last_word))
        return super().next_initialized_tick_within_one_word(tick, lte)


@dataclass(frozen=True)
class PoolSnapshot:
    """One pool at ``block``: its swap state (``state``), tokens and oracle slots of slot0."""

    pool: str
    block: int
    token0: str
    token1: str
    state: PoolState
    observation_index: int
    observation_cardinality: int
    observation_cardinality_next: int

    @property
    def words(self) -> tuple[int, int]:
        return self.state.ticks.first_word, self.state.ticks.last_word

    def price0(self) -> Fraction:
        """slot0's price: token1 units per token0 unit, exactly (sqrtPriceX96 squared over 2**192)."""
        return raw_price0(self.state.sqrt_price_x96)


def raw_price0(sqrt_price_x96: int) -> Fraction:
    return Fraction(sqrt_price_x96 * sqrt_price_x96, 1 << 192)


def word_range(tick: int, tick_spacing: int, words_each_side: int) -> tuple[int, int]:
    """The bitmap words around ``tick``'s word, kept within the words usable ticks can occupy."""
    word = (tick // tick_spacing) >> 8
    lowest, highest = (MIN_TICK // tick_spacing) >> 8, (MAX_TICK // tick_spacing) >> 8
    return max(word - words_each_side, lowest), min(word + words_each_side, highest)


def resolve_block(web3: Web3, block: int | str) -> int:
    """A block number for ``block`` ("latest", a tag, or a number), so that every later read sees the same state."""
    return block if isinstance(block, int) else web3.eth.get_block(block)["number"]


class PoolReader:
    """Reads pools' states in JSON-RPC batches (``caller``: rate limits and outages ridden out as for every read)."""

    def __init__(self, web3: Web3, *, caller: RpcCaller | None = None):
        self.web3 = web3
        self.caller = caller or RpcCaller(web3.provider)

    def read(self, pools: list[str], *, block: int | str = "latest", words_each_side: int | dict[str, int] = DEFAULT_WORDS_EACH_SIDE) -> dict[str, PoolSnapshot]:
        """Snapshots of ``pools`` at one block; ``words_each_side`` bitmap words either side of each price (per pool if a dict)."""
        pools = [Web3.to_checksum_address(p) for p in dict.fromkeys(pools)]
        number = resolve_block(self.web3, block)
        state = self._batch([(pool, name, ()) for pool in pools for name in STATE_READS], number)
        words: dict[str, tuple[int, int]] = {}
        for pool in pools:
            each_side = words_each_side.get(pool, DEFAULT_WORDS_EACH_SIDE) if isinstance(words_each_side, dict) else words_each_side
            words[pool] = word_range(state[pool, "slot0"][1], state[pool, "tickSpacing"][0], each_side)
        bitmap_calls = [(pool, "tickBitmap", (word,)) for pool in pools for word in range(words[pool][0], words[pool][1] + 1)]
        bitmaps = self._batch(bitmap_calls, number)
        initialised = []
        for pool, _, (word,) in bitmap_calls:
            bits, spacing = bitmaps[pool, "tickBitmap", word][0], state[pool, "tickSpacing"][0]
            initialised += [(pool, "ticks", (((word << 8) + bit) * spacing,)) for bit in range(256) if bits >> bit & 1]
        ticks = self._batch(initialised, number)
        snapshots = {}
        for pool in pools:
            nets = {tick: ticks[p, "ticks", tick][1] for p, _, (tick,) in initialised if p == pool}
            sqrt_price, tick, index, cardinality, cardinality_next, _, _ = state[pool, "slot0"]
            table = ReadTickTable(state[pool, "tickSpacing"][0], nets, pool, words[pool])
            pool_state = PoolState(sqrt_price, tick, state[pool, "liquidity"][0], state[pool, "fee"][0], table)
            token0, token1 = (Web3.to_checksum_address(state[pool, name][0]) for name in ("token0", "token1"))
            snapshots[pool] = PoolSnapshot(pool, number, token0, token1, pool_state, index, cardinality, cardinality_next)
        return snapshots

    def _batch(self, calls: list[tuple[str, str, tuple]], block: int) -> dict[tuple, tuple]:
        """(pool, read, first argument or nothing) -> decoded outputs, for every call, in one batch."""
        if not calls:
            return {}
        requests = [("eth_call", [{"to": pool, "data": call_data(name, *args)}, hex(block)]) for pool, name, args in calls]
        answers = self.caller.batch(requests)
        results = {}
        for (pool, name, args), answer in zip(calls, answers, strict=True):
            if "error" in answer:
                raise ConnectionError(f"Reading {name} of Uniswap v3 pool {pool} at block {block} failed: {answer['error']}")
            if answer.get("result") in (None, "0x"):
                raise ConfigurationError(f"{pool} answers no {name}() at block {block}: it is not a Uniswap v3 pool (or did not exist yet).")
            results[(pool, name, *args)] = decode_result(name, answer["result"])
        return results
