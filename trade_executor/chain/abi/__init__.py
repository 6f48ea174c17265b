"""Shipped contract ABIs."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

ABI_NAMES = ("UniswapV2Router02", "UniswapV2Factory", "UniswapV2Pair", "ERC20", "WETH9")


@cache
def load_abi(name: str) -> list:
    if name not in ABI_NAMES:
        raise KeyError(f"No shipped ABI {name!r}; have {', '.join(ABI_NAMES)}")
    return json.loads(files(__package__).joinpath(f"{name}.json").read_text())
