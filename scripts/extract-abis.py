"""Copy the ABIs live trading needs from the npm Uniswap v2 packages into the Python package."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "ERC20": "@uniswap/v2-core/build/ERC20.json",
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
}

for name, source in SOURCES.items():
    abi = json.loads((ROOT / "node_modules" / source).read_text())["abi"]
    (ROOT / "trade_executor" / "chain" / "abi" / f"{name}.json").write_text(json.dumps(abi, indent=1, sort_keys=True))
    print(f"{name}: {len(abi)} entries")
