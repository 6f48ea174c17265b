"""How a swap fills in a backtest. Pluggable: the simulated execution model takes any FillModel.

Amounts are rounded to the tokens' integer units exactly as a chain would hold them, so cash
never carries sub-unit dust and a fill can be compared with a real pool to the wei.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from trade_executor.errors import ConfigurationError
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.amm import get_amount_out, price_impact, reserves_for_price
from trade_executor.market.fee_tiers import is_concentrated_liquidity
from trade_executor.money import from_units, quantize_down, to_units

ONE = Decimal(1)

CONSTANT_PRODUCT, SIMPLE, SIMPLE_FEE_ON_TOP = "constant_product", "simple", "simple_fee_on_top"
CONCENTRATED_LIQUIDITY = "concentrated_liquidity"  # Uniswap v3 maths: execution/uniswap_v3_fill.py
FILL_MODEL_NAMES = (CONSTANT_PRODUCT, CONCENTRATED_LIQUIDITY, SIMPLE, SIMPLE_FEE_ON_TOP)
SIMPLE_FILL_MODELS = frozenset({SIMPLE, SIMPLE_FEE_ON_TOP})  # no gas unless Parameters.gas_units_per_swap says so


@dataclass(frozen=True, slots=True)
class Fill:
    """What a swap gave: ``quantity`` base tokens for ``reserve`` quote, both positive."""

    quantity: Decimal
    reserve: Decimal
    lp_fee: Decimal
    price_impact: Decimal


class FillModel(Protocol):
    """Turn a swap request at a mid price into a fill. ``liquidity`` is the pool's quote-side USD value
    (for a v3 pool from the chain a market.pool_ranges.PoolDepth, which also carries its ranges then)."""

    name: str

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill: ...

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill: ...

    def describe(self) -> str: ...


class ConstantProductFillModel:
    """An x*y=k pool arbitraged back to the market price before each swap.

    Reserves come from the mid price and the pool's liquidity, then the fill is the Uniswap v2
    router's own integer formula: fee and price impact exactly as the pool would charge.
    """

    name = "constant_product"

    def __init__(self, liquidity_usd: Decimal | None = None):
        self.liquidity_usd = liquidity_usd

    def _liquidity(self, pair: TradingPairIdentifier, liquidity: Decimal | None) -> Decimal:
        value = liquidity if liquidity is not None else self.liquidity_usd
        if value is None or value <= 0:
            raise ConfigurationError(
                f"The constant-product fill model needs the pool liquidity of {pair.ticker}: give the candles a "
                "'liquidity' column, or set Parameters.pool_liquidity_usd (the USD value of the pool's quote side), "
                "or use Parameters.fill_model = 'simple'."
            )
        return value

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill:
        base_dec, quote_dec = pair.base.decimals, pair.quote.decimals
        reserve_base, reserve_quote = reserves_for_price(mid_price, self._liquidity(pair, liquidity), base_dec, quote_dec)
        amount_in = to_units(quote_in, quote_dec)
        amount_out = get_amount_out(amount_in, reserve_quote, reserve_base, pair.fee)
        quantity, reserve = from_units(amount_out, base_dec), from_units(amount_in, quote_dec)
        lp_fee = quantize_down(reserve * pair.fee, quote_dec)
        impact = price_impact(amount_in, amount_out, [(reserve_quote, reserve_base)], pair.fee, quote_in=True)
        return Fill(quantity, reserve, lp_fee, impact)

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill:
        base_dec, quote_dec = pair.base.decimals, pair.quote.decimals
        reserve_base, reserve_quote = reserves_for_price(mid_price, self._liquidity(pair, liquidity), base_dec, quote_dec)
        amount_in = to_units(base_in, base_dec)
        amount_out = get_amount_out(amount_in, reserve_base, reserve_quote, pair.fee)
        quantity, reserve = from_units(amount_in, base_dec), from_units(amount_out, quote_dec)
        lp_fee = quantize_down(quantity * pair.fee * mid_price, quote_dec)
        impact = price_impact(amount_in, amount_out, [(reserve_base, reserve_quote)], pair.fee, quote_in=False)
        return Fill(quantity, reserve, lp_fee, impact)

    def describe(self) -> str:
        liquidity = f"${self.liquidity_usd:,.0f} quote-side liquidity" if self.liquidity_usd else "liquidity from data"
        return f"constant product (x*y=k), pair LP fee, {liquidity}"


class SimpleFillModel:
    """A fixed fee rate and no price impact: the model other backtesters use, for comparisons.

    Two ways to charge the fee on a buy of ``cash`` at ``price``:

    - fee out of the cash (``simple``, the default), as a Uniswap pool takes it:
      quantity = cash x (1 - fee) / price, the fee being cash x fee;
    - fee on top of the notional (``simple_fee_on_top``), as backtesting.py, backtrader and
      vectorbt size an all-in buy: quantity = cash / (price x (1 + fee)), the fee being
      quantity x price x fee = cash x fee / (1 + fee).

    The second buys 1 / (1 - fee^2) times as much (fee^2 per entry: 0.0009% at 0.3%), which no fee
    rate of the first reproduces. A sell is the same in both: proceeds = quantity x price x (1 - fee).
    Every amount is rounded down to the token's unit (what we receive is never rounded up).
    """

    def __init__(self, fee_rate: Decimal = Decimal("0.003"), *, fee_on_top: bool = False):
        self.fee_rate = fee_rate
        self.fee_on_top = fee_on_top
        self.name = SIMPLE_FEE_ON_TOP if fee_on_top else SIMPLE

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill:
        reserve = quantize_down(quote_in, pair.quote.decimals)
        if self.fee_on_top:
            quantity = quantize_down(reserve / (mid_price * (ONE + self.fee_rate)), pair.base.decimals)
            fee = quantize_down(reserve * self.fee_rate / (ONE + self.fee_rate), pair.quote.decimals)
        else:
            quantity = quantize_down(reserve * (ONE - self.fee_rate) / mid_price, pair.base.decimals)
            fee = quantize_down(reserve * self.fee_rate, pair.quote.decimals)
        return Fill(quantity, reserve, fee, Decimal(0))

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill:
        quantity = quantize_down(base_in, pair.base.decimals)
        gross = quantity * mid_price
        reserve = quantize_down(gross * (ONE - self.fee_rate), pair.quote.decimals)
        return Fill(quantity, reserve, quantize_down(gross * self.fee_rate, pair.quote.decimals), Decimal(0))

    def describe(self) -> str:
        on_top = " added on top of each buy's notional" if self.fee_on_top else ""
        return f"{self.name}, fixed fee {self.fee_rate * 100:.2f}%{on_top}, no price impact"


class PerVenueFillModel:
    """Each pool fills with its own venue's maths: x*y=k for v2 pools, concentrated liquidity for v3 ones."""

    name = CONSTANT_PRODUCT

    def __init__(self, v2: FillModel, v3: FillModel):
        self.v2, self.v3 = v2, v3
        self.liquidity_usd = getattr(v2, "liquidity_usd", None)
        self._venue: dict[str, FillModel] = {}

    def _model(self, pair: TradingPairIdentifier) -> FillModel:
        model = self._venue.get(pair.exchange_slug)
        if model is None:
            model = self._venue[pair.exchange_slug] = self.v3 if is_concentrated_liquidity(pair.exchange_slug) else self.v2
        return model

    def buy(self, pair: TradingPairIdentifier, mid_price: Decimal, quote_in: Decimal, liquidity: Decimal | None) -> Fill:
        return self._model(pair).buy(pair, mid_price, quote_in, liquidity)

    def sell(self, pair: TradingPairIdentifier, mid_price: Decimal, base_in: Decimal, liquidity: Decimal | None) -> Fill:
        return self._model(pair).sell(pair, mid_price, base_in, liquidity)

    def describe(self) -> str:
        return f"v2 pools {self.v2.describe()}; v3 pools {self.v3.describe()}"


def fill_model_named(
    name: str, fee_rate: Decimal, liquidity_usd: Decimal | None, pairs: Iterable[TradingPairIdentifier] = (), *, chosen: bool = True,
    ranges_from_data: bool = False,
) -> FillModel:
    """The fill model a strategy's ``fill_model`` (or ``--fill-model``) names.

    ``chosen=False``: the strategy kept the default, and each pool fills with its venue's maths:
    v3 pools (``pairs`` on a Uniswap v3 style exchange) with concentrated liquidity, v2 pools x*y=k.
    ``ranges_from_data``: the data has v3 pools' ranges through time (the concentrated-liquidity model says so).
    """
    pairs = list(pairs)
    if name == CONSTANT_PRODUCT and not chosen and any(is_concentrated_liquidity(p.exchange_slug) for p in pairs):
        v3 = _concentrated(liquidity_usd, [p for p in pairs if is_concentrated_liquidity(p.exchange_slug)], ranges_from_data)
        if all(is_concentrated_liquidity(p.exchange_slug) for p in pairs):
            return v3
        return PerVenueFillModel(ConstantProductFillModel(liquidity_usd), v3)
    if name == CONSTANT_PRODUCT:
        return ConstantProductFillModel(liquidity_usd)
    if name == CONCENTRATED_LIQUIDITY:
        return _concentrated(liquidity_usd, pairs, ranges_from_data)
    if name in SIMPLE_FILL_MODELS:
        return SimpleFillModel(fee_rate, fee_on_top=name == SIMPLE_FEE_ON_TOP)
    raise ConfigurationError(f"Unknown fill model {name!r}: use {', '.join(FILL_MODEL_NAMES[:-1])} or {FILL_MODEL_NAMES[-1]}.")


def _concentrated(liquidity_usd: Decimal | None, pairs: list[TradingPairIdentifier], ranges_from_data: bool = False) -> FillModel:
    from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel  # imports this module

    return ConcentratedLiquidityFillModel(liquidity_usd=liquidity_usd, pairs=pairs, ranges_from_data=ranges_from_data)
