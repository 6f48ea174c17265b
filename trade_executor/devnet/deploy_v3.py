"""Deploy Uniswap v3 on a local chain: factory, position manager, SwapRouter02, QuoterV2 and pools
at exact prices, each holding a full-range and a concentrated position.

Why a second deployment beside deploy.py: most liquidity of the major pairs sits in concentrated
pools, and tests of v3 quoting and execution need the real contracts, not a model of them. They
are the compiled artifacts of the npm packages ``@uniswap/v3-core``, ``@uniswap/v3-periphery`` and
``@uniswap/swap-router-contracts`` (read from node_modules; ``./scripts/setup.sh`` installs them).
WETH9, USDC and the base tokens come from deploy.py's helpers, or are the ones a v2 deployment on
the same chain already made, so SwapRouter02 routes through both versions' pools.

Forks (PancakeSwap v3 and others) differ in the artifacts, the fee tiers and the contract that
deploys pools (PancakeSwap has a separate PoolDeployer) with its own init code hash: that is
``V3Exchange``. PancakeSwap v3's value and deployment are in deploy_pancake_v3.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import isqrt

from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.logs import DISCARD

from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import (
    NATIVE,
    NODE_MODULES,
    QUOTE,
    QUOTE_DECIMALS,
    Deployer,
    DevnetDeployment,
    _check_prices,
    base_decimals,
    fund_hot_wallet,
    load_devnet_artifact,
    load_token_artifact,
    load_uniswap_artifact,
)
from trade_executor.errors import ConfigurationError
from trade_executor.market.amm import reserves_for_price
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import sqrt_price_x96_from_price

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = (1 << 256) - 1


@dataclass(frozen=True)
class V3Exchange:
    """What makes a Uniswap v3 style exchange: the extension point for forks.

    ``artifacts``: contract name -> path under node_modules, for UniswapV3Factory, UniswapV3Pool,
    NonfungiblePositionManager, SwapRouter02 and QuoterV2. ``pool_init_code_hash``: keccak of the
    pool's creation code, which the periphery hard-codes to compute pool addresses (PoolAddress.sol).
    ``fee_tiers``: fee in hundredths of a basis point -> tick spacing, as the factory enables them.
    A fork whose pools are created by a separate deployer contract (PancakeSwap v3's PoolDeployer)
    computes pool addresses from that deployer: ``DevnetV3Deployment.pool_deployer``.
    ``devnet_artifacts``: contract name -> one of the devnet's own contracts (contracts/*.sol, built into
    trade_executor/devnet/artifacts), standing in for a contract the exchange does not publish on npm.
    ``contracts``: (variable, label, DevnetV3Deployment field) of the contracts the .env file and the console name.
    ``deploy_contracts(deployer, exchange, weth, factory_v2) -> V3Contracts``: how its contracts are deployed (None: Uniswap's).
    """

    name: str
    artifacts: Mapping[str, str]
    pool_init_code_hash: str
    fee_tiers: Mapping[int, int]
    devnet_artifacts: Mapping[str, str] = field(default_factory=dict)
    contracts: tuple[tuple[str, str, str], ...] = (
        ("UNISWAP_V3_FACTORY", "Uniswap v3 factory", "factory"),
        ("UNISWAP_V3_POSITION_MANAGER", "Position manager", "position_manager"),
        ("UNISWAP_V3_SWAP_ROUTER_02", "SwapRouter02", "swap_router02"),
        ("UNISWAP_V3_QUOTER_V2", "QuoterV2", "quoter_v2"),
    )
    deploy_contracts: Callable | None = None


UNISWAP_V3 = V3Exchange(
    name="uniswap-v3",
    artifacts={
        "UniswapV3Factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
        "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
        "NonfungiblePositionManager": "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
        "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
        "SwapRouter02": "@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
    },
    # PoolAddress.POOL_INIT_CODE_HASH of @uniswap/v3-periphery (and of SwapRouter02's copy of it).
    pool_init_code_hash="e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54",
    fee_tiers={100: 1, 500: 10, 3000: 60, 10000: 200},
)


@dataclass(frozen=True)
class DevnetV3Deployment:
    """Where Uniswap v3 is on a devnet. Addresses are checksummed.

    ``pools``: "ETH-USDC-0.3%" -> pool address; ``fees``: the same keys -> fee tier (3000 is 0.3 %);
    ``positions``: the same keys -> (full-range token id, concentrated token id) of the position manager;
    ``sqrt_prices``: the same keys -> the sqrtPriceX96 each pool was initialised at;
    ``ranges``: the same keys -> the (lower, upper) ticks of the full-range and the concentrated position.
    ``factory_v2``: the Uniswap v2 factory SwapRouter02 also routes through (None: v3 only).
    On PancakeSwap v3, ``position_manager`` is the devnet's minter and ``positions`` is empty (no position NFTs),
    ``quoter_v2`` is None (neither is published on npm: see deploy_pancake_v3.py).
    """

    url: str
    chain_id: int
    exchange: str
    factory: str
    pool_deployer: str  # the address pool addresses derive from (the factory itself for Uniswap v3)
    pool_init_code_hash: str
    position_manager: str
    swap_router02: str
    quoter_v2: str | None
    weth: str
    usdc: str
    factory_v2: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # symbol -> address; "ETH" -> WETH
    pools: dict[str, str] = field(default_factory=dict)
    fees: dict[str, int] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    sqrt_prices: dict[str, int] = field(default_factory=dict)
    hot_wallet: str | None = None
    ranges: dict[str, tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)


def pool_key(symbol: str, fee: int) -> str:
    """("ETH", 3000) -> "ETH-USDC-0.3%"."""
    return f"{symbol}-{QUOTE}-{Decimal(fee) / 10_000:f}%"


def load_v3_artifact(exchange: V3Exchange, name: str) -> dict:
    """ABI and bytecode of one of the exchange's contracts: the npm build in node_modules, or the devnet's stand-in."""
    if name in exchange.devnet_artifacts:
        return load_devnet_artifact(exchange.devnet_artifacts[name])
    return _read_artifact(exchange.artifacts[name], exchange.name)


@cache
def _read_artifact(relative_path: str, exchange_name: str) -> dict:
    path = NODE_MODULES / relative_path
    if not path.is_file():
        raise ConfigurationError(f"The {exchange_name} contracts are not installed ({path} is missing): run ./scripts/setup.sh (it installs them from npm).")
    data = json.loads(path.read_text())
    if len(data.get("bytecode", "0x")) <= 2:
        raise ConfigurationError(f"{path} has no bytecode (an interface, not a contract?): check {exchange_name}'s artifact paths.")
    return {"abi": data["abi"], "bytecode": data["bytecode"]}


def check_pool_init_code_hash(exchange: V3Exchange) -> None:
    """The pool's creation code must hash to the periphery's constant, or the router and quoter look for pools elsewhere."""
    actual = keccak(hexstr=load_v3_artifact(exchange, "UniswapV3Pool")["bytecode"]).hex().removeprefix("0x")
    if actual != exchange.pool_init_code_hash:
        raise ConfigurationError(
            f"The {exchange.name} pool bytecode in {NODE_MODULES} hashes to 0x{actual}, but SwapRouter02 and QuoterV2 compute pool "
            f"addresses with 0x{exchange.pool_init_code_hash}: the artifacts do not belong together. Reinstall them with ./scripts/setup.sh."
        )


def compute_pool_address(pool_deployer: str, token_a: str, token_b: str, fee: int, init_code_hash: str) -> str:
    """PoolAddress.computeAddress: CREATE2 from the pool deployer, salted with the sorted tokens and the fee."""
    token0, token1 = sorted([token_a, token_b], key=lambda a: int(a, 16))
    salt = keccak(bytes.fromhex(token0[2:]).rjust(32, b"\0") + bytes.fromhex(token1[2:]).rjust(32, b"\0") + fee.to_bytes(32, "big"))
    return to_checksum_address(keccak(b"\xff" + bytes.fromhex(pool_deployer[2:]) + salt + bytes.fromhex(init_code_hash))[12:])


def deploy_uniswap_v3(
    web3: Web3,
    deployer: HotWallet,
    *,
    prices: dict[str, Decimal],
    liquidity_usd: Decimal,
    fees: tuple[int, ...] = (3000,),
    v2: DevnetDeployment | None = None,
    concentrated_width: Decimal = Decimal("0.1"),
    fund_address: str | None = None,
    fund_usdc: Decimal = Decimal(10_000),
    fund_native: Decimal = Decimal(10),
    decimals: dict[str, int] | None = None,
    exchange: V3Exchange = UNISWAP_V3,
) -> DevnetV3Deployment:
    """Deploy the v3 contracts (of ``exchange``: Uniswap v3 unless told) and a BASE/USDC pool per base token and fee tier at exactly the given prices.

    ``prices``: base symbol -> USD price, e.g. ``{"ETH": Decimal("2500")}``; "ETH" trades as WETH.
    ``v2``: a Uniswap v2 deployment on the same chain: its WETH, USDC and base tokens are reused and
    SwapRouter02 gets its factory; without it WETH9 and the tokens are deployed here.
    Each pool gets two positions owned by the deployer, each from ``liquidity_usd`` USDC and the same
    value of the base token: one over the full tick range, one over the price +- ``concentrated_width``.
    ``fund_address`` gets ``fund_usdc`` USDC and ``fund_native`` ETH (leave it None when ``v2`` funded it).
    """
    _check_prices(prices, liquidity_usd)
    check_fees(exchange, fees)
    check_pool_init_code_hash(exchange)
    d = Deployer(web3, deployer)
    tokens = _tokens(d, prices, v2, decimals)
    weth, usdc = tokens[NATIVE] if NATIVE in tokens else _weth(d, v2), tokens[QUOTE]

    factory_v2 = v2.factory if v2 is not None else None
    c = (exchange.deploy_contracts or _deploy_contracts)(d, exchange, weth.address, factory_v2)
    pools = deploy_pools(
        d, tokens, weth, prices, liquidity_usd, fees, concentrated_width,
        lambda base, fee: c.pool_setup(d, exchange, c.factory, c.manager, base, usdc, fee, c.pool_deployer), spender=c.manager.address,
    )
    hot_wallet = fund_hot_wallet(d, usdc, fund_address, fund_usdc, fund_native)
    return DevnetV3Deployment(
        url=str(getattr(web3.provider, "endpoint_uri", "") or ""),
        chain_id=d.builder.chain_id,
        exchange=exchange.name,
        factory=c.factory.address,
        pool_deployer=c.pool_deployer,
        pool_init_code_hash=exchange.pool_init_code_hash,
        position_manager=c.manager.address,
        swap_router02=c.router.address,
        quoter_v2=c.quoter,
        weth=weth.address,
        usdc=usdc.address,
        factory_v2=factory_v2,
        tokens={symbol: token.address for symbol, token in tokens.items()},
        hot_wallet=hot_wallet,
        **pools,
    )


def check_fees(exchange: V3Exchange, fees: tuple[int, ...]) -> None:
    unknown = [fee for fee in fees if fee not in exchange.fee_tiers]
    if not fees or unknown:
        raise ConfigurationError(f"{exchange.name} fee tiers are {', '.join(map(str, exchange.fee_tiers))} (3000 is 0.3 %), got {list(fees)}.")


def deploy_pools(d: Deployer, tokens: dict, weth, prices: dict[str, Decimal], liquidity_usd: Decimal, fees: tuple[int, ...],
                 concentrated_width: Decimal, new_pool, *, spender: str) -> dict:
    """A pool per base token and fee tier, each with a full-range and a concentrated position: DevnetV3Deployment's pool fields.
    ``new_pool(base token, fee)``: the exchange's ``_PoolSetup``; ``spender``: the contract the positions' tokens are approved to."""
    usdc = tokens[QUOTE]
    out: dict[str, dict] = {"pools": {}, "fees": {}, "positions": {}, "sqrt_prices": {}, "ranges": {}}
    approved: set[str] = set()
    for symbol, price in prices.items():
        base = tokens[symbol]
        base_units, quote_units = reserves_for_price(price, liquidity_usd, base.functions.decimals().call(), QUOTE_DECIMALS)
        for fee in fees:
            key = pool_key(symbol, fee)
            pool = new_pool(base, fee)
            out["sqrt_prices"][key] = sqrt_price = pool.create(price)
            out["pools"][key], out["fees"][key] = pool.address, fee
            _mint_tokens(d, base, 2 * base_units, weth)
            d.call(usdc.functions.mint(d.wallet.address, 2 * quote_units))
            for token in (base, usdc):
                if token.address not in approved:
                    d.call(token.functions.approve(spender, MAX_UINT256))
                    approved.add(token.address)
            ranges = (full_range_ticks(pool.spacing), ticks_around(sqrt_price, concentrated_width, pool.spacing))
            ids = tuple(pool.mint(ticks, base_units, quote_units) for ticks in ranges)
            out["ranges"][key] = ranges
            if None not in ids:
                out["positions"][key] = ids
    return out


@dataclass(frozen=True)
class V3Contracts:
    """An exchange's deployed contracts (web3 contracts; addresses for the others) and how its pools are set up."""

    factory: object
    pool_deployer: str  # where pool addresses derive from
    manager: object  # creates pools and mints positions
    router: object
    quoter: str | None
    pool_setup: type  # _PoolSetup or a subclass


def _deploy_contracts(d: Deployer, exchange: V3Exchange, weth: str, factory_v2: str | None) -> V3Contracts:
    """The factory (with every fee tier of ``exchange`` enabled), position manager, SwapRouter02 and QuoterV2."""
    factory = d.deploy(load_v3_artifact(exchange, "UniswapV3Factory"))
    for fee, spacing in exchange.fee_tiers.items():  # the constructor enables 500, 3000 and 10000 only
        if factory.functions.feeAmountTickSpacing(fee).call() == 0:
            d.call(factory.functions.enableFeeAmount(fee, spacing))
    # The token descriptor only renders tokenURI: a placeholder address does for a devnet.
    manager = d.deploy(load_v3_artifact(exchange, "NonfungiblePositionManager"), factory.address, weth, ZERO_ADDRESS)
    router = d.deploy(load_v3_artifact(exchange, "SwapRouter02"), factory_v2 or ZERO_ADDRESS, factory.address, manager.address, weth)
    quoter = d.deploy(load_v3_artifact(exchange, "QuoterV2"), factory.address, weth)
    return V3Contracts(factory, factory.address, manager, router, quoter.address, _PoolSetup)


class _PoolSetup:
    """One pool: create it at a price through the position manager (``manager``), then mint positions into it.
    ``pool_deployer``: the address pool addresses derive from (the factory on Uniswap v3)."""

    def __init__(self, d: Deployer, exchange: V3Exchange, factory, manager, base, quote, fee: int, pool_deployer: str | None = None):
        self.d, self.exchange, self.factory, self.manager, self.fee = d, exchange, factory, manager, fee
        self.pool_deployer = pool_deployer or factory.address
        self.spacing = exchange.fee_tiers[fee]
        self.base_is_token0 = int(base.address, 16) < int(quote.address, 16)
        self.token0, self.token1 = (base, quote) if self.base_is_token0 else (quote, base)
        self.address = ""

    def create(self, price: Decimal) -> int:
        """Create and initialise the pool at ``price`` quote per base; return its sqrtPriceX96."""
        # The pool prices token1 in token0: the price itself when the base token sorts first, its inverse otherwise.
        pool_price = Fraction(price) if self.base_is_token0 else 1 / Fraction(price)
        sqrt_price = sqrt_price_x96_from_price(pool_price, self.token0.functions.decimals().call(), self.token1.functions.decimals().call())
        if not MIN_SQRT_RATIO <= sqrt_price < MAX_SQRT_RATIO:
            raise ConfigurationError(f"A Uniswap v3 pool cannot hold a price of {price} {QUOTE} (sqrtPriceX96 {sqrt_price} is out of range).")
        self.create_and_initialize(sqrt_price)
        self.address = self.factory.functions.getPool(self.token0.address, self.token1.address, self.fee).call()
        expected = compute_pool_address(self.pool_deployer, self.token0.address, self.token1.address, self.fee, self.exchange.pool_init_code_hash)
        if expected != self.address:
            raise ConfigurationError(
                f"The {self.exchange.name} factory created pool {self.address}, but its router will look for {expected}: "
                f"the artifacts in {NODE_MODULES} do not belong together. Reinstall them with ./scripts/setup.sh."
            )
        return sqrt_price

    def create_and_initialize(self, sqrt_price: int) -> None:
        self.d.call(self.manager.functions.createAndInitializePoolIfNecessary(self.token0.address, self.token1.address, self.fee, sqrt_price))

    def mint(self, ticks: tuple[int, int], base_units: int, quote_units: int) -> int | None:
        """Mint a position over ``ticks`` from at most these amounts; return its token id."""
        amount0, amount1 = (base_units, quote_units) if self.base_is_token0 else (quote_units, base_units)
        deadline = self.d.web3.eth.get_block("latest")["timestamp"] + 3600
        params = (self.token0.address, self.token1.address, self.fee, ticks[0], ticks[1], amount0, amount1, 0, 0, self.d.wallet.address, deadline)
        receipt = self.d.call(self.manager.functions.mint(params))
        (event,) = self.manager.events.IncreaseLiquidity().process_receipt(receipt, errors=DISCARD)
        return event["args"]["tokenId"]


def full_range_ticks(tick_spacing: int) -> tuple[int, int]:
    """The lowest and highest ticks a position may use at this spacing."""
    return -(MAX_TICK // tick_spacing) * tick_spacing, (MAX_TICK // tick_spacing) * tick_spacing


def ticks_around(sqrt_price: int, width: Decimal, tick_spacing: int) -> tuple[int, int]:
    """Ticks of a position from the pool price * (1 - width) to * (1 + width), widened outwards to the spacing."""
    if not 0 < width < 1:
        raise ConfigurationError(f"The concentrated position's width must be between 0 and 1 (0.1 is +-10 %), got {width}.")
    lowest, highest = full_range_ticks(tick_spacing)
    bounds = []
    for factor in (1 - Fraction(width), 1 + Fraction(width)):
        scaled = sqrt_price * sqrt_price * factor  # (sqrt(price * factor) in Q64.96) squared
        bounds.append(min(max(isqrt(scaled.numerator // scaled.denominator), MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1))
    lower = get_tick_at_sqrt_ratio(bounds[0]) // tick_spacing * tick_spacing
    upper = -(-get_tick_at_sqrt_ratio(bounds[1]) // tick_spacing) * tick_spacing
    return max(lower, lowest), min(max(upper, lower + tick_spacing), highest)


def _tokens(d: Deployer, prices: dict[str, Decimal], v2: DevnetDeployment | None, decimals: dict[str, int] | None) -> dict:
    """Symbol -> token contract: the v2 deployment's where it has one, new ones (deploy.py's artifacts) otherwise."""
    token_artifact = load_token_artifact()
    existing = dict(v2.tokens) if v2 is not None else {}

    def token(symbol: str, token_decimals: int):
        if symbol in existing:
            return d.web3.eth.contract(address=existing[symbol], abi=token_artifact["abi"])
        return d.deploy(token_artifact, f"{'USD Coin' if symbol == QUOTE else symbol} (devnet)", symbol, token_decimals)

    tokens = {QUOTE: token(QUOTE, QUOTE_DECIMALS)}
    for symbol in prices:
        tokens[symbol] = _weth(d, v2) if symbol == NATIVE else token(symbol, (decimals or {}).get(symbol, base_decimals(symbol)))
    return tokens


def _weth(d: Deployer, v2: DevnetDeployment | None):
    artifact = load_uniswap_artifact("WETH9")
    if v2 is not None:
        return d.web3.eth.contract(address=v2.weth, abi=artifact["abi"])
    return d.deploy(artifact)


def _mint_tokens(d: Deployer, token, amount: int, weth) -> None:
    """Give the deployer ``amount`` of ``token``: wrap ETH for WETH, mint any other (the deployer owns them)."""
    if token.address == weth.address:
        d.call(weth.functions.deposit(), value=amount)
    else:
        d.call(token.functions.mint(d.wallet.address, amount))
