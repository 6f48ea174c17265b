"""Put a devnet pool exactly where the backtest's pool model says it is.

An arbitrage swap (the market simulator) moves the price; then the pair's reserves (and the
tokens' balances of it) are set to the backtest model's integer reserves for that price and
liquidity. The replay's fills are then the backtest's fills, to the wei.
"""

from __future__ import annotations

from decimal import Decimal

from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import DevnetDeployment
from trade_executor.devnet.market_simulator import MarketSimulator
from trade_executor.market.amm import reserves_for_price

PAIR_RESERVES_SLOT = 8  # UniswapV2Pair: reserve0 (112 bits) | reserve1 (112) | blockTimestampLast (32)
TOKEN_BALANCES_SLOT = 3  # balanceOf in both WETH9 and our MintableERC20 (see contracts/)


class PoolSetter:
    def __init__(self, web3: Web3, deployer: HotWallet, deployment: DevnetDeployment, decimals: dict[str, int]):
        self.web3 = web3
        self.deployer = deployer
        self.deployment = deployment
        self.decimals = decimals  # base symbol -> decimals
        self.simulator = MarketSimulator(web3, deployer, deployment)
        self.builder = self.simulator.builder  # one wallet, one nonce manager: two would hand out the same nonce
        self._pairs = {t: web3.eth.contract(address=a, abi=load_abi("UniswapV2Pair")) for t, a in deployment.pairs.items()}
        self._token0 = {t: c.functions.token0().call() for t, c in self._pairs.items()}
        self.swaps = 0

    def reserves(self, ticker: str) -> tuple[int, int]:
        """(base, quote) reserves in token units."""
        reserve0, reserve1, _ = self._pairs[ticker].functions.getReserves().call()
        base = self.deployment.tokens[ticker.split("-")[0]]
        return (reserve0, reserve1) if self._token0[ticker] == base else (reserve1, reserve0)

    def set_pool(self, ticker: str, price: Decimal, liquidity: Decimal, *, swap: bool = True) -> tuple[int, int]:
        """Move the pool to ``price`` by an arbitrage swap, then make its reserves exactly the model's.

        The exact reserves are written with anvil's ``anvil_setStorageAt``: the pair's reserve slot and
        both tokens' balance of the pair, kept equal so the next swap sees a consistent pool. One RPC
        each instead of several signed transactions (burn, mint, sync): a devnet cheat, used only here.
        """
        symbol = ticker.split("-")[0]
        target_base, target_quote = reserves_for_price(price, liquidity, self.decimals[symbol], 6)
        if swap and self.simulator.move_price(ticker, price):
            self.swaps += 1
        pair = self._pairs[ticker]
        base_token, quote_token = self.deployment.tokens[symbol], self.deployment.tokens["USDC"]
        reserve0, reserve1 = (target_base, target_quote) if self._token0[ticker] == base_token else (target_quote, target_base)
        packed = int.from_bytes(self.web3.eth.get_storage_at(pair.address, PAIR_RESERVES_SLOT), "big")
        timestamp_last = packed >> 224  # kept: the pool's price oracle goes on as it would
        self._set_storage([
            (base_token, _balance_slot(pair.address), target_base),
            (quote_token, _balance_slot(pair.address), target_quote),
            (pair.address, PAIR_RESERVES_SLOT, (timestamp_last << 224) | (reserve1 << 112) | reserve0),
        ])
        return target_base, target_quote

    def _set_storage(self, writes: list[tuple[str, int, int]]) -> None:
        """Several storage writes in one JSON-RPC batch."""
        calls = [("anvil_setStorageAt", [address, hex(slot), "0x" + value.to_bytes(32, "big").hex()]) for address, slot, value in writes]
        for response in self.web3.provider.make_batch_request(calls):
            if "error" in response:
                raise RuntimeError(f"anvil_setStorageAt failed: {response['error']}")


def _balance_slot(holder: str) -> int:
    """Storage slot of ``balanceOf[holder]`` in a token whose mapping is at TOKEN_BALANCES_SLOT."""
    return int.from_bytes(Web3.keccak(bytes(12) + bytes.fromhex(holder[2:]) + TOKEN_BALANCES_SLOT.to_bytes(32, "big")), "big")
