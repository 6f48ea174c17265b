"""The live venue: Uniswap v2 from a hot wallet, the chain the books are checked against."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.errors import ConfigurationError, StopError
from trade_executor.execution.uniswap_v2.execution_model import UniswapV2ExecutionModel
from trade_executor.execution.uniswap_v2.recovery import recover, settle_mined
from trade_executor.execution.uniswap_v2.treasury import check_accounts, sync_treasury
from trade_executor.runner.venue import HOT_WALLET, PAPER, LiveVenue, market_venue
from trade_executor.state import ReservePosition, State
from trade_executor.strategy.module import StrategyModule

logger = logging.getLogger(__name__)


class HotWalletTreasury:
    """The chain is the truth: deposits and withdrawals are synced from it and the books checked against it."""

    def __init__(self, venue: LiveVenue, config, strategy: StrategyModule):
        self.venue, self.config, self.strategy = venue, config, strategy

    def claim(self, state: State, path: Path) -> None:
        live, wallet = state.live, self.venue.wallet.address
        if live.rehearsal == PAPER:
            raise ConfigurationError(
                f"State file {path} holds a paper trading run (no real trades, {live.cycles_completed} cycles completed); a live start never trades on it "
                f"(it was not modified). Fix: point STATE_FILE (or --state-file) at the live run's file (by default state/{self.strategy.strategy_id}.json), "
                f"or set EXECUTION_TYPE=paper to continue the paper run."
            )
        if live.hot_wallet and live.hot_wallet != wallet:
            raise ConfigurationError(f"State file {path} belongs to hot wallet {live.hot_wallet}, not {wallet}. Use the right PRIVATE_KEY or another STATE_FILE.")
        live.hot_wallet = wallet

    def recover(self, state: State) -> list[str]:
        return recover(state, self.venue.execution, self.config.unresolved_policy)

    def settle_mined(self, state: State, head: int) -> list:
        return settle_mined(state, self.venue.execution, head)

    def sync_and_check(self, state: State, timestamp, head: int) -> list[str]:
        reserve = self.venue.loader.reserve_asset
        notes = sync_treasury(self.venue.web3, state, self.venue.wallet.address, reserve, timestamp, to_block=head)
        if not state.portfolio.reserves:
            state.portfolio.reserves[reserve.address] = ReservePosition(reserve, Decimal(0), timestamp)
        check_accounts(self.venue.web3, state, self.venue.wallet.address, block=head)
        return notes

    def check_gas(self) -> Decimal | None:
        wallet = self.venue.wallet.address
        balance = Decimal(self.venue.web3.eth.get_balance(wallet)).scaleb(-18)
        if balance < self.config.min_gas_balance:
            raise StopError(f"The hot wallet {wallet} has {balance} of the native token for gas, below MIN_GAS_BALANCE {self.config.min_gas_balance}. Top it up.")
        return balance


def uniswap_v2_venue(config, strategy: StrategyModule, save: Callable[[], None], loader=None) -> LiveVenue:
    venue = market_venue(config, strategy, HOT_WALLET, loader)
    venue.wallet = HotWallet(config.private_key.get_secret_value())
    parameters = strategy.parameters
    venue.execution = UniswapV2ExecutionModel(
        venue.web3, TransactionBuilder(venue.web3, venue.wallet), venue.routing, save, pricing=venue.pricing,
        confirmations=config.confirmation_block_count, confirmation_timeout=config.confirmation_timeout,
        slippage_tolerance=parameters.slippage_tolerance, max_price_deviation=config.max_price_deviation,
        max_price_impact=parameters.max_price_impact, native_price=venue.native_price, clock=config.clock,
    )
    venue.treasury = HotWalletTreasury(venue, config, strategy)
    return venue
