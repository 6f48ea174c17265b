"""What a node's refusal of ``eth_getLogs`` means: the block range was too wide, or the answer too big.

Every provider caps log queries, and none the same way: a block span (2,000 or 10,000 blocks), a
number of logs (10,000), a response size. The cap is only written in the error's text, so this
table reads the texts of the common providers and node clients. A "range" refusal sets a ceiling
the reader never grows past again; a "results" refusal only halves the next query (the next
stretch of the chain may be quieter). Where the text names a span, or a range that would work,
the reader uses that instead of halving.

Texts were taken from the providers' own answers as users reported them (issue trackers of
go-ethereum, erigon, reth, foundry, ponder and others), not from guesses; add a row when a
provider answers something new (the reader then stops with the text, asking for it).

anvil (Foundry) has no cap: it answers any range. Its only range refusal is for blocks past its
head ("block range extends beyond current head block"), which is not a size limit and is not
in the table: halving would never help.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum


class LimitKind(Enum):
    RANGE = "range"  # the span of blocks is capped, whatever the number of logs
    RESULTS = "results"  # the answer would hold too many logs (or bytes)


@dataclass(frozen=True)
class LogLimit:
    """A refusal understood: its kind, the provider it looks like, and a span the node says works (or None)."""

    kind: LimitKind
    provider: str
    span: int | None = None
    results: int | None = None  # the most logs the node answers, where the text says


# (provider, pattern, kind). A named group ``n`` is a span in blocks ("2K", "10,000" accepted); groups
# ``a`` and ``b`` are a range the node suggests (hex or decimal, inclusive); ``cap`` is the most logs
# an answer may hold. First match wins.
_LIMITS: tuple[tuple[str, str, LimitKind], ...] = (
    # Alchemy: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no
    # limit on the response size, or you can request any block range with a cap of 10K logs in the response.
    # Based on your parameters and the response size limit, this block range should work: [0x0, 0x87fe9]"
    ("Alchemy", r"Log response size exceeded(?:.*?should work: \[(?P<a>0x[0-9a-fA-F]+),\s*(?P<b>0x[0-9a-fA-F]+)\])?", LimitKind.RESULTS),
    # Alchemy (free tier): "You can make eth_getLogs requests with up to a 500 block range. Based on your parameters,
    # this block range should work: [0x123c9b2, 0x123cba5]"; Aurora words it the same way
    ("Alchemy", r"eth_getLogs requests with up to an? (?P<n>[\d,.]+K?) block range", LimitKind.RANGE),
    # Infura, geth-based nodes, zkSync ("Query returned more than 10000 results. Try with this block range [0x0, 0x30f].")
    ("Infura/geth", r"query returned more than (?P<cap>\d+) results(?:.*?block range \[(?P<a>0x[0-9a-fA-F]+),\s*(?P<b>0x[0-9a-fA-F]+)\])?", LimitKind.RESULTS),
    # Infura's live API (code -32602): "range 1000000 exceeds limit of 10000"
    ("Infura", r"range \d+ exceeds limit of (?P<n>[\d,]+)", LimitKind.RANGE),
    # QuickNode (HTTP 413, code -32614): "eth_getLogs is limited to a 10,000 range"; 1RPC and Blast likewise
    ("QuickNode", r"eth_getLogs is limited to an? (?P<n>[\d,.]+K?) range", LimitKind.RANGE),
    # Ankr: "maximum [from, to] blocks distance: 10000"; older answers, and Moonbeam/Frontier: "block range is too wide (maximum 1024)"
    ("Ankr", r"maximum \[from, to\] blocks distance: (?P<n>[\d,]+)", LimitKind.RANGE),
    ("Ankr", r"block range is too wide(?: \(maximum (?P<n>\d+)\))?", LimitKind.RANGE),
    # Erigon 3: "query block range exceeds server limit, narrow your filter: 1000" and "query returns too many logs, narrow your filter: 20000"
    ("Erigon", r"query block range exceeds server limit, narrow your filter: (?P<n>\d+)", LimitKind.RANGE),
    ("Erigon", r"query returns too many logs(?:, narrow your filter: (?P<cap>\d+))?", LimitKind.RESULTS),
    # Erigon (cdk-erigon's first range cap answered only this)
    ("Erigon", r"^limit exceeded$", LimitKind.RANGE),
    # reth: "query exceeds max block range 100000"; "query exceeds max results 20000, retry with the range 25766988-25775072"
    ("reth", r"query exceeds max block range (?P<n>\d+)", LimitKind.RANGE),
    ("reth", r"query exceeds max results (?P<cap>\d+)(?:, retry with the range (?P<a>\d+)-(?P<b>\d+))?", LimitKind.RESULTS),
    # BNB Chain's geth: "exceed maximum block range: 5000"
    ("BNB Chain", r"exceed maximum block range: (?P<n>\d+)", LimitKind.RANGE),
    # Tenderly (in error.data.payload): "range 9009594 is bigger than range limit 2000"
    ("Tenderly", r"range \d+ is bigger than range limit (?P<n>\d+)", LimitKind.RANGE),
    # PublicNode: "maximum block range: 50000"
    ("PublicNode", r"maximum block range: (?P<n>[\d,]+)", LimitKind.RANGE),
    # Chainstack: "Block range limit exceeded."; OP Stack / Base: "block range too large", "Block range is too large"
    ("Chainstack", r"block range limit exceeded", LimitKind.RANGE),
    ("OP Stack", r"block range (?:is )?too large", LimitKind.RANGE),
    # zkSync Era: "Response is too big"; Arbitrum: "logs matched by query exceeds limit of 10000"
    ("zkSync", r"response is too big", LimitKind.RESULTS),
    ("Arbitrum", r"logs matched by query exceeds limit of (?P<cap>\d+)", LimitKind.RESULTS),
)
_COMPILED = tuple((provider, re.compile(pattern, re.IGNORECASE | re.DOTALL), kind) for provider, pattern, kind in _LIMITS)


def classify_log_error(error: dict | str) -> LogLimit | None:
    """The limit a JSON-RPC error object (or its text) stands for, or None for any other error."""
    text = error if isinstance(error, str) else _error_text(error)
    for provider, pattern, kind in _COMPILED:
        match = pattern.search(text.strip())
        if match:
            cap = match.groupdict().get("cap")
            return LogLimit(kind, provider, _span(match), int(cap) if cap else None)
    return None


def _error_text(error: dict) -> str:
    message = str(error.get("message", ""))
    data = error.get("data")
    if data in (None, "", {}):
        return message
    return message + " " + (data if isinstance(data, str) else json.dumps(data))


def _span(match: re.Match) -> int | None:
    groups = match.groupdict()
    if groups.get("n"):
        return _number(groups["n"])
    if groups.get("a") and groups.get("b"):
        first, last = _number(groups["a"]), _number(groups["b"])
        return last - first + 1 if last >= first else None
    return None


def _number(text: str) -> int:
    """"0x30f", "2K", "10,000" or "10.000" (thousands separators of either kind)."""
    if text.lower().startswith("0x"):
        return int(text, 16)
    if text.upper().endswith("K"):
        return int(float(text[:-1].replace(",", "")) * 1000)
    return int(text.replace(",", "").replace(".", ""))
