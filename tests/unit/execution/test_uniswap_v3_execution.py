"""The chain-free parts of the v3 execution model: amountOutMinimum rounding, compounded fee tiers, quote impact, router call data."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from web3 import Web3

from trade_executor.execution.uniswap_v3.execution_model import minimum_out, quote_impact, route_fee
from trade_executor.execution.uniswap_v3.routing import Hop, V3Route
from trade_executor.execution.uniswap_v3.swap_router import SWAP_ROUTER_02_ABI, decode_swap, swap_call

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WBTC = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
POOL_A = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"
POOL_B = "0x99ac8cA7087fA4A2A1FB6357269965A2014ABc35"
WALLET = "0x5CbDd86a2FA8Dc4bDdd8a8f69dBa48572EeC07FB"


def test_minimum_out_is_the_quote_less_the_tolerance_rounded_down():
    assert minimum_out(1_000_000, Decimal("0.01")) == 990_000
    assert minimum_out(999, Decimal("0.01")) == 989  # 989.01: never rounded up in our favour
    assert minimum_out(10**30 + 7, Decimal("0.005")) == (10**30 + 7) * 995 // 1000  # exact for any uint256, no float
    assert minimum_out(5, Decimal(0)) == 5


def test_route_fee_compounds_the_hops_fee_tiers():
    one = V3Route((Hop(POOL_A, USDC, WETH, 3000),))
    two = V3Route((Hop(POOL_A, WETH, USDC, 500), Hop(POOL_B, USDC, WBTC, 3000)))
    assert route_fee(one) == Fraction(3, 1000)
    assert route_fee(two) == 1 - Fraction(9995, 10000) * Fraction(997, 1000)


def test_quote_impact_is_zero_at_the_spot_and_positive_below_it():
    spot = Fraction(2500 * 10**6, 10**18)  # USDC units per wei
    fee = Fraction(3, 1000)
    ideal = int(10**9 * (1 - fee) / spot)  # a buy of 1,000 USDC at the spot, after the fee
    assert abs(quote_impact(10**9, ideal, spot, fee, quote_in=True)) < Decimal("1e-15")
    assert quote_impact(10**9, ideal * 99 // 100, spot, fee, quote_in=True) > Decimal("0.0101")
    assert quote_impact(10**9, 0, spot, fee, quote_in=True) == 1


def test_router_call_data_round_trips_with_a_deadline():
    router = Web3().eth.contract(address=Web3.to_checksum_address("0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45"), abi=SWAP_ROUTER_02_ABI)
    single = V3Route((Hop(POOL_A, USDC, WETH, 3000),))
    call, name = swap_call(router, single, 1_000, 990, WALLET, 1_700_000_000)
    assert name == "multicall(exactInputSingle)"
    deadline, function, params = decode_swap(bytes.fromhex(call._encode_transaction_data().removeprefix("0x")))
    assert (deadline, function) == (1_700_000_000, "exactInputSingle")
    assert params == {"tokenIn": USDC, "tokenOut": WETH, "fee": 3000, "recipient": WALLET, "amountIn": 1_000, "amountOutMinimum": 990, "sqrtPriceLimitX96": 0}
    two = V3Route((Hop(POOL_A, WETH, USDC, 500), Hop(POOL_B, USDC, WBTC, 3000)))
    call, name = swap_call(router, two, 10**18, 5, WALLET, 1_700_000_000)
    deadline, function, params = decode_swap(bytes.fromhex(call._encode_transaction_data().removeprefix("0x")))
    assert name == "multicall(exactInput)" and function == "exactInput"
    assert params == {"path": two.encoded_path(), "recipient": WALLET, "amountIn": 10**18, "amountOutMinimum": 5}
