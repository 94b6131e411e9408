"""One price table for estimates, which an operator can override (`PRICES_JSON`).

Prices are per unit as the vendors publish them: per million input/output tokens, per image,
per second of video. A model missing from the table has no estimate (None), never a guess.
"""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from generation.providers.base import Usage

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    # OpenAI (scripts). gpt-5 shuts down on 2026-12-11; kept so old records can be priced.
    "gpt-5": {"input_per_million": 1.25, "output_per_million": 10.0},
    # The default script model (GPT-5's replacement), at its standard rates up to 272K input.
    "gpt-6.1-sol": {"input_per_million": 2.0, "output_per_million": 10.0},
    # Gemini images: about 1,290 output tokens an image at $30 per million.
    "gemini-3.1-flash-image": {"per_image": 0.039},
    "gemini-2.5-flash-image": {"per_image": 0.039},
    # Video, per second of output.
    "gemini-omni-1.2-flash": {"per_video_second": 0.10},
    "sora-2": {"per_video_second": 0.10},
    "sora-2-pro": {"per_video_second": 0.30},
    # The offline provider costs nothing.
    "offline-script-1": {},
    "offline-image-1": {},
    "offline-video-1": {},
}


@cache
def _overrides(raw: str) -> dict[str, dict[str, float]]:
    if not raw:
        return {}
    try:
        table = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PRICES_JSON is not JSON: {exc}") from None
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ImproperlyConfigured('PRICES_JSON must look like {"model": {"per_image": 0.04}}')
    return table


def price_table() -> dict[str, dict[str, float]]:
    return {**DEFAULT_PRICES, **_overrides(settings.PRICES_JSON)}


def estimate_cost(model: str, usage: Usage) -> float | None:
    """US dollars for the usage at the model's prices; None when the model has no price."""
    prices = price_table().get(model)
    if prices is None:
        return None
    cost = (
        usage.input_tokens * prices.get("input_per_million", 0.0) / 1_000_000
        + usage.output_tokens * prices.get("output_per_million", 0.0) / 1_000_000
        + usage.images * prices.get("per_image", 0.0)
        + usage.video_seconds * prices.get("per_video_second", 0.0)
    )
    return round(cost, 6)


def describe_prices(model: str) -> str:
    prices = price_table().get(model)
    if prices is None:
        return "no price (not estimated)"
    if not prices:
        return "free"
    return ", ".join(f"{name.replace('_', ' ')} ${value}" for name, value in prices.items())
