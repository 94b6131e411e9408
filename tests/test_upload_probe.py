"""Video and sound uploads are decoded with ffmpeg before anything is stored: a header alone,
a file cut short or noise behind a header is refused with 400 naming `file`, and nothing of
it is kept (no file, no sidecar, no row). What the probe learnt stays in the metadata."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import pytest

from assets.models import Asset
from tests.conftest import assert_error
from tests.test_assets import MP4, mp4, upload

pytestmark = pytest.mark.django_db


def ffmpeg_file(tmp_path: Path, name: str, *args: str) -> bytes:
    """A file ffmpeg makes from its own test sources: `args` are its inputs and codecs."""
    out = tmp_path / name
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
         *args, "-t", "1", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    return out.read_bytes()


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        # A rising sawtooth: real samples, not silence.
        samples = [n % 200 * 100 for n in range(int(seconds * rate))]
        sound.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


def assert_nothing_stored(media) -> None:
    assert not Asset.objects.exists()
    assert media.keys() == []


SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"]
PICTURE = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10"]


# ---------------------------------------------------------------- refused
def test_it_refuses_the_header_of_an_mp4_without_the_video(api, media):
    fake = MP4[:112]  # the 112 bytes that were once stored as video/mp4
    assert fake[4:8] == b"ftyp"

    response = upload(api, fake, "clip.mp4")

    error = assert_error(response, 400, "file")
    assert "video/mp4" in error["message"]
    assert_nothing_stored(media)


def test_it_refuses_an_mp4_cut_short_even_when_its_start_plays(api, media):
    # With the index in front (+faststart) the first seconds still decode; the cut is found
    # by reading the rest of the file through.
    whole = mp4(6, extra=("-movflags", "+faststart"))
    cut = whole[: int(len(whole) * 0.9)]

    response = upload(api, cut, "clip.mp4")

    assert "damaged or truncated" in assert_error(response, 400, "file")["message"]
    assert_nothing_stored(media)
    assert upload(api, whole, "clip.mp4").status_code == 201  # the same file, whole, is fine


def test_it_refuses_a_wav_header_with_no_sound_behind_it(api, media):
    header = wav()[:44]
    assert header[:4] == b"RIFF" and header[8:12] == b"WAVE"

    response = upload(api, header, "voice.wav")

    assert "nothing that decodes" in assert_error(response, 400, "file")["message"]
    assert_nothing_stored(media)


@pytest.mark.parametrize(
    "fake",
    [b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 600, b"\xff\xfb\x90\x00" + b"\x55" * 600],
    ids=["id3-tag-then-zeros", "frame-sync-then-noise"],
)
def test_it_refuses_an_mp3_that_is_only_a_header(api, media, fake):
    response = upload(api, fake, "song.mp3")

    assert "audio/mpeg" in assert_error(response, 400, "file")["message"]
    assert_nothing_stored(media)


def test_it_refuses_a_video_that_holds_only_sound(api, media, tmp_path):
    sound_only = ffmpeg_file(tmp_path, "a.mp4", *SOUND, "-c:a", "aac", "-brand", "isom")
    assert sound_only[4:8] == b"ftyp"

    response = upload(api, sound_only, "clip.mp4")

    assert "no picture" in assert_error(response, 400, "file")["message"]
    assert_nothing_stored(media)


def test_a_probe_that_runs_too_long_is_stopped_and_the_upload_refused(api, media, monkeypatch):
    import assets.detect

    monkeypatch.setattr(assets.detect, "PROBE_SECONDS", 0.001)

    response = upload(api, MP4, "clip.mp4")

    assert "within" in assert_error(response, 400, "file")["message"]
    assert_nothing_stored(media)


# ---------------------------------------------------------------- accepted
def test_a_real_mp4_is_stored_with_what_the_probe_learnt(api, user, media):
    response = upload(api, MP4, "clip.mp4", metadata=json.dumps({"durationSeconds": 99}))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mediaType"], body["contentType"]) == ("video", "video/mp4")
    facts = {k: body["metadata"][k] for k in ("durationSeconds", "width", "height", "codec",
                                              "audioCodec")}  # fmt: skip
    # What the bytes say wins over what the client claimed.
    assert facts == {"durationSeconds": 1.0, "width": 64, "height": 48, "codec": "h264",
                     "audioCodec": "aac"}  # fmt: skip
    sidecar = json.loads(media.read(body["key"].replace(".mp4", "_metadata.json")))
    assert sidecar["metadata"]["extra"]["codec"] == "h264"
    assert media.read(body["key"]) == MP4
    if media.kind == "s3":
        assert media.content_type(body["key"]) == "video/mp4"


def test_a_real_wav_is_stored_as_audio_wav(api, media):
    data = wav(seconds=0.5)

    response = upload(api, data, "voice.wav")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mediaType"], body["contentType"]) == ("audio", "audio/wav")
    assert body["key"].endswith(".wav")
    assert {k: body["metadata"][k] for k in ("durationSeconds", "codec", "sampleRate")} == {
        "durationSeconds": 0.5, "codec": "pcm_s16le", "sampleRate": 8000}  # fmt: skip
    assert media.read(body["key"]) == data


@pytest.mark.parametrize(
    "name, args, content_type, codec",
    [
        ("clip.webm", [*PICTURE, "-c:v", "libvpx-vp9"], "video/webm", "vp9"),
        ("clip.mov", [*PICTURE, "-c:v", "libx264", "-pix_fmt", "yuv420p"], "video/quicktime",
         "h264"),
        ("song.mp3", [*SOUND, "-c:a", "libmp3lame"], "audio/mpeg", "mp3"),
        ("song.ogg", [*SOUND, "-c:a", "libvorbis"], "audio/ogg", "vorbis"),
    ],
)  # fmt: skip
def test_the_other_video_and_sound_types_pass_the_probe(api, tmp_path, name, args,
                                                        content_type, codec):  # fmt: skip
    data = ffmpeg_file(tmp_path, name, *args)

    response = upload(api, data, name)

    assert response.status_code == 201, response.content
    assert response.json()["contentType"] == content_type
    assert response.json()["metadata"]["codec"] == codec
