"""Block timestamps without one call per event, and the block at a given time.

Logs carry a block number, not a time. Asking for each event's block one call at a time is a
million calls for a busy pool's history; here the distinct blocks of a chunk of logs go in a few
JSON-RPC batches and the answers are kept. Finding the block at a date (where a download starts)
is a search on block times: a batch of probes per round narrows the range sixteen-fold, so a
chain of twenty million blocks takes six requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import StopError

BATCH = 250  # blocks per request: providers take batches of a few hundred calls
KEEP = 200_000  # timestamps remembered (the oldest are forgotten first)
PROBES = 15  # probes per round of the search


class BlockTimestamps:
    """Block number -> unix timestamp, asked for in batches and remembered."""

    def __init__(self, caller: RpcCaller, *, batch: int = BATCH, keep: int = KEEP):
        self.caller = caller
        self.batch = batch
        self.keep = keep
        self._known: dict[int, int] = {}
        self._hashes: dict[int, str] = {}

    def __call__(self, number: int) -> int:
        return self.many([number])[number]

    def many(self, numbers: Iterable[int]) -> dict[int, int]:
        wanted = sorted(set(numbers))
        missing = [n for n in wanted if n not in self._known]
        for start in range(0, len(missing), self.batch):
            part = missing[start : start + self.batch]
            answers = self.caller.batch([("eth_getBlockByNumber", [hex(n), False]) for n in part])
            for number, answer in zip(part, answers, strict=True):
                block = answer.get("result")
                if not block:
                    raise StopError(f"The JSON-RPC node {self.caller.node} has no block {number:,}: {answer.get('error', 'no such block')}. Is it synced?")
                self._remember(number, block)
        found = {n: self._known[n] for n in wanted}
        self._forget()
        return found

    def latest(self) -> tuple[int, int]:
        """(number, timestamp) of the node's latest block."""
        block = self.caller.call("eth_getBlockByNumber", ["latest", False]).get("result")
        if not block:
            raise StopError(f"The JSON-RPC node {self.caller.node} did not answer its latest block.")
        number = _int(block["number"])
        self._remember(number, block)
        return number, self._known[number]

    def hash_of(self, number: int) -> str | None:
        """The hash of block ``number`` on the node's chain; None if the node has no such block."""
        if number not in self._hashes:
            block = self.caller.call("eth_getBlockByNumber", [hex(number), False]).get("result")
            if not block:
                return None
            self._remember(number, block)
        return self._hashes[number]

    def _remember(self, number: int, block: dict) -> None:
        self._known[number] = _int(block["timestamp"])
        if block.get("hash"):
            self._hashes[number] = block["hash"]

    def _forget(self) -> None:
        while len(self._known) > self.keep:
            del self._known[next(iter(self._known))]
        while len(self._hashes) > self.keep:
            del self._hashes[next(iter(self._hashes))]


def _int(value: int | str) -> int:
    return value if isinstance(value, int) else int(value, 16)


def find_block_at_or_before(times: BlockTimestamps, latest: int, target: int) -> int | None:
    """The newest block whose timestamp is at most ``target`` (None if block 0 is later): rounds of batched probes."""
    low, high = 0, latest
    stamps = times.many([low, high])
    if stamps[high] <= target:
        return high
    if stamps[low] > target:
        return None
    while high - low > 1:  # invariant: time(low) <= target < time(high)
        step = max(1, (high - low) // (PROBES + 1))
        probes = list(range(low + step, high, step))[:PROBES]
        stamps = times.many(probes)
        for probe in probes:
            if stamps[probe] <= target:
                low = probe
            else:
                high = probe
                break
    return low


def block_at_or_before(timestamp_of: Callable[[int], int], latest: int, target: int) -> int | None:
    """The newest block whose timestamp is at most ``target``: gallop back from the latest, then bisect.

    Cheap when the target is near the head (the TWAP oracle looks a window back); for a date far
    back use :func:`find_block_at_or_before`, which batches its probes.
    """
    if timestamp_of(latest) <= target:
        return latest
    high, step = latest, 1
    low = latest - step
    while low > 0 and timestamp_of(low) > target:
        high, step = low, step * 2
        low = max(0, latest - step)
    if timestamp_of(low) > target:
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if timestamp_of(middle) <= target:
            low = middle
        else:
            high = middle
    return low
