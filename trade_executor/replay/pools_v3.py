"""The replay on Uniswap v3 or PancakeSwap v3 pools: each pool moved exactly to the backtest's sqrt
price, and the backtest filling with that pool's own liquidity.

A v3 pool is moved by a swap through the deployment's own router (SwapRouter02 on Uniswap v3, the
SmartRouter stand-in on PancakeSwap v3, paying the pool in ``pancakeV3SwapCallback``) whose
sqrtPriceLimitX96 is the target (the v3 market simulator with no tolerance), so it lands on
floor(sqrt(price) * 2**96), the sqrt price the concentrated-liquidity fill model builds from the
same Decimal price. Swaps leave liquidity alone: the tick -> liquidityNet table read once from the
pool (at the ticks of the devnet's full-range and concentrated positions) is the pool's for the
whole replay, and the backtest's fill model gets it, pool by pool, with the pool's on-chain token
order (ticks are absolute in that order). Fills then agree to the token unit, ticks crossed included.
"""

from __future__ import annotations

from decimal import Decimal

from web3 import Web3

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy_v3 import DevnetV3Deployment, pool_key
from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator
from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import Fill
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import PIPS, is_concentrated_liquidity
from trade_executor.market.universe import TradingUniverse


def fee_pips(pair: TradingPairIdentifier) -> int:
    return int(pair.fee * PIPS)


def pool_keys(universe: TradingUniverse) -> dict[str, str]:
    """Ticker -> the devnet's pool key ("ETH-USDC" at 0.05% -> "ETH-USDC-0.05%"), for the universe's v3 pairs."""
    return {ticker: pool_key(pair.base.token_symbol, fee_pips(pair)) for ticker, pair in universe.pairs.items() if is_concentrated_liquidity(pair.exchange_slug)}


class V3PoolSetter:
    """Moves the replay's v3 pools; reads their liquidity for the backtest."""

    def __init__(self, web3: Web3, deployer: HotWallet, deployment: DevnetV3Deployment, keys: dict[str, str], builder: TransactionBuilder | None = None):
        """``builder``: the deployer's, when another setter (the v2 pools' of a mixed universe) signs with it too."""
        self.web3, self.deployment, self.keys = web3, deployment, keys
        self.simulator = V3MarketSimulator(web3, deployer, deployment, budget_multiple=20, builder=builder)
        self.simulator.close_enough = 0  # exactly the backtest's sqrt price, however close the pool already is
        self.swaps = 0

    def set_pool(self, ticker: str, price: Decimal, liquidity: Decimal | None = None, *, swap: bool = True) -> None:
        """Move the pool to ``price`` by a swap limited at its sqrt price (``liquidity``, ``swap``: the v2 setter's, unused)."""
        if self.simulator.move_price(self.keys[ticker], price):
            self.swaps += 1

    def liquidity_net(self, ticker: str) -> tuple[int, dict[int, int]]:
        """(tick spacing, tick -> liquidityNet) of the pool's initialised ticks, read from the pool.

        The ticks are those of the devnet's positions as the deployment recorded them (PancakeSwap's
        minter stand-in keeps no position records to read back); the table is checked against the
        pool: the active liquidity it gives at slot0's tick is the pool's ``liquidity()``.
        """
        key = self.keys[ticker]
        pool = self.simulator.pools[key].pair
        if key not in self.deployment.ranges:
            raise ConfigurationError(f"The replay's {key} pool has no recorded position ranges (a checkpoint of an earlier release?): replay without --resume.")
        ticks = {tick for ticks in self.deployment.ranges[key] for tick in ticks}
        table = {tick: pool.functions.ticks(tick).call()[1] for tick in sorted(ticks)}
        spacing, tick, active = pool.functions.tickSpacing().call(), pool.functions.slot0().call()[1], pool.functions.liquidity().call()
        table = {t: net for t, net in table.items() if net}
        if sum(net for t, net in table.items() if t <= tick) != active:
            raise ConfigurationError(f"Pool {key}: its positions' ticks do not account for its liquidity {active}; other positions were minted into it.")
        return spacing, table

    def fill_model(self, backtest: TradingUniverse, onchain: TradingUniverse) -> PoolFillModel:
        models = {}
        for ticker in self.keys:  # the v3 pairs (a mixed universe's v2 pairs fill with x*y=k)
            spacing, table = self.liquidity_net(ticker)
            pair = onchain.pairs[ticker]
            models[ticker] = (pair, ConcentratedLiquidityFillModel(fee_pips(pair), tick_spacing=spacing, liquidity_net=table, pairs=[pair]))
        return PoolFillModel(models)


class PoolFillModel:
    """The concentrated-liquidity fill model of each replayed pool, with the pool's own tick table and token order."""

    name = "concentrated_liquidity"

    def __init__(self, models: dict[str, tuple[TradingPairIdentifier, ConcentratedLiquidityFillModel]]):
        self.models = models

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill:
        onchain, model = self.models[pair.ticker]
        return model.buy(onchain, mid_price, quote_in, liquidity)

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill:
        onchain, model = self.models[pair.ticker]
        return model.sell(onchain, mid_price, base_in, liquidity)

    def describe(self) -> str:
        return "; ".join(f"{ticker}: {model.describe()} (read from the devnet pool)" for ticker, (_, model) in self.models.items())
