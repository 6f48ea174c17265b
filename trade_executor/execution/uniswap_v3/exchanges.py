"""Uniswap v3 and its forks: which contracts the UNISWAP_V3_* settings name on each, and the check of them.

A fork is the same code deployed again, so the executor needs only its addresses: pools are found
with the factory's ``getPool`` (never computed from a deployer and an init code hash), read with the
pool's own getters, and swapped through a router of SwapRouter02's shape: ``multicall(deadline,
[exactInputSingle | exactInput])`` with no deadline inside the structs.

What differs between Uniswap v3 and PancakeSwap v3 (checked against the ABIs of the npm artifacts
``@pancakeswap/v3-core@1.0.2`` and of ``@pancakeswap/smart-router@7.7.3``):

- PancakeSwap's pools are created by a separate ``PancakeV3PoolDeployer`` (the address in pool address
  computation, with init code hash 0x6ce8eb47...f7e2); its ``PancakeV3Factory`` still answers
  ``getPool``, so UNISWAP_V3_FACTORY is the factory, not the deployer.
- Its ``slot0`` returns ``feeProtocol`` as a ``uint32`` (Uniswap: ``uint8``); abi.py reads that word
  as a ``uint32``, which reads Uniswap's too (the same 32-byte word, zero above 8 bits).
- Its v3-periphery ``SwapRouter`` puts the deadline inside ``ExactInputSingleParams`` (as Uniswap's
  first SwapRouter did); its ``SmartRouter`` is SwapRouter02's shape. UNISWAP_V3_SWAP_ROUTER_02 must be
  the SmartRouter: ``check_router`` refuses a router without SwapRouter02's ``factoryV2()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from trade_executor.errors import ConfigurationError

FACTORY_SETTING = "UNISWAP_V3_FACTORY"
ROUTER_SETTING = "UNISWAP_V3_SWAP_ROUTER_02"
QUOTER_SETTING = "UNISWAP_V3_QUOTER_V2"


@dataclass(frozen=True)
class V3Exchange:
    """The contracts a v3 exchange's UNISWAP_V3_* settings name (by their contract names on that exchange)."""

    slug: str
    name: str
    factory: str
    router: str
    quoter: str
    not_the_factory: str = ""  # a contract a user may confuse with the factory
    not_the_router: str = ""  # a router of the other shape


UNISWAP_V3 = V3Exchange("uniswap-v3", "Uniswap v3", "UniswapV3Factory", "SwapRouter02", "QuoterV2",
                        not_the_router="the first SwapRouter (its structs carry the deadline)")
PANCAKESWAP_V3 = V3Exchange("pancakeswap-v3", "PancakeSwap v3", "PancakeV3Factory", "SmartRouter", "QuoterV2",
                            not_the_factory="PancakeV3PoolDeployer",
                            not_the_router="the v3-periphery SwapRouter (its structs carry the deadline)")
V3_EXCHANGES = {exchange.slug: exchange for exchange in (UNISWAP_V3, PANCAKESWAP_V3)}


def v3_exchange(slug: str) -> V3Exchange:
    """The known exchange of ``slug``; another "...-v3" slug is taken for a fork of Uniswap's code with Uniswap's contract names."""
    known = V3_EXCHANGES.get(slug.lower())
    if known is not None:
        return known
    if not slug.lower().endswith("-v3"):
        raise ConfigurationError(f"Exchange {slug!r} is not a concentrated-liquidity (v3) exchange: its slug would end in -v3 (known: {', '.join(V3_EXCHANGES)}).")
    return V3Exchange(slug.lower(), slug, UNISWAP_V3.factory, UNISWAP_V3.router, UNISWAP_V3.quoter, not_the_router=UNISWAP_V3.not_the_router)


def describe_settings(exchange: V3Exchange) -> str:
    """One line per setting: what it holds on this exchange."""
    factory = f"its {exchange.factory}" + (f", not the {exchange.not_the_factory}" if exchange.not_the_factory else "")
    router = f"its {exchange.router}" + (f", not {exchange.not_the_router}" if exchange.not_the_router else "")
    return f"{FACTORY_SETTING} ({factory}), {ROUTER_SETTING} ({router}), {QUOTER_SETTING} (its {exchange.quoter}, optional)"


def check_v3_settings(slug: str, factory: str | None, router: str | None) -> V3Exchange:
    """The exchange, once its factory and router settings are present and addresses; else an error naming what each must hold."""
    exchange = v3_exchange(slug)
    missing = [name for name, value in ((FACTORY_SETTING, factory), (ROUTER_SETTING, router)) if not value]
    if missing:
        raise ConfigurationError(
            f"The strategy trades on {exchange.name} ({exchange.slug}), which needs {', '.join(missing)}: set them in the environment or an --env-file "
            f"({describe_settings(exchange)}; `trade-executor devnet --exchange=uniswap-v3` writes them for a devnet)."
        )
    for name, value in ((FACTORY_SETTING, factory), (ROUTER_SETTING, router)):
        if not Web3.is_address(value):
            raise ConfigurationError(f"{name}={value!r} is not an address: it holds {exchange.name}'s {exchange.factory if name == FACTORY_SETTING else exchange.router}.")
    return exchange


def check_router(web3: Web3, exchange: V3Exchange, factory: str, router: str) -> None:
    """Refuse a router of the other shape, or one built for another factory (``factory()``, ``factoryV2()`` of SwapRouter02 and SmartRouter)."""
    contract = web3.eth.contract(address=Web3.to_checksum_address(router), abi=ROUTER_IMMUTABLES_ABI)
    try:
        router_factory = contract.functions.factory().call()
        contract.functions.factoryV2().call()
    except Exception as exc:  # a revert, or no code at the address: either way it is not the router swaps are built for
        raise ConfigurationError(
            f"{ROUTER_SETTING}={router} does not answer factory() and factoryV2(), so it is not {exchange.name}'s {exchange.router}"
            + (f" (perhaps {exchange.not_the_router})" if exchange.not_the_router else "")
            + f": swaps are sent as multicall(deadline, [exactInputSingle | exactInput]). ({type(exc).__name__})"
        ) from None
    if Web3.to_checksum_address(router_factory) != Web3.to_checksum_address(factory):
        raise ConfigurationError(
            f"{ROUTER_SETTING}={router} swaps through the pools of factory {router_factory}, but {FACTORY_SETTING}={factory}: "
            f"give the {exchange.factory} and {exchange.router} of one deployment of {exchange.name}"
            + (f" (the factory, not the {exchange.not_the_factory})" if exchange.not_the_factory else "") + "."
        )


def _view(name: str) -> dict:
    return {"type": "function", "name": name, "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "address"}]}


ROUTER_IMMUTABLES_ABI = [_view("factory"), _view("factoryV2")]
