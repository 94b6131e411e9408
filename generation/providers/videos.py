"""Video through OpenAI-compatible gateways (Seedance, Wan, … behind `/v1/videos`).

OpenAI removed its own Videos API and Sora 2 on 2026-09-24; gateways still speak the same
protocol, so this adapter keeps the seed's names: `SORA_API_KEY`, `SORA_API_BASE`,
`SORA_MODEL`. The request is mapped to what the model accepts (seconds, `WIDTHxHEIGHT`) before
any call, and an impossible request fails there, costing nothing.

Wire format (openai SDK `client.videos`): `POST /videos` is always multipart (`prompt`, `model`,
`seconds` as a string, `size`, file part `input_reference`, which must match `size`);
`GET /videos/{id}`; `GET /videos/{id}/content?variant=video`; `GET /videos?order=desc&limit=&after=`
lists renders newest first. The protocol has no cancel: `DELETE /videos/{id}` only removes a
finished or failed video.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import httpx2
import openai
from django.conf import settings
from openai.types import Video
from PIL import Image, ImageOps

from generation.providers.base import (
    CallRecord,
    ModelLifecycle,
    ProviderError,
    ReferenceImage,
    Usage,
    VideoRequest,
    VideoResult,
    VideoStatus,
    lifecycle_from_shutdown_date,
)
from generation.providers.openai_errors import common_error, service_message
from generation.providers.retry import call_with_retries
from generation.providers.transport import request_may_have_arrived, submit_unknown

# The SDK marks `client.videos` deprecated because Sora is gone; the protocol lives on at the
# gateways, so the warning says nothing useful here.
warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

NAME = "gateway"


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts. `sizes` None: any `WIDTHxHEIGHT`."""

    seconds: tuple[int, ...]
    sizes: tuple[str, ...] | None


_SORA_2_SIZES = ("720x1280", "1280x720")
MODEL_SPECS: dict[str, ModelSpec] = {
    "sora-2": ModelSpec(seconds=(4, 8, 12), sizes=_SORA_2_SIZES),
    "sora-2-pro": ModelSpec(seconds=(4, 8, 12), sizes=(*_SORA_2_SIZES, "1024x1792", "1792x1024")),
}
# Gateway models differ and publish their limits unevenly: let the service judge the rest.
DEFAULT_SPEC = ModelSpec(seconds=tuple(range(1, 16)), sizes=None)

# A clip may come out this much shorter than asked when the model cannot render longer;
# beyond that the scene would lose too much, so the request is refused.
MAX_SHORTENING = 0.25
# How far an allowed size's proportions may stray from the asked aspect ratio (1024x1792 is
# 1.6% off 9:16).
ASPECT_TOLERANCE = 0.02

# Error codes of a failed render that say another try may succeed.
TRANSIENT_CODES = {
    "internal_error",
    "server_error",
    "service_unavailable",
    "timeout",
    "rate_limit_exceeded",
    "capacity_exceeded",
    "overloaded",
}
MODEL_CODES = {"model_not_found", "invalid_model", "model_not_available"}

_STATES = {"queued": "queued", "in_progress": "running", "completed": "completed"}

# `find` looks this far back before `since`, in case the gateway's clock runs behind ours (its
# `created_at` is whole seconds too), through at most FIND_LIMIT of the newest renders, asked
# for FIND_PAGE at a time.
CLOCK_SKEW = 5.0
FIND_LIMIT = 500
FIND_PAGE = 100


def spec_for(model: str) -> ModelSpec:
    """The model's limits; a dated snapshot (`sora-2-2025-10-06`) has its family's."""
    base = re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)
    return MODEL_SPECS.get(model) or MODEL_SPECS.get(base) or DEFAULT_SPEC


def _invalid(message: str) -> ProviderError:
    return ProviderError(message, retryable=False, reason="invalid_request")


def _parse_aspect(aspect_ratio: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", aspect_ratio or "")
    if not match or not int(match[1]) or not int(match[2]):
        raise _invalid(f"aspect ratio {aspect_ratio!r} is not of the form 9:16")
    return int(match[1]), int(match[2])


def _parse_resolution(resolution: str) -> int:
    """The short side in pixels: `720p` → 720, `4k` → 2160."""
    text = (resolution or "").strip().lower()
    if text in ("4k", "2160p"):
        return 2160
    match = re.fullmatch(r"(\d+)p", text)
    if not match or int(match[1]) < 144:
        raise _invalid(f"resolution {resolution!r} is not of the form 720p")
    return int(match[1])


def _size_of(text: str) -> tuple[int, int]:
    width, height = text.split("x")
    return int(width), int(height)


def map_size(model: str, aspect_ratio: str, resolution: str) -> str:
    """The `WIDTHxHEIGHT` the model renders for the aspect ratio and resolution.

    Among the model's sizes of the same proportions, the smallest at least as sharp as asked,
    else the sharpest; raises ProviderError("invalid_request") when none has the proportions.
    """
    across, down = _parse_aspect(aspect_ratio)
    short = _parse_resolution(resolution)
    if across <= down:
        wanted = (short, _even(short * down / across))
    else:
        wanted = (_even(short * across / down), short)
    spec = spec_for(model)
    if spec.sizes is None:
        return f"{wanted[0]}x{wanted[1]}"
    ratio = across / down
    fitting = sorted(
        (_size_of(size) for size in spec.sizes if _matches(_size_of(size), ratio)),
        key=lambda size: min(size),
    )
    if not fitting:
        raise _invalid(
            f"{model} cannot render aspect ratio {aspect_ratio}: "
            f"it renders only {', '.join(spec.sizes)}"
        )
    sharp_enough = [size for size in fitting if min(size) >= short]
    width, height = sharp_enough[0] if sharp_enough else fitting[-1]
    return f"{width}x{height}"


def _even(value: float) -> int:
    # Video encoders want even dimensions.
    return max(2, round(value / 2) * 2)


def _matches(size: tuple[int, int], ratio: float) -> bool:
    return abs(size[0] / size[1] - ratio) / ratio <= ASPECT_TOLERANCE


def map_seconds(model: str, duration: int) -> int:
    """The allowed clip length nearest to `duration` and not shorter, when the model has one.

    Shorter only by up to MAX_SHORTENING; raises ProviderError("invalid_request") beyond.
    """
    allowed = sorted(spec_for(model).seconds)
    if duration < 1:
        raise _invalid(f"a video of {duration} s cannot be rendered")
    longer = [seconds for seconds in allowed if seconds >= duration]
    if longer:
        return longer[0]
    if duration * (1 - MAX_SHORTENING) <= allowed[-1]:
        return allowed[-1]
    listed = ", ".join(str(seconds) for seconds in allowed)
    raise _invalid(
        f"{model} cannot render a {duration} s clip: it renders {listed} s "
        f"(at most {allowed[-1]} s)"
    )


def fit_reference(reference: ReferenceImage, size: str) -> tuple[str, bytes, str]:
    """The reference as an upload of exactly `size`: (file name, bytes, content type).

    Cropped to fill rather than stretched, so faces keep their proportions; JPEG stays JPEG,
    anything else becomes PNG.
    """
    width, height = _size_of(size)
    try:
        with Image.open(io.BytesIO(reference.data)) as image:
            source_format = image.format
            image.load()
            upright = ImageOps.exif_transpose(image)
            fitted = ImageOps.fit(upright, (width, height), method=Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _invalid(f"the reference image cannot be read: {exc}") from exc
    out = io.BytesIO()
    if source_format == "JPEG":
        fitted.convert("RGB").save(out, "JPEG", quality=92)
        return "reference.jpg", out.getvalue(), "image/jpeg"
    if fitted.mode not in ("RGB", "RGBA", "L", "LA"):
        fitted = fitted.convert("RGBA")
    fitted.save(out, "PNG")
    return "reference.png", out.getvalue(), "image/png"


def classify_error(exc: Exception, *, operation: str, model: str) -> ProviderError:
    """The SDK's exception as a ProviderError that says whether to try again."""
    common = common_error(exc, service=f"The video gateway ({operation})")
    if common is not None:
        return common
    if isinstance(exc, openai.APIStatusError):
        # A 404 on submit is the model (the only name in the path is the gateway's own).
        if exc.code in MODEL_CODES or (
            exc.status_code == 404 and operation in ("submit", "lifecycle")
        ):
            return ProviderError(
                f"the gateway does not serve the video model {model!r} (unknown or retired): "
                f"{service_message(exc)}",
                retryable=False,
                reason="model_unavailable",
            )  # fmt: skip
        return ProviderError(
            f"gateway {operation} failed with HTTP {exc.status_code}: {service_message(exc)}",
            retryable=False,
            reason="invalid_request",
        )
    return ProviderError(
        f"gateway {operation} gave an answer that cannot be read: {exc!r}",
        retryable=False,
        reason="malformed_answer",
    )


class GatewayVideoProvider:
    """VideoProvider for an OpenAI-compatible `/v1/videos` gateway."""

    name = NAME
    find_is_complete = False  # a listing may miss a render that exists

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model or settings.SORA_MODEL
        self.calls: list[CallRecord] = []

    @cached_property
    def client(self) -> openai.OpenAI:
        # Without a base URL the SDK would send the gateway's key to api.openai.com.
        if not settings.SORA_API_KEY or not settings.SORA_API_BASE:
            raise ProviderError(
                "the video gateway needs SORA_API_KEY and SORA_API_BASE",
                retryable=False,
                reason="not_configured",
            )
        # max_retries=0: retries belong to call_with_retries, and a retried submit bills twice.
        return openai.OpenAI(
            api_key=settings.SORA_API_KEY,
            base_url=settings.SORA_API_BASE,
            max_retries=0,
            timeout=settings.PROVIDER_TIMEOUT,
        )

    # ------------------------------------------------------------ the render
    def submit(self, request: VideoRequest) -> dict:
        """Starts the render with one request, never retried; returns its JSON handle."""
        model = self.model
        seconds = map_seconds(model, request.duration_seconds or settings.DEFAULT_VIDEO_DURATION)
        size = map_size(model, request.aspect_ratio, request.resolution)
        extra: dict[str, tuple[str, bytes, str]] = {}
        if request.reference is not None:
            extra["input_reference"] = fit_reference(request.reference, size)
        client = self.client
        video = call_with_retries(
            lambda: client.videos.create(
                model=model, prompt=request.prompt, seconds=str(seconds), size=size, **extra
            ),
            provider=NAME,
            model=model,
            operation="submit",
            calls=self.calls,
            classify=lambda exc: _submit_error(exc, model=model),
            retries=False,
        )
        return _handle(model, video.id, seconds, size)

    def poll(self, handle: dict) -> VideoStatus:
        """Where the render stands; `progress` is a fraction (the service sends percent)."""
        video_id, model = self._parts(handle)
        client = self.client

        def retrieve() -> tuple[Video, httpx2.Headers]:
            raw = client.videos.with_raw_response.retrieve(video_id)
            return raw.parse(), raw.headers

        video, headers = call_with_retries(
            retrieve,
            provider=NAME,
            model=model,
            operation="poll",
            calls=self.calls,
            classify=self._classifier("poll", model),
        )
        poll_after = _poll_after(headers.get("openai-poll-after-ms"))
        progress = video.progress / 100 if video.progress is not None else None
        if video.status == "failed":
            return _failed(video.error, progress=progress)
        state = _STATES.get(video.status)
        if state is None:
            return VideoStatus(
                state="failed",
                error=f"the gateway reported an unknown status {video.status!r}",
                retryable=False,
            )
        if state == "completed":
            progress = 1.0
        return VideoStatus(state=state, progress=progress, poll_after=poll_after)

    def download(self, handle: dict) -> VideoResult:
        """The finished MP4; its seconds are the usage the cost is estimated from."""
        video_id, model = self._parts(handle)
        seconds = float(handle.get("seconds") or 0)
        client = self.client

        def fetch() -> openai.HttpxBinaryResponseContent:
            content = client.videos.download_content(video_id, variant="video")
            if not content.content:
                raise ProviderError(
                    f"the gateway sent an empty video for {video_id}",
                    retryable=True,
                    reason="malformed_answer",
                )
            return content

        content = call_with_retries(
            fetch,
            provider=NAME,
            model=model,
            operation="download",
            calls=self.calls,
            classify=self._classifier("download", model),
            usage_of=lambda _: Usage(video_seconds=seconds),
            # Some models cost more a second at larger sizes.
            size=str(handle.get("size") or ""),
        )
        content_type = content.response.headers.get("content-type", "").split(";")[0].strip()
        return VideoResult(
            data=content.content,
            # Gateways often send application/octet-stream; the video variant is MP4.
            content_type=content_type if content_type.startswith("video/") else "video/mp4",
            model=model,
            duration_seconds=seconds,
            metadata={"id": video_id, "size": handle.get("size"), "provider": NAME},
        )

    def cancel(self, handle: dict) -> bool:
        """False, and no call: the videos protocol has no cancel.

        `DELETE /videos/{id}` (the SDK's `videos.delete`) removes a completed or failed video and
        its files; it neither stops a render in flight nor its bill, so it is no cancel.
        """
        self._parts(handle)
        return False

    def find(self, request: VideoRequest, *, since: float) -> dict | None:
        """The handle of a render of `request` submitted at or after `since`, if the gateway
        lists one; else None.

        Pages through `GET /videos` newest first and matches what `submit` would send: model,
        prompt, seconds and size (the reference image is not listed, so renders that differ
        only in it look alike). None as well when the gateway cannot list renders (404 or 405
        there) or does not echo prompts; other failures raise ProviderError.
        """
        model = self.model
        seconds = map_seconds(model, request.duration_seconds or settings.DEFAULT_VIDEO_DURATION)
        size = map_size(model, request.aspect_ratio, request.resolution)
        wanted = (model, request.prompt, str(seconds), size)
        earliest = math.floor(since) - CLOCK_SKEW
        client = self.client

        def search() -> Video | None:
            try:
                for looked, video in enumerate(client.videos.list(order="desc", limit=FIND_PAGE)):
                    if video.created_at < earliest or looked >= FIND_LIMIT:
                        return None
                    if (video.model, video.prompt, str(video.seconds), video.size) == wanted:
                        return video
            except openai.APIStatusError as exc:
                if exc.status_code in (404, 405):
                    return None  # a gateway that does not list renders
                raise
            return None

        found = call_with_retries(
            search,
            provider=NAME,
            model=model,
            operation="find",
            calls=self.calls,
            classify=self._classifier("find", model),
        )
        return None if found is None else _handle(model, found.id, seconds, size)

    # ------------------------------------------------------------ the model
    def lifecycle(self) -> ModelLifecycle:
        """What the gateway says of the model (`GET /models/{id}`).

        `unknown` only when the gateway says so (a model error code); a gateway without the
        route (404 without one, or 405) leaves the model `unchecked`.
        """
        try:
            found = self.client.models.retrieve(self.model)
        except ProviderError as exc:
            return ModelLifecycle(NAME, self.model, "unchecked", detail=str(exc))
        except openai.APIStatusError as exc:
            if exc.code in MODEL_CODES:
                return ModelLifecycle(
                    NAME, self.model, "unknown",
                    detail=f"the gateway does not know it: {service_message(exc)}",
                )  # fmt: skip
            if exc.status_code in (404, 405):
                return ModelLifecycle(
                    NAME, self.model, "unchecked",
                    detail=f"the gateway does not answer GET /models/{{id}} "
                    f"(HTTP {exc.status_code}: {service_message(exc)})",
                )  # fmt: skip
            error = classify_error(exc, operation="lifecycle", model=self.model)
            return ModelLifecycle(NAME, self.model, "unchecked", detail=str(error))
        except Exception as exc:  # a check reports every failure and never raises
            error = classify_error(exc, operation="lifecycle", model=self.model)
            return ModelLifecycle(NAME, self.model, "unchecked", detail=str(error))
        return lifecycle_from_shutdown_date(NAME, self.model, getattr(found, "shutdown_date", None))

    # ------------------------------------------------------------ helpers
    def _classifier(self, operation: str, model: str) -> Callable[[Exception], ProviderError]:
        return lambda exc: classify_error(exc, operation=operation, model=model)

    @staticmethod
    def _parts(handle: dict) -> tuple[str, str]:
        if handle.get("provider") != NAME or not handle.get("id") or not handle.get("model"):
            raise _invalid(f"not a gateway video handle: {handle!r}")
        return str(handle["id"]), str(handle["model"])


def _handle(model: str, video_id: str, seconds: int, size: str) -> dict:
    return {"provider": NAME, "model": model, "id": video_id, "seconds": seconds, "size": size}


def _submit_error(exc: Exception, *, model: str) -> ProviderError:
    """A failed submit; one that may have reached the gateway is of unknown outcome."""
    error = classify_error(exc, operation="submit", model=model)
    if error.reason in ("timeout", "connection") and request_may_have_arrived(
        exc, unanswered=(openai.APIConnectionError,)
    ):
        return submit_unknown("video gateway", str(error))
    return error


def _poll_after(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(0.0, float(header) / 1000)
    except ValueError:
        return None


def _failed(error: object, *, progress: float | None) -> VideoStatus:
    """A render the service gave up on; retryable only when its code says it was transient."""
    if error is None:
        return VideoStatus(
            state="failed",
            progress=progress,
            error="the gateway failed the render without a reason",
        )
    # The SDK builds a model, but a body it could not fit stays a plain dictionary.
    fields = error if isinstance(error, dict) else vars(error)
    code = str(fields.get("code") or "")
    message = str(fields.get("message") or "no message")
    return VideoStatus(
        state="failed",
        progress=progress,
        error=f"{code}: {message}" if code else message,
        retryable=code in TRANSIENT_CODES,
    )
