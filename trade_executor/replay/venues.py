"""The replay chain's exchanges: Uniswap v2 pools for the universe's v2 pairs, Uniswap v3 or PancakeSwap v3 pools for its v3 ones.

The v3 pairs replay on the devnet deployment of their own exchange (deploy_v3.py's Uniswap v3,
deploy_pancake_v3.py's PancakeSwap v3: its factory and pools, stand-ins of its router and minter), so
the pools, fee tiers and router the live side trades through are that exchange's. A "...-v3" fork the
devnet cannot deploy is refused by name rather than replayed on another exchange's pools.

A universe on one exchange gets that exchange alone, as before. A mixed universe (ETH on Uniswap v3,
BTC on Uniswap v2) gets both on the one anvil, sharing the tokens (v3 reuses v2's WETH, USDC and
base tokens) and the hot wallet; each pair's pool is moved by its own setter (pools.py's arbitrage
swap and exact reserves for v2, pools_v3.py's swap to the exact sqrt price for v3), and the live
trader trades each pair on its own venue (runner/mixed_venue.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from web3 import Web3

from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_CHAIN_ID
from trade_executor.devnet.deploy import DevnetDeployment, deploy_uniswap_v2
from trade_executor.devnet.deploy_pancake_v3 import DEVNET_V3_EXCHANGES
from trade_executor.devnet.deploy_v3 import DevnetV3Deployment, V3Exchange, deploy_uniswap_v3
from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import PerVenueFillModel
from trade_executor.market.fee_tiers import is_concentrated_liquidity
from trade_executor.market.universe import TradingUniverse
from trade_executor.replay.data import onchain_universe
from trade_executor.replay.pools import PoolSetter
from trade_executor.replay.pools_v3 import V3PoolSetter, fee_pips, pool_keys


def v3_tickers(universe: TradingUniverse) -> list[str]:
    return [ticker for ticker, pair in universe.pairs.items() if is_concentrated_liquidity(pair.exchange_slug)]


def replay_v3_exchange(universe: TradingUniverse) -> V3Exchange | None:
    """The devnet exchange the universe's v3 pairs replay on (None: no v3 pair).

    One per replay, and one the devnet deploys: a fork's pools are not Uniswap's (fee tiers, pool
    code, router), so replaying it on Uniswap's would prove nothing about it.
    """
    exchanges: dict[str, list[str]] = {}
    for ticker in v3_tickers(universe):
        exchanges.setdefault(universe.pairs[ticker].exchange_slug.lower(), []).append(ticker)
    if not exchanges:
        return None
    unknown = [slug for slug in exchanges if slug not in DEVNET_V3_EXCHANGES]
    on = "; ".join(f"{', '.join(tickers)} on {slug}" for slug, tickers in exchanges.items())
    if unknown:
        raise ConfigurationError(
            f"The replay cannot deploy {', '.join(unknown)} ({on}): it replays v3 pairs on {' or '.join(DEVNET_V3_EXCHANGES)} pools "
            f"(and v2 pairs on Uniswap v2 pools). A fork running Uniswap v3's code unchanged replays as exchange = \"uniswap-v3\" with "
            f"Uniswap's fee tiers; another fork needs its V3Exchange in trade_executor/devnet (its contracts, init code hash and fee tiers)."
        )
    if len(exchanges) > 1:
        raise ConfigurationError(f"The replay deploys one v3 exchange, but the universe has pairs on {len(exchanges)} ({on}): replay them in separate strategies.")
    return DEVNET_V3_EXCHANGES[next(iter(exchanges))]


@dataclass(frozen=True)
class ReplayDeployment:
    """Where the replay's exchanges are: ``v2`` for the v2 pairs, ``v3`` for the v3 ones (None: no pair there)."""

    v2: DevnetDeployment | None = None
    v3: DevnetV3Deployment | None = None

    @property
    def tokens(self) -> dict[str, str]:
        return {**(self.v2.tokens if self.v2 else {}), **(self.v3.tokens if self.v3 else {})}

    def as_dict(self) -> dict:
        return {"v2": asdict(self.v2) if self.v2 else None, "v3": asdict(self.v3) if self.v3 else None}

    @classmethod
    def from_dict(cls, data: dict) -> ReplayDeployment:
        """The checkpoint's deployment (a checkpoint of an earlier release holds one deployment's own fields)."""
        if "v2" not in data and "v3" not in data:
            return cls(v3=DevnetV3Deployment(**data)) if "swap_router02" in data else cls(v2=DevnetDeployment(**data))
        return cls(DevnetDeployment(**data["v2"]) if data.get("v2") else None, DevnetV3Deployment(**data["v3"]) if data.get("v3") else None)


def deploy_venues(web3: Web3, deployer: HotWallet, universe: TradingUniverse, *, prices: dict[str, Decimal], **kwargs) -> ReplayDeployment:
    """Uniswap v2 with a pool per v2 pair, then the v3 pairs' exchange with a pool per base token at each fee tier the universe trades.

    ``kwargs``: liquidity_usd, fund_address, fund_usdc, fund_native, decimals (deploy.py's); the hot wallet is funded once.
    """
    v3_symbols = {universe.pairs[t].base.token_symbol for t in v3_tickers(universe)}
    v2_prices = {symbol: price for symbol, price in prices.items() if symbol not in v3_symbols}
    v3_prices = {symbol: price for symbol, price in prices.items() if symbol in v3_symbols}
    v2 = deploy_uniswap_v2(web3, deployer, prices=v2_prices, **kwargs) if v2_prices else None
    v3 = None
    if v3_prices:
        fees = tuple(sorted({fee_pips(universe.pairs[t]) for t in v3_tickers(universe)}))
        funding = {"fund_address": None} if v2 is not None else {}  # v2's deployment funded the hot wallet
        v3 = deploy_uniswap_v3(web3, deployer, prices=v3_prices, fees=fees, v2=v2, exchange=replay_v3_exchange(universe), **{**kwargs, **funding})
    return ReplayDeployment(v2, v3)


class PoolSetters:
    """Each pair's pool moved by its exchange's setter; ``swaps`` counts the arbitrage swaps of both."""

    def __init__(self, setters: dict[str, object]):
        self.setters = setters  # ticker -> PoolSetter or V3PoolSetter

    @property
    def swaps(self) -> int:
        return sum(setter.swaps for setter in {id(s): s for s in self.setters.values()}.values())

    def set_pool(self, ticker: str, price: Decimal, liquidity: Decimal, *, swap: bool = True) -> None:
        self.setters[ticker].set_pool(ticker, price, liquidity, swap=swap)


def on_chain(web3: Web3, deployer: HotWallet, deployment: ReplayDeployment, universe: TradingUniverse, decimals: dict[str, int], fill_model):
    """(the live side's universe, its venue settings, the pool setters, the backtest's fill model or None to keep its own).

    With v3 pairs the backtest fills them with the deployed pools' own liquidity (their tick tables): the
    fill model returned (a mixed universe's v2 pairs keep x*y=k, ``fill_model``'s v2 part).
    """
    pools, options, setters = {}, {"router": "", "factory": ""}, {}
    v2 = PoolSetter(web3, deployer, deployment.v2, decimals) if deployment.v2 is not None else None
    if v2 is not None:
        pools.update({t: deployment.v2.pairs[t] for t in universe.pairs if t not in v3_tickers(universe)})
        options.update(router=deployment.v2.router, factory=deployment.v2.factory)
        setters.update(dict.fromkeys(pools, v2))
    live_universe = None
    v3_model = None
    if deployment.v3 is not None:
        keys = pool_keys(universe)
        pools.update({t: deployment.v3.pools[k] for t, k in keys.items()})
        options.update(uniswap_v3_factory=deployment.v3.factory, uniswap_v3_swap_router_02=deployment.v3.swap_router02, uniswap_v3_quoter_v2=deployment.v3.quoter_v2)
        v3 = V3PoolSetter(web3, deployer, deployment.v3, keys, builder=v2.builder if v2 is not None else None)  # one deployer, one nonce manager
        setters.update(dict.fromkeys(keys, v3))
        live_universe = onchain_universe(universe, deployment.tokens, pools, ANVIL_CHAIN_ID, decimals)
        v3_model = v3.fill_model(universe, live_universe)
    live_universe = live_universe or onchain_universe(universe, deployment.tokens, pools, ANVIL_CHAIN_ID, decimals)
    if v3_model is not None and v2 is not None:
        v3_model = PerVenueFillModel(fill_model.v2 if isinstance(fill_model, PerVenueFillModel) else fill_model, v3_model)
    return live_universe, options, PoolSetters(setters), v3_model
