"""The episode cut: clips joined in scene order into one MP4 with the dialogue as a mov_text
track and as WebVTT. Clips are made with the same ffmpeg binary; no database is needed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from generation import assembly
from generation.assembly import (
    AssemblyError,
    Cut,
    CutLine,
    CutScene,
    assemble_episode,
    probe_duration,
)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args],
                          capture_output=True, check=True, timeout=60)  # fmt: skip


def streams(path: Path) -> list[str]:
    """The stream lines of `ffmpeg -i`, e.g. "Video: h264 (High) ..., 540x960 ..."."""
    report = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                            timeout=30).stderr.decode()  # fmt: skip
    return re.findall(r"Stream #0:\d+\S*: (.*)", report)


def kinds(path: Path) -> list[str]:
    return [line.split(":")[0] for line in streams(path)]


def track_cues(path: Path) -> list[tuple[float, float, str]]:
    """The MP4's subtitle track, extracted by ffmpeg to WebVTT and read back (its SubRip
    writer would wrap each cue in the track's font size)."""
    text = ffmpeg("-i", str(path), "-map", "0:s:0", "-f", "webvtt", "-").stdout.decode()
    header, *blocks = text.strip().split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        times, *lines = block.splitlines()
        start, end = (seconds(t) for t in times.split(" --> "))
        cues.append((start, end, "\n".join(lines)))
    return cues


def seconds(stamp: str) -> float:
    *rest, secs = stamp.split(":")
    hours, minutes = ([0] * (2 - len(rest)) + [int(x) for x in rest])[-2:]
    return hours * 3600 + minutes * 60 + float(secs)


def gray_row(path: Path, at: float, row: int, width: int) -> bytes:
    """One row of luma from the frame shown at `at` seconds."""
    frame = ffmpeg("-ss", str(at), "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                   "-pix_fmt", "gray", "-").stdout  # fmt: skip
    return frame[row * width : (row + 1) * width]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """A 1 s 540x960 H.264 clip without audio, a 2.5 s 720x1280 MPEG-4 clip with a tone, and
    a 1.5 s plain white 480x640 MJPEG clip (another shape, another container)."""
    folder = tmp_path_factory.mktemp("clips")
    silent, voiced, white = folder / "silent.mp4", folder / "voiced.mp4", folder / "white.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=540x960:r=24:d=1", "-c:v", "libx264",
           "-preset", "veryfast", "-pix_fmt", "yuv420p", str(silent))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=2.5", "-f", "lavfi",
           "-i", "sine=frequency=440:duration=2.5", "-c:v", "mpeg4", "-c:a", "aac",
           "-shortest", str(voiced))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=480x640:r=25:d=1.5", "-c:v", "mjpeg",
           str(white))  # fmt: skip
    return {"silent": silent, "voiced": voiced, "white": white}


SCENES_LINES = (
    (CutLine("Mara", "Who left the door open?"), CutLine("", "A door slams & <nobody> {answers}.")),
    (CutLine("Jun", "I did."), CutLine("Mara", "Why?"), CutLine("Jun", "To let you go.")),
    (),
)
CAPTIONS = [
    "Mara: Who left the door open?",
    "A door slams & <nobody> {answers}.",
    "Jun: I did.",
    "Mara: Why?",
    "Jun: To let you go.",
]


@pytest.fixture(scope="module")
def cut(clips, tmp_path_factory) -> Cut:
    out = tmp_path_factory.mktemp("cuts") / "episode-1.mp4"
    videos = (clips["silent"], clips["voiced"], clips["white"])
    scenes = [CutScene(video, lines) for video, lines in zip(videos, SCENES_LINES, strict=True)]
    return assemble_episode(scenes, out)


def test_it_joins_clips_in_scene_order_with_their_lines_as_subtitles(cut):
    assert [text for _, _, text in cut.cues] == CAPTIONS
    assert [text for _, _, text in track_cues(cut.path)] == CAPTIONS


def test_it_lasts_as_long_as_its_clips_together(cut, clips):
    together = sum(probe_duration(clips[name]) for name in ("silent", "voiced", "white"))
    assert cut.duration == pytest.approx(together, abs=0.1)
    assert cut.duration == probe_duration(cut.path)


def test_it_takes_the_first_clips_size_by_default(cut):
    assert (cut.width, cut.height) == (540, 960)
    video = next(line for line in streams(cut.path) if line.startswith("Video:"))
    assert " 540x960 " in video


def test_it_writes_h264_yuv420p_with_aac_audio_and_a_mov_text_track(cut):
    video, audio, subtitle = streams(cut.path)
    assert video.startswith("Video: h264") and "yuv420p(tv" in video and "24 fps" in video
    assert audio.startswith("Audio: aac")
    assert subtitle.startswith("Subtitle: mov_text")


def loudest(path: Path, start: float, length: float) -> float:
    """The peak level in dB of the cut's audio from `start` for `length` seconds."""
    report = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-ss", str(start), "-t",
                             str(length), "-i", str(path), "-map", "0:a", "-af", "volumedetect",
                             "-f", "null", "-"], capture_output=True, timeout=30)  # fmt: skip
    return float(re.search(r"max_volume: (-?[\d.]+) dB", report.stderr.decode())[1])


def test_it_fills_clips_without_audio_with_silence(cut):
    # Scene 1 (0-1 s) and scene 3 (3.5-5 s) have no audio; scene 2 carries a tone.
    assert loudest(cut.path, 0.1, 0.8) < -80
    assert loudest(cut.path, 1.2, 2.0) > -40
    assert loudest(cut.path, 3.6, 1.2) < -80


def test_it_puts_the_index_before_the_media_so_it_plays_while_loading(cut):
    data = cut.path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_it_times_each_scenes_lines_evenly_within_that_scene(cut, clips):
    first = probe_duration(clips["silent"])
    second = probe_duration(clips["voiced"])
    starts = [0.0, first / 2, first, first + second / 3, first + 2 * second / 3]
    ends = starts[1:] + [first + second]
    for (start, end, _), want_start, want_end in zip(cut.cues, starts, ends, strict=True):
        assert start == pytest.approx(want_start, abs=0.03)
        assert end == pytest.approx(want_end, abs=0.03)
    # The third scene has no lines, so nothing is shown after the second one ends.
    assert cut.cues[-1][1] <= first + second + 0.03
    for (start, end, _), (track_start, track_end, _) in zip(cut.cues, track_cues(cut.path),
                                                            strict=True):  # fmt: skip
        assert track_start == pytest.approx(start, abs=0.002)
        assert track_end == pytest.approx(end, abs=0.002)


def test_its_webvtt_parses_with_cues_in_order(cut, tmp_path):
    lines = cut.webvtt.splitlines()
    assert lines[0] == "WEBVTT" and lines[1] == ""
    timings = [line for line in lines if " --> " in line]
    stamp = r"\d\d:\d\d:\d\d\.\d\d\d"
    assert all(re.fullmatch(f"{stamp} --> {stamp}", line) for line in timings)
    spans = [tuple(seconds(t) for t in line.split(" --> ")) for line in timings]
    assert spans == [(start, end) for start, end, _ in cut.cues]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    # ffmpeg's own WebVTT reader agrees, markup-like characters included.
    vtt = tmp_path / "episode.vtt"
    vtt.write_text(cut.webvtt, encoding="utf-8")
    text = ffmpeg("-i", str(vtt), "-f", "srt", "-").stdout.decode()
    assert "A door slams &amp; &lt;nobody&gt;" in cut.webvtt
    assert "Jun: To let you go." in text and "<nobody>" in text


def test_it_keeps_markup_like_characters_as_plain_text_in_the_track(cut):
    assert track_cues(cut.path)[1][2] == "A door slams & <nobody> {answers}."


def test_it_letterboxes_a_clip_of_another_shape_to_the_requested_size(clips, tmp_path):
    # 480x640 into 360x640 scales to 360x480: black bars of 80 rows above and below.
    cut = assemble_episode([CutScene(clips["white"])], tmp_path / "boxed.mp4", width=360,
                           height=640)  # fmt: skip
    assert (cut.width, cut.height) == (360, 640)
    assert " 360x640 " in streams(cut.path)[0]
    assert max(gray_row(cut.path, 0.5, 20, 360)) < 40
    assert min(gray_row(cut.path, 0.5, 320, 360)) > 200
    assert max(gray_row(cut.path, 0.5, 620, 360)) < 40
    # No lines, no subtitle stream; no clip with audio, no audio stream.
    assert kinds(cut.path) == ["Video"]
    assert cut.cues == [] and cut.webvtt.strip() == "WEBVTT"


def test_it_has_no_audio_stream_when_no_clip_has_audio(clips, tmp_path):
    scenes = [CutScene(clips["silent"], (CutLine("Mara", "Hello?"),)), CutScene(clips["white"])]
    cut = assemble_episode(scenes, tmp_path / "quiet.mp4")
    assert kinds(cut.path) == ["Video", "Subtitle"]
    assert track_cues(cut.path) == [(0.0, 1.0, "Mara: Hello?")]


def test_it_reads_the_length_of_a_media_file(clips, tmp_path):
    assert probe_duration(clips["voiced"]) == pytest.approx(2.5, abs=0.05)
    # A raw H.264 stream names no duration; it is measured by decoding.
    raw = tmp_path / "clip.h264"
    ffmpeg("-i", str(clips["silent"]), "-c:v", "copy", "-f", "h264", str(raw))
    assert probe_duration(raw) == pytest.approx(1.0, abs=0.05)


def test_it_refuses_an_episode_without_scenes(tmp_path):
    with pytest.raises(AssemblyError, match="at least one scene"):
        assemble_episode([], tmp_path / "empty.mp4")
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_a_broken_clip_and_leaves_nothing_behind(clips, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x17not a video at all\xff" * 200)
    out = tmp_path / "cuts" / "episode.mp4"
    with pytest.raises(AssemblyError) as raised:
        assemble_episode([CutScene(clips["silent"]), CutScene(junk)], out)
    message = str(raised.value)
    assert "junk.mp4" in message and "Invalid data" in message
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_it_leaves_an_earlier_cut_in_place_when_ffmpeg_is_stopped(clips, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    out = tmp_path / "episode.mp4"
    out.write_bytes(b"the earlier cut")
    monkeypatch.setattr(assembly, "encode_timeout", lambda seconds: 0.01)
    with pytest.raises(AssemblyError, match="stopped"):
        assemble_episode([CutScene(clips["voiced"], (CutLine("Jun", "Wait."),))], out)
    assert out.read_bytes() == b"the earlier cut"
    assert list(tmp_path.iterdir()) == [out]
