"""The few Uniswap v3 functions this package calls, as ABI fragments and raw call data.

Shipped here rather than read from the npm artifacts (which only a devnet installs): a live
executor needs nothing of v3 but these signatures. Reads go out as raw ``eth_call`` data so that
many of them fit in one JSON-RPC batch (see pool_state.py).
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector


def _function(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str = "view") -> dict:
    return {
        "type": "function", "name": name, "stateMutability": mutability,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": t} for t in outputs],
    }


FACTORY_ABI = [_function("getPool", [("tokenA", "address"), ("tokenB", "address"), ("fee", "uint24")], ["address"])]

POOL_ABI = [
    _function("observe", [("secondsAgos", "uint32[]")], ["int56[]", "uint160[]"]),
    _function("increaseObservationCardinalityNext", [("observationCardinalityNext", "uint16")], [], "nonpayable"),
]

# Read calls: name -> (signature, output types).
POOL_READS = {
    # feeProtocol: Uniswap's is a uint8, PancakeSwap v3's a uint32; a uint32 reads both words (exchanges.py)
    "slot0": ("slot0()", ("uint160", "int24", "uint16", "uint16", "uint16", "uint32", "bool")),
    "liquidity": ("liquidity()", ("uint128",)),
    "fee": ("fee()", ("uint24",)),
    "tickSpacing": ("tickSpacing()", ("int24",)),
    "token0": ("token0()", ("address",)),
    "token1": ("token1()", ("address",)),
    "tickBitmap": ("tickBitmap(int16)", ("uint256",)),
    "ticks": ("ticks(int24)", ("uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool")),
    "observe": ("observe(uint32[])", ("int56[]", "uint160[]")),
    "observations": ("observations(uint256)", ("uint32", "int56", "uint160", "bool")),
}


def call_data(name: str, *args) -> str:
    """0x-hex call data of one of POOL_READS with these arguments."""
    signature, _ = POOL_READS[name]
    argument_types = signature[signature.index("(") + 1 : -1]
    encoded = encode([t for t in argument_types.split(",") if t], list(args)) if argument_types else b""
    return "0x" + (function_signature_to_4byte_selector(signature) + encoded).hex()


def decode_result(name: str, result: str) -> tuple:
    """The decoded outputs of one of POOL_READS from an ``eth_call`` result."""
    return decode(list(POOL_READS[name][1]), bytes.fromhex(result.removeprefix("0x")))
