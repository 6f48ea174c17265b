"""Deploy PancakeSwap v3 on a local chain: PancakeSwap's own factory and pools, and devnet stand-ins for the rest.

What is PancakeSwap's own bytecode: ``PancakeV3Factory`` and ``PancakeV3Pool``, the compiled artifacts of the
npm package ``@pancakeswap/v3-core`` (the pool's creation code hashes to PancakeSwap's init code hash
0x6ce8eb47...f7e2, checked before anything is deployed). What npm does not have, the devnet brings
(contracts/*.sol, built by scripts/build-contracts.sh):

- ``PancakeV3PoolDeployer``, written from PancakeSwap's interface (IPancakeV3PoolDeployer.sol): the factory's
  ``createPool`` calls its ``deploy``, which CREATE2s the npm pool creation code with PancakeSwap's salt, so
  every pool is at CREATE2(deployer, keccak256(abi.encode(token0, token1, fee)), 0x6ce8eb47...), as on BNB Chain;
- ``DevnetSmartRouter``, a stand-in of the SmartRouter's exact-input swaps (SwapRouter02's shape: what
  trade-executor sends), whose callback pays only a pool at such an address;
- ``DevnetPancakeV3Minter``, a stand-in of the position manager: it mints liquidity over a tick range for the
  caller (no NFT) and pays the pool in ``pancakeV3MintCallback``.

There is no QuoterV2 (trade-executor quotes from the pools' state; tests compare with what the pool pays).
"""

from __future__ import annotations

from web3 import Web3

from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import Deployer
from trade_executor.devnet.deploy_v3 import (
    UNISWAP_V3,
    ZERO_ADDRESS,
    DevnetV3Deployment,
    V3Contracts,
    V3Exchange,
    _PoolSetup,
    deploy_uniswap_v3,
    load_v3_artifact,
)
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick, mul_div

Q96 = 1 << 96


class _PancakePoolSetup(_PoolSetup):
    """A pool made by PancakeV3Factory.createPool (through the pool deployer), initialised, with positions from the minter."""

    def create_and_initialize(self, sqrt_price: int) -> None:
        self.d.call(self.factory.functions.createPool(self.token0.address, self.token1.address, self.fee))
        address = self.factory.functions.getPool(self.token0.address, self.token1.address, self.fee).call()
        self.d.call(self._pool(address).functions.initialize(sqrt_price))

    def mint(self, ticks: tuple[int, int], base_units: int, quote_units: int) -> None:
        """Mint the most liquidity over ``ticks`` that these amounts pay for (no position NFT: the deployer owns it)."""
        amount0, amount1 = (base_units, quote_units) if self.base_is_token0 else (quote_units, base_units)
        sqrt_price = self._pool(self.address).functions.slot0().call()[0]
        liquidity = liquidity_for_amounts(sqrt_price, get_sqrt_ratio_at_tick(ticks[0]), get_sqrt_ratio_at_tick(ticks[1]), amount0, amount1)
        self.d.call(self.manager.functions.mint(self.address, ticks[0], ticks[1], liquidity))

    def _pool(self, address: str):
        return self.d.web3.eth.contract(address=address, abi=load_v3_artifact(self.exchange, "UniswapV3Pool")["abi"])


def _deploy_contracts(d: Deployer, exchange: V3Exchange, weth: str, factory_v2: str | None) -> V3Contracts:
    """The pool deployer (given the npm pool's creation code), the factory it serves, the router and the minter."""
    pool_deployer = d.deploy(load_v3_artifact(exchange, "PancakeV3PoolDeployer"), load_v3_artifact(exchange, "UniswapV3Pool")["bytecode"])
    factory = d.deploy(load_v3_artifact(exchange, "UniswapV3Factory"), pool_deployer.address)
    d.call(pool_deployer.functions.setFactoryAddress(factory.address))
    for fee, spacing in exchange.fee_tiers.items():  # the constructor enables them all: a check that it still does
        if factory.functions.feeAmountTickSpacing(fee).call() == 0:
            d.call(factory.functions.enableFeeAmount(fee, spacing))
    router = d.deploy(load_v3_artifact(exchange, "SwapRouter02"), factory_v2 or ZERO_ADDRESS, pool_deployer.address, factory.address, weth)
    minter = d.deploy(load_v3_artifact(exchange, "Minter"), pool_deployer.address)
    return V3Contracts(factory, pool_deployer.address, minter, router, None, _PancakePoolSetup)


PANCAKESWAP_V3 = V3Exchange(
    name="pancakeswap-v3",
    # Contract names as on Uniswap v3 (what the shared devnet code asks for) -> PancakeSwap's counterparts.
    artifacts={
        "UniswapV3Factory": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Factory.sol/PancakeV3Factory.json",
        "UniswapV3Pool": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Pool.sol/PancakeV3Pool.json",
    },
    # PoolAddress.POOL_INIT_CODE_HASH of PancakeSwap's v3 periphery and SmartRouter.
    pool_init_code_hash="6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2",
    fee_tiers={100: 1, 500: 10, 2500: 50, 10000: 200},  # as PancakeV3Factory's constructor enables them
    devnet_artifacts={"PancakeV3PoolDeployer": "PancakeV3PoolDeployer", "SwapRouter02": "DevnetSmartRouter", "Minter": "DevnetPancakeV3Minter"},
    contracts=(
        ("UNISWAP_V3_FACTORY", "PancakeV3Factory", "factory"),
        ("UNISWAP_V3_POOL_DEPLOYER", "Pool deployer", "pool_deployer"),
        ("UNISWAP_V3_SWAP_ROUTER_02", "Router (stand-in)", "swap_router02"),
        ("UNISWAP_V3_MINTER", "Minter (stand-in)", "position_manager"),
    ),
    deploy_contracts=_deploy_contracts,
)
DEVNET_V3_EXCHANGES = {exchange.name: exchange for exchange in (UNISWAP_V3, PANCAKESWAP_V3)}


def deploy_pancakeswap_v3(web3: Web3, deployer: HotWallet, *, fees: tuple[int, ...] = (2500,), **options) -> DevnetV3Deployment:
    """PancakeSwap v3 and a BASE/USDC pool per base token and fee tier at exactly the given prices (deploy_uniswap_v3's options):
    each pool with a full-range and a concentrated position, owned by the deployer."""
    return deploy_uniswap_v3(web3, deployer, fees=fees, exchange=PANCAKESWAP_V3, **options)


def liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """The v3 periphery's LiquidityAmounts.getLiquidityForAmounts: the most liquidity over [a, b) these amounts pay for."""
    def from_amount0(low: int, high: int) -> int:
        return mul_div(amount0, mul_div(low, high, Q96), high - low)

    def from_amount1(low: int, high: int) -> int:
        return mul_div(amount1, Q96, high - low)

    if sqrt_price <= sqrt_a:
        return from_amount0(sqrt_a, sqrt_b)
    if sqrt_price < sqrt_b:
        return min(from_amount0(sqrt_price, sqrt_b), from_amount1(sqrt_a, sqrt_price))
    return from_amount1(sqrt_a, sqrt_b)
