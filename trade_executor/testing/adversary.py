"""An adversary on a devnet: a second account that swaps against the executor's pools as a searcher does.

It trades through the real Uniswap v2 router, with real swaps signed by its own key (an anvil dev
account, never the deployer's, whose nonces the devnet fixtures use):

- ``dump(ticker, 0.3)`` / ``pump(ticker, 0.3)`` / ``move_to(ticker, price)``: one swap that moves the
  pool's spot price, e.g. just before a cycle or a trigger check;
- ``restore(ticker)``: the back-run, one swap that puts the pool back where it was before the first
  move not yet restored;
- ``front_running(ticker, victim=..., move=...)``: a mempool front-runner. Automine goes off; a thread
  watches ``txpool_content`` for a transaction from ``victim`` to the router, then sends its own swap
  with a higher priority fee and mines one block (``evm_mine``), so its swap lands first in the same
  block as the victim's.

``V3Adversary`` is the same searcher on Uniswap v3 pools (SwapRouter02 swaps limited at the target price).

Its capital (``budget_multiple`` times each pool's reserves) is dealt by anvil's ``anvil_dealERC20``
cheat code at set-up: a searcher arrives with money; how it got it is not part of the attack.
Nothing here sleeps to wait for the chain: it polls with a deadline.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import DevnetDeployment
from trade_executor.devnet.market_simulator import FAR_DEADLINE, MAX_UINT256, SIMULATOR_SWAP_GAS, MarketSimulator
from trade_executor.devnet.market_simulator_v3 import V3_SWAP_GAS, V3MarketSimulator
from trade_executor.runner.observers import LiveObserver
from trade_executor.state import State, TradeExecution

ADVERSARY_KEY = ANVIL_PRIVATE_KEYS[3]
GWEI = 10**9
SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex().removeprefix("0x")


def chain_time(web3: Web3) -> int:
    """The latest block's timestamp (seconds)."""
    return web3.eth.get_block("latest")["timestamp"]


def chain_datetime(web3: Web3) -> datetime.datetime:
    """The latest block's time as a naive UTC datetime, as the trader's clock gives it."""
    return datetime.datetime.fromtimestamp(chain_time(web3), datetime.UTC).replace(tzinfo=None)


def advance_time(anvil: Anvil, seconds: int) -> None:
    """Move the chain's clock forward and mine an empty block there (time passes, no one trades)."""
    anvil.rpc("evm_increaseTime", int(seconds))
    anvil.rpc("evm_mine")


def ensure_history(anvil: Anvil, deployment: DevnetDeployment, seconds: int = 20 * 60) -> None:
    """Make every pool's last update at least ``seconds`` old in chain time, so a TWAP has a window to read."""
    web3 = create_web3(anvil.url)
    oldest_update = min(
        web3.eth.contract(address=pool, abi=load_abi("UniswapV2Pair")).functions.getReserves().call()[2] for pool in deployment.pairs.values()
    )
    missing = oldest_update + seconds - chain_time(web3)
    if missing > 0:
        advance_time(anvil, missing)


def swaps_by(web3: Web3, pool: str, recipient: str) -> list[dict]:
    """The pool's Swap events whose output went to ``recipient``: each swap of that wallet on this pool, once."""
    logs = web3.eth.get_logs({"address": pool, "topics": [SWAP_TOPIC], "fromBlock": 0, "toBlock": "latest"})
    return [log for log in logs if Web3.to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()) == Web3.to_checksum_address(recipient)]


def transactions_sent(web3: Web3, address: str) -> int:
    """How many transactions ``address`` has sent, mined or waiting in the mempool (its pending nonce)."""
    return web3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")


def approve_router(web3: Web3, private_key: str, router: str, tokens: list[str]) -> None:
    """Let the router spend ``tokens`` of the wallet (before its trader starts), so later transactions are swaps only."""
    builder = TransactionBuilder(web3, HotWallet(private_key))
    for token in tokens:
        erc20 = web3.eth.contract(address=Web3.to_checksum_address(token), abi=load_abi("ERC20"))
        send_and_wait(web3, builder.sign_call(erc20.functions.approve(Web3.to_checksum_address(router), MAX_UINT256)))


class TradeRecorder(LiveObserver):
    """Keeps every trade the trader notified (``trades_executed``), in order."""

    def __init__(self):
        self.trades: list[TradeExecution] = []

    def trades_executed(self, trades: list[TradeExecution], state: State) -> None:
        self.trades.extend(trades)


@dataclass
class FrontRun:
    """What the front-runner saw and did; filled by its thread."""

    victim_tx: str | None = None
    own_tx: str | None = None
    block_number: int | None = None
    error: BaseException | None = None


class Adversary(MarketSimulator):
    """A searcher's account on ``anvil``, trading the deployment's pools through the real router.

    A MarketSimulator (its closed-form swap sizing and router swaps) whose capital is dealt by anvil
    instead of minted by the deployer.
    """

    def __init__(self, anvil: Anvil, deployment: DevnetDeployment, *, private_key: str = ADVERSARY_KEY, budget_multiple: int = 10):
        self.anvil = anvil
        self._before: dict[str, Decimal] = {}
        super().__init__(create_web3(anvil.url), HotWallet(private_key), deployment, budget_multiple=budget_multiple)

    @property
    def address(self) -> str:
        return self.trader.address

    def _acquire(self, token: str, amount: int) -> None:
        """Set-up only: anvil deals the tokens (the deployer's mint rights and nonces stay untouched)."""
        held = self._erc20(token).functions.balanceOf(self.trader.address).call()
        self.anvil.rpc("anvil_dealERC20", self.trader.address, token, hex(held + amount))

    # --- moving the price --------------------------------------------------------------------

    def move_to(self, ticker: str, price: Decimal) -> str | None:
        """One swap that brings the pool's spot price to ``price``; remembers where it was for ``restore``."""
        self._before.setdefault(ticker, self.price(ticker))
        return self.move_price(ticker, Decimal(price))

    def dump(self, ticker: str, fraction: Decimal | float | str) -> str | None:
        """Sell the base token until the spot price is ``fraction`` (0.3 = 30%) lower."""
        return self.move_to(ticker, self.price(ticker) * (1 - Decimal(str(fraction))))

    def pump(self, ticker: str, fraction: Decimal | float | str) -> str | None:
        """Buy the base token until the spot price is ``fraction`` higher."""
        return self.move_to(ticker, self.price(ticker) * (1 + Decimal(str(fraction))))

    def restore(self, ticker: str) -> str | None:
        """The back-run: one swap back to the price before the first unrestored move."""
        return self.move_price(ticker, self._before.pop(ticker))

    # --- the mempool -------------------------------------------------------------------------

    @contextmanager
    def front_running(self, ticker: str, *, victim: str, move: Decimal | float | str, timeout: float = 20.0) -> Iterator[FrontRun]:
        """While the block runs, front-run the first transaction from ``victim`` to the router.

        ``move`` is the signed relative price move of the front-run swap (-0.05 dumps 5% before a
        victim's sell; +0.05 pumps 5% before a victim's buy). Automine is off inside the block and
        back on after it; anything left in the mempool is mined on the way out.
        """
        run = FrontRun()
        stop = threading.Event()
        self._before.setdefault(ticker, self.price(ticker))
        self.anvil.rpc("evm_setAutomine", False)
        thread = threading.Thread(target=self._watch, args=(ticker, Web3.to_checksum_address(victim), Decimal(str(move)), run, stop, timeout), daemon=True)
        thread.start()
        try:
            yield run
        finally:
            stop.set()
            thread.join(timeout)
            self.anvil.rpc("evm_setAutomine", True)
            if self._mempool():
                self.anvil.rpc("evm_mine")
        if run.error is not None:
            raise run.error

    def _mempool(self) -> list[dict]:
        content = self.anvil.rpc("txpool_content")
        return [tx for section in ("pending", "queued") for by_nonce in content.get(section, {}).values() for tx in by_nonce.values()]

    def _watch(self, ticker: str, victim: str, move: Decimal, run: FrontRun, stop: threading.Event, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        router = self.router.address.lower()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                seen = [tx for tx in self._mempool() if tx["from"].lower() == victim.lower() and (tx.get("to") or "").lower() == router]
                if seen:
                    run.victim_tx = seen[0]["hash"]
                    run.own_tx = self._send_ahead_of(ticker, seen[0], move)
                    self.anvil.rpc("evm_mine")
                    run.block_number = self.web3.eth.block_number
                    return
                stop.wait(0.005)  # the poll interval; the deadline bounds the wait
        except BaseException as e:  # noqa: BLE001 - handed to the test's thread by front_running
            run.error = e

    def front_run_swap(self, ticker: str, move: Decimal) -> tuple[object, int]:
        """The router call that moves ``ticker`` by ``move`` (relative), and its gas limit: the venue's part of a front-run."""
        plan = self.plan_swap(ticker, self.price(ticker) * (1 + move))
        if plan is None:
            raise ValueError(f"A front-run move of {move} on {ticker} needs no swap")
        token_in, token_out, amount_in, _ = plan
        return self.router.functions.swapExactTokensForTokens(amount_in, 0, [token_in, token_out], self.trader.address, FAR_DEADLINE), SIMULATOR_SWAP_GAS

    def _send_ahead_of(self, ticker: str, victim_tx: dict, move: Decimal) -> str:
        swap, gas = self.front_run_swap(ticker, move)
        tip = int(victim_tx.get("maxPriorityFeePerGas") or victim_tx.get("gasPrice"), 16) + GWEI
        max_fee = int(victim_tx.get("maxFeePerGas") or victim_tx.get("gasPrice"), 16) + 2 * GWEI
        transaction = swap.build_transaction({
            "from": self.trader.address, "chainId": self.builder.chain_id, "gas": gas,
            "nonce": self.builder.nonces.allocate(), "maxPriorityFeePerGas": tip, "maxFeePerGas": max_fee,
        })
        signed = self.trader.sign(transaction)
        self.web3.eth.send_raw_transaction(signed.raw)
        return signed.tx_hash


class V3Adversary(Adversary, V3MarketSimulator):
    """The same searcher on a devnet's Uniswap v3 pools (``deployment`` a DevnetV3Deployment; tickers are pool keys,
    "ETH-USDC-0.3%"): its moves are SwapRouter02 swaps limited at the target price (V3MarketSimulator)."""

    def front_run_swap(self, ticker: str, move: Decimal) -> tuple[object, int]:
        target = self.target_sqrt_price(ticker, self.price(ticker) * (1 + move))
        pool = self.pools[ticker]
        token0, token1 = (pool.base, pool.quote) if pool.base_is_token0 else (pool.quote, pool.base)
        token_in, token_out = (token0, token1) if target < self.sqrt_price(ticker) else (token1, token0)
        held = self._erc20(token_in).functions.balanceOf(self.trader.address).call()
        # All it holds, limited at the target: the pool takes only what reaching it costs.
        params = (token_in, token_out, self.deployment.fees[ticker], self.trader.address, held, 0, target)
        return self.router.functions.exactInputSingle(params), V3_SWAP_GAS
