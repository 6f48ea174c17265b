"""The paper venue: the live loop on the real chain's pools, with no key and no transaction.

Market data, reference prices, routing and the safety rules are the live venue's; execution is
``PaperExecutionModel`` (fills with the router's maths at the block the cycle read). The treasury
is the books alone: a new paper state is funded with the strategy's ``Parameters.initial_cash``;
there is no chain balance to sync or check against, and no gas balance to watch. A paper state is
marked ``live.rehearsal = "paper"`` before its first save, so no live start ever takes it for its
own, and a paper start refuses any other run's file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from trade_executor.chain.gas import node_priority_fee
from trade_executor.errors import ConfigurationError
from trade_executor.execution.gas import CHAIN_GAS_DEFAULTS
from trade_executor.execution.paper.execution_model import SWAP_GAS_UNITS, PaperExecutionModel
from trade_executor.execution.uniswap_v2.recovery import pending_trades
from trade_executor.market.fee_tiers import is_concentrated_liquidity
from trade_executor.runner.venue import PAPER, LiveVenue, market_venue
from trade_executor.state import BalanceUpdateCause, State
from trade_executor.state.ownership import describe_run
from trade_executor.strategy.module import StrategyModule

logger = logging.getLogger(__name__)

BOOKS_ARE_THE_TRUTH = (
    "Paper trading: no private key, nothing is signed or sent. The books are the truth: no treasury sync and no accounting "
    "check against the chain, no gas balance check; fills are computed on the pools at the block each cycle reads."
)


class PaperTreasury:
    def __init__(self, venue: LiveVenue, strategy: StrategyModule):
        self.venue, self.strategy = venue, strategy

    def claim(self, state: State, path: Path) -> None:
        if state.live.rehearsal == PAPER:
            return
        if Path(path).exists():
            raise ConfigurationError(
                f"State file {path} holds {describe_run(state)}, not a paper trading run; a paper run never writes into it (it was not modified). "
                f"Fix: give the paper run its own file: unset STATE_FILE or point it (or --state-file) elsewhere (by default state/{self.strategy.strategy_id}-paper.json)."
            )
        state.live.rehearsal = PAPER  # before the first save

    def recover(self, state: State) -> list[str]:
        """A paper fill is applied and saved in one step: a trade still pending was never filled."""
        logger.warning("%s", BOOKS_ARE_THE_TRUTH)
        report = []
        for trade in pending_trades(state):
            trade.mark_failed(self.venue.execution.clock(), "the paper run stopped before this trade was filled; nothing was filled, the strategy decides again", skipped=True)
            state.portfolio.record_unfilled(trade)
            report.append(f"trade #{trade.trade_id}: planned but never filled before the paper run stopped, marked skipped")
        return report

    def settle_mined(self, state: State, head: int) -> list:
        return []

    def sync_and_check(self, state: State, timestamp, head: int) -> list[str]:
        if state.portfolio.reserves or state.portfolio.balance_updates:
            return []
        reserve, cash = self.venue.loader.reserve_asset, Decimal(str(self.strategy.parameters.initial_cash))
        state.portfolio.record_balance_update(BalanceUpdateCause.deposit, reserve, cash, timestamp, notes="paper wallet funded with Parameters.initial_cash")
        return [f"paper wallet funded with {cash} {reserve.token_symbol} (Parameters.initial_cash)"]

    def check_gas(self) -> Decimal | None:
        return None


def paper_venue(config, strategy: StrategyModule, save: Callable[[], None], loader=None) -> LiveVenue:
    """Paper trading on the strategy's kind of exchange: v2 pools, or v3 ones (exact v3 quotes from the pools' state)."""
    model, extra = PaperExecutionModel, {}
    if is_concentrated_liquidity(strategy.exchange_slug):
        from trade_executor.execution.paper.uniswap_v3 import UniswapV3PaperExecutionModel
        from trade_executor.execution.uniswap_v3.pool_state import PoolReader
        from trade_executor.execution.uniswap_v3.quotes import UniswapV3Quoter
        from trade_executor.runner.v3_venue import v3_market_venue

        venue = v3_market_venue(config, strategy, PAPER, loader)
        model, extra = UniswapV3PaperExecutionModel, {"quoter": UniswapV3Quoter(PoolReader(venue.web3))}
    else:
        venue = market_venue(config, strategy, PAPER, loader)
    venue.pin_reads = True  # every pool read at one block number: the block a paper fill is priced at

    tips: dict[int, int] = {}

    def priced_block(pools: list[str]) -> tuple[int, int]:
        """(block, gas price in wei) live would pay there: its base fee plus the tip live asks the node for (chain/gas.py), or the legacy gas price."""
        if venue.priced_block is None or not venue.routing.snapshot_covers(pools):
            venue.observe_pools(pools)
        number, base_fee = venue.priced_block
        if number not in tips:
            tips.clear()
            tips[number] = node_priority_fee(venue.web3) if base_fee is not None else venue.web3.eth.gas_price
        return number, (base_fee + tips[number]) if base_fee is not None else tips[number]

    parameters = strategy.parameters
    units = parameters.gas_units_per_swap if parameters.gas_units_per_swap is not None else CHAIN_GAS_DEFAULTS.get(strategy.chain_id, ("", SWAP_GAS_UNITS))[1]
    venue.execution = model(
        venue.routing, save, **extra, pricing=venue.pricing, priced_block=priced_block, native_price=venue.native_price, gas_units_per_swap=units,
        slippage_tolerance=parameters.slippage_tolerance, max_price_deviation=config.max_price_deviation,
        max_price_impact=parameters.max_price_impact, clock=config.clock,
    )
    venue.treasury = PaperTreasury(venue, strategy)
    return venue
