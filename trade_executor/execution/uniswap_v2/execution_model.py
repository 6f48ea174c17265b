"""Swap on Uniswap v2 from the hot wallet, so that no decision trades twice and none is lost.

For each trade: check it against the safety rules (guards.py: the spot against the reference
price, its own price impact, a minimum out from the reference), sign, **save the state with the
signed transaction**, run it as an eth_call (one that would revert now is failed, never sent:
chain/precheck.py), broadcast, save, confirm, read the fill from the receipt, save. A crash at
any point leaves in state what a restart needs to find the transaction on chain (see recovery.py)
instead of trading again. A trade that moved no tokens (refused before signing, reverted) is
recorded apart and leaves its position as it was; only a fill the chain leaves unclear freezes it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.precheck import known_to_node, revert_message, revert_of
from trade_executor.chain.transactions import (
    SWAP_GAS_HEADROOM_PER_POOL,
    TransactionBuilder,
    broadcast,
    cancel_nonce,
    send_and_wait,
    wait_for_receipt,
)
from trade_executor.errors import TransactionRejected, TransactionUnresolved
from trade_executor.execution.guards import DEFAULT_MAX_PRICE_DEVIATION, SwapCheck, check_swap, realised_price_impact
from trade_executor.execution.uniswap_v2.live_pricing import UniswapV2LivePricing
from trade_executor.execution.uniswap_v2.receipts import read_swap
from trade_executor.execution.uniswap_v2.routing import Route, UniswapV2Routing
from trade_executor.failpoints import crash_point
from trade_executor.money import quantize_up, to_units
from trade_executor.state import BlockchainTransaction, Portfolio, State, TradeExecution, TradeStatus

logger = logging.getLogger(__name__)

MAX_UINT = 2**256 - 1
ONE = Decimal(1)
NOT_SENT = "not sent: the signed swap would revert at block {block} (checked with eth_call; no gas spent, nonce {nonce} left for the next transaction)"
NO_REFERENCE = (
    "no manipulation-resistant reference price for {ticker} yet (the pool's TWAP needs a few minutes of chain time, "
    "and no closed candle is there to fall back on): not sent, the next cycle or trigger check decides again"
)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _side(trade: TradeExecution) -> str:
    return "buy" if trade.is_buy else "sell"


def describe_fill(trade: TradeExecution) -> str:
    """The one log line of a settled trade: what moved, at what price, what it cost, where to look on chain."""
    reserve, base, tx = trade.reserve_currency.token_symbol, trade.pair.base.token_symbol, trade.blockchain_transactions[-1]
    return (
        f"Trade #{trade.trade_id} {_side(trade)} {trade.pair.ticker}: {abs(trade.executed_quantity):f} {base} at {trade.executed_price:.10g} {reserve} "
        f"for {trade.executed_reserve:f} {reserve}; fees: LP {trade.lp_fees_paid:f} {reserve}, gas {trade.gas_cost_native:f} native "
        f"({trade.gas_cost_usd:f} {reserve}); tx {tx.tx_hash} in block {tx.block_number}"
    )


def check_trade(trade: TradeExecution, route: Route, amount_in: int, hops: list[tuple[int, int]], pricing: UniswapV2LivePricing, fee: Decimal, rules) -> SwapCheck:
    """guards.check_swap for a trade along ``route`` with these ``hops`` (reserve in, reserve out) and the route's reference price.

    ``rules`` carries ``slippage_tolerance``, ``max_price_deviation`` and ``max_price_impact`` (an execution model).
    Records the spot and reference on the trade; without a reference a swap is refused (NO_REFERENCE).
    """
    pair = trade.pair
    reference = pricing.reference(route, pair)
    if reference is None:
        reference_hops, source = tuple(Fraction(r_in, r_out) for r_in, r_out in hops), "none"
    else:
        reference_hops, source = reference.hop_prices, reference.source
    check = check_swap(
        ticker=pair.ticker, amount_in=amount_in, hops=hops, reference_hops=reference_hops, reference_source=source,
        quote_in=trade.is_buy, price_scale=Fraction(10) ** (pair.base.decimals - pair.quote.decimals), fee=fee,
        slippage_tolerance=rules.slippage_tolerance, max_price_deviation=rules.max_price_deviation, max_price_impact=rules.max_price_impact,
    )
    trade.spot_price, trade.reference_price = check.spot_price, check.reference_price if reference is not None else None
    if reference is None and check.refusal is None:
        return SwapCheck(check.minimum_out, check.quote_out, check.spot_price, check.spot_price, check.impact, NO_REFERENCE.format(ticker=pair.ticker))
    return check


class UniswapV2ExecutionModel:
    """``save_state`` is called at each step that must survive a crash; it must save atomically.

    ``pricing`` gives each route's reference price; ``max_price_deviation`` and ``max_price_impact``
    (None: off) are the rules of guards.py.
    """

    def __init__(
        self,
        web3: Web3,
        builder: TransactionBuilder,
        routing: UniswapV2Routing,
        save_state: Callable[[], None],
        *,
        pricing: UniswapV2LivePricing,
        confirmations: int = 1,
        confirmation_timeout: float = 60.0,
        slippage_tolerance: Decimal = Decimal("0.005"),
        max_price_deviation: Decimal | None = DEFAULT_MAX_PRICE_DEVIATION,
        max_price_impact: Decimal | None = None,
        deadline_seconds: int = 300,
        native_price: Callable[[], Decimal | None] = lambda: None,
        clock: Callable[[], datetime.datetime] = now,
    ):
        self.web3 = web3
        self.builder = builder
        self.routing = routing
        self.save_state = save_state
        self.pricing = pricing
        self.confirmations = confirmations
        self.confirmation_timeout = confirmation_timeout
        self.slippage_tolerance = slippage_tolerance
        self.max_price_deviation = max_price_deviation
        self.max_price_impact = max_price_impact
        self.deadline_seconds = deadline_seconds
        self.native_price = native_price
        self.clock = clock  # the trader's clock: fills, broadcasts and failures are timed as its cycles are
        self._approved: set[str] = set()
        self.may_sign: Callable[[], None] = lambda: None  # raises when the step was abandoned (the live loop's watchdog)

    def describe(self) -> str:
        return f"Uniswap v2 hot wallet {self.builder.wallet.address} via router {self.routing.router.address}"

    @property
    def wallet(self) -> str:
        return self.builder.wallet.address

    def model_for(self, trade: TradeExecution) -> UniswapV2ExecutionModel:
        """The model that settles ``trade`` (recovery.py asks): this one; a wallet on several venues answers per pair (runner/mixed_venue.py)."""
        return self

    def execute_trades(self, timestamp: datetime.datetime, state: State, trades: list[TradeExecution]) -> None:
        for trade in sorted(trades, key=lambda t: t.planned_quantity > 0):
            try:
                self.execute_trade(state, trade)
            except TransactionUnresolved as e:
                logger.warning("Trade #%d is unresolved: %s. It stays broadcasted until the chain tells.", trade.trade_id, e)

    # --- one trade ---------------------------------------------------------------------------

    def route_for(self, trade: TradeExecution) -> tuple[Route, str, str, int]:
        """(route, token in, token out, amount in) for the trade's direction."""
        buy_route = self.routing.route(trade.reserve_currency.address, trade.pair.base.address)
        if trade.is_buy:
            return buy_route, trade.reserve_currency.address, trade.pair.base.address, to_units(trade.planned_reserve, trade.reserve_currency.decimals)
        return buy_route.reversed(), trade.pair.base.address, trade.reserve_currency.address, to_units(-trade.planned_quantity, trade.pair.base.decimals)

    def execute_trade(self, state: State, trade: TradeExecution) -> None:
        if trade.is_buy:
            # As in a backtest: a buy sized from a sell's estimated proceeds spends the cash that really
            # arrived; cash of earlier buys still awaiting confirmation is not there to spend.
            available = state.portfolio.get_cash() - sum((p.get_pending_buy_reserve() for p in state.portfolio.open_positions.values()), Decimal(0))
            if trade.planned_reserve > available:
                logger.debug("Trade #%d: buying with the cash there, %s, not %s", trade.trade_id, available, trade.planned_reserve)
                trade.planned_reserve = max(available, Decimal(0))
        route, token_in, token_out, amount_in = self.route_for(trade)
        if amount_in <= 0:
            self.fail(state, trade, "nothing to swap (no cash or tokens left for it)", sent=False)
            return
        check = self.check(trade, route, amount_in)
        if check.refusal is not None:
            self.fail(state, trade, check.refusal, sent=False)
            return
        self.may_sign()
        self.ensure_approval(token_in, amount_in)
        deadline = self.web3.eth.get_block("latest")["timestamp"] + self.deadline_seconds
        swap, function_name = self.swap_call(route, amount_in, check.minimum_out, deadline)
        try:
            signed = self.builder.sign_call(swap, gas_headroom=SWAP_GAS_HEADROOM_PER_POOL * len(route.pools))
        except Exception as e:  # noqa: BLE001 - estimate_gas reverts when the swap would fail
            self.fail(state, trade, f"the swap would revert, so it was not sent: {e}", sent=False)
            return
        trade.slippage_tolerance = self.slippage_tolerance
        trade.started_at = self.clock()
        trade.status = TradeStatus.started
        trade.blockchain_transactions.append(
            BlockchainTransaction(
                chain_id=self.builder.chain_id, from_address=self.wallet, nonce=signed.nonce, tx_hash=signed.tx_hash,
                signed_bytes=signed.raw.hex(), contract_address=self.routing.router.address, function_name=function_name,
            )
        )
        self.save_state()
        crash_point("after_sign")
        self.broadcast_and_settle(state, trade)

    def swap_call(self, route: Route, amount_in: int, minimum_out: int, deadline: int):
        """(the router call of this swap, its name as the trade records it)."""
        return self.routing.router.functions.swapExactTokensForTokens(amount_in, minimum_out, list(route.path), self.wallet, deadline), "swapExactTokensForTokens"

    def route_fee(self, route: Route) -> tuple[Decimal, int]:
        """(the LP fee of each hop, the hops) along ``route``."""
        return self.routing.fee, route.hops

    def check(self, trade: TradeExecution, route: Route, amount_in: int) -> SwapCheck:
        """The safety rules against the pools as they are now (fresh reserves) and the route's reference."""
        self.routing.end_snapshot()  # earlier swaps of this cycle moved the pools: read them again
        return check_trade(trade, route, amount_in, self.routing.hop_reserves(route), self.pricing, self.routing.fee, self)

    def broadcast_and_settle(self, state: State, trade: TradeExecution) -> None:
        """Send the trade's recorded signed bytes (never new ones) and settle it from the receipt."""
        tx = trade.blockchain_transactions[-1]
        from trade_executor.chain.wallet import SignedTransaction

        signed = SignedTransaction(bytes.fromhex(tx.signed_bytes), tx.tx_hash, tx.nonce)
        if self.would_revert(state, trade, signed):
            return
        try:
            outcome = broadcast(self.web3, signed)
        except TransactionRejected as e:
            self.fail(state, trade, str(e))
            return
        if not outcome.accepted:
            self.fail(state, trade, f"nonce {signed.nonce} was already used by another transaction; {signed.tx_hash} never reached the chain")
            return
        crash_point("after_broadcast")
        tx.broadcasted_at = self.clock()
        trade.status = TradeStatus.broadcasted
        self.save_state()
        receipt = wait_for_receipt(self.web3, tx.tx_hash, confirmations=self.confirmations, timeout=self.confirmation_timeout)
        crash_point("before_confirmation_recorded")
        self.settle(state, trade, receipt)
        crash_point("after_confirmation")

    def would_revert(self, state: State, trade: TradeExecution, signed) -> bool:
        """Run the signed swap as an eth_call at the latest block; one that would revert is failed, not sent.

        Nothing is burnt and the nonce goes to the next transaction (or, with a later nonce already
        signed, is used up by a self-transfer), so these bytes can never be mined. A node error on the
        call is raised as it came: an outage is ridden out (runner/outage.py), the trade stays started.
        A transaction the node already has (sent before a crash) cannot be withdrawn: it is not failed here.
        """
        reason = revert_of(self.web3, signed)
        if reason is None or known_to_node(self.web3, signed.tx_hash):
            return False
        block = self.web3.eth.block_number
        trade.blockchain_transactions[-1].revert_reason = reason
        self.fail(state, trade, f"{NOT_SENT.format(block=block, nonce=signed.nonce)}: {reason}")
        if not self.builder.nonces.release(signed.nonce):
            cancel_nonce(self.web3, self.builder, signed.nonce, timeout=self.confirmation_timeout)
        return True

    def settle(self, state: State, trade: TradeExecution, receipt) -> None:
        """Record the fill (or the revert) from the receipt, and save."""
        tx = trade.blockchain_transactions[-1]
        tx.block_number = receipt["blockNumber"]
        tx.status = receipt["status"] == 1
        tx.gas_used = receipt["gasUsed"]
        tx.effective_gas_price = receipt.get("effectiveGasPrice", 0)
        tx.confirmed_at = self.clock()
        if receipt["status"] != 1:
            tx.revert_reason = self.revert_reason(tx)
            self.fail(state, trade, f"the swap reverted on chain, no tokens moved: {tx.revert_reason}")
            return
        route, token_in, token_out, _ = self.route_for(trade)
        result = read_swap(receipt, self.wallet, token_in, token_out)
        portfolio = state.portfolio
        position = portfolio.open_positions.get(trade.position_id) or portfolio.frozen_positions.get(trade.position_id)
        if result.amount_in == 0 or result.amount_out == 0 or position is None:
            self.freeze(state, trade, f"transaction {tx.tx_hash} succeeded but its receipt shows no swap of {token_in} for {token_out} by {self.wallet}")
            return
        base, reserve = trade.pair.base, trade.reserve_currency
        gas_native = Decimal(result.gas_used * result.effective_gas_price).scaleb(-18)
        native_price = self.native_price()
        gas_usd = quantize_up(gas_native * native_price, reserve.decimals) if native_price else Decimal(0)
        fee, hops = self.route_fee(route)
        hop_fee = ONE - (ONE - fee) ** hops
        if trade.is_buy:
            quantity = Decimal(result.amount_out).scaleb(-base.decimals)
            paid = Decimal(result.amount_in).scaleb(-reserve.decimals)
            lp_fee = (paid * hop_fee).quantize(Decimal(1).scaleb(-reserve.decimals), rounding=ROUND_DOWN)
            executed_reserve, signed_quantity = paid, quantity
        else:
            quantity = Decimal(result.amount_in).scaleb(-base.decimals)
            received = Decimal(result.amount_out).scaleb(-reserve.decimals)
            lp_fee = (quantity * hop_fee * trade.planned_price).quantize(Decimal(1).scaleb(-reserve.decimals), rounding=ROUND_DOWN)
            executed_reserve, signed_quantity = received, -quantity
        trade.gas_from_reserve = False
        trade.mark_success(
            executed_at=self.clock(), quantity=signed_quantity, reserve=executed_reserve, lp_fees=lp_fee,
            price_impact=Decimal(0), gas_native=gas_native, gas_usd=gas_usd,
        )
        if trade.spot_price:
            trade.price_impact = realised_price_impact(quote_in=trade.is_buy, executed_price=trade.executed_price, spot_price=trade.spot_price, fee=fee, hops=hops)
        portfolio.adjust_cash(trade.get_cash_delta())
        position.last_token_price = trade.executed_price
        position.last_pricing_at = trade.executed_at
        if position.get_quantity() == 0 and position.position_id in portfolio.open_positions:
            portfolio.close_position(position, trade.executed_at)
        self.save_state()
        logger.info("%s", describe_fill(trade))

    def fail(self, state: State, trade: TradeExecution, reason: str, *, sent: bool = True) -> None:
        """A trade that moved no tokens: recorded apart (skipped when never sent), its position left as it was."""
        if sent:
            logger.error("Trade #%d %s %s failed: %s", trade.trade_id, _side(trade), trade.pair.ticker, reason)
        else:
            logger.warning("Trade #%d %s %s skipped: %s", trade.trade_id, _side(trade), trade.pair.ticker, reason)
        trade.mark_failed(self.clock(), reason, skipped=not sent)
        state.portfolio.record_unfilled(trade)
        self.save_state()

    def freeze(self, state: State, trade: TradeExecution, reason: str) -> None:
        """The chain's balances after this trade are unclear: park its position until a person repairs it."""
        logger.error("Trade #%d %s: %s; position frozen until repaired", trade.trade_id, trade.pair.ticker, reason)
        trade.mark_failed(self.clock(), reason)
        portfolio: Portfolio = state.portfolio
        position = portfolio.open_positions.get(trade.position_id)
        if position is not None:
            portfolio.freeze_position(position, trade.executed_at, reason)
        self.save_state()

    def revert_reason(self, tx: BlockchainTransaction) -> str:
        """Replay the transaction as a call at its block to read the revert message."""
        try:
            original = self.web3.eth.get_transaction(tx.tx_hash)
            call = {"from": original["from"], "to": original["to"], "data": original["input"], "value": original["value"], "gas": original["gas"]}
            self.web3.eth.call(call, block_identifier=tx.block_number)
        except Exception as e:  # noqa: BLE001 - the revert arrives as an exception
            return revert_message(e)
        return "reverted without a reason"

    def ensure_approval(self, token: str, amount: int) -> None:
        """Approve the router once per token, for the maximum, so later swaps need no approval."""
        if token in self._approved:
            return
        contract = self.web3.eth.contract(address=Web3.to_checksum_address(token), abi=load_abi("ERC20"))
        if contract.functions.allowance(self.wallet, self.routing.router.address).call() < amount:
            signed = self.builder.sign_call(contract.functions.approve(self.routing.router.address, MAX_UINT))
            send_and_wait(self.web3, signed, confirmations=self.confirmations, timeout=self.confirmation_timeout)
            logger.info("Approved the router to spend %s", token)
        self._approved.add(token)
