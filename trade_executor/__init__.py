"""trade-executor: one strategy module, backtest and live trading on Uniswap v2 style DEXes.

The public surface is ``__all__``; names load on first use so the command line starts fast.
"""

from __future__ import annotations

import importlib

from trade_executor import money as _money

_money.install()  # exact money before any Decimal is made (see money.py)

_EXPORTS = {
    "ChainId": "trade_executor.identifiers",
    "AssetIdentifier": "trade_executor.identifiers",
    "TradingPairIdentifier": "trade_executor.identifiers",
    "TradingUniverse": "trade_executor.market.universe",
    "MarketDataLoader": "trade_executor.market.loader",
    "IndicatorSet": "trade_executor.strategy.indicators",
    "StrategyInput": "trade_executor.strategy.input",
    "ExecutionContext": "trade_executor.strategy.context",
    "ExecutionMode": "trade_executor.strategy.context",
    "UniverseOptions": "trade_executor.strategy.context",
    "load_strategy_module": "trade_executor.strategy.module",
    "State": "trade_executor.state",
    "TradeExecution": "trade_executor.state",
    "TradeType": "trade_executor.state",
    "TradingPosition": "trade_executor.state",
    "JSONFileStore": "trade_executor.state",
    "BacktestRun": "trade_executor.runner.backtest",
    "BacktestOptions": "trade_executor.runner.backtest",
    "build_universe": "trade_executor.runner.backtest",
    "ConstantProductFillModel": "trade_executor.execution.fill_models",
    "SimpleFillModel": "trade_executor.execution.fill_models",
    "calculate_summary": "trade_executor.reporting.summary",
    "format_summary_table": "trade_executor.reporting.summary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trade_executor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
