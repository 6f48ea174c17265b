"""Routes and quotes against the real router, and candles built from the pools' own events."""

from decimal import Decimal

import pandas as pd

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import Deployer, load_token_artifact
from trade_executor.execution.uniswap_v2.live_data import ChainMarketDataLoader
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus

from .conftest import HOT_WALLET_KEY, age_pools

WAD = 10**18


def add_link_weth_pool(deployment) -> str:
    """A LINK/WETH pool and no LINK/USDC pool: LINK is reachable from USDC only through WETH."""
    web3 = create_web3(deployment.url)
    deployer = Deployer(web3, HotWallet(ANVIL_PRIVATE_KEYS[0]))
    link = deployer.deploy(load_token_artifact(), "Chainlink", "LINK", 18)
    weth = web3.eth.contract(address=deployment.weth, abi=load_abi("WETH9"))
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    me = deployer.wallet.address
    deployer.call(link.functions.mint(me, 10_000 * WAD))
    deployer.call(weth.functions.deposit(), value=100 * WAD)
    deployer.call(link.functions.approve(deployment.router, 2**256 - 1))
    deployer.call(weth.functions.approve(deployment.router, 2**256 - 1))
    deadline = web3.eth.get_block("latest")["timestamp"] + 600
    deployer.call(router.functions.addLiquidity(link.address, deployment.weth, 5_000 * WAD, 50 * WAD, 0, 0, me, deadline))  # 1 LINK = 0.01 ETH
    return link.address


def test_three_way_route_quotes_equal_get_amounts_out_and_the_swap_fills_as_quoted(live_config, deployment, anvil):
    link = add_link_weth_pool(deployment)
    age_pools(anvil)  # the new pool needs a TWAP too: the reference price of a two-hop route is both pools'
    web3 = create_web3(deployment.url)
    routing = UniswapV2Routing(web3, deployment.factory, deployment.router, intermediaries=(deployment.weth,))
    route = routing.route(deployment.usdc, link)
    assert route.path == (deployment.usdc, deployment.weth, link) and route.hops == 2
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    for amount in (1, 10**6, 1_234_567_891, 100_000 * 10**6):
        assert routing.quote(amount, route) == router.functions.getAmountsOut(amount, list(route.path)).call()
    assert routing.quote(10**18, route.reversed()) == router.functions.getAmountsOut(10**18, list(route.reversed().path)).call()
    # 1 LINK = 0.01 ETH = 3 USDC at the pools' mid prices
    assert abs(routing.mid_price(route, 18, 6) - Decimal(3)) < Decimal("1e-18")  # reserves are whole token units

    # A live buy of LINK goes USDC -> WETH -> LINK and fills exactly as quoted.
    config = live_config.__class__(**{**live_config.__dict__, "tokens": {**deployment.tokens, "LINK": link}, "intermediaries": (deployment.weth,)})
    trader = LiveTrader(config)
    trader.recover()
    trader.sync_and_check(trader.config.clock())
    from trade_executor.market.universe import TradingUniverse
    from trade_executor.strategy.position_manager import PositionManager

    pair = trader.loader.pair("LINK")
    no_candles = pd.DataFrame({c: [] for c in ("open", "high", "low", "close", "volume")}, index=pd.DatetimeIndex([], name="timestamp"))
    universe = TradingUniverse(31337, "uniswap-v2", trader.reserve, {pair.ticker: pair}, {pair.ticker: no_candles}, pd.Timedelta(hours=1))
    trader.read_prices(universe, trader.config.clock())
    manager = PositionManager(trader.state, universe, trader.pricing)
    manager.begin_cycle(trader.config.clock())
    expected = routing.quote(100 * 10**6, route)[-1]  # small: the LINK pool is shallow, and a 2% price impact would be refused
    (buy,) = manager.open_long(pair, Decimal(100))
    trader.execution.execute_trades(trader.config.clock(), trader.state, [buy])
    assert buy.status is TradeStatus.success
    assert buy.executed_quantity == Decimal(expected).scaleb(-18)
    assert buy.lp_fees_paid == Decimal("0.5991")  # 1 - 0.997^2 of 100 USDC over two hops
    assert Decimal("0.005") < buy.price_impact < Decimal("0.02")  # recorded from the pools' depth


def test_live_candles_are_built_from_the_pools_sync_events(deployment, tmp_path):
    from trade_executor.devnet.market_simulator import MarketSimulator

    web3 = create_web3(deployment.url)
    simulator = MarketSimulator(web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), deployment)  # the deployer can mint what it trades
    start = web3.eth.get_block("latest")["timestamp"] // 60 * 60 + 60
    path = [Decimal(p) for p in ("310", "305", "320", "315")]
    for i, price in enumerate(path):  # two prices in each of two minutes
        web3.provider.make_request("evm_setNextBlockTimestamp", [start + 60 * (i // 2) + 10 * (i % 2) + 5])
        simulator.move_price("ETH-USDC", price)
    routing = UniswapV2Routing(web3, deployment.factory, deployment.router)
    history = LivePoolHistory(RpcCaller(web3.provider), PoolHistoryStore(tmp_path), 31337, history_seconds=3600, confirmations=1)
    loader = ChainMarketDataLoader(web3, routing, chain_id=31337, exchange_slug="uniswap-v2", reserve_symbol="USDC", tokens=deployment.tokens, time_frame=pd.Timedelta(minutes=1), history=history)
    candles = loader.embedded(["ETH"]).candles["ETH-USDC"]
    last_two = candles.iloc[-2:]
    assert list(last_two.index) == [pd.Timestamp(start, unit="s"), pd.Timestamp(start + 60, unit="s")]
    first, second = last_two.iloc[0], last_two.iloc[1]
    # A candle opens at the price standing when it opens (the pool's 300), as backtests on downloaded data read it.
    assert abs(first["open"] - 300) / 300 < 1e-4 and abs(first["high"] - 310) / 310 < 1e-4 and abs(first["close"] - 305) / 305 < 1e-4
    assert abs(second["open"] - 305) / 305 < 1e-4 and abs(second["high"] - 320) / 320 < 1e-4 and abs(second["close"] - 315) / 315 < 1e-4
    assert second["liquidity"] > 0  # the pool's quote side at the close

    # The same loader read again after another move: the earlier candles stay, the new one is added.
    web3.provider.make_request("evm_setNextBlockTimestamp", [start + 125])
    simulator.move_price("ETH-USDC", Decimal("330"))
    again = loader.embedded(["ETH"]).candles["ETH-USDC"]
    assert list(again.index[-3:]) == [pd.Timestamp(start + 60 * k, unit="s") for k in range(3)]
    assert abs(again.iloc[-1]["close"] - 330) / 330 < 1e-4
    assert again.iloc[:-1].equals(candles)
    # What was confirmed is in the cache a restart reads instead of the chain.
    assert PoolHistoryStore(tmp_path).load(31337, deployment.pairs["ETH-USDC"]).next_block == web3.eth.block_number + 1


def test_min_gas_balance_and_stale_data_stop_before_trading(live_config):
    import pytest

    from trade_executor.errors import StopError

    poor = LiveTrader(live_config.__class__(**{**live_config.__dict__, "min_gas_balance": Decimal(1_000)}))
    with pytest.raises(StopError, match="MIN_GAS_BALANCE"):
        poor.run_cycle(poor.config.clock())
    assert not poor.state.portfolio.open_positions

    stale = LiveTrader(live_config.__class__(**{**live_config.__dict__, "max_data_delay_minutes": 1}))
    later = stale.config.clock() + pd.Timedelta(hours=3).to_pytimedelta()
    with pytest.raises(StopError, match="stale data"):
        stale.run_cycle(later)
    assert not stale.state.portfolio.open_positions
    assert HOT_WALLET_KEY


def test_a_stop_loss_between_cycles_sells_when_the_reference_price_falls_through_it(live_config, deployment, anvil):
    from trade_executor.devnet.market_simulator import MarketSimulator
    from trade_executor.execution.uniswap_v2.treasury import check_accounts
    from trade_executor.state import TradeType

    trader = LiveTrader(live_config)  # the alternating strategy buys with a stop at 50% of the entry price
    trader.recover()
    (buy,) = trader.run_cycle(trader.config.clock())
    position = trader.state.portfolio.open_positions[buy.position_id]
    assert position.stop_loss == buy.planned_price * Decimal("0.5")

    simulator = MarketSimulator(create_web3(deployment.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), deployment)
    simulator.move_price("ETH-USDC", Decimal(200))
    assert trader.check_triggers(trader.config.clock()) == []  # 200 is above the stop (about 150)
    simulator.move_price("ETH-USDC", Decimal(140))
    assert trader.check_triggers(trader.config.clock()) == []  # one block below the stop does not move the reference (TWAP)
    anvil.rpc("evm_increaseTime", 16 * 60)  # the market stays there for longer than the TWAP window
    anvil.rpc("evm_mine")
    (sell,) = trader.check_triggers(trader.config.clock())
    assert sell.trade_type is TradeType.stop_loss and sell.status is TradeStatus.success
    assert not trader.state.portfolio.open_positions
    check_accounts(trader.web3, trader.state, trader.wallet.address)
