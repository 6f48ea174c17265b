"""What the live trader trades on: one object per kind of venue, so the live loop has no branch per kind.

A venue bundles the models the cycle plugs in (DESIGN "The cycle"): routing, pricing, valuation,
execution, the market data loader, and a treasury (what the books are checked against and how a
restart finishes what a crash left). ``uniswap_v2_venue`` trades from a hot wallet on the chain;
``paper_venue.paper_venue`` fills on the same chain's pools (v2 or v3) without signing anything.

The Treasury contract:

- ``claim(state, path)``: refuse a state that is not this venue's kind of run (by name, with the fix);
  mark a new one as this venue's.
- ``recover(state)``: finish or fail what a crash left between planned and settled; one line each.
- ``settle_mined(state, head)``: settle trades the chain mined by ``head`` (nothing to do on paper).
- ``sync_and_check(state, timestamp, head)``: bring the books up to ``head`` and check them.
- ``check_gas()``: the native balance for gas (None: the venue pays no gas).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from web3 import Web3

from trade_executor.chain.connection import check_chain_id, create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.chain.wallet import HotWallet
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.live_data import ChainMarketDataLoader
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v2.live_pricing import UniswapV2LivePricing, UniswapV2PoolRevaluator
from trade_executor.execution.uniswap_v2.oracle import TwapOracle, read_pools
from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.runner.history_need import required_history
from trade_executor.state import State
from trade_executor.state.ownership import PAPER
from trade_executor.strategy.module import StrategyModule

DEFAULT_TWAP_WINDOW_SECONDS = 15 * 60
HOT_WALLET = "uniswap_v2_hot_wallet"
HOT_WALLET_V3 = "uniswap_v3_hot_wallet"  # the same hot-wallet trading, named for a strategy on a Uniswap v3 exchange


class Treasury(Protocol):
    def claim(self, state: State, path) -> None: ...

    def recover(self, state: State) -> list[str]: ...

    def settle_mined(self, state: State, head: int) -> None: ...

    def sync_and_check(self, state: State, timestamp, head: int) -> list[str]: ...

    def check_gas(self) -> Decimal | None: ...


@dataclass
class LiveVenue:
    kind: str  # HOT_WALLET or PAPER (a v3 hot-wallet venue is a HOT_WALLET kind too)
    web3: Web3
    routing: UniswapV2Routing
    oracle: TwapOracle | None
    pricing: UniswapV2LivePricing
    valuation: UniswapV2PoolRevaluator
    loader: object
    execution: object = None
    treasury: Treasury = None
    wallet: HotWallet | None = None  # None: nothing here can sign
    # The block the last pool read was pinned at, (number, base fee in wei or None); None: read at "latest".
    priced_block: tuple[int, int | None] | None = None
    pin_reads: bool = False

    def observe_pools(self, pools: list[str]) -> None:
        """One batch read of the pools (a TWAP reading, and the spot for this pass); a paper venue pins the block."""
        block = "latest"
        if self.pin_reads:
            header = self.web3.eth.get_block("latest")
            self.priced_block = (header["number"], header.get("baseFeePerGas"))  # None: a chain without a base fee (legacy gas price)
            block = header["number"]
        if self.oracle is not None:
            readings = self.oracle.observe(pools, block=block)
        else:
            readings = read_pools(self.web3, list(dict.fromkeys(pools)), block if block == "latest" else hex(block))[1] if pools else {}
        self.routing.use_snapshot({pool: (r.reserve0, r.reserve1) for pool, r in readings.items()})

    def observe_pairs(self, pairs) -> None:
        """``observe_pools`` of every pool the pairs trade through (a venue of several exchanges reads each pair on its own)."""
        self.observe_pools([pool for pair in pairs for pool in self.pricing.buy_route(pair).pools])

    def venue_for(self, pair) -> LiveVenue:
        """The venue that trades ``pair``: this one (a mixed universe's venue answers per pair: runner/mixed_venue.py)."""
        return self

    def exchange_venues(self) -> list[LiveVenue]:
        """One venue per exchange traded: this one (a mixed universe's venue: one per exchange)."""
        return [self]

    def native_price(self) -> Decimal | None:
        """Price of the gas token in the reserve currency, from the reserve/WETH pool; the router's WETH is asked once."""
        weth = getattr(self, "_weth", None)
        if weth is None:
            weth = self._weth = self.routing.router.functions.WETH().call()
        reserve = self.loader.reserve_asset
        try:
            route = self.routing.route(reserve.address, weth)
        except ConfigurationError:
            return None
        return self.routing.mid_price(route, 18, reserve.decimals)


def market_venue(config, strategy: StrategyModule, kind: str, loader=None) -> LiveVenue:
    """The parts every venue on a Uniswap v2 chain shares: node, routing, reference prices, valuation, market data."""
    web3 = create_web3(config.json_rpc_url.get_secret_value())
    check_chain_id(web3, strategy.chain_id)
    routing = UniswapV2Routing(web3, config.factory, config.router, intermediaries=config.intermediaries)
    window = config.twap_window_minutes * 60 if config.twap_window_minutes else min(DEFAULT_TWAP_WINDOW_SECONDS, strategy.cycle_duration.total_seconds())
    oracle = TwapOracle(web3, window_seconds=max(1, int(window))) if config.price_reference == "twap" else None
    pricing = UniswapV2LivePricing(routing, oracle, reference=config.price_reference)
    loader = loader or ChainMarketDataLoader(
        web3, routing, chain_id=strategy.chain_id, exchange_slug=strategy.exchange_slug,
        reserve_symbol=strategy.reserve_currency, tokens=config.tokens, time_frame=strategy.cycle_duration,
        history=pool_history(config, strategy, web3, LivePoolHistory),
    )
    return LiveVenue(kind, web3, routing, oracle, pricing, UniswapV2PoolRevaluator(pricing), loader)


def pool_history(config, strategy: StrategyModule, web3: Web3, kind: type[LivePoolHistory]) -> LivePoolHistory:
    """The live candles' source: the pools' events, from the cache (CACHE_PATH) and then block by block (``kind``: v2 or v3 pools)."""
    return kind(
        RpcCaller(web3.provider), PoolHistoryStore(config.cache_path), strategy.chain_id,
        history_seconds=int(required_history(strategy).total_seconds()), confirmations=config.confirmation_block_count,
        from_block=config.from_block or None,
    )


def build_venue(config, strategy: StrategyModule, save: Callable[[], None], loader=None) -> LiveVenue:
    """The venue ``config.execution_type`` names, on the strategy's kind of exchange (v2, or v3: runner/v3_venue.py)."""
    from trade_executor.market.fee_tiers import is_concentrated_liquidity

    check_execution_type(config.execution_type, strategy.exchange_slug)
    from trade_executor.runner.mixed_venue import mixed_venue, universe_exchanges

    exchanges = universe_exchanges(strategy)
    if len(set(exchanges.values())) > 1:  # pairs on several exchanges: each trades on its own exchange's venue
        return mixed_venue(config, strategy, save, loader, exchanges)
    if config.execution_type == PAPER:
        from trade_executor.runner.paper_venue import paper_venue

        return paper_venue(config, strategy, save, loader)
    if is_concentrated_liquidity(strategy.exchange_slug):
        from trade_executor.runner.v3_venue import uniswap_v3_venue

        return uniswap_v3_venue(config, strategy, save, loader)
    from trade_executor.runner.hot_wallet_venue import uniswap_v2_venue

    return uniswap_v2_venue(config, strategy, save, loader)


def check_execution_type(execution_type: str | None, exchange_slug: str) -> None:
    """Refuse a hot-wallet EXECUTION_TYPE of the other kind of exchange than the strategy's (None or paper: any)."""
    from trade_executor.market.fee_tiers import is_concentrated_liquidity

    v3 = is_concentrated_liquidity(exchange_slug)
    if (execution_type == HOT_WALLET and v3) or (execution_type == HOT_WALLET_V3 and not v3):
        raise ConfigurationError(
            f"EXECUTION_TYPE={execution_type} does not fit the strategy's exchange {exchange_slug!r}: {HOT_WALLET} trades Uniswap v2 style pools, "
            f"{HOT_WALLET_V3} Uniswap v3 style ones. Fix: set EXECUTION_TYPE={HOT_WALLET_V3 if v3 else HOT_WALLET} (or paper), or change the strategy's exchange."
        )
