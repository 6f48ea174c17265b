"""A pool that has not moved inside the strategy's history window still has a price: the one standing when the window opens."""

from __future__ import annotations

from pathlib import Path

from .test_crash_recovery import live_env, start, swaps_on_chain
from .test_webhook_live import STRATEGY


def test_a_two_second_strategy_on_a_pool_quiet_for_twenty_minutes_trades_at_its_standing_price(deployment, tmp_path):
    """The strategy needs a few minutes of 2 s candles; the pool's last Sync is twenty minutes old (the deployment ages it).
    The history must start at that Sync, not at the window's first block, where there is no event and so no price."""
    strategy = tmp_path / "alternate_2s.py"
    strategy.write_text(STRATEGY)
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy, state_file, LOG_LEVEL="info")
    result = start(env)
    assert result.returncode == 0, result.stderr
    assert "Trade #1 buy ETH-USDC" in result.stderr
    from trade_executor.state import JSONFileStore

    state = JSONFileStore(state_file).load()
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 1
    (metadata,) = (Path(env["CACHE_PATH"]) / "chain-data" / "31337").glob("*/metadata.json")
    assert '"first_block": 0' not in metadata.read_text()  # the window's history only, from the pool's last move
