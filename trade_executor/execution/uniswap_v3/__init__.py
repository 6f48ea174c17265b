"""Uniswap v3 live side: routes through the factory's pools, exact quotes from pool state, the pool's own oracle."""
