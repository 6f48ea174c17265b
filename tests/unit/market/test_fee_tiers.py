"""Pairs on v3 exchanges carry one of the exchange's fee tiers; a universe may mix v2 and v3 pools."""

from decimal import Decimal

import pandas as pd
import pytest

from trade_executor.errors import DataError
from trade_executor.execution.fill_models import ConstantProductFillModel, PerVenueFillModel, fill_model_named
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.market.fee_tiers import check_fee_tier, fee_tiers_of, is_concentrated_liquidity
from trade_executor.market.loader import MarketDataLoader


def _frame() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=5, freq="1h")
    return pd.DataFrame({"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "volume": 1.0}, index=index)


def test_exchanges_and_their_tiers():
    assert is_concentrated_liquidity("uniswap-v3") and is_concentrated_liquidity("sushiswap-v3")
    assert not is_concentrated_liquidity("uniswap-v2")
    assert fee_tiers_of("pancakeswap-v3") == (100, 500, 2500, 10000)
    assert fee_tiers_of("uniswap-v2") == ()
    assert check_fee_tier("X-USDC", "uniswap-v2", Decimal("0.002")) == Decimal("0.002")


def test_a_mixed_universe_with_fee_tiers():
    loader = MarketDataLoader(1, "uniswap-v3", "USDC")
    universe = loader.from_frames({"ETH": _frame(), "BTC": _frame(), "LINK": _frame()}, fee={"ETH": 0.0005, "LINK": 0.01}, exchange={"BTC": "uniswap-v2"})
    eth, btc, link = (universe.get_pair(s) for s in ("ETH", "BTC", "LINK"))
    assert (eth.exchange_slug, eth.fee) == ("uniswap-v3", Decimal("0.0005"))
    assert (btc.exchange_slug, btc.fee) == ("uniswap-v2", Decimal("0.003"))
    assert (link.exchange_slug, link.fee) == ("uniswap-v3", Decimal("0.01"))
    other_tier = loader.from_frames({"ETH": _frame()}, fee=0.003).get_pair("ETH")
    assert other_tier.pool_address != eth.pool_address  # one pool per tier

    model = fill_model_named("constant_product", Decimal("0.003"), Decimal(10**6), universe.pairs.values(), chosen=False)
    assert isinstance(model, PerVenueFillModel)
    assert isinstance(model._model(eth), ConcentratedLiquidityFillModel) and isinstance(model._model(btc), ConstantProductFillModel)
    assert "v3 pools concentrated liquidity (Uniswap v3 maths), fee tiers 0.05%, 1%" in model.describe()
    chosen = fill_model_named("constant_product", Decimal("0.003"), Decimal(10**6), universe.pairs.values())
    assert isinstance(chosen, ConstantProductFillModel)  # a strategy that names a model gets it everywhere


def test_a_fee_that_is_not_a_tier_names_pair_value_and_tiers():
    loader = MarketDataLoader(56, "pancakeswap-v3", "USDC")
    with pytest.raises(DataError) as error:
        loader.from_frames({"ETH": _frame()})  # the default 0.3% is not a PancakeSwap v3 tier
    assert str(error.value).startswith("Pair ETH-USDC on pancakeswap-v3: fee 0.003 (0.3%) is not a fee tier of pancakeswap-v3. Allowed tiers: 0.01%, 0.05%, 0.25%, 1%")
    assert loader.from_frames({"ETH": _frame()}, fee=0.0025).get_pair("ETH").fee == Decimal("0.0025")
