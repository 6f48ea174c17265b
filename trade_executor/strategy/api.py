"""Everything a strategy module needs to import, in one place.

    from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse
"""

from trade_executor.identifiers import ChainId, TradingPairIdentifier
from trade_executor.market.loader import MarketDataLoader
from trade_executor.market.universe import TradingUniverse
from trade_executor.state import TradeExecution, TradeType, TradingPosition
from trade_executor.strategy.context import ExecutionContext, ExecutionMode, UniverseOptions
from trade_executor.strategy.indicators import IndicatorSet
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import CURRENT_ENGINE_VERSION

__all__ = [
    "CURRENT_ENGINE_VERSION", "ChainId", "ExecutionContext", "ExecutionMode", "IndicatorSet", "MarketDataLoader",
    "StrategyInput", "TradeExecution", "TradeType", "TradingPairIdentifier", "TradingPosition", "TradingUniverse",
    "UniverseOptions",
]
