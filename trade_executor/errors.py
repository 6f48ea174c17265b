"""The exception tree, grouped by what the caller should do.

::

    TradeExecutorError
    ├── StopError              the run cannot go on; a person must act (message says how)
    │   ├── ConfigurationError     bad option, environment variable or file name
    │   ├── StrategyModuleError    the strategy module cannot be loaded (syntax, missing function...)
    │   ├── DataError              market data is missing, malformed or inconsistent
    │   ├── StateError             the state file is corrupt, truncated or of an unknown version
    │   ├── StateFileLocked        another process is writing the state file (exit 2)
    │   └── AccountingMismatch     on-chain balances disagree with the state
    ├── SkipError              this one trade is skipped; the cycle goes on
    │   ├── TransactionRejected    the node refused the transaction; it never reached the chain
    │   ├── DustTradeSkipped       below the minimum trade value
    │   └── NoPriceSkipped         no candle at this cycle for the pair (a data gap)
    ├── RetryableError         transient; safe to try the same thing again
    │   ├── TransactionUnresolved  a broadcast whose fate the chain has not told yet
    │   └── NodeRateLimited        the node kept refusing requests (HTTP 429) past the wait budget
    └── StrategyRuntimeError   user code raised while the strategy was running (a strategy bug)

Every class is also a subclass of the matching builtin where one fits (``ValueError``...),
so callers that know nothing of ours still catch them.
"""

from __future__ import annotations


class TradeExecutorError(Exception):
    """Base of every error this package raises on purpose."""


class StopError(TradeExecutorError):
    """The run cannot continue. The message tells the operator what to fix."""

    exit_code = 1


class ConfigurationError(StopError, ValueError):
    """An option, environment variable or configuration file value is wrong."""

    exit_code = 2


class StrategyModuleError(StopError):
    """The strategy module is broken; nothing has traded.

    Carries the file and (where there is one) the line, so tools can point at it.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


class DataError(StopError, ValueError):
    """Market data is missing, malformed or does not cover what the strategy asks."""

    exit_code = 2


class StateError(StopError):
    """The state file cannot be used as it is. It has not been modified."""

    exit_code = 1


class StateFileLocked(StopError):
    """Another process holds the state file's writer lock; a second writer would lose trades.

    Carries the holder's PID and command, so the operator knows which process to stop.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str, pid: int | None = None, command: str | None = None):
        super().__init__(message)
        self.path = path
        self.pid = pid
        self.command = command


class AccountingMismatch(StopError):
    """What the state says we hold differs from what the chain says. Nothing more trades."""

    def __init__(self, message: str, rows: list[tuple[str, str, str]] | None = None):
        super().__init__(message)
        self.rows = rows or []


class SkipError(TradeExecutorError):
    """One trade is skipped; the cycle carries on."""


class DustTradeSkipped(SkipError):
    """The trade is worth less than the configured minimum and is not sent."""


class NoPriceSkipped(SkipError):
    """The pair has no candle at this cycle (a data gap); nothing fills at an invented price."""


class RetryableError(TradeExecutorError):
    """A transient failure; repeating the same operation is safe."""


class TransactionRejected(SkipError):
    """The node refused a transaction (bad nonce, no funds...): it is not on chain."""


class TransactionUnresolved(RetryableError):
    """We cannot prove whether a broadcast transaction is on chain yet; ask the chain again later."""


class NodeRateLimited(RetryableError, ConnectionError):
    """The JSON-RPC node kept answering "too many requests" longer than we wait; later, it may answer."""


class StrategyRuntimeError(TradeExecutorError):
    """The strategy's own code raised an exception while running."""

    exit_code = 1
