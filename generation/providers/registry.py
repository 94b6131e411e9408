"""The one mapping from configuration to provider classes, per kind."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from generation.providers.base import (
    ImageProvider,
    ScriptProvider,
    SpeechProvider,
    VideoProvider,
)

SCRIPT_PROVIDERS = {
    "local": "generation.providers.local.script.LocalScriptWriter",
    "openai": "generation.providers.openai.OpenAIScriptWriter",
}
IMAGE_PROVIDERS = {
    "local": "generation.providers.local.image.LocalImageProvider",
    "gemini": "generation.providers.gemini.GeminiImageProvider",
}
VIDEO_PROVIDERS = {
    "local": "generation.providers.local.video.LocalVideoProvider",
    "gemini": "generation.providers.gemini.GeminiOmniVideoProvider",
    "gateway": "generation.providers.videos.GatewayVideoProvider",
}
SPEECH_PROVIDERS = {
    "local": "generation.providers.local.speech.LocalSpeechProvider",
    "gemini": "generation.providers.gemini.GeminiSpeechProvider",
    "openai": "generation.providers.openai.OpenAISpeechProvider",
}


def script_provider() -> ScriptProvider:
    return import_string(SCRIPT_PROVIDERS[settings.SCRIPT_PROVIDER])()


def image_provider() -> ImageProvider:
    return import_string(IMAGE_PROVIDERS[settings.IMAGE_PROVIDER])()


def video_provider(name: str | None = None) -> VideoProvider:
    """The configured video provider, or the one named in a stored render handle."""
    return import_string(VIDEO_PROVIDERS[name or settings.VIDEO_PROVIDER])()


def speech_provider() -> SpeechProvider:
    return import_string(SPEECH_PROVIDERS[settings.SPEECH_PROVIDER])()


def configured_models() -> dict[str, tuple[str, str]]:
    """For each kind, the provider in use and the model it will ask for."""
    from generation.providers.local.image import LocalImageProvider
    from generation.providers.local.script import LocalScriptWriter
    from generation.providers.local.speech import LocalSpeechProvider
    from generation.providers.local.video import LocalVideoProvider

    s = settings
    script = s.GPT_MODEL if s.SCRIPT_PROVIDER == "openai" else LocalScriptWriter.model
    image = s.GEMINI_IMAGE_MODEL if s.IMAGE_PROVIDER == "gemini" else LocalImageProvider.model
    video = {
        "gemini": s.GEMINI_VIDEO_MODEL,
        "gateway": s.SORA_MODEL,
        "local": LocalVideoProvider.model,
    }[s.VIDEO_PROVIDER]
    speech = {
        "gemini": s.GEMINI_TTS_MODEL,
        "openai": s.TTS_MODEL,
        "local": LocalSpeechProvider.model,
    }[s.SPEECH_PROVIDER]
    return {
        "script": (s.SCRIPT_PROVIDER, script),
        "image": (s.IMAGE_PROVIDER, image),
        "video": (s.VIDEO_PROVIDER, video),
        "speech": (s.SPEECH_PROVIDER, speech),
    }
