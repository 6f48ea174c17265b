"""PancakeSwap v3 on anvil: PancakeSwap's own factory and pools (npm @pancakeswap/v3-core), the devnet's pool deployer,
and our v3 code against them: pool addresses, quotes to the wei, slot0's uint32 feeProtocol, the pool's oracle,
download, a live buy and sell, check-universe / check-wallet, and `trade-executor devnet --exchange=pancakeswap-v3`.

One devnet for the module (deployed once); each test starts from a snapshot of it and leaves it as it was. The
router and the minter are devnet stand-ins (PancakeSwap publishes neither on npm): what a pool pays is measured
on the pool's own Transfer out of a swap, never taken from them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from pydantic import SecretStr
from typer.testing import CliRunner
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.cli.main import app
from trade_executor.devnet.deploy import NODE_MODULES, Deployer, load_token_artifact
from trade_executor.devnet.deploy_pancake_v3 import PANCAKESWAP_V3, deploy_pancakeswap_v3, liquidity_for_amounts
from trade_executor.devnet.deploy_v3 import compute_pool_address, load_v3_artifact, pool_key
from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v3 import exchanges
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.execution.uniswap_v3.oracle import OracleWindowTooLong, UniswapV3Oracle, increase_cardinality, mean_tick
from trade_executor.execution.uniswap_v3.pool_download import PANCAKESWAP_SWAP_V3_TOPIC
from trade_executor.execution.uniswap_v3.pool_state import PoolReader
from trade_executor.execution.uniswap_v3.quotes import UniswapV3Quoter
from trade_executor.execution.uniswap_v3.routing import UniswapV3Routing, V3Route
from trade_executor.execution.uniswap_v3.swap_router import SWAP_ROUTER_02_ABI, decode_swap, swap_call
from trade_executor.market.chain_data import stored_candles
from trade_executor.market.fee_tiers import fee_tiers_of
from trade_executor.market.pool_candles_v3 import price_of
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import TradeStatus

from .test_live_v3 import STRATEGY as LIVE_V3_STRATEGY

pytestmark = pytest.mark.xdist_group("pancakeswap-v3")  # one devnet for the module

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
PANCAKE_INIT_CODE_HASH = "6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2"  # PancakeSwap v3's, as its periphery hard-codes it
PRICES = {"ETH": Decimal("2500"), "BTC": Decimal("4367.4")}
FEE = 2500
POOL = pool_key("ETH", FEE)  # "ETH-USDC-0.25%": the narrow positions are here
ETH, USDC = 10**18, 10**6
CHAIN = 31337
ZERO = "0x" + "00" * 20
HOT_WALLET_KEY = "0x" + "44" * 32

# test_live_v3's alternating strategy (buy 2,500 USDC of ETH, then sell it all) on the 0.25 % PancakeSwap pool
STRATEGY = LIVE_V3_STRATEGY.replace('exchange = "uniswap-v3"', 'exchange = "pancakeswap-v3"').replace('fee={"ETH": 0.003}', 'fee={"ETH": 0.0025}')


def contract(web3, name: str, address: str):
    return web3.eth.contract(address=address, abi=load_v3_artifact(PANCAKESWAP_V3, name)["abi"])


def advance(web3, seconds: int) -> None:
    web3.provider.make_request("evm_increaseTime", [seconds])
    web3.provider.make_request("evm_mine", [])


def balance(web3, token: str, owner: str) -> int:
    return web3.eth.contract(address=token, abi=load_abi("ERC20")).functions.balanceOf(owner).call()


@pytest.fixture(scope="module")
def hot_wallet():
    return HotWallet(HOT_WALLET_KEY)


@pytest.fixture(scope="module")
def pancake(web3, deployer, hot_wallet):
    started = time.perf_counter()
    deployment = deploy_pancakeswap_v3(
        web3, deployer, prices=PRICES, liquidity_usd=Decimal(1_000_000), fees=(FEE, 500),
        fund_address=hot_wallet.address, fund_usdc=Decimal(2_000_000), fund_native=Decimal(5_000),
    )
    print(f"PancakeSwap v3 devnet deployed in {time.perf_counter() - started:.2f} s")  # noqa: T201 - a figure for the closing note
    add_narrow_positions(web3, deployer, deployment)
    return deployment


def add_narrow_positions(web3, deployer, deployment) -> None:
    """Six narrow positions either side of the 0.25 % pool's price, 3 spacings apart, each 2 spacings wide (swaps cross their ticks)."""
    d = Deployer(web3, deployer)
    pool = contract(web3, "UniswapV3Pool", deployment.pools[POOL])
    minter = contract(web3, "Minter", deployment.position_manager)
    spacing = pool.functions.tickSpacing().call()
    sqrt_price, tick, *_ = pool.functions.slot0().call()
    d.call(web3.eth.contract(address=deployment.usdc, abi=load_token_artifact()["abi"]).functions.mint(deployer.address, 10**12))
    d.call(web3.eth.contract(address=deployment.weth, abi=load_abi("WETH9")).functions.deposit(), value=1_000 * ETH)
    weth_is_token0 = pool.functions.token0().call() == deployment.weth
    amount0, amount1 = (20 * ETH, 50_000 * USDC) if weth_is_token0 else (50_000 * USDC, 20 * ETH)
    centre = tick // spacing * spacing
    for k in range(1, 7):
        for lower in (centre + 3 * k * spacing, centre - (3 * k + 1) * spacing):
            upper = lower + 2 * spacing
            liquidity = liquidity_for_amounts(sqrt_price, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), amount0, amount1)
            d.call(minter.functions.mint(pool.address, lower, upper, liquidity))


@pytest.fixture(autouse=True)
def fresh_chain(web3, pancake):
    """Each test on the devnet as deployed: a snapshot before, reverted after."""
    snapshot = web3.provider.make_request("evm_snapshot", [])["result"]
    yield
    web3.provider.make_request("evm_revert", [snapshot])


@pytest.fixture
def routing(web3, pancake):
    return UniswapV3Routing(web3, pancake.factory, fee_tiers=fee_tiers_of("pancakeswap-v3"), intermediaries=(pancake.usdc,))


def swap_through_router(web3, pancake, wallet, route: V3Route, amount_in: int) -> tuple[int, int]:
    """Swap ``amount_in`` along ``route`` as the live executor sends it (multicall(deadline, [exactInputSingle | exactInput]));
    (what the last pool paid the wallet, read from that pool's Transfer to it; the first pool's sqrtPriceX96 after)."""
    builder = TransactionBuilder(web3, wallet)
    token_in = route.path[0]
    if token_in == pancake.weth:
        send_and_wait(web3, builder.sign_call(web3.eth.contract(address=pancake.weth, abi=load_abi("WETH9")).functions.deposit(), value=amount_in))
    send_and_wait(web3, builder.sign_call(web3.eth.contract(address=token_in, abi=load_abi("ERC20")).functions.approve(pancake.swap_router02, amount_in)))
    router = web3.eth.contract(address=pancake.swap_router02, abi=SWAP_ROUTER_02_ABI)
    call, _ = swap_call(router, route, amount_in, 0, wallet.address, web3.eth.get_block("latest")["timestamp"] + 300)
    receipt = send_and_wait(web3, builder.sign_call(call))
    token_out = web3.eth.contract(address=route.path[-1], abi=load_abi("ERC20"))
    (paid,) = [e for e in token_out.events.Transfer().process_receipt(receipt, errors=DISCARD) if e.args["from"] == route.pools[-1] and e.args["to"] == wallet.address]
    return paid.args["value"], contract(web3, "UniswapV3Pool", route.pools[0]).functions.slot0().call()[0]


# --- the devnet ---------------------------------------------------------------------------------


def test_the_npm_pool_is_pancakeswaps_and_every_pool_is_at_create2_of_the_deployer(web3, pancake, deployer):
    artifact = json.loads((NODE_MODULES / PANCAKESWAP_V3.artifacts["UniswapV3Pool"]).read_text())
    assert keccak(hexstr=artifact["bytecode"]).hex().removeprefix("0x") == PANCAKE_INIT_CODE_HASH == pancake.pool_init_code_hash
    factory = contract(web3, "UniswapV3Factory", pancake.factory)
    pool_deployer = contract(web3, "PancakeV3PoolDeployer", pancake.pool_deployer)
    router = contract(web3, "SwapRouter02", pancake.swap_router02)
    assert factory.functions.poolDeployer().call() == pancake.pool_deployer and pool_deployer.functions.factoryAddress().call() == pancake.factory
    assert set(pancake.pools) == {"ETH-USDC-0.25%", "ETH-USDC-0.05%", "BTC-USDC-0.25%", "BTC-USDC-0.05%"}
    for key, address in pancake.pools.items():
        base, fee = pancake.tokens[key.split("-")[0]], pancake.fees[key]
        token0, token1 = sorted((base, pancake.usdc), key=lambda a: int(a, 16))
        salt = keccak(encode(["address", "address", "uint24"], [token0, token1, fee]))
        create2 = to_checksum_address(keccak(b"\xff" + bytes.fromhex(pancake.pool_deployer[2:]) + salt + bytes.fromhex(PANCAKE_INIT_CODE_HASH))[12:])
        assert create2 == address == factory.functions.getPool(base, pancake.usdc, fee).call() == factory.functions.getPool(pancake.usdc, base, fee).call()
        assert compute_pool_address(pancake.pool_deployer, base, pancake.usdc, fee, PANCAKE_INIT_CODE_HASH) == address
        assert router.functions.poolAddress(base, pancake.usdc, fee).call() == address
        pool = contract(web3, "UniswapV3Pool", address)
        # the pool's constructor read them from the deployer's parameters()
        assert (pool.functions.factory().call(), pool.functions.token0().call(), pool.functions.token1().call(), pool.functions.fee().call()) == (pancake.factory, token0, token1, fee)
        assert pool.functions.tickSpacing().call() == PANCAKESWAP_V3.fee_tiers[fee]
        assert pool.functions.slot0().call()[0] == pancake.sqrt_prices[key]
    assert pool_deployer.functions.parameters().call() == [ZERO, ZERO, ZERO, 0, 0]  # set only while a pool is deployed
    with pytest.raises(ContractLogicError, match="only factory can call deploy"):
        pool_deployer.functions.deploy(pancake.factory, pancake.weth, pancake.usdc, 3000, 60).call({"from": deployer.address})
    with pytest.raises(ContractLogicError, match="already initialized"):
        pool_deployer.functions.setFactoryAddress(deployer.address).call({"from": deployer.address})


def test_the_factory_has_pancakeswaps_fee_tiers_and_the_router_passes_the_start_check(web3, pancake):
    factory = contract(web3, "UniswapV3Factory", pancake.factory)
    assert {fee: factory.functions.feeAmountTickSpacing(fee).call() for fee in fee_tiers_of("pancakeswap-v3")} == dict(PANCAKESWAP_V3.fee_tiers)
    assert tuple(PANCAKESWAP_V3.fee_tiers) == fee_tiers_of("pancakeswap-v3") == (100, 500, 2500, 10000)
    router = contract(web3, "SwapRouter02", pancake.swap_router02)
    assert (router.functions.factory().call(), router.functions.factoryV2().call(), router.functions.deployer().call(), router.functions.WETH9().call()) == (
        pancake.factory, ZERO, pancake.pool_deployer, pancake.weth,
    )
    exchanges.check_router(web3, exchanges.PANCAKESWAP_V3, pancake.factory, pancake.swap_router02)
    with pytest.raises(ConfigurationError, match="the factory, not the PancakeV3PoolDeployer"):
        exchanges.check_router(web3, exchanges.PANCAKESWAP_V3, pancake.pool_deployer, pancake.swap_router02)


def test_the_callbacks_pay_only_pools_of_the_deployer(web3, pancake, deployer):
    router = contract(web3, "SwapRouter02", pancake.swap_router02)
    minter = contract(web3, "Minter", pancake.position_manager)
    data = encode(["address", "address", "uint24", "address"], [pancake.usdc, pancake.weth, FEE, deployer.address])
    with pytest.raises(ContractLogicError, match="Not a pool of the deployer"):
        router.functions.pancakeV3SwapCallback(1, 0, data).call({"from": deployer.address})
    with pytest.raises(ContractLogicError):  # an account with no pool code: no token0() to ask, or not at CREATE2 of the deployer
        minter.functions.pancakeV3MintCallback(1, 1, encode(["address"], [deployer.address])).call({"from": deployer.address})
    with pytest.raises(ContractLogicError, match="Transaction too old"):
        router.functions.multicall(0, []).call({"from": deployer.address})


# --- quotes from pool state against what the PancakeSwap pool pays ------------------------------------


@pytest.mark.parametrize(
    ("direction", "amount_in", "crosses"),
    [("sell ETH", 10**15, False), ("sell ETH", 3 * ETH, False), ("buy ETH", 1_000 * USDC, False), ("sell ETH", 300 * ETH, True), ("buy ETH", 750_000 * USDC, True)],
)
def test_a_quote_from_pool_state_is_what_the_pool_pays_to_the_wei(web3, pancake, routing, hot_wallet, direction, amount_in, crosses):
    route = routing.route(pancake.weth, pancake.usdc, fee=FEE) if direction == "sell ETH" else routing.route(pancake.usdc, pancake.weth, fee=FEE)
    assert route.pools == (pancake.pools[POOL],)
    quote = UniswapV3Quoter(PoolReader(web3)).quote_exact_input(route, amount_in)
    assert (len(quote.ticks_crossed[0]) >= 4) if crosses else not quote.ticks_crossed[0]  # the narrow positions' edges
    assert swap_through_router(web3, pancake, hot_wallet, route, amount_in) == (quote.amount_out, quote.sqrt_prices_after[0])


@pytest.mark.parametrize("amount_in", [ETH, 250 * ETH])
def test_a_two_hop_quote_eth_usdc_btc_is_what_the_pools_pay(web3, pancake, routing, hot_wallet, amount_in):
    route = routing.route(pancake.weth, pancake.tokens["BTC"])
    assert route.path == (pancake.weth, pancake.usdc, pancake.tokens["BTC"])
    quote = UniswapV3Quoter(PoolReader(web3)).quote_exact_input(route, amount_in)
    assert swap_through_router(web3, pancake, hot_wallet, route, amount_in) == (quote.amount_out, quote.sqrt_prices_after[0])


# --- slot0's feeProtocol: a uint32 holding both tokens' shares ----------------------------------------


def test_slot0_is_read_with_a_fee_protocol_above_255_and_quotes_still_pay_exactly(web3, pancake, deployer, routing, hot_wallet):
    pool_address = pancake.pools[POOL]
    pool, factory = contract(web3, "UniswapV3Pool", pool_address), contract(web3, "UniswapV3Factory", pancake.factory)

    def raw_slot0() -> str:
        return web3.eth.call({"to": pool_address, "data": call_data("slot0")}).to_0x_hex()

    assert decode_result("slot0", raw_slot0())[5] == 3200 + (3200 << 16)  # PancakeSwap's default at initialize: 32 % of the fee, each token
    receipt = Deployer(web3, deployer).call(factory.functions.setFeeProtocol(pool_address, 1000, 4000))  # the factory owner's call
    (event,) = pool.events.SetFeeProtocol().process_receipt(receipt)
    assert (event.args.feeProtocol0Old, event.args.feeProtocol1Old, event.args.feeProtocol0New, event.args.feeProtocol1New) == (3200, 3200, 1000, 4000)

    sqrt_price, tick, index, cardinality, cardinality_next, fee_protocol, unlocked = decode_result("slot0", raw_slot0())
    assert fee_protocol == 1000 + (4000 << 16) == 262_145_000  # token0's share in the low 16 bits, token1's above: setFeeProtocol's packing
    assert (sqrt_price, tick, index, cardinality, cardinality_next, fee_protocol, unlocked) == tuple(pool.functions.slot0().call())
    with pytest.raises(Exception):  # noqa: B017 - Uniswap's uint8 feeProtocol cannot hold it: a reader with Uniswap's ABI would fail here
        decode(["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"], bytes.fromhex(raw_slot0()[2:]))
    snapshot = PoolReader(web3).read([pool_address])[pool_address]
    assert (snapshot.state.sqrt_price_x96, snapshot.state.tick, snapshot.observation_cardinality) == (sqrt_price, tick, cardinality)
    with pytest.raises(ContractLogicError):  # only the factory or its owner
        pool.functions.setFeeProtocol(2000, 2000).call({"from": hot_wallet.address})

    # The protocol's share comes out of the LPs' fee, not the swapper's output: the quote still pays exactly.
    route = routing.route(pancake.usdc, pancake.weth, fee=FEE)
    quote = UniswapV3Quoter(PoolReader(web3)).quote_exact_input(route, 500_000 * USDC)
    fees_before = pool.functions.protocolFees().call()
    assert swap_through_router(web3, pancake, hot_wallet, route, 500_000 * USDC) == (quote.amount_out, quote.sqrt_prices_after[0])
    usdc_index = 0 if pool.functions.token0().call() == pancake.usdc else 1
    taken = pool.functions.protocolFees().call()[usdc_index] - fees_before[usdc_index]
    lp_fee = 500_000 * USDC * FEE // 10**6
    assert abs(taken - lp_fee * (4000 if usdc_index else 1000) // 10_000) <= len(quote.ticks_crossed[0]) + 2  # 40 % (or 10 %) of the fee, per step rounded


# --- the pool's oracle ----------------------------------------------------------------------------------


def test_the_oracle_reference_is_the_pools_observe_mean_tick(web3, pancake, deployer, routing, hot_wallet):
    pool_address, window = pancake.pools[POOL], 900
    pool = contract(web3, "UniswapV3Pool", pool_address)
    oracle = UniswapV3Oracle(web3, window_seconds=window)
    with pytest.raises(OracleWindowTooLong, match=r"keeps 1 observation.*increase_cardinality"):
        oracle.consult([pool_address])  # a new pool keeps one observation
    increase_cardinality(TransactionBuilder(web3, deployer), pool_address, 50)
    advance(web3, 60)
    swap_through_router(web3, pancake, hot_wallet, routing.route(pancake.weth, pancake.usdc, fee=FEE), ETH)  # an observation
    tick_before = pool.functions.slot0().call()[1]
    advance(web3, 600)
    swap_through_router(web3, pancake, hot_wallet, routing.route(pancake.weth, pancake.usdc, fee=FEE), 200 * ETH)
    tick_after = pool.functions.slot0().call()[1]
    advance(web3, 300)

    block = web3.eth.block_number
    reading = oracle.consult([pool_address], block=block)[pool_address]
    cumulatives, _ = pool.functions.observe([window, 0]).call(block_identifier=block)
    assert reading.mean_tick == mean_tick(cumulatives[0], cumulatives[1], window)  # OracleLibrary.consult on the pool's own observe()
    assert min(tick_before, tick_after) < reading.mean_tick < max(tick_before, tick_after)  # the 200 ETH sale weighs a third of the window
    assert reading.spot_tick == tick_after and reading.spot_sqrt_price_x96 == pool.functions.slot0().call()[0]


# --- download -------------------------------------------------------------------------------------------


def test_download_of_the_pancakeswap_pools_closes_at_slot0_exactly(web3, pancake, deployer, tmp_path):
    simulator = V3MarketSimulator(web3, deployer, pancake)  # PancakeSwap's pools, through the stand-in router
    for target in (Decimal(p) for p in ("2540", "2490", "2470", "2525", "2610", "2450")):
        simulator.run([target], "ETH-USDC", 0, threading.Event())  # both fee tiers, each exactly at the target's sqrt price
        assert simulator.sqrt_price(POOL) == simulator.target_sqrt_price(POOL, target)
        advance(web3, 1800)
    advance(web3, 3600)
    last_block = web3.eth.block_number
    env = {"CACHE_PATH": str(tmp_path), "JSON_RPC_URL": web3.provider.endpoint_uri, "UNISWAP_V3_FACTORY": pancake.factory,
           "TOKEN_ETH": pancake.weth, "TOKEN_USDC": pancake.usdc, "CONFIRMATION_BLOCK_COUNT": "1"}
    args = ["download", "--exchange=pancakeswap-v3", "--pairs=ETH", "--reserve-currency=USDC", "--start=2000-01-01", "--candles=1h"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Read 2 pool(s)" in result.output and "ETH-USDC-0.25% v3 0.25%" in result.output, result.output

    store = PoolHistoryStore(tmp_path)
    address = pancake.pools[POOL]
    metadata = store.load(CHAIN, address)
    logs = web3.eth.get_logs({"address": address, "topics": [PANCAKESWAP_SWAP_V3_TOPIC], "fromBlock": 0, "toBlock": last_block})
    swaps = store.read(metadata, "v3_swap")
    assert len(logs) == 6 and len(swaps) == 6 + 1  # every PancakeSwap Swap (its own topic), and the Initialize
    pool = contract(web3, "UniswapV3Pool", address)
    base_is_token0 = pool.functions.token0().call() == pancake.weth
    candles = stored_candles(store, metadata, pancake.weth, pd.Timedelta("1h"))
    times = {n: web3.eth.get_block(n)["timestamp"] for n in range(metadata.first_block, last_block + 1)}
    for opened, candle in candles.iterrows():
        block = max(n for n, t in times.items() if t < int(opened.timestamp()) + 3600)
        assert candle["close"] == float(price_of(metadata, pool.functions.slot0().call(block_identifier=block)[0], base_is_token0))
        assert candle["active_liquidity"] == float(pool.functions.liquidity().call(block_identifier=block))
    assert len(candles) >= 4  # 3 hours of moves and one quiet hour


# --- live: a buy and a sell, in process and through the CLI ---------------------------------------------


def aged_oracle(web3, pancake, deployer) -> None:
    """The 0.25 % pool keeps 200 observations and has 20 minutes of history: its oracle covers the 15-minute reference window."""
    increase_cardinality(TransactionBuilder(web3, deployer), pancake.pools[POOL], 200)
    advance(web3, 20 * 60)


def test_a_live_buy_and_sell_fill_exactly_the_quotes_from_pool_state(web3, pancake, deployer, tmp_path):
    aged_oracle(web3, pancake, deployer)
    strategy_file = tmp_path / "alternate_pancake.py"
    strategy_file.write_text(STRATEGY)
    trader = LiveTrader(LiveConfig(
        strategy_file=strategy_file, state_file=tmp_path / "state" / "alternate_pancake.json", json_rpc_url=SecretStr(pancake.url),
        private_key=SecretStr(HOT_WALLET_KEY), router="", factory="", tokens={"USDC": pancake.usdc, "ETH": pancake.weth},
        confirmation_timeout=20, cache_path=tmp_path / "cache", uniswap_v3_factory=pancake.factory, uniswap_v3_swap_router_02=pancake.swap_router02,
    ))
    trader.recover()
    wallet = trader.wallet.address
    assert trader.execution.describe() == f"PancakeSwap v3 hot wallet {wallet} via SmartRouter {pancake.swap_router02}"
    (pair,) = trader.build_universe().pairs.values()
    assert pair.pool_address == pancake.pools[POOL] and pair.fee == Decimal("0.0025")
    quoter = UniswapV3Quoter(PoolReader(web3))
    eth_before, usdc_before = balance(web3, pancake.weth, wallet), balance(web3, pancake.usdc, wallet)

    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success, buy.failure_reason
    (tx,) = buy.blockchain_transactions
    route = trader.execution.pricing.buy_route(pair)
    expected = quoter.quote_exact_input(route, 2_500 * USDC, block=tx.block_number - 1).amount_out
    assert trader.execution.last_quote.amount_out == expected
    assert balance(web3, pancake.weth, wallet) - eth_before == expected and usdc_before - balance(web3, pancake.usdc, wallet) == 2_500 * USDC
    assert buy.executed_quantity == Decimal(expected).scaleb(-18) and buy.lp_fees_paid == Decimal("6.25")
    deadline, function, params = decode_swap(bytes(web3.eth.get_transaction(tx.tx_hash)["input"]))
    assert function == "exactInputSingle" and params["fee"] == FEE and 0 < params["amountOutMinimum"] < expected
    assert 0 < deadline - web3.eth.get_block(tx.block_number)["timestamp"] <= 300

    (sell,) = trader.run_cycle(trader.config.clock())
    assert sell.status is TradeStatus.success, sell.failure_reason
    (sell_tx,) = sell.blockchain_transactions
    expected_usdc = quoter.quote_exact_input(route.reversed(), expected, block=sell_tx.block_number - 1).amount_out
    assert sell.executed_reserve == Decimal(expected_usdc).scaleb(-6)
    assert balance(web3, pancake.weth, wallet) == eth_before and balance(web3, pancake.usdc, wallet) == usdc_before - 2_500 * USDC + expected_usdc
    assert not trader.state.portfolio.open_positions


def test_check_wallet_and_check_universe_name_pancakeswap_v3(web3, pancake, deployer, tmp_path):
    """The commands in process (CliRunner): `trade-executor start` on PancakeSwap v3 runs in test_venue_contract_pancake.py."""
    aged_oracle(web3, pancake, deployer)
    strategy_file = tmp_path / "alternate_pancake.py"
    strategy_file.write_text(STRATEGY)
    env = {
        "STRATEGY_FILE": str(strategy_file), "STATE_FILE": str(tmp_path / "state" / "alternate_pancake.json"), "EXECUTION_TYPE": "uniswap_v3_hot_wallet",
        "JSON_RPC_ANVIL": pancake.url, "PRIVATE_KEY": HOT_WALLET_KEY, "UNISWAP_V3_FACTORY": pancake.factory,
        "UNISWAP_V3_SWAP_ROUTER_02": pancake.swap_router02, "TOKEN_USDC": pancake.usdc, "TOKEN_ETH": pancake.weth, "CACHE_PATH": str(tmp_path / "cache"),
    }
    pool = pancake.pools[POOL]
    for command in ("check-wallet", "check-universe"):
        result = CliRunner().invoke(app, [command], env=env)
        assert result.exit_code == 0, result.output
        assert f"ETH-USDC: PancakeSwap v3 pool {pool} fee tier 0.25%, route USDC -> ETH (1 hop)" in result.output, result.output
        assert "covers the 15-min TWAP window" in result.output
