"""The one interface per kind of provider, and the one error type they raise.

A script is a plain dictionary (the shape of `dramas.serializers.ScriptSerializer`):
title, premise, logline, genre, tone, characters[], episodes[] with scenes[] with dialogue[].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings


class ProviderError(Exception):
    """A provider failed. `retryable` says whether trying again may succeed."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class ScriptOptions:
    premise: str
    genre: str = ""
    tone: str = ""
    episode_count: int = 3
    character_count: int = 4
    scenes_per_episode: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


class ScriptProvider(Protocol):
    name: str
    model: str

    def write(self, options: ScriptOptions) -> dict:
        """Returns a whole script for the premise, of the requested size."""

    def improve(self, script: dict, feedback: str) -> dict:
        """Returns the script rewritten to answer the feedback (same ids where kept)."""

    def critique(self, script: dict) -> dict:
        """Returns `{score, summary, issues: [{code, severity, message, refs}]}`."""


def script_provider() -> ScriptProvider:
    from generation.providers.local.script import LocalScriptWriter

    providers = {"local": LocalScriptWriter}
    return providers[settings.SCRIPT_PROVIDER]()
