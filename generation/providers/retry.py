"""The one retry loop and the one accounting step that every remote call goes through.

Adapters switch their SDK's own retries off, turn the SDK's exceptions into ProviderError with
a classifier, and call `call_with_retries`: `1 + MAX_RETRIES` tries with exponential backoff
and jitter, honouring the service's Retry-After; a refusal that cannot succeed fails at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from generation.providers.base import CallRecord, ProviderError, Usage
from generation.providers.pricing import estimate_cost

logger = logging.getLogger(__name__)
T = TypeVar("T")

BASE_DELAY = 1.0
MAX_DELAY = 30.0


def backoff(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
    if retry_after is not None:
        return max(0.0, retry_after)
    delay = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 (jitter, not secrecy)


def call_with_retries(
    call: Callable[[], T],
    *,
    provider: str,
    model: str,
    operation: str,
    calls: list[CallRecord],
    classify: Callable[[Exception], ProviderError],
    usage_of: Callable[[T], Usage] | None = None,
    retries: bool = True,
    sleep: Callable[[float], None] | None = None,
    size: str = "",
) -> T:
    """Runs `call` until it succeeds, fails for good, or the tries run out.

    Appends one CallRecord to `calls` either way, with the usage of every try (failed tries
    that the service still billed included), priced at `size` where the model's price depends
    on the video size. With `retries=False` (a submit that could bill twice) it tries once and
    leaves the decision to the job.
    """
    tries = 1 + (settings.MAX_RETRIES if retries else 0)
    started = time.monotonic()
    attempt = 0
    spent = Usage()
    while True:
        attempt += 1
        try:
            result = call()
        except Exception as exc:
            error = exc if isinstance(exc, ProviderError) else classify(exc)
            if error.usage is not None:
                spent = spent + error.usage
            wait = backoff(attempt, error.retry_after)
            if error.retryable and attempt < tries and wait <= settings.PROVIDER_MAX_WAIT:
                logger.info("%s %s failed (%s), try %d of %d in %.1f s",
                            provider, operation, error, attempt, tries, wait)  # fmt: skip
                (sleep or time.sleep)(wait)
                continue
            error.tries = attempt
            if error.retryable and attempt < tries:
                error.defer_seconds = wait
            calls.append(_record(provider, model, operation, started, attempt, spent, error, size))
            raise error from (exc if exc is not error else None)
        usage = spent + (usage_of(result) if usage_of else Usage())
        calls.append(_record(provider, model, operation, started, attempt, usage, None, size))
        return result


def _record(provider, model, operation, started, attempts, usage, error, size) -> CallRecord:
    return CallRecord(
        provider=provider,
        model=model,
        operation=operation,
        latency_ms=int((time.monotonic() - started) * 1000),
        attempts=attempts,
        usage=usage,
        # A failure that billed nothing has no cost to estimate.
        cost_usd=(
            estimate_cost(model, usage, size=size) if error is None or usage != Usage() else None
        ),
        error=str(error) if error else "",
    )


def retry_after_from_headers(headers) -> float | None:
    """`retry-after-ms`, then `retry-after` in seconds, as OpenAI and others send them."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) / scale
            except ValueError:
                continue
    return None
