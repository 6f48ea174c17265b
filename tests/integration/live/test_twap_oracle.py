"""The reference price: the pool's own time-weighted average, to the last bit of its UQ112x112 accumulator."""

from decimal import Decimal
from fractions import Fraction

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.market_simulator import MarketSimulator
from trade_executor.execution.uniswap_v2.oracle import Q112, TwapOracle, block_at_or_before


def encoded_price0(web3, pool) -> int:
    """price0 as the pair encodes it: UQ112x112 reserve1 / reserve0, rounded down."""
    reserve0, reserve1, _ = web3.eth.contract(address=pool, abi=POOL_ABI).functions.getReserves().call()
    return (reserve1 << 112) // reserve0


POOL_ABI = [
    {"name": "getReserves", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint112"}, {"name": "", "type": "uint112"}, {"name": "", "type": "uint32"}]},
]


def mine_at(anvil, timestamp: int) -> None:
    anvil.rpc("evm_setNextBlockTimestamp", timestamp)
    anvil.rpc("evm_mine")


def test_twap_is_the_exact_time_weighted_average_and_ignores_the_latest_block(anvil, deployment):
    web3 = create_web3(anvil.url)
    pool = deployment.pairs["ETH-USDC"]
    simulator = MarketSimulator(web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), deployment)
    oracle = TwapOracle(web3, window_seconds=900)

    start = web3.eth.get_block("latest")["timestamp"] + 10
    mine_at(anvil, start)
    first = oracle.observe([pool])[pool]
    assert first.timestamp == start
    before = encoded_price0(web3, pool)

    anvil.rpc("evm_setNextBlockTimestamp", start + 300)
    simulator.move_price("ETH-USDC", Decimal(330))  # the new price holds from start + 300
    after = encoded_price0(web3, pool)
    assert after != before
    mine_at(anvil, start + 900)
    oracle.observe([pool])

    twap = oracle.twap(pool)
    assert twap.seconds == 900 and twap.end == start + 900
    assert twap.price0 == Fraction(before * 300 + after * 600, 900 * Q112)  # to the last bit of the accumulator

    # A dump in the latest block: it has no weight until time passes.
    anvil.rpc("evm_setNextBlockTimestamp", start + 901)
    simulator.move_price("ETH-USDC", Decimal(150))
    oracle.observe([pool])
    moved = oracle.twap(pool)
    assert (moved.end, moved.seconds) == (start + 901, 901)
    assert moved.price0 == Fraction(before * 300 + after * 601, 901 * Q112)  # the dumped price: zero seconds of weight
    dumped = encoded_price0(web3, pool)
    assert dumped < after * 0.6


def test_a_fresh_oracle_reads_the_pool_a_window_ago_from_the_node(anvil, deployment):
    """No reading of its own yet (a restart): the accumulator at the block a window ago gives the TWAP at once."""
    web3 = create_web3(anvil.url)
    pool = deployment.pairs["ETH-USDC"]
    oracle = TwapOracle(web3, window_seconds=900)
    oracle.observe([pool])
    twap = oracle.twap(pool)
    assert twap is not None and twap.seconds >= 900  # the deployment fixture aged the pool by 20 minutes
    assert twap.price0 * Q112 == encoded_price0(web3, pool)  # nothing traded since: the average is the price


def test_a_pool_younger_than_a_third_of_the_window_has_no_reference(anvil, deployment):
    web3 = create_web3(anvil.url)
    pool = deployment.pairs["ETH-USDC"]
    oracle = TwapOracle(web3, window_seconds=3 * 3600)  # the pool is 20 minutes old: less than an hour, a third of the window
    oracle.observe([pool])
    assert oracle.twap(pool) is None


def test_block_search_finds_the_newest_block_at_or_before_a_time():
    times = {n: 1_000 + 12 * n for n in range(0, 500)}
    asked = []

    def timestamp_of(number):
        asked.append(number)
        return times[number]

    assert block_at_or_before(timestamp_of, 499, 1_000 + 12 * 420 + 5) == 420
    assert len(asked) < 20
    assert block_at_or_before(timestamp_of, 499, 999) is None
    assert block_at_or_before(timestamp_of, 499, 10**9) == 499
    assert block_at_or_before(timestamp_of, 499, 1_000) == 0
