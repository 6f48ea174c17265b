"""`start` with EXECUTION_TYPE=paper on a Uniswap v3 strategy, through the real CLI, on a v3 devnet.

A paper cycle buys, the next sells: each fill is QuoterV2's quote at the block it was priced at, to
the wei; nothing is sent (no block mined, no nonce moved); the state is the paper run's own file,
state/<strategy-id>-paper.json, as for v2.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import NARROW_POOL
from .test_live_v3 import STRATEGY, advance, quoter_v2_at
from .test_live_v3_crash import TRADE_EXECUTOR, live_env


@pytest.fixture(scope="module")
def chain(web3, v3, deployer):
    increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[NARROW_POOL], 200)
    advance(web3, 20 * 60)
    return v3


def test_paper_cycles_on_v3_fill_the_exact_quote_and_send_nothing(web3, chain, deployer, tmp_path):
    strategy_file = tmp_path / "alternate_v3.py"
    strategy_file.write_text(STRATEGY)
    env = live_env(chain, strategy_file, tmp_path / "unused.json", "", EXECUTION_TYPE="paper")
    del env["STATE_FILE"], env["PRIVATE_KEY"]
    block, nonce = web3.eth.block_number, web3.eth.get_transaction_count(deployer.address)

    for _ in range(2):  # a buy, then a sell
        run = _start_in(tmp_path, env)
        assert run.returncode == 0, run.stderr
        assert web3.eth.block_number == block and web3.eth.get_transaction_count(deployer.address) == nonce  # nothing sent

    state_file = tmp_path / "state" / "alternate_v3-paper.json"
    assert state_file.exists() and not (tmp_path / "state" / "alternate_v3.json").exists()
    state = JSONFileStore(state_file).load()
    assert state.live.rehearsal == "paper" and state.live.hot_wallet is None
    (position,) = state.portfolio.closed_positions.values()
    buy, sell = sorted(position.trades.values(), key=lambda t: t.trade_id)
    assert buy.status is TradeStatus.success and sell.status is TradeStatus.success and not buy.blockchain_transactions
    bought = quoter_v2_at(web3, chain, chain.usdc, chain.weth, 2_500 * 10**6, buy.priced_at_block)
    assert buy.executed_reserve == Decimal(2_500) and buy.executed_quantity == Decimal(bought).scaleb(-18)
    received = quoter_v2_at(web3, chain, chain.weth, chain.usdc, bought, sell.priced_at_block)
    assert sell.executed_quantity == -Decimal(bought).scaleb(-18) and sell.executed_reserve == Decimal(received).scaleb(-6)
    assert buy.lp_fees_paid == Decimal("7.5") and buy.gas_cost_native > 0 and not buy.gas_from_reserve
    assert f"paper fill at block {buy.priced_at_block}" in buy.notes



def _start_in(folder, env) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120, cwd=folder)
