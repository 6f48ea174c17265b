"""The log reader's chunks adapt to a node's limits: halve on refusals, keep below a range cap, grow back when quiet."""

from __future__ import annotations

import pytest

from trade_executor.chain.logs import LogReader
from trade_executor.errors import StopError


class CappedNode:
    """Answers eth_getLogs batches over synthetic logs the way a hosted provider does (a stub of RpcCaller)."""

    node = "https://node.example"

    def __init__(self, logs_per_block: dict[int, int], *, max_range=None, max_results=None, range_text="eth_getLogs is limited to a {n:,} range", batching=True):
        self.logs_per_block = logs_per_block
        self.max_range, self.max_results, self.range_text = max_range, max_results, range_text
        self.batching = batching
        self.requests_made = 0
        self.spans: list[int] = []  # the span of every query asked, refused or not

    def batch(self, calls):
        self.requests_made += 1
        return [self._answer(params[0]) for _, params in calls]

    def _answer(self, query):
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        self.spans.append(last - first + 1)
        if self.max_range is not None and last - first + 1 > self.max_range:
            return {"error": {"code": -32614, "message": self.range_text.format(n=self.max_range)}}
        logs = [
            {"blockNumber": hex(block), "logIndex": hex(index), "address": "0xpool", "removed": False}
            for block in range(first, last + 1)
            for index in reversed(range(self.logs_per_block.get(block, 0)))  # out of order on purpose
        ]
        if self.max_results is not None and len(logs) > self.max_results:
            return {"error": {"code": -32005, "message": f"query returned more than {self.max_results} results"}}
        return {"result": logs}


def read_all(reader: LogReader, first: int, last: int):
    chunks = list(reader.read(["0xpool"], [], first, last))
    logs = [(int(log["blockNumber"], 16), int(log["logIndex"], 16)) for chunk in chunks for log in chunk.logs]
    return chunks, logs


def expected_logs(logs_per_block: dict[int, int], first: int, last: int):
    return [(block, index) for block in range(first, last + 1) for index in range(logs_per_block.get(block, 0))]


def test_every_log_once_in_chain_order_in_contiguous_chunks_under_a_range_cap():
    activity = {block: 3 for block in range(0, 100_000, 7)}
    node = CappedNode(activity, max_range=2_000)
    reader = LogReader(node, span=5_000, batch=4)
    chunks, logs = read_all(reader, 10, 99_999)
    assert logs == expected_logs(activity, 10, 99_999)
    assert [c.first_block for c in chunks] == [10] + [c.last_block + 1 for c in chunks[:-1]]
    assert chunks[-1].last_block == 99_999
    assert reader.ceiling == 2_000  # learnt from the text, never grown past again
    assert max(c.last_block - c.first_block + 1 for c in chunks) == 2_000
    assert [span > 2_000 for span in node.spans[:5]] == [True] * 4 + [False]  # one refused batch of 4, the first
    assert all(span <= 2_000 for span in node.spans[4:])
    assert node.requests_made == 1 + -(-(99_990 // 2_000 + 1) // 4)  # then 4 chunks of 2,000 per batch


def test_a_busy_stretch_halves_the_span_and_a_quiet_one_grows_it_back():
    activity = {block: 1 for block in range(0, 50_000, 50)} | {block: 40 for block in range(20_000, 20_300)}
    node = CappedNode(activity, max_results=1_000)
    reader = LogReader(node, span=2_000, max_span=16_000, batch=1)
    chunks, logs = read_all(reader, 0, 49_999)
    assert logs == expected_logs(activity, 0, 49_999)
    assert max(len(c.logs) for c in chunks) <= 1_000
    busy = [c.last_block - c.first_block + 1 for c in chunks if 20_000 <= c.first_block < 20_300]
    assert busy and max(busy) <= 50  # about 1,000 logs at 40 per block
    assert sum(span > 1 for span in node.spans) - len(chunks) <= 12  # a few refusals on the way in, not one per chunk
    assert max(c.last_block - c.first_block + 1 for c in chunks if c.first_block > 25_000) >= 8_000  # grown back when quiet
    assert reader.grow_below == 250  # "more than 1000 results": a chunk grows only while a doubled one stays under the cap
    assert reader.ceiling == 16_000  # a result cap is no ceiling: the next stretch may be quiet


def test_a_span_the_node_names_is_taken_at_once():
    node = CappedNode({5: 1}, max_range=500, range_text="You can make eth_getLogs requests with up to a {n} block range. Based on your parameters, this block range should work: [0x0, 0x1f3]")
    reader = LogReader(node, span=8_000, batch=1)
    read_all(reader, 0, 4_999)
    assert node.spans[:2] == [5_000, 500]  # no halving steps: 5,000 (refused), then the 500 it names


def test_without_batches_one_chunk_per_request():
    node = CappedNode({}, max_range=1_000, batching=False)
    reader = LogReader(node, span=1_000, max_span=1_000, batch=4)
    read_all(reader, 0, 9_999)
    assert node.requests_made == 10


def test_an_error_that_is_no_limit_stops_with_the_node_and_its_text():
    class Broken(CappedNode):
        def _answer(self, query):
            return {"error": {"code": -32000, "message": "header not found"}}

    with pytest.raises(StopError, match=r"https://node.example refused eth_getLogs for blocks 0-999: header not found"):
        read_all(LogReader(Broken({}), span=1_000), 0, 5_000)


def test_a_single_block_over_the_result_cap_stops_rather_than_looping():
    node = CappedNode({7: 50}, max_results=10)
    with pytest.raises(StopError, match="refuses the logs of block 7 alone"):
        read_all(LogReader(node, span=64, batch=1), 0, 100)


def test_removed_logs_are_not_history():
    class Reorged(CappedNode):
        def _answer(self, query):
            answer = super()._answer(query)
            answer["result"][0]["removed"] = True
            return answer

    chunks, logs = read_all(LogReader(Reorged({3: 2}), span=10), 0, 9)
    assert logs == [(3, 0)]  # the node's first answer, index 1, was marked removed
