"""A local stand-in for Google's Gemini API, speaking its wire protocol to the real SDK.

It serves what the product's Gemini adapters call, on 127.0.0.1 and a free port:

- `POST /{version}/models/{model}:generateContent`   images, and speech when the request asks
                                                      for AUDIO: raw 16-bit PCM inline, as
                                                      Gemini TTS answers (`speech_answer`)
- `GET  /{version}/models/{model}`                    the lifecycle check
- `POST /{version}/interactions`                      a video render is submitted
- `GET  /{version}/interactions/{id}`                 … polled
- `POST /{version}/interactions/{id}/cancel`          … cancelled (a finished one stays as
                                                      it ended)
- `GET  /{version}/files/{name}:download?alt=media`   the SDK's file download
- `GET  /media/{name}`                                a plain URI (no key needed), for the
                                                      adapter's fallback download: the bytes
                                                      with `alt=media`, else the file's JSON
                                                      metadata, as Google's file URIs answer

Every request is recorded (method, path, query, headers, body) for the test to assert on.
A test scripts the answers per route with `fake.reply(route, Reply(...))`, in order; a route
with nothing scripted answers as the service would for a plain success. Errors use Google's
body, `{"error": {"code", "message", "status"}}`.

`fake.submit_fault = "stall"` (or `"drop"`) makes the service accept each render submitted, so
the interaction exists and can be polled, and then hold the answer past the client's timeout
(or close the connection without it); `fake.submits_received` counts the submits that arrived.
The Interactions API has no list, and neither has the fake.
"""

from __future__ import annotations

import base64
import math
import uuid
from typing import Any, Unpack

from tests.fakes.base import Recorded, Reply, RoutedFake, ServiceOptions, accepted_then, route

API_KEY = "g-test"

# A valid 1x1 PNG, so an answer's bytes are a real image.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"fake-video-frames" * 8

# States an interaction does not leave.
FINISHED = ("completed", "failed", "cancelled", "incomplete", "budget_exceeded")

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    """Google's error body for `status`."""
    body = {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return Reply(status=status, body=body, headers=headers or {})


def image_answer(
    data: bytes = PNG_1X1, *, mime_type: str = "image/png", camel: bool = True
) -> Reply:
    """A generateContent answer carrying one image (and a line of text, as the model adds)."""
    inline_key, mime_key = ("inlineData", "mimeType") if camel else ("inline_data", "mime_type")
    return Reply(
        body={
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "Here is the storyboard."},
                            {
                                inline_key: {
                                    mime_key: mime_type,
                                    "data": base64.b64encode(data).decode(),
                                }
                            },
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 25,
                "candidatesTokenCount": 1290,
                "totalTokenCount": 1315,
            },
            "modelVersion": "gemini-3.1-flash-image",
        }
    )


SPEECH_RATE = 24000
# How long the fake takes to say a character of text, so longer lines give longer audio.
SECONDS_PER_CHARACTER = 0.05


def pcm_tone(seconds: float, *, rate: int = SPEECH_RATE, hertz: float = 220.0) -> bytes:
    """`seconds` of a quiet sine as raw little-endian 16-bit mono PCM."""
    frames = round(seconds * rate)
    return b"".join(
        int(3000 * math.sin(2 * math.pi * hertz * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(frames)
    )


def speech_answer(
    pcm: bytes | None = None,
    *,
    seconds: float = 1.5,
    rate: int = SPEECH_RATE,
    mime_type: str | None = None,
    usage: tuple[int, int] = (12, 38),
    finish_reason: str = "STOP",
) -> Reply:
    """A generateContent answer of Gemini TTS: one inline part of raw PCM, no text."""
    data = pcm if pcm is not None else pcm_tone(seconds, rate=rate)
    return Reply(
        body={
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {
                                "inlineData": {
                                    "mimeType": mime_type or f"audio/L16;codec=pcm;rate={rate}",
                                    "data": base64.b64encode(data).decode(),
                                }
                            }
                        ],
                    },
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": usage[0],
                "candidatesTokenCount": usage[1],
                "totalTokenCount": sum(usage),
                "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": usage[1]}],
            },
            "modelVersion": "gemini-3.8-flash-lite-tts",
        }
    )


def blocked_answer(reason: str = "PROHIBITED_CONTENT", message: str = "") -> Reply:
    feedback: dict[str, Any] = {"blockReason": reason}
    if message:
        feedback["blockReasonMessage"] = message
    return Reply(
        body={
            "promptFeedback": feedback,
            "usageMetadata": {"promptTokenCount": 25, "totalTokenCount": 25},
        }
    )


def no_image_answer(finish_reason: str = "IMAGE_SAFETY", text: str = "") -> Reply:
    content: dict[str, Any] = {"role": "model", "parts": [{"text": text}] if text else []}
    return Reply(
        body={
            "candidates": [{"content": content, "finishReason": finish_reason, "index": 0}],
            "usageMetadata": {"promptTokenCount": 25, "totalTokenCount": 25},
        }
    )


def interaction(
    interaction_id: str,
    status: str,
    *,
    model: str = "gemini-omni-1.2-flash",
    video_data: bytes | None = None,
    video_uri: str | None = None,
    errors: list[dict[str, str]] | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """An Interaction resource as `GET /interactions/{id}` returns it."""
    body: dict[str, Any] = {
        "id": interaction_id,
        "status": status,
        "model": model,
        "created": "2026-11-20T10:00:00Z",
        "updated": "2026-11-20T10:00:05Z",
        "steps": [],
    }
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "text", "text": text})
    if video_data is not None:
        content.append(
            {
                "type": "video",
                "mime_type": "video/mp4",
                "data": base64.b64encode(video_data).decode(),
            }
        )
    if video_uri is not None:
        content.append({"type": "video", "mime_type": "video/mp4", "uri": video_uri})
    if content:
        body["steps"].append({"type": "model_output", "content": content})
    if errors is not None:
        body["errors"] = errors
    if status == "completed":
        body["usage"] = {"total_input_tokens": 300, "total_output_tokens": 46336}
    return body


class GeminiFake(RoutedFake[Recorded]):
    """Google's API: `files` and `interactions` hold what downloads and polls will find."""

    api_key = API_KEY

    def __init__(self, **options: Unpack[ServiceOptions]) -> None:
        super().__init__(**options)
        self.files: dict[str, bytes] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        # None, "stall" or "drop": what becomes of the answer to a submit it accepted.
        self.submit_fault: str | None = None

    @property
    def submits_received(self) -> int:
        return len(self.requests_to("create"))

    # ---------------------------------------------------------------- answering
    def _unknown_route(self, recorded: Recorded) -> Reply:
        return error(404, f"no such method: {recorded.method} {recorded.path}")

    def _refuse(self, recorded: Recorded, route: str) -> Reply | None:
        # A plain media URI stands for a signed link elsewhere: it needs no key.
        if route != "media" and recorded.headers.get("x-goog-api-key") != self.api_key:
            return error(403, "Method doesn't allow unregistered callers (API key not valid).")
        return None

    def _unknown_model(self, model: str) -> Reply:
        return error(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported.",
        )

    @route("POST", r"^/(v\w+)/models/([^/:]+):generateContent$")
    def _default_generate(self, recorded: Recorded, version: str, model: str) -> Reply:
        if not self._known(model):
            return self._unknown_model(model)
        body = recorded.json or {}
        if not body.get("contents"):
            return error(400, "* GenerateContentRequest.contents: contents is not specified")
        if "AUDIO" in body.get("generationConfig", {}).get("responseModalities", []):
            if not speech_voice(recorded):
                return error(400, "speech_config.voice_config is required for audio output")
            spoken = " ".join(texts(recorded))
            return speech_answer(seconds=max(0.2, len(spoken) * SECONDS_PER_CHARACTER))
        return image_answer()

    @route("GET", r"^/(v\w+)/models/([^/:]+)$")
    def _default_model(self, recorded: Recorded, version: str, model: str) -> Reply:
        if not self._known(model):
            return self._unknown_model(model)
        return Reply(
            body={
                "name": f"models/{model}",
                "version": "001",
                "displayName": model,
                "inputTokenLimit": 65536,
                "outputTokenLimit": 32768,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
        )

    @route("POST", r"^/(v\w+)/interactions$")
    def _default_create(self, recorded: Recorded, version: str) -> Reply:
        body = recorded.json or {}
        model = body.get("model", "")
        if not self._known(model):
            return self._unknown_model(model)
        interaction_id = "v1_" + uuid.uuid4().hex
        created = interaction(interaction_id, "queued" if body.get("background") else "completed")
        created["model"] = model
        with self._lock:
            self.interactions[interaction_id] = created
        return accepted_then(self.submit_fault, Reply(body=created))

    @route("GET", r"^/(v\w+)/interactions/([^/]+)$")
    def _default_get(self, recorded: Recorded, version: str, interaction_id: str) -> Reply:
        with self._lock:
            found = self.interactions.get(interaction_id)
        if found is None:
            return error(404, f"Interaction {interaction_id} not found.")
        return Reply(body=found)

    @route("POST", r"^/(v\w+)/interactions/([^/]+)/cancel$")
    def _default_cancel(self, recorded: Recorded, version: str, interaction_id: str) -> Reply:
        with self._lock:
            found = self.interactions.get(interaction_id)
            if found is not None and found["status"] not in FINISHED:
                found["status"] = "cancelled"
        if found is None:
            return error(404, f"Interaction {interaction_id} not found.")
        return Reply(body=found)

    @route("GET", r"^/(v\w+)/files/([^/:]+):download$")
    def _default_download(self, recorded: Recorded, version: str, name: str) -> Reply:
        return self._file(name)

    @route("GET", r"^/media/([^/]+)$")
    def _default_media(self, recorded: Recorded, name: str) -> Reply:
        if recorded.query.get("alt") != ["media"] and name in self.files:
            return Reply(body=file_metadata(name, len(self.files[name])))
        return self._file(name)

    def _file(self, name: str) -> Reply:
        if name not in self.files:
            return error(404, f"File {name} not found.")
        return Reply(body=self.files[name], content_type="video/mp4")


def file_metadata(name: str, size: int) -> dict[str, Any]:
    """A File resource as Google sends it for a file URI fetched without `alt=media`."""
    return {
        "name": f"files/{name}",
        "mimeType": "video/mp4",
        "sizeBytes": str(size),
        "createTime": "2026-11-20T10:00:05Z",
        "state": "ACTIVE",
        "source": "GENERATED",
    }


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64: the SDK sends `bytes` fields URL-safe (`-`, `_`)."""
    return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)


def inline_images(recorded: Recorded) -> list[tuple[str, bytes]]:
    """The (mime type, bytes) of every inline image in a generateContent request."""
    found = []
    for content in (recorded.json or {}).get("contents", []):
        for part in content.get("parts", []):
            inline = part.get("inlineData") or part.get("inline_data")
            if inline:
                mime = inline.get("mimeType") or inline.get("mime_type") or ""
                found.append((mime, b64decode_any(inline["data"])))
    return found


def texts(recorded: Recorded) -> list[str]:
    """The text parts of a generateContent request."""
    return [
        part["text"]
        for content in (recorded.json or {}).get("contents", [])
        for part in content.get("parts", [])
        if "text" in part
    ]


def _field(body: dict, camel: str) -> Any:
    """A field by its JSON name or its proto name: Google's API reads both, and the SDK sends
    what is inside `speechConfig` with the proto's (snake_case) names."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return body.get(camel, body.get(snake)) or {}


def speech_voice(recorded: Recorded) -> str:
    """The prebuilt voice a generateContent request asks to be spoken in ("" for none)."""
    config = _field(recorded.json or {}, "generationConfig")
    voice = _field(_field(config, "speechConfig"), "voiceConfig")
    name = _field(_field(voice, "prebuiltVoiceConfig"), "voiceName")
    return name if isinstance(name, str) else ""
