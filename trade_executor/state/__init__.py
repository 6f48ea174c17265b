"""The persistent truth: plain dataclasses, JSON on disk. Imports nothing of ours but leaves."""

from trade_executor.state.portfolio import BalanceUpdate, BalanceUpdateCause, Portfolio, ReservePosition
from trade_executor.state.position import TradingPosition
from trade_executor.state.state import BacktestInfo, LiveInfo, State
from trade_executor.state.statistics import Statistics
from trade_executor.state.store import JSONFileStore
from trade_executor.state.trade import BlockchainTransaction, TradeExecution, TradeStatus, TradeType
from trade_executor.state.visualisation import Visualisation

__all__ = [
    "BacktestInfo", "BalanceUpdate", "BalanceUpdateCause", "BlockchainTransaction", "JSONFileStore", "LiveInfo",
    "Portfolio", "ReservePosition", "State", "Statistics", "TradeExecution", "TradeStatus", "TradeType",
    "TradingPosition", "Visualisation",
]
