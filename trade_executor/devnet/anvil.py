"""A local anvil devnet on 127.0.0.1 (the process itself: chain/anvil.py).

anvil comes from the npm package @foundry-rs/anvil-linux-amd64 (``./scripts/setup.sh``
installs it into node_modules/.bin); ``ANVIL_PATH`` or an anvil on PATH also work.
"""

from __future__ import annotations

from pathlib import Path

from trade_executor.chain.anvil import REPO_ROOT, AnvilProcess, find_anvil, free_port

__all__ = ["ANVIL_CHAIN_ID", "ANVIL_PRIVATE_KEYS", "REPO_ROOT", "Anvil", "find_anvil", "free_port"]

# anvil's default accounts (from the public "test test ... junk" mnemonic): for local chains only.
ANVIL_PRIVATE_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
)
ANVIL_CHAIN_ID = 31337


class Anvil(AnvilProcess):
    """A running anvil; use as a context manager so it always stops."""

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = ANVIL_CHAIN_ID,
        timestamp: int | None = None,
        block_time: float | None = None,
        state_path: Path | None = None,
        balance: int | None = None,
        new_session: bool = False,
        base_fee: int | None = None,
        load_state: Path | None = None,
        long_history: bool = False,
    ):
        """``balance``: each dev account's starting balance in ETH (anvil's default is 10,000).
        ``new_session``: run anvil in its own process session, so a Ctrl-C in the terminal reaches only
        us and we stop anvil in order (the devnet command), instead of both at once.
        ``load_state``: a JSON state file (``anvil_dumpState``, gunzipped) to start from; unlike the
        ``anvil_loadState`` call it takes hundreds of megabytes (anvil refuses request bodies that big).
        ``long_history``: settings for chains of hundreds of thousands of blocks. anvil 1.7 keeps a
        state snapshot per block and, from Prague on, rebuilds the growing EIP-2935 block-hash
        history storage each block, so mining slows with the chain's height (10,000 blocks took
        98 s at block 10,000); without past states and on Cancun it mines 200,000 blocks in 5 s.
        Calls at past blocks then fail: only the latest state is kept."""
        self.chain_id = chain_id
        args = ["--chain-id", str(chain_id)]
        if timestamp is not None:
            args += ["--timestamp", str(timestamp)]
        if block_time is not None:
            args += ["--block-time", str(block_time)]
        if state_path is not None:
            args += ["--state", str(state_path)]
        if base_fee is not None:
            args += ["--block-base-fee-per-gas", str(base_fee)]
        if balance is not None:
            args += ["--balance", str(balance)]
        if load_state is not None:
            args += ["--load-state", str(load_state)]
        if long_history:
            args += ["--hardfork", "cancun", "--prune-history"]
        super().__init__(args, port=port, ready_timeout=120.0 if load_state is not None else 15.0, new_session=new_session)  # a long history takes seconds to load

    def __enter__(self) -> Anvil:
        return self
