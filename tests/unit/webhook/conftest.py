"""A hand-built live State with numbers checkable by hand, and a real uvicorn server on a free port.

The state: 10,000 USDC deposited; a closed ETH position (buy 1 at 1,500, sell 1 at 1,650: +150);
an open ETH position (2 ETH bought for 3,000, now priced 1,600: 3,200); a frozen position whose buy
failed. Cash 10,000 - 1,500 + 1,650 - 3,000 = 7,150; equity 7,150 + 3,200 = 10,350; return 3.5%.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from trade_executor import secrets
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.runner.observers import CycleReport
from trade_executor.state import BalanceUpdateCause, LiveInfo, State, TradeExecution, TradeType, TradingPosition
from trade_executor.webhook import PriceSeries, StatusTracker, WebhookConfig, WebhookServer, create_app
from trade_executor.webhook.logs import LogBuffer

USDC = AssetIdentifier(31337, synthetic_address("USDC"), "USDC", 6)
ETH = AssetIdentifier(31337, synthetic_address("ETH"), "ETH", 18)
ETH_USDC = TradingPairIdentifier(ETH, USDC, synthetic_address("pool", "ETH-USDC"), "uniswap-v2")
START = datetime.datetime(2026, 1, 5)
CLOCK_START = 1_790_000_000.0


def at(hours: float) -> datetime.datetime:
    return START + datetime.timedelta(hours=hours)


def _trade(state: State, position: TradingPosition, when, quantity: str, reserve: str, *, fail: str | None = None) -> TradeExecution:
    portfolio = state.portfolio
    quantity_, reserve_ = Decimal(quantity), Decimal(reserve)
    trade = TradeExecution(portfolio.allocate_trade_id(), position.position_id, ETH_USDC, USDC, TradeType.rebalance, when, quantity_, reserve_, reserve_ / abs(quantity_))
    position.trades[trade.trade_id] = trade
    if fail:
        trade.mark_failed(when, fail)
        return trade
    trade.mark_success(executed_at=when, quantity=quantity_, reserve=reserve_, lp_fees=Decimal(0), price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(0))
    position.last_token_price, position.last_pricing_at = trade.executed_price, when
    portfolio.adjust_cash(trade.get_cash_delta())
    return trade


def _position(state: State, when, price: str) -> TradingPosition:
    portfolio = state.portfolio
    position = TradingPosition(portfolio.allocate_position_id(), ETH_USDC, USDC, when, Decimal(price), when)
    portfolio.open_positions[position.position_id] = position
    return position


def make_state(frozen_reason: str = "Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT") -> State:
    state = State(name="eth-usdc-alternate", created_at=START, live=LiveInfo(chain_id=31337, hot_wallet="0x" + "ab" * 20))
    state.portfolio.record_balance_update(BalanceUpdateCause.deposit, USDC, Decimal(10_000), START)
    closed = _position(state, at(1), "1500")
    _trade(state, closed, at(1), "1", "1500")
    _trade(state, closed, at(2), "-1", "1650")
    state.portfolio.close_position(closed, at(2))
    frozen = _position(state, at(3), "1550")
    _trade(state, frozen, at(3), "1", "1550", fail=frozen_reason)
    state.portfolio.freeze_position(frozen, at(3), frozen_reason)
    open_ = _position(state, at(4), "1500")
    _trade(state, open_, at(4), "2", "3000")
    open_.last_token_price = Decimal(1600)
    for hour, equity in ((1, 10_000.0), (2, 10_150.0), (3, 10_150.0), (4, 10_350.0)):
        state.stats.record(at(hour), equity, 7150.0, 1)
    state.cycle = 4
    state.live.last_cycle_at = at(4)
    return state


class FakeClock:
    """A deterministic time.time for the tracker: each call one second later."""

    def __init__(self, start: float = CLOCK_START):
        self.now = start - 1

    def __call__(self) -> float:
        self.now += 1
        return self.now


def prices() -> list[PriceSeries]:
    times = tuple((at(h) - datetime.datetime(1970, 1, 1)).total_seconds() for h in range(0, 5))
    return [PriceSeries("ETH-USDC", times, (1480.0, 1500.0, 1650.0, 1550.0, 1600.0), times[-1] + 3600)]


def run_through_cycle(tracker: StatusTracker, state: State) -> None:
    """What a live trader reports for one cycle of ``state``: started, gas, saved, cycle finished."""
    from trade_executor.state.serialisation import state_to_json

    tracker.started(state)
    tracker.gas_checked(Decimal("0.75"))
    tracker.state_saved(state_to_json(state))
    tracker.cycle_finished(CycleReport(state.cycle, at(4), [], 1.25), state)


@pytest.fixture(autouse=True)
def no_secrets_left_behind():
    yield
    secrets._reset_for_tests()


@pytest.fixture
def tracker() -> StatusTracker:
    return StatusTracker(clock=FakeClock(), version="9.9.9", price_source=prices)


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """serve(tracker, config=None, **app_options) -> base URL of a real uvicorn server on a free port."""
    servers = []

    def start(tracker: StatusTracker, config: WebhookConfig | None = None, **options) -> str:
        server = WebhookServer(create_app(tracker, config, **options), "127.0.0.1", 0).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def log_buffer() -> Iterator[LogBuffer]:
    import logging

    buffer = LogBuffer(capacity=50)
    logger = logging.getLogger("trade_executor.test_webhook")
    logger.setLevel(logging.INFO)
    logger.addHandler(buffer)
    yield buffer
    logger.removeHandler(buffer)
