"""A long devnet history for chain-data tests and benchmarks, built in seconds and cached.

Reading a pool's history within a provider's limits only shows its problems on a long chain:
hundreds of thousands of blocks, tens of thousands of swaps, stretches where a 2,000-block query
returns more than 10,000 logs. Mining that one swap per transaction takes many minutes, so the
SwapChurner contract (contracts/) makes a block's swaps in one transaction, empty stretches are
mined in bulk (``anvil_mine`` with a count and an interval), and the whole chain is dumped once
and loaded into each test's anvil (``--load-state``), keyed by the hash of everything that
shapes it.

Prices follow a smooth path with noise: each swap's direction is drawn towards the path from
the pool's exact reserves, which this module tracks with the pool's own integer maths (nobody
else trades on this chain). Liquidity is added a few times, so the liquidity series moves too.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import requests
from eth_abi import encode
from eth_utils import keccak

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import Deployer, deploy_uniswap_v2, load_token_artifact, load_uniswap_artifact
from trade_executor.market.amm import get_amount_out

CHURN_SELECTOR = "0x" + keccak(text="churn(address[],uint256[],uint256[])")[:4].hex()


@dataclass(frozen=True)
class HistoryPlan:
    """The shape of the history. ``busy_blocks`` consecutive blocks of ``busy_swaps`` swaps per pool
    put more than 10,000 logs into any 2,000-block range around them (the providers' result cap)."""

    prices: dict[str, str] = field(default_factory=lambda: {"ETH": "2500", "BTC": "42000"})
    liquidity_usd: int = 2_000_000
    start_timestamp: int = 1_704_067_200  # 2024-01-01 00:00 UTC
    block_seconds: int = 12
    blocks: int = 200_000
    swap_blocks: int = 1_000  # fewer, fuller blocks build faster (about 5 ms a block, 0.3 ms a swap on anvil)
    swaps_per_block: int = 20
    busy_blocks: int = 300
    busy_swaps: int = 20
    liquidity_changes: int = 6
    seed: int = 12

    @property
    def sync_events(self) -> int:
        return len(self.prices) * (self.swap_blocks * self.swaps_per_block + self.busy_blocks * self.busy_swaps + self.liquidity_changes + 1)


@dataclass(frozen=True)
class ChainHistory:
    """What a built history holds: the devnet's addresses and the blocks the swaps span."""

    deployment: dict  # chain id, WETH and USDC (the node URL is not part of a cached history)
    pools: dict[str, str]  # "ETH-USDC" -> pool address
    tokens: dict[str, str]
    factory: str
    router: str
    first_swap_block: int
    last_block: int
    start_timestamp: int
    sync_events: int
    seconds_to_build: float


def _rpc(url: str, method: str, *params, timeout: float = 600):
    answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=timeout).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


class _Calls:
    """Calls one at a time on one keep-alive connection: anvil runs a batch's calls concurrently, so a
    block's transactions and its mining cannot share a batch."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False

    def __call__(self, method: str, *params):
        answer = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=600).json()
        if "error" in answer:
            raise RuntimeError(f"building the history failed: {method}: {answer['error']}")
        return answer["result"]


class _Pool:
    """A pool's reserves, tracked exactly as the pair computes them."""

    def __init__(self, address: str, base_is_token0: bool, reserve_base: int, reserve_quote: int, scale: float):
        self.address, self.base_is_token0 = address, base_is_token0
        self.base, self.quote, self.scale = reserve_base, reserve_quote, scale

    def price(self) -> float:
        return self.quote / self.base * self.scale

    def swap(self, sell_base: bool, amount_in: int) -> None:
        if sell_base:
            out = get_amount_out(amount_in, self.base, self.quote)
            self.base, self.quote = self.base + amount_in, self.quote - out
        else:
            out = get_amount_out(amount_in, self.quote, self.base)
            self.base, self.quote = self.base - out, self.quote + amount_in


def _target(symbol_index: int, progress: float, start: float) -> float:
    """A smooth price path: a few swings over the history, different for each pool."""
    phase = 1.3 * symbol_index
    return start * math.exp(0.18 * math.sin(2 * math.pi * (2.5 * progress) + phase) + 0.06 * math.sin(2 * math.pi * 11 * progress + phase))


def _block_swaps(pools: list[_Pool], starts: list[float], progress: float, swaps: int, rng: random.Random) -> str:
    """Calldata of one churn(...) call: ``swaps`` swaps per pool, drawn towards each pool's path."""
    amounts: list[int] = []
    words: list[int] = []
    for index, pool in enumerate(pools):
        word = 0
        for j in range(swaps):
            pull = math.log(_target(index, progress, starts[index]) / pool.price())
            sell_base = rng.random() > 0.5 + 0.45 * math.tanh(25 * pull)
            fraction = rng.uniform(0.0002, 0.002)
            amount = max(1, int((pool.base if sell_base else pool.quote) * fraction))
            pool.swap(sell_base, amount)
            amounts.append(amount)
            sells_token0 = sell_base == pool.base_is_token0
            word |= int(sells_token0) << j
        words.append(word)
    arguments = encode(["address[]", "uint256[]", "uint256[]"], [[p.address for p in pools], amounts, words])
    return CHURN_SELECTOR + arguments.hex()


def _schedule(plan: HistoryPlan, first: int) -> dict[int, int]:
    """Block number -> swaps per pool in it: sparse blocks spread at random, one busy stretch."""
    rng = random.Random(plan.seed)
    last = first + plan.blocks - 1
    busy_start = first + plan.blocks * 3 // 5
    busy = set(range(busy_start, busy_start + plan.busy_blocks))
    sparse = set(rng.sample([b for b in range(first + 10, last - 10) if b not in busy and b - 1 not in busy], plan.swap_blocks))
    return {b: (plan.busy_swaps if b in busy else plan.swaps_per_block) for b in sorted(sparse | busy)}


def build_history(anvil: Anvil, plan: HistoryPlan) -> ChainHistory:
    """Deploy the devnet and mine the whole history into ``anvil`` (started with ``long_history=True``)."""
    started = time.monotonic()
    web3 = create_web3(anvil.url, timeout=60)
    deployer = HotWallet(ANVIL_PRIVATE_KEYS[0])
    prices = {symbol: Decimal(price) for symbol, price in plan.prices.items()}
    deployment = deploy_uniswap_v2(web3, deployer, prices=prices, liquidity_usd=Decimal(plan.liquidity_usd))
    d = Deployer(web3, deployer)
    churner = d.deploy(json.loads(files("trade_executor.devnet.artifacts").joinpath("SwapChurner.json").read_text()))
    pools = _fund_churner(d, deployment, churner.address, prices, plan)
    starts = [pool.price() for pool in pools]

    call = _Calls(anvil.url)
    call("evm_setAutomine", False)
    call("evm_setNextBlockTimestamp", hex(plan.start_timestamp))
    call("anvil_mine", "0x1", "0x0")
    first = int(call("eth_blockNumber"), 16) + 1
    schedule = _schedule(plan, first)
    liquidity_blocks = {first + plan.blocks * (i + 1) // (plan.liquidity_changes + 1) for i in range(plan.liquidity_changes)}
    rng = random.Random(plan.seed + 1)
    nonce = _Nonces(int(call("eth_getTransactionCount", deployer.address, "pending"), 16))
    interval = hex(plan.block_seconds)
    block = first
    for number in sorted(set(schedule) | liquidity_blocks):
        if number > block:
            call("anvil_mine", hex(number - block), interval)
        if number in schedule:
            data = _block_swaps(pools, starts, (number - first) / plan.blocks, schedule[number], rng)
            call("eth_sendTransaction", {"from": deployer.address, "to": churner.address, "data": data, "gas": hex(12_000_000), "nonce": nonce()})
        if number in liquidity_blocks:
            for transaction in _add_liquidity(deployment, deployer.address, pools, 0.15, nonce):
                call("eth_sendTransaction", transaction)
        call("anvil_mine", "0x1", interval)
        block = number + 1
    call("anvil_mine", hex(first + plan.blocks - block), interval)
    call("evm_setAutomine", True)
    last = int(_rpc(anvil.url, "eth_blockNumber"), 16)
    return ChainHistory(
        deployment={"chain_id": deployment.chain_id, "weth": deployment.weth, "usdc": deployment.usdc},
        pools=dict(deployment.pairs), tokens=dict(deployment.tokens), factory=deployment.factory, router=deployment.router,
        first_swap_block=min(schedule), last_block=last, start_timestamp=plan.start_timestamp, sync_events=plan.sync_events,
        seconds_to_build=round(time.monotonic() - started, 1),
    )  # fmt: skip


def _fund_churner(d: Deployer, deployment, churner: str, prices: dict[str, Decimal], plan: HistoryPlan) -> list[_Pool]:
    """Give the churner ten times each pool's reserves in both tokens; return the pools' exact reserves."""
    web3 = d.web3
    pair_abi = load_uniswap_artifact("UniswapV2Pair")["abi"]
    token_abi = load_token_artifact()["abi"]
    usdc = web3.eth.contract(address=deployment.usdc, abi=token_abi)
    weth = web3.eth.contract(address=deployment.weth, abi=load_uniswap_artifact("WETH9")["abi"])
    pools = []
    for symbol in prices:
        pair = web3.eth.contract(address=deployment.pairs[f"{symbol}-USDC"], abi=pair_abi)
        reserve0, reserve1, _ = pair.functions.getReserves().call()
        base_is_token0 = pair.functions.token0().call() == deployment.tokens[symbol]
        reserve_base, reserve_quote = (reserve0, reserve1) if base_is_token0 else (reserve1, reserve0)
        decimals = 18 if symbol == "ETH" else 8
        pools.append(_Pool(pair.address, base_is_token0, reserve_base, reserve_quote, 10.0 ** (decimals - 6)))
        if symbol == "ETH":
            d.call(weth.functions.deposit(), value=reserve_base * 12)
            d.call(weth.functions.transfer(churner, reserve_base * 12))
        else:
            d.call(web3.eth.contract(address=deployment.tokens[symbol], abi=token_abi).functions.mint(churner, reserve_base * 12))
        d.call(usdc.functions.mint(churner, reserve_quote * 12))
    return pools


class _Nonces:
    """The deployer's next nonces, counted here: anvil would give two queued transactions the same one."""

    def __init__(self, first: int):
        self.next = first

    def __call__(self) -> str:
        self.next += 1
        return hex(self.next - 1)


def _add_liquidity(deployment, deployer: str, pools: list[_Pool], fraction: float, nonce: _Nonces) -> list[dict]:
    """Transactions that add ``fraction`` of each pool's reserves at its price (a Sync without a Swap)."""
    calls = []
    for pool in pools:
        base_token = _token_of(deployment, pool)
        add_base, add_quote = int(pool.base * fraction), int(pool.quote * fraction)
        for token, amount in ((base_token, add_base), (deployment.usdc, add_quote)):
            data = "0x40c10f19" + encode(["address", "uint256"], [pool.address, amount]).hex()  # mint(address,uint256)
            if token == deployment.weth:
                calls.append({"from": deployer, "to": token, "value": hex(amount), "data": "0xd0e30db0", "gas": hex(100_000), "nonce": nonce()})
                data = "0xa9059cbb" + encode(["address", "uint256"], [pool.address, amount]).hex()  # transfer(address,uint256)
            calls.append({"from": deployer, "to": token, "data": data, "gas": hex(200_000), "nonce": nonce()})
        mint = "0x6a627842" + encode(["address"], [deployer]).hex()  # pair.mint(address)
        calls.append({"from": deployer, "to": pool.address, "data": mint, "gas": hex(300_000), "nonce": nonce()})
        pool.base, pool.quote = pool.base + add_base, pool.quote + add_quote
    return calls


def _token_of(deployment, pool: _Pool) -> str:
    ticker = next(t for t, address in deployment.pairs.items() if address == pool.address)
    return deployment.tokens[ticker.split("-")[0]]


def history_key(plan: HistoryPlan) -> str:
    """Everything that shapes the chain: this module, the contracts, the deployment code, the plan, anvil."""
    from trade_executor.devnet import anvil as anvil_module
    from trade_executor.devnet import deploy

    digest = hashlib.sha256()
    for path in (Path(__file__), Path(deploy.__file__), Path(anvil_module.__file__)):
        digest.update(path.read_bytes())
    digest.update(files("trade_executor.devnet.artifacts").joinpath("SwapChurner.json").read_bytes())
    digest.update(json.dumps(asdict(plan), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def cached_history(cache_dir: Path, work_dir: Path, plan: HistoryPlan = HistoryPlan()) -> tuple[Path, ChainHistory]:
    """(anvil state file to load, what it holds): built once per ``history_key``, kept gzipped in ``cache_dir``."""
    key = history_key(plan)
    archive, description = cache_dir / f"history-{key}.json.gz", cache_dir / f"history-{key}.meta.json"
    if not (archive.exists() and description.exists()):
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("history-*"):
            old.unlink()
        with Anvil(timestamp=plan.start_timestamp - 3600, balance=10**9, long_history=True) as anvil:
            history = build_history(anvil, plan)
            dump = _rpc(anvil.url, "anvil_dumpState")
        partial = archive.with_suffix(".tmp")
        partial.write_bytes(bytes.fromhex(dump.removeprefix("0x")))  # anvil's dump is already gzipped JSON
        partial.replace(archive)
        description.write_text(json.dumps(asdict(history)))
    state = work_dir / f"history-{key}.json"
    if not state.exists():
        with gzip.open(archive, "rb") as source, open(state, "wb") as target:
            shutil.copyfileobj(source, target, length=1 << 20)
    return state, ChainHistory(**json.loads(description.read_text()))
