"""The candle contract every other module relies on, and the file layer that produces it.

A *candle frame* is a ``pd.DataFrame`` indexed by a ``DatetimeIndex`` named ``timestamp``
(tz-naive UTC, bar OPEN time, strictly increasing, unique, ``datetime64[ns]``) with float64
columns ``open, high, low, close, volume`` and, when the source has it, ``liquidity`` (USD
value of the pool's quote-token reserve, read by the AMM fill model). Everything entering the
engine goes through :func:`validate_candles`, so later code never re-checks the data, and
every data problem stops the run with a :class:`DataError` naming the file, the column or
timestamp at fault and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trade_executor.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")
CANDLE_COLUMNS = (*PRICE_COLUMNS, "volume")
OPTIONAL_COLUMNS = ("liquidity",)
TIMESTAMP_ALIASES = ("timestamp", "date", "time", "datetime", "open_time")
PAIR_ALIASES = ("pair", "ticker", "symbol")
FILE_SUFFIXES = (".csv.gz", ".csv", ".parquet", ".pq")

_TIME_FRAME_RE = re.compile(r"^([1-9][0-9]*)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TIME_FRAME_HELP = "use <integer><unit> with unit s, m, h, d or w, e.g. 1m, 5m, 15m, 1h, 4h, 1d, 7d (seconds for devnet tests)"
_SHOWN = 5  # how many offending timestamps an error message lists
_MS_THRESHOLD = 10**11  # unix seconds stay below this until the year 5138; milliseconds pass it in 1973
_OHLC_RTOL = 1e-9  # float noise allowed in the high/low consistency check


@dataclass(frozen=True)
class Gap:
    """A run of bars missing from a candle frame; ``start``/``end`` are the missing bars' open times."""

    start: pd.Timestamp
    end: pd.Timestamp
    missing: int


def parse_time_frame(text: str) -> pd.Timedelta:
    """Read ``"15m"``, ``"1h"``, ``"1d"``... so options, file names and reports share one spelling."""
    match = _TIME_FRAME_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise DataError(f"Bad time frame {text!r}: {_TIME_FRAME_HELP}.")
    return pd.Timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_time_frame(time_frame: pd.Timedelta) -> str:
    """The inverse of :func:`parse_time_frame`, in the largest whole unit of days, hours, minutes, seconds."""
    step = _as_timedelta(time_frame)
    if step % pd.Timedelta(seconds=1) != pd.Timedelta(0):
        raise DataError(f"Time frame {step} is not a whole number of seconds: {_TIME_FRAME_HELP}.")
    seconds = int(step // pd.Timedelta(seconds=1))
    unit = next(unit for unit in ("d", "h", "m", "s") if seconds % _UNIT_SECONDS[unit] == 0)
    return f"{seconds // _UNIT_SECONDS[unit]}{unit}"


def _as_timedelta(time_frame: pd.Timedelta | str) -> pd.Timedelta:
    """Accept a Timedelta or its text form, and refuse zero or negative steps early."""
    step = parse_time_frame(time_frame) if isinstance(time_frame, str) else pd.Timedelta(time_frame)
    if step <= pd.Timedelta(0):
        raise DataError(f"Time frame must be positive, got {step}: {_TIME_FRAME_HELP}.")
    return step


def _plain(value: object) -> object:
    """Unwrap numpy scalars so messages read ``1.5``/``True`` rather than ``np.float64(1.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def _describe(step: pd.Timedelta) -> str:
    """Format a step for a message even when it is not a whole number of minutes."""
    try:
        return format_time_frame(step)
    except DataError:
        return str(step)


def validate_candles(df: pd.DataFrame, *, source: str, pair: str | None = None) -> pd.DataFrame:
    """Return ``df`` as a normalised candle frame, or raise a :class:`DataError` saying what to fix.

    Timestamps come from a ``timestamp`` column (or ``date``, ``time``, ``datetime``,
    ``open_time``), else from the index; strings, datetimes (tz-aware ones are converted to UTC)
    and integers (unix seconds or milliseconds) are accepted. Column names are matched
    case-insensitively; columns outside the contract are dropped; missing ``volume`` is 0.0.
    """
    where = f"{source} (pair {pair})" if pair is not None else str(source)
    if not isinstance(df, pd.DataFrame):
        raise _fail(where, f"expected a DataFrame of candles, got {type(df).__name__}", "pass a DataFrame")
    columns = _lowercase_columns(df, where)
    raw_times = _find_timestamps(df, columns)
    missing = ["timestamp"] * (raw_times is None) + [name for name in PRICE_COLUMNS if name not in columns]
    if missing:
        raise _fail(
            where,
            f"missing required column(s) {', '.join(missing)}; found columns {[str(c) for c in df.columns]}",
            "provide timestamp, open, high, low, close (volume, liquidity optional; names are "
            f"case-insensitive; the timestamp may also be {', '.join(TIMESTAMP_ALIASES[1:])} or the index)",
        )
    index = _parse_timestamps(raw_times, where)
    values = {}
    for name in (*CANDLE_COLUMNS, *OPTIONAL_COLUMNS):
        if name in columns:
            values[name] = _numeric_column(df[columns[name]], name, index, where)
        elif name == "volume":
            values[name] = np.zeros(len(index), dtype="float64")
    out = pd.DataFrame(values, index=index, copy=False)  # float64 columns are the input's own (copy on write), not copies
    _check_no_nan(out, where)
    _check_order(index, where)
    _check_values(out, where)
    return out


def _fail(where: str, problem: str, fix: str) -> DataError:
    """One message shape everywhere: where, what is wrong, how to fix it."""
    return DataError(f"{where}: {problem}. Fix: {fix}.")


def _lowercase_columns(df: pd.DataFrame, where: str) -> dict[str, object]:
    """Map lower-cased names to the real ones, refusing two columns that mean the same thing."""
    columns: dict[str, object] = {}
    for column in df.columns:
        key = str(column).strip().lower()
        if key in columns and key in (*CANDLE_COLUMNS, *OPTIONAL_COLUMNS, *TIMESTAMP_ALIASES):
            raise _fail(where, f"columns {columns[key]!r} and {column!r} both mean '{key}'", "drop one")
        columns.setdefault(key, column)
    return columns


def _find_timestamps(df: pd.DataFrame, columns: dict[str, object]) -> pd.Series | None:
    """The raw timestamp values, positionally aligned with the rows, or None when there are none."""
    for alias in TIMESTAMP_ALIASES:
        if alias in columns:
            return df[columns[alias]].reset_index(drop=True)
    if isinstance(df.index, pd.DatetimeIndex) or str(df.index.name).lower() in TIMESTAMP_ALIASES:
        return pd.Series(df.index)
    return None


def _parse_timestamps(raw: pd.Series, where: str) -> pd.DatetimeIndex:
    """Turn strings, datetimes or unix integers into the contract's naive-UTC nanosecond index."""
    fix = "use ISO 8601 text ('2017-10-01 00:00:00'), unix seconds or unix milliseconds"
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise _fail(where, "the timestamp column holds booleans", fix)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        largest = raw.abs().max()
        if largest >= 1000 * _MS_THRESHOLD:
            raise _fail(where, f"integer timestamps such as {_plain(largest)!r} are too large", fix)
        unit = "ms" if largest >= _MS_THRESHOLD else "s"
        parsed = pd.to_datetime(raw, unit=unit, utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(raw, utc=True, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        first = f"first in data row {bad[0] + 1}: {_plain(raw.iloc[bad[0]])!r}"
        raise _fail(where, f"{bad.size} timestamp(s) could not be read, {first}", fix)
    try:
        naive = parsed.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
    except (ValueError, OverflowError) as exc:  # OutOfBoundsDatetime is a ValueError
        raise _fail(where, f"timestamps out of range ({exc})", "check the time column") from exc
    return pd.DatetimeIndex(naive, name="timestamp")


def _numeric_column(raw: pd.Series, name: str, index: pd.DatetimeIndex, where: str) -> np.ndarray | pd.Series:
    """Return the column as float64, pointing at the first value that is not a number.

    A float64 column is returned as a Series sharing the input's memory: pandas' copy-on-write keeps the
    two apart if either is written later, and a million-row frame is not copied."""
    if raw.dtype == np.float64:
        return raw.set_axis(index)
    is_bool = pd.api.types.is_bool_dtype(raw.dtype)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not is_bool:
        return raw.to_numpy(dtype="float64", na_value=np.nan)
    values = pd.Series(np.nan, index=raw.index) if is_bool else pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(raw.notna().to_numpy() & values.isna().to_numpy())
    if bad.size:
        first = f"first {_plain(raw.iloc[bad[0]])!r} at {index[bad[0]]}"
        raise _fail(
            where,
            f"column '{name}' has {bad.size} non-numeric value(s), {first}",
            f"store plain numbers in '{name}' (no thousands separators, currency signs or text)",
        )
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _check_no_nan(out: pd.DataFrame, where: str) -> None:
    """NaN prices would silently become trades at no price; name them so they can be dropped or filled."""
    for name in out.columns:
        nan_at = out.index[out[name].isna().to_numpy()]
        if len(nan_at):
            raise _fail(
                where,
                f"column '{name}' has {len(nan_at)} NaN value(s), first at {_times(nan_at)}",
                f"drop those rows (df.dropna(subset=['{name}'])) or fill them (e.g. df['{name}'].ffill())",
            )


def _check_order(index: pd.DatetimeIndex, where: str) -> None:
    """Bars must be strictly increasing: the engine walks them in order and looks them up by time."""
    steps = np.diff(index.to_numpy())
    back = np.flatnonzero(steps < np.timedelta64(0, "ns"))
    if back.size:
        i = back[0]
        order = f"{index[i + 1]} (data row {i + 2}) comes after {index[i]}"
        raise _fail(where, f"timestamps are not sorted: {order}", 'e.g. df.sort_values("timestamp")')
    repeated = pd.unique(index[np.flatnonzero(steps == np.timedelta64(0, "ns"))])
    if len(repeated):
        raise _fail(
            where,
            f"{len(repeated)} duplicate timestamp(s), first {_times(repeated)}",
            'keep one candle per bar, e.g. df.drop_duplicates("timestamp")',
        )


def _check_values(out: pd.DataFrame, where: str) -> None:
    """Refuse infinite, non-positive or self-contradicting prices, which no market produces."""
    for name in out.columns:
        column = out[name].to_numpy()
        floor_ok = column > 0 if name in PRICE_COLUMNS else column >= 0
        bad = np.flatnonzero(~(np.isfinite(column) & floor_ok))
        if bad.size:
            kind = "a non-positive price" if name in PRICE_COLUMNS else "a negative or infinite value"
            value = f"{_plain(column[bad[0]])!r} at {out.index[bad[0]]}"
            raise _fail(where, f"column '{name}' has {kind}: {value}", "correct or drop that row")
    o, h, lo, c = (out[name].to_numpy() for name in PRICE_COLUMNS)
    too_low_high = h < np.maximum.reduce([o, c, lo]) * (1 - _OHLC_RTOL)
    bad = too_low_high | (lo > np.minimum.reduce([o, c, h]) * (1 + _OHLC_RTOL))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise _fail(
            where,
            f"OHLC inconsistent at {out.index[i]} (open={o[i]}, high={h[i]}, low={lo[i]}, close={c[i]}; high "
            f"must be >= open, close, low and low <= open, close), {int(bad.sum())} row(s) affected",
            "check the column order and the data source",
        )


def _times(stamps: pd.DatetimeIndex) -> str:
    """The first few timestamps of a problem, enough to find it without flooding the terminal."""
    return ", ".join(str(ts) for ts in stamps[:_SHOWN]) + (" ..." if len(stamps) > _SHOWN else "")


def read_candle_file(path: str | Path, *, pair_column: str = "pair") -> dict[str, pd.DataFrame]:
    """Read a CSV (optionally gzipped) or Parquet file into validated candle frames keyed by pair.

    A "long table" with a pair column (``pair_column``, else ``ticker`` or ``symbol`` when the
    default is used) gives one frame per pair value; otherwise the only key is the file stem.
    """
    path = Path(path)
    suffix = next((s for s in FILE_SUFFIXES if path.name.lower().endswith(s)), None)
    if suffix is None:
        raise _fail(path.name, "unsupported candle file extension", f"use {', '.join(FILE_SUFFIXES)}")
    if not path.is_file():
        raise _fail(f"Candle file {path}", "not found", "check the path and the working directory")
    table = _read_table(path, suffix)
    if table.empty:
        raise _fail(path.name, "the file holds no candles", "point at a file with data")
    pair_col = _find_pair_column(table, pair_column, path.name)
    if pair_col is None:
        return {path.name[: -len(suffix)]: validate_candles(table, source=path.name)}
    keys = table[pair_col]
    blank = np.flatnonzero((keys.isna() | (keys.astype(str).str.strip() == "")).to_numpy())
    if blank.size:
        problem = f"column '{pair_col}' is empty in {blank.size} row(s), first data row {blank[0] + 1}"
        raise _fail(path.name, problem, "name the pair on every row")
    frames = {}
    for value, group in table.groupby(pair_col, sort=False):
        pair = str(value).strip()
        frames[pair] = validate_candles(group.drop(columns=pair_col), source=path.name, pair=pair)
    return frames


def _read_table(path: Path, suffix: str) -> pd.DataFrame:
    """Load the raw table, turning every reader failure into a DataError naming the file."""
    try:
        return pd.read_csv(path) if suffix.startswith(".csv") else pd.read_parquet(path)
    except (ValueError, OSError, EOFError, ImportError, pd.errors.ParserError) as exc:
        problem = f"cannot read the file as {suffix.lstrip('.')} ({exc})"
        raise _fail(path.name, problem, "check the file is complete and matches its extension") from exc


def _find_pair_column(table: pd.DataFrame, pair_column: str, name: str) -> object | None:
    """The pair column's real name; an explicitly requested column that is absent is an error."""
    columns = {str(c).strip().lower(): c for c in table.columns}
    if pair_column.lower() in columns:
        return columns[pair_column.lower()]
    if pair_column != "pair":
        found = [str(c) for c in table.columns]
        raise _fail(name, f"pair column '{pair_column}' not found; found {found}", "pass an existing column")
    return next((columns[alias] for alias in PAIR_ALIASES if alias in columns), None)


def infer_time_frame(df: pd.DataFrame) -> pd.Timedelta:
    """The most common bar spacing (ties go to the shorter one), robust to a few gaps."""
    steps = pd.Series(np.diff(df.index.to_numpy()))
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        raise DataError("Cannot infer the time frame: need at least two candles at different times.")
    counts = steps.value_counts()
    return pd.Timedelta(counts[counts == counts.max()].index.min())


def resample_candles(df: pd.DataFrame, time_frame: pd.Timedelta) -> pd.DataFrame:
    """Aggregate to a coarser frame, left-labelled; empty periods are dropped, never invented."""
    target = _as_timedelta(time_frame)
    if len(df) >= 2:
        source = infer_time_frame(df)
        if target < source or target % source != pd.Timedelta(0):
            problem = f"cannot resample to {_describe(target)}, not a whole multiple of the data's time frame"
            raise _fail(f"{_describe(source)} candles", problem, f"load data at {_describe(target)} or finer")
    rules = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    if "liquidity" in df.columns:
        rules["liquidity"] = "last"
    out = df.resample(target, label="left", closed="left", origin="epoch").agg(rules)
    out = out[out["close"].notna()].astype("float64")
    out.index = pd.DatetimeIndex(out.index, name="timestamp").as_unit("ns")
    return out


def find_gaps(df: pd.DataFrame, time_frame: pd.Timedelta) -> list[Gap]:
    """List missing bars, so callers can report them instead of trading through them unknowingly."""
    step = _as_timedelta(time_frame)
    index = df.index
    if len(index) < 2:
        return []
    missing = np.diff(index.to_numpy()) // step.to_timedelta64() - 1
    return [
        Gap(start=index[i] + step, end=index[i] + step * int(missing[i]), missing=int(missing[i]))
        for i in np.flatnonzero(missing > 0)
    ]


def forward_fill_candles(df: pd.DataFrame, time_frame: pd.Timedelta) -> pd.DataFrame:
    """Fill missing bars with flat candles at the previous close and zero volume.

    Only for strategies that ask for it: a flat bar is an assumption, not market data.
    """
    step = _as_timedelta(time_frame)
    if df.empty:
        return df.copy()
    off_grid = (df.index - df.index[0]) % step != pd.Timedelta(0)
    if off_grid.any():
        problem = f"bar {df.index[off_grid][0]} is not on the grid starting at {df.index[0]}"
        raise _fail(f"Forward-fill to {_describe(step)}", problem, "resample first")
    grid = pd.date_range(df.index[0], df.index[-1], freq=step, name="timestamp", unit="ns")
    out = df.reindex(grid)
    filled = ~grid.isin(df.index)
    previous_close = out["close"].ffill()
    for name in PRICE_COLUMNS:
        out.loc[filled, name] = previous_close[filled]
    out.loc[filled, "volume"] = 0.0
    if "liquidity" in out.columns:
        out["liquidity"] = out["liquidity"].ffill()
    return out
