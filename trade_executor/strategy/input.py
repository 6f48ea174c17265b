"""The one argument ``decide_trades(input)`` receives."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pandas as pd

from trade_executor.execution.interfaces import PricingModel
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.state import State
from trade_executor.strategy.context import ExecutionContext
from trade_executor.strategy.indicators import IndicatorValues
from trade_executor.strategy.parameters import StrategyParameters
from trade_executor.strategy.position_manager import PositionManager
from trade_executor.strategy.universe_view import ClosedCandlesUniverse


@dataclass(slots=True)
class StrategyInput:
    """Reused from cycle to cycle: the runner moves ``timestamp`` and ``cycle`` on.

    ``universe`` is a ClosedCandlesUniverse: like ``indicators`` and ``get_candles``, it shows
    only candles closed by ``timestamp``, so nothing decide_trades reads can look ahead.
    """

    timestamp: datetime.datetime
    cycle: int
    parameters: StrategyParameters
    universe: ClosedCandlesUniverse
    state: State
    indicators: IndicatorValues
    pricing: PricingModel
    position_manager: PositionManager
    execution_context: ExecutionContext

    def get_candles(self, pair: TradingPairIdentifier | str | None = None) -> pd.DataFrame:
        """The pair's candles closed by now (the only pair when there is one)."""
        return self.universe.get_candles(self.universe.get_single_pair() if pair is None else pair)

    @property
    def visualisation(self):
        return self.state.visualisation
