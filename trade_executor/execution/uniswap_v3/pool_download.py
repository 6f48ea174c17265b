"""Download Uniswap v3 pools' histories (Swap, Mint, Burn, Initialize) into the pool history cache.

The v2 downloader's reading, committing and resuming (execution/uniswap_v2/pool_download.py) with v3
events: a Swap carries the pool's state after it (sqrtPriceX96, active liquidity L, tick) and the
signed amounts; Mint and Burn carry a range's liquidity change (ticks indexed in the topics); the
pool's Initialize sets its first price. A new cache also records the pool's state just before its
first block (slot0 and liquidity at that block), so its candles open at the price then standing and
its L is known before the first swap (market/pool_candles_v3.py keeps L exact through Mint and Burn).

Positions minted before the first block are in no event the history holds, so a new cache also
records the pool's initialised ticks at that block: the tick bitmap words within START_TICK_REACH
ticks of its price (a factor of 16 in price either way: 3 words at the 1 % tier's spacing of 200, 5
at 0.3 %'s 60, 23 at 0.05 %'s 10, 219 at 0.01 %'s 1) and ``ticks(t)`` of every tick set in them, all
``eth_call``s pinned to that block, in batches. With the Mint and Burn events that follow, they give
the pool's tick table at any time of the history (market/pool_ranges.py). A pool created inside the
history needs none: its events are all there is. A cache written before these were kept gets them
on the next run, once.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.execution.uniswap_v3.pool_state import word_range
from trade_executor.market.fee_tiers import format_fee_pips
from trade_executor.market.pool_history import PoolEvents, PoolMetadata, TokenInfo

logger = logging.getLogger(__name__)


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


SWAP_V3_TOPIC = _topic("Swap(address,address,int256,int256,uint160,uint128,int24)")
# PancakeSwap v3's Swap also logs the protocol fees taken (uint128 protocolFeesToken0, protocolFeesToken1):
# another topic, and the same first five words of data
PANCAKESWAP_SWAP_V3_TOPIC = _topic("Swap(address,address,int256,int256,uint160,uint128,int24,uint128,uint128)")
SWAP_V3_TOPICS = (SWAP_V3_TOPIC, PANCAKESWAP_SWAP_V3_TOPIC)
MINT_TOPIC = _topic("Mint(address,address,int24,int24,uint128,uint256,uint256)")
BURN_TOPIC = _topic("Burn(address,int24,int24,uint128,uint256,uint256)")
INITIALIZE_TOPIC = _topic("Initialize(uint160,int24)")
GET_POOL = "0x1698ee82"  # getPool(address,address,uint24)
START_TICK_REACH = 27_727  # ticks either side of the start price whose bitmap words are read: 1.0001 ** 27,727 = 16.0
CALLS_PER_BATCH = 250
ZERO = "0x" + "00" * 20


def _hex_bytes(value) -> bytes:
    return bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)


def _int(value: int | str) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _signed_topic(topic) -> int:
    return int.from_bytes(_hex_bytes(topic), "big", signed=True)


def decode_v3_log(log: dict, events: PoolEvents, timestamp: int) -> None:
    """Append a v3 pool log's row: Swap (Uniswap's or PancakeSwap's) and Initialize to "v3_swap", Mint (+) and Burn (-) to "v3_range"; others skipped."""
    topics = log["topics"]
    topic = topics[0] if isinstance(topics[0], str) else "0x" + bytes(topics[0]).hex()
    data = _hex_bytes(log["data"])
    block, index = _int(log["blockNumber"]), _int(log["logIndex"])
    if topic in SWAP_V3_TOPICS:
        amount0, amount1, sqrt_price, liquidity, tick = decode(["int256", "int256", "uint160", "uint128", "int24"], data[: 5 * 32])
        events.add("v3_swap", block, index, timestamp, amount0, amount1, sqrt_price, liquidity, tick)
    elif topic == INITIALIZE_TOPIC:
        sqrt_price, tick = decode(["uint160", "int24"], data)
        events.add("v3_swap", block, index, timestamp, 0, 0, sqrt_price, 0, tick)
    elif topic in (MINT_TOPIC, BURN_TOPIC):
        lower, upper = _signed_topic(topics[-2]), _signed_topic(topics[-1])
        amount = decode(["address", "uint128"], data[:64])[1] if topic == MINT_TOPIC else decode(["uint128"], data[:32])[0]
        events.add("v3_range", block, index, timestamp, lower, upper, amount if topic == MINT_TOPIC else -amount)


class V3PoolDownloader(PoolDownloader):
    """Reads v3 pools' events into the cache; each new cache knows its fee tier and the state before its first block."""

    topics = (*SWAP_V3_TOPICS, MINT_TOPIC, BURN_TOPIC, INITIALIZE_TOPIC)
    move_topics = SWAP_V3_TOPICS
    decode_log = staticmethod(decode_v3_log)

    def new_metadata(self, pool: str, token0: TokenInfo, token1: TokenInfo, start_block: int, name: str | None) -> PoolMetadata:
        fee, spacing, state = pool_fee_and_state(self.caller, pool, start_block - 1 if start_block > 0 else None)
        metadata = PoolMetadata(self.chain_id, pool, token0, token1, start_block, start_block, pair=name, fee_pips=fee, start_state=state, tick_spacing=spacing)
        return with_start_ticks(self.caller, metadata)

    def open(self, pools: dict[str, tuple[TokenInfo, TokenInfo]], start_block: int, names: dict[str, str] | None = None) -> list[PoolMetadata]:
        """As for v2; a cache written before tick spacings and start ticks were kept gets them (read once, stored)."""
        opened = super().open(pools, start_block, names)
        return [self._complete(m) if _lacks_start_ticks(m) else m for m in opened]

    def _complete(self, metadata: PoolMetadata) -> PoolMetadata:
        try:
            return self.store.rewrite(with_start_ticks(self.caller, metadata))
        except ConnectionError as e:  # a node that no longer keeps that block's state: the history itself is still good
            logger.warning("Could not read the initialised ticks of pool %s before block %s (%s): its backtest fills stay in each candle's range.", metadata.pool, f"{metadata.first_block:,}", e)
            return metadata


def _lacks_start_ticks(metadata: PoolMetadata) -> bool:
    return metadata.is_v3 and (metadata.tick_spacing is None or (bool(metadata.start_state) and metadata.start_ticks is None))


def pool_fee_and_state(caller: RpcCaller, pool: str, block: int | None) -> tuple[int, int, list[int] | None]:
    """(fee tier, tick spacing, [sqrtPriceX96, tick, liquidity] at ``block`` or None when not initialised then / ``block`` is None)."""
    at = hex(block) if block is not None else "latest"
    reads = [("fee", "latest"), ("tickSpacing", "latest"), ("slot0", at), ("liquidity", at)]  # fee and spacing: fixed at creation
    answers = caller.batch([("eth_call", [{"to": pool, "data": call_data(name)}, when]) for name, when in reads])
    answered = ["error" not in a and a.get("result") not in (None, "0x") for a in answers]
    if not all(answered[:2]):
        raise ConfigurationError(f"{pool} answered no fee() or tickSpacing(): is it a Uniswap v3 pool on this chain?")
    fee, spacing = (decode_result(name, answer["result"])[0] for (name, _), answer in zip(reads[:2], answers, strict=False))
    if block is None or not all(answered[2:]):
        return fee, spacing, None  # before the pool existed (or a node that keeps no state that old): the history starts at its Initialize
    sqrt_price, tick = decode_result("slot0", answers[2]["result"])[:2]
    return fee, spacing, ([sqrt_price, tick, decode_result("liquidity", answers[3]["result"])[0]] if sqrt_price else None)


def tick_spacing(caller: RpcCaller, pool: str) -> int:
    """The pool's tick spacing (fixed at its creation: read at the latest block)."""
    return _pool_reads(caller, pool, None, [("tickSpacing", ())])[0][0]


def with_start_ticks(caller: RpcCaller, metadata: PoolMetadata) -> PoolMetadata:
    """``metadata`` with its pool's tick spacing and, when the pool was initialised before ``first_block``, the ticks
    initialised then (``start_ticks``, from the bitmap words ``start_words``)."""
    spacing = metadata.tick_spacing or tick_spacing(caller, metadata.pool)
    if not metadata.start_state or metadata.first_block == 0:
        return replace(metadata, tick_spacing=spacing)
    words, ticks = initialised_ticks(caller, metadata.pool, metadata.first_block - 1, metadata.start_state[1], spacing)
    return replace(metadata, tick_spacing=spacing, start_words=list(words), start_ticks=ticks)


def initialised_ticks(caller: RpcCaller, pool: str, block: int, tick: int, spacing: int) -> tuple[tuple[int, int], list[list[int]]]:
    """The bitmap words within START_TICK_REACH ticks of ``tick``, and [tick, liquidityGross, liquidityNet] of every tick
    initialised in them, as the pool held them at ``block``: two rounds of batched ``eth_call``s."""
    first, last = word_range(tick, spacing, -(-START_TICK_REACH // (256 * spacing)))
    words = range(first, last + 1)
    ticks = []
    for word, (bits,) in zip(words, _pool_reads(caller, pool, block, [("tickBitmap", (word,)) for word in words]), strict=True):
        while bits:
            lowest = bits & -bits
            ticks.append(((word << 8) + lowest.bit_length() - 1) * spacing)
            bits ^= lowest
    infos = _pool_reads(caller, pool, block, [("ticks", (t,)) for t in ticks])
    return (first, last), [[t, info[0], info[1]] for t, info in zip(ticks, infos, strict=True)]


def _pool_reads(caller: RpcCaller, pool: str, block: int | None, reads: list[tuple[str, tuple]]) -> list[tuple]:
    """The decoded outputs of pool reads at ``block`` (None: the latest), CALLS_PER_BATCH to a JSON-RPC batch."""
    at = hex(block) if block is not None else "latest"
    results = []
    for first in range(0, len(reads), CALLS_PER_BATCH):
        chunk = reads[first : first + CALLS_PER_BATCH]
        answers = caller.batch([("eth_call", [{"to": pool, "data": call_data(name, *args)}, at]) for name, args in chunk])
        for (name, args), answer in zip(chunk, answers, strict=True):
            if "error" in answer or answer.get("result") in (None, "0x"):
                why = answer.get("error", {}).get("message", "an empty answer")
                raise ConnectionError(f"Reading {name}{args or '()'} of Uniswap v3 pool {pool} at block {at} failed ({why}): does the node keep the state of that block?")
            results.append(decode_result(name, answer["result"]))
    return results


def find_v3_pools(caller: RpcCaller, factory: str, base_tokens: dict[str, str], quote_token: str, quote_symbol: str, tiers: tuple[int, ...]) -> dict[str, str]:
    """Pool address -> name ("ETH-USDC-0.3%") of every fee tier's pool the factory has for each base token."""
    wanted = [(symbol, base, fee) for symbol, base in base_tokens.items() for fee in tiers]
    calls = [("eth_call", [{"to": factory, "data": GET_POOL + encode(["address", "address", "uint24"], [base, quote_token, fee]).hex()}, "latest"]) for _, base, fee in wanted]
    names: dict[str, str] = {}
    for (symbol, _, fee), answer in zip(wanted, caller.batch(calls), strict=True):
        result = answer.get("result")
        if "error" in answer or not result or result == "0x":
            raise ConfigurationError(f"{factory} answered no pool ({answer.get('error', {}).get('message', 'empty answer')}): is UNISWAP_V3_FACTORY a Uniswap v3 factory on this chain?")
        pool = to_checksum_address(decode(["address"], _hex_bytes(result))[0])
        if pool.lower() != ZERO:
            names[pool] = f"{symbol}-{quote_symbol}-{format_fee_pips(fee)}"
    missing = sorted(set(base_tokens) - {name.split("-")[0] for name in names.values()})
    if missing:
        raise ConfigurationError(
            f"The v3 factory {factory} has no pool of {', '.join(missing)} against {quote_symbol} at any fee tier ({', '.join(format_fee_pips(t) for t in tiers)}). "
            "Check UNISWAP_V3_FACTORY and TOKEN_<SYMBOL>, or give the pools with --pool=0x...."
        )
    return names


def v3_fee_tiers(caller: RpcCaller, pools: list[str]) -> dict[str, int | None]:
    """Pool -> its fee tier if it is a v3 pool (it answers fee()), None for a v2 pair; one batch."""
    answers = caller.batch([("eth_call", [{"to": pool, "data": call_data("fee")}, "latest"]) for pool in pools])
    tiers: dict[str, int | None] = {}
    for pool, answer in zip(pools, answers, strict=True):
        result = answer.get("result")
        tiers[pool] = decode_result("fee", result)[0] if "error" not in answer and result and len(result) == 66 else None
    return tiers
