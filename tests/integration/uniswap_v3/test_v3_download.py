"""`download` of Uniswap v3 pools: candles exact against slot0, L against liquidity(), Mint/Burn against ticks().

The history is made on a real anvil with the real v3 contracts: the market simulator moves both ETH
pools (0.3 % with narrow positions, so swaps cross initialised ticks; and 0.05 %) through a dozen
hours, and a position is burnt and another minted in range between swaps (L changes with no Swap to
report it). The download goes through the fault-injecting proxy, which counts the requests.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from fractions import Fraction
from math import isqrt

import pandas as pd
import pytest
from typer.testing import CliRunner

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.cli.main import app
from trade_executor.devnet.deploy_v3 import pool_key
from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator
from trade_executor.execution.uniswap_v2.pool_discovery import pool_tokens
from trade_executor.execution.uniswap_v3.pool_download import V3PoolDownloader
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.chain_data import stored_candles
from trade_executor.market.pool_candles_v3 import liquidity_net, price_of
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from trade_executor.market.uniswap_v3_swap import PoolState, full_range_ticks, swap
from trade_executor.state import JSONFileStore
from trade_executor.testing.rpc_proxy import FaultyRpcProxy
from trade_executor.testing.strict_provider import ProviderLimits

from .conftest import NARROW_POOL, v3_contract

CHAIN = 31337
PATH = [Decimal(p) for p in ("2540", "2555", "2490", "2470", "2525", "2610", "2580", "2450", "2475", "2500", "2530", "2515")]

STRATEGY = '''
from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 50_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.chain(["ETH"], time_frame="1h", fee={"ETH": 0.003})


def decide_trades(input):
    """Alternate: buy 40,000 USDC of ETH, then sell it all."""
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), Decimal(40_000))
'''


def advance(web3, seconds: int) -> None:
    web3.provider.make_request("evm_increaseTime", [seconds])
    web3.provider.make_request("evm_mine", [])


@pytest.fixture(scope="module")
def history(web3, deployer, v3):
    """Twelve hours: three moves an hour, a burn and an in-range mint on the 0.3 % pool in some hours."""
    simulator = V3MarketSimulator(web3, deployer, v3)
    manager = v3_contract(web3, "NonfungiblePositionManager", v3.position_manager)
    concentrated = v3.positions[NARROW_POOL][1]
    for hour, target in enumerate(PATH):
        for step, factor in enumerate((Decimal("0.995"), Decimal("1.004"), Decimal(1))):
            simulator.run([target * factor], "ETH-USDC", 0, threading.Event())
            advance(web3, 1100)
            if hour % 3 == 1 and step == 1:
                held = manager.functions.positions(concentrated).call()[7]
                deadline = web3.eth.get_block("latest")["timestamp"] + 3600
                simulator._send(manager.functions.decreaseLiquidity((concentrated, held // 5, 0, 0, deadline)))  # a Burn in range
            if hour % 4 == 2 and step == 2:
                deadline = web3.eth.get_block("latest")["timestamp"] + 3600
                simulator._send(manager.functions.increaseLiquidity((concentrated, 10**17, 250 * 10**6, 0, 0, deadline)))  # a Mint in range, last of its hour
    advance(web3, 3600)
    return web3.eth.block_number


@pytest.fixture(scope="module")
def download(web3, v3, history, tmp_path_factory):
    """The first run names the exchange, through a strict provider (20-block log ranges, every 7th request 429,
    no blockTimestamp in logs); the second takes the exchange (and the reserve) from the strategy file."""
    cache = tmp_path_factory.mktemp("v3-cache")
    strategy = cache.parent / "alternate_chain_v3.py"
    strategy.write_text(STRATEGY)
    env = {
        "CACHE_PATH": str(cache), "UNISWAP_V3_FACTORY": v3.factory, "TOKEN_ETH": v3.weth, "TOKEN_USDC": v3.usdc,
        "CONFIRMATION_BLOCK_COUNT": "1",
    }  # fmt: skip
    with FaultyRpcProxy(web3.provider.endpoint_uri) as proxy:
        proxy.limits = ProviderLimits(max_block_range=20, max_results=None, rate_limit_every=7, retry_after="0")
        args = ["download", "--exchange=uniswap-v3", "--pairs=ETH", "--reserve-currency=USDC", "--start=2000-01-01", "--candles=1h"]
        first = CliRunner().invoke(app, args, env={**env, "JSON_RPC_URL": proxy.url})
        first_logs, refused = proxy.count("eth_getLogs"), dict(proxy.limits.refused)
        proxy.limits = None
        proxy.clear()
        args = ["download", f"--strategy-file={strategy}", "--pairs=ETH", "--start=2000-01-01"]
        again = CliRunner().invoke(app, args, env={**env, "JSON_RPC_ANVIL": proxy.url})
        again_logs = proxy.count("eth_getLogs")
    assert refused["range"] > 0 and refused["rate"] > 0, refused  # the first run did meet the limits
    return cache, strategy, first, first_logs, again, again_logs


def test_download_reads_both_fee_tiers_and_a_cached_rerun_reads_no_logs(download, v3):
    cache, _, first, first_logs, again, again_logs = download
    assert first.exit_code == 0, first.output
    assert "Read 2 pool(s)" in first.output and "ETH-USDC-0.3% v3 0.3%" in first.output and "ETH-USDC-0.05% v3 0.05%" in first.output
    assert first_logs > 0
    assert again.exit_code == 0, again.output
    assert again_logs == 0 and "Read 2 pool(s)" in again.output and " 0 events" in again.output
    store = PoolHistoryStore(cache)
    assert {m.pool for m in store.pools(CHAIN)} == {v3.pools[pool_key("ETH", 3000)], v3.pools[pool_key("ETH", 500)]}


def test_a_pool_given_by_address_is_read_as_v3_when_it_is_one(web3, v3, history, tmp_path):
    """No exchange named: the pool answers fee(), so its v3 events are read (the BTC pool: created, minted, never swapped)."""
    address = v3.pools[pool_key("BTC", 500)]
    env = {"CACHE_PATH": str(tmp_path), "JSON_RPC_URL": web3.provider.endpoint_uri, "CONFIRMATION_BLOCK_COUNT": "1"}
    result = CliRunner().invoke(app, ["download", f"--pool={address}", "--reserve-currency=USDC", "--start=2000-01-01"], env=env)
    assert result.exit_code == 0, result.output
    assert "BTC-USDC v3 0.05%" in result.output and "0 swaps, 2 mints and burns" in result.output  # full range and concentrated
    store = PoolHistoryStore(tmp_path)
    metadata = store.load(CHAIN, address)
    candles = stored_candles(store, metadata, v3.tokens["BTC"], pd.Timedelta("1h"))
    pool = v3_contract(web3, "UniswapV3Pool", address)
    base_is_token0 = pool.functions.token0().call() == v3.tokens["BTC"]
    assert candles["close"].iloc[-1] == float(price_of(metadata, pool.functions.slot0().call()[0], base_is_token0))
    assert candles["active_liquidity"].iloc[-1] == float(pool.functions.liquidity().call())


@pytest.mark.parametrize("fee", [3000, 500])
def test_candles_close_at_slot0_and_carry_the_pools_liquidity_exactly(download, web3, v3, history, fee):
    store = PoolHistoryStore(download[0])
    address = v3.pools[pool_key("ETH", fee)]
    metadata = store.load(CHAIN, address)
    pool = v3_contract(web3, "UniswapV3Pool", address)
    base_is_token0 = pool.functions.token0().call() == v3.weth
    candles = stored_candles(store, metadata, v3.weth, pd.Timedelta("1h"))
    assert len(candles) >= len(PATH)
    times = {n: web3.eth.get_block(n)["timestamp"] for n in range(metadata.first_block, history + 1)}
    checked = 0
    for opened, candle in candles.iterrows():
        end = int(opened.timestamp()) + 3600
        block = max((n for n, t in times.items() if t < end), default=None)
        sqrt_price, *_ = pool.functions.slot0().call(block_identifier=block)
        liquidity = pool.functions.liquidity().call(block_identifier=block)
        if not sqrt_price:
            continue
        assert candle["close"] == float(price_of(metadata, sqrt_price, base_is_token0))  # the float nearest the exact price
        assert candle["active_liquidity"] == float(liquidity)
        depth = Fraction(liquidity * sqrt_price, 2**96 * 10**6) if base_is_token0 else Fraction(liquidity * 2**96, sqrt_price * 10**6)
        assert candle["liquidity"] == float(depth)
        checked += 1
    assert checked == len(candles)
    assert (candles["volume"] > 0).sum() >= len(PATH) - 1  # the simulator's swaps, three about every hour


def test_mints_and_burns_sum_to_the_ticks_liquidity_net_on_chain(download, web3, v3):
    store = PoolHistoryStore(download[0])
    address = v3.pools[NARROW_POOL]
    ranges = store.read(store.load(CHAIN, address), "v3_range")
    assert (pd.Series([int(a) for a in ranges["amount"].to_pylist()]) < 0).any()  # the burns are in it
    net = liquidity_net(ranges)
    pool = v3_contract(web3, "UniswapV3Pool", address)
    assert len(net) >= 14  # full range, concentrated, twelve narrow bounds
    for tick, value in net.items():
        assert pool.functions.ticks(tick).call()[1] == value


def test_a_fill_on_downloaded_candles_swaps_with_the_pools_liquidity(download, v3):
    """The fill model turns the candle's depth back into L: its fill is the swap with the chain's L, to 1e-12."""
    store = PoolHistoryStore(download[0])
    metadata = store.load(CHAIN, v3.pools[NARROW_POOL])
    candle = stored_candles(store, metadata, v3.weth, pd.Timedelta("1h")).iloc[-1]
    pair = TradingPairIdentifier(AssetIdentifier(CHAIN, v3.weth, "ETH", 18), AssetIdentifier(CHAIN, v3.usdc, "USDC", 6), metadata.pool, "uniswap-v3", Decimal("0.003"))
    mid = Decimal(candle["close"])
    fill = ConcentratedLiquidityFillModel(3000).buy(pair, mid, Decimal(50_000), Decimal(candle["liquidity"]))
    base_is_token0 = int(v3.weth, 16) < int(v3.usdc, 16)
    raw = Fraction(mid) * 10**6 / 10**18  # USDC units per ETH unit
    ratio = raw if base_is_token0 else 1 / raw  # token1 per token0
    sqrt_price = isqrt((ratio.numerator << 192) // ratio.denominator)
    active = int(candle["active_liquidity"])  # L at the candle's close (exact: see the test above)
    zero_for_one = not base_is_token0  # USDC in
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    result = swap(PoolState(sqrt_price, None, active, 3000, full_range_ticks(active, 60)), zero_for_one, 50_000 * 10**6, limit)
    out = Decimal(-(result.amount1 if zero_for_one else result.amount0)) / 10**18
    assert fill.price_impact > Decimal("0.001")  # 50,000 USDC moves this pool
    assert abs(fill.quantity - out) <= out * Decimal("1e-12")


def test_a_backtest_of_a_v3_strategy_on_downloaded_data_runs_through_the_cli(download, tmp_path):
    cache, strategy = download[0], download[1]
    state_file = tmp_path / "state.json"
    result = CliRunner().invoke(app, ["start", f"--strategy-file={strategy}", "--execution-type=backtest", f"--state-file={state_file}"], env={"CACHE_PATH": str(cache)})
    assert result.exit_code == 0, result.output
    assert "concentrated liquidity (Uniswap v3 maths), fee tier 0.3%, depth from data" in result.output
    state = JSONFileStore(state_file).load()
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert len(trades) >= 6 and all(t.is_success for t in trades)
    pools = {m.pool for m in PoolHistoryStore(cache).pools(CHAIN) if m.fee_pips == 3000}
    assert {(t.pair.exchange_slug, t.pair.fee, t.pair.pool_address) for t in trades} == {("uniswap-v3", Decimal("0.003"), *pools)}
    assert all(t.price_impact > 0 for t in trades)  # fills pay the impact of the pool's L that hour


def test_a_history_started_mid_way_opens_at_the_standing_state_and_agrees_with_the_full_one(download, web3, v3, history, tmp_path):
    """The cache records slot0 and liquidity() before its first block; L is replayed from there exactly."""
    address = v3.pools[NARROW_POOL]
    caller = RpcCaller(web3.provider)
    store = PoolHistoryStore(tmp_path)
    downloader = V3PoolDownloader(caller, store, CHAIN)
    start = history // 2
    opened = downloader.open(pool_tokens(caller, [address]), start, {address: "ETH-USDC-0.3%"})
    downloader.run(opened, history - 1)
    metadata = store.load(CHAIN, address)
    pool = v3_contract(web3, "UniswapV3Pool", address)
    slot0 = pool.functions.slot0().call(block_identifier=start - 1)
    assert metadata.start_state == [slot0[0], slot0[1], pool.functions.liquidity().call(block_identifier=start - 1)]
    part = stored_candles(store, metadata, v3.weth, pd.Timedelta("1h"))
    full_store = PoolHistoryStore(download[0])
    full = stored_candles(full_store, full_store.load(CHAIN, address), v3.weth, pd.Timedelta("1h"))
    assert part["open"].iloc[0] == float(price_of(metadata, slot0[0], int(v3.weth, 16) < int(v3.usdc, 16)))
    columns = ["close", "liquidity", "active_liquidity", "volume"]
    pd.testing.assert_frame_equal(part[columns].iloc[1:], full[columns].loc[part.index[1:]], check_exact=True)


LIVE_KEY = "0x" + "44" * 32  # a wallet of its own: this trader only reads candles
SIX_HOURS = STRATEGY.replace("    initial_cash = 50_000\n", '    initial_cash = 50_000\n    required_history_period = "6h"\n')


def live_trader(v3, url: str, folder, strategy_text: str):
    from pydantic import SecretStr

    from trade_executor.runner.live import LiveConfig, LiveTrader

    strategy = folder / "six_hours_v3.py"
    strategy.write_text(strategy_text)
    config = LiveConfig(
        strategy_file=strategy, state_file=folder / "state.json", json_rpc_url=SecretStr(url), private_key=SecretStr(LIVE_KEY),
        router="", factory="", tokens={"USDC": v3.usdc, "ETH": v3.weth}, cache_path=folder / "cache",
        uniswap_v3_factory=v3.factory, uniswap_v3_swap_router_02=v3.swap_router02, uniswap_v3_quoter_v2=v3.quoter_v2,
    )
    return LiveTrader(config)


def downloaded_candles(web3, v3, cache) -> pd.DataFrame:
    """The candles `download` gives for the 0.3 % pool, read from block 0 to the head into ``cache``, as a backtest reads them."""
    env = {"CACHE_PATH": str(cache), "UNISWAP_V3_FACTORY": v3.factory, "TOKEN_ETH": v3.weth, "TOKEN_USDC": v3.usdc, "CONFIRMATION_BLOCK_COUNT": "1", "JSON_RPC_URL": web3.provider.endpoint_uri}
    result = CliRunner().invoke(app, ["download", "--exchange=uniswap-v3", "--pairs=ETH", "--reserve-currency=USDC", "--start=2000-01-01"], env=env)
    assert result.exit_code == 0, result.output
    store = PoolHistoryStore(cache)
    return stored_candles(store, store.load(CHAIN, v3.pools[NARROW_POOL]), v3.weth, pd.Timedelta("1h"))[["open", "high", "low", "close", "volume", "liquidity"]]


def assert_completed_hours_equal(live: pd.DataFrame, downloaded: pd.DataFrame) -> int:
    """The live candles of completed hours inside the window (not its first, which may open part-way, nor the one forming) equal the download's exactly."""
    completed = live.iloc[1:-1]
    assert len(completed) >= 4
    pd.testing.assert_frame_equal(completed, downloaded.loc[completed.index], check_exact=True)
    return len(completed)


def test_live_v3_candles_are_the_download_candles_of_the_same_hours_through_a_strict_provider_and_after_a_restart(download, web3, v3, deployer, history, tmp_path):
    """A live v3 run reads its candles from the pool's events as `download` does (through a strict provider, no FROM_BLOCK):
    open, high, low, close, volume and liquidity of every completed hour are the download's, also after another hour of
    swaps and a Mint (one log query), and after a restart (the cache, then the new blocks only). Not the oracle's flat TWAP bars."""
    snapshot = web3.provider.make_request("evm_snapshot", [])["result"]  # the module's other tests see the history as built
    try:
        with FaultyRpcProxy(web3.provider.endpoint_uri) as proxy:
            proxy.limits = ProviderLimits(max_block_range=20, max_results=None, rate_limit_every=7, retry_after="0")
            trader = live_trader(v3, proxy.url, tmp_path, SIX_HOURS)
            candles = trader.build_universe().candles["ETH-USDC"]
            assert proxy.limits.refused["range"] > 0 and proxy.limits.refused["rate"] > 0  # the warm-up met the limits
            cached = trader.loader.history.cached_range(v3.pools[NARROW_POOL])
            assert cached.first_block > 1 and cached.fee_pips == 3000  # the 6 hours needed (and the swap standing before them), not the pool's whole life
            assert 6 <= (candles.index[-1] - candles.index[0]) / pd.Timedelta("1h") <= 8
            assert (candles["volume"] > 0).sum() >= 4 and (candles["high"] > candles["low"]).sum() >= 4  # not TWAP bars
            assert_completed_hours_equal(candles, downloaded_candles(web3, v3, tmp_path / "download-1"))

            # Another hour: swaps and an in-range Mint; the next cycle reads the new blocks in one log query.
            simulator = V3MarketSimulator(web3, deployer, v3)
            manager = v3_contract(web3, "NonfungiblePositionManager", v3.position_manager)
            for target in (Decimal("2480"), Decimal("2560"), Decimal("2520")):
                simulator.run([target], "ETH-USDC", 0, threading.Event())
                advance(web3, 1100)
            deadline = web3.eth.get_block("latest")["timestamp"] + 3600
            simulator._send(manager.functions.increaseLiquidity((v3.positions[NARROW_POOL][1], 10**17, 250 * 10**6, 0, 0, deadline)))
            advance(web3, 3600)
            proxy.clear()
            again = trader.build_universe().candles["ETH-USDC"]
            assert proxy.count("eth_getLogs") == 1
            assert again.index[-2] >= candles.index[-1]  # the hour that was forming is complete now, and compared
            downloaded = downloaded_candles(web3, v3, tmp_path / "download-2")
            assert_completed_hours_equal(again, downloaded)

            # A restart reads the cache, then only the blocks since.
            cached_to = trader.loader.history.cached_range(v3.pools[NARROW_POOL]).next_block
            advance(web3, 60)
            proxy.clear()
            restarted = live_trader(v3, proxy.url, tmp_path, SIX_HOURS).build_universe().candles["ETH-USDC"]
            (query,) = [call["params"][0] for call in proxy.requests_seen if call["method"] == "eth_getLogs"]
            assert int(query["fromBlock"], 16) == cached_to
            assert_completed_hours_equal(restarted, downloaded)
    finally:
        web3.provider.make_request("evm_revert", [snapshot])
