"""The candle contract: time frames, validation errors, file reading, resampling, gaps."""

import gzip

import numpy as np
import pandas as pd
import pytest

from trade_executor.errors import DataError
from trade_executor.market.candles import (
    Gap,
    find_gaps,
    format_time_frame,
    forward_fill_candles,
    infer_time_frame,
    parse_time_frame,
    read_candle_file,
    resample_candles,
    validate_candles,
)

HOUR = pd.Timedelta(hours=1)
T = pd.Timestamp

CSV = """timestamp,open,high,low,close,volume
2020-01-01 00:00:00,100,110,95,105,1
2020-01-01 01:00:00,105,106,100,101,2
2020-01-01 02:00:00,101,120,101,119,3
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def candles(times, closes, **extra):
    """A small consistent candle frame: open = previous close, high/low around both."""
    closes = np.asarray(closes, dtype=float)
    opens = np.concatenate([[closes[0]], closes[:-1]])
    frame = pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) + 1,
            "low": np.minimum(opens, closes) - 1,
            "close": closes,
            "volume": np.arange(1.0, len(closes) + 1),
            **extra,
        },
        index=pd.DatetimeIndex(pd.to_datetime(times), name="timestamp").as_unit("ns"),
    )
    return frame


def raises(tmp_path, name, text, *fragments):
    """Read a bad file and check the message names the file and each fragment."""
    with pytest.raises(DataError) as info:
        read_candle_file(write(tmp_path, name, text))
    message = str(info.value)
    assert name in message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- time frames ---


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1m", 1),
        ("5m", 5),
        ("15m", 15),
        ("30m", 30),
        ("1h", 60),
        ("4h", 240),
        ("1d", 1440),
        ("7d", 10080),
        ("1w", 10080),
        ("90m", 90),
    ],
)
def test_parse_time_frame(text, expected):
    assert parse_time_frame(text) == pd.Timedelta(minutes=expected)


@pytest.mark.parametrize("text", ["", "h", "1", "0h", "1.5h", "1x", "-1h", "1 hour", "1H", "1M"])
def test_parse_time_frame_rejects(text):
    with pytest.raises(DataError, match="<integer><unit>"):
        parse_time_frame(text)


@pytest.mark.parametrize("text", ["1m", "15m", "1h", "4h", "1d", "7d", "90m", "36h"])
def test_format_time_frame_round_trip(text):
    assert format_time_frame(parse_time_frame(text)) == text


def test_seconds_round_trip_and_fractions_or_zero_are_rejected():
    assert parse_time_frame("10s") == pd.Timedelta(seconds=10)
    assert format_time_frame(pd.Timedelta(seconds=30)) == "30s"
    assert format_time_frame(pd.Timedelta(seconds=90)) == "90s"
    with pytest.raises(DataError):
        format_time_frame(pd.Timedelta(milliseconds=1500))
    with pytest.raises(DataError):
        format_time_frame(pd.Timedelta(0))


# --- validation: accepted shapes ---


def test_validate_normalises_column_frame():
    raw = pd.DataFrame(
        {
            "Date": ["2020-01-01 00:00", "2020-01-01 01:00"],
            "OPEN": [1, 2],
            "High": [2, 3],
            "low": [1, 2],
            "Close": [2, 3],
            "extra": ["a", "b"],
        }
    )
    df = validate_candles(raw, source="x.csv")
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert (df.dtypes == "float64").all()
    assert df.index.name == "timestamp" and df.index.dtype == "datetime64[ns]"
    assert list(df.index) == [T("2020-01-01 00:00"), T("2020-01-01 01:00")]
    assert list(df["volume"]) == [0.0, 0.0]


def test_validate_keeps_liquidity_and_accepts_index():
    frame = candles(["2020-01-01 00:00", "2020-01-01 01:00"], [10, 11], liquidity=[5e6, 6e6])
    df = validate_candles(frame, source="mem")
    pd.testing.assert_frame_equal(df, frame)


@pytest.mark.parametrize(
    "values",
    [
        [1577836800, 1577840400],
        [1577836800000, 1577840400000],
        ["2020-01-01T01:00:00+01:00", "2020-01-01T02:00:00+01:00"],
    ],
    ids=["unix-seconds", "unix-ms", "tz-aware"],
)
def test_validate_timestamp_forms(values):
    raw = pd.DataFrame({"open_time": values, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0})
    df = validate_candles(raw, source="x")
    assert list(df.index) == [T("2020-01-01 00:00"), T("2020-01-01 01:00")]
    assert df.index.tz is None and df.index.dtype == "datetime64[ns]"


def test_validate_tz_aware_index_converts_to_naive_utc():
    frame = candles(["2020-01-01 00:00", "2020-01-01 01:00"], [10, 11])
    frame.index = frame.index.tz_localize("Europe/Helsinki")
    df = validate_candles(frame, source="mem")
    assert list(df.index) == [T("2019-12-31 22:00"), T("2019-12-31 23:00")]


# --- validation: errors name the file, pair, column or timestamp ---


def test_missing_columns(tmp_path):
    message = raises(tmp_path, "m.csv", "timestamp,open,high\n2020-01-01,1,1\n", "low, close")
    assert "['timestamp', 'open', 'high']" in message


def test_missing_timestamp(tmp_path):
    raises(tmp_path, "t.csv", "open,high,low,close\n1,1,1,1\n", "timestamp")


def test_unreadable_timestamp(tmp_path):
    raises(tmp_path, "u.csv", CSV.replace("2020-01-01 01:00:00", "yesterday"), "yesterday", "row 2")


def test_non_numeric_price(tmp_path):
    raises(tmp_path, "n.csv", CSV.replace(",106,", ",1O6,"), "'high'", "'1O6'", "2020-01-01 01:00:00")


def test_nan_price(tmp_path):
    message = raises(tmp_path, "nan.csv", CSV.replace(",101,2", ",,2"), "'close'", "2020-01-01 01:00:00")
    assert "1 NaN" in message and "dropna" in message and "ffill" in message


def test_unsorted(tmp_path):
    lines = CSV.splitlines()
    text = "\n".join([lines[0], lines[1], lines[3], lines[2]]) + "\n"
    raises(tmp_path, "s.csv", text, "2020-01-01 01:00:00", "2020-01-01 02:00:00", 'sort_values("timestamp")')


def test_duplicates(tmp_path):
    lines = CSV.splitlines()
    text = "\n".join([lines[0], lines[1], lines[2], lines[2], lines[3]]) + "\n"
    raises(tmp_path, "d.csv", text, "1 duplicate", "2020-01-01 01:00:00")


def test_ohlc_inconsistent(tmp_path):
    raises(
        tmp_path, "o.csv", CSV.replace("101,120,101,119", "101,110,101,119"), "OHLC", "2020-01-01 02:00:00"
    )


def test_low_above_open(tmp_path):
    raises(
        tmp_path, "l.csv", CSV.replace("105,106,100,101", "105,106,104,103"), "OHLC", "2020-01-01 01:00:00"
    )


def test_non_positive_price(tmp_path):
    raises(
        tmp_path,
        "z.csv",
        CSV.replace("100,110,95,105", "0,110,0,105"),
        "'open'",
        "non-positive",
        "2020-01-01 00:00:00",
    )


def test_negative_volume(tmp_path):
    raises(tmp_path, "v.csv", CSV.replace(",105,1\n", ",105,-1\n"), "'volume'", "2020-01-01 00:00:00")


def test_error_names_pair():
    raw = pd.DataFrame(
        {"timestamp": ["2020-01-01"], "open": [1.0], "high": [1.0], "low": [1.0], "close": [np.nan]}
    )
    with pytest.raises(DataError, match=r"f\.csv \(pair ETH-USDC\).*'close'.*2020-01-01"):
        validate_candles(raw, source="f.csv", pair="ETH-USDC")


# --- files ---


def test_read_single_csv_keyed_by_stem(tmp_path):
    data = read_candle_file(write(tmp_path, "eth-usd-1h.csv", CSV))
    assert list(data) == ["eth-usd-1h"]
    df = data["eth-usd-1h"]
    assert list(df["close"]) == [105.0, 101.0, 119.0]
    assert df.index[0] == T("2020-01-01 00:00")


def test_read_gzipped_csv(tmp_path):
    path = tmp_path / "eth-usd-1h.csv.gz"
    path.write_bytes(gzip.compress(CSV.encode()))
    assert list(read_candle_file(path)) == ["eth-usd-1h"]


def test_long_table_splits_by_pair(tmp_path):
    body = CSV.splitlines()[1:]
    text = "Ticker," + CSV.splitlines()[0] + "\n"
    text += "".join(f"ETH-USDC,{line}\n" for line in body)
    text += "".join(f"BTC-USDC,{line.replace(',1', ',9')}\n" for line in body[:2])
    data = read_candle_file(write(tmp_path, "long.csv", text))
    assert list(data) == ["ETH-USDC", "BTC-USDC"]
    assert len(data["ETH-USDC"]) == 3 and len(data["BTC-USDC"]) == 2
    assert "ticker" not in [c.lower() for c in data["ETH-USDC"].columns]
    assert list(data["BTC-USDC"]["volume"]) == [9.0, 2.0]


def test_long_table_error_names_pair(tmp_path):
    text = "pair," + CSV.splitlines()[0] + "\nA,2020-01-01,1,1,1,1,1\nB,2020-01-01,1,1,1,x,1\n"
    raises(tmp_path, "p.csv", text, "pair B", "'close'", "'x'")


def test_unknown_pair_column(tmp_path):
    with pytest.raises(DataError, match="'market' not found"):
        read_candle_file(write(tmp_path, "p.csv", CSV), pair_column="market")


def test_blank_pair_value(tmp_path):
    text = "pair," + CSV.splitlines()[0] + "\nA,2020-01-01,1,1,1,1,1\n,2020-01-02,1,1,1,1,1\n"
    raises(tmp_path, "b.csv", text, "'pair'", "row 2")


def test_parquet_round_trip(tmp_path):
    frame = candles(
        ["2020-01-01 00:00", "2020-01-01 01:00", "2020-01-01 03:00"], [10, 11, 12], liquidity=[1e6, 2e6, 3e6]
    )
    frame.to_parquet(tmp_path / "eth.parquet")
    pd.testing.assert_frame_equal(read_candle_file(tmp_path / "eth.parquet")["eth"], frame)


def test_parquet_long_table(tmp_path):
    frame = candles(["2020-01-01 00:00", "2020-01-01 01:00"], [10, 11])
    long = pd.concat([frame.assign(symbol="A"), frame.assign(symbol="B")]).reset_index()
    long.to_parquet(tmp_path / "long.pq")
    data = read_candle_file(tmp_path / "long.pq")
    assert list(data) == ["A", "B"]
    pd.testing.assert_frame_equal(data["B"], frame)


def test_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"prices\.json.*extension"):
        read_candle_file(write(tmp_path, "prices.json", "{}"))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        read_candle_file(tmp_path / "nope.csv")
    assert str(tmp_path / "nope.csv") in str(info.value)


def test_corrupt_and_empty_files(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet"):
        read_candle_file(tmp_path / "bad.parquet")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match=r"bad\.csv\.gz"):
        read_candle_file(tmp_path / "bad.csv.gz")
    with pytest.raises(DataError, match=r"empty\.csv"):
        read_candle_file(write(tmp_path, "empty.csv", "timestamp,open,high,low,close\n"))


# --- time-frame operations ---


def day_frame():
    """Two days of hourly bars; day 2 has only two bars and day 3 none, day 4 one bar."""
    times = [
        "2020-01-01 00:00",
        "2020-01-01 01:00",
        "2020-01-01 23:00",
        "2020-01-02 05:00",
        "2020-01-02 06:00",
        "2020-01-04 00:00",
    ]
    frame = candles(times, [10, 12, 11, 20, 18, 30], liquidity=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    frame.loc[T("2020-01-01 01:00"), "high"] = 50.0
    return frame


def test_resample_hourly_to_daily_exact():
    out = resample_candles(day_frame(), pd.Timedelta(days=1))
    expected = pd.DataFrame(
        {
            "open": [10.0, 11.0, 18.0],
            "high": [50.0, 21.0, 31.0],
            "low": [9.0, 10.0, 17.0],
            "close": [11.0, 18.0, 30.0],
            "volume": [6.0, 9.0, 6.0],
            "liquidity": [3.0, 5.0, 6.0],
        },
        index=pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-04"], name="timestamp").as_unit("ns"),
    )
    pd.testing.assert_frame_equal(out, expected)


def test_resample_refuses_finer_and_misaligned():
    with pytest.raises(DataError, match="1h.*30m"):
        resample_candles(day_frame(), pd.Timedelta(minutes=30))
    with pytest.raises(DataError, match="90m"):
        resample_candles(day_frame(), pd.Timedelta(minutes=90))


def test_resample_accepts_text_and_same_frame():
    frame = day_frame()
    pd.testing.assert_frame_equal(resample_candles(frame, "1h"), frame)


def test_infer_time_frame():
    assert infer_time_frame(day_frame()) == HOUR
    with pytest.raises(DataError):
        infer_time_frame(day_frame().iloc[:1])


def test_find_gaps():
    assert find_gaps(day_frame(), HOUR) == [
        Gap(T("2020-01-01 02:00"), T("2020-01-01 22:00"), 21),
        Gap(T("2020-01-02 00:00"), T("2020-01-02 04:00"), 5),
        Gap(T("2020-01-02 07:00"), T("2020-01-03 23:00"), 41),
    ]
    assert find_gaps(day_frame().iloc[:2], HOUR) == []
    assert find_gaps(day_frame().iloc[:0], HOUR) == []


def test_gap_is_frozen():
    gap = Gap(T("2020-01-01"), T("2020-01-01"), 1)
    with pytest.raises(AttributeError):
        gap.missing = 2


def test_forward_fill():
    frame = candles(["2020-01-01 00:00", "2020-01-01 03:00"], [10, 12], liquidity=[1.0, 2.0])
    out = forward_fill_candles(frame, HOUR)
    assert list(out.index) == list(pd.date_range("2020-01-01", periods=4, freq="h"))
    assert out.index.name == "timestamp" and out.index.dtype == "datetime64[ns]"
    filled = out.loc["2020-01-01 01:00"]
    assert list(filled) == [10.0, 10.0, 10.0, 10.0, 0.0, 1.0]
    pd.testing.assert_frame_equal(out.loc[frame.index], frame)
    assert find_gaps(out, HOUR) == []


def test_forward_fill_refuses_off_grid():
    frame = candles(["2020-01-01 00:00", "2020-01-01 01:30"], [10, 12])
    with pytest.raises(DataError, match="01:30"):
        forward_fill_candles(frame, HOUR)


def test_validated_candles_share_memory_but_never_a_later_write():
    """Float columns are not copied (a million rows), yet a write to either frame afterwards stays in that frame."""
    frame = pd.DataFrame(
        {"open": [1.0, 2.0], "high": [1.5, 2.5], "low": [0.5, 1.5], "close": [1.2, 2.2], "volume": [1.0, 1.0]},
        index=pd.date_range("2021-01-01", periods=2, freq="1h"),
    )
    candles = validate_candles(frame, source="test")
    assert np.shares_memory(candles["open"].to_numpy(), frame["open"].to_numpy())
    frame.loc[frame.index[0], "open"] = 100.0
    candles.loc[candles.index[1], "close"] = 100.0
    assert (candles["open"].iloc[0], frame["close"].iloc[1]) == (1.0, 2.2)
