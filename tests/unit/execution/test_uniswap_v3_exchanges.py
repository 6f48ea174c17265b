"""PancakeSwap v3 and other Uniswap v3 forks: slot0 of either shape, and the UNISWAP_V3_* settings' checks and messages."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_abi.exceptions import NonEmptyPaddingBytes

from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v3.abi import decode_result
from trade_executor.execution.uniswap_v3.exchanges import PANCAKESWAP_V3, UNISWAP_V3, check_v3_settings, v3_exchange
from trade_executor.execution.uniswap_v3.pool_download import (
    PANCAKESWAP_SWAP_V3_TOPIC,
    SWAP_V3_TOPIC,
    V3PoolDownloader,
    decode_v3_log,
)
from trade_executor.market.pool_history import PoolEvents

FACTORY = "0x0BFbCF9fa4f9C56B0F40a671Ad40E0805A091865"
ROUTER = "0x13f4EA83D0bd40E75C8222255bc855a974568Dd4"
SQRT_PRICE = 3961408125713216879677197516800  # any uint160
SLOT0_TYPES = ["uint160", "int24", "uint16", "uint16", "uint16", "uint32", "bool"]


def _slot0(fee_protocol: int) -> str:
    return "0x" + encode(SLOT0_TYPES, [SQRT_PRICE, -201_234, 7, 500, 500, fee_protocol, True]).hex()


def test_slot0_of_a_pancakeswap_pool_reads_its_uint32_fee_protocol_and_uniswap_s_uint8_one_the_same_way():
    pancake = (3200 << 16) | 3200  # PancakeSwap packs the two tokens' protocol fee shares in 16 bits each
    assert decode_result("slot0", _slot0(pancake)) == (SQRT_PRICE, -201_234, 7, 500, 500, pancake, True)
    assert decode_result("slot0", _slot0(4 | 4 << 4)) == (SQRT_PRICE, -201_234, 7, 500, 500, 68, True)
    with pytest.raises(NonEmptyPaddingBytes):  # what the uint8 reading did on every PancakeSwap pool
        decode(["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"], bytes.fromhex(_slot0(pancake)[2:]))


def test_known_exchanges_and_an_unknown_fork_take_uniswap_s_contract_names():
    assert v3_exchange("pancakeswap-v3") is PANCAKESWAP_V3 and v3_exchange("Uniswap-V3") is UNISWAP_V3
    fork = v3_exchange("sushiswap-v3")
    assert (fork.slug, fork.factory, fork.router) == ("sushiswap-v3", "UniswapV3Factory", "SwapRouter02")
    with pytest.raises(ConfigurationError, match=r"'pancakeswap-v2' is not a concentrated-liquidity \(v3\) exchange: .*\(known: uniswap-v3, pancakeswap-v3\)"):
        v3_exchange("pancakeswap-v2")


def test_missing_pancakeswap_settings_say_which_pancakeswap_contract_each_holds():
    with pytest.raises(ConfigurationError) as error:
        check_v3_settings("pancakeswap-v3", None, ROUTER)
    message = str(error.value)
    assert message.startswith("The strategy trades on PancakeSwap v3 (pancakeswap-v3), which needs UNISWAP_V3_FACTORY: ")
    assert "UNISWAP_V3_FACTORY (its PancakeV3Factory, not the PancakeV3PoolDeployer)" in message
    assert "UNISWAP_V3_SWAP_ROUTER_02 (its SmartRouter, not the v3-periphery SwapRouter (its structs carry the deadline))" in message
    with pytest.raises(ConfigurationError, match="which needs UNISWAP_V3_FACTORY, UNISWAP_V3_SWAP_ROUTER_02: .*its UniswapV3Factory"):
        check_v3_settings("uniswap-v3", "", None)


def test_a_setting_that_is_not_an_address_is_refused_with_what_it_holds():
    with pytest.raises(ConfigurationError, match=r"UNISWAP_V3_SWAP_ROUTER_02='SmartRouter' is not an address: it holds PancakeSwap v3's SmartRouter"):
        check_v3_settings("pancakeswap-v3", FACTORY, "SmartRouter")
    assert check_v3_settings("pancakeswap-v3", FACTORY, ROUTER) is PANCAKESWAP_V3


def test_a_pancakeswap_swap_log_is_downloaded_as_the_uniswap_one_with_its_protocol_fees_left_out():
    """PancakeSwap v3's Swap event adds protocolFeesToken0/1: another topic (read too), the same first five words."""
    assert PANCAKESWAP_SWAP_V3_TOPIC == "0x19b47279256b2a23a1665c810c8d55a1758940ee09377d4f8d26497a3577dc83"
    assert set(V3PoolDownloader.move_topics) == {SWAP_V3_TOPIC, PANCAKESWAP_SWAP_V3_TOPIC} <= set(V3PoolDownloader.topics)
    swap = [10**18, -2500 * 10**6, SQRT_PRICE, 10**15, -198_000]
    owner = "0x" + "00" * 12 + "44" * 20
    uniswap, pancake = PoolEvents(), PoolEvents()
    for events, topic, data in ((uniswap, SWAP_V3_TOPIC, encode(["int256", "int256", "uint160", "uint128", "int24"], swap)),
                                (pancake, PANCAKESWAP_SWAP_V3_TOPIC, encode(["int256", "int256", "uint160", "uint128", "int24", "uint128", "uint128"], [*swap, 7, 0]))):
        decode_v3_log({"topics": [topic, owner, owner], "data": "0x" + data.hex(), "blockNumber": "0xa", "logIndex": "0x0"}, events, 1_700_000_000)
    assert pancake.v3_swap == uniswap.v3_swap and len(uniswap) == 1 and uniswap.v3_swap["block"] == [10]
