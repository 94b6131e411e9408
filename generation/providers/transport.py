"""What a failed request's transport error says about whether the service received it.

Both SDKs send through httpx2 (or httpx, where that is what is installed) and keep its error as
the cause of their own (`openai.APITimeoutError`, `APIConnectionError`, and the Interactions
API's classes of the same names), so the cause chain tells a connection that never opened
from a request that was sent and then went unanswered.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2

from generation.providers.base import ProviderError

# The transport errors of whichever httpx the SDKs run on (it may be either, or both).
TIMEOUTS: tuple[type[Exception], ...] = (httpx2.TimeoutException,)
TRANSPORT: tuple[type[Exception], ...] = (httpx2.TransportError,)
# Failures before a byte of the request left: nothing can have reached the service.
_BEFORE_SENDING: tuple[type[Exception], ...] = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.ProxyError,
    httpx2.UnsupportedProtocol,
    httpx2.LocalProtocolError,
)
try:
    import httpx as _httpx1
except ImportError:  # pragma: no cover - depends on what else is installed
    pass
else:  # pragma: no cover
    TIMEOUTS += (_httpx1.TimeoutException,)
    TRANSPORT += (_httpx1.TransportError,)
    _BEFORE_SENDING += (
        _httpx1.ConnectError,
        _httpx1.ConnectTimeout,
        _httpx1.PoolTimeout,
        _httpx1.ProxyError,
        _httpx1.UnsupportedProtocol,
        _httpx1.LocalProtocolError,
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def request_may_have_arrived(
    exc: BaseException, *, unanswered: tuple[type[BaseException], ...] = ()
) -> bool:
    """Whether the request that failed with `exc` may have reached the service.

    False only for failures before sending (a refused or timed-out connection, no free
    connection in the pool); True for a read or write timeout, a connection dropped after
    sending, and any other transport error. An exception of an `unanswered` class (the SDK's
    own timeout or connection error) with no transport error behind it counts as arrived too:
    for a submit that bills, unsure means maybe.
    """
    for link in _chain(exc):
        if isinstance(link, _BEFORE_SENDING):
            return False
        if isinstance(link, TRANSPORT):
            return True
    return isinstance(exc, unanswered)


def submit_unknown(service: str, detail: str) -> ProviderError:
    """The error of a submit that may have been accepted (and billed) although no answer came.

    Retryable, but not blindly: the job should look for the render (`find`) before it submits
    again.
    """
    return ProviderError(
        f"The outcome of the {service} submit is unknown ({detail}): the render may have been "
        "accepted, and submitting again may bill a second one.",
        retryable=True,
        reason="submit_unknown",
        outcome_unknown=True,
    )
