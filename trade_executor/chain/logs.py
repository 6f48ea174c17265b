"""``eth_getLogs`` over any block range, from any node, within its limits.

One query over a pool's whole history works on anvil and on no provider: they cap the span of
blocks or the number of logs per answer (see chain/log_limits.py). So the range is read in chunks
whose span adapts to the answers: a refusal halves it (or takes the span the node names), a range
refusal also sets a ceiling it never grows past, and small answers double it again, so quiet
stretches cost few requests and busy ones never overflow. Several chunks go in one JSON-RPC batch
where the node takes batches.

Chunks come out in block order, each with its logs in (block, log index) order, so a caller can
store each chunk and record how far it got: an interrupted read resumes at a chunk boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from trade_executor.chain.log_limits import LimitKind, LogLimit, classify_log_error
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import StopError

# Answers this small (in logs) let the next chunks grow; a provider's usual cap is 10,000. A node that
# names a smaller cap lowers it to a quarter of that, so a doubled chunk stays under the cap.
GROW_BELOW = 2_000


@dataclass(frozen=True)
class LogChunk:
    """Every matching log of blocks ``first_block``..``last_block`` (inclusive), in chain order."""

    first_block: int
    last_block: int
    logs: list[dict]


class LogReader:
    """Reads logs of some addresses and topics in adaptive chunks; ``span`` and ``ceiling`` show where it stands."""

    def __init__(self, caller: RpcCaller, *, span: int = 2_000, max_span: int = 100_000, batch: int = 4):
        self.caller = caller
        self.span = max(1, span)
        self.ceiling = max(self.span, max_span)
        self.batch = max(1, batch)
        self.grow_below = GROW_BELOW
        self.refusals: list[LogLimit] = []

    def read(
        self, addresses: list[str], topics: list, first_block: int, last_block: int, progress: Callable[[LogChunk], None] | None = None
    ) -> Iterator[LogChunk]:
        """Yield the chunks covering ``first_block``..``last_block`` in order (nothing when the range is empty)."""
        position = first_block
        while position <= last_block:
            ranges = self._plan(position, last_block)
            calls = [("eth_getLogs", [{"address": addresses, "topics": topics, "fromBlock": hex(a), "toBlock": hex(b)}]) for a, b in ranges]
            answers = self.caller.batch(calls)
            quiet = True  # every answer small: the next round's chunks may be twice as wide
            for (a, b), answer in zip(ranges, answers, strict=True):
                if "error" in answer:
                    self._refused(answer["error"], a, b)
                    quiet = False
                    break
                chunk = LogChunk(a, b, _in_chain_order(answer.get("result") or []))
                position = b + 1
                quiet = quiet and len(chunk.logs) < self.grow_below
                if progress is not None:
                    progress(chunk)
                yield chunk
            if quiet:
                self.span = min(self.ceiling, self.span * 2)

    def _plan(self, position: int, last_block: int) -> list[tuple[int, int]]:
        ranges = []
        for _ in range(self.batch if self.caller.batching else 1):
            if position > last_block:
                break
            end = min(last_block, position + self.span - 1)
            ranges.append((position, end))
            position = end + 1
        return ranges

    def _refused(self, error: dict, first: int, last: int) -> None:
        """Shrink after a refusal; anything but a size limit (or a single block still too big) stops the read."""
        limit = classify_log_error(error)
        span = last - first + 1
        if limit is None:
            raise StopError(
                f"The JSON-RPC node {self.caller.node} refused eth_getLogs for blocks {first:,}-{last:,}: {error.get('message', error)}. "
                "If this is a block-range or result limit of a provider we do not know, please report the text; meanwhile another node may work."
            )
        if span == 1:
            raise StopError(
                f"The JSON-RPC node {self.caller.node} refuses the logs of block {first:,} alone ({limit.provider}-style limit: "
                f"{error.get('message', error)}). Use a node with a higher log limit for this history."
            )
        self.refusals.append(limit)
        smaller = limit.span if limit.span is not None and limit.span < span else span // 2
        if limit.kind is LimitKind.RANGE:
            self.ceiling = max(1, min(self.ceiling, smaller))
        if limit.results is not None:
            self.grow_below = min(self.grow_below, max(1, limit.results // 4))
        self.span = max(1, min(self.span, smaller))


def _in_chain_order(logs: list[dict]) -> list[dict]:
    """Logs of final blocks sorted by (block, log index); a log marked removed (a reorg) is not history."""
    kept = [log for log in logs if not log.get("removed")]
    kept.sort(key=lambda log: (_int(log["blockNumber"]), _int(log["logIndex"])))
    return kept


def _int(value: int | str) -> int:
    return value if isinstance(value, int) else int(value, 16)
