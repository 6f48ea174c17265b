"""`start` with EXECUTION_TYPE=paper on anvil, through the real CLI, while the market simulator moves the pool.

One chain for the module: a paper run of four 2-second cycles is the evidence the first tests
read (fills equal to the router's own quote at the block each was priced at; nothing sent by
anyone but the simulator); the later tests kill and resume a paper run and check which state
file each kind of start accepts.
"""

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil, free_port
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.devnet.market_simulator import MarketSimulator
from trade_executor.state import JSONFileStore, LiveInfo, State, TradeStatus

from .conftest import HOT_WALLET_KEY, age_pools
from .test_crash_recovery import TRADE_EXECUTOR, live_env, start
from .test_webhook_live import STRATEGY as FAST_STRATEGY

CYCLES = 4
REPO = Path(__file__).resolve().parents[3]


def paper_env(deployment, strategy_file, state_file, **extra) -> dict:
    env = live_env(deployment, strategy_file, state_file, EXECUTION_TYPE="paper", RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01", LOG_LEVEL="info", **extra)
    del env["PRIVATE_KEY"]  # a paper run needs no key at all
    return env


def all_trades(state: State):
    found = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()] + list(state.portfolio.unfilled_trades.values())
    return sorted(found, key=lambda t: t.trade_id)


@pytest.fixture(scope="module")
def chain():
    with Anvil() as anvil:
        web3 = create_web3(anvil.url)
        deployed = deploy_uniswap_v2(
            web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(HOT_WALLET_KEY).address,
        )
        age_pools(anvil)
        yield deployed


@pytest.fixture(scope="module")
def fast_strategy(tmp_path_factory):
    path = tmp_path_factory.mktemp("strategy") / "alternate_2s.py"
    path.write_text(FAST_STRATEGY)
    return path


class Simulator:
    """The market: the ETH pool walks up and down 0.4% every 0.3 s, from a thread, until stopped."""

    def __init__(self, deployment):
        self.web3 = create_web3(deployment.url)
        self.simulator = MarketSimulator(self.web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), deployment)
        self.address = HotWallet(ANVIL_PRIVATE_KEYS[0]).address
        self.stop = threading.Event()
        steps = [Decimal(1) + Decimal("0.004") * s for s in (1, 2, 1, 0, -1, -2, -1, 0)] * 100
        base = self.simulator.price("ETH-USDC")
        self.thread = threading.Thread(target=self.simulator.run, args=([base * s for s in steps], "ETH-USDC", 0.3, self.stop), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def paper_run(chain, fast_strategy, tmp_path_factory):
    """Four paper cycles with the webhook on, the market moving; the chain's blocks before and after."""
    folder = tmp_path_factory.mktemp("paper")
    state_file = folder / "alternate-paper.json"
    port = free_port()
    env = paper_env(chain, fast_strategy, state_file, MAX_CYCLES=str(CYCLES), HTTP_ENABLED="true", HTTP_PORT=str(port))
    assert not any("PRIVATE_KEY" in name or "KEYSTORE" in name for name in env)
    web3 = create_web3(chain.url)
    first_block = web3.eth.block_number
    with Simulator(chain) as simulator:
        process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        status = None
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/status", timeout=5).json()
                status = answer if answer["cycles"] >= 1 else None
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        stdout, stderr = process.communicate(timeout=90)
    assert process.returncode == 0, stderr
    return {"state_file": state_file, "stdout": stdout, "stderr": stderr, "status": status, "blocks": (first_block, web3.eth.block_number), "simulator": simulator.address}


def test_every_paper_fill_equals_the_routers_quote_at_the_block_it_was_priced_at(chain, paper_run):
    state = JSONFileStore(paper_run["state_file"]).load()
    assert state.live.rehearsal == "paper" and state.live.cycles_completed == CYCLES and state.live.hot_wallet is None
    filled = [t for t in all_trades(state) if t.status is TradeStatus.success]
    assert len(filled) >= CYCLES - 1, [(t.trade_id, t.status, t.failure_reason) for t in all_trades(state)]
    web3 = create_web3(chain.url)
    router = web3.eth.contract(address=Web3.to_checksum_address(chain.router), abi=load_abi("UniswapV2Router02"))
    usdc, eth = chain.tokens["USDC"], chain.tokens["ETH"]
    blocks = set()
    for trade in filled:
        assert trade.priced_at_block is not None and f"paper fill at block {trade.priced_at_block}" in trade.notes
        assert not trade.blockchain_transactions
        reserve_units, base_units = int(trade.executed_reserve.scaleb(6)), int(abs(trade.executed_quantity).scaleb(18))
        amount_in, path, out = (reserve_units, [usdc, eth], base_units) if trade.is_buy else (base_units, [eth, usdc], reserve_units)
        quoted = router.functions.getAmountsOut(amount_in, path).call(block_identifier=trade.priced_at_block)
        assert quoted[-1] == out, f"trade #{trade.trade_id} at block {trade.priced_at_block}"
        assert trade.lp_fees_paid > 0 and trade.price_impact is not None and trade.gas_cost_native > 0 and trade.gas_cost_usd > 0
        # Gas as live pays it at that block: the base fee plus the tip live offers (the node's eth_maxPriorityFeePerGas), not the base fee alone.
        units = int(re.search(r"([\d,]+) gas units", trade.notes).group(1).replace(",", ""))
        base_fee = web3.eth.get_block(trade.priced_at_block)["baseFeePerGas"]
        assert trade.gas_cost_native == Decimal(units * (base_fee + web3.eth.max_priority_fee)).scaleb(-18), trade.notes
        blocks.add(trade.priced_at_block)
    assert len(blocks) == len(filled)  # the market moved between cycles: each fill has its own block
    assert len({t.executed_price for t in filled if t.is_buy}) == len([t for t in filled if t.is_buy])
    # The books: the paper wallet started with Parameters.initial_cash, and only fills changed it.
    (deposit,) = state.portfolio.balance_updates
    assert deposit.quantity == Decimal(10_000)
    expected_cash = deposit.quantity + sum((t.get_cash_delta() for t in filled), Decimal(0))
    assert state.portfolio.get_cash() == expected_cash


def test_a_paper_run_signs_and_sends_nothing(chain, paper_run):
    web3 = create_web3(chain.url)
    first, last = paper_run["blocks"]
    senders = {web3.eth.get_transaction_by_block(number, 0)["from"] for number in range(first + 1, last + 1) if web3.eth.get_block_transaction_count(number)}
    assert senders == {paper_run["simulator"]}  # every transaction in the run's blocks is the market simulator's
    assert web3.eth.get_transaction_count(HotWallet(HOT_WALLET_KEY).address) == 0
    assert "Paper trading" in paper_run["stdout"] and "Completed 4 cycle(s)" in paper_run["stdout"]
    assert "The books are the truth: no treasury sync and no accounting check" in paper_run["stderr"]
    assert paper_run["status"] is not None and paper_run["status"]["executor_running"] is True  # the webhook serves a paper run too


def test_report_on_a_paper_state_writes_html_and_csv_and_compare_prints_the_trades(chain, paper_run, tmp_path):
    state_file = paper_run["state_file"]
    env = {k: v for k, v in os.environ.items() if k not in ("STATE_FILE", "EXECUTION_TYPE")}
    reported = subprocess.run(
        [str(TRADE_EXECUTOR), "report", f"--state-file={state_file}", f"--html-report={tmp_path / 'paper.html'}", f"--csv-report={tmp_path / 'csv'}"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert reported.returncode == 0, reported.stderr
    assert (tmp_path / "paper.html").stat().st_size > 1000 and (tmp_path / "csv" / "trades.csv").exists()
    assert "paper" in (tmp_path / "paper.html").read_text().lower()

    # A backtest of the same period to set beside it: here the paper state's own fills serve as the backtest's trades.
    paper = JSONFileStore(state_file).load()
    backtest = JSONFileStore(state_file).load()
    backtest.live = None
    from trade_executor.state import BacktestInfo

    backtest.backtest = BacktestInfo(
        strategy_file="alternate_2s.py", start_at=paper.stats.timestamps[0], end_at=paper.stats.timestamps[-1], cycle_duration="2s", stop_loss_time_frame="2s", fill_model="constant_product",
    )
    backtest_file = tmp_path / "alternate-backtest.json"
    JSONFileStore(backtest_file).save(backtest)
    compared = subprocess.run(
        [str(TRADE_EXECUTOR), "compare", f"--state-file={state_file}", f"--backtest-state-file={backtest_file}"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert compared.returncode == 0, compared.stderr
    filled = [t for t in all_trades(paper) if t.status is TradeStatus.success]
    assert f"Decisions: identical ({len(filled)} trades)" in compared.stdout
    assert "paper" in compared.stdout and "backtest price" in compared.stdout


def test_compare_sets_a_trade_the_paper_run_skipped_beside_the_backtests_fill_and_the_later_trades_stay_matched(paper_run, tmp_path):
    """A safety rule skipped one paper trade the backtest filled: one row says so with the reason; the rows after it are not shifted."""
    from trade_executor.state import BacktestInfo

    paper = JSONFileStore(paper_run["state_file"]).load()
    filled = [t for t in all_trades(paper) if t.status is TradeStatus.success]
    backtest = JSONFileStore(paper_run["state_file"]).load()
    backtest.live = None
    backtest.backtest = BacktestInfo(
        strategy_file="alternate_2s.py", start_at=paper.stats.timestamps[0], end_at=paper.stats.timestamps[-1], cycle_duration="2s", stop_loss_time_frame="2s", fill_model="constant_product",
    )
    backtest_file = tmp_path / "alternate-backtest.json"
    JSONFileStore(backtest_file).save(backtest)
    first = filled[0]  # the paper run's first fill becomes a trade the price rules refused
    position = next(p for p in paper.portfolio.get_all_positions() if first.trade_id in p.trades)
    del position.trades[first.trade_id]
    first.mark_failed(first.executed_at, "the pool pays 2.30% less for this swap than at the reference price", skipped=True)
    paper.portfolio.unfilled_trades[first.trade_id] = first
    paper_file = tmp_path / "alternate-paper.json"
    JSONFileStore(paper_file).save(paper)
    compared = subprocess.run(
        [str(TRADE_EXECUTOR), "compare", f"--state-file={paper_file}", f"--backtest-state-file={backtest_file}"],
        env={k: v for k, v in os.environ.items() if k not in ("STATE_FILE", "EXECUTION_TYPE")}, capture_output=True, text=True, timeout=120,
    )
    assert compared.returncode == 0, compared.stderr
    rows = [line for line in compared.stdout.splitlines() if line[:4].isdigit()]
    assert len(rows) == len(filled) and "skipped" in rows[0] and "missing" in rows[0]
    assert all("+0.000000%" in row for row in rows[1:]), rows  # matched by cycle: nothing after the skip shifted
    assert f"Decisions: DIFFERENT at 1 of {len(filled)} trades:" in compared.stdout
    assert f"{first.opened_at} ETH-USDC buy: backtest filled at {first.executed_price:.6f}, paper skipped it (the pool pays 2.30% less" in compared.stdout
    assert "datetime.datetime(" not in compared.stdout and "Trades skipped                                        0              1" in compared.stdout


def test_a_paper_run_with_the_live_env_file_writes_its_own_state_and_the_live_start_then_trades(chain, fast_strategy, tmp_path):
    """README "Forward test first": EXECUTION_TYPE=paper over the public env file (STATE_FILE set for live), then the live start with the same files."""
    env_file = tmp_path / "public.env"
    shutil.copyfile(REPO / "env" / "devnet-eth-usdc.env", env_file)  # EXECUTION_TYPE=uniswap_v2_hot_wallet, STATE_FILE=state/devnet-eth-usdc.json
    shell = {k: v for k, v in paper_env(chain, fast_strategy, tmp_path / "unused.json", MAX_CYCLES="1", HTTP_ENABLED="false").items() if k != "STATE_FILE"}
    paper = subprocess.run([str(TRADE_EXECUTOR), f"--env-file={env_file}", "start"], env=shell, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert paper.returncode == 0, paper.stderr
    assert f"Note: STATE_FILE=state/devnet-eth-usdc.json (in {env_file} line 18) is the live executor's file (EXECUTION_TYPE=uniswap_v2_hot_wallet there); this paper run writes state/alternate_2s-paper.json" in paper.stderr
    assert sorted(p.name for p in (tmp_path / "state").glob("*.json")) == ["alternate_2s-paper.json"]
    assert JSONFileStore(tmp_path / "state" / "alternate_2s-paper.json").load().live.rehearsal == "paper"

    live_shell = {k: v for k, v in live_env(chain, fast_strategy, tmp_path / "unused.json", HTTP_ENABLED="false").items() if k not in ("STATE_FILE", "EXECUTION_TYPE")}
    live = subprocess.run([str(TRADE_EXECUTOR), f"--env-file={env_file}", "start"], env=live_shell, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert live.returncode == 0, live.stderr
    state = JSONFileStore(tmp_path / "state" / "devnet-eth-usdc.json").load()
    assert state.live.rehearsal is None and state.live.cycles_completed == 1


def test_a_killed_paper_run_resumes_with_no_trade_lost_or_doubled(chain, fast_strategy, tmp_path):
    state_file = tmp_path / "alternate-paper.json"
    with Simulator(chain):
        # Killed right after a fill was saved (the cycle itself not yet recorded), then again from outside mid-run.
        killed = start(paper_env(chain, fast_strategy, state_file, MAX_CYCLES="3", TRADE_EXECUTOR_CRASH_AT="paper_after_save"))
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        (first,) = all_trades(JSONFileStore(state_file).load())
        assert first.status is TradeStatus.success and first.is_buy
        process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=paper_env(chain, fast_strategy, state_file, MAX_CYCLES="10"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not state_file.exists() or JSONFileStore(state_file).load().live.cycles_completed < 2):
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        before = JSONFileStore(state_file).load()
        assert before.live.cycles_completed >= 2
        resumed = start(paper_env(chain, fast_strategy, state_file, MAX_CYCLES="2"))
    assert resumed.returncode == 0, resumed.stderr
    after = JSONFileStore(state_file).load()
    assert after.live.cycles_completed == before.live.cycles_completed + 2
    kept = {t.trade_id: (t.status, t.executed_quantity, t.priced_at_block) for t in all_trades(before) if not t.is_pending}
    assert {i: v for i, v in ((t.trade_id, (t.status, t.executed_quantity, t.priced_at_block)) for t in all_trades(after)) if i in kept} == kept
    trades = all_trades(after)
    assert [t.trade_id for t in trades] == list(range(1, len(trades) + 1))
    sides = [t.is_buy for t in trades if t.status is TradeStatus.success]
    assert sides == [i % 2 == 0 for i in range(len(sides))]  # buy, sell, buy...: never two buys (a doubled trade) in a row
    assert len(sides) >= 3 and not any(t.is_pending for t in trades)


def test_a_live_start_refuses_a_paper_state_and_a_paper_start_a_live_one(chain, fast_strategy, paper_run, tmp_path):
    paper_file = paper_run["state_file"]
    before = paper_file.read_bytes()
    live = start(live_env(chain, fast_strategy, paper_file))
    assert live.returncode != 0
    assert f"State file {paper_file} holds a paper trading run" in live.stderr and "EXECUTION_TYPE=paper" in live.stderr
    assert paper_file.read_bytes() == before

    live_file = tmp_path / "alternate.json"
    JSONFileStore(live_file).save(State(name="alternate_2s", live=LiveInfo(chain_id=31337, hot_wallet=HotWallet(HOT_WALLET_KEY).address, cycles_completed=7)))
    saved = live_file.read_bytes()
    paper = start(paper_env(chain, fast_strategy, live_file))
    assert paper.returncode != 0
    assert f"State file {live_file} holds a live run" in paper.stderr and "a paper run never writes into it" in paper.stderr and "-paper.json" in paper.stderr
    assert live_file.read_bytes() == saved
    assert "11" * 32 not in live.stderr + paper.stderr


def test_a_paper_buy_the_pool_cannot_take_is_refused_by_max_price_impact_as_live(deployment, tmp_path):
    from dataclasses import replace

    from trade_executor.runner.live import LiveConfig, LiveTrader

    strategy = tmp_path / "greedy.py"
    strategy.write_text(FAST_STRATEGY.replace("    slippage_tolerance = 0.01\n", "    slippage_tolerance = 0.01\n    max_price_impact = 0.001\n"))
    config = LiveConfig(
        strategy_file=strategy, state_file=tmp_path / "greedy-paper.json", json_rpc_url=SecretStr(deployment.url), private_key=None,
        router=deployment.router, factory=deployment.factory, tokens=deployment.tokens, cache_path=tmp_path / "cache", execution_type="paper",
    )
    trader = LiveTrader(replace(config, run_single_cycle=True))
    trader.run()
    state = JSONFileStore(config.state_file).load()
    (refused,) = state.portfolio.unfilled_trades.values()  # $5,000 into a $1m pool moves it about 1%: more than 0.1%
    assert refused.status is TradeStatus.skipped and "exceeds max_price_impact 0.10%" in refused.failure_reason
    assert not state.portfolio.open_positions and state.portfolio.get_cash() == Decimal(10_000)
