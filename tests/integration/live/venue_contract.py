"""The live venue contract's shared parts: the strategies and how a run is started
(the ``venue`` fixture, one devnet per venue for a module, is conftest.py's).

What differs between venues (devnet, configuration, the strategy's exchange and fee tier, the
adversary's swaps, the pool's Swap events) is the ``venue`` fixture (venues.py); the test bodies, in
test_venue_contract.py (manipulation) and test_venue_contract_recovery.py (crashes, repair), are one.
Each test starts from a snapshot of its module's devnet taken after deployment (a fresh chain for each
test, without deploying again).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trade_executor.chain.wallet import HotWallet
from trade_executor.runner.live import LiveTrader
from trade_executor.testing.adversary import Adversary, TradeRecorder, approve_router

from .conftest import HOT_WALLET_KEY
from .venues import Venue

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"
ROUND_TRIP = STRATEGIES / "live_round_trip.py"  # $2,000 buy, stop loss 0.9, take profit 1.1, slippage 1%; sells when open
OVERSIZED_BUY = STRATEGIES / "live_oversized_buy.py"
TRAILING_STOP = STRATEGIES / "live_trailing_stop.py"  # trailing stop 0.8
MANIPULATION = Decimal("0.3")
LP_FEE = Decimal("0.003")  # both venues' pool: 0.3 %
WINDOW_MINUTES = 15  # LiveConfig.twap_window_minutes' default
WALLET = HotWallet(HOT_WALLET_KEY).address


def strategy_file(venue: Venue, folder: Path, source: str | Path) -> Path:
    """The strategy (a fixture file, or source text) rewritten for the venue, in ``folder``."""
    text = source.read_text() if isinstance(source, Path) else source
    path = folder / (source.name if isinstance(source, Path) else "alternate.py")
    path.write_text(venue.strategy(text))
    return path


def start(venue: Venue, folder: Path, **extra) -> subprocess.CompletedProcess:
    """``trade-executor start`` for one cycle of the alternating strategy, its state in ``folder``."""
    env = venue.live_env(folder / "alternate.py", folder / "state.json", folder / "chain-cache", **extra)
    return subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)


def start_trader(venue: Venue, folder: Path, strategy: Path, **overrides) -> tuple[LiveTrader, TradeRecorder, Adversary]:
    """A trader of ``strategy`` on a quiet pool (its reference is its price), and a searcher.

    The hot wallet approves the router first, so every transaction counted afterwards is a swap.
    """
    venue.ensure_history()
    adversary = venue.adversary()
    recorder = TradeRecorder()
    config = venue.live_config(strategy_file(venue, folder, strategy), folder / "state" / "live.json", folder / "cache")
    trader = LiveTrader(replace(config, observers=(recorder,), **overrides))
    approve_router(trader.web3, HOT_WALLET_KEY, venue.router, [venue.tokens["USDC"], venue.tokens["ETH"]])
    trader.recover()
    return trader, recorder, adversary




def cli(venue: Venue, folder: Path, strategy: Path, *args: str) -> subprocess.CompletedProcess:
    """A ``trade-executor`` operator command on the run ``start_trader`` made in ``folder``, straight to the node."""
    env = venue.live_env(folder / strategy.name, folder / "state" / "live.json", folder / "cache")
    return subprocess.run([str(TRADE_EXECUTOR), *args], env=env, capture_output=True, text=True, timeout=120)

