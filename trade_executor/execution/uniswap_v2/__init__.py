"""Live execution on Uniswap v2 compatible exchanges: routing, quoting, swaps, recovery."""
