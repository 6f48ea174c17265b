"""Backtest fills from a Uniswap v3 pool: the pool's own integer swap at the mid price.

Each fill builds the pool at the candle's mid price (sqrtPriceX96 = floor(sqrt(raw price) * 2**96)
from the Decimal price and the tokens' decimals; token0 is the token with the lower address, as
the factory orders them) and runs the pool's swap (``market.uniswap_v3_swap.swap_steps``) with exact
input, so amounts, fee and price impact are what that pool would give, to the token unit.

Where the active liquidity L comes from, in order:

- a tick -> liquidityNet table (``liquidity_net``, ticks on the pool's spacing): L is the sum of
  the nets at or below the pool's tick, and a large swap crosses each initialised tick with that
  range's liquidity, as the pool does. The ticks are one pool's (absolute ticks of its token
  order), so a model with a table serves the pair of that pool;
- the pool's ranges at the fill's time, when the ``liquidity`` the backtest passes is a
  ``PoolDepth`` (a v3 pool downloaded from the chain: market/pool_ranges.py). L is the pool's own
  L at the cycle's open, carried to the mid price's tick through the nets in between (at the
  candle's open that is the state's own tick but where the float price rounds across a tick; a
  stop loss filled at its trigger price crosses what lies between), and the swap crosses each tick initialised then with its range's liquidity;
- otherwise a USD depth: the ``liquidity`` the backtest passes (a candle's liquidity column) or
  ``liquidity_usd``. It means what it means for the constant-product model: the USD value of the
  quote side of a v2 pool. The same L, L = sqrt(base units * quote units), is then held by one
  full-range position: L = quote units / sqrt(raw quote-per-base price), i.e. quote_units * 2**96
  / sqrtPriceX96 when base is token0, quote_units * sqrtPriceX96 / 2**96 when it is token1 (both
  rounded down). So a v3 pool of the same depth fills like the v2 pool (see the tests), and a
  concentrated pool is described by the depth of the v2 pool it is as deep as, in its range.
  Approximated: with a constant depth a swap never leaves the range.

The fee tier (pips, 3000 = 0.3%) is the pair's: its ``fee_tier`` if the identifier carries one,
else its ``fee`` fraction when that is a whole number of pips, else the constructor's ``fee_pips``.
``lp_fee`` is the fee the pool took (in the input token; a sell's is valued at the mid price), and
``price_impact`` is measured as the v2 model measures it: against the mid price, fee excluded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from math import isqrt

from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import Fill
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import TICK_SPACINGS, format_fee_pips
from trade_executor.market.pool_ranges import PoolDepth
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, PIPS, Q96, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import TickTable, full_range_ticks, swap_steps
from trade_executor.money import ratio, to_units

CONCENTRATED_LIQUIDITY = "concentrated_liquidity"


class _Pool:
    """What a fill needs of a pair's pool that does not move with the price, worked out once per pair, and the
    last mid price's sqrt price (a close and an open in one cycle, a sell after its stop loss... share it)."""

    __slots__ = ("pair", "fee_pips", "tick_spacing", "base_is_token0", "base_decimals", "quote_decimals", "base_scale",
                 "quote_scale", "depth_units", "quote_unit", "mid_price", "sqrt_price", "quote_per_base")

    def __init__(self, pair: TradingPairIdentifier, fee_pips: int, tick_spacing: int, depth_usd: Decimal | None):
        self.pair, self.fee_pips, self.tick_spacing = pair, fee_pips, tick_spacing
        self.base_is_token0 = pair.base.address.lower() < pair.quote.address.lower()  # the factory orders tokens by address
        self.base_decimals, self.quote_decimals = pair.base.decimals, pair.quote.decimals
        self.base_scale, self.quote_scale = 10**pair.base.decimals, 10**pair.quote.decimals
        self.depth_units = to_units(depth_usd, pair.quote.decimals) if depth_usd and depth_usd > 0 else 0  # 0: none
        self.quote_unit = Decimal(1).scaleb(-pair.quote.decimals)  # money.quantize_down's grid
        self.mid_price: Decimal | None = None
        self.sqrt_price, self.quote_per_base = 0, (0, 1)

    def price(self, mid_price: Decimal) -> int:
        """sqrt_price_x96_from_price of the mid price (base is token0) or of its inverse; ``quote_per_base`` is
        then the raw price (quote units per base unit) as a fraction."""
        if mid_price != self.mid_price:
            numerator, denominator = mid_price.as_integer_ratio()  # quote per base, whole tokens
            quote_per_base = (numerator * self.quote_scale, denominator * self.base_scale)
            if self.base_is_token0:
                self.sqrt_price = isqrt((quote_per_base[0] << 192) // quote_per_base[1])
            else:
                self.sqrt_price = isqrt((quote_per_base[1] << 192) // quote_per_base[0])
            self.mid_price, self.quote_per_base = mid_price, quote_per_base
        return self.sqrt_price


class ConcentratedLiquidityFillModel:
    """Fills as a Uniswap v3 pool of the pair's fee tier at the mid price would give them."""

    name = CONCENTRATED_LIQUIDITY

    def __init__(
        self,
        fee_pips: int = 3000,
        liquidity_usd: Decimal | None = None,
        *,
        tick_spacing: int | None = None,
        liquidity_net: Mapping[int, int] | None = None,
        pairs: Iterable[TradingPairIdentifier] = (),
        ranges_from_data: bool = False,
    ):
        """``ranges_from_data``: the data has the pools' ranges through time (only describe() reads it)."""
        if not 0 <= fee_pips < PIPS:
            raise ConfigurationError(f"fee_pips must be in [0, {PIPS}), got {fee_pips} (3000 is 0.3%)")
        self.fee_pips = fee_pips
        self.liquidity_usd = liquidity_usd
        self.tick_spacing = tick_spacing
        self.table = TickTable(tick_spacing or TICK_SPACINGS.get(fee_pips, 60), liquidity_net) if liquidity_net else None
        self._pools: dict[int, _Pool] = {}  # by the pair's id: hashing a pair costs more than a swap
        self.fee_tiers = sorted({self._pool_of(pair).fee_pips for pair in pairs})  # for describe()
        self.ranges_from_data = ranges_from_data

    # money's to_units/from_units/quantize_down are written out below (int(), scaleb, quantize on the pool's
    # unit): the same Decimals, without a call for each conversion of a fill.

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill:
        pool, used, amount_out, fee = self._swap(pair, mid_price, quote_in, liquidity, True)
        (pn, pd), quote_dec = pool.quote_per_base, pool.quote_decimals
        numerator, denominator = used * (PIPS - pool.fee_pips) * pd, PIPS * pn  # ideal base out: fee paid, no impact
        impact = ratio(numerator - amount_out * denominator, amount_out * denominator) if amount_out else Decimal(1)
        return Fill(Decimal(amount_out).scaleb(-pool.base_decimals), Decimal(used).scaleb(-quote_dec), Decimal(fee).scaleb(-quote_dec), impact)

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill:
        pool, used, amount_out, fee = self._swap(pair, mid_price, base_in, liquidity, False)
        (pn, pd), base_dec = pool.quote_per_base, pool.base_decimals
        numerator, denominator = used * (PIPS - pool.fee_pips) * pn, PIPS * pd  # ideal quote out
        impact = ratio(numerator - amount_out * denominator, numerator) if amount_out else Decimal(1)
        lp_fee = (Decimal(fee).scaleb(-base_dec) * mid_price).quantize(pool.quote_unit, rounding=ROUND_DOWN)
        return Fill(Decimal(used).scaleb(-base_dec), Decimal(amount_out).scaleb(-pool.quote_decimals), lp_fee, impact)

    def describe(self) -> str:
        if self.table is not None:
            source = f"{len(self.table.ticks)} initialised ticks"
        elif self.ranges_from_data:
            source = "depth from data, crossing ticks with each range's liquidity at the fill's time"
        elif self.liquidity_usd:
            source = f"${self.liquidity_usd:,.0f} quote-side depth"
        else:
            source = "depth from data"
        if self.fee_tiers:
            tiers = f"fee tier{'s' if len(self.fee_tiers) > 1 else ''} {', '.join(format_fee_pips(t) for t in self.fee_tiers)}"
        else:
            tiers = "pair fee tier"
        return f"concentrated liquidity (Uniswap v3 maths), {tiers}, {source}"

    # --- the pool ---------------------------------------------------------------------------------

    def _pool_of(self, pair: TradingPairIdentifier) -> _Pool:
        pool = self._pools.get(id(pair))
        if pool is None or pool.pair is not pair:
            fee_pips = _fee_pips(pair, self.fee_pips)
            spacing = self.table.tick_spacing if self.table else self.tick_spacing or TICK_SPACINGS.get(fee_pips, 60)
            pool = self._pools[id(pair)] = _Pool(pair, fee_pips, spacing, self.liquidity_usd)
        return pool

    def _swap(
        self, pair: TradingPairIdentifier, mid_price: Decimal, amount: Decimal, liquidity: Decimal | None, quote_in: bool
    ) -> tuple[_Pool, int, int, int]:
        """(the pool, input used, output, fee in input units) of a swap of ``amount`` (whole tokens) in."""
        pool = self._pool_of(pair)
        amount_in = int(amount.scaleb(pool.quote_decimals if quote_in else pool.base_decimals))  # to_units: int() rounds down
        if amount_in <= 0:
            raise ValueError(f"amount_in must be positive, got {amount_in}")
        sqrt_price = pool.price(mid_price)
        tick = None  # the swap works out the tick only when its first step needs it
        if self.table is not None:
            tick = get_tick_at_sqrt_ratio(sqrt_price)
            table, active = self.table, self.table.liquidity_at(tick)
        elif type(liquidity) is PoolDepth:  # a v3 pool from the chain: its ticks and L at the fill's time
            table = liquidity.ranges
            tick = table.tick_at(sqrt_price)
            active = table.liquidity_at(tick)
        else:
            depth_units = (
                pool.depth_units
                if liquidity is None and pool.depth_units
                else to_units(self._depth(pair, liquidity), pool.quote_decimals)
            )
            active = depth_units * Q96 // sqrt_price if pool.base_is_token0 else depth_units * sqrt_price // Q96
            table = full_range_ticks(active, pool.tick_spacing)
        zero_for_one = quote_in != pool.base_is_token0  # token0 goes in
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        amount0, amount1, _, _, _, fee, _ = swap_steps(sqrt_price, tick, active, pool.fee_pips, table, zero_for_one, amount_in, limit)
        return (pool, amount0, -amount1, fee) if zero_for_one else (pool, amount1, -amount0, fee)

    def _depth(self, pair: TradingPairIdentifier, liquidity: Decimal | None) -> Decimal:
        value = liquidity if liquidity is not None else self.liquidity_usd
        if value is None or value <= 0:
            raise ConfigurationError(
                f"The concentrated-liquidity fill model needs the depth of {pair.ticker}: give the candles a 'liquidity' "
                "column, or set the model's liquidity_usd (the USD value of the quote side of a v2 pool as deep), "
                "or give it a tick -> liquidityNet table."
            )
        return value


def _fee_pips(pair: TradingPairIdentifier, default: int) -> int:
    tier = getattr(pair, "fee_tier", None)
    if isinstance(tier, int) and 0 <= tier < PIPS:
        return tier
    pips = pair.fee * PIPS
    return int(pips) if pips == pips.to_integral_value() and 0 <= pips < PIPS else default
