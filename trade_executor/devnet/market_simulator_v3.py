"""The market simulator on Uniswap v3 (or PancakeSwap v3) pools: router swaps that stop exactly at the target price.

A v3 pool's swap takes a price limit (sqrtPriceLimitX96) and stops there, paying only the input it
used, so no swap size has to be solved: the trader offers all it holds of the input token with the
limit set to the target's sqrt price, and the pool lands on it to the unit of sqrtPriceX96 (unless
the trader's budget runs out first: InsufficientBudget). Set-up, budget, approvals, gas and the
walk along a price path are the v2 simulator's (``MarketSimulator``); only the pool maths differ.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy_pancake_v3 import DEVNET_V3_EXCHANGES
from trade_executor.devnet.deploy_v3 import DevnetV3Deployment, V3Exchange, load_v3_artifact
from trade_executor.devnet.market_simulator import CLOSE_ENOUGH, InsufficientBudget, MarketSimulator, Pool
from trade_executor.errors import ConfigurationError
from trade_executor.market.uniswap_v3_swap import price_from_sqrt_price_x96, sqrt_price_x96_from_price

logger = logging.getLogger(__name__)

V3_SWAP_GAS = 1_000_000  # a swap that crosses several initialised ticks stays well below


class V3MarketSimulator(MarketSimulator):
    """Moves the devnet's v3 pools ("ETH-USDC-0.3%"; "ETH-USDC" moves every fee tier of the pair).

    ``v2``: a v2 simulator on the same chain whose pool of the pair moves along with the v3 ones
    (``devnet --exchange=uniswap-v3`` deploys both); its transaction builder is shared, so both sign
    with one nonce sequence. ``builder``: the same sharing without a v2 simulator.
    ``exchange``: whose artifacts (pool, router) to use; by default the deployment's (Uniswap v3, PancakeSwap v3).
    ``close_enough``: a pool this close (relative price) to its target is left where it is; the
    replay sets 0, so every pool sits exactly on the backtest's sqrt price.
    """

    close_enough: Fraction = CLOSE_ENOUGH

    def __init__(
        self,
        web3: Web3,
        trader: HotWallet,
        deployment: DevnetV3Deployment,
        *,
        budget_multiple: int = 10,
        exchange: V3Exchange | None = None,
        builder: TransactionBuilder | None = None,
        v2: MarketSimulator | None = None,
    ):
        exchange = exchange or DEVNET_V3_EXCHANGES[deployment.exchange]
        self.web3, self.trader, self.deployment, self.exchange, self.v2 = web3, trader, deployment, exchange, v2
        self.builder = builder or (v2.builder if v2 is not None else TransactionBuilder(web3, trader))
        self._contracts: dict[str, object] = {}
        self._pricing, self._pricing_uses = None, 0
        self.router = web3.eth.contract(address=deployment.swap_router02, abi=load_v3_artifact(exchange, "SwapRouter02")["abi"])
        pool_abi = load_v3_artifact(exchange, "UniswapV3Pool")["abi"]
        self.pools = {key: self._load_v3_pool(key, web3.eth.contract(address=address, abi=pool_abi)) for key, address in deployment.pools.items()}
        self._set_up(budget_multiple)

    def _load_v3_pool(self, key: str, contract) -> Pool:
        symbol, quote_symbol = key.split("-")[:2]
        base, quote = self.deployment.tokens[symbol], self.deployment.tokens[quote_symbol]
        decimals = [self._erc20(token).functions.decimals().call() for token in (base, quote)]
        return Pool(key, contract, base, quote, decimals[0], decimals[1], contract.functions.token0().call() == base)

    def reserves(self, ticker: str) -> tuple[int, int]:
        """(base, quote) the pool holds, in token units (what the simulator's budget is sized from)."""
        pool = self.pools[ticker]
        pool_address = pool.pair.address
        return self._erc20(pool.base).functions.balanceOf(pool_address).call(), self._erc20(pool.quote).functions.balanceOf(pool_address).call()

    def sqrt_price(self, ticker: str) -> int:
        """slot0's sqrtPriceX96."""
        return self.pools[ticker].pair.functions.slot0().call()[0]

    def price(self, ticker: str) -> Decimal:
        """The pool's price in quote per base (USD per token), decimals-adjusted."""
        pool = self.pools[ticker]
        sqrt_price = self.sqrt_price(ticker)
        if pool.base_is_token0:
            return price_from_sqrt_price_x96(sqrt_price, pool.base_decimals, pool.quote_decimals)
        return 1 / price_from_sqrt_price_x96(sqrt_price, pool.quote_decimals, pool.base_decimals)

    def target_sqrt_price(self, ticker: str, target_price: Decimal) -> int:
        """sqrtPriceX96 of ``target_price`` (quote per base) in this pool's token order, rounded down."""
        if target_price <= 0:
            raise ValueError(f"target price must be positive, got {target_price}")
        pool = self.pools[ticker]
        if pool.base_is_token0:
            return sqrt_price_x96_from_price(target_price, pool.base_decimals, pool.quote_decimals)
        return sqrt_price_x96_from_price(1 / Fraction(target_price), pool.quote_decimals, pool.base_decimals)

    def move_price(self, ticker: str, target_price: Decimal) -> str | None:
        """Move one pool (a key) or every fee tier of a pair (a ticker) to ``target_price``; the last tx hash or None.

        A ticker moves the v2 simulator's pool of the pair first, if there is one.
        """
        if self.v2 is not None and ticker in self.v2.pools:
            self.v2.move_price(ticker, target_price)
        keys = [ticker] if ticker in self.pools else [key for key in self.pools if key.startswith(f"{ticker}-")]
        if not keys:
            raise ConfigurationError(f"No v3 pool {ticker!r} on this devnet; have {', '.join(self.pools)}.")
        hashes = [self._move_pool(key, target_price) for key in keys]
        return next((h for h in reversed(hashes) if h is not None), None)

    def _move_pool(self, key: str, target_price: Decimal) -> str | None:
        pool = self.pools[key]
        target, current = self.target_sqrt_price(key, target_price), self.sqrt_price(key)
        if target == current or abs(Fraction(target * target, current * current) - 1) <= self.close_enough:
            return None
        zero_for_one = target < current  # token0 goes in and its price falls
        token0, token1 = (pool.base, pool.quote) if pool.base_is_token0 else (pool.quote, pool.base)
        token_in, token_out = (token0, token1) if zero_for_one else (token1, token0)
        held = self._erc20(token_in).functions.balanceOf(self.trader.address).call()
        if held <= 0:
            raise InsufficientBudget(f"Moving {key} to {target_price} needs {token_in}; the market simulator holds none.")
        # All it holds, limited at the target: the pool takes only what reaching the target costs.
        params = (token_in, token_out, self.deployment.fees[key], self.trader.address, held, 0, target)
        swap = self.router.functions.exactInputSingle(params)
        receipt = send_and_wait(self.web3, self.builder.sign_call(swap, gas=V3_SWAP_GAS, gas_pricing=self._gas_pricing()))
        reached = self.sqrt_price(key)
        if reached != target:
            raise InsufficientBudget(f"Moving {key} to {target_price}: the market simulator's {held} units of {token_in} moved it only to {self.price(key)}.")
        logger.debug("Moved %s to %s (sqrtPriceX96 %d)", key, target_price, target)
        return Web3.to_hex(receipt["transactionHash"])

