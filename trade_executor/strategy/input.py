"""The one argument ``decide_trades(input)`` receives."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pandas as pd

from trade_executor.execution.interfaces import PricingModel
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.universe import TradingUniverse
from trade_executor.state import State
from trade_executor.strategy.context import ExecutionContext
from trade_executor.strategy.indicators import IndicatorValues
from trade_executor.strategy.parameters import StrategyParameters
from trade_executor.strategy.position_manager import PositionManager


@dataclass(slots=True)
class StrategyInput:
    """Reused from cycle to cycle: the runner moves ``timestamp`` and ``cycle`` on.

    ``universe`` holds all candles; read history through ``get_candles`` or ``indicators``,
    which stop at the last candle closed by ``timestamp``.
    """

    timestamp: datetime.datetime
    cycle: int
    parameters: StrategyParameters
    universe: TradingUniverse
    state: State
    indicators: IndicatorValues
    pricing: PricingModel
    position_manager: PositionManager
    execution_context: ExecutionContext

    def get_candles(self, pair: TradingPairIdentifier | str | None = None) -> pd.DataFrame:
        """The pair's candles closed by now."""
        pair = self.universe.get_single_pair() if pair is None else self.universe.get_pair(pair)
        count = self.indicators.get_closed_candle_count(pair)
        return self.universe.candles[pair.ticker].iloc[:count]

    @property
    def visualisation(self):
        return self.state.visualisation
