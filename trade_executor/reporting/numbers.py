"""Prices and token amounts for people: six significant digits, thousands separated, no exponent.

Display only: the float conversion never reaches a stored value (the CSV writes Decimals exactly).
"""

from __future__ import annotations

import math
from decimal import Decimal

SIGNIFICANT = 6


def format_significant(value: Decimal | float) -> str:
    """``20,000.0``, ``300.508``, ``0.000123450``: the same digits of precision at any magnitude."""
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return f"{number:g}"
    decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(number))))
    return f"{number:,.{decimals}f}"
