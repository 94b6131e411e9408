"""What the openai SDK's exceptions mean for retrying, shared by every adapter built on it
(scripts from OpenAI, video from OpenAI-compatible gateways)."""

from __future__ import annotations

import openai
from django.conf import settings

from generation.providers.base import ProviderError
from generation.providers.retry import retry_after_from_headers


def service_message(exc: openai.APIStatusError) -> str:
    """The service's own words from an error body, else the SDK's."""
    body = exc.body
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return exc.message


def common_error(exc: Exception, *, service: str) -> ProviderError | None:
    """Timeouts, unreachable services, rate limits, credentials and server failures.

    Returns None for what only the adapter can judge: other 4xx (a retired model, an invalid
    request) and answers it could not read.
    """
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(
            f"{service} did not answer within {settings.PROVIDER_TIMEOUT} s.",
            retryable=True,
            reason="timeout",
        )
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(
            f"Could not reach {service}: {exc.__cause__ or exc}", retryable=True,
            reason="connection",
        )  # fmt: skip
    if not isinstance(exc, openai.APIStatusError):
        return None
    status = exc.status_code
    detail = f"{service} answered HTTP {status}: {service_message(exc)}"
    retry_after = retry_after_from_headers(exc.response.headers)
    if status == 429:
        return ProviderError(detail, retryable=True, retry_after=retry_after,
                             reason="rate_limited")  # fmt: skip
    if status == 408:
        return ProviderError(detail, retryable=True, retry_after=retry_after, reason="timeout")
    if status == 409 or status >= 500:
        return ProviderError(detail, retryable=True, retry_after=retry_after,
                             reason="server_error")  # fmt: skip
    if status in (401, 403):
        return ProviderError(f"{service} refused our credentials: {detail}", retryable=False,
                             reason="auth")  # fmt: skip
    return None
