"""Google Gemini adapters: images and speech through `generateContent`, video through Gemini
Omni.

All go through the official `google-genai` SDK with its own retries switched off
(`HttpRetryOptions(attempts=1)`): `call_with_retries` owns every retry decision, and a video
submit is never retried at all, since a second submit can bill a second render.

What the SDK raises is turned into one ProviderError by `_classify`:
`google.genai.errors.ClientError` / `ServerError` (generateContent, models.get, files),
the Interactions API's own `google.genai._interactions` error classes, and raw httpx
timeouts and connection errors, which neither SDK layer wraps for generateContent.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import wave
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from google import genai
from google.genai import _interactions as ix
from google.genai import errors as genai_errors
from google.genai import types

from generation.providers.base import (
    CallRecord,
    ImageRequest,
    ImageResult,
    ModelLifecycle,
    ProviderError,
    SpeechRequest,
    SpeechResult,
    Usage,
    VideoRequest,
    VideoResult,
    VideoStatus,
    lifecycle_from_shutdown_date,
)
from generation.providers.retry import call_with_retries, retry_after_from_headers
from generation.providers.transport import TIMEOUTS as _TIMEOUTS
from generation.providers.transport import TRANSPORT as _TRANSPORT
from generation.providers.transport import request_may_have_arrived, submit_unknown

try:  # google-genai 3.x prefers httpx2 when it is installed, as it is here
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed SDK extras
    import httpx  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

PROVIDER = "gemini"

# finishReason values that mean the image was withheld (safety, policy), not merely absent.
_SAFETY_FINISH = {
    "SAFETY",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
}

# Gemini TTS answers with raw 16-bit PCM, mono, at the rate its mime type names.
SPEECH_RATE = 24000
# Preview TTS models Google shuts down (the Gemini API publishes no dates on a model).
TTS_SHUTDOWNS = {
    "gemini-3.1-flash-tts-preview": "2026-12-18",
    "gemini-2.5-flash-preview-tts": "2026-12-18",
    "gemini-2.5-pro-preview-tts": "2026-12-18",
}

# What Gemini Omni accepts (google-genai 3.6.1 VideoResponseFormat and the service docs).
VIDEO_ASPECT_RATIOS = ("16:9", "9:16")
VIDEO_RESOLUTIONS = ("360p", "720p", "1080p", "4k")
VIDEO_MIN_SECONDS = 3
VIDEO_MAX_SECONDS = 10

# Interaction states still on their way to an answer.
_RUNNING = {"in_progress", "idle", "requires_continuation"}
# Error codes in an interaction's errors[] that say "try again" rather than "never".
_TRANSIENT_CODES = ("unavailable", "internal", "deadline", "resource_exhausted", "aborted")


# ---------------------------------------------------------------- client and errors
def _client() -> genai.Client:
    """A fresh client: cheap, and a render handle may be polled from any process."""
    if not settings.GEMINI_API_KEY:
        raise ProviderError("GEMINI_API_KEY is not set", retryable=False, reason="auth")
    return genai.Client(
        api_key=settings.GEMINI_API_KEY,
        http_options=types.HttpOptions(
            base_url=settings.GEMINI_API_BASE or None,
            api_version=settings.GEMINI_API_VERSION,
            timeout=int(settings.PROVIDER_TIMEOUT * 1000),  # milliseconds, unlike the rest
            # One try per call for both layers: generateContent and, which matters more,
            # the Interactions client, whose default is 5 tries including the create POST.
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


def _by_status(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None,
    model: str,
    not_found: str,
) -> ProviderError:
    detail = f"Gemini answered {status}: {message}".strip()
    retry_after = retry_after_from_headers(headers)
    if status == 429:
        return ProviderError(detail, retryable=True, retry_after=retry_after, reason="rate_limited")
    if status == 408:
        return ProviderError(detail, retryable=True, retry_after=retry_after, reason="timeout")
    if status >= 500:
        return ProviderError(detail, retryable=True, retry_after=retry_after, reason="server_error")
    if status in (401, 403):
        return ProviderError(f"{detail} (check GEMINI_API_KEY)", retryable=False, reason="auth")
    if status == 404:
        if not_found == "model":
            return ProviderError(
                f"the Gemini model {model!r} is unknown or retired ({detail})",
                retryable=False,
                reason="model_unavailable",
            )
        return ProviderError(
            f"{not_found} not found ({detail})", retryable=False, reason="not_found"
        )
    lowered = message.lower()
    if any(word in lowered for word in ("safety", "blocked", "prohibited", "policy")):
        return ProviderError(detail, retryable=False, reason="safety")
    return ProviderError(detail, retryable=False, reason="invalid_request")


def _interaction_error_message(body: object, fallback: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or fallback)
    return fallback


def _classifier(model: str, *, not_found: str = "model"):
    """Turns what the SDK raised into a ProviderError; `not_found` names what a 404 lacks."""

    def classify(exc: Exception) -> ProviderError:
        if isinstance(exc, genai_errors.APIError):
            return _by_status(
                int(exc.code or 0),
                exc.message or str(exc),
                headers=getattr(exc.response, "headers", None),
                model=model,
                not_found=not_found,
            )
        if isinstance(exc, ix.APIStatusError):
            return _by_status(
                exc.status_code,
                _interaction_error_message(exc.body, exc.message),
                headers=exc.response.headers,
                model=model,
                not_found=not_found,
            )
        if isinstance(exc, ix.APITimeoutError) or isinstance(exc, _TIMEOUTS):
            return ProviderError(
                f"Gemini did not answer within {settings.PROVIDER_TIMEOUT} s",
                retryable=True,
                reason="timeout",
            )
        if isinstance(exc, ix.APIConnectionError) or isinstance(exc, _TRANSPORT):
            return ProviderError(
                f"could not reach Gemini: {exc}", retryable=True, reason="connection"
            )
        if isinstance(exc, ix.APIError | genai_errors.UnknownApiResponseError):
            return ProviderError(
                f"Gemini sent an answer the SDK could not read: {exc}",
                retryable=False,
                reason="malformed_answer",
            )
        return ProviderError(
            f"Gemini call failed: {type(exc).__name__}: {exc}",
            retryable=False,
            reason="unexpected",
        )

    return classify


def _submit_classifier(model: str):
    """As `_classifier`, but a submit that may have reached the service is of unknown outcome."""
    classify = _classifier(model)

    def classify_submit(exc: Exception) -> ProviderError:
        error = classify(exc)
        if error.reason in ("timeout", "connection") and request_may_have_arrived(
            exc, unanswered=(ix.APIConnectionError,)
        ):
            return submit_unknown("Gemini video", str(error))
        return error

    return classify_submit


def _lifecycle(model: str) -> ModelLifecycle:
    """Asks the service about `model`: known → available, 404 → unknown."""
    try:
        with _client() as client:
            info = client.models.get(model=model)
    except genai_errors.ClientError as exc:
        if exc.code == 404:
            return ModelLifecycle(PROVIDER, model, "unknown", detail=exc.message or str(exc))
        return ModelLifecycle(PROVIDER, model, "unchecked", detail=f"{exc.code}: {exc.message}")
    except ProviderError as exc:
        return ModelLifecycle(PROVIDER, model, "unchecked", detail=str(exc))
    except Exception as exc:  # the check reports what it found; it must not crash the command
        return ModelLifecycle(PROVIDER, model, "unchecked", detail=str(_classifier(model)(exc)))
    # The Gemini API publishes no shutdown date on the model resource.
    return ModelLifecycle(PROVIDER, model, "available", detail=info.display_name or "")


def _enum_name(value: object) -> str:
    return str(getattr(value, "value", value) or "")


# ---------------------------------------------------------------- images
class GeminiImageProvider:
    """Images from Gemini's `generateContent` with image output (GEMINI_IMAGE_MODEL)."""

    name = PROVIDER

    def __init__(self) -> None:
        self.model: str = settings.GEMINI_IMAGE_MODEL
        self.calls: list[CallRecord] = []

    def generate(self, request: ImageRequest) -> ImageResult:
        contents: list[Any] = [request.prompt]
        contents += [
            types.Part.from_bytes(data=ref.data, mime_type=ref.mime_type)
            for ref in request.references
        ]
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=request.aspect_ratio),
        )

        def call() -> ImageResult:
            with _client() as client:
                response = client.models.generate_content(
                    model=self.model, contents=contents, config=config
                )
            return self._image_from(response)

        return call_with_retries(
            call,
            provider=PROVIDER,
            model=self.model,
            operation="image",
            calls=self.calls,
            classify=_classifier(self.model),
            usage_of=lambda result: Usage(
                input_tokens=result.metadata.get("input_tokens", 0),
                output_tokens=result.metadata.get("output_tokens", 0),
                images=1,
            ),
        )

    def _image_from(self, response: types.GenerateContentResponse) -> ImageResult:
        """The first image of the answer; a blocked prompt or an answer without one raises."""
        candidates = response.candidates or []
        if not candidates:
            feedback = response.prompt_feedback
            block = _enum_name(feedback.block_reason) if feedback else ""
            if block:
                why = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
                raise ProviderError(
                    f"Gemini blocked the prompt ({block}){why}", retryable=False, reason="safety"
                )
            raise ProviderError(
                "Gemini answered with no candidate and no reason",
                retryable=False,
                reason="no_image",
            )
        texts: list[str] = []
        for candidate in candidates:
            for part in (candidate.content.parts if candidate.content else None) or []:
                inline = part.inline_data
                if inline is not None and inline.data:
                    mime = inline.mime_type or "image/png"
                    if mime.startswith("image/"):
                        return self._result(response, candidate, inline.data, mime)
                if part.text:
                    texts.append(part.text)
        finish = _enum_name(candidates[0].finish_reason) or "unknown"
        said = " ".join(filter(None, [candidates[0].finish_message, *texts])).strip()
        raise ProviderError(
            f"Gemini returned no image (finish reason {finish})" + (f": {said}" if said else ""),
            retryable=False,
            reason="safety" if finish in _SAFETY_FINISH else "no_image",
        )

    def _result(self, response, candidate, data: bytes, mime: str) -> ImageResult:
        usage = response.usage_metadata
        return ImageResult(
            data=data,
            content_type=mime,
            model=self.model,
            metadata={
                "provider": PROVIDER,
                "model_version": response.model_version or "",
                "finish_reason": _enum_name(candidate.finish_reason),
                "input_tokens": (usage.prompt_token_count or 0) if usage else 0,
                "output_tokens": (usage.candidates_token_count or 0) if usage else 0,
            },
        )

    def lifecycle(self) -> ModelLifecycle:
        return _lifecycle(self.model)


# ---------------------------------------------------------------- speech
def speech_text(request: SpeechRequest) -> str:
    """The text Gemini TTS reads: the line, after its delivery as Google's guide writes it
    ("Say cheerfully: Have a wonderful day!") when the request has one."""
    direction = request.instructions.strip().rstrip(":").strip()
    return f"Say {direction}: {request.text}" if direction else request.text


def pcm_rate(mime_type: str) -> int:
    """The sample rate named in a mime type like `audio/L16;codec=pcm;rate=24000`."""
    for parameter in mime_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "rate" and value.strip().isdigit():
            return int(value.strip())
    return SPEECH_RATE


def wav_from_pcm(pcm: bytes, *, rate: int, channels: int = 1) -> bytes:
    """Raw little-endian 16-bit PCM as a WAV file (Gemini labels it L16, but sends it in the
    byte order Google's own samples write straight into a WAV)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(pcm[: len(pcm) - len(pcm) % (2 * channels)])
    return buffer.getvalue()


class GeminiSpeechProvider:
    """Speech from Gemini TTS (GEMINI_TTS_MODEL) in one of its prebuilt voices, as WAV.

    The voice's name is the prebuilt voice's; the delivery goes before the text.
    """

    name = PROVIDER

    def __init__(self) -> None:
        self.model: str = settings.GEMINI_TTS_MODEL
        self.calls: list[CallRecord] = []

    def synthesize(self, request: SpeechRequest) -> SpeechResult:
        text = speech_text(request)
        config = types.GenerateContentConfig(
            response_modalities=["AUDIO"],
            speech_config=types.SpeechConfig(
                voice_config=types.VoiceConfig(
                    prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=request.voice.name)
                )
            ),
        )

        def call() -> SpeechResult:
            with _client() as client:
                response = client.models.generate_content(
                    model=self.model, contents=text, config=config
                )
            return self._speech_from(response, request, text)

        return call_with_retries(
            call,
            provider=PROVIDER,
            model=self.model,
            operation="speech",
            calls=self.calls,
            classify=_classifier(self.model),
            usage_of=lambda result: Usage(
                input_tokens=result.metadata["input_tokens"],
                output_tokens=result.metadata["output_tokens"],
                characters=len(text),
                audio_seconds=result.duration_seconds,
            ),
        )

    def _speech_from(
        self, response: types.GenerateContentResponse, request: SpeechRequest, text: str
    ) -> SpeechResult:
        """The answer's audio as WAV; a blocked text or an answer without audio raises."""
        meta = response.usage_metadata
        usage = Usage(
            input_tokens=(meta.prompt_token_count or 0) if meta else 0,
            output_tokens=(meta.candidates_token_count or 0) if meta else 0,
            characters=len(text),
        )
        candidates = response.candidates or []
        if not candidates:
            feedback = response.prompt_feedback
            block = _enum_name(feedback.block_reason) if feedback else ""
            if block:
                why = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
                raise ProviderError(f"Gemini refused to speak the line ({block}){why}",
                                    retryable=False, reason="safety", usage=usage)  # fmt: skip
            raise ProviderError("Gemini answered with no candidate and no reason",
                                retryable=True, reason="no_audio", usage=usage)  # fmt: skip
        candidate = candidates[0]
        finish = _enum_name(candidate.finish_reason) or "unknown"
        parts = (candidate.content.parts if candidate.content else None) or []
        audio = next(
            (
                part.inline_data
                for part in parts
                if part.inline_data is not None
                and part.inline_data.data
                and (part.inline_data.mime_type or "").lower().startswith("audio/")
            ),
            None,
        )
        if audio is None:
            said = " ".join(filter(None, [candidate.finish_message, *(p.text for p in parts)]))
            # A withheld line stays withheld; a model that answered in text may speak next time.
            raise ProviderError(
                f"Gemini returned no audio (finish reason {finish})"
                + (f": {said.strip()}" if said.strip() else ""),
                retryable=finish not in _SAFETY_FINISH,
                reason="safety" if finish in _SAFETY_FINISH else "no_audio",
                usage=usage,
            )
        if finish == "MAX_TOKENS":
            raise ProviderError(
                "Gemini stopped before the end of the line (MAX_TOKENS): shorten it",
                retryable=False,
                reason="truncated",
                usage=usage,
            )
        mime = audio.mime_type or ""
        kind = mime.split(";")[0].strip().lower()
        if kind not in ("audio/l16", "audio/pcm"):
            raise ProviderError(
                f"Gemini sent audio as {mime!r}, not the raw PCM (audio/L16) this adapter reads",
                retryable=False,
                reason="malformed_answer",
                usage=usage,
            )
        rate = pcm_rate(mime)
        data = wav_from_pcm(audio.data, rate=rate)
        duration = (len(audio.data) // 2) / rate
        return SpeechResult(
            data=data,
            content_type="audio/wav",
            model=self.model,
            duration_seconds=duration,
            voice=request.voice.name,
            metadata={
                "provider": PROVIDER,
                "model_version": response.model_version or "",
                "finish_reason": finish,
                "sample_rate": rate,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
            },
        )

    def lifecycle(self) -> ModelLifecycle:
        """As for the other Gemini models, with the shutdown dates Google announced for the
        preview TTS models."""
        state = _lifecycle(self.model)
        shutdown = TTS_SHUTDOWNS.get(self.model)
        if state.state != "available" or shutdown is None:
            return state
        known = lifecycle_from_shutdown_date(PROVIDER, self.model, shutdown)
        known.detail = "a preview TTS model: gemini-3.8-flash-lite-tts replaces it"
        return known


# ---------------------------------------------------------------- video
class GeminiOmniVideoProvider:
    """Video from Gemini Omni through the Interactions API (GEMINI_VIDEO_MODEL).

    The handle is `{"provider": "gemini", "model", "id", "duration_seconds", ...}`: the
    interaction id is all the service needs, the duration prices the download.
    """

    name = PROVIDER
    find_is_complete = False  # a listing may miss a render that exists

    def __init__(self) -> None:
        self.model: str = settings.GEMINI_VIDEO_MODEL
        self.calls: list[CallRecord] = []

    # ------------------------------------------------------------ submit
    def submit(self, request: VideoRequest) -> dict:
        self._check(request)
        content: list[dict[str, Any]] = []
        if request.reference is not None:
            content.append(
                {
                    "type": "image",
                    "data": base64.b64encode(request.reference.data).decode("ascii"),
                    "mime_type": request.reference.mime_type,
                }
            )
        content.append({"type": "text", "text": request.prompt})
        response_format = {
            "type": "video",
            "aspect_ratio": request.aspect_ratio,
            "duration": f"{request.duration_seconds}s",
            "resolution": request.resolution,
            # A link to fetch once, rather than the whole video inline in every poll.
            "delivery": "uri",
        }

        def call() -> str:
            with _client() as client:
                interaction = client.interactions.create(
                    model=self.model,
                    input=content,
                    response_format=response_format,
                    background=True,
                )
            if not interaction.id:
                raise ProviderError(
                    "Gemini accepted the render but sent no interaction id",
                    retryable=False,
                    reason="malformed_answer",
                )
            return interaction.id

        # Tried once: after a failure the render may still have been accepted and billed, so
        # whether to submit again is the job's decision, not a loop's.
        interaction_id = call_with_retries(
            call,
            provider=PROVIDER,
            model=self.model,
            operation="video_submit",
            calls=self.calls,
            classify=_submit_classifier(self.model),
            retries=False,
        )
        return {
            "provider": PROVIDER,
            "model": self.model,
            "id": interaction_id,
            "duration_seconds": request.duration_seconds,
            "aspect_ratio": request.aspect_ratio,
            "resolution": request.resolution,
        }

    def _check(self, request: VideoRequest) -> None:
        """Refuses what Gemini Omni cannot render, before anything is sent or billed."""
        problems = []
        if request.aspect_ratio not in VIDEO_ASPECT_RATIOS:
            problems.append(
                f"aspect ratio {request.aspect_ratio!r} (allowed: {', '.join(VIDEO_ASPECT_RATIOS)})"
            )
        if request.resolution not in VIDEO_RESOLUTIONS:
            problems.append(
                f"resolution {request.resolution!r} (allowed: {', '.join(VIDEO_RESOLUTIONS)})"
            )
        duration = request.duration_seconds
        if not isinstance(duration, int) or not (
            VIDEO_MIN_SECONDS <= duration <= VIDEO_MAX_SECONDS
        ):
            problems.append(
                f"duration {duration!r} s (allowed: whole seconds from "
                f"{VIDEO_MIN_SECONDS} to {VIDEO_MAX_SECONDS})"
            )
        if problems:
            raise ProviderError(
                f"{self.model} cannot render this video: " + "; ".join(problems),
                retryable=False,
                reason="invalid_request",
            )

    # ------------------------------------------------------------ poll
    def poll(self, handle: dict) -> VideoStatus:
        interaction = self._fetch(handle, operation="video_poll")
        status = str(interaction.status or "")
        if status == "queued":
            return VideoStatus(state="queued")
        if status in _RUNNING:
            return VideoStatus(state="running")
        if status == "completed":
            if _video_of(interaction) is None:
                return VideoStatus(
                    state="failed",
                    error=_no_video_reason(interaction),
                    retryable=False,
                )
            return VideoStatus(state="completed", progress=1.0)
        if status == "failed":
            text, transient = _errors_of(interaction)
            return VideoStatus(
                state="failed",
                error=f"Gemini could not render the video: {text or 'no reason given'}",
                retryable=transient,
            )
        # cancelled, incomplete, budget_exceeded, requires_action, or a state added later:
        # none of them will turn into a video by waiting.
        text, _ = _errors_of(interaction)
        return VideoStatus(
            state="failed",
            error=f"the render ended as {status or 'unknown'}" + (f": {text}" if text else ""),
            retryable=False,
        )

    # ------------------------------------------------------------ download
    def download(self, handle: dict) -> VideoResult:
        model = _handle_model(handle, self.model)
        duration = float(handle.get("duration_seconds") or 0)

        def call() -> VideoResult:
            with _client() as client:
                interaction = _get_interaction(client, handle)
                video = _video_of(interaction)
                if str(interaction.status or "") != "completed" or video is None:
                    raise ProviderError(
                        f"render {handle['id']} has no video to download "
                        f"(status {interaction.status}): {_no_video_reason(interaction)}",
                        retryable=False,
                        reason="no_video",
                    )
                data = _video_bytes(client, video)
            return VideoResult(
                data=data,
                content_type=video.mime_type or "video/mp4",
                model=model,
                duration_seconds=duration,
                metadata={"provider": PROVIDER, "interaction_id": handle["id"]},
            )

        return call_with_retries(
            call,
            provider=PROVIDER,
            model=model,
            operation="video_download",
            calls=self.calls,
            classify=_classifier(model, not_found=f"render {handle.get('id')!r}"),
            # What the render is billed for: the seconds that were asked for.
            usage_of=lambda result: Usage(video_seconds=duration),
        )

    # ------------------------------------------------------------ cancel and find
    def cancel(self, handle: dict) -> bool:
        """Cancels the render (`POST .../interactions/{id}/cancel`); True once it is cancelled.

        A render that had already ended otherwise (completed, failed) cannot be cancelled: that
        is a ProviderError that is not retryable.
        """
        model = _handle_model(handle, self.model)

        def call():
            with _client() as client:
                return client.interactions.cancel(id=str(handle["id"]))

        interaction = call_with_retries(
            call,
            provider=PROVIDER,
            model=model,
            operation="video_cancel",
            calls=self.calls,
            classify=_classifier(model, not_found=f"render {handle.get('id')!r}"),
        )
        status = str(interaction.status or "")
        if status != "cancelled":
            raise ProviderError(
                f"render {handle['id']} could not be cancelled: it is {status or 'in no state'}",
                retryable=False,
                reason="not_cancellable",
            )
        return True

    def find(self, request: VideoRequest, *, since: float) -> dict | None:
        """None, always: the Interactions API (google-genai 3.6.1) can create, get, cancel and
        delete an interaction but not list them, so a render whose submit went unanswered
        cannot be looked up without its id."""
        return None

    def lifecycle(self) -> ModelLifecycle:
        return _lifecycle(self.model)

    def _fetch(self, handle: dict, *, operation: str):
        model = _handle_model(handle, self.model)

        def call():
            with _client() as client:
                return _get_interaction(client, handle)

        return call_with_retries(
            call,
            provider=PROVIDER,
            model=model,
            operation=operation,
            calls=self.calls,
            classify=_classifier(model, not_found=f"render {handle.get('id')!r}"),
        )


def _handle_model(handle: dict, default: str) -> str:
    if not isinstance(handle, dict) or handle.get("provider") != PROVIDER or not handle.get("id"):
        raise ProviderError(
            f"not a Gemini render handle: {handle!r}", retryable=False, reason="invalid_request"
        )
    return str(handle.get("model") or default)


def _get_interaction(client: genai.Client, handle: dict):
    return client.interactions.get(id=str(handle["id"]))


def _video_of(interaction) -> Any:
    """The last video of the model's output (the SDK's `output_video`), if it has one."""
    video = getattr(interaction, "output_video", None)
    if video is not None and (video.data or video.uri):
        return video
    for step in reversed(interaction.steps or []):
        if getattr(step, "type", None) != "model_output":
            continue
        for item in reversed(getattr(step, "content", None) or []):
            if getattr(item, "type", None) == "video" and (item.data or item.uri):
                return item
    return None


def _errors_of(interaction) -> tuple[str, bool]:
    """The interaction's errors[] as one line, and whether they look transient."""
    found = []
    for source in [*(interaction.errors or [])] + [
        getattr(step, "error", None) for step in interaction.steps or []
    ]:
        if source is None:
            continue
        code = str(getattr(source, "code", "") or "")
        message = str(getattr(source, "message", "") or "")
        found.append((code, message))
    text = "; ".join(f"{message} ({code})" if code else message for code, message in found)
    transient = bool(found) and all(
        any(word in code.lower() for word in _TRANSIENT_CODES) for code, _ in found
    )
    return text, transient


def _no_video_reason(interaction) -> str:
    text, _ = _errors_of(interaction)
    said = (getattr(interaction, "output_text", None) or "").strip()
    details = "; ".join(filter(None, [text, said]))
    return "completed without a video" + (f": {details}" if details else "")


def _video_bytes(client: genai.Client, video) -> bytes:
    if video.data:
        try:
            return base64.b64decode(video.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderError(
                f"Gemini sent video data that is not base64: {exc}",
                retryable=False,
                reason="malformed_answer",
            ) from None
    try:
        return client.files.download(file=types.Video(uri=video.uri))
    except (ValueError, IndexError):
        pass  # a URI the SDK cannot turn into a file name
    except genai_errors.ClientError as exc:
        if exc.code not in (400, 404):
            raise
    # The URI form is not documented: fetch it as it is.
    return _plain_get(video.uri)


def _plain_get(uri: str) -> bytes:
    """GET of the video URI's content (`alt=media`; without it Google's file URIs answer with
    the file's JSON metadata), with the API key only for Google's own hosts (or
    GEMINI_API_BASE). Anything but a video/* answer is refused, not saved as a video."""
    host = urlsplit(uri).hostname or ""
    api_host = urlsplit(settings.GEMINI_API_BASE or "").hostname or ""
    ours = bool(host) and (host == api_host or host.endswith(".googleapis.com"))
    headers = {"x-goog-api-key": settings.GEMINI_API_KEY} if ours else {}
    with httpx.Client(timeout=settings.PROVIDER_TIMEOUT) as http:
        response = http.get(uri, params={"alt": "media"}, headers=headers)
        if response.is_redirect and response.headers.get("location"):
            # httpx would forward a custom key header across hosts; a signed link needs none,
            # and is followed as it is given.
            response = http.get(
                str(response.url.join(response.headers["location"])), follow_redirects=True
            )
    if response.status_code != 200:
        raise _by_status(
            response.status_code,
            response.text[:300],
            headers=response.headers,
            model="",
            not_found=f"video {uri}",
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith("video/"):
        raise ProviderError(
            f"the video link {uri} answered with {content_type or 'no content type'}, not a video",
            retryable=False,
            reason="malformed_answer",
        )
    return response.content
