"""One price table for estimates, which an operator can override (`PRICES_JSON`).

Prices are per unit as the vendors publish them: per million input/output tokens, per image,
per second of video, per million characters spoken (`per_million_characters`), per second of
audio (`per_audio_second`). A video price that depends on the size has its exceptions under
`per_video_second_by_size` (`{"1024x1792": 0.50}`); other sizes pay `per_video_second`. A model
missing from the table has no estimate (None), never a guess.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from generation.providers.base import Usage

# A model's prices: unit → US dollars, and `per_video_second_by_size`: size → dollars a second.
Prices = dict[str, Any]

DEFAULT_PRICES: dict[str, Prices] = {
    # OpenAI (scripts). gpt-5 shuts down on 2026-12-11; kept so old records can be priced.
    "gpt-5": {"input_per_million": 1.25, "output_per_million": 10.0},
    # The default script model (GPT-5's replacement), at its standard rates up to 272K input.
    "gpt-6.1-sol": {"input_per_million": 2.0, "output_per_million": 10.0},
    # Gemini images at 1K (up to about $0.15 at 4K). $0.039 was the retired 2.5 model's price.
    "gemini-3.1-flash-image": {"per_image": 0.067},
    "gemini-2.5-flash-image": {"per_image": 0.039},
    # Video, per second of output (Gemini Omni at 720p; it costs more at 1080p and 4K).
    "gemini-omni-1.2-flash": {"per_video_second": 0.10},
    "sora-2": {"per_video_second": 0.10},
    "sora-2-pro": {
        "per_video_second": 0.30,  # 720x1280 and 1280x720
        "per_video_second_by_size": {"1024x1792": 0.50, "1792x1024": 0.50},
    },
    # Speech. Gemini TTS bills text tokens in and audio tokens out.
    "gemini-3.8-flash-lite-tts": {"input_per_million": 0.50, "output_per_million": 4.0},
    "gemini-3.8-flash-tts": {"input_per_million": 0.50, "output_per_million": 10.0},
    # OpenAI's speech endpoint reports no usage: tts-1 is priced per character sent, and
    # gpt-4o-mini-tts ($0.60 / 1M text tokens in, $12 / 1M audio tokens out) at its
    # published estimate of $0.015 a minute of audio. All three shut down on 2027-01-06.
    "tts-1": {"per_million_characters": 15.0},
    "tts-1-hd": {"per_million_characters": 30.0},
    "gpt-4o-mini-tts": {"per_audio_second": 0.015 / 60},
    # The offline provider costs nothing.
    "offline-script-1": {},
    "offline-image-1": {},
    "offline-video-1": {},
    "espeak-ng": {},
}


@cache
def _overrides(raw: str) -> dict[str, Prices]:
    if not raw:
        return {}
    try:
        table = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PRICES_JSON is not JSON: {exc}") from None
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ImproperlyConfigured('PRICES_JSON must look like {"model": {"per_image": 0.04}}')
    return table


def price_table() -> dict[str, Prices]:
    return {**DEFAULT_PRICES, **_overrides(settings.PRICES_JSON)}


def estimate_cost(model: str, usage: Usage, *, size: str = "") -> float | None:
    """US dollars for the usage at the model's prices; None when the model has no price.

    `size` (`720x1280`) picks the price of a second of video where it depends on the size.
    """
    prices = price_table().get(model)
    if prices is None:
        return None
    per_second = (prices.get("per_video_second_by_size") or {}).get(
        size.strip().lower(), prices.get("per_video_second", 0.0)
    )
    cost = (
        usage.input_tokens * prices.get("input_per_million", 0.0) / 1_000_000
        + usage.output_tokens * prices.get("output_per_million", 0.0) / 1_000_000
        + usage.images * prices.get("per_image", 0.0)
        + usage.video_seconds * per_second
        + usage.characters * prices.get("per_million_characters", 0.0) / 1_000_000
        + usage.audio_seconds * prices.get("per_audio_second", 0.0)
    )
    return round(cost, 6)


def estimate_node_cost(
    model: str, *, images: int = 0, video_seconds: float = 0, size: str = ""
) -> float | None:
    """What making `images` images or `video_seconds` of video at `size` with `model` would
    cost, in US dollars, before anything is sent; None when the model has no price."""
    return estimate_cost(model, Usage(images=images, video_seconds=video_seconds), size=size)


def describe_prices(model: str) -> str:
    prices = price_table().get(model)
    if prices is None:
        return "no price (not estimated)"
    if not prices:
        return "free"
    parts = []
    for name, value in prices.items():
        if isinstance(value, dict):
            parts += [f"per video second at {size} ${price}" for size, price in value.items()]
        else:
            parts.append(f"{name.replace('_', ' ')} ${value}")
    return ", ".join(parts)
