"""Dates typed by people: ISO 8601 only (2018-06-01, 2018-06-01 12:00), because 01/06/2018 is two dates.

pandas reads ``01/06/2018`` as 6 January without a word, while half the world meant 1 June. Only
the year-first form has one reading, so options, environment variables and strategy parameters
accept only that, and refuse anything else naming both readings of an ambiguous date.
"""

from __future__ import annotations

import datetime
import re

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
EXAMPLE = "2018-06-01 (or 2018-06-01 12:00)"


def iso_date_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a date (None: nothing), with each reading of an ambiguous one."""
    value = text.strip()
    if ISO_DATE.fullmatch(value):
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "is not a real date or time"
        return None
    found = DAY_MONTH_YEAR.fullmatch(value)
    if not found:
        return "is not a date in year-month-day form"
    first, second, year = (int(part) for part in found.groups())
    day_first = _date(year, second, first)
    month_first = _date(year, first, second)
    if day_first and month_first and day_first != month_first:
        return f"is ambiguous: day first it is {day_first}, month first {month_first}"
    if day_first or month_first:
        return f"is not in year-month-day form (it can only be {day_first or month_first})"
    return "is not a real date"


def _date(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_iso_date(text: str, name: str):
    """A naive UTC ``pandas.Timestamp`` from an ISO date; a ConfigurationError naming ``name`` and the fix otherwise."""
    import pandas as pd

    from trade_executor.errors import ConfigurationError

    problem = iso_date_problem(text)
    if problem:
        raise ConfigurationError(f"{name}={text!r} {problem}. Fix: write the date as YYYY-MM-DD, e.g. {name}={EXAMPLE}.")
    stamp = pd.Timestamp(text.strip())
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
