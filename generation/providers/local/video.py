"""Offline clips encoded with ffmpeg (from imageio-ffmpeg): H.264 MP4, 9:16, a slow pan over
the reference image, the scene's dialogue as subtitles, the requested duration.

`submit` renders at once into OUTPUTS_DIR and returns a handle naming the file; `poll` finds it
there and `download` hands it over. Same request, same video.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
import textwrap
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
from generation.providers.local.image import draw_label, draw_text_block, font, gradient, size_for

FPS = 24
WIDTH = 540  # an offline preview: smaller than a real render, and quick to encode
# How much larger than the frame the picture is scaled, so the crop window can travel.
PAN = 1.12


def renders_dir() -> Path:
    path = Path(settings.OUTPUTS_DIR) / "renders"
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_key(request: VideoRequest) -> str:
    digest = hashlib.sha256()
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


def subtitle_overlay(text: str, speaker: str, size: tuple[int, int]) -> Image.Image:
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    caption = f"{speaker}: {text}" if speaker else text
    lines = textwrap.wrap(caption, 34)[:3]
    top = size[1] - 70 - 40 * len(lines)
    draw.rectangle((0, top - 16, size[0], size[1] - 50), fill=(0, 0, 0, 215))
    for n, line in enumerate(lines):
        draw.text((size[0] // 2, top + 40 * n + 16), line.strip(), font=font(28),
                  fill=(255, 255, 255, 255), anchor="mm")  # fmt: skip
    return overlay


def encode(request: VideoRequest, out: Path) -> None:
    size = size_for(request.aspect_ratio, WIDTH)
    duration = request.duration_seconds
    lines = request.context.get("dialogue", [])
    with tempfile.TemporaryDirectory() as tmp:
        frame = Path(tmp) / "frame.png"
        big = (round(size[0] * PAN / 2) * 2, round(size[1] * PAN / 2) * 2)
        first_frame(request, size).resize(big).save(frame)
        inputs = ["-loop", "1", "-framerate", str(FPS), "-i", str(frame)]
        graph = [f"[0:v]crop={size[0]}:{size[1]}:x='(iw-ow)*t/{duration}':"
                 f"y='(ih-oh)*t/{duration}'[v0]"]  # fmt: skip
        slot = duration / max(1, len(lines))
        for n, line in enumerate(lines):
            path = Path(tmp) / f"sub{n}.png"
            subtitle_overlay(line.get("line", ""), line.get("speaker", ""), size).save(path)
            inputs += ["-i", str(path)]
            start, end = n * slot, (n + 1) * slot
            graph.append(f"[v{n}][{n + 1}:v]overlay=0:0:enable='between(t,{start:.3f},"
                         f"{end:.3f})'[v{n + 1}]")  # fmt: skip
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *inputs,
            "-filter_complex", ";".join(graph), "-map", f"[v{len(lines)}]",
            "-t", str(duration), "-r", str(FPS), "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603
        if result.returncode != 0:
            raise ProviderError(
                f"ffmpeg failed: {result.stderr.decode(errors='replace')[-400:]}",
                retryable=False,
                reason="render_failed",
            )


class LocalVideoProvider:
    name = "local"
    model = "offline-video-1"

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def submit(self, request: VideoRequest) -> dict:
        if not 1 <= request.duration_seconds <= 60:
            raise ProviderError("The offline renderer makes clips of 1 to 60 seconds.",
                                retryable=False, reason="invalid_request")  # fmt: skip
        started = time.monotonic()
        if settings.LOCAL_VIDEO_LATENCY_MS:
            time.sleep(settings.LOCAL_VIDEO_LATENCY_MS / 1000)
        key = request_key(request)
        out = renders_dir() / f"{key}.mp4"
        if not out.exists():
            partial = out.with_suffix(".partial.mp4")
            encode(request, partial)
            partial.replace(out)
        self.calls.append(
            CallRecord(provider=self.name, model=self.model, operation="video",
                       latency_ms=int((time.monotonic() - started) * 1000), attempts=1,
                       usage=Usage(video_seconds=request.duration_seconds), cost_usd=0.0)
        )  # fmt: skip
        return {"provider": self.name, "model": self.model, "id": key,
                "seconds": request.duration_seconds}  # fmt: skip

    def poll(self, handle: dict) -> VideoStatus:
        if (renders_dir() / f"{handle['id']}.mp4").exists():
            return VideoStatus(state="completed", progress=1.0)
        return VideoStatus(state="failed", error="The offline render is not on this machine.",
                           retryable=True)  # fmt: skip

    def download(self, handle: dict) -> VideoResult:
        path = renders_dir() / f"{handle['id']}.mp4"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ProviderError("The offline render is gone; submit it again.",
                                retryable=True, reason="render_lost") from None  # fmt: skip
        path.unlink(missing_ok=True)
        return VideoResult(data=data, content_type="video/mp4", model=self.model,
                           duration_seconds=float(handle.get("seconds", 0)),
                           metadata={"offlinePreview": True})  # fmt: skip
