"""The live venue of a universe that mixes exchanges: each pair trades on its own exchange's venue.

A strategy may put its pairs on different exchanges (``data.embedded(["ETH", "BTC"],
exchange={"BTC": "uniswap-v2"})`` in a module whose ``exchange`` is Uniswap v3). Live, each pair
then keeps its venue: ETH is priced, valued and swapped by the v3 venue (runner/v3_venue.py),
BTC by the v2 one (runner/hot_wallet_venue.py). ``MixedVenue`` is one venue to the live loop
(the cycle has no branch per kind) made of one sub-venue per exchange, and sends each pair to its own:

- pricing and valuation: the pair's sub-venue's (its pool, its oracle, its reference);
- execution: trades run one at a time in the cycle's order (sells before buys), each by the model of
  its pair's venue; the models share the hot wallet's nonce manager, so a sell on v2 and a buy on v3
  in one cycle never take the same nonce; recovery after a crash settles each trade with its own
  venue's model (``model_for``);
- market data: each pair's candles from its own venue's loader, merged into one universe;
- treasury: the hot wallet's (balances and transactions, whatever venue sent them); on paper the books'.

Which exchanges a strategy trades is known before anything is read from the chain:
``universe_exchanges`` runs the module's ``create_trading_universe`` on synthetic candles.

Supported: one Uniswap v2 style exchange (UNISWAP_V2_ROUTER/FACTORY) and one Uniswap v3 style exchange
(UNISWAP_V3_FACTORY/SWAP_ROUTER_02), from a hot wallet or on paper (each pair filled by its venue's
paper model). Refused, naming the pairs: two exchanges of the same kind (one router of each is configured).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pandas as pd

from trade_executor.errors import ConfigurationError, DataError
from trade_executor.execution.uniswap_v2.live_pricing import UniswapV2PoolRevaluator
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.candles import parse_time_frame
from trade_executor.market.fee_tiers import is_concentrated_liquidity
from trade_executor.market.loader import MarketDataLoader, exchange_for
from trade_executor.market.universe import TradingUniverse
from trade_executor.runner.venue import PAPER, LiveVenue
from trade_executor.strategy.context import ExecutionContext, ExecutionMode, UniverseOptions
from trade_executor.strategy.module import StrategyModule, call_with_supported_arguments

logger = logging.getLogger(__name__)


# --- which exchanges the strategy trades ----------------------------------------------------------


class _CannotTell(Exception):
    """The probe cannot know the pairs (``data.files`` without ``pairs=``)."""


class _ProbeData:
    """Stands in for ``data``: every call gets a universe of the named pairs, on a few synthetic candles, with their exchanges and fees."""

    def __init__(self, strategy: StrategyModule):
        self._loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency)
        self.reserve_asset = self._loader.reserve_asset

    def embedded(self, symbols: Iterable[str] = ("ETH",), *, fee=None, exchange=None, **options) -> TradingUniverse:
        return self._universe(symbols, fee, exchange)

    def chain(self, pairs: Iterable[str] = ("ETH",), time_frame=None, *, fee=None, exchange=None, **options) -> TradingUniverse:
        return self._universe(pairs, fee, exchange)

    def files(self, source, *, pairs: Iterable[str] | None = None, fee=None, exchange=None, **options) -> TradingUniverse:
        if pairs is None and not isinstance(source, dict):
            raise _CannotTell("data.files without pairs=")
        return self._universe(pairs if pairs is not None else source.keys(), fee, exchange)

    def from_frames(self, frames: dict, *, fee=None, exchange=None, **options) -> TradingUniverse:
        return self._universe(frames.keys(), fee, exchange)

    def _universe(self, keys: Iterable[str], fee, exchange) -> TradingUniverse:
        index = pd.date_range("2020-01-01", periods=3, freq="1h", name="timestamp")
        frame = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}, index=index)
        fees = {} if fee is None else {"fee": fee}
        return self._loader.from_frames({str(key).split("-")[0]: frame for key in keys}, exchange=exchange, **fees)


def universe_exchanges(strategy: StrategyModule) -> dict[str, str]:
    """Ticker -> exchange slug of each pair the strategy's universe declares, read without market data.

    Runs ``create_trading_universe`` on a stand-in ``data`` (synthetic candles of the pairs it names,
    with their ``exchange=`` and ``fee=``). Empty when the module cannot be probed (it reads files by
    itself, or fails on synthetic data): the live run then trades on the module's ``exchange`` alone.
    """
    context = ExecutionContext(ExecutionMode.real_trading, strategy.engine_version)
    try:
        universe = call_with_supported_arguments(
            strategy.create_trading_universe, timestamp=datetime.datetime.now(datetime.UTC).replace(tzinfo=None), data=_ProbeData(strategy),
            execution_context=context, options=UniverseOptions(),
        )
    except Exception as e:  # noqa: BLE001 - a probe: the real call reports the strategy's errors
        logger.info("Could not tell the exchanges of the strategy's pairs without market data (%s: %s); trading on %s", type(e).__name__, e, strategy.exchange_slug)
        return {}
    pairs = getattr(universe, "pairs", None)
    return {ticker: pair.exchange_slug for ticker, pair in pairs.items()} if isinstance(pairs, dict) else {}


def describe_exchanges(exchanges: dict[str, str]) -> str:
    """{"ETH-USDC": "uniswap-v3", "BTC-USDC": "uniswap-v2"} -> "ETH-USDC on uniswap-v3, BTC-USDC on uniswap-v2"."""
    return ", ".join(f"{ticker} on {slug}" for ticker, slug in exchanges.items())


def check_mixed(exchanges: dict[str, str]) -> tuple[str, str]:
    """The (v2, v3) exchange slugs of a mixed universe; what this release cannot trade is refused naming the pairs and venues."""
    v2 = sorted({slug for slug in exchanges.values() if not is_concentrated_liquidity(slug)})
    v3 = sorted({slug for slug in exchanges.values() if is_concentrated_liquidity(slug)})
    supported = "A live or paper run trades a mixed universe on one Uniswap v2 style exchange (UNISWAP_V2_ROUTER, UNISWAP_V2_FACTORY) and one Uniswap v3 style exchange (UNISWAP_V3_FACTORY, UNISWAP_V3_SWAP_ROUTER_02)."
    if len(v2) > 1 or len(v3) > 1:
        raise ConfigurationError(
            f"The strategy's pairs are on {len(v2) + len(v3)} exchanges ({describe_exchanges(exchanges)}): two of the same kind "
            f"({', '.join(v2 if len(v2) > 1 else v3)}) would need two routers of that kind. {supported} Fix: keep one exchange per kind in create_trading_universe's exchange=."
        )
    return v2[0], v3[0]


# --- the per-pair parts -----------------------------------------------------------------------


class PerPairPricing:
    """The pricing model of each pair's venue: ``get_mid_price`` the reference, ``get_spot_price`` the pool's spot."""

    def __init__(self, venue_for: Callable[[TradingPairIdentifier], LiveVenue], venues: Iterable[LiveVenue]):
        self._venue_for, self._pricings = venue_for, [v.pricing for v in venues]

    # the cycle's universe and time (the fallback reference is the last closed candle): every venue's pricing gets them
    universe = property(lambda self: self._pricings[0].universe, lambda self, value: self._set("universe", value))
    now = property(lambda self: self._pricings[0].now, lambda self, value: self._set("now", value))

    def _set(self, name: str, value) -> None:
        for pricing in self._pricings:
            setattr(pricing, name, value)

    def of(self, pair: TradingPairIdentifier):
        return self._venue_for(pair).pricing

    def get_mid_price(self, pair: TradingPairIdentifier) -> Decimal | None:
        return self.of(pair).get_mid_price(pair)

    def get_spot_price(self, pair: TradingPairIdentifier) -> Decimal:
        return self.of(pair).get_spot_price(pair)

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None:
        return self.of(pair).get_liquidity(pair)

    def buy_route(self, pair: TradingPairIdentifier):
        return self.of(pair).buy_route(pair)

    def reference(self, route, pair: TradingPairIdentifier):
        return self.of(pair).reference(route, pair)


class PerPairRouting:
    """The venues' routings: a pass's pool readings are dropped from all of them at once."""

    def __init__(self, venues: Iterable[LiveVenue]):
        self.routings = [v.routing for v in venues]

    def end_snapshot(self) -> None:
        for routing in self.routings:
            routing.end_snapshot()


class PerPairExecution:
    """Each trade executed by its pair's venue's model, in the cycle's order (sells before buys); one wallet, one nonce manager."""

    def __init__(self, venue_for: Callable[[TradingPairIdentifier], LiveVenue], venues: Iterable[LiveVenue]):
        self._venue_for = venue_for
        self.models = [v.execution for v in venues]
        first = self.models[0]
        self.clock = first.clock
        # the hot wallet's, shared by the models (None on paper): what recovery.py reads besides model_for
        self.web3, self.builder, self.confirmation_timeout = getattr(first, "web3", None), getattr(first, "builder", None), getattr(first, "confirmation_timeout", None)

    @property
    def wallet(self) -> str:
        return self.builder.wallet.address

    @property
    def may_sign(self) -> Callable[[], None]:
        return self.models[0].may_sign

    @may_sign.setter
    def may_sign(self, check: Callable[[], None]) -> None:  # the live loop's watchdog: an abandoned step signs on no venue
        for model in self.models:
            model.may_sign = check

    def model_for(self, trade):
        return self._venue_for(trade.pair).execution

    def execute_trades(self, timestamp: datetime.datetime, state, trades: list) -> None:
        for trade in sorted(trades, key=lambda t: t.planned_quantity > 0):  # a rotation's sell pays for its buy, whatever their venues
            self.model_for(trade).execute_trades(timestamp, state, [trade])

    def describe(self) -> str:
        return "; ".join(model.describe() for model in self.models)


class MixedMarketDataLoader:
    """``data`` of a mixed live run: the pairs of each exchange from that venue's loader, in one universe."""

    def __init__(self, loaders: dict[str, object], default_exchange: str):
        self.loaders, self.default_exchange = loaders, default_exchange
        self.reserve_asset = loaders[default_exchange].reserve_asset

    def embedded(self, symbols: Iterable[str] = ("ETH",), *, fee=None, exchange=None, time_frame: pd.Timedelta | None = None, **options) -> TradingUniverse:
        groups: dict[str, list[str]] = {}
        for symbol in symbols:
            slug = exchange_for(exchange, f"{symbol.upper()}-{self.reserve_asset.token_symbol}", self.default_exchange)
            if slug not in self.loaders:
                raise ConfigurationError(f"{symbol} is on {slug}, but this live run trades on {', '.join(self.loaders)} only (the exchanges its universe declared at start).")
            groups.setdefault(slug, []).append(symbol)
        parts = [self.loaders[slug].embedded(group, fee=_fee_of(fee, group), time_frame=time_frame) for slug, group in groups.items()]
        first = parts[0]
        return TradingUniverse(
            first.chain_id, self.default_exchange, self.reserve_asset,
            {t: p for part in parts for t, p in part.pairs.items()}, {t: c for part in parts for t, c in part.candles.items()}, first.time_frame,
        )

    def chain(self, pairs: Iterable[str] = ("ETH",), time_frame: str | pd.Timedelta = "1h", **options) -> TradingUniverse:
        frame = parse_time_frame(time_frame) if isinstance(time_frame, str) else pd.Timedelta(time_frame)
        return self.embedded([p.split("-")[0] for p in pairs], time_frame=frame, fee=options.get("fee"), exchange=options.get("exchange"))

    def files(self, *args, pairs: Iterable[str] | None = None, **options) -> TradingUniverse:
        if not pairs:
            raise DataError("In a live run data.files(...) needs pairs=[...] to know which pools to trade.")
        return self.embedded([p.split("-")[0] for p in pairs], fee=options.get("fee"), exchange=options.get("exchange"))


def _fee_of(fee, symbols: list[str]):
    """The ``fee=`` a venue's loader gets for its symbols: one value when they share one, else the per-symbol dict as given."""
    if not isinstance(fee, dict):
        return fee
    values = {str(fee[s]) for s in symbols if s in fee}
    return fee[next(s for s in symbols if s in fee)] if len(values) == 1 else fee


# --- the venue -------------------------------------------------------------------------------


@dataclass
class MixedVenue(LiveVenue):
    """A LiveVenue whose parts send each pair to its exchange's sub-venue (``venues``: exchange slug -> venue)."""

    venues: dict[str, LiveVenue] = field(default_factory=dict)

    def venue_for(self, pair: TradingPairIdentifier) -> LiveVenue:
        venue = self.venues.get(pair.exchange_slug)
        if venue is None:
            raise ConfigurationError(f"{pair.ticker} is on {pair.exchange_slug}, but this live run trades on {', '.join(self.venues)} only.")
        return venue

    def observe_pairs(self, pairs) -> None:
        """One batch read per venue, of the pools its pairs trade through."""
        groups: dict[str, list[TradingPairIdentifier]] = {}
        for pair in pairs:
            groups.setdefault(pair.exchange_slug, []).append(pair)
        for group in groups.values():
            self.venue_for(group[0]).observe_pairs(group)

    def exchange_venues(self) -> list[LiveVenue]:
        return list({id(v): v for v in self.venues.values()}.values())

    def observe_pools(self, pools: list[str]) -> None:
        raise NotImplementedError("A mixed venue reads pools by pair (observe_pairs): a pool address alone does not say which exchange it is on.")

    def native_price(self) -> Decimal | None:
        """The gas token's price from the first venue that has a reserve/WETH pool (the strategy's own exchange first)."""
        for venue in self.venues.values():
            price = venue.native_price()
            if price is not None:
                return price
        return None


def mixed_venue(config, strategy: StrategyModule, save: Callable[[], None], loader, exchanges: dict[str, str]) -> MixedVenue:
    """The venue of a universe on one v2 and one v3 exchange (``exchanges``: ticker -> slug, from ``universe_exchanges``):
    the hot wallet's, or on paper (EXECUTION_TYPE=paper) the paper venue's of each exchange."""
    v2_slug, v3_slug = check_mixed(exchanges)
    logger.info("A mixed universe: %s; each pair trades on its own exchange's venue", describe_exchanges(exchanges))
    paper = config.execution_type == PAPER
    if paper:
        from trade_executor.runner.paper_venue import PaperTreasury, paper_venue

        v2, v3 = (paper_venue(config, replace(strategy, exchange_slug=slug), save, loader) for slug in (v2_slug, v3_slug))
    else:
        from trade_executor.runner.hot_wallet_venue import HotWalletTreasury, uniswap_v2_venue
        from trade_executor.runner.v3_venue import uniswap_v3_venue

        v2 = uniswap_v2_venue(config, replace(strategy, exchange_slug=v2_slug), save, loader)
        v3 = uniswap_v3_venue(config, replace(strategy, exchange_slug=v3_slug), save, loader)
        v3.execution.builder = v2.execution.builder  # one wallet, one nonce manager: two would hand out the same nonce
        v3.wallet = v2.wallet
    venues = {strategy.exchange_slug: v3 if strategy.exchange_slug == v3_slug else v2}  # the strategy's own exchange first
    venues.update({v2_slug: v2, v3_slug: v3})
    venue = MixedVenue(v2.kind, v2.web3, None, None, None, None, None, wallet=v2.wallet, venues=venues)
    venue.routing = PerPairRouting(venues.values())
    venue.pricing = PerPairPricing(venue.venue_for, venues.values())
    venue.valuation = UniswapV2PoolRevaluator(venue.pricing)  # marks each position to its own pool's reference
    venue.execution = PerPairExecution(venue.venue_for, venues.values())
    for sub in venues.values():
        sub.execution.native_price = venue.native_price  # gas in USD from whichever venue prices the gas token
    venue.loader = loader or MixedMarketDataLoader({slug: sub.loader for slug, sub in venues.items()}, strategy.exchange_slug)
    venue.treasury = PaperTreasury(venue, strategy) if paper else HotWalletTreasury(venue, config, strategy)
    return venue
