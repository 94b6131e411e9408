"""The episode cut: clips joined in scene order into one MP4 with the dialogue as a mov_text
track and as WebVTT. Clips are made with the same ffmpeg binary; no database is needed."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from generation import assembly
from generation.assembly import (
    GAP,
    LEAD,
    TAIL,
    AssemblyError,
    Cut,
    CutLine,
    CutScene,
    assemble_episode,
    probe_duration,
    spoken_length,
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


# ---------------------------------------------------------------- voices, music, loudness
def speech(path: Path, text: str) -> Path:
    """A spoken line: espeak-ng's voice where it is installed, otherwise a syllable-like
    babble of about the same length made by ffmpeg."""
    if espeak := shutil.which("espeak-ng"):
        subprocess.run([espeak, "-w", str(path), text], check=True, timeout=30,
                       capture_output=True)  # fmt: skip
        return path
    seconds = 0.3 + 0.07 * len(text)
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.3*sin(2*PI*(140+40*sin(2*PI*3*t))*t)"
           f"*abs(sin(2*PI*4*t))':s=22050:d={seconds:.2f}", str(path))  # fmt: skip
    return path


def tone(path: Path, frequency: float, seconds: float, *, level: float = 0.5) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}",
           "-af", f"volume={level}", "-ac", "2", str(path))  # fmt: skip
    return path


def measure(path: Path, *filters: str, start: float = 0.0, length: float | None = None) -> str:
    """ffmpeg's report of the cut's audio run through `filters`, from `start` for `length`."""
    window = ["-ss", str(start)] + (["-t", str(length)] if length is not None else [])
    command = [FFMPEG, "-hide_banner", "-nostdin", "-nostats", *window, "-i", str(path),
               "-map", "0:a:0", "-af", ",".join(filters), "-f", "null", "-"]  # fmt: skip
    return subprocess.run(command, capture_output=True, timeout=60).stderr.decode()


def integrated_loudness(path: Path) -> float:
    report = measure(path, "ebur128=peak=none")
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", report)[-1])


def rms(path: Path, start: float, length: float, *filters: str) -> float:
    """The RMS level in dB of the cut's audio, through `filters`, over one window."""
    report = measure(path, *filters, "astats=measure_perchannel=none", start=start,
                     length=length)  # fmt: skip
    return float(re.search(r"RMS level dB: (-?[\d.]+|-inf)", report)[1])


def stream_seconds(path: Path, kind: str) -> float:
    """How long one stream of the file lasts when decoded: its frames or samples."""
    result = ffmpeg("-i", str(path), "-map", f"0:{kind}:0", "-f", "null", "-progress", "pipe:1",
                    "-nostats", "-")  # fmt: skip
    return int(re.findall(r"out_time_us=(\d+)", result.stdout.decode())[-1]) / 1e6


def frame(path: Path, at: float, width: int, height: int) -> np.ndarray:
    data = ffmpeg("-ss", str(at), "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                  "-pix_fmt", "gray", "-").stdout  # fmt: skip
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width).astype(int)


VOICED = ("Who left the door open?", "I did, before the storm came in.", "Why?")


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("voices")
    return [speech(folder / f"line{n}.wav", text) for n, text in enumerate(VOICED)]


@pytest.fixture(scope="module")
def episode(clips, voices, tmp_path_factory):
    """Three scenes: the 1 s silent clip under two voiced lines (longer than it), the 2.5 s
    clip with a tone under one, the 1.5 s white clip without lines; a 2 s music bed."""
    folder = tmp_path_factory.mktemp("episode")
    music = tone(folder / "music.wav", 110, 2.0)
    scenes = [
        CutScene(clips["silent"], (CutLine("Mara", VOICED[0], voices[0]),
                                   CutLine("Jun", VOICED[1], voices[1])),
                 key="scene_1", title="The door"),
        CutScene(clips["voiced"], (CutLine("Mara", VOICED[2], voices[2]),), key="scene_2"),
        CutScene(clips["white"], key="scene_3", title="After"),
    ]  # fmt: skip
    return assemble_episode(scenes, folder / "episode.mp4", music=music)


def test_it_times_a_scene_by_its_dialogue_when_the_lines_outlast_the_clip(episode, voices):
    first, second, third = (assembly.audio_length(voice) for voice in voices)
    scene_1 = math.ceil(spoken_length([first, second]) * 24) / 24
    assert spoken_length([first, second]) > 1.0  # longer than the clip
    assert [(s.key, s.title) for s in episode.scenes] == [
        ("scene_1", "The door"), ("scene_2", ""), ("scene_3", "After")]  # fmt: skip
    assert [s.start for s in episode.scenes] == pytest.approx([0, scene_1, scene_1 + 2.5])
    assert [s.duration for s in episode.scenes] == pytest.approx([scene_1, 2.5, 1.5])
    assert [s.clip_duration for s in episode.scenes] == pytest.approx([1.0, 2.5, 1.5])
    assert episode.duration == pytest.approx(scene_1 + 4.0, abs=0.03)
    # The lines play one after another, each for as long as its audio.
    starts = [LEAD, LEAD + first + GAP, scene_1 + LEAD]
    assert [line.start for line in episode.lines] == pytest.approx(starts)
    assert [line.duration for line in episode.lines] == pytest.approx([first, second, third])
    assert [line.scene for line in episode.lines] == [0, 0, 1]


def test_it_holds_the_last_frame_of_a_clip_shorter_than_its_dialogue(episode, clips):
    # The picture lasts as long as the sound: the clip's last frame fills the difference.
    video, audio = stream_seconds(episode.path, "v"), stream_seconds(episode.path, "a")
    assert video == pytest.approx(episode.duration, abs=0.05)
    assert audio == pytest.approx(video, abs=0.05)
    # Above the captions: the clip's last frame, unchanged from 1 s to the scene's end.
    last = frame(clips["silent"], 23 / 24, 540, 960)[:700]
    held = [
        frame(episode.path, at, 540, 960)[:700]
        for at in (1.05, 1.2, episode.scenes[0].duration - 0.05)
    ]
    for picture in held:
        assert np.abs(picture - last).mean() < 3
        assert np.abs(picture - held[0]).mean() < 0.2
    # Before the hold the clip moves.
    assert np.abs(frame(episode.path, 0.5, 540, 960)[:700] - held[0]).mean() > 2


def test_its_subtitle_track_and_webvtt_carry_every_voiced_line_over_its_audio(episode):
    captions = ["Mara: Who left the door open?", "Jun: I did, before the storm came in.",
                "Mara: Why?"]  # fmt: skip
    spans = [(line.start, line.start + line.duration) for line in episode.lines]
    for cues in (episode.cues, track_cues(episode.path)):
        assert [text for _, _, text in cues] == captions
        for (start, end, _), (want_start, want_end) in zip(cues, spans, strict=True):
            assert (start, end) == pytest.approx((want_start, want_end), abs=0.011)
    timings = [line for line in episode.webvtt.splitlines() if " --> " in line]
    assert [tuple(seconds(t) for t in line.split(" --> ")) for line in timings] == [
        (start, end) for start, end, _ in episode.cues]  # fmt: skip
    assert [line for line in episode.webvtt.splitlines() if line.startswith(("Mara", "Jun"))] == (
        captions)  # fmt: skip


def test_it_is_normalised_to_minus_14_lufs(episode):
    measured = integrated_loudness(episode.path)
    assert measured == pytest.approx(-14.0, abs=1.0)
    assert episode.loudness == pytest.approx(measured, abs=0.5)
    assert episode.music is True


def test_it_writes_48_khz_stereo_aac_with_the_lines_as_mov_text(episode):
    video, audio, subtitle = streams(episode.path)
    assert video.startswith("Video: h264") and "540x960" in video
    assert audio.startswith("Audio: aac") and "48000 Hz, stereo" in audio
    assert subtitle.startswith("Subtitle: mov_text")


def test_it_loops_the_music_to_the_end_and_plays_the_voices_where_they_are_placed(episode):
    line = episode.lines[1]
    voice = rms(episode.path, line.start + 0.2, line.duration - 0.4, "highpass=f=300")
    assert voice > -30
    # The 2 s bed is still playing in the last scene, 5 s and more into the cut.
    last = episode.scenes[-1]
    music = rms(episode.path, last.start + 0.2, last.duration - 0.4,
                "bandpass=f=110:width_type=q:width=4")  # fmt: skip
    assert music > -45


def test_it_burns_the_dialogue_into_the_picture_above_the_bottom_margin(clips, tmp_path):
    # Two white scenes at the clip's own 480x640: a line over the first only.
    scenes = [CutScene(clips["white"], (CutLine("Jun", "I did."),)), CutScene(clips["white"])]
    cut = assemble_episode(scenes, tmp_path / "burned.mp4")
    captioned, plain = frame(cut.path, 0.7, 480, 640), frame(cut.path, 2.2, 480, 640)
    # The caption sits above the bottom 13 % and between the side margins: dark outline
    # and white letters in that band, nothing below it or at the sides.
    band = slice(round(640 * 0.75), round(640 * 0.87))
    assert captioned[band].min() < 80 and plain[band].min() > 200
    assert captioned[round(640 * 0.88) :].min() > 200
    assert captioned[band, : round(480 * 0.08) - 2].min() > 200
    assert captioned[: round(640 * 0.7)].min() > 200


def test_it_ducks_the_music_while_a_line_plays(clips, tmp_path):
    # A 2 kHz "voice" and a 100 Hz bed, told apart in the mix by filtering.
    voice = tone(tmp_path / "voice.wav", 2000, 1.5)
    music = tone(tmp_path / "bed.wav", 100, 3.0)
    scenes = [CutScene(clips["voiced"], ()),
              CutScene(clips["silent"], (CutLine("Mara", "Hello?", voice),))]  # fmt: skip
    bed_only = [CutScene(clips["silent"]), CutScene(clips["silent"])]
    cut = assemble_episode(scenes, tmp_path / "ducked.mp4", music=music)
    line = cut.lines[0]
    low = ("lowpass=f=200", "lowpass=f=200", "lowpass=f=200")
    between = rms(cut.path, 0.5, 1.5, *low)
    under = rms(cut.path, line.start + 0.5, line.duration - 0.7, *low)
    assert between - under > 6
    assert cut.loudness == pytest.approx(integrated_loudness(cut.path), abs=0.5)
    assert integrated_loudness(cut.path) == pytest.approx(-14, abs=1)
    # A bed alone is normalised too, and has no captions.
    alone = assemble_episode(bed_only, tmp_path / "bed.mp4", music=music, loudness=-20)
    assert integrated_loudness(alone.path) == pytest.approx(-20, abs=1)
    assert kinds(alone.path) == ["Video", "Audio"]
    assert alone.cues == [] and alone.lines == [] and alone.music


def test_it_normalises_a_short_peaky_cut_linearly_to_the_target(clips, tmp_path):
    # Clicks a 100th of the time: far higher peaks than loudness, so the mix is limited
    # before the gain; the result still meets the target.
    clicks = tmp_path / "clicks.wav"
    ffmpeg("-f", "lavfi", "-i", "aevalsrc='0.02*sin(2*PI*300*t)+0.9*lt(mod(t,0.5),0.005)'"
           ":s=48000:d=3", "-ac", "2", str(clicks))  # fmt: skip
    scenes = [CutScene(clips["silent"], (CutLine("", "Click.", clicks),))]
    cut = assemble_episode(scenes, tmp_path / "clicks.mp4")
    assert integrated_loudness(cut.path) == pytest.approx(-14, abs=1)
    peak = float(re.search(r"max_volume: (-?[\d.]+) dB", measure(cut.path, "volumedetect"))[1])
    assert peak <= 0.0


def test_spoken_length_is_the_lines_with_a_lead_gaps_and_a_tail():
    assert spoken_length([]) == 0
    assert spoken_length([1.0]) == pytest.approx(LEAD + 1.0 + TAIL)
    assert spoken_length([1.0, 2.0, 0.5]) == pytest.approx(LEAD + 3.5 + 2 * GAP + TAIL)


def test_it_reads_a_lines_length_from_a_wav_or_an_mp3(voices, tmp_path):
    mp3 = tmp_path / "line.mp3"
    ffmpeg("-i", str(voices[0]), "-c:a", "libmp3lame", str(mp3))
    with wave.open(str(voices[0])) as wav:
        length = wav.getnframes() / wav.getframerate()
    assert assembly.audio_length(voices[0]) == length
    assert assembly.audio_length(mp3) == pytest.approx(length, abs=0.06)
    # A streamed WAV's header may claim more data than the file holds: it is measured.
    broken = tmp_path / "streamed.wav"
    data = bytearray(voices[0].read_bytes())
    data[40:44] = (0x7FFFFFF0).to_bytes(4, "little")
    broken.write_bytes(bytes(data))
    assert assembly.audio_length(broken) == pytest.approx(length, abs=0.06)


def test_it_shows_a_line_without_audio_among_voiced_ones_for_its_reading_time(clips, voices,
                                                                             tmp_path):  # fmt: skip
    silent_line = CutLine("Jun", "A line that nobody voiced yet, read on screen.")
    scenes = [CutScene(clips["silent"], (CutLine("Mara", VOICED[0], voices[0]), silent_line))]
    cut = assemble_episode(scenes, tmp_path / "mixed.mp4")
    first = assembly.audio_length(voices[0])
    assert [line.start for line in cut.lines] == pytest.approx([LEAD, LEAD + first + GAP])
    assert cut.lines[1].duration == pytest.approx(len(silent_line.caption) / 15)
    assert [text for _, _, text in track_cues(cut.path)] == [
        "Mara: Who left the door open?", silent_line.caption]  # fmt: skip
