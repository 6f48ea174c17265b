"""The live venue on Uniswap v3 from a hot wallet: v3 pools, oracle and SwapRouter02; the v2 venue's treasury.

Its market data is the v2 venue's event-sourced candles with the v3 downloader (execution/uniswap_v3/
live_data.py): the candles a backtest on downloaded data sees. The pool's oracle gives the reference price.

Built for a strategy whose ``exchange`` is a concentrated-liquidity one (market/fee_tiers.py), from
UNISWAP_V3_FACTORY and UNISWAP_V3_SWAP_ROUTER_02 (``trade-executor devnet --exchange=uniswap-v3``
writes them; on a fork such as PancakeSwap v3 they hold its factory and SmartRouter: see
execution/uniswap_v3/exchanges.py; the router is checked against the factory at start). The
treasury (deposits, the accounting check, recovery after a crash, gas) is the hot-wallet one of
hot_wallet_venue.py: it reads ERC-20 balances and the trades' recorded transactions, whatever
venue sent them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from trade_executor.chain.connection import check_chain_id, create_web3
from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.live_pricing import route_price, to_decimal
from trade_executor.execution.uniswap_v3.exchanges import check_router, check_v3_settings
from trade_executor.execution.uniswap_v3.execution_model import UniswapV3ExecutionModel
from trade_executor.execution.uniswap_v3.live_data import UniswapV3MarketDataLoader, V3LivePoolHistory
from trade_executor.execution.uniswap_v3.live_pricing import (
    UniswapV3LivePricing,
    UniswapV3LiveRouting,
    UniswapV3PoolRevaluator,
    hop_in_per_out,
)
from trade_executor.execution.uniswap_v3.oracle import UniswapV3Oracle
from trade_executor.market.fee_tiers import fee_tiers_of
from trade_executor.runner.hot_wallet_venue import HotWalletTreasury
from trade_executor.runner.venue import DEFAULT_TWAP_WINDOW_SECONDS, HOT_WALLET, LiveVenue, pool_history
from trade_executor.strategy.module import StrategyModule


class UniswapV3Venue(LiveVenue):
    """A LiveVenue whose pool reads are v3 ones: slot0 and the oracle's mean tick, one batch at one block."""

    routing: UniswapV3LiveRouting

    def observe_pools(self, pools: list[str]) -> None:
        block = "latest"
        if self.pin_reads:
            header = self.web3.eth.get_block("latest")
            self.priced_block = (header["number"], header.get("baseFeePerGas"))
            block = header["number"]
        self.routing.observe(pools, block=block)

    def native_price(self) -> Decimal | None:
        """Price of the gas token in the reserve currency, at slot0 of the reserve/WETH route; SwapRouter02's WETH9 is asked once."""
        weth = getattr(self, "_weth", None)
        if weth is None:
            weth = self._weth = self.routing.router.functions.WETH9().call()
        reserve = self.loader.reserve_asset
        try:
            route = self.routing.route(reserve.address, weth)
        except ConfigurationError:
            return None
        raw = route_price([hop_in_per_out(hop, self.routing.price(hop.pool).spot_price0) for hop in route.hops])  # reserve units per wei
        return to_decimal(raw * Fraction(10) ** (18 - reserve.decimals))


def check_v3_config(config, exchange_slug: str = "uniswap-v3"):
    """The strategy's v3 exchange (exchanges.py), once UNISWAP_V3_FACTORY and UNISWAP_V3_SWAP_ROUTER_02 are set to addresses."""
    return check_v3_settings(exchange_slug, config.uniswap_v3_factory, config.uniswap_v3_swap_router_02)


def v3_market_venue(config, strategy: StrategyModule, kind: str, loader=None) -> UniswapV3Venue:
    """The parts every venue on the v3 pools of the strategy's exchange (its fee tiers) shares: node, routing, oracle, pricing, market data."""
    exchange = check_v3_config(config, strategy.exchange_slug)
    web3 = create_web3(config.json_rpc_url.get_secret_value())
    check_chain_id(web3, strategy.chain_id)
    check_router(web3, exchange, config.uniswap_v3_factory, config.uniswap_v3_swap_router_02)
    window = config.twap_window_minutes * 60 if config.twap_window_minutes else min(DEFAULT_TWAP_WINDOW_SECONDS, strategy.cycle_duration.total_seconds())
    oracle = UniswapV3Oracle(web3, window_seconds=max(1, int(window))) if config.price_reference == "twap" else None
    routing = UniswapV3LiveRouting(
        web3, config.uniswap_v3_factory, config.uniswap_v3_swap_router_02, fee_tiers=fee_tiers_of(strategy.exchange_slug),
        intermediaries=config.intermediaries, oracle=oracle, exchange=exchange,
    )
    pricing = UniswapV3LivePricing(routing, None, reference=config.price_reference)
    loader = loader or UniswapV3MarketDataLoader(
        web3, routing, chain_id=strategy.chain_id, exchange_slug=strategy.exchange_slug, reserve_symbol=strategy.reserve_currency,
        tokens=config.tokens, time_frame=strategy.cycle_duration, history=pool_history(config, strategy, web3, V3LivePoolHistory),
    )
    return UniswapV3Venue(kind, web3, routing, oracle, pricing, UniswapV3PoolRevaluator(pricing), loader)


def uniswap_v3_venue(config, strategy: StrategyModule, save: Callable[[], None], loader=None) -> LiveVenue:
    """The hot-wallet venue on the v3 pools of the strategy's exchange."""
    venue = v3_market_venue(config, strategy, HOT_WALLET, loader)
    web3, routing, pricing = venue.web3, venue.routing, venue.pricing
    venue.wallet = HotWallet(config.private_key.get_secret_value())
    parameters = strategy.parameters
    venue.execution = UniswapV3ExecutionModel(
        web3, TransactionBuilder(web3, venue.wallet), routing, save, pricing=pricing,
        confirmations=config.confirmation_block_count, confirmation_timeout=config.confirmation_timeout,
        slippage_tolerance=parameters.slippage_tolerance, max_price_deviation=config.max_price_deviation,
        max_price_impact=parameters.max_price_impact, native_price=venue.native_price, clock=config.clock,
    )
    venue.treasury = HotWalletTreasury(venue, config, strategy)
    return venue
