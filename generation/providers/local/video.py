"""Offline clips encoded with ffmpeg (from imageio-ffmpeg): H.264 MP4, 9:16, a slow pan over
the reference image (a storyboard carries the "OFFLINE PREVIEW" label; without one the prompt
is drawn, labelled), the requested duration. The dialogue is not drawn on the clip: the episode
cut burns it in over the clips, timed to the voices.

`submit` encodes at once into OUTPUTS_DIR and returns a handle naming the file; the render then
acts as a remote one would for LOCAL_VIDEO_LATENCY_MS (`ready_at` in the handle): `poll` says
it is running, with progress, until then, and `download` refuses it. No worker waits out that
time. Same request, same video.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings
from PIL import Image, ImageDraw

from generation.providers.base import (
    CallRecord,
    ProviderError,
    Usage,
    VideoRequest,
    VideoResult,
    VideoStatus,
)
from generation.providers.local.image import draw_label, draw_text_block, gradient, size_for
from generation.providers.pricing import estimate_cost

FPS = 24
WIDTH = 540  # an offline preview: smaller than a real render, and quick to encode
# How much larger than the frame the picture is scaled, so the crop window can travel.
PAN = 1.12
PAN_EVERY = 3
# x264 as the benchmark's bare encode uses it too.
CODEC = ("-c:v", "libx264", "-preset", "superfast", "-pix_fmt", "yuv420p")
# In each request's key: a render left from before the clips changed is not handed out again.
ENCODER_VERSION = 5


def renders_dir() -> Path:
    path = Path(settings.OUTPUTS_DIR) / "renders"
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_key(request: VideoRequest) -> str:
    digest = hashlib.sha256(f"encoder {ENCODER_VERSION}\n".encode())
    digest.update(json.dumps([request.prompt, request.duration_seconds, request.aspect_ratio,
                              request.resolution, request.context], sort_keys=True,
                             default=str).encode())  # fmt: skip
    if request.reference is not None:
        digest.update(request.reference.data)
    return digest.hexdigest()[:24]


def first_frame(request: VideoRequest, size: tuple[int, int]) -> Image.Image:
    if request.reference is not None:
        return Image.open(io.BytesIO(request.reference.data)).convert("RGB").resize(size)
    image = gradient(size, (40, 40, 70), (10, 10, 20))
    draw_text_block(ImageDraw.Draw(image), (30, size[1] // 3), request.prompt, 28, 34,
                    (230, 230, 230))  # fmt: skip
    draw_label(image)
    return image


def encode_command(size: tuple[int, int], big: tuple[int, int], frames: int) -> list[str]:
    """ffmpeg reading one raw RGB picture of `big` on stdin and writing `frames` frames of a
    pan across it at `size`.

    The picture is converted to yuv420p once and then looped, so each frame is only a crop
    window into it: no image is decoded, scaled or converted per frame, and x264 gets the
    same frames it would from a lavfi source. The window moves in whole chroma samples (two
    pixels), every PAN_EVERY frames on a 12 % pan."""
    last = max(1, frames - 1)
    # The window moves every PAN_EVERY frames, on both axes at once: x264 then finds most
    # frames the same as the one before, as it would on a still source.
    step = f"min(1,round(n/{PAN_EVERY})*{PAN_EVERY}/{last})'"
    # Converted as BT.709 at TV range, and said so: the cut takes such a clip as it is.
    graph = (f"[0:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
             f"loop=loop={frames - 1}:size=1,setpts=N/({FPS}*TB),"
             f"crop={size[0]}:{size[1]}:x='(iw-ow)*{step}:y='(ih-oh)*{step}[v]")  # fmt: skip
    return [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{big[0]}x{big[1]}",
        "-framerate", str(FPS), "-i", "pipe:0",
        "-filter_complex", graph, "-map", "[v]", "-frames:v", str(frames), *CODEC,
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
        "-movflags", "+faststart",
    ]  # fmt: skip


def encode(request: VideoRequest, out: Path) -> None:
    size = size_for(request.aspect_ratio, WIDTH)
    big = (round(size[0] * PAN / 2) * 2, round(size[1] * PAN / 2) * 2)
    frames = round(request.duration_seconds * FPS)
    picture = first_frame(request, big)
    command = [*encode_command(size, big, frames), "-f", "mp4", str(out)]
    result = subprocess.run(command, input=picture.tobytes(), capture_output=True, timeout=120,  # noqa: S603
                            check=False)  # fmt: skip
    if result.returncode != 0:
        raise ProviderError(
            f"ffmpeg failed: {result.stderr.decode(errors='replace')[-400:]}",
            retryable=False,
            reason="render_failed",
        )


# The soonest a poll is told to ask again, so a render about to be ready is not polled in a loop.
MIN_POLL_AFTER = 0.05


class LocalVideoProvider:
    """VideoProvider that renders offline. A handle is `{"provider": "local", "model", "id"
    (the request's key and file name), "seconds", "submitted_at", "ready_at"}`, both times Unix
    seconds."""

    name = "local"
    model = "offline-video-1"
    # A render is a file on this machine: one that is not there was never made.
    find_is_complete = True

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def submit(self, request: VideoRequest) -> dict:
        if not 1 <= request.duration_seconds <= 60:
            raise ProviderError("The offline renderer makes clips of 1 to 60 seconds.",
                                retryable=False, reason="invalid_request")  # fmt: skip
        started = time.monotonic()
        key = request_key(request)
        out = renders_dir() / f"{key}.mp4"
        if not out.exists():
            partial = out.with_suffix(".partial.mp4")
            encode(request, partial)
            partial.replace(out)
        # The file's time says when the render was submitted, for `find`; set exactly, as the
        # file system's own clock may lag `time.time()` by a tick.
        submitted_ns = time.time_ns()
        os.utime(out, ns=(submitted_ns, submitted_ns))
        submitted_at = submitted_ns / 1e9
        self.calls.append(
            CallRecord(provider=self.name, model=self.model, operation="video",
                       latency_ms=int((time.monotonic() - started) * 1000), attempts=1,
                       usage=Usage(video_seconds=request.duration_seconds),
                       cost_usd=estimate_cost(self.model,
                                              Usage(video_seconds=request.duration_seconds)))
        )  # fmt: skip
        return self._handle(key, request.duration_seconds, submitted_at)

    def poll(self, handle: dict) -> VideoStatus:
        if not self._path(handle).exists():
            return VideoStatus(state="failed", error="The offline render is not on this machine.",
                               retryable=True)  # fmt: skip
        left = self._seconds_left(handle)
        if left > 0:
            submitted_at = float(handle.get("submitted_at") or handle["ready_at"])
            span = float(handle["ready_at"]) - submitted_at
            progress = min(0.99, max(0.0, 1 - left / span)) if span > 0 else 0.0
            return VideoStatus(state="running", progress=round(progress, 3),
                               poll_after=max(MIN_POLL_AFTER, left))  # fmt: skip
        return VideoStatus(state="completed", progress=1.0)

    def download(self, handle: dict) -> VideoResult:
        left = self._seconds_left(handle)
        if left > 0:
            raise ProviderError(f"The offline render is not ready for another {left:.2f} s.",
                                retryable=True, retry_after=left,
                                reason="not_ready")  # fmt: skip
        path = self._path(handle)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ProviderError("The offline render is gone; submit it again.",
                                retryable=True, reason="render_lost") from None  # fmt: skip
        path.unlink(missing_ok=True)
        return VideoResult(data=data, content_type="video/mp4", model=self.model,
                           duration_seconds=float(handle.get("seconds", 0)),
                           metadata={"offlinePreview": True})  # fmt: skip

    def cancel(self, handle: dict) -> bool:
        """Removes the render; True (it is gone whether or not it was still there)."""
        self._path(handle).unlink(missing_ok=True)
        return True

    def find(self, request: VideoRequest, *, since: float) -> dict | None:
        """The render of this request if its file is here and was submitted at or after
        `since`; its handle is the one `submit` returned."""
        key = request_key(request)
        try:
            submitted_at = (renders_dir() / f"{key}.mp4").stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return None
        if submitted_at < since:
            return None
        return self._handle(key, request.duration_seconds, submitted_at)

    # ------------------------------------------------------------ helpers
    def _handle(self, key: str, seconds: int, submitted_at: float) -> dict:
        return {"provider": self.name, "model": self.model, "id": key, "seconds": seconds,
                "submitted_at": submitted_at,
                "ready_at": submitted_at + settings.LOCAL_VIDEO_LATENCY_MS / 1000}  # fmt: skip

    @staticmethod
    def _path(handle: dict) -> Path:
        key = str(handle.get("id") or "")
        # The id names a file: only a key this provider made may reach the file system.
        if handle.get("provider") != "local" or not key.isalnum():
            raise ProviderError(f"not an offline render handle: {handle!r}",
                                retryable=False, reason="invalid_request")  # fmt: skip
        return renders_dir() / f"{key}.mp4"

    @staticmethod
    def _seconds_left(handle: dict) -> float:
        # Handles stored before renders took time have no `ready_at`: they are ready.
        return float(handle.get("ready_at") or 0) - time.time()
