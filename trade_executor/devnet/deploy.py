"""Deploy Uniswap v2, WETH9 and mintable tokens on a local chain, with pools at given prices.

Uniswap v2 and WETH9 are the real compiled contracts of the npm packages ``@uniswap/v2-core``
and ``@uniswap/v2-periphery`` (read from node_modules at devnet time; ``./scripts/setup.sh``
installs them). USDC and the other base tokens are our ``MintableERC20`` (contracts/, built by
``scripts/build-contracts.sh`` into the committed artifact next to this file). Every transaction
is signed locally by the deployer's hot wallet.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib.resources import files
from pathlib import Path

from eth_utils import keccak, to_checksum_address
from web3 import Web3

from trade_executor.chain.gas import fetch_gas_pricing
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import REPO_ROOT
from trade_executor.errors import ConfigurationError
from trade_executor.market.amm import reserves_for_price

NODE_MODULES = REPO_ROOT / "node_modules"
UNISWAP_ARTIFACTS = {
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
}
# UniswapV2Library.pairFor in the router hard-codes the pair's creation code hash; a factory whose
# pair bytecode differs would make the router compute pair addresses that do not exist.
UNISWAP_V2_INIT_CODE_HASH = "96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"

QUOTE = "USDC"
QUOTE_DECIMALS = 6
NATIVE = "ETH"  # the base symbol served by WETH9
BASE_DECIMALS = {"BTC": 8}  # like WBTC; any other base token has 18
WEI = 10**18


@dataclass(frozen=True)
class DevnetDeployment:
    """Where everything is on a devnet. Addresses are checksummed."""

    url: str
    chain_id: int
    factory: str
    router: str
    weth: str
    usdc: str
    tokens: dict[str, str] = field(default_factory=dict)  # symbol -> address; "ETH" -> WETH
    pairs: dict[str, str] = field(default_factory=dict)  # "ETH-USDC" -> pair address
    hot_wallet: str | None = None


@cache
def load_uniswap_artifact(name: str) -> dict:
    """ABI and bytecode of a Uniswap v2 contract from the npm build in node_modules."""
    path = NODE_MODULES / UNISWAP_ARTIFACTS[name]
    if not path.is_file():
        raise ConfigurationError(f"The Uniswap v2 contracts are not installed ({path} is missing): run ./scripts/setup.sh (it installs them from npm).")
    data = json.loads(path.read_text())
    return {"abi": data["abi"], "bytecode": _hex(data["bytecode"])}


@cache
def load_devnet_artifact(name: str) -> dict:
    """The committed build of one of the devnet's own contracts, contracts/NAME.sol (scripts/build-contracts.sh)."""
    return json.loads(files("trade_executor.devnet.artifacts").joinpath(f"{name}.json").read_text())


def load_token_artifact() -> dict:
    """The committed MintableERC20 build."""
    return load_devnet_artifact("MintableERC20")


def base_decimals(symbol: str) -> int:
    return 18 if symbol == NATIVE else BASE_DECIMALS.get(symbol, 18)


class Deployer:
    """Signs with the deployer's hot wallet, broadcasts, waits; one gas price for the whole run."""

    def __init__(self, web3: Web3, wallet: HotWallet):
        self.web3 = web3
        self.wallet = wallet
        self.builder = TransactionBuilder(web3, wallet)
        self.gas_pricing = fetch_gas_pricing(web3)

    def deploy(self, artifact: dict, *args):
        factory = self.web3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = send_and_wait(self.web3, self.builder.sign_deployment(factory, *args, gas_pricing=self.gas_pricing))
        return self.web3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    def call(self, function, *, value: int = 0):
        return send_and_wait(self.web3, self.builder.sign_call(function, value=value, gas_pricing=self.gas_pricing))

    def send_native(self, to: str, amount: int):
        transaction = {
            "to": to,
            "value": amount,
            "gas": 21_000,
            "nonce": self.builder.nonces.allocate(),
            "chainId": self.builder.chain_id,
            **self.gas_pricing.transaction_fields(),
        }
        return send_and_wait(self.web3, self.wallet.sign(transaction))


def deploy_uniswap_v2(
    web3: Web3,
    deployer: HotWallet,
    *,
    prices: dict[str, Decimal],
    liquidity_usd: Decimal,
    fund_address: str | None = None,
    fund_usdc: Decimal = Decimal(10_000),
    fund_native: Decimal = Decimal(10),
    decimals: dict[str, int] | None = None,
) -> DevnetDeployment:
    """Deploy WETH9, USDC, the base tokens, Uniswap v2 and one BASE/USDC pool per price.

    ``prices``: base symbol -> USD price, e.g. ``{"ETH": Decimal("300")}``; "ETH" trades as WETH.
    Each pool holds ``liquidity_usd`` USDC and ``liquidity_usd / price`` of the base token (integer
    token units, rounded down), so its mid price is the given price. ``fund_address`` (the hot
    wallet) gets ``fund_usdc`` USDC and ``fund_native`` ETH for gas. The deployer owns the tokens
    (only it can mint) and needs native ETH for gas and for the ETH pool's WETH.
    """
    _check_prices(prices, liquidity_usd)
    d = Deployer(web3, deployer)
    weth = d.deploy(load_uniswap_artifact("WETH9"))
    token_artifact = load_token_artifact()
    usdc = d.deploy(token_artifact, "USD Coin (devnet)", QUOTE, QUOTE_DECIMALS)
    factory = d.deploy(load_uniswap_artifact("UniswapV2Factory"), deployer.address)
    router = d.deploy(load_uniswap_artifact("UniswapV2Router02"), factory.address, weth.address)

    tokens = {QUOTE: usdc.address}
    pairs = {}
    pair_abi = load_uniswap_artifact("UniswapV2Pair")["abi"]
    for symbol, price in prices.items():
        token_decimals = (decimals or {}).get(symbol, base_decimals(symbol))
        base = weth if symbol == NATIVE else d.deploy(token_artifact, f"{symbol} (devnet)", symbol, token_decimals)
        tokens[symbol] = base.address
        d.call(factory.functions.createPair(base.address, usdc.address))
        pair_address = factory.functions.getPair(base.address, usdc.address).call()
        _check_pair_address(factory.address, base.address, usdc.address, pair_address)
        reserve_base, reserve_usdc = reserves_for_price(price, liquidity_usd, token_decimals, QUOTE_DECIMALS)
        # Fund the pair directly and mint the LP tokens: the pool's reserves are exactly these amounts.
        if symbol == NATIVE:
            d.call(weth.functions.deposit(), value=reserve_base)
            d.call(weth.functions.transfer(pair_address, reserve_base))
        else:
            d.call(base.functions.mint(pair_address, reserve_base))
        d.call(usdc.functions.mint(pair_address, reserve_usdc))
        d.call(web3.eth.contract(address=pair_address, abi=pair_abi).functions.mint(deployer.address))
        pairs[f"{symbol}-{QUOTE}"] = pair_address

    hot_wallet = fund_hot_wallet(d, usdc, fund_address, fund_usdc, fund_native)
    return DevnetDeployment(
        url=str(getattr(web3.provider, "endpoint_uri", "") or ""),
        chain_id=d.builder.chain_id,
        factory=factory.address,
        router=router.address,
        weth=weth.address,
        usdc=usdc.address,
        tokens=tokens,
        pairs=pairs,
        hot_wallet=hot_wallet,
    )


def fund_hot_wallet(d: Deployer, usdc, fund_address: str | None, fund_usdc: Decimal, fund_native: Decimal) -> str | None:
    """Mint ``fund_usdc`` USDC to ``fund_address`` and send it ``fund_native`` ETH; return it checksummed (None: no address)."""
    if fund_address is None:
        return None
    hot_wallet = to_checksum_address(fund_address)
    if fund_usdc > 0:
        d.call(usdc.functions.mint(hot_wallet, int(fund_usdc * 10**QUOTE_DECIMALS)))
    if fund_native > 0:
        d.send_native(hot_wallet, int(fund_native * WEI))
    return hot_wallet


def _check_prices(prices: dict[str, Decimal], liquidity_usd: Decimal) -> None:
    if not prices:
        raise ConfigurationError("No pairs to deploy: give at least one base token price, e.g. {'ETH': Decimal('300')}.")
    if liquidity_usd <= 0:
        raise ConfigurationError(f"The pool liquidity must be positive, got {liquidity_usd} USD.")
    for symbol, price in prices.items():
        if symbol == QUOTE or not symbol.isalnum() or symbol != symbol.upper():
            raise ConfigurationError(f"{symbol!r} cannot be a base token: use upper-case letters and digits, and not {QUOTE}.")
        if price <= 0:
            raise ConfigurationError(f"The {symbol} price must be positive, got {price}.")


def _check_pair_address(factory: str, token_a: str, token_b: str, pair: str) -> None:
    token0, token1 = sorted([token_a, token_b], key=lambda a: int(a, 16))
    salt = keccak(bytes.fromhex(token0[2:]) + bytes.fromhex(token1[2:]))
    expected = to_checksum_address(keccak(b"\xff" + bytes.fromhex(factory[2:]) + salt + bytes.fromhex(UNISWAP_V2_INIT_CODE_HASH))[12:])
    if expected != pair:
        raise ConfigurationError(
            f"The factory created pair {pair}, but the router will look for {expected}: the Uniswap v2 artifacts in "
            f"{NODE_MODULES} do not belong together. Reinstall them with ./scripts/setup.sh."
        )


def env_lines(deployment: DevnetDeployment, *, private_key: str | None) -> list[str]:
    lines = [
        "# A local devnet (anvil) written by `trade-executor devnet`: it exists only while that command runs,",
        "# and everything here is throwaway.",
    ]
    if private_key is not None:
        lines.append("# PRIVATE_KEY is a throwaway hot wallet key made for this local chain: never use it on a real chain.")
    lines += [f"JSON_RPC_ANVIL={deployment.url}", f"CHAIN_ID={deployment.chain_id}"]
    if private_key is not None:
        lines.append(f"PRIVATE_KEY={private_key}")
    lines += [f"UNISWAP_V2_FACTORY={deployment.factory}", f"UNISWAP_V2_ROUTER={deployment.router}", f"WETH={deployment.weth}"]
    lines += [f"TOKEN_{symbol}={address}" for symbol, address in deployment.tokens.items()]
    lines += [f"PAIR_{ticker.replace('-', '_')}={address}" for ticker, address in deployment.pairs.items()]
    return lines


def write_env_file(deployment: DevnetDeployment, path: str | Path, *, private_key: str | None, extra_lines: Sequence[str] = ()) -> Path:
    """Write a Docker-dialect .env file (KEY=value, no quotes) atomically; owner-only if it holds a key.

    ``extra_lines`` follow the v2 lines (the Uniswap v3 addresses of ``devnet --exchange=uniswap-v3``)."""
    path = Path(path)
    text = "\n".join([*env_lines(deployment, private_key=private_key), *extra_lines]) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600 if private_key is not None else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _hex(bytecode: str) -> str:
    return bytecode if bytecode.startswith("0x") else "0x" + bytecode
