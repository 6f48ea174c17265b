"""Run a devnet until stopped: anvil, Uniswap v2 (and Uniswap v3 or PancakeSwap v3 on request) with priced pools, a funded hot
wallet, an .env file pointing at it all, and optionally a market simulator walking ETH along historical prices.

This is what `trade-executor devnet` runs; the command only turns options into a DevnetConfig.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from web3 import Web3

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import NATIVE, QUOTE, Deployer, DevnetDeployment, deploy_uniswap_v2, write_env_file
from trade_executor.devnet.deploy_pancake_v3 import DEVNET_V3_EXCHANGES, deploy_pancakeswap_v3
from trade_executor.devnet.deploy_v3 import UNISWAP_V3, DevnetV3Deployment, V3Exchange, deploy_uniswap_v3, load_v3_artifact
from trade_executor.errors import ConfigurationError, StopError
from trade_executor.market.embedded import EMBEDDED_DATASETS, load_embedded_candles

logger = logging.getLogger(__name__)

ACCOUNT_BALANCE_ETH = 100_000_000  # anvil's dev accounts: enough ETH for deep WETH pools and the simulator
SIMULATED_PAIR = f"{NATIVE}-{QUOTE}"


@dataclass(frozen=True)
class DevnetConfig:
    port: int = 8545
    symbols: tuple[str, ...] = (NATIVE,)
    start: pd.Timestamp | None = None
    liquidity_usd: Decimal = Decimal(5_000_000)
    fund_address: str | None = None
    fund_usdc: Decimal = Decimal(10_000)
    fund_native: Decimal = Decimal(10)
    env_file: Path = Path("devnet.env")
    market_simulator: bool = False
    simulator_interval: float = 5.0
    exchange: str = "uniswap-v2"  # or "uniswap-v3" / "pancakeswap-v3": v2 as ever, plus that exchange's v3 pools on the same tokens


def parse_symbols(text: str) -> tuple[str, ...]:
    """"ETH,BTC" -> ("ETH", "BTC"); only symbols with embedded prices, each once."""
    symbols = tuple(dict.fromkeys(s.strip().upper() for s in text.split(",") if s.strip()))
    if not symbols:
        raise ConfigurationError("--pairs is empty: give base tokens, e.g. --pairs=ETH,BTC.")
    unknown = [s for s in symbols if s not in EMBEDDED_DATASETS]
    if unknown:
        raise ConfigurationError(
            f"--pairs: no embedded prices for {', '.join(unknown)}; the devnet can price {', '.join(sorted(EMBEDDED_DATASETS))} (each trades against {QUOTE})."
        )
    return symbols


def _closes_from(symbol: str, start: pd.Timestamp | None) -> pd.Series:
    closes = load_embedded_candles(symbol)["close"]
    if start is None:
        return closes
    position = closes.index.searchsorted(start)
    if position >= len(closes):
        raise ConfigurationError(f"--start-date {start} is after the embedded {symbol} data, which ends at {closes.index[-1]}.")
    return closes.iloc[position:]


def start_prices(symbols: tuple[str, ...], start: pd.Timestamp | None) -> dict[str, Decimal]:
    """Each symbol's close of the first embedded candle at or after ``start`` (the first candle if None)."""
    return {symbol: _decimal(_closes_from(symbol, start).iloc[0]) for symbol in symbols}


def price_path(symbol: str, start: pd.Timestamp | None) -> Iterator[Decimal]:
    """The closes after the starting candle: the prices the market simulator walks through."""
    for close in _closes_from(symbol, start).iloc[1:]:
        yield _decimal(close)


def _decimal(value: float) -> Decimal:
    return Decimal(str(float(value)))


def check_port_free(port: int) -> None:
    """Refuse a port something listens on; with SO_REUSEADDR, as anvil binds, so the connections a stopped devnet
    leaves in TIME_WAIT (about 60 s) do not count as "in use"."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ConfigurationError(f"Port {port} on 127.0.0.1 is in use (another devnet or node?). Choose another with --port or DEVNET_PORT.") from None


def describe(deployment: DevnetDeployment, prices: dict[str, Decimal], config: DevnetConfig) -> list[str]:
    lines = [
        f"Chain id            {deployment.chain_id}",
        f"Uniswap v2 factory  {deployment.factory}",
        f"Uniswap v2 router   {deployment.router}",
        f"WETH                {deployment.weth}",
    ]
    lines += [f"Token {symbol:<13} {address}" for symbol, address in deployment.tokens.items()]
    for ticker, address in deployment.pairs.items():
        base = ticker.split("-")[0]
        lines.append(f"Pair {ticker:<14} {address}  price {prices[base]} {QUOTE}, {config.liquidity_usd:,} {QUOTE} + {config.liquidity_usd / prices[base]:.6f} {base}")
    if deployment.hot_wallet:
        lines.append(f"Hot wallet          {deployment.hot_wallet}  funded with {config.fund_usdc:,} {QUOTE} and {config.fund_native} ETH")
    return lines


def grow_oracles(web3: Web3, deployer: HotWallet, deployment: DevnetV3Deployment, cardinality: int = 500, exchange: V3Exchange = UNISWAP_V3) -> None:
    """Have every pool keep ``cardinality`` observations (increaseObservationCardinalityNext).

    A new pool keeps one, so its oracle can average over no window and a live strategy on it has
    neither a reference price nor candles; 500 observations are 40 minutes of 5-second blocks.
    """
    d = Deployer(web3, deployer)
    abi = load_v3_artifact(exchange, "UniswapV3Pool")["abi"]
    for address in deployment.pools.values():
        d.call(web3.eth.contract(address=address, abi=abi).functions.increaseObservationCardinalityNext(cardinality))


def v3_env_lines(deployment: DevnetV3Deployment, exchange: V3Exchange = UNISWAP_V3) -> list[str]:
    """The v3 part of the devnet's .env file; pools as UNISWAP_V3_POOL_<BASE>_<QUOTE>_<FEE> (fee 3000 is 0.3 %)."""
    lines = [f"{variable}={getattr(deployment, name)}" for variable, _label, name in exchange.contracts if getattr(deployment, name)]
    for key, address in deployment.pools.items():
        ticker = "_".join(key.split("-")[:2])
        lines.append(f"UNISWAP_V3_POOL_{ticker}_{deployment.fees[key]}={address}")
    return lines


def describe_v3(deployment: DevnetV3Deployment, prices: dict[str, Decimal], liquidity_usd: Decimal, exchange: V3Exchange = UNISWAP_V3) -> list[str]:
    """What `trade-executor devnet` prints about the v3 deployment, beside its v2 lines."""
    lines = [f"{label:<19} {getattr(deployment, name)}" for _variable, label, name in exchange.contracts if getattr(deployment, name)]
    for key, address in deployment.pools.items():
        base = key.split("-")[0]
        lines.append(
            f"Pool {key:<14} {address}  price {prices[base]} {QUOTE}, a full-range and a +-10 % position, each from up to "
            f"{liquidity_usd:,} {QUOTE} + {liquidity_usd / prices[base]:.6f} {base}"
        )
    return lines


def serve(config: DevnetConfig, *, echo: Callable[[str], None] = print) -> None:
    """Run the devnet until SIGINT, SIGTERM or SIGHUP; then stop everything and return normally."""
    prices = start_prices(config.symbols, config.start)
    if config.market_simulator and NATIVE not in config.symbols:
        raise ConfigurationError(f"--market-simulator moves the {SIMULATED_PAIR} pool: include {NATIVE} in --pairs.")
    check_port_free(config.port)
    previous = _interrupt_on_signals()
    stop = threading.Event()
    simulator_thread: threading.Thread | None = None
    anvil: Anvil | None = None
    try:
        anvil = Anvil(port=config.port, balance=ACCOUNT_BALANCE_ETH, new_session=True)
        web3 = create_web3(anvil.url)
        deployer = HotWallet(ANVIL_PRIVATE_KEYS[0])
        private_key = None
        fund_address = config.fund_address
        if fund_address is None:
            wallet, private_key = HotWallet.create()
            fund_address = wallet.address
        deployment = deploy_uniswap_v2(
            web3, deployer, prices=prices, liquidity_usd=config.liquidity_usd,
            fund_address=fund_address, fund_usdc=config.fund_usdc, fund_native=config.fund_native,
        )
        v3, exchange = None, DEVNET_V3_EXCHANGES.get(config.exchange)
        if exchange is not None:
            deploy_venue = deploy_pancakeswap_v3 if exchange.name == "pancakeswap-v3" else deploy_uniswap_v3
            v3 = deploy_venue(web3, deployer, prices=prices, liquidity_usd=config.liquidity_usd, v2=deployment)
            grow_oracles(web3, deployer, v3, exchange=exchange)  # a live strategy on the pools gets its reference price and candles
        if config.market_simulator:
            simulator_thread = _start_simulator(web3, deployer, deployment, config, stop, v3=v3)
        write_env_file(deployment, config.env_file, private_key=private_key, extra_lines=v3_env_lines(v3, exchange) if v3 else ())
        for line in describe(deployment, prices, config) + (describe_v3(v3, prices, config.liquidity_usd, exchange) if v3 else []):
            echo(line)
        key_note = "; the hot wallet's private key is in it" if private_key else ""
        echo(f"Environment file    {config.env_file}{key_note}")
        if simulator_thread:
            venues = " (v2 and every v3 fee tier)" if v3 else ""
            echo(f"Market simulator    moves {SIMULATED_PAIR}{venues} along the embedded hourly closes, one candle every {config.simulator_interval:g} s")
        echo(f"Devnet running on {anvil.url}; press Ctrl-C to stop")
        code = anvil.process.wait()  # a signal interrupts this wait with KeyboardInterrupt
        raise StopError(f"anvil exited on its own (exit code {code}); the devnet is gone.")
    except KeyboardInterrupt:
        echo("Stopping the devnet")
    finally:
        _ignore_signals()
        stop.set()
        if simulator_thread is not None:
            simulator_thread.join(timeout=10)
        if anvil is not None:
            anvil.stop()
        _restore_signals(previous)


def _start_simulator(web3, trader: HotWallet, deployment: DevnetDeployment, config: DevnetConfig, stop: threading.Event, *, v3=None) -> threading.Thread:
    """Walk the v2 pool of SIMULATED_PAIR (and, on a v3 devnet, its v3 pools of every fee tier with it)."""
    from trade_executor.devnet.market_simulator import MarketSimulator

    simulator = MarketSimulator(web3, trader, deployment)
    if v3 is not None:
        from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator

        simulator = V3MarketSimulator(web3, trader, v3, v2=simulator)
    path = price_path(NATIVE, config.start)

    def walk() -> None:
        try:
            steps = simulator.run(path, SIMULATED_PAIR, config.simulator_interval, stop)
            if not stop.is_set():
                logger.info("Market simulator reached the end of the embedded data after %d candles; the devnet keeps running", steps)
        except Exception:  # noqa: BLE001 - a dead simulator must not take the devnet down
            if not stop.is_set():
                logger.exception("Market simulator stopped")

    thread = threading.Thread(target=walk, name="market-simulator", daemon=True)
    thread.start()
    return thread


_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _interrupt_on_signals() -> dict:
    """SIGINT, SIGTERM and SIGHUP all mean: stop the devnet cleanly (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _raise_interrupt) for sig in _SIGNALS}


def _ignore_signals() -> None:
    """A second Ctrl-C while stopping must not leave anvil running."""
    if threading.current_thread() is threading.main_thread():
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
