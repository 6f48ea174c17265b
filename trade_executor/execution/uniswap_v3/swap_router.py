"""SwapRouter02 calls: one swap as ``multicall(deadline, [exactInputSingle | exactInput])``.

SwapRouter02's swap structs carry no deadline (the v3 periphery's SwapRouter did); its
``multicall(uint256 deadline, bytes[])`` checks one for the whole call, so every swap goes through it
with a finite deadline. One hop is ``exactInputSingle`` (no path to decode), more hops ``exactInput``
with the route's packed path. The price limit is left open (0): ``amountOutMinimum`` is the bound.
"""

from __future__ import annotations

from eth_abi import decode
from web3 import Web3

from trade_executor.execution.uniswap_v3.routing import V3Route


def _tuple(*components: tuple[str, str]) -> dict:
    return {"name": "params", "type": "tuple", "components": [{"name": n, "type": t} for n, t in components]}


SWAP_ROUTER_02_ABI = [
    {
        "type": "function", "name": "exactInputSingle", "stateMutability": "payable", "outputs": [{"name": "amountOut", "type": "uint256"}],
        "inputs": [_tuple(("tokenIn", "address"), ("tokenOut", "address"), ("fee", "uint24"), ("recipient", "address"),
                          ("amountIn", "uint256"), ("amountOutMinimum", "uint256"), ("sqrtPriceLimitX96", "uint160"))],
    },
    {
        "type": "function", "name": "exactInput", "stateMutability": "payable", "outputs": [{"name": "amountOut", "type": "uint256"}],
        "inputs": [_tuple(("path", "bytes"), ("recipient", "address"), ("amountIn", "uint256"), ("amountOutMinimum", "uint256"))],
    },
    {
        "type": "function", "name": "multicall", "stateMutability": "payable", "outputs": [{"name": "results", "type": "bytes[]"}],
        "inputs": [{"name": "deadline", "type": "uint256"}, {"name": "data", "type": "bytes[]"}],
    },
    {"type": "function", "name": "WETH9", "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "address"}]},
]

MULTICALL = "multicall(uint256,bytes[])"
SINGLE_TYPES = "(address,address,uint24,address,uint256,uint256,uint160)"
PATH_TYPES = "(bytes,address,uint256,uint256)"


def swap_call(router, route: V3Route, amount_in: int, minimum_out: int, recipient: str, deadline: int):
    """(the contract call, its name for the trade's record) of an exact-input swap of ``amount_in`` along ``route``."""
    if len(route.hops) == 1:
        (hop,) = route.hops
        name, params = "exactInputSingle", (hop.token_in, hop.token_out, hop.fee, recipient, amount_in, minimum_out, 0)
    else:
        name, params = "exactInput", (route.encoded_path(), recipient, amount_in, minimum_out)
    data = router.encode_abi(name, args=[params])
    return router.get_function_by_signature(MULTICALL)(deadline, [data]), f"multicall({name})"


def decode_swap(transaction_input: bytes) -> tuple[int, str, dict]:
    """(deadline, exactInputSingle or exactInput, its parameters by name) of a signed swap's call data (what a test or a repair reads back)."""
    deadline, (inner,) = decode(["uint256", "bytes[]"], transaction_input[4:])
    single = len(inner) - 4 == 7 * 32
    values = decode([SINGLE_TYPES if single else PATH_TYPES], inner[4:])[0]
    names = ("tokenIn", "tokenOut", "fee", "recipient", "amountIn", "amountOutMinimum", "sqrtPriceLimitX96") if single else ("path", "recipient", "amountIn", "amountOutMinimum")
    params = {name: Web3.to_checksum_address(v) if name in ("tokenIn", "tokenOut", "recipient") else v for name, v in zip(names, values, strict=True)}
    return deadline, "exactInputSingle" if single else "exactInput", params
