"""`download`: pools' histories from the chain into the cache, for backtests on the pool you will trade."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import parse_date, reports_errors, setup_logging
from trade_executor.cli.live_options import Factory, JsonRpcUrl, V3Factory
from trade_executor.cli.options import CachePath, LogLevel, LogLevelOption


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


Pairs = Annotated[str | None, _opt("--pairs", "DOWNLOAD_PAIRS", "Base tokens whose pool against the reserve currency to download, e.g. ETH,BTC (addresses from TOKEN_<SYMBOL>, pools from the factory).")]
Pools = Annotated[list[str] | None, _opt("--pool", "DOWNLOAD_POOLS", "A pool to download by address; repeatable (in the variable: separated by spaces).")]
Start = Annotated[str | None, _opt("--start", "DOWNLOAD_START", "The first date to download, e.g. 2024-01-01 (its block is found by time). Needed for a pool not yet in the cache.")]
End = Annotated[str | None, _opt("--end", "DOWNLOAD_END", "Download up to this date, e.g. 2024-06-30 (exclusive). Default: the latest confirmed block.")]
Reserve = Annotated[str | None, _opt("--reserve-currency", "RESERVE_CURRENCY", "The token the pairs trade against, e.g. USDC. Default: the strategy file's reserve currency.")]
Strategy = Annotated[Path | None, _opt("--strategy-file", "STRATEGY_FILE", "Optional: a strategy module, for its chain (JSON_RPC_<CHAIN>) and reserve currency.")]
Confirmations = Annotated[
    int, _opt("--confirmation-block-count", "CONFIRMATION_BLOCK_COUNT", "Read only blocks at least this many under the latest, so a reorg cannot change stored history.", min=0)
]
Exchange = Annotated[
    str | None, _opt("--exchange", "DOWNLOAD_EXCHANGE", "uniswap-v2 or a concentrated-liquidity exchange (uniswap-v3, pancakeswap-v3): where --pairs finds pools. Default: the strategy file's exchange, else uniswap-v2.")
]
Candles = Annotated[str | None, _opt("--candles", "DOWNLOAD_CANDLES", "Also write candle files of these time frames per pool, e.g. 1h,1d (candles-1h.parquet, readable with data.files).")]


@reports_errors
def download(
    json_rpc_url: JsonRpcUrl = None,
    pairs: Pairs = None,
    pool: Pools = None,
    start: Start = None,
    end: End = None,
    reserve_currency: Reserve = None,
    strategy_file: Strategy = None,
    uniswap_v2_factory: Factory = None,
    uniswap_v3_factory: V3Factory = None,
    exchange: Exchange = None,
    cache_path: CachePath = Path("cache"),
    confirmation_block_count: Confirmations = 12,
    candles: Candles = None,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Download pools' reserves (Sync) and volume (Swap) from the chain into CACHE_PATH; run again to fetch only new blocks.

    A Uniswap v3 pool's Swap (price, L, tick), Mint and Burn events are read the same way."""
    setup_logging(log_level.value)
    from trade_executor.cli.live_wiring import json_rpc_url_for, tokens_from_environment
    from trade_executor.market.candles import parse_time_frame

    start_at, end_at = parse_date(start, "--start"), parse_date(end, "--end")
    time_frames = [parse_time_frame(text) for text in (candles or "").replace(",", " ").split()]
    chain_id = reserve = slug = None
    if strategy_file is not None:
        from trade_executor.strategy.module import load_strategy_module

        strategy = load_strategy_module(strategy_file)
        chain_id, reserve, slug = strategy.chain_id, strategy.reserve_currency, strategy.exchange_slug
    url = json_rpc_url_for(chain_id, json_rpc_url) if chain_id is not None else _url(json_rpc_url)
    from trade_executor.cli.download_run import run_download

    symbols = [p.strip().upper().split("-")[0] for p in (pairs or "").split(",") if p.strip()]
    run_download(
        url, cache_path, symbols=symbols, addresses=[a for each in pool or [] for a in each.split()], tokens={k.upper(): v for k, v in tokens_from_environment().items()},
        reserve=(reserve_currency or reserve or "").upper() or None, factory=uniswap_v2_factory, chain_id=chain_id,
        start=start_at, end=end_at, confirmations=confirmation_block_count, time_frames=time_frames,
        exchange=exchange or slug or "uniswap-v2", v3_factory=uniswap_v3_factory,
    )  # fmt: skip


def _url(explicit: str | None) -> str:
    from trade_executor.errors import ConfigurationError

    if not explicit or not explicit.strip():
        raise ConfigurationError("download needs a node: set JSON_RPC_URL (or --json-rpc-url), or give --strategy-file to use JSON_RPC_<CHAIN>.")
    return " ".join(explicit.split())

