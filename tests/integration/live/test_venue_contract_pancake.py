"""A few of the venue contract's bodies (test_venue_contract.py, test_venue_contract_recovery.py) on PancakeSwap v3: its own factory and pools on anvil,
through the devnet's SmartRouter stand-in (venues.PancakeSwapV3Venue).

The whole contract runs over Uniswap v2 and v3; PancakeSwap v3 differs from Uniswap v3 in its pools' bytecode
(slot0's uint32 feeProtocol, the Swap event, the callbacks' names, where pools are created) and not in our code
paths, so it gets one body of each kind rather than all sixteen: a manipulation refused before a buy, a front-run
sell that reverts on its minimum out, and a SIGKILL after the broadcast with recovery from the chain.
"""

from __future__ import annotations

import pytest

from trade_executor.devnet.anvil import Anvil

from . import test_venue_contract as contract
from . import test_venue_contract_recovery as recovery
from .conftest import HOT_WALLET_KEY
from .venues import PancakeSwapV3Venue, Venue


@pytest.fixture(scope="module")
def venue_chain() -> Venue:
    """PancakeSwap's devnet in place of conftest's Uniswap ones (conftest's ``venue`` snapshots it around each test)."""
    with Anvil() as anvil:
        yield PancakeSwapV3Venue(anvil, HOT_WALLET_KEY)


def test_a_pump_before_an_opening_buy_sends_no_swap_and_the_next_cycle_buys(venue, tmp_path):
    contract.test_a_one_block_move_before_an_opening_buy_sends_no_swap_and_leaves_no_position(venue, tmp_path, "pump")


def test_a_front_run_sell_reverts_and_the_position_stays_open_for_the_next_cycle(venue, tmp_path):
    contract.test_a_front_run_sell_reverts_and_the_position_stays_open_unfrozen_for_the_next_cycle(venue, tmp_path)


def test_a_kill_after_the_broadcast_loses_nothing_and_trades_nothing_twice(venue, tmp_path):
    recovery.test_a_kill_at_any_step_of_a_trade_loses_nothing_and_trades_nothing_twice(venue, tmp_path, "after_broadcast")
