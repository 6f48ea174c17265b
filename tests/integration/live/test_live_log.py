"""The live log says what happened: one INFO line per executed trade, and what a restart resumed from."""

import signal
from decimal import Decimal

from trade_executor.state import JSONFileStore, TradeExecution

from .test_crash_recovery import live_env, start

MODULE = "trade_executor.execution.uniswap_v2.execution_model"


def logged(stderr: str, level: str, logger: str, message: str) -> bool:
    """A human log line `DATE TIME LEVEL logger: message`."""
    return any(line.split()[2:4] == [level, f"{logger}:"] and line.endswith(f": {message}") for line in stderr.splitlines() if len(line.split()) > 3)


def fill_line(trade: TradeExecution) -> str:
    tx = trade.blockchain_transactions[-1]
    side = "buy" if trade.executed_quantity > 0 else "sell"
    return (
        f"Trade #{trade.trade_id} {side} ETH-USDC: {abs(trade.executed_quantity):f} ETH at {trade.executed_price:.10g} USDC "
        f"for {trade.executed_reserve:f} USDC; fees: LP {trade.lp_fees_paid:f} USDC, gas {trade.gas_cost_native:f} native "
        f"({trade.gas_cost_usd:f} USDC); tx {tx.tx_hash} in block {tx.block_number}"
    )


def test_each_trade_gets_one_info_line_and_a_restart_logs_what_it_resumed_from(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    killed = start(live_env(deployment, strategy_file, state_file, LOG_LEVEL="info", TRADE_EXECUTOR_CRASH_AT="after_broadcast"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = JSONFileStore(state_file).load()
    buy_tx = left.portfolio.open_positions[1].trades[1].blockchain_transactions[-1].tx_hash

    restarted = start(live_env(deployment, strategy_file, state_file, LOG_LEVEL="info"))
    assert restarted.returncode == 0, restarted.stderr
    state = JSONFileStore(state_file).load()
    buy, sell = state.portfolio.closed_positions[1].trades.values()
    resumed = (
        f"Resuming from {state_file}: {left.cycle} cycle(s) completed; 1 open and 0 frozen position(s): #1 ETH-USDC 0 ETH; "
        f"1 unresolved trade(s): #1 buy ETH-USDC started {buy_tx} (recovery follows); cash {left.portfolio.get_cash():f}"
    )
    assert logged(restarted.stderr, "INFO", MODULE, fill_line(buy)), restarted.stderr  # settled by recovery
    assert logged(restarted.stderr, "INFO", MODULE, fill_line(sell))  # made by this run's cycle
    assert len([line for line in restarted.stderr.splitlines() if f"{MODULE}: Trade #" in line]) == 2  # one line per trade
    assert logged(restarted.stderr, "INFO", "trade_executor.runner.live", resumed), restarted.stderr
    recovered = f"Recovery: trade #1: found on chain in block {buy.blockchain_transactions[-1].block_number}, settled (success)"
    assert logged(restarted.stderr, "WARNING", "trade_executor.runner.live", recovered)
    assert logged(killed.stderr, "INFO", "trade_executor.runner.live", f"New state file {state_file}: nothing to resume")
    assert sell.lp_fees_paid > 0 and sell.gas_cost_native > 0 and Decimal(sell.executed_reserve) > 0
