"""A state/chain mismatch has a way out: check-accounts shows it, correct-accounts books it, start trades again.

Outside changes the treasury sync does not absorb (it books the reserve token's Transfer events):
WETH sent to the hot wallet while a position is open, WETH moved out of it by hand, USDC that
arrived without a Transfer event (anvil's dealERC20, as a rebasing or non-standard token would),
WETH arriving when no position holds it. All through the real CLI on anvil.
"""

from decimal import Decimal

from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
from trade_executor.devnet.deploy import load_uniswap_artifact
from trade_executor.state import BalanceUpdateCause, JSONFileStore
from trade_executor.state.lock import lock_state_file

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import live_env, swaps_on_chain
from .test_operator_commands import run

OUTSIDER_KEY = ANVIL_PRIVATE_KEYS[4]
WEI = 10**18


def send_weth(deployment, key: str, to: str, amount: Decimal, *, wrap: bool) -> None:
    """A transfer of WETH the executor did not make: ``wrap`` first turns the sender's ETH into WETH."""
    web3 = create_web3(deployment.url)
    builder = TransactionBuilder(web3, HotWallet(key))
    weth = web3.eth.contract(address=deployment.weth, abi=load_uniswap_artifact("WETH9")["abi"])
    units = int(amount * WEI)
    if wrap:
        send_and_wait(web3, builder.sign_call(weth.functions.deposit(), value=units))
    send_and_wait(web3, builder.sign_call(weth.functions.transfer(to, units)))


def test_weth_sent_to_the_wallet_stops_start_until_correct_accounts_books_it(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)
    assert run(env, "start").returncode == 0  # the alternating strategy buys ETH
    wallet = JSONFileStore(state_file).load().live.hot_wallet
    held = JSONFileStore(state_file).load().portfolio.open_positions[1].get_quantity()
    send_weth(deployment, OUTSIDER_KEY, wallet, Decimal("0.5"), wrap=True)

    stopped = run(env, "start")
    assert stopped.returncode == 1
    assert swaps_on_chain(deployment, wallet) == 1  # nothing traded on wrong books

    checked = run(env, "check-accounts")
    assert checked.returncode == 1, checked.stderr
    eth_row = next(line for line in checked.stdout.splitlines() if line.split()[:1] == ["ETH"])
    assert eth_row.split() == ["ETH", "position", "#1", f"{held:f}", f"{held + Decimal('0.5'):f}", "+0.500000000000000000", "<-", "differs"]
    usdc_row = next(line for line in checked.stdout.splitlines() if line.split()[:1] == ["USDC"])
    assert usdc_row.split()[-1] == "+0.000000"  # the reserve matches
    assert "correct-accounts" in checked.stderr
    assert "check-accounts" in stopped.stderr and "correct-accounts" in stopped.stderr and "repair" not in stopped.stderr

    repaired = run(env, "repair")  # the old advice: it now says that a repair cannot fix this, and what can
    assert repaired.returncode == 1
    assert "correct-accounts" in repaired.stderr

    with lock_state_file(state_file, "trade-executor start"):  # as if an executor were running
        assert run(env, "check-accounts").returncode == 1  # a check reads beside it
        beside = run(env, "correct-accounts", "--yes", "--note", "ops: 0.5 WETH sent by hand")
        assert beside.returncode == 2 and "in use by trade-executor start" in beside.stderr  # a correction does not

    before = state_file.read_bytes()
    refused = run(env, "correct-accounts", "--note", "ops: 0.5 WETH sent by hand")  # a pipe, no --yes
    assert refused.returncode == 2
    assert "no terminal" in refused.stderr and "--yes" in refused.stderr
    assert state_file.read_bytes() == before  # nothing written

    corrected = run(env, "correct-accounts", "--yes", "--note", "ops: 0.5 WETH sent by hand")
    assert corrected.returncode == 0, corrected.stderr
    assert "Recorded balance update #2: +0.500000000000000000 ETH (position #1, correction)" in corrected.stdout
    position = JSONFileStore(state_file).load().portfolio.open_positions[1]
    (update,) = position.balance_updates.values()
    assert (update.cause, update.quantity, update.position_id) == (BalanceUpdateCause.correction, Decimal("0.5"), 1)
    assert update.notes.startswith("ops: 0.5 WETH sent by hand (correct-accounts at ") and update.block_number is not None
    assert position.get_quantity() == held + Decimal("0.5")

    assert run(env, "check-accounts").returncode == 0

    traded = run(env, "start")  # trades again: the sell takes the corrected quantity
    assert traded.returncode == 0, traded.stderr
    state = JSONFileStore(state_file).load()
    assert not state.portfolio.open_positions
    assert -state.portfolio.closed_positions[1].trades[2].executed_quantity == held + Decimal("0.5")
    assert swaps_on_chain(deployment, wallet) == 2


def test_weth_moved_out_and_usdc_without_a_transfer_event_are_corrected_and_a_stray_token_stays_outside_the_books(anvil, deployment, strategy_file, tmp_path):
    state_file = tmp_path / "s.json"
    env = live_env(deployment, strategy_file, state_file)
    assert run(env, "start").returncode == 0
    wallet = JSONFileStore(state_file).load().live.hot_wallet
    held = JSONFileStore(state_file).load().portfolio.open_positions[1].get_quantity()
    send_weth(deployment, HOT_WALLET_KEY, HotWallet(OUTSIDER_KEY).address, Decimal(1), wrap=False)  # the operator moved 1 WETH out
    cash = JSONFileStore(state_file).load().portfolio.get_cash()
    anvil.rpc("anvil_dealERC20", wallet, deployment.usdc, hex(int((cash + 100) * 10**6)))  # 100 USDC with no Transfer event to sync

    stopped = run(env, "start")
    assert stopped.returncode == 1

    note = "--note=bob: 1 WETH to cold storage"
    corrected = run(env, "correct-accounts", "--yes", note)
    assert corrected.returncode == 0, corrected.stderr
    assert "correct-accounts" in stopped.stderr
    assert "-1.000000000000000000 ETH (position #1, correction)" in corrected.stdout
    assert "+100.000000 USDC (reserve, correction)" in corrected.stdout
    portfolio = JSONFileStore(state_file).load().portfolio
    assert portfolio.open_positions[1].get_quantity() == held - 1
    reserve_update = portfolio.balance_updates[-1]
    assert (reserve_update.cause, reserve_update.quantity, portfolio.get_cash()) == (BalanceUpdateCause.correction, Decimal(100), cash + 100)
    assert reserve_update.notes.startswith("bob: 1 WETH to cold storage (correct-accounts at ")

    assert run(env, "start").returncode == 0  # sells what is left
    assert not JSONFileStore(state_file).load().portfolio.open_positions

    send_weth(deployment, OUTSIDER_KEY, wallet, Decimal("0.25"), wrap=True)  # no position holds WETH now
    checked = run(env, "check-accounts")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Outside the books: 0.250000000000000000 ETH no position holds" in checked.stdout
    unchanged = run(env, "correct-accounts", "--yes", note)
    assert unchanged.returncode == 0 and "Nothing to correct" in unchanged.stdout
    portfolio = JSONFileStore(state_file).load().portfolio
    assert len(portfolio.closed_positions[1].balance_updates) == 1 and portfolio.balance_updates[-1] == reserve_update  # the stray token was not booked
