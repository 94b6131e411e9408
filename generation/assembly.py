"""The episode cut: an episode's scene clips joined in scene order into one MP4 (H.264,
yuv420p, +faststart) that carries the dialogue as a mov_text subtitle stream, with the same
cues as WebVTT text beside it.

Plain data in and out, no models. Everything runs through the ffmpeg binary that
imageio-ffmpeg ships (it has no ffprobe, so media are read from `ffmpeg -i`'s report).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

PROBE_TIMEOUT = 30.0
SAMPLE_RATE = 48000
# ffmpeg's tail that goes into an error message.
STDERR_LINES = 8


class AssemblyError(Exception):
    """The cut could not be made: no scenes, a clip ffmpeg cannot read, or ffmpeg failed."""


@dataclass(frozen=True)
class CutLine:
    speaker: str
    text: str

    @property
    def caption(self) -> str:
        """The line as shown on screen: "Speaker: text", or the text alone; one line."""
        text = " ".join(self.text.split())
        speaker = " ".join(self.speaker.split())
        return f"{speaker}: {text}" if speaker and text else text


@dataclass(frozen=True)
class CutScene:
    video: Path
    lines: tuple[CutLine, ...] = ()


@dataclass
class Cut:
    path: Path
    duration: float
    width: int
    height: int
    cues: list[tuple[float, float, str]]
    webvtt: str


@dataclass(frozen=True)
class Media:
    """What `ffmpeg -i` says about a file."""

    duration: float | None
    width: int
    height: int
    has_video: bool
    has_audio: bool


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def encode_timeout(seconds: float) -> float:
    """How long the one encode of a cut of `seconds` may run before it is stopped."""
    return 120.0 + 10.0 * seconds


def run(command: list[str], *, timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run ffmpeg; a timeout becomes an AssemblyError (subprocess.run kills the child)."""
    try:
        return subprocess.run(  # noqa: S603 - argument list, no shell
            command,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AssemblyError(f"{what}: ffmpeg ran past {timeout:g} s and was stopped") from None
    except OSError as error:
        raise AssemblyError(f"{what}: ffmpeg could not be started ({error})") from None


def stderr_tail(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return "\n".join(lines[-STDERR_LINES:])


DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)
# `\b` and two digits keep codec tags such as "0x31637661" from reading as a size.
SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)


def probe(path: Path) -> Media:
    """Read a media file's duration, its first video stream's displayed size and whether it
    has audio. Raises AssemblyError when ffmpeg cannot open it as media."""
    result = run([ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path)], timeout=PROBE_TIMEOUT,
                 what=f"Reading {path.name}")  # fmt: skip
    report = result.stderr.decode(errors="replace")
    # With no output named ffmpeg always exits non-zero; an opened input prints "Input #0".
    if "Input #0" not in report:
        raise AssemblyError(f"ffmpeg cannot read {path.name}:\n{stderr_tail(result)}")
    duration = None
    if match := DURATION.search(report):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    width = height = 0
    has_video = has_audio = False
    lines = report.splitlines()
    for n, line in enumerate(lines):
        stream = STREAM.match(line)
        if stream is None:
            continue
        kind, detail = stream.groups()
        if kind == "Audio":
            has_audio = True
        elif kind == "Video" and not has_video and "attached pic" not in detail:
            has_video = True
            if size := SIZE.search(detail):
                width, height = int(size[1]), int(size[2])
            # ffmpeg turns phone clips upright on decode, so a quarter turn swaps the sides.
            for after in lines[n + 1 :]:
                if STREAM.match(after):
                    break
                if (turn := ROTATION.search(after)) and round(abs(float(turn[1]))) % 180 == 90:
                    width, height = height, width
    return Media(duration, width, height, has_video, has_audio)


def probe_duration(path: Path) -> float:
    """Seconds of a media file: the duration ffmpeg reports for it, or, when the container
    does not say (a raw stream), the time reached by decoding it through."""
    media = probe(path)
    if media.duration is not None:
        return media.duration
    return decoded_duration(path)


def decoded_duration(path: Path) -> float:
    result = run([ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                  "-f", "null", "-progress", "pipe:1", "-nostats", "-"],
                 timeout=PROBE_TIMEOUT * 4, what=f"Measuring {path.name}")  # fmt: skip
    times = OUT_TIME.findall(result.stdout.decode(errors="replace"))
    if result.returncode != 0 or not times:
        raise AssemblyError(f"ffmpeg cannot measure {path.name}:\n{stderr_tail(result)}")
    return int(times[-1]) / 1_000_000


def even(value: int) -> int:
    """H.264 in yuv420p needs even sides."""
    return max(2, value - value % 2)


def timestamp(seconds: float, *, ass: bool = False) -> str:
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    if ass:
        return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{centis * 10:03d}"


def schedule(
    scenes: Sequence[CutScene], durations: Sequence[float]
) -> list[tuple[float, float, str]]:
    """Each scene's lines spread evenly over its own duration, after the scenes before it,
    as the offline clips time their burned-in captions. Times are kept to the centisecond,
    the precision of the subtitle file the MP4 track is made from, so both say the same."""
    cues: list[tuple[float, float, str]] = []
    offset = 0.0
    for scene, duration in zip(scenes, durations, strict=True):
        slot = duration / max(1, len(scene.lines))
        for n, line in enumerate(scene.lines):
            if caption := line.caption:
                start, end = offset + n * slot, offset + (n + 1) * slot
                cues.append((round(start, 2), round(end, 2), caption))
        offset += duration
    return cues


def webvtt(cues: Sequence[tuple[float, float, str]]) -> str:
    blocks = ["WEBVTT\n"]
    for n, (start, end, text) in enumerate(cues, start=1):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{n}\n{timestamp(start)} --> {timestamp(end)}\n{escaped}\n")
    return "\n".join(blocks)


def ass(cues: Sequence[tuple[float, float, str]], width: int, height: int) -> str:
    """The cues as an ASS script: ffmpeg copies ASS text into mov_text as it is, where its
    WebVTT and SRT readers would rewrite braces and tags."""
    font_size = max(12, height // 24)
    header = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,Arial,{font_size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H40000000,"
        "0,0,0,0,100,100,0,0,3,1,0,2,10,10,40,1",
        "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]  # fmt: skip
    events = []
    for start, end, text in cues:
        # A backslash starts an ASS code ("\N", "{\b1}"); a word joiner beside it keeps it text.
        text = text.replace("\\", "\u2060\\\u2060")
        events.append(f"Dialogue: 0,{timestamp(start, ass=True)},{timestamp(end, ass=True)},"
                      f"Default,,0,0,0,,{text}")  # fmt: skip
    return "\n".join(header + events) + "\n"


def filter_graph(media: Sequence[Media], frames: Sequence[int], *, width: int, height: int,
                 fps: int, audio: bool) -> str:  # fmt: skip
    """Each clip letterboxed to the frame, at one fps and pixel format, cut or held to its
    frame count; its audio (or silence) resampled and padded to the same length; then all
    concatenated in order into [v] and [a]."""
    chains = []
    pairs = []
    for n, (clip, count) in enumerate(zip(media, frames, strict=True)):
        chains.append(
            f"[{n}:v:0]setpts=PTS-STARTPTS,"
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
            # One colour range and matrix for all: a full-range clip (MJPEG) would leak into
            # the whole cut as yuvj420p.
            ":out_range=tv:out_color_matrix=bt709,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps={fps},"
            # A video stream a little shorter than the file holds its last frame.
            f"format=yuv420p,tpad=stop_mode=clone:stop=-1,trim=end_frame={count},"
            f"setpts=PTS-STARTPTS[v{n}]"
        )
        pairs.append(f"[v{n}]")
        if audio:
            samples = round(count * SAMPLE_RATE / fps)
            source = f"[{n}:a:0]asetpts=PTS-STARTPTS," if clip.has_audio else (
                f"anullsrc=r={SAMPLE_RATE}:cl=stereo,")  # fmt: skip
            chains.append(
                f"{source}aresample={SAMPLE_RATE},"
                f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo,"
                f"apad,atrim=end_sample={samples},asetpts=PTS-STARTPTS[a{n}]"
            )
            pairs.append(f"[a{n}]")
    outputs = "[v][a]" if audio else "[v]"
    chains.append(f"{''.join(pairs)}concat=n={len(media)}:v=1:a={int(audio)}{outputs}")
    return ";".join(chains)


def assemble_episode(scenes: Sequence[CutScene], out: Path, *, width: int | None = None,
                     height: int | None = None, fps: int = 24) -> Cut:  # fmt: skip
    """Join the scenes' clips in order into the MP4 `out` and return what was written.

    The frame is `width`x`height` (default: the first clip's size, made even). The file
    appears at `out` only once it is complete; on any failure nothing new is left there and
    AssemblyError says why. A cut with no dialogue has no subtitle stream.
    """
    if not scenes:
        raise AssemblyError("An episode cut needs at least one scene.")
    if fps < 1:
        raise AssemblyError(f"An episode cut needs a positive frame rate, not {fps}.")
    out = Path(out)
    media = [probe(Path(scene.video)) for scene in scenes]
    for scene, clip in zip(scenes, media, strict=True):
        if not clip.has_video or not clip.width or not clip.height:
            raise AssemblyError(f"{Path(scene.video).name} has no video stream.")
    width = even(width or media[0].width)
    height = even(height or media[0].height)
    lengths = [
        clip.duration if clip.duration is not None else decoded_duration(Path(scene.video))
        for scene, clip in zip(scenes, media, strict=True)
    ]
    # Every clip becomes a whole number of frames; the cues and the file follow those counts.
    frames = [max(1, round(seconds * fps)) for seconds in lengths]
    durations = [count / fps for count in frames]
    cues = schedule(scenes, durations)
    audio = any(clip.has_audio for clip in media)

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cut-") as work:
        inputs: list[str] = []
        for scene in scenes:
            inputs += ["-i", str(scene.video)]
        maps = ["-map", "[v]"] + (["-map", "[a]"] if audio else [])
        if cues:
            subtitles = Path(work) / "dialogue.ass"
            subtitles.write_text(ass(cues, width, height), encoding="utf-8")
            inputs += ["-i", str(subtitles)]
            maps += ["-map", f"{len(scenes)}:s:0", "-c:s", "mov_text", "-metadata:s:s:0",
                     "language=und", "-disposition:s:0", "default"]  # fmt: skip
        graph = filter_graph(media, frames, width=width, height=height, fps=fps, audio=audio)
        # Beside `out`, so the final rename stays on one filesystem and is atomic.
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=".part")
        os.close(handle)
        partial = Path(name)
        try:
            command = [
                ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
                "-filter_complex", graph, *maps, "-map_metadata", "-1",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                *(["-c:a", "aac", "-b:a", "128k"] if audio else []),
                "-movflags", "+faststart", "-f", "mp4", str(partial),
            ]  # fmt: skip
            result = run(command, timeout=encode_timeout(sum(durations)),
                         what=f"Cutting {out.name}")  # fmt: skip
            if result.returncode != 0:
                raise AssemblyError(f"ffmpeg could not cut {out.name}:\n{stderr_tail(result)}")
            duration = probe_duration(partial)
            partial.chmod(0o644)  # mkstemp makes it private; the cut is served as media
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Cut(path=out, duration=duration, width=width, height=height, cues=cues,
               webvtt=webvtt(cues))  # fmt: skip
