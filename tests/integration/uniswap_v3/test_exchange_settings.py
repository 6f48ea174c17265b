"""The router check a v3 venue makes at start, against the real SwapRouter02 and QuoterV2 on anvil.

A fork's settings are addresses only (exchanges.py): a router of the other shape, or one built for
another deployment's factory, is refused before anything is signed. QuoterV2 stands in for a router
of the other shape (it answers ``factory()`` but not SwapRouter02's ``factoryV2()``, as the
PancakeSwap v3-periphery SwapRouter does not).
"""

from __future__ import annotations

import pytest

from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v3.exchanges import PANCAKESWAP_V3, UNISWAP_V3, check_router


def test_the_devnet_s_swap_router_02_is_accepted_with_its_factory(web3, v3):
    check_router(web3, UNISWAP_V3, v3.factory, v3.swap_router02)


def test_a_router_without_factory_v2_is_refused_naming_the_smart_router(web3, v3):
    with pytest.raises(ConfigurationError) as error:
        check_router(web3, PANCAKESWAP_V3, v3.factory, v3.quoter_v2)
    assert str(error.value).startswith(
        f"UNISWAP_V3_SWAP_ROUTER_02={v3.quoter_v2} does not answer factory() and factoryV2(), so it is not PancakeSwap v3's SmartRouter "
        "(perhaps the v3-periphery SwapRouter (its structs carry the deadline)): swaps are sent as multicall(deadline, [exactInputSingle | exactInput])."
    )


def test_an_address_without_code_is_refused(web3, v3):
    with pytest.raises(ConfigurationError, match="is not Uniswap v3's SwapRouter02"):
        check_router(web3, UNISWAP_V3, v3.factory, "0x000000000000000000000000000000000000dEaD")


def test_a_router_of_another_factory_is_refused_naming_both(web3, v3):
    other = v3.position_manager  # any address but the router's factory, as a PoolDeployer given for the factory would be
    with pytest.raises(ConfigurationError) as error:
        check_router(web3, PANCAKESWAP_V3, other, v3.swap_router02)
    assert str(error.value) == (
        f"UNISWAP_V3_SWAP_ROUTER_02={v3.swap_router02} swaps through the pools of factory {v3.factory}, but UNISWAP_V3_FACTORY={other}: "
        "give the PancakeV3Factory and SmartRouter of one deployment of PancakeSwap v3 (the factory, not the PancakeV3PoolDeployer)."
    )
