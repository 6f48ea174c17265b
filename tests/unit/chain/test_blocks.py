"""The block at a date, found in a few batched rounds; timestamps asked once per block."""

from __future__ import annotations

import pytest

from trade_executor.chain.blocks import BlockTimestamps, block_at_or_before, find_block_at_or_before


class Chain:
    """A stub of RpcCaller over blocks 12 s apart (with a 100 s pause at block 5,000), counting requests."""

    node = "http://node"

    def __init__(self, head: int):
        self.head = head
        self.requests_made = 0
        self.asked: list[int] = []

    def time(self, number: int) -> int:
        return 1_000 + 12 * number + (100 if number >= 5_000 else 0)

    def batch(self, calls):
        self.requests_made += 1
        answers = []
        for _, (number, _full) in calls:
            number = self.head if number == "latest" else int(number, 16)
            self.asked.append(number)
            answers.append({"result": {"number": hex(number), "timestamp": hex(self.time(number))}} if number <= self.head else {"result": None})
        return answers

    def call(self, method, params):
        return self.batch([(method, params)])[0]


@pytest.mark.parametrize("target_block", [0, 1, 4_999, 5_000, 123_456, 20_000_000])
def test_the_newest_block_at_or_before_a_time_in_a_few_requests(target_block):
    chain = Chain(20_000_000)
    times = BlockTimestamps(chain)
    found = find_block_at_or_before(times, chain.head, chain.time(target_block) + 5)
    assert found == target_block
    assert chain.requests_made <= 8  # rounds of 15 probes: log16 of 20 million


def test_before_the_first_block_there_is_none():
    chain = Chain(1_000)
    assert find_block_at_or_before(BlockTimestamps(chain), 1_000, 999) is None
    assert block_at_or_before(chain.time, 1_000, 999) is None


def test_timestamps_are_asked_in_batches_and_once():
    chain = Chain(10_000)
    times = BlockTimestamps(chain, batch=100)
    assert times.many([5, 3, 5, 250, *range(1_000, 1_300)]) == {n: chain.time(n) for n in [3, 5, 250, *range(1_000, 1_300)]}
    assert chain.requests_made == 4  # 303 blocks in batches of 100
    times.many(range(1_000, 1_300))
    assert chain.requests_made == 4
    assert times.latest() == (10_000, chain.time(10_000))
