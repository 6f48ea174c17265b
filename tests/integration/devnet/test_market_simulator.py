"""The market simulator moves a real pool's mid price to targets with router swaps."""

from __future__ import annotations

import threading
from decimal import Decimal
from fractions import Fraction

import pytest

from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.devnet.market_simulator import InsufficientBudget, MarketSimulator, solve_amount_in
from trade_executor.errors import ConfigurationError
from trade_executor.market.amm import get_amount_out

TOLERANCE = Decimal("0.0001")  # 0.01%


@pytest.fixture(scope="module")
def simulated(web3, deployer):
    deployment = deploy_uniswap_v2(web3, deployer, prices={"ETH": Decimal("300"), "BTC": Decimal("4000")}, liquidity_usd=Decimal(1_000_000))
    return deployment, MarketSimulator(web3, deployer, deployment)


def assert_near(actual: Decimal, target: Decimal) -> None:
    assert abs(actual / target - 1) < TOLERANCE, f"price {actual} is not within 0.01% of {target}"


@pytest.mark.parametrize("ticker", ["ETH-USDC", "BTC-USDC"])
def test_moves_the_price_up_and_down_onto_targets(simulated, ticker):
    _, simulator = simulated
    start = simulator.price(ticker)
    for factor in ["1.1", "0.8", "0.79", "2.5", "0.3", "1.0001", "1"]:
        target = start * Decimal(factor)
        assert simulator.move_price(ticker, target) is not None
        assert_near(simulator.price(ticker), target)
    assert simulator.move_price(ticker, simulator.price(ticker)) is None  # already there: no swap
    assert simulator.move_price(ticker, simulator.price(ticker) * Decimal("1.0000001")) is None  # not worth a swap


def test_the_swap_is_exactly_what_the_pool_maths_predicts(web3, simulated):
    deployment, simulator = simulated
    reserve_base, reserve_quote = simulator.reserves("ETH-USDC")
    token_in, token_out, amount_in, amount_out = simulator.plan_swap("ETH-USDC", Decimal("345.67"))
    assert (token_in, token_out) == (deployment.usdc, deployment.weth)  # a price rise is a buy of ETH
    simulator.move_price("ETH-USDC", Decimal("345.67"))
    assert simulator.reserves("ETH-USDC") == (reserve_base - amount_out, reserve_quote + amount_in)
    assert amount_out == get_amount_out(amount_in, reserve_quote, reserve_base)


def test_run_walks_a_price_path_until_it_ends_or_is_stopped(simulated):
    _, simulator = simulated
    path = [Decimal(p) for p in ("310", "305.5", "290", "333.3")]
    assert simulator.run(path, "ETH-USDC", 0, threading.Event()) == 4
    assert_near(simulator.price("ETH-USDC"), Decimal("333.3"))
    stopped = threading.Event()
    stopped.set()
    assert simulator.run(path, "ETH-USDC", 0, stopped) == 0
    assert_near(simulator.price("ETH-USDC"), Decimal("333.3"))


def test_unknown_pool_and_a_move_beyond_the_budget_are_clear_errors(simulated):
    _, simulator = simulated
    with pytest.raises(ConfigurationError, match="No pool 'DOGE-USDC'"):
        simulator.move_price("DOGE-USDC", Decimal(1))
    with pytest.raises(InsufficientBudget, match="needs"):
        simulator.move_price("BTC-USDC", Decimal("4000") * 10**6)


def test_a_trader_that_cannot_mint_is_refused(web3, simulated):
    deployment, _ = simulated
    with pytest.raises(ConfigurationError, match="cannot mint"):
        MarketSimulator(web3, HotWallet(ANVIL_PRIVATE_KEYS[4]), deployment)


@pytest.mark.parametrize(
    ("reserve_in", "reserve_out", "ratio"),
    [(10**12, 4 * 10**20, Fraction(3300 * 10**6, 10**18)), (4 * 10**20, 10**12, Fraction(10**18, 2000 * 10**6)), (1000, 1000, Fraction(7, 3))],
)
def test_solved_amount_is_the_best_integer_swap(reserve_in, reserve_out, ratio):
    """No amount near the solution leaves the pool closer to the target ratio."""
    amount = solve_amount_in(reserve_in, reserve_out, ratio)

    def miss(a: int) -> Fraction:
        return abs(Fraction(reserve_in + a, reserve_out - get_amount_out(a, reserve_in, reserve_out)) - ratio)

    assert amount > 0
    best = min(miss(a) for a in range(max(1, amount - 50), amount + 50))
    # Many inputs buy the same whole number of output units, so the best is flat: within 1e-12 of it.
    assert miss(amount) <= best + ratio / 10**12
    assert miss(amount) / ratio < Fraction(1, 10**9) or reserve_in < 10**6
    assert solve_amount_in(reserve_in, reserve_out, Fraction(reserve_in, reserve_out)) == 0
