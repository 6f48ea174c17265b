"""Read calls in JSON-RPC batches that ride out a provider's limits: rate limits, 5xx, refused batches.

A history download makes thousands of reads; a provider answers some of them "429 Too Many
Requests" (often with Retry-After), some with a 5xx, and some refuse batches outright. The web3
provider (chain/connection.py: timeouts, quick retries, fallback nodes) sends each request; this
layer waits as the node asks before asking again, within a time budget, and falls back to one
call per request when a batch is refused. Only reads come through here: nothing is ever sent twice
that could matter.

Every message names the node by its redacted URL (providers put API keys in the path).
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import requests

from trade_executor.errors import NodeRateLimited
from trade_executor.secrets import redact_url

logger = logging.getLogger(__name__)

# JSON-RPC errors that mean "slow down" rather than "no": Alchemy's compute units, Infura's request rate, generic texts.
RATE_LIMITED = re.compile(r"rate limit|too many requests|compute units per second|request rate exceeded|exceeded .*capacity", re.IGNORECASE)
TRANSIENT_HTTP = {429, 500, 502, 503, 504}
MAX_SINGLE_WAIT = 60.0  # a Retry-After longer than this is capped: the budget decides when to give up
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 4.0  # without a Retry-After, waits double up to this: an outage's end is noticed within seconds
TRANSPORT_ATTEMPTS = 4  # a node that does not answer at all is reported after this many tries (the provider retried each already)

Call = tuple[str, list]


class RpcCaller:
    """Sends read calls (batched when the node allows) and returns one answer dict per call, in order.

    ``wait_budget``: seconds of rate limiting or outage one request may ride out before
    :class:`NodeRateLimited` (or the transport's own error) is raised. ``outage_attempts``: after
    this many answers in a row of HTTP 5xx, the HTTP error is raised, so that the live loop's outage
    handling (runner/outage.py: one warning, reconcile before retry) takes over; None rides 5xx out
    within the budget like rate limits (a download, which has nothing to reconcile).
    """

    def __init__(
        self, provider: Any, *, wait_budget: float = 300.0, batching: bool = True, outage_attempts: int | None = TRANSPORT_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.provider = provider
        self.wait_budget = wait_budget
        self.batching = batching
        self.outage_attempts = outage_attempts
        self.sleep = sleep
        self.requests_made = 0  # HTTP requests, a batch counting once
        self.waits = 0
        self._unanswered = 0
        self._unavailable = 0
        self._last_refusal = "is limiting requests"

    @property
    def node(self) -> str:
        return redact_url(str(getattr(self.provider, "endpoint_uri", "") or self.provider))

    def call(self, method: str, params: list) -> dict:
        return self.batch([(method, params)])[0]

    def batch(self, calls: list[Call]) -> list[dict]:
        """An answer per call: ``{"result": ...}`` or ``{"error": {...}}``; rate-limited calls are asked again."""
        answers: list[dict | None] = [None] * len(calls)
        pending = list(range(len(calls)))
        waited, attempt = 0.0, 0
        while pending:
            got, retry_after = self._send([calls[i] for i in pending])
            still = []
            for index, answer in zip(pending, got, strict=True):
                if answer is None or _rate_limited(answer):
                    still.append(index)
                else:
                    answers[index] = answer
            if not still:
                break
            pause = min(retry_after, MAX_SINGLE_WAIT) if retry_after is not None else min(FIRST_BACKOFF * 2**attempt, MAX_BACKOFF)
            if waited + pause > self.wait_budget:
                raise NodeRateLimited(
                    f"The JSON-RPC node {self.node} kept refusing requests (too many requests or unavailable) for {waited:.0f} s. "
                    "Run the command again later (a download resumes where it stopped), or use a node or plan with a higher rate limit."
                )
            if not self._unanswered:  # (a node that did not answer at all was reported as such)
                log = logger.warning if pause >= 1.0 else logger.info  # a short pause is routine with a hosted node
                log("The JSON-RPC node %s %s; waiting %.1f s before asking again", self.node, self._last_refusal, pause)
            self.sleep(pause)
            self.waits += 1
            waited, attempt, pending = waited + pause, attempt + 1, still
        return answers  # type: ignore[return-value]

    def _send(self, calls: list[Call]) -> tuple[list[dict | None], float | None]:
        """Answers (None where the node asked us to come back) and the Retry-After it gave, if any."""
        if len(calls) > 1 and not self.batching:
            results = [self._send([call]) for call in calls]
            pauses = [pause for _, pause in results if pause is not None]
            return [answers[0] for answers, _ in results], max(pauses) if pauses else None
        self.requests_made += 1
        try:
            answer = [self.provider.make_request(*calls[0])] if len(calls) == 1 else self.provider.make_batch_request(calls)
        except requests.HTTPError as e:
            return self._http_error(e, calls)
        except (requests.ConnectionError, requests.Timeout) as e:
            self._unanswered += 1
            if self._unanswered >= TRANSPORT_ATTEMPTS:
                raise
            logger.warning("No answer from the JSON-RPC node %s (%s); asking again", self.node, type(e).__name__)
            return [None] * len(calls), None
        self._unanswered = self._unavailable = 0
        self._last_refusal = "is limiting requests"
        return self._batch_answers(answer, calls)

    def _batch_answers(self, answer: Any, calls: list[Call]) -> tuple[list[dict | None], float | None]:
        if isinstance(answer, list) and len(answer) == len(calls) and all(isinstance(a, dict) for a in answer):
            return list(answer), None
        if isinstance(answer, dict) and _rate_limited(answer):
            return [None] * len(calls), None
        # One error for the whole batch, or a short list: the node does not take batches (or not this big).
        logger.warning("The JSON-RPC node %s refused a batch of %d calls; asking one call at a time from now on", self.node, len(calls))
        self.batching = False
        return self._send(calls)

    def _http_error(self, error: requests.HTTPError, calls: list[Call]) -> tuple[list[dict | None], float | None]:
        response = error.response
        status = response.status_code if response is not None else None
        if status in TRANSIENT_HTTP or status is None:
            if status == 429:
                self._last_refusal = "is limiting requests"
            else:
                self._unavailable += 1
                self._last_refusal = f"is unavailable (HTTP {status})"
                if self.outage_attempts is not None and self._unavailable >= self.outage_attempts:
                    self._unavailable = 0
                    raise error
            return [None] * len(calls), _retry_after(response)
        body = _json_body(response)  # QuickNode answers a too-wide eth_getLogs with HTTP 413 and a JSON-RPC error
        if isinstance(body, dict) and "error" in body:
            if len(calls) > 1:
                return self._batch_answers(body, calls)
            return [body], None
        if isinstance(body, list) and len(body) == len(calls):
            return body, None
        if len(calls) > 1:
            return self._batch_answers(None, calls)
        raise error


def _rate_limited(answer: dict) -> bool:
    error = answer.get("error")
    if not isinstance(error, dict):
        return False
    return error.get("code") == 429 or bool(RATE_LIMITED.search(str(error.get("message", ""))))


def _json_body(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(response: requests.Response | None) -> float | None:
    """Retry-After in seconds, from either of its forms (seconds, or an HTTP date)."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
