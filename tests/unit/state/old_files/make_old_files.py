"""How the state files in this folder were made: by old releases, so the loader is tested on what they really wrote.

    git archive 99a6823 trade_executor | tar -x -C /tmp/v0   # the first release of schema version 1
    cd /tmp/v0 && PYTHONPATH=. python make_old_files.py backtest first-release-backtest.json
    git archive 1a735b0 trade_executor | tar -x -C /tmp/v1   # the first release with live trading (LiveInfo)
    cd /tmp/v1 && PYTHONPATH=. python make_old_files.py live first-live-release-live.json

Every state class appears once. Not a test module: pytest does not collect it.
"""
import datetime
import sys
from decimal import Decimal

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.state import state as st
from trade_executor.state.portfolio import BalanceUpdate, BalanceUpdateCause, Portfolio, ReservePosition
from trade_executor.state.position import TradingPosition
from trade_executor.state.statistics import Statistics
from trade_executor.state.store import JSONFileStore
from trade_executor.state.trade import BlockchainTransaction, TradeExecution, TradeStatus, TradeType
from trade_executor.state.visualisation import Plot, Visualisation

kind, out = sys.argv[1], sys.argv[2]
t0 = datetime.datetime(2021, 3, 1)
usdc = AssetIdentifier(31337, "0x" + "a1" * 20, "USDC", 6)
eth = AssetIdentifier(31337, "0x" + "b2" * 20, "ETH", 18)
pair = TradingPairIdentifier(eth, usdc, "0x" + "c3" * 20, "uniswap-v2", Decimal("0.003"))
tx = BlockchainTransaction(31337, "0x" + "d4" * 20, 0, "0x" + "e5" * 32, "0x" + "f6" * 40, "0x" + "c3" * 20, "swapExactTokensForTokens",
                           broadcasted_at=t0, confirmed_at=t0, block_number=12, status=True, gas_used=110000, effective_gas_price=10**9)
buy = TradeExecution(1, 1, pair, usdc, TradeType.rebalance, t0, Decimal("1.5"), Decimal("3000"), Decimal("2000"), status=TradeStatus.success,
                     started_at=t0, executed_at=t0, executed_quantity=Decimal("1.49"), executed_reserve=Decimal("3000"), executed_price=Decimal("2013.4228"),
                     lp_fees_paid=Decimal("9"), price_impact=Decimal("0.001"), gas_cost_native=Decimal("0.00011"), gas_cost_usd=Decimal("0.22"),
                     slippage_tolerance=Decimal("0.01"), blockchain_transactions=[tx])
position = TradingPosition(1, pair, usdc, t0, Decimal("2010"), t0, trades={1: buy}, stop_loss=Decimal("1800"))
portfolio = Portfolio(next_position_id=2, next_trade_id=2, next_balance_update_id=2, open_positions={1: position},
                      reserves={usdc.address: ReservePosition(usdc, Decimal("7000"), t0)},
                      balance_updates=[BalanceUpdate(1, BalanceUpdateCause.deposit, usdc, Decimal("10000"), t0, block_number=3, tx_hash="0x" + "07" * 32)])
stats = Statistics([t0], [10000.0], [7000.0], [1])
vis = Visualisation({t0.isoformat(): ["bought"]}, {"close": Plot("close", "blue", [t0], [2000.0])})
extra = {}
if kind == "live":
    extra["live"] = st.LiveInfo(chain_id=31337, hot_wallet="0x" + "d4" * 20, treasury_synced_block=12, last_cycle_at=t0, cycles_completed=1)
else:
    extra["backtest"] = st.BacktestInfo("strategies/x.py", t0, t0, "1h", "1h", "constant_product", cycles=1)
state = st.State(name="first", created_at=t0, last_updated_at=t0, cycle=1, portfolio=portfolio, stats=stats, visualisation=vis, **extra)
JSONFileStore(out).save(state)
