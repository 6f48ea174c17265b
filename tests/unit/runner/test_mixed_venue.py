"""A universe that mixes exchanges: which exchanges a strategy trades (read without market data), what a
live run refuses, and how the mixed venue's parts send each pair and trade to its own venue."""

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from trade_executor.errors import ConfigurationError
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.universe import TradingUniverse
from trade_executor.runner.mixed_venue import MixedMarketDataLoader, PerPairExecution, check_mixed, universe_exchanges
from trade_executor.strategy.module import load_strategy_module

REPO = Path(__file__).resolve().parents[3]
USDC = AssetIdentifier(1, "0x" + "1" * 40, "USDC", 6)


def _pair(symbol: str, exchange: str) -> TradingPairIdentifier:
    return TradingPairIdentifier(AssetIdentifier(1, "0x" + symbol.encode().hex().ljust(40, "0"), symbol, 18), USDC, "0x" + "2" * 40, exchange, Decimal("0.003"))


def _strategy(tmp_path: Path, universe_line: str) -> Path:
    path = tmp_path / "strategy.py"
    path.write_text(
        "trading_strategy_engine_version = '1.0'\ntrading_strategy_cycle = '1h'\nchain_id = 1\nexchange = 'uniswap-v3'\nreserve_currency = 'USDC'\n"
        "class Parameters:\n    initial_cash = 10_000\n"
        f"def create_trading_universe(timestamp, data, execution_context, options):\n    {universe_line}\n"
        "def decide_trades(input):\n    return []\n"
    )
    return path


def test_the_exchanges_of_a_strategy_are_read_without_market_data(tmp_path):
    assert universe_exchanges(load_strategy_module(REPO / "strategies/eth-btc-momentum-mixed.py")) == {"ETH-USDC": "uniswap-v3", "BTC-USDC": "uniswap-v2"}
    assert universe_exchanges(load_strategy_module(REPO / "strategies/eth-usd-sma-v3.py")) == {"ETH-USDC": "uniswap-v3"}
    assert universe_exchanges(load_strategy_module(REPO / "strategies/eth-btc-momentum.py")) == {"ETH-USDC": "uniswap-v2", "BTC-USDC": "uniswap-v2"}
    chain = _strategy(tmp_path, "return data.chain(['ETH', 'BTC'], time_frame='1h', fee={'ETH': 0.003}, exchange={'BTC': 'uniswap-v2'})")
    assert universe_exchanges(load_strategy_module(chain)) == {"ETH-USDC": "uniswap-v3", "BTC-USDC": "uniswap-v2"}
    unknowable = _strategy(tmp_path, "return data.files('candles.csv')")  # which pairs: only the file knows
    assert universe_exchanges(load_strategy_module(unknowable)) == {}


def test_two_exchanges_of_one_kind_are_refused_naming_the_pairs_venues_and_what_is_supported():
    exchanges = {"ETH-USDC": "uniswap-v3", "BTC-USDC": "uniswap-v2"}
    assert check_mixed(exchanges) == ("uniswap-v2", "uniswap-v3")
    with pytest.raises(ConfigurationError) as two_v2:
        check_mixed({**exchanges, "LINK-USDC": "sushiswap"})
    message = str(two_v2.value)
    assert "(ETH-USDC on uniswap-v3, BTC-USDC on uniswap-v2, LINK-USDC on sushiswap): two of the same kind (sushiswap, uniswap-v2)" in message
    assert "one Uniswap v2 style exchange (UNISWAP_V2_ROUTER, UNISWAP_V2_FACTORY) and one Uniswap v3 style exchange" in message


class _Model:
    def __init__(self, name: str, log: list):
        self.name, self.log = name, log
        self.web3 = self.clock = self.builder = None
        self.confirmation_timeout = 1.0
        self.may_sign = lambda: None

    def execute_trades(self, timestamp, state, trades):
        self.log += [(self.name, t.pair.ticker, "buy" if t.planned_quantity > 0 else "sell") for t in trades]


def test_trades_run_on_their_pairs_venue_sells_first_across_venues():
    log: list = []
    venues = {"uniswap-v3": SimpleNamespace(execution=_Model("v3", log)), "uniswap-v2": SimpleNamespace(execution=_Model("v2", log))}
    execution = PerPairExecution(lambda pair: venues[pair.exchange_slug], venues.values())
    eth, btc = _pair("ETH", "uniswap-v3"), _pair("BTC", "uniswap-v2")
    trades = [SimpleNamespace(pair=eth, planned_quantity=Decimal(1)), SimpleNamespace(pair=btc, planned_quantity=Decimal(-1))]  # a rotation, buy listed first
    execution.execute_trades(None, None, trades)
    assert log == [("v2", "BTC-USDC", "sell"), ("v3", "ETH-USDC", "buy")]  # the sale's cash is there for the buy
    check = lambda: None  # noqa: E731
    execution.may_sign = check  # the watchdog reaches both venues' models
    assert all(v.execution.may_sign is check for v in venues.values())


class _Loader:
    def __init__(self, exchange: str):
        self.exchange, self.reserve_asset, self.calls = exchange, USDC, []

    def embedded(self, symbols, *, fee=None, time_frame=None):
        self.calls.append((list(symbols), fee))
        index = pd.date_range("2024-01-01", periods=3, freq="1h", name="timestamp")
        frame = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}, index=index)
        pairs = {f"{s}-USDC": _pair(s, self.exchange) for s in symbols}
        return TradingUniverse(1, self.exchange, USDC, pairs, dict.fromkeys(pairs, frame), pd.Timedelta("1h"))


def test_live_data_of_a_mixed_universe_comes_from_each_pairs_venue():
    v2, v3 = _Loader("uniswap-v2"), _Loader("uniswap-v3")
    loader = MixedMarketDataLoader({"uniswap-v3": v3, "uniswap-v2": v2}, "uniswap-v3")
    universe = loader.embedded(["ETH", "BTC"], fee={"ETH": 0.0005, "BTC": 0.003}, exchange={"BTC": "uniswap-v2"})
    assert {t: p.exchange_slug for t, p in universe.pairs.items()} == {"ETH-USDC": "uniswap-v3", "BTC-USDC": "uniswap-v2"}
    assert v3.calls == [(["ETH"], 0.0005)] and v2.calls == [(["BTC"], 0.003)]
    assert set(universe.candles) == {"ETH-USDC", "BTC-USDC"} and universe.exchange_slug == "uniswap-v3"
    with pytest.raises(ConfigurationError, match="LINK is on sushiswap, but this live run trades on uniswap-v3, uniswap-v2 only"):
        loader.chain(["ETH", "LINK"], exchange={"LINK": "sushiswap"})
