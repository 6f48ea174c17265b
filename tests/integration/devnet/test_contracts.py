"""The devnet's contracts: each committed artifact is what its source compiles to; MintableERC20 behaves as an ERC20."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import load_token_artifact
from trade_executor.errors import TransactionRejected

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "trade_executor" / "devnet" / "artifacts"
CONTRACTS = ("MintableERC20", "SwapChurner", "PancakeV3PoolDeployer", "DevnetSmartRouter", "DevnetPancakeV3Minter")


def test_rebuilding_the_contracts_gives_the_committed_artifacts(tmp_path):
    subprocess.run([str(REPO / "scripts" / "build-contracts.sh"), str(tmp_path)], check=True, capture_output=True, timeout=120)
    for name in CONTRACTS:
        rebuilt = json.loads((tmp_path / f"{name}.json").read_text())
        committed = json.loads((ARTIFACTS / f"{name}.json").read_text())
        assert rebuilt["bytecode"] == committed["bytecode"], name
        assert rebuilt == committed, name
        assert committed["compiler"].startswith("solc 0.8.37+commit.") and "optimizer 200 runs" in committed["compiler"]
    assert sorted(p.stem for p in (REPO / "contracts").glob("*.sol")) == sorted(CONTRACTS)  # every contract is built and checked


@pytest.fixture(scope="module")
def token(web3, deployer):
    artifact = load_token_artifact()
    builder = TransactionBuilder(web3, deployer)
    signed = builder.sign_deployment(web3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"]), "Test Token", "TST", 8)
    receipt = send_and_wait(web3, signed)
    return web3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def _send(web3, wallet, function):
    return send_and_wait(web3, TransactionBuilder(web3, wallet).sign_call(function, gas=200_000))


def test_token_metadata_and_owner(token, deployer):
    assert (token.functions.name().call(), token.functions.symbol().call(), token.functions.decimals().call()) == ("Test Token", "TST", 8)
    assert token.functions.owner().call() == deployer.address


def test_only_the_owner_mints(web3, token, deployer):
    other = HotWallet(ANVIL_PRIVATE_KEYS[1])
    supply = token.functions.totalSupply().call()
    receipt = _send(web3, deployer, token.functions.mint(other.address, 500))
    assert token.functions.balanceOf(other.address).call() == 500
    assert token.functions.totalSupply().call() == supply + 500
    [event] = token.events.Transfer().process_receipt(receipt)
    assert (event.args["from"], event.args["to"], event.args["value"]) == ("0x" + "00" * 20, other.address, 500)
    with pytest.raises(TransactionRejected):
        _send(web3, other, token.functions.mint(other.address, 1))
    assert token.functions.balanceOf(other.address).call() == 500


def test_transfer_approve_transfer_from(web3, token, deployer):
    alice, bob = HotWallet(ANVIL_PRIVATE_KEYS[2]), HotWallet(ANVIL_PRIVATE_KEYS[3])
    _send(web3, deployer, token.functions.mint(alice.address, 1_000))
    _send(web3, alice, token.functions.transfer(bob.address, 300))
    assert token.functions.balanceOf(alice.address).call() == 700
    assert token.functions.balanceOf(bob.address).call() == 300
    with pytest.raises(TransactionRejected):
        _send(web3, alice, token.functions.transfer(bob.address, 701))
    receipt = _send(web3, alice, token.functions.approve(bob.address, 200))
    [approval] = token.events.Approval().process_receipt(receipt)
    assert (approval.args["owner"], approval.args["spender"], approval.args["value"]) == (alice.address, bob.address, 200)
    _send(web3, bob, token.functions.transferFrom(alice.address, bob.address, 150))
    assert token.functions.allowance(alice.address, bob.address).call() == 50
    assert token.functions.balanceOf(bob.address).call() == 450
    with pytest.raises(TransactionRejected):
        _send(web3, bob, token.functions.transferFrom(alice.address, bob.address, 51))
