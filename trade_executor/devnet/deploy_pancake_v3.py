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

from decimal import Decimal

from web3 import Web3

from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import NATIVE, QUOTE, Deployer, DevnetDeployment, _check_prices, fund_hot_wallet
from trade_executor.devnet.deploy_v3 import (
    UNISWAP_V3,
    ZERO_ADDRESS,
    DevnetV3Deployment,
    V3Exchange,
    _PoolSetup,
    _tokens,
    _weth,
    check_fees,
    check_pool_init_code_hash,
    deploy_pools,
    load_v3_artifact,
)
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick, mul_div

Q96 = 1 << 96

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
    devnet_artifacts={
        "PancakeV3PoolDeployer": "PancakeV3PoolDeployer",
        "SwapRouter02": "DevnetSmartRouter",
        "Minter": "DevnetPancakeV3Minter",
    },
    contracts=(
        ("UNISWAP_V3_FACTORY", "PancakeV3Factory", "factory"),
        ("UNISWAP_V3_POOL_DEPLOYER", "Pool deployer", "pool_deployer"),
        ("UNISWAP_V3_SWAP_ROUTER_02", "Router (stand-in)", "swap_router02"),
        ("UNISWAP_V3_MINTER", "Minter (stand-in)", "position_manager"),
    ),
)
DEVNET_V3_EXCHANGES = {exchange.name: exchange for exchange in (UNISWAP_V3, PANCAKESWAP_V3)}


def deploy_pancakeswap_v3(
    web3: Web3,
    deployer: HotWallet,
    *,
    prices: dict[str, Decimal],
    liquidity_usd: Decimal,
    fees: tuple[int, ...] = (2500,),
    v2: DevnetDeployment | None = None,
    concentrated_width: Decimal = Decimal("0.1"),
    fund_address: str | None = None,
    fund_usdc: Decimal = Decimal(10_000),
    fund_native: Decimal = Decimal(10),
    decimals: dict[str, int] | None = None,
) -> DevnetV3Deployment:
    """PancakeSwap v3 with one BASE/USDC pool per base token and fee tier at exactly the given prices.

    The arguments are deploy_uniswap_v3's: each pool gets a full-range and a concentrated position, owned by the
    deployer, each from ``liquidity_usd`` USDC and the same value of the base token.
    """
    exchange = PANCAKESWAP_V3
    _check_prices(prices, liquidity_usd)
    check_fees(exchange, fees)
    check_pool_init_code_hash(exchange)
    d = Deployer(web3, deployer)
    tokens = _tokens(d, prices, v2, decimals)
    weth, usdc = tokens[NATIVE] if NATIVE in tokens else _weth(d, v2), tokens[QUOTE]
    factory_v2 = v2.factory if v2 is not None else None

    pool_deployer = d.deploy(load_v3_artifact(exchange, "PancakeV3PoolDeployer"), load_v3_artifact(exchange, "UniswapV3Pool")["bytecode"])
    factory = d.deploy(load_v3_artifact(exchange, "UniswapV3Factory"), pool_deployer.address)
    d.call(pool_deployer.functions.setFactoryAddress(factory.address))
    for fee, spacing in exchange.fee_tiers.items():
        if factory.functions.feeAmountTickSpacing(fee).call() == 0:
            d.call(factory.functions.enableFeeAmount(fee, spacing))
    router = d.deploy(load_v3_artifact(exchange, "SwapRouter02"), factory_v2 or ZERO_ADDRESS, pool_deployer.address, factory.address, weth.address)
    minter = d.deploy(load_v3_artifact(exchange, "Minter"), pool_deployer.address)
    pools = deploy_pools(
        d, tokens, weth, prices, liquidity_usd, fees, concentrated_width,
        lambda base, fee: _PancakePoolSetup(d, exchange, factory, minter, base, usdc, fee, pool_deployer.address), spender=minter.address,
    )
    hot_wallet = fund_hot_wallet(d, usdc, fund_address, fund_usdc, fund_native)
    return DevnetV3Deployment(
        url=str(getattr(web3.provider, "endpoint_uri", "") or ""),
        chain_id=d.builder.chain_id,
        exchange=exchange.name,
        factory=factory.address,
        pool_deployer=pool_deployer.address,
        pool_init_code_hash=exchange.pool_init_code_hash,
        position_manager=minter.address,
        swap_router02=router.address,
        quoter_v2=None,
        weth=weth.address,
        usdc=usdc.address,
        factory_v2=factory_v2,
        tokens={symbol: token.address for symbol, token in tokens.items()},
        hot_wallet=hot_wallet,
        **pools,
    )


class _PancakePoolSetup(_PoolSetup):
    """A pool made by PancakeV3Factory.createPool (through the pool deployer), initialised, with positions from the minter."""

    def create_and_initialize(self, sqrt_price: int) -> None:
        self.d.call(self.factory.functions.createPool(self.token0.address, self.token1.address, self.fee))
        address = self.factory.functions.getPool(self.token0.address, self.token1.address, self.fee).call()
        pool = self.d.web3.eth.contract(address=address, abi=load_v3_artifact(self.exchange, "UniswapV3Pool")["abi"])
        self.d.call(pool.functions.initialize(sqrt_price))

    def mint(self, ticks: tuple[int, int], base_units: int, quote_units: int) -> None:
        """Mint the most liquidity over ``ticks`` that these amounts pay for (LiquidityAmounts.getLiquidityForAmounts)."""
        amount0, amount1 = (base_units, quote_units) if self.base_is_token0 else (quote_units, base_units)
        sqrt_price = self.d.web3.eth.contract(address=self.address, abi=load_v3_artifact(self.exchange, "UniswapV3Pool")["abi"]).functions.slot0().call()[0]
        liquidity = liquidity_for_amounts(sqrt_price, get_sqrt_ratio_at_tick(ticks[0]), get_sqrt_ratio_at_tick(ticks[1]), amount0, amount1)
        self.d.call(self.manager.functions.mint(self.address, ticks[0], ticks[1], liquidity))


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

