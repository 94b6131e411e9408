"""The offline provider's images and clips, checked as media read back from the bytes."""

from __future__ import annotations

import io
import json

import imageio_ffmpeg
import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from generation.providers import local
from generation.providers.base import ImageRequest, ProviderError, ReferenceImage, VideoRequest
from generation.providers.local.image import LocalImageProvider
from generation.providers.local.video import LocalVideoProvider
from generation.providers.registry import image_provider, script_provider, video_provider

AVA = {"id": "char_001", "name": "Ava Hart", "role": "protagonist",
       "appearance": "long auburn hair, red silk dress"}  # fmt: skip
LEO = {"id": "char_002", "name": "Leo Vale", "role": "rival",
       "appearance": "short black hair, navy trench coat"}  # fmt: skip


@pytest.fixture(autouse=True)
def _outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"
    settings.LOCAL_VIDEO_LATENCY_MS = 0


class Clock:
    """The offline renderer's clock, which only the test moves; it records sleeps, not sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def time_ns(self) -> int:
        return int(self.now * 1e9)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(local.video, "time", clock)
    return clock


def portrait(person: dict) -> bytes:
    return (
        LocalImageProvider()
        .generate(ImageRequest(prompt=person["appearance"], kind="portrait", context=person))
        .data
    )


def storyboard(**context) -> bytes:
    request = ImageRequest(
        prompt="Ava confronts Leo",
        references=(ReferenceImage(portrait(AVA)), ReferenceImage(portrait(LEO))),
        context={"location": "rooftop garden", "time_of_day": "dusk",
                 "characters": [AVA, LEO], "action": "Ava confronts Leo.", **context},
    )  # fmt: skip
    return LocalImageProvider().generate(request).data


def video_meta(data: bytes, tmp_path) -> tuple[dict, list[np.ndarray]]:
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    width, height = meta["size"]
    images = [np.frombuffer(f, dtype=np.uint8).reshape(height, width, 3) for f in frames]
    return meta, images


def test_the_offline_providers_are_the_default(settings):
    assert (script_provider().name, image_provider().name, video_provider().name) == (
        "local", "local", "local")  # fmt: skip


def test_portraits_are_9_16_pngs_and_deterministic():
    first, second = portrait(AVA), portrait(AVA)

    image = Image.open(io.BytesIO(first))
    assert (image.format, image.size) == ("PNG", (720, 1280))
    assert first == second
    assert portrait(LEO) != first


def test_a_portrait_carries_the_appearance_it_was_asked_for():
    image = Image.open(io.BytesIO(portrait(AVA))).convert("RGB")
    # The top of the head is the hair: auburn for Ava.
    hair = image.getpixel((360, 190))

    assert hair == (150, 60, 30)


def test_storyboards_show_the_place_the_time_and_the_portraits_faces():
    dusk = Image.open(io.BytesIO(storyboard())).convert("RGB")
    night = Image.open(io.BytesIO(storyboard(time_of_day="night"))).convert("RGB")

    assert dusk.size == (720, 1280)
    # The sky follows the time of day.
    assert dusk.getpixel((700, 300)) != night.getpixel((700, 300))
    assert sum(night.getpixel((700, 300))) < sum(dusk.getpixel((700, 300)))
    # Ava's head in the storyboard is cut from her portrait: her auburn hair is on it.
    hair = dusk.getpixel((240, 400))
    assert abs(hair[0] - 150) < 20 and abs(hair[1] - 60) < 20 and abs(hair[2] - 30) < 20


def test_images_are_labelled_as_an_offline_preview():
    image = Image.open(io.BytesIO(storyboard())).convert("RGB")

    # The black banner across the top carries the label.
    assert image.getpixel((5, 5)) == (0, 0, 0)
    assert any(image.getpixel((x, 28))[0] > 200 for x in range(250, 470))


def test_a_clip_is_h264_9_16_of_the_requested_length_panning_without_subtitles(tmp_path):
    provider = LocalVideoProvider()
    board = storyboard()
    lines = [{"speaker": "Ava", "line": "You knew all along."},
             {"speaker": "Leo", "line": "I was protecting you."}]  # fmt: skip

    handle = provider.submit(VideoRequest(prompt="p", duration_seconds=6,
                                          reference=ReferenceImage(board),
                                          context={"dialogue": lines}))  # fmt: skip
    silent = provider.submit(VideoRequest(prompt="p", duration_seconds=6,
                                          reference=ReferenceImage(board)))  # fmt: skip
    assert provider.poll(json.loads(json.dumps(handle))).state == "completed"
    data = provider.download(handle).data
    meta, frames = video_meta(data, tmp_path)
    silent_data = provider.download(silent).data
    _, silent_frames = video_meta(silent_data, tmp_path)

    assert meta["codec"] == "h264"
    assert meta["size"] == (540, 960)
    assert meta["duration"] == pytest.approx(6, abs=0.1)
    assert len(frames) == 6 * 24
    # The dialogue is no longer drawn on the clip (the cut burns it in): the bottom band,
    # where the captions were, is the same picture with or without lines.
    band = slice(780, 960)
    for n in (10, 70, 130):
        assert np.abs(frames[n][band].astype(int) - silent_frames[n][band]).max() == 0
    assert data == silent_data
    # The picture moves: a slow pan over the storyboard, from its top left to its bottom
    # right, in small steps.
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 2
    steps = [np.abs(a.astype(int) - b).mean() for a, b in zip(frames, frames[1:], strict=False)]
    assert max(steps) < 8 and sum(step > 0 for step in steps) > len(steps) / 3
    # Its label is still there: the storyboard's black banner across the top.
    assert frames[0][5:15, 5:40].max() < 30
    assert [c.operation for c in provider.calls] == ["video", "video"]
    assert provider.calls[0].usage.video_seconds == 6


def test_a_clip_pans_evenly_from_the_top_left_to_the_bottom_right(tmp_path):
    # A picture with one bright square: where the square is in each frame is where the
    # window is on the picture.
    image = Image.new("RGB", (720, 1280), (0, 0, 0))
    image.paste((255, 255, 255), (340, 600, 380, 680))
    data = io.BytesIO()
    image.save(data, format="PNG")
    provider = LocalVideoProvider()
    handle = provider.submit(VideoRequest(prompt="p", duration_seconds=2,
                                          reference=ReferenceImage(data.getvalue())))  # fmt: skip
    _, frames = video_meta(provider.download(handle).data, tmp_path)

    def centre(picture: np.ndarray) -> tuple[float, float]:
        ys, xs = np.nonzero(picture.mean(axis=2) > 128)
        return xs.mean(), ys.mean()

    (x0, y0), (x1, y1) = centre(frames[0]), centre(frames[-1])
    # The window travels across the 12 % margin of the enlarged picture: the square moves up
    # and left by about 64 and 116 pixels.
    assert x0 - x1 == pytest.approx(64, abs=4) and y0 - y1 == pytest.approx(116, abs=4)
    xm, ym = centre(frames[len(frames) // 2])
    assert xm == pytest.approx((x0 + x1) / 2, abs=3) and ym == pytest.approx((y0 + y1) / 2, abs=3)


def test_a_clip_without_a_reference_is_drawn_from_the_prompt(tmp_path):
    provider = LocalVideoProvider()

    handle = provider.submit(VideoRequest(prompt="An empty street at night", duration_seconds=3))
    meta, _ = video_meta(provider.download(handle).data, tmp_path)

    assert meta["duration"] == pytest.approx(3, abs=0.1)


def test_an_impossible_clip_fails_before_rendering():
    with pytest.raises(ProviderError) as refused:
        LocalVideoProvider().submit(VideoRequest(prompt="p", duration_seconds=0))

    assert refused.value.retryable is False


def test_a_render_lost_before_download_can_be_submitted_again():
    provider = LocalVideoProvider()
    handle = provider.submit(VideoRequest(prompt="p", duration_seconds=2))
    provider.download(handle)

    assert provider.poll(handle).state == "failed"
    with pytest.raises(ProviderError) as lost:
        provider.download(handle)
    assert lost.value.retryable is True


def test_a_slow_render_is_encoded_at_once_and_ready_only_after_the_latency(settings, clock):
    settings.LOCAL_VIDEO_LATENCY_MS = 4000
    provider = LocalVideoProvider()

    handle = provider.submit(VideoRequest(prompt="p", duration_seconds=2))

    # No worker waits out the render: the file is there, the handle says when it is ready.
    assert clock.slept == []
    assert (local.video.renders_dir() / f"{handle['id']}.mp4").exists()
    assert (handle["submitted_at"], handle["ready_at"]) == (clock.now, clock.now + 4)
    assert json.loads(json.dumps(handle)) == handle
    [call] = provider.calls
    assert (call.operation, call.usage.video_seconds, call.cost_usd) == ("video", 2, 0.0)

    clock.now += 1
    running = provider.poll(handle)
    assert (running.state, running.progress, running.poll_after) == ("running", 0.25, 3.0)
    with pytest.raises(ProviderError) as early:
        provider.download(handle)
    assert (early.value.retryable, early.value.reason) == (True, "not_ready")
    assert early.value.retry_after == pytest.approx(3.0)

    clock.now += 2.99
    assert provider.poll(handle).poll_after == 0.05  # soon, but not in a busy loop

    clock.now += 0.01
    assert provider.poll(handle).state == "completed"
    assert provider.download(handle).data[4:8] == b"ftyp"


def test_the_same_request_makes_the_same_video_whatever_the_latency(settings, clock, tmp_path):
    request = VideoRequest(prompt="A quiet harbour", duration_seconds=2)
    settings.LOCAL_VIDEO_LATENCY_MS = 0
    first = LocalVideoProvider().download(LocalVideoProvider().submit(request)).data
    settings.LOCAL_VIDEO_LATENCY_MS = 500
    provider = LocalVideoProvider()
    handle = provider.submit(request)
    clock.now += 0.5

    assert provider.download(handle).data == first


def test_a_clip_costs_what_the_operator_prices_the_offline_model_at(settings):
    settings.PRICES_JSON = '{"offline-video-1": {"per_video_second": 0.01}}'
    provider = LocalVideoProvider()

    provider.submit(VideoRequest(prompt="p", duration_seconds=3))

    assert provider.calls[0].cost_usd == pytest.approx(0.03)


def test_a_render_can_be_cancelled(clock):
    provider = LocalVideoProvider()
    handle = provider.submit(VideoRequest(prompt="p", duration_seconds=2))

    assert provider.cancel(handle) is True

    assert provider.poll(handle).state == "failed"
    assert provider.cancel(handle) is True  # gone already: still not rendering


def test_it_finds_a_render_of_the_request_submitted_since_the_time_given(settings, clock):
    settings.LOCAL_VIDEO_LATENCY_MS = 2000
    request = VideoRequest(prompt="p", duration_seconds=2)
    since = clock.now
    clock.now += 0.25
    handle = LocalVideoProvider().submit(request)

    later = LocalVideoProvider()
    assert later.find(request, since=since) == handle
    assert later.find(request, since=clock.now + 1) is None
    assert later.find(VideoRequest(prompt="another", duration_seconds=2), since=since) is None


def test_it_refuses_a_handle_that_is_not_its_own():
    with pytest.raises(ProviderError) as refused:
        LocalVideoProvider().poll({"provider": "local", "id": "../../etc/passwd"})

    assert refused.value.reason == "invalid_request"


def test_the_latency_setting_makes_the_offline_provider_wait(settings, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(local.image.time, "sleep", waits.append)
    settings.LOCAL_IMAGE_LATENCY_MS = 1500

    LocalImageProvider().generate(ImageRequest(prompt="x", kind="portrait", context=AVA))

    assert waits == [1.5]


def test_the_benchmark_prints_figures():
    out = io.StringIO()

    call_command("benchmark_local", images=2, clips=1, seconds=2, stdout=out)

    assert "image: median" in out.getvalue()
    assert "2 s clip: median" in out.getvalue()
