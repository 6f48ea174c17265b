"""Download Uniswap v3 pools' histories (Swap, Mint, Burn, Initialize) into the pool history cache.

The v2 downloader's reading, committing and resuming (execution/uniswap_v2/pool_download.py) with v3
events: a Swap carries the pool's state after it (sqrtPriceX96, active liquidity L, tick) and the
signed amounts; Mint and Burn carry a range's liquidity change (ticks indexed in the topics); the
pool's Initialize sets its first price. A new cache also records the pool's state just before its
first block (slot0 and liquidity at that block), so its candles open at the price then standing and
its L is known before the first swap (market/pool_candles_v3.py keeps L exact through Mint and Burn).
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.market.fee_tiers import format_fee_pips
from trade_executor.market.pool_history import PoolEvents, PoolMetadata, TokenInfo


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
        fee, state = pool_fee_and_state(self.caller, pool, start_block - 1 if start_block > 0 else None)
        return PoolMetadata(self.chain_id, pool, token0, token1, start_block, start_block, pair=name, fee_pips=fee, start_state=state)


def pool_fee_and_state(caller: RpcCaller, pool: str, block: int | None) -> tuple[int, list[int] | None]:
    """(fee tier, [sqrtPriceX96, tick, liquidity] at ``block`` or None when not initialised then / ``block`` is None)."""
    at = hex(block) if block is not None else "latest"
    answers = caller.batch([("eth_call", [{"to": pool, "data": call_data(name)}, at]) for name in ("fee", "slot0", "liquidity")])
    if "error" in answers[0] or not answers[0].get("result") or answers[0]["result"] == "0x":
        raise ConfigurationError(f"{pool} answered no fee(): is it a Uniswap v3 pool on this chain?")
    fee = decode_result("fee", answers[0]["result"])[0]
    if block is None or any("error" in a or not a.get("result") or a["result"] == "0x" for a in answers[1:]):
        return fee, None  # before the pool existed (or a node that keeps no state that old): the history starts at its Initialize
    sqrt_price, tick = decode_result("slot0", answers[1]["result"])[:2]
    return fee, ([sqrt_price, tick, decode_result("liquidity", answers[2]["result"])[0]] if sqrt_price else None)


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
