"""Backtest fills on downloaded v3 data cross initialised ticks with each range's liquidity as it stood then.

A real anvil with the real v3 contracts (conftest.py: the ETH/USDC 0.3 % pool has twelve narrow
positions around its price). The history starts after those were minted, so the download must read
them from the chain at its first block; then, hour by hour, the price moves, new ranges are minted
either side of it, pre-history ranges are burnt (one whole, one in part) and, in an hour without a
swap, a range the price is outside of is burnt too. For each candle's open the backtest's fill of a
swap that crosses several initialised ticks is compared with QuoterV2 at the block whose state the
candle opens with.

The bound: the fill starts from the candle's open, a float (the one nearest the pool's exact price),
made a Decimal by its shortest repr, so within one unit in the last place of the exact price (half
an ulp for the float, half for the repr): a relative 2**-52. So the fill must lie between the pool's
own swaps from slot0's exact price moved 2**-52 down and up (the bracket; plus 2 units for the
roundings of the sqrt prices), which is what is asserted, and the bracket must be narrow (under
1e-13 of the amount). How narrow depends on the swap: inside one range an exact-input swap's output
moves at most twice as much (relatively) as the sqrt price it starts from, but a swap that crosses
ticks with an input token of few decimals (USDC) pays the same whole units for the first range
whatever the start, while its output (ETH, 18 decimals) follows the start: it moves by L times the
error in sqrt price, which relative to the output is the sqrt price's relative error over the
relative move of the sqrt price in the swap (1.2 % here, so about 80 times). Measured here: the 300,000 USDC buys (4 or 5 ticks crossed)
are within 3.5e-15 of QuoterV2 (at most 406,127 wei of about 117 ETH) inside brackets of +-8.8e-15;
the 120 ETH sells give QuoterV2's USDC to the unit. With slot0's exact sqrtPriceX96 instead of the
float, the same ranges give QuoterV2's amounts to the wei.
"""

from __future__ import annotations

import pickle
import shutil
from dataclasses import replace
from decimal import Decimal
from math import isqrt

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.cli.main import app
from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator
from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.execution.uniswap_v2.pool_discovery import pool_tokens
from trade_executor.execution.uniswap_v3.pool_download import V3PoolDownloader
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.market.chain_data import StoredPool, chain_universe
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.market.pool_ranges import PoolDepth
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import PoolState, swap
from trade_executor.state import JSONFileStore
from trade_executor.testing.rpc_proxy import FaultyRpcProxy

from .conftest import NARROW_POOL, v3_contract

pytestmark = pytest.mark.xdist_group("v3-ranges")  # one devnet and one history for the module

CHAIN = 31337
BUY_USDC = 300_000  # crosses three to six initialised ticks
SELL_ETH = Decimal(120)  # and as many the other way
WIDEST = Decimal("1e-13")  # the widest the float's rounding may make the bracket, relatively: see the module docstring

STRATEGY = '''
from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 700_000
    gas_units_per_swap = 0


def create_trading_universe(timestamp, data, execution_context, options):
    return data.chain(["ETH"], time_frame="1h", fee={"ETH": 0.003})


def decide_trades(input):
    """Alternate: buy 300,000 USDC of ETH, then sell it all."""
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), Decimal(300_000))
'''


def to_next_hour(web3) -> None:
    now = web3.eth.get_block("latest")["timestamp"]
    web3.provider.make_request("evm_increaseTime", [3600 - now % 3600 + 5])
    web3.provider.make_request("evm_mine", [])


class Positions:
    """Mints and burns through the position manager, signed by the market simulator's builder (one nonce sequence)."""

    def __init__(self, web3, simulator: V3MarketSimulator, v3):
        self.web3, self.simulator, self.v3 = web3, simulator, v3
        self.manager = v3_contract(web3, "NonfungiblePositionManager", v3.position_manager)
        self.pool = v3_contract(web3, "UniswapV3Pool", v3.pools[NARROW_POOL])
        self.spacing = self.pool.functions.tickSpacing().call()
        self.token0, self.token1 = self.pool.functions.token0().call(), self.pool.functions.token1().call()

    def deadline(self) -> int:
        return self.web3.eth.get_block("latest")["timestamp"] + 3600

    def owned(self) -> dict[tuple[int, int], int]:
        """(tick lower, tick upper) -> token id of the deployer's positions in the pool."""
        owner = self.simulator.trader.address
        found = {}
        for index in range(self.manager.functions.balanceOf(owner).call()):
            token_id = self.manager.functions.tokenOfOwnerByIndex(owner, index).call()
            position = self.manager.functions.positions(token_id).call()
            if position[4] == self.v3.fees[NARROW_POOL] and {position[2], position[3]} == {self.token0, self.token1} and position[7]:
                found[(position[5], position[6])] = token_id
        return found

    def mint(self, lower: int, upper: int, eth: int = 20) -> None:
        """About ``eth`` ETH or 2,500 times as many USDC of liquidity over [lower, upper) (the manager takes what the range needs)."""
        eth_is_token0 = self.token0 == self.v3.weth
        amounts = (eth * 10**18, eth * 2500 * 10**6) if eth_is_token0 else (eth * 2500 * 10**6, eth * 10**18)
        params = (self.token0, self.token1, self.v3.fees[NARROW_POOL], lower, upper, *amounts, 0, 0, self.simulator.trader.address, self.deadline())
        self.simulator._send(self.manager.functions.mint(params))

    def nudge(self, usdc: Decimal) -> None:
        """Buy ETH for exactly ``usdc``: the price lands where that amount takes it, no round number (nor a short float)."""
        router = self.simulator.router
        params = (self.v3.usdc, self.v3.weth, self.v3.fees[NARROW_POOL], self.simulator.trader.address, int(usdc * 10**6), 0, 0)
        self.simulator._send(router.functions.exactInputSingle(params))

    def burn(self, token_id: int, fraction: Decimal = Decimal(1)) -> None:
        held = self.manager.functions.positions(token_id).call()[7]
        self.simulator._send(self.manager.functions.decreaseLiquidity((token_id, int(held * fraction), 0, 0, self.deadline())))


@pytest.fixture(scope="module")
def history(web3, deployer, v3):
    """Six hours after the narrow positions were minted (conftest's, and one-spacing ones here); returns (first block,
    last block, {event: block})."""
    simulator = V3MarketSimulator(web3, deployer, v3)
    positions = Positions(web3, simulator, v3)
    centre = positions.pool.functions.slot0().call()[1] // positions.spacing * positions.spacing
    s = positions.spacing
    for k in range(-10, 10):  # one-spacing ranges side by side, before the history too: a tick every 0.6 % near the price
        positions.mint(centre + k * s, centre + (k + 1) * s, eth=3)
    to_next_hour(web3)
    first = web3.eth.block_number + 1
    marks = {}
    for target in ("2540", "2490"):  # hour 0: the pre-history ticks are crossed both ways
        simulator.move_price("ETH-USDC", Decimal(target))
    positions.nudge(Decimal("1234.567891"))
    to_next_hour(web3)
    positions.mint(centre + 2 * s, centre + 5 * s)  # hour 1: new ranges either side, overlapping the old ones
    positions.mint(centre - 8 * s, centre - 5 * s)
    simulator.move_price("ETH-USDC", Decimal("2525"))
    positions.nudge(Decimal("987.654321"))
    marks["minted"] = web3.eth.block_number
    to_next_hour(web3)
    owned = positions.owned()
    positions.burn(owned[(centre + 6 * s, centre + 8 * s)])  # hour 2: a pre-history range burnt whole, another in part
    positions.burn(owned[(centre - 7 * s, centre - 5 * s)], Decimal("0.6"))
    simulator.move_price("ETH-USDC", Decimal("2505"))
    positions.nudge(Decimal("3141.592653"))
    marks["burnt"] = web3.eth.block_number
    to_next_hour(web3)
    positions.burn(positions.owned()[(centre + 2 * s, centre + 5 * s)])  # hour 3: no swap; a range out of the price, burnt
    marks["quiet burn"] = web3.eth.block_number
    to_next_hour(web3)
    simulator.move_price("ETH-USDC", Decimal("2480"))  # hours 4 and 5: the price moves on
    positions.nudge(Decimal("2718.281828"))
    to_next_hour(web3)
    simulator.move_price("ETH-USDC", Decimal("2515"))
    positions.nudge(Decimal("1414.213562"))
    to_next_hour(web3)
    return first, web3.eth.block_number, marks


@pytest.fixture(scope="module")
def downloads(web3, v3, history, tmp_path_factory):
    """The pool from the history's first block (its pre-history ticks read at that block, through a proxy that counts
    calls; then again, cached) and from block 0 (the pool's creation: every range is in the events)."""
    first, last, _ = history
    address = v3.pools[NARROW_POOL]
    folders = {name: tmp_path_factory.mktemp(f"ranges-{name}") for name in ("late", "full")}
    counts = []
    with FaultyRpcProxy(web3.provider.endpoint_uri) as proxy:
        for _ in range(2):
            caller = RpcCaller(web3.provider.__class__(proxy.url))
            downloader = V3PoolDownloader(caller, PoolHistoryStore(folders["late"]), CHAIN)
            opened = downloader.open(pool_tokens(RpcCaller(web3.provider), [address]), first, {address: "ETH-USDC-0.3%"})
            downloader.run(opened, last)
            counts.append({method: proxy.count(method) for method in ("eth_call", "eth_getLogs")})
            proxy.clear()
    caller = RpcCaller(web3.provider)
    downloader = V3PoolDownloader(caller, PoolHistoryStore(folders["full"]), CHAIN)
    downloader.run(downloader.open(pool_tokens(caller, [address]), 0, {address: "ETH-USDC-0.3%"}), last)
    return folders, counts


def stored(folder, address):
    store = PoolHistoryStore(folder)
    return StoredPool(store, store.load(CHAIN, address))


def test_the_download_reads_the_ticks_initialised_before_its_first_block_once(downloads, web3, v3, history):
    first = history[0]
    folders, counts = downloads
    assert counts[0]["eth_call"] > 0 and counts[0]["eth_getLogs"] > 0
    assert counts[1] == {"eth_call": 0, "eth_getLogs": 0}  # the re-run: everything from the cache
    metadata = PoolHistoryStore(folders["late"]).load(CHAIN, v3.pools[NARROW_POOL])
    pool = v3_contract(web3, "UniswapV3Pool", metadata.pool)
    assert metadata.tick_spacing == 60 and metadata.start_words is not None
    assert metadata.start_words[1] - metadata.start_words[0] + 1 == 5  # 27,727 ticks either side at spacing 60: two words each side
    assert len(metadata.start_ticks) >= 14  # full range, concentrated, twelve narrow bounds
    for tick, gross, net in metadata.start_ticks:
        assert pool.functions.ticks(tick).call(block_identifier=first - 1)[:2] == [gross, net]


def test_the_table_from_the_start_ticks_is_the_table_from_the_pools_whole_life_at_every_state(downloads, web3, v3, history):
    """History from the first block (start ticks + events) and from the pool's creation (events alone) agree at every
    state, and both are the chain's ticks() at the blocks where tables changed."""
    folders, _ = downloads
    late, full = (stored(folders[name], v3.pools[NARROW_POOL]).ranges() for name in ("late", "full"))
    assert late.known_words is not None and full.known_words is None
    pool = v3_contract(web3, "UniswapV3Pool", v3.pools[NARROW_POOL])
    offset = len(full) - len(late)
    assert offset > 0 and np.array_equal(full.times[offset:], late.times)
    for index in range(-1, len(late)):
        ours, theirs = late.at(index), full.at(index + offset)
        known = {t: net for t, net in theirs.table().items() if late.known_words[0] <= (t // 60) >> 8 <= late.known_words[1]}
        assert (ours.tick, ours.liquidity, ours.table()) == (theirs.tick, theirs.liquidity, known)
        assert set(theirs.table()) - set(known) <= {-887_220, 887_220}  # only the full-range position's, in no word read
    for block in history[2].values():
        index = int(late.state_index_at(np.array([(web3.eth.get_block(block + 1)["timestamp"]) * 10**9]))[0])
        table = late.at(index).table()
        for tick, net in table.items():
            assert pool.functions.ticks(tick).call(block_identifier=block)[1] == net
        assert late.at(index).liquidity == pool.functions.liquidity().call(block_identifier=block)


@pytest.fixture(scope="module")
def universe(downloads):
    return chain_universe(downloads[0]["late"], CHAIN, "uniswap-v3", "USDC", ["ETH"], "1h", fee={"ETH": Decimal("0.003")})


def quoter_at(web3, v3, block: int, buy: bool, amount: int) -> tuple[int, int]:
    """QuoterV2's (amount out, initialised ticks crossed) of an exact-input swap at ``block``'s state."""
    quoter = v3_contract(web3, "QuoterV2", v3.quoter_v2)
    token_in, token_out = (v3.usdc, v3.weth) if buy else (v3.weth, v3.usdc)
    out, _, crossed, _ = quoter.functions.quoteExactInputSingle((token_in, token_out, amount, 3000, 0)).call(block_identifier=block)
    return out, crossed


def last_block_before(web3, last: int, moment: pd.Timestamp) -> int:
    """The block whose state a candle opening at ``moment`` opens with: the last one mined before it."""
    stamp = int(moment.tz_localize("UTC").timestamp())
    return max(n for n in range(last + 1) if web3.eth.get_block(n)["timestamp"] < stamp)


def cycle_fills(universe, web3, v3, history) -> list[dict]:
    """Per candle after the first: the backtest's buy and sell at the open, as the backtest hands them out, and QuoterV2 then."""
    pair = universe.get_single_pair()
    candles = universe.candles[pair.ticker]
    pricing = BacktestPricing(universe, candles.index.as_unit("ns").asi8)
    model = ConcentratedLiquidityFillModel(3000, pairs=[pair])
    pool = v3_contract(web3, "UniswapV3Pool", v3.pools[NARROW_POOL])
    eth_is_token0 = int(v3.weth, 16) < int(v3.usdc, 16)
    rows = []
    for cursor in range(1, len(candles)):
        pricing.cursor = cursor
        mid, depth = pricing.get_mid_price(pair), pricing.get_liquidity(pair)
        assert type(depth) is PoolDepth
        block = last_block_before(web3, history[1], candles.index[cursor])
        buy, sell = model.buy(pair, mid, Decimal(BUY_USDC), depth), model.sell(pair, mid, SELL_ETH, depth)
        quotes = quoter_at(web3, v3, block, True, BUY_USDC * 10**6), quoter_at(web3, v3, block, False, int(SELL_ETH * 10**18))
        sqrt_price, tick = pool.functions.slot0().call(block_identifier=block)[:2]
        ranges = depth.ranges
        exact, bracket = [], {}
        for side, amount in (("buy", BUY_USDC * 10**6), ("sell", int(SELL_ETH * 10**18))):
            zero_for_one = (side == "buy") != eth_is_token0
            exact.append(pool_swap(ranges, sqrt_price, tick, zero_for_one, amount))
            bracket[side] = float_bracket(ranges, sqrt_price, zero_for_one, amount)
        rows.append(
            {
                "time": candles.index[cursor], "block": block, "mid": mid, "depth": depth, "state": (ranges.tick, ranges.liquidity), "chain": (tick, pool.functions.liquidity().call(block_identifier=block)),
                "buy": int(buy.quantity * 10**18), "sell": int(sell.reserve * 10**6), "quotes": quotes, "exact": exact, "bracket": bracket,
            }
        )  # fmt: skip
    return rows


def pool_swap(ranges, sqrt_price: int, tick: int, zero_for_one: bool, amount: int) -> int:
    """The output of the pool's exact-input swap from ``sqrt_price`` over ``ranges`` (L carried to ``tick``)."""
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    result = swap(PoolState(sqrt_price, tick, ranges.liquidity_at(tick), 3000, ranges), zero_for_one, amount, limit)
    return -(result.amount1 if zero_for_one else result.amount0)


def float_bracket(ranges, sqrt_price: int, zero_for_one: bool, amount: int) -> tuple[int, int]:
    """The least and most the pool's swap gives from slot0's exact price moved one float ulp (2**-52) either way."""
    edges = (isqrt(sqrt_price**2 * (2**52 + sign) >> 52) for sign in (-1, 1))
    outs = [pool_swap(ranges, edge, get_tick_at_sqrt_ratio(edge), zero_for_one, amount) for edge in edges]
    return min(outs), max(outs)


@pytest.fixture(scope="module")
def fills(universe, web3, v3, history):
    return cycle_fills(universe, web3, v3, history)


def test_fills_crossing_several_ticks_are_what_quoter_v2_gave_at_the_candles_open(fills):
    assert len(fills) >= 6
    for row in fills:
        assert row["state"] == row["chain"]  # the fill's L and tick are the pool's at that block
        (buy_quote, buy_crossed), (sell_quote, sell_crossed) = row["quotes"]
        assert buy_crossed >= 3 and sell_crossed >= 3, row
        assert row["exact"] == [buy_quote, sell_quote]  # from slot0's exact price the ranges give QuoterV2's amounts to the wei
        for side, quote in (("buy", buy_quote), ("sell", sell_quote)):
            low, high = row["bracket"][side]
            assert low - 2 <= row[side] <= high + 2, (side, row)  # within the float's rounding of the price
            assert high - low <= quote * WIDEST, (side, row)  # which is narrow: see the module docstring


def test_a_fill_before_and_after_a_burn_differ_as_the_pool_did(fills, web3, v3, history):
    """No swap in the hour of the quiet burn: the two candles open at the same price with the same L, and only the
    burnt range above the price tells them apart. The fills differ as QuoterV2 did; on the depth alone they would not."""
    quiet = history[2]["quiet burn"]
    before, after = next((a, b) for a, b in zip(fills, fills[1:], strict=False) if a["block"] < quiet <= b["block"])
    assert before["mid"] == after["mid"] and before["state"] == after["state"] and before["depth"] == after["depth"]
    up, down = ("buy", "sell") if int(v3.weth, 16) < int(v3.usdc, 16) else ("sell", "buy")  # the swap towards higher ticks pays token1
    side = {"buy": 0, "sell": 1}
    paid = [row["quotes"][side[up]][0] for row in (before, after)]
    assert paid[0] != paid[1]  # the pool's swap towards the burnt range went through it
    assert before[up] - after[up] == pytest.approx(paid[0] - paid[1], rel=1e-6)
    assert before["quotes"][side[down]] == after["quotes"][side[down]] and before[down] == after[down]  # the other way: nothing changed
    model, pair = ConcentratedLiquidityFillModel(3000), v3_pair(v3)
    amount = Decimal(BUY_USDC) if up == "buy" else SELL_ETH
    on_depth = [getattr(model, up)(pair, row["mid"], amount, Decimal(row["depth"])) for row in (before, after)]
    assert on_depth[0] == on_depth[1]  # the depth alone (one range of the candle's L) cannot tell the two hours apart


def v3_pair(v3):
    from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier

    return TradingPairIdentifier(AssetIdentifier(CHAIN, v3.weth, "ETH", 18), AssetIdentifier(CHAIN, v3.usdc, "USDC", 6), v3.pools[NARROW_POOL], "uniswap-v3", Decimal("0.003"))


def test_the_universe_ships_its_ranges_to_grid_search_workers(universe):
    copy = pickle.loads(pickle.dumps(universe))
    assert copy.pool_ranges["ETH-USDC"].fingerprint() == universe.pool_ranges["ETH-USDC"].fingerprint()


def test_a_cli_backtest_on_the_download_fills_as_quoter_v2_did(downloads, universe, web3, v3, history, tmp_path):
    strategy = tmp_path / "alternate_ranges.py"
    strategy.write_text(STRATEGY)
    state_file = tmp_path / "state.json"
    result = CliRunner().invoke(app, ["start", f"--strategy-file={strategy}", "--execution-type=backtest", f"--state-file={state_file}"], env={"CACHE_PATH": str(downloads[0]["late"])})
    assert result.exit_code == 0, result.output
    assert "depth from data, crossing ticks with each range's liquidity at the fill's time" in result.output
    trades = [t for p in JSONFileStore(state_file).load().portfolio.get_all_positions() for t in p.trades.values()]
    assert len(trades) >= 5 and all(t.is_success for t in trades)
    pair = universe.get_single_pair()
    candles = universe.candles[pair.ticker]
    pricing = BacktestPricing(universe, candles.index.as_unit("ns").asi8)
    pool = v3_contract(web3, "UniswapV3Pool", v3.pools[NARROW_POOL])
    for trade in trades:
        opened = pd.Timestamp(trade.executed_at).tz_localize(None)
        block = last_block_before(web3, history[1], opened)
        buy = trade.executed_quantity > 0
        amount_in = int(trade.executed_reserve * 10**6) if buy else int(-trade.executed_quantity * 10**18)
        quote, crossed = quoter_at(web3, v3, block, buy, amount_in)
        got = int(trade.executed_quantity * 10**18) if buy else int(trade.executed_reserve * 10**6)
        pricing.cursor = candles.index.get_loc(opened)
        low, high = float_bracket(pricing.get_liquidity(pair).ranges, pool.functions.slot0().call(block_identifier=block)[0], buy != (int(v3.weth, 16) < int(v3.usdc, 16)), amount_in)
        assert crossed >= 3 and low - 2 <= got <= high + 2 and low <= quote <= high, (trade, quote, low, high)











def test_a_cache_written_before_start_ticks_were_kept_gets_them_on_the_next_run_once(downloads, web3, v3, history, tmp_path, caplog):
    address = v3.pools[NARROW_POOL]
    shutil.copytree(downloads[0]["late"], tmp_path, dirs_exist_ok=True)
    store = PoolHistoryStore(tmp_path)
    complete = store.load(CHAIN, address)
    old = replace(complete, tick_spacing=None, start_ticks=None, start_words=None)
    store.rewrite(old)
    assert stored(tmp_path, address).ranges() is None  # what stood before its first block is not known: fills on the depth
    assert chain_universe(tmp_path, CHAIN, "uniswap-v3", "USDC", ["ETH"], "1h", fee={"ETH": Decimal("0.003")}).pool_ranges == {}
    assert "Run `download` for it again" in caplog.text
    with FaultyRpcProxy(web3.provider.endpoint_uri) as proxy:
        calls = []
        for _ in range(2):
            downloader = V3PoolDownloader(RpcCaller(web3.provider.__class__(proxy.url)), store, CHAIN)
            downloader.open(pool_tokens(RpcCaller(web3.provider), [address]), history[0], {address: "ETH-USDC-0.3%"})
            calls.append(proxy.count("eth_call"))
            proxy.clear()
    assert calls[0] > 0 and calls[1] == 0
    assert store.load(CHAIN, address) == complete
