"""What differs between the live venues the contract suite (test_venue_contract.py) runs against.

One object per venue: its devnet (deployed once per module), its configuration (LiveConfig, and the
environment of ``trade-executor start``), the strategy fixtures rewritten for its exchange and fee
tier, the adversary's swaps, the pool's age (its reference price needs history) and the pool's
Swap events. The test bodies see only this interface.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr
from web3 import Web3

from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.devnet.deploy_pancake_v3 import PANCAKESWAP_V3, deploy_pancakeswap_v3
from trade_executor.devnet.deploy_v3 import UNISWAP_V3, deploy_uniswap_v3, load_v3_artifact, pool_key
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.execution.uniswap_v3.pool_download import PANCAKESWAP_SWAP_V3_TOPIC
from trade_executor.runner.live import LiveConfig
from trade_executor.testing.adversary import Adversary, V3Adversary, advance_time, chain_time, ensure_history

VENUES = ("uniswap-v2", "uniswap-v3")
ETH_PRICE = Decimal(300)
HISTORY_SECONDS = 20 * 60  # longer than the 15-minute reference window
V2_SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex().removeprefix("0x")
V3_SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)").hex().removeprefix("0x")
V3_FEE = 3000
# Depth near the price as the v2 devnet's $1,000,000 pool: a full-range position and a +-50 % one of $400,000 each
# ($5,000 moves both pools by about 1 %, so the price-impact fixture is refused on either venue).
V3_LIQUIDITY_USD, V3_CONCENTRATED_WIDTH = Decimal(400_000), Decimal("0.5")


class Venue:
    """A devnet of one venue with ETH/USDC at $300 and ``hot_wallet_key``'s wallet funded (10,000 USDC, 10 ETH)."""

    name: str
    execution_type: str  # EXECUTION_TYPE of ``trade-executor start``
    ticker: str  # the adversary's name of the ETH/USDC pool
    pool: str  # its address
    swap_topic: str

    def __init__(self, anvil: Anvil, hot_wallet_key: str):
        self.anvil, self.hot_wallet_key = anvil, hot_wallet_key
        self.web3 = create_web3(anvil.url)
        self.deployer = HotWallet(ANVIL_PRIVATE_KEYS[0])

    @property
    def url(self) -> str:
        return self.anvil.url

    def adversary(self) -> Adversary:
        raise NotImplementedError

    def ensure_history(self) -> None:
        """Make the pool's last update at least HISTORY_SECONDS old in chain time: its reference is its price."""
        raise NotImplementedError

    def strategy(self, source: str) -> str:
        """A strategy module's source for this venue (the fixtures are written for Uniswap v2)."""
        return source

    def live_config(self, strategy_file: Path, state_file: Path, cache_path: Path) -> LiveConfig:
        raise NotImplementedError

    def live_env(self, strategy_file: Path, state_file: Path, cache_path: Path, **extra) -> dict:
        """The environment of ``trade-executor start`` for this venue (single cycle)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH", "UNISWAP_"))}
        env.update(
            STRATEGY_FILE=str(strategy_file), STATE_FILE=str(state_file), EXECUTION_TYPE=self.execution_type,
            JSON_RPC_ANVIL=self.url, PRIVATE_KEY=self.hot_wallet_key, RUN_SINGLE_CYCLE="true", CONFIRMATION_TIMEOUT="20",
            LOG_LEVEL="warning", CACHE_PATH=str(cache_path),
        )
        env.update({f"TOKEN_{symbol}": address for symbol, address in self.tokens.items()})
        env.update(extra)
        return env

    @property
    def tokens(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def router(self) -> str:
        raise NotImplementedError

    def swaps_by(self, recipient: str) -> list[dict]:
        """The pool's Swap events whose output went to ``recipient`` (the second indexed topic on both venues)."""
        logs = self.web3.eth.get_logs({"address": self.pool, "topics": [self.swap_topic], "fromBlock": 0, "toBlock": "latest"})
        wallet = Web3.to_checksum_address(recipient)
        return [log for log in logs if Web3.to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()) == wallet]


class UniswapV2Venue(Venue):
    name, execution_type, ticker, swap_topic = "uniswap-v2", "uniswap_v2_hot_wallet", "ETH-USDC", V2_SWAP_TOPIC

    def __init__(self, anvil: Anvil, hot_wallet_key: str):
        super().__init__(anvil, hot_wallet_key)
        self.deployment = deploy_uniswap_v2(
            self.web3, self.deployer, prices={"ETH": ETH_PRICE}, liquidity_usd=Decimal(1_000_000), fund_address=HotWallet(hot_wallet_key).address,
        )
        self.pool = self.deployment.pairs[self.ticker]
        advance_time(anvil, HISTORY_SECONDS)

    @property
    def tokens(self) -> dict[str, str]:
        return self.deployment.tokens

    @property
    def router(self) -> str:
        return self.deployment.router

    def adversary(self) -> Adversary:
        return Adversary(self.anvil, self.deployment)

    def ensure_history(self) -> None:
        ensure_history(self.anvil, self.deployment, HISTORY_SECONDS)

    def live_config(self, strategy_file: Path, state_file: Path, cache_path: Path) -> LiveConfig:
        return LiveConfig(
            strategy_file=strategy_file, state_file=state_file, json_rpc_url=SecretStr(self.url), private_key=SecretStr(self.hot_wallet_key),
            router=self.deployment.router, factory=self.deployment.factory, tokens=self.deployment.tokens, confirmation_timeout=20, cache_path=cache_path,
        )

    def live_env(self, strategy_file: Path, state_file: Path, cache_path: Path, **extra) -> dict:
        return super().live_env(
            strategy_file, state_file, cache_path, UNISWAP_V2_ROUTER=self.deployment.router, UNISWAP_V2_FACTORY=self.deployment.factory, **extra,
        )


class UniswapV3Venue(Venue):
    name, execution_type, ticker, swap_topic = "uniswap-v3", "uniswap_v3_hot_wallet", pool_key("ETH", V3_FEE), V3_SWAP_TOPIC
    exchange, fee = UNISWAP_V3, V3_FEE
    deploy = staticmethod(deploy_uniswap_v3)

    def __init__(self, anvil: Anvil, hot_wallet_key: str):
        super().__init__(anvil, hot_wallet_key)
        self.deployment = self.deploy(
            self.web3, self.deployer, prices={"ETH": ETH_PRICE}, liquidity_usd=V3_LIQUIDITY_USD, fees=(self.fee,),
            concentrated_width=V3_CONCENTRATED_WIDTH, fund_address=HotWallet(hot_wallet_key).address,
        )
        self.pool = self.deployment.pools[self.ticker]
        increase_cardinality(TransactionBuilder(self.web3, self.deployer), self.pool, 200)  # the oracle covers the reference window
        advance_time(anvil, HISTORY_SECONDS)

    @property
    def tokens(self) -> dict[str, str]:
        return {"USDC": self.deployment.usdc, "ETH": self.deployment.weth}

    @property
    def router(self) -> str:
        return self.deployment.swap_router02

    def adversary(self) -> Adversary:
        return V3Adversary(self.anvil, self.deployment)

    def ensure_history(self) -> None:
        pool = self.web3.eth.contract(address=self.pool, abi=load_v3_artifact(self.exchange, "UniswapV3Pool")["abi"])
        last_observation = pool.functions.observations(pool.functions.slot0().call()[2]).call()[0]
        missing = last_observation + HISTORY_SECONDS - chain_time(self.web3)
        if missing > 0:
            advance_time(self.anvil, missing)

    def strategy(self, source: str) -> str:
        fee = Decimal(self.fee) / 1_000_000
        for v2, v3 in (('exchange = "uniswap-v2"', f'exchange = "{self.name}"'), ('data.embedded(["ETH"])', f'data.embedded(["ETH"], fee={{"ETH": {fee}}})')):
            if v2 not in source:
                raise ValueError(f"The strategy fixture has no {v2!r} to rewrite for {self.name}")
            source = source.replace(v2, v3)
        return source

    def live_config(self, strategy_file: Path, state_file: Path, cache_path: Path) -> LiveConfig:
        d = self.deployment
        return LiveConfig(
            strategy_file=strategy_file, state_file=state_file, json_rpc_url=SecretStr(self.url), private_key=SecretStr(self.hot_wallet_key),
            router="", factory="", tokens=self.tokens, confirmation_timeout=20, cache_path=cache_path,
            uniswap_v3_factory=d.factory, uniswap_v3_swap_router_02=d.swap_router02, uniswap_v3_quoter_v2=d.quoter_v2,
        )

    def live_env(self, strategy_file: Path, state_file: Path, cache_path: Path, **extra) -> dict:
        d = self.deployment
        quoter = {"UNISWAP_V3_QUOTER_V2": d.quoter_v2} if d.quoter_v2 else {}
        return super().live_env(
            strategy_file, state_file, cache_path, UNISWAP_V3_FACTORY=d.factory, UNISWAP_V3_SWAP_ROUTER_02=d.swap_router02, **quoter, **extra,
        )


class PancakeSwapV3Venue(UniswapV3Venue):
    """PancakeSwap's own factory and pools (0.25 % tier), through the devnet's SmartRouter stand-in (deploy_pancake_v3.py).

    Not in VENUES: test_venue_contract_pancake.py runs a few of the contract's bodies over it.
    """

    name, ticker, swap_topic = "pancakeswap-v3", pool_key("ETH", 2500), PANCAKESWAP_SWAP_V3_TOPIC
    exchange, fee = PANCAKESWAP_V3, 2500
    deploy = staticmethod(deploy_pancakeswap_v3)


VENUE_CLASSES = {venue.name: venue for venue in (UniswapV2Venue, UniswapV3Venue, PancakeSwapV3Venue)}

