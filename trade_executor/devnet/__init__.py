"""A local chain for tests and demos: anvil, Uniswap v2, tokens, and a market simulator."""
