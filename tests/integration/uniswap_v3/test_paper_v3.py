"""`start` with EXECUTION_TYPE=paper on a Uniswap v3 strategy, through the real CLI, on a v3 devnet.

A paper cycle buys, the next sells: each fill is QuoterV2's quote at the block it was priced at, to
the wei; nothing is sent (no block mined, no nonce moved); the state is the paper run's own file,
state/<strategy-id>-paper.json, as for v2.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from pydantic import SecretStr

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.execution.paper.uniswap_v3 import UniswapV3PaperExecutionModel
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import NARROW_POOL, v3_contract
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


def test_a_paper_fill_moves_the_read_pool_exactly_as_the_real_swap_does(web3, chain, tmp_path):
    """A paper sell of 400 ETH (crossing the narrow positions' ticks), then the quote of 200 more on the moved pool: equal to
    QuoterV2's for those 200 after the 400 were really sold, and the pass's spot is the real slot0 after it."""
    strategy_file = tmp_path / "alternate_v3.py"
    strategy_file.write_text(STRATEGY)
    config = LiveConfig(
        strategy_file=strategy_file, state_file=tmp_path / "alternate_v3-paper.json", json_rpc_url=SecretStr(chain.url), private_key=None,
        router="", factory="", tokens={"USDC": chain.usdc, "ETH": chain.weth}, cache_path=tmp_path / "cache", execution_type="paper",
        uniswap_v3_factory=chain.factory, uniswap_v3_swap_router_02=chain.swap_router02, uniswap_v3_quoter_v2=chain.quoter_v2,
    )
    trader = LiveTrader(config)
    model = trader.execution
    assert isinstance(model, UniswapV3PaperExecutionModel) and model.describe().startswith("paper: exact Uniswap v3 fills")
    route = trader.pricing.buy_route(trader.build_universe().get_single_pair()).reversed()  # WETH -> USDC
    (pool,) = route.pools
    block, _ = model.priced_block([pool])
    model.pools = model.quoter.reader.read([pool], block=block)
    first = model.last_quote = model.quoter.quote_exact_input(route, 400 * 10**18, snapshots=model.pools)
    assert len(first.ticks_crossed[0]) >= 2  # the swap crosses initialised ticks
    model.after_fill(route, list(first.amounts))
    second = model.quoter.quote_exact_input(route, 200 * 10**18, snapshots=model.pools)

    seller = HotWallet(ANVIL_PRIVATE_KEYS[2])
    builder = TransactionBuilder(web3, seller)
    weth = web3.eth.contract(address=chain.weth, abi=load_abi("WETH9"))
    send_and_wait(web3, builder.sign_call(weth.functions.deposit(), value=400 * 10**18))
    send_and_wait(web3, builder.sign_call(weth.functions.approve(chain.swap_router02, 400 * 10**18)))
    router = v3_contract(web3, "SwapRouter02", chain.swap_router02)
    swap = router.encode_abi("exactInputSingle", args=[(chain.weth, chain.usdc, 3000, seller.address, 400 * 10**18, 0, 0)])
    deadline = web3.eth.get_block("latest")["timestamp"] + 300
    send_and_wait(web3, builder.sign_call(router.get_function_by_signature("multicall(uint256,bytes[])")(deadline, [swap])))

    now = web3.eth.block_number
    assert second.amount_out == quoter_v2_at(web3, chain, chain.weth, chain.usdc, 200 * 10**18, now)
    slot0 = v3_contract(web3, "UniswapV3Pool", pool).functions.slot0().call(block_identifier=now)
    assert model.pools[pool].state.sqrt_price_x96 == slot0[0] == trader.routing.price(pool).spot_sqrt_price_x96
