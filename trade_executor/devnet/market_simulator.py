"""A market on a devnet: swaps that walk a pool's price along a path, as arbitrageurs would.

The trader holds large token balances (minted or wrapped at set-up) and moves a pool's mid price
to a target with one router swap whose size is solved in closed form from the pool's reserves
and the LP fee, in integers, so the price lands on the target up to one token unit of rounding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import isqrt
from typing import Protocol

from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.gas import fetch_gas_pricing
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import QUOTE, DevnetDeployment, load_token_artifact
from trade_executor.errors import ConfigurationError, SkipError, TradeExecutorError
from trade_executor.market.amm import fee_fraction_to_ratio, get_amount_out

logger = logging.getLogger(__name__)

UNISWAP_V2_FEE = Decimal("0.003")
MAX_UINT256 = 2**256 - 1
SIMULATOR_SWAP_GAS = 300_000
FAR_DEADLINE = 2**63  # a devnet market maker has no use for a swap deadline
GAS_RESERVE = 10**18  # native ETH the trader keeps for gas when it wraps ETH
CLOSE_ENOUGH = Fraction(1, 10**6)  # a price this close (relative) to the target is not worth a swap


class StopEvent(Protocol):
    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Pool:
    ticker: str
    pair: object  # web3 contract
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    base_is_token0: bool


class MarketSimulator:
    """Moves devnet pool prices with router swaps signed locally by ``trader``.

    Set-up (here, in the constructor) gives the trader ``budget_multiple`` times each pool's
    reserves in both tokens: it mints USDC and base tokens (so the trader must be the deployer,
    the tokens' owner) and wraps native ETH into WETH, and approves the router once.
    """

    def __init__(self, web3: Web3, trader: HotWallet, deployment: DevnetDeployment, *, budget_multiple: int = 10, fee: Decimal = UNISWAP_V2_FEE):
        self.web3 = web3
        self.trader = trader
        self.deployment = deployment
        self.fee = fee
        self.builder = TransactionBuilder(web3, trader)
        self._contracts: dict[str, object] = {}
        self._pricing, self._pricing_uses = None, 0
        self.router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
        self.pools = {ticker: self._load_pool(ticker, address) for ticker, address in deployment.pairs.items()}
        self._set_up(budget_multiple)

    def _load_pool(self, ticker: str, address: str) -> Pool:
        symbol, quote_symbol = ticker.split("-")
        base, quote = self.deployment.tokens[symbol], self.deployment.tokens[quote_symbol]
        pair = self.web3.eth.contract(address=address, abi=load_abi("UniswapV2Pair"))
        return Pool(ticker, pair, base, quote, self._erc20(base).functions.decimals().call(), self._erc20(quote).functions.decimals().call(), pair.functions.token0().call() == base)

    def _erc20(self, address: str):
        contract = self._contracts.get(address)
        if contract is None:  # building a contract object parses its ABI: cache it
            contract = self._contracts[address] = self.web3.eth.contract(address=address, abi=load_abi("ERC20"))
        return contract

    def _gas_pricing(self):
        """Refreshed every 50 swaps: a devnet's base fee moves slowly, and the max fee has 2x headroom."""
        if self._pricing is None or self._pricing_uses >= 50:
            self._pricing, self._pricing_uses = fetch_gas_pricing(self.web3), 0
        self._pricing_uses += 1
        return self._pricing

    def _set_up(self, budget_multiple: int) -> None:
        needs: dict[str, int] = {}
        for pool in self.pools.values():
            reserve_base, reserve_quote = self.reserves(pool.ticker)
            needs[pool.base] = needs.get(pool.base, 0) + reserve_base * budget_multiple
            needs[pool.quote] = needs.get(pool.quote, 0) + reserve_quote * budget_multiple
        for token, amount in needs.items():
            held = self._erc20(token).functions.balanceOf(self.trader.address).call()
            if held < amount:
                self._acquire(token, amount - held)
            self._send(self._erc20(token).functions.approve(self.router.address, MAX_UINT256))

    def _acquire(self, token: str, amount: int) -> None:
        if token == self.deployment.weth:
            native = self.web3.eth.get_balance(self.trader.address)
            amount = min(amount, native - GAS_RESERVE)
            if amount <= 0:
                logger.warning("The market simulator's trader %s has no native ETH to wrap into WETH", self.trader.address)
                return
            weth = self.web3.eth.contract(address=token, abi=load_abi("WETH9"))
            self._send(weth.functions.deposit(), value=amount)
            return
        mintable = self.web3.eth.contract(address=token, abi=load_token_artifact()["abi"])
        owner = mintable.functions.owner().call()
        if owner != self.trader.address:
            raise ConfigurationError(f"The market simulator's trader {self.trader.address} cannot mint {token}: only its owner {owner} (the deployer) can. Use the deployer's wallet as the trader.")
        self._send(mintable.functions.mint(self.trader.address, amount))

    def _send(self, function, *, value: int = 0):
        return send_and_wait(self.web3, self.builder.sign_call(function, value=value))

    def reserves(self, ticker: str) -> tuple[int, int]:
        """(base, quote) reserves of the pool, in token units."""
        pool = self.pools[ticker]
        reserve0, reserve1, _ = pool.pair.functions.getReserves().call()
        return (reserve0, reserve1) if pool.base_is_token0 else (reserve1, reserve0)

    def price(self, ticker: str) -> Decimal:
        """The pool's mid price in quote per base (USD per token), decimals-adjusted."""
        pool = self.pools[ticker]
        reserve_base, reserve_quote = self.reserves(ticker)
        return _to_price(Fraction(reserve_quote, reserve_base), pool)

    def plan_swap(self, ticker: str, target_price: Decimal) -> tuple[str, str, int, int] | None:
        """(token in, token out, amount in, expected amount out) that brings the price to target, or None
        when the price is already within a millionth of it."""
        if target_price <= 0:
            raise ValueError(f"target price must be positive, got {target_price}")
        pool = self.pools[ticker]
        reserve_base, reserve_quote = self.reserves(ticker)
        target = Fraction(target_price) * 10**pool.quote_decimals / 10**pool.base_decimals  # quote units per base unit
        current = Fraction(reserve_quote, reserve_base)
        if abs(current / target - 1) <= CLOSE_ENOUGH:
            return None
        if current < target:  # buy base with quote: the in-token is quote
            token_in, token_out, reserve_in, reserve_out, ratio = pool.quote, pool.base, reserve_quote, reserve_base, target
        else:  # sell base for quote
            token_in, token_out, reserve_in, reserve_out, ratio = pool.base, pool.quote, reserve_base, reserve_quote, 1 / target
        amount_in = solve_amount_in(reserve_in, reserve_out, ratio, self.fee)
        amount_out = get_amount_out(amount_in, reserve_in, reserve_out, self.fee) if amount_in > 0 else 0
        if amount_out <= 0:  # the pool cannot move by less than one token unit
            return None
        return token_in, token_out, amount_in, amount_out

    def move_price(self, ticker: str, target_price: Decimal) -> str | None:
        """Swap through the router so the pool's mid price becomes ``target_price``; the tx hash, or None if no swap is needed."""
        if ticker not in self.pools:
            raise ConfigurationError(f"No pool {ticker!r} on this devnet; have {', '.join(self.pools)}.")
        plan = self.plan_swap(ticker, target_price)
        if plan is None:
            return None
        token_in, token_out, amount_in, amount_out = plan
        held = self._erc20(token_in).functions.balanceOf(self.trader.address).call()
        if held < amount_in:
            symbol = QUOTE if token_in == self.pools[ticker].quote else ticker.split("-")[0]
            raise InsufficientBudget(f"Moving {ticker} to {target_price} needs {amount_in} units of {symbol} ({token_in}); the market simulator holds {held}.")
        # amountOutMin 0: the simulator is the market, it takes whatever price the pool gives.
        swap = self.router.functions.swapExactTokensForTokens(amount_in, 0, [token_in, token_out], self.trader.address, FAR_DEADLINE)
        # A fixed limit above any single-pool swap (~150k at worst): no estimate round trip per move.
        gas = SIMULATOR_SWAP_GAS
        receipt = send_and_wait(self.web3, self.builder.sign_call(swap, gas=gas, gas_pricing=self._gas_pricing()))
        logger.debug("Moved %s to %s: %d in for %d out", ticker, target_price, amount_in, amount_out)
        return Web3.to_hex(receipt["transactionHash"])

    def run(self, prices: Iterable[Decimal], ticker: str, interval_seconds: float, stop_event: StopEvent) -> int:
        """Move ``ticker`` to each price in turn, one per ``interval_seconds``, until the path ends or
        ``stop_event`` is set. A failed step is logged and the walk goes on. Returns the steps taken."""
        steps = 0
        next_step = time.monotonic()
        for price in prices:
            if stop_event.is_set():
                break
            try:
                self.move_price(ticker, price)
                logger.info("Market simulator: %s at %s", ticker, price)
            except (TradeExecutorError, ValueError) as e:
                logger.warning("Market simulator could not move %s to %s: %s", ticker, price, e)
            steps += 1
            next_step += interval_seconds
            if stop_event.wait(max(0.0, next_step - time.monotonic())):
                break
        return steps


class InsufficientBudget(SkipError):
    """The market simulator's balances cannot pay for the swap a price move needs."""


def solve_amount_in(reserve_in: int, reserve_out: int, ratio: Fraction, fee: Decimal = UNISWAP_V2_FEE) -> int:
    """The input amount that leaves the pool with reserve_in / reserve_out == ``ratio`` after a swap.

    With the fee as f_num/f_den (997/1000), a swap of ``a`` in leaves reserve_in + a and
    reserve_out * f_den * reserve_in / (f_den * reserve_in + f_num * a), so
    f_num a^2 + (f_den + f_num) R_in a + f_den R_in (R_in - ratio R_out) = 0:
    solved with an integer square root, then the neighbour whose integer fill lands closest wins.
    """
    if ratio * reserve_out <= reserve_in:
        return 0
    f_num, f_den = fee_fraction_to_ratio(fee)
    n, d = ratio.numerator, ratio.denominator
    a2 = f_num * d
    a1 = (f_den + f_num) * reserve_in * d
    a0 = f_den * reserve_in * (d * reserve_in - n * reserve_out)  # negative
    root = (isqrt(a1 * a1 - 4 * a2 * a0) - a1) // (2 * a2)

    def miss(amount: int) -> Fraction:
        out = get_amount_out(amount, reserve_in, reserve_out, fee)
        return abs(Fraction(reserve_in + amount, reserve_out - out) - ratio)

    candidates = [a for a in range(root - 1, root + 3) if a > 0]
    return min(candidates, key=miss) if candidates else 0


def _to_price(ratio: Fraction, pool: Pool) -> Decimal:
    value = ratio * 10**pool.base_decimals / 10**pool.quote_decimals
    return Decimal(value.numerator) / Decimal(value.denominator)

