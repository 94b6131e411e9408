"""The episode cut: an episode's scene clips joined in scene order into one MP4 (H.264,
yuv420p, +faststart) with its sound mixed and its dialogue shown.

Each scene lasts as long as its clip or, when its voiced lines need longer, as long as they
take to play one after another (the clip then holds its last frame). The sound is the clips'
own audio, the voiced lines at their times and a music bed looped under them and ducked while
a line plays, normalised to a loudness target; 48 kHz stereo AAC. The dialogue is burned into
the picture, carried as a mov_text subtitle stream, and returned as WebVTT text, all with the
same cues, each line's audio span.

Plain data in and out, no models. Everything runs through the ffmpeg binary that
imageio-ffmpeg ships (it has no ffprobe, so media are read from `ffmpeg -i`'s report). The
sound is made in audio-only passes while the picture is encoded, then the two are joined.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg
from PIL import ImageFont

PROBE_TIMEOUT = 30.0
SAMPLE_RATE = 48000
# ffmpeg's tail that goes into an error message.
STDERR_LINES = 8

# A scene's voiced lines: the first starts LEAD seconds in, GAP seconds between two lines,
# TAIL seconds after the last before the next scene.
LEAD, GAP, TAIL = 0.3, 0.35, 0.5
# A line without audio among voiced ones is given the time it takes to read.
READING_RATE = 15.0  # characters a second
MIN_READING = 1.2

# The mix before it is normalised as a whole: the dialogue at DIALOGUE_LUFS, the clips' own
# sound BED_UNDER below it and the music MUSIC_UNDER below it (LU) between lines; both are
# ducked by about 10 dB more while a line plays.
DIALOGUE_LUFS = -20.0
BED_UNDER = 6.0
MUSIC_UNDER = 10.0
DUCK = "sidechaincompress=threshold=0.01:ratio=4:attack=20:release=450:knee=2"
# Stems are measured to set these levels; a gain is kept within this many dB.
MAX_GAIN = 30.0
TRUE_PEAK = -1.0
# Where a mix too peaky for a linear gain to the target is limited first (dBFS; its true
# peak comes out a little higher), low enough to stay under TRUE_PEAK.
LIMIT = -3.0
LIMIT_TRIES = 3
# How far a mix of known levels is raised past the dialogue's level towards the target as it
# is mixed (LU): speech is peaky, and the limiter takes about this much back.
NEAR_MARGIN = -3.0
# The final gain is limited at FINAL_LIMIT (dBFS) as it is applied; a mix whose peaks that
# would cut by more than FINAL_HEADROOM dB is limited in a pass of its own first.
FINAL_LIMIT = -2.0
FINAL_HEADROOM = 2.0
LIMIT_LOSS = 0.4
# x264 as the cut's picture is encoded (and the benchmark's bare join of the same clips).
CUT_CODEC = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
# ebur128's floor: what is measured at or below it is silence.
SILENT_LUFS = -70.0

# Burned-in captions for a 9:16 frame, as fractions of its height (font, outline) and sides.
FONT_NAME = "Aileron"
FONT_SIZE = 0.042
OUTLINE = 0.003
BOTTOM_MARGIN = 0.13
SIDE_MARGIN = 0.08


class AssemblyError(Exception):
    """The cut could not be made: no scenes, a clip ffmpeg cannot read, or ffmpeg failed."""


@dataclass(frozen=True)
class CutLine:
    speaker: str
    text: str
    # The line spoken (a WAV or MP3 file) and its length in seconds, read from it when None.
    audio: Path | None = None
    duration: float | None = None

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
    key: str = ""
    title: str = ""


@dataclass(frozen=True)
class PlacedScene:
    """Where a scene sits in the cut: `duration` is at least `clip_duration`, the part of the
    clip that plays; past it the clip's last frame is held."""

    start: float
    duration: float
    clip_duration: float
    key: str
    title: str


@dataclass(frozen=True)
class PlacedLine:
    """Where a line sits in the cut, in seconds from its start; `scene` is its scene's index."""

    start: float
    duration: float
    speaker: str
    text: str
    scene: int


@dataclass
class Cut:
    path: Path
    duration: float
    width: int
    height: int
    cues: list[tuple[float, float, str]]
    webvtt: str
    scenes: list[PlacedScene] = field(default_factory=list)
    lines: list[PlacedLine] = field(default_factory=list)
    music: bool = False
    # The integrated loudness (LUFS) of the cut's sound; None when it has none or is silent.
    loudness: float | None = None


@dataclass(frozen=True)
class Media:
    """What `ffmpeg -i` says about a file."""

    duration: float | None
    width: int
    height: int
    has_video: bool
    has_audio: bool
    # The picture is 4:2:0 at TV range in BT.709 (as the cut's frames are) and square-pixeled
    # and upright: at the cut's size it needs no conversion.
    plain: bool = False


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def encode_timeout(seconds: float) -> float:
    """How long the picture's encode of a cut of `seconds` may run before it is stopped."""
    return 120.0 + 10.0 * seconds


def audio_timeout(seconds: float) -> float:
    """How long one audio pass or the final join of a cut of `seconds` may run."""
    return 60.0 + 2.0 * seconds


def run(command: list[str], *, timeout: float, what: str,
        cwd: Path | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    """Run ffmpeg; a timeout becomes an AssemblyError (subprocess.run kills the child)."""
    try:
        return subprocess.run(  # noqa: S603 - argument list, no shell
            command,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
            cwd=cwd,
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
# "yuv420p(tv, bt709, progressive)", "yuv420p(tv, bt709/bt709/bt709)": the cut's own frames.
PLAIN = re.compile(r"\byuv420p\(tv, bt709[,/)]")
ODD_PIXELS = re.compile(r"SAR (?!1:1\b)\d+:\d+")
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
    has_video = has_audio = plain = False
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
            plain = bool(PLAIN.search(detail)) and not ODD_PIXELS.search(detail)
            if size := SIZE.search(detail):
                width, height = int(size[1]), int(size[2])
            # ffmpeg turns phone clips upright on decode, so a quarter turn swaps the sides.
            for after in lines[n + 1 :]:
                if STREAM.match(after):
                    break
                if turn := ROTATION.search(after):
                    plain = False
                    if round(abs(float(turn[1]))) % 180 == 90:
                        width, height = height, width
    return Media(duration, width, height, has_video, has_audio, plain)


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


def audio_length(path: Path) -> float:
    """Seconds of a line's audio: from a PCM WAV's header when it is consistent with the
    file's size (a streamed WAV may name no real length), otherwise as ffmpeg reads it."""
    try:
        with wave.open(str(path), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            size = frames * wav.getsampwidth() * wav.getnchannels()
        if rate > 0 and 0 < size <= path.stat().st_size:
            return frames / rate
    except (wave.Error, EOFError, OSError):
        pass
    return probe_duration(path)


def line_length(line: CutLine) -> float | None:
    """A line's length as given, or as its audio lasts; None for a line with neither."""
    if line.duration is not None or line.audio is None:
        return line.duration
    return audio_length(Path(line.audio))


def spoken_length(durations: Sequence[float]) -> float:
    """Seconds a scene needs for lines of these lengths to play one after another: LEAD
    before the first, GAP between two, TAIL after the last; 0 for no lines."""
    if not durations:
        return 0.0
    return LEAD + sum(durations) + GAP * (len(durations) - 1) + TAIL


def reading_time(line: CutLine) -> float:
    return max(MIN_READING, len(line.caption) / READING_RATE)


@dataclass(frozen=True)
class Timeline:
    scenes: list[PlacedScene]
    lines: list[PlacedLine]
    frames: list[int]  # each scene's length in frames
    voiced: list[tuple[Path, PlacedLine]]  # the lines with audio, in order


def place(scenes: Sequence[CutScene], clip_lengths: Sequence[float],
          line_lengths: Sequence[Sequence[float | None]], *, fps: int) -> Timeline:  # fmt: skip
    """Every scene and line on the cut's clock, each scene a whole number of frames.

    A scene with voiced lines (or lines of given lengths) plays them one after another from
    LEAD in and lasts at least spoken_length of them; other scenes keep their clip's length
    and spread their lines evenly over it."""
    placed_scenes: list[PlacedScene] = []
    placed_lines: list[PlacedLine] = []
    frames: list[int] = []
    voiced: list[tuple[Path, PlacedLine]] = []
    at_frame = 0
    for index, (scene, clip, lengths) in enumerate(
        zip(scenes, clip_lengths, line_lengths, strict=True)
    ):
        clip_frames = max(1, round(clip * fps))
        timed = bool(scene.lines) and (
            any(line.audio is not None for line in scene.lines)
            or all(length is not None for length in lengths)
        )
        start = at_frame / fps
        if timed:
            spans = [length if length is not None else reading_time(line)
                     for line, length in zip(scene.lines, lengths, strict=True)]  # fmt: skip
            # A hair under a frame of float noise must not add a frame.
            count = max(clip_frames, math.ceil(spoken_length(spans) * fps - 1e-6))
            offset = start + LEAD
            for line, span in zip(scene.lines, spans, strict=True):
                placed = PlacedLine(offset, span, line.speaker, line.text, index)
                placed_lines.append(placed)
                if line.audio is not None:
                    voiced.append((Path(line.audio), placed))
                offset += span + GAP
        else:
            count = clip_frames
            slot = count / fps / max(1, len(scene.lines))
            for n, line in enumerate(scene.lines):
                placed_lines.append(PlacedLine(start + n * slot, slot, line.speaker, line.text,
                                               index))  # fmt: skip
        placed_scenes.append(PlacedScene(start, count / fps, clip_frames / fps, scene.key,
                                         scene.title))  # fmt: skip
        frames.append(count)
        at_frame += count
    return Timeline(placed_scenes, placed_lines, frames, voiced)


def schedule(lines: Sequence[PlacedLine]) -> list[tuple[float, float, str]]:
    """The subtitle cues: each line with a caption over its span. Times are kept to the
    centisecond, the precision of the subtitle file the MP4 track is made from, so both say
    the same."""
    cues = []
    for line in lines:
        if caption := CutLine(line.speaker, line.text).caption:
            cues.append((round(line.start, 2), round(line.start + line.duration, 2), caption))
    return cues


def webvtt(cues: Sequence[tuple[float, float, str]]) -> str:
    blocks = ["WEBVTT\n"]
    for n, (start, end, text) in enumerate(cues, start=1):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{n}\n{timestamp(start)} --> {timestamp(end)}\n{escaped}\n")
    return "\n".join(blocks)


def ass(cues: Sequence[tuple[float, float, str]], width: int, height: int, *,
        bold: bool = False) -> str:  # fmt: skip
    """The cues as an ASS script, styled for a vertical frame: white text with a dark
    outline, wrapped between side margins, above the bottom band that phone players cover;
    `bold` for burning in (the subtitle track stays plain: its style would tag every cue).
    ffmpeg copies ASS text into mov_text as it is, where its WebVTT and SRT readers would
    rewrite braces and tags."""
    size = max(12, round(height * FONT_SIZE))
    outline = max(1, round(height * OUTLINE))
    shadow = max(1, outline // 2)
    side, bottom = round(width * SIDE_MARGIN), round(height * BOTTOM_MARGIN)
    header = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{FONT_NAME},{size},&H00FFFFFF,&H00FFFFFF,&H00101010,&H80000000,"
        f"{-int(bold)},0,0,0,100,100,0,0,1,{outline},{shadow},2,{side},{side},{bottom},1",
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


def write_font(folder: Path) -> None:
    """The captions' font beside the script, so libass finds it on a machine with no fonts:
    Pillow's own, which the offline images are drawn with."""
    folder.mkdir(exist_ok=True)
    (folder / f"{FONT_NAME}.ttf").write_bytes(ImageFont.load_default(size=12).font_bytes)


# ---------------------------------------------------------------- the picture
def video_graph(frames: Sequence[int], *, width: int, height: int, fps: int,
                subtitles: str | None, ready: Sequence[bool] = ()) -> str:  # fmt: skip
    """Each clip letterboxed to the frame, at one fps and pixel format, cut or held on its
    last frame to its scene's frame count; all concatenated in order, the captions burned
    over them, into [v]. A clip `ready` (plain, at the frame's size) is taken as it is."""
    chains = []
    for n, count in enumerate(frames):
        fit = "" if n < len(ready) and ready[n] else (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
            # One colour range and matrix for all: a full-range clip (MJPEG) would leak into
            # the whole cut as yuvj420p.
            ":out_range=tv:out_color_matrix=bt709,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p,"
        )  # fmt: skip
        chains.append(
            f"[{n}:v:0]setpts=PTS-STARTPTS,{fit}setsar=1,fps={fps},"
            # A clip shorter than its scene (or a stream a little shorter than its file)
            # holds its last frame.
            f"tpad=stop_mode=clone:stop=-1,trim=end_frame={count},"
            f"setpts=PTS-STARTPTS[v{n}]"
        )
    pads = "".join(f"[v{n}]" for n in range(len(frames)))
    burn = f",ass=filename={subtitles}:fontsdir=fonts" if subtitles else ""
    # The scale above converts to BT.709; the frames say so, for the stream to say so too.
    tag = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
    chains.append(f"{pads}concat=n={len(frames)}:v=1:a=0,{tag}{burn}[v]")
    return ";".join(chains)


# ---------------------------------------------------------------- the sound
FORMAT = (
    f"aresample={SAMPLE_RATE},"
    f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
)


@dataclass(frozen=True)
class Sound:
    """The cut's sources of sound on its clock, in samples."""

    scenes: list[tuple[Path | None, int]]  # each scene's clip if it has audio, its samples
    lines: list[tuple[Path, int, int]]  # each voiced line's file, first sample and samples
    music: Path | None
    samples: int  # the whole cut

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    @property
    def clips(self) -> list[Path]:
        return [path for path, _ in self.scenes if path is not None]


class Inputs:
    """ffmpeg's input arguments, handing out each file's input index."""

    def __init__(self) -> None:
        self.args: list[str] = []

    def add(self, path: Path, *options: str) -> int:
        index = self.args.count("-i")
        self.args += [*options, "-i", str(path)]
        return index


def decibels(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "-inf"
        return -math.inf


def gain(measured: float, wanted: float) -> float:
    if measured <= SILENT_LUFS:
        return 0.0
    return max(-MAX_GAIN, min(MAX_GAIN, wanted - measured))


def stem_levels(sound: Sound, *, what: str) -> dict[str, float]:
    """The integrated loudness of each source of sound on its own (the dialogue as its lines
    back to back, the clips' audio, one pass of the music), in one audio-only pass."""
    stems = {
        "dialogue": [(path, f"atrim=end_sample={count},") for path, _, count in sound.lines],
        "bed": [(path, "") for path in sound.clips],
        "music": [(sound.music, "")] if sound.music else [],
    }
    stems = {name: sources for name, sources in stems.items() if sources}
    inputs = Inputs()
    chains, outputs = [], []
    for name, sources in stems.items():
        pads = ""
        for path, trim in sources:
            index = inputs.add(path, "-vn")
            chains.append(f"[{index}:a:0]{FORMAT},{trim}asetpts=PTS-STARTPTS[{name}{index}]")
            pads += f"[{name}{index}]"
        chains.append(f"{pads}concat=n={len(sources)}:v=0:a=1,{meter(name, peak=False)}"
                      f"[{name}]")  # fmt: skip
        outputs += ["-map", f"[{name}]", "-f", "null", "-"]
    result = run([ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
                  *inputs.args, "-filter_complex", ";".join(chains), *outputs],
                 timeout=audio_timeout(sound.seconds), what=what)  # fmt: skip
    report = result.stderr.decode(errors="replace")
    levels = {}
    for name in stems:
        at = report.find(f"[ebur128@{name} @")
        match = INTEGRATED.search(report, at) if at >= 0 else None
        if result.returncode != 0 or match is None:
            raise AssemblyError(f"{what}: ffmpeg could not measure the {name}:\n"
                                f"{stderr_tail(result)}")  # fmt: skip
        levels[name] = decibels(match[1])
    return levels


def mix_graph(sound: Sound, levels: dict[str, float], inputs: Inputs) -> str:
    """The sources placed on the cut's clock and mixed into [mix]: the dialogue at its level;
    the clips' audio and the looped music under it, ducked while it speaks. `levels` are the
    stems' own loudness (none needed when there is one stem: the whole is normalised)."""
    dialogue = clips = music = 0.0
    reference = None
    if levels.get("dialogue", -math.inf) > SILENT_LUFS:
        dialogue, reference = gain(levels["dialogue"], DIALOGUE_LUFS), DIALOGUE_LUFS
    if "bed" in levels:
        if reference is not None:
            clips = gain(levels["bed"], reference - BED_UNDER)
        elif levels["bed"] > SILENT_LUFS:
            reference = levels["bed"]
    if "music" in levels and reference is not None:
        music = gain(levels["music"], reference - MUSIC_UNDER)

    chains: list[str] = []
    background: list[str] = []
    if sound.clips:
        pads = ""
        for n, (path, count) in enumerate(sound.scenes):
            if path is None:
                # A scene without audio is silence of its length.
                chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={count}[c{n}]")
            else:
                index = inputs.add(path, "-vn")
                chains.append(f"[{index}:a:0]asetpts=PTS-STARTPTS,{FORMAT},apad,"
                              f"atrim=end_sample={count}[c{n}]")  # fmt: skip
            pads += f"[c{n}]"
        chains.append(f"{pads}concat=n={len(sound.scenes)}:v=0:a=1,volume={clips:.2f}dB[bed]")
        background.append("[bed]")
    if sound.music is not None:
        index = inputs.add(sound.music, "-vn", "-stream_loop", "-1")
        chains.append(f"[{index}:a:0]{FORMAT},atrim=end_sample={sound.samples},"
                      f"asetpts=PTS-STARTPTS,volume={music:.2f}dB[music]")  # fmt: skip
        background.append("[music]")
    if sound.lines:
        # Each line padded or cut to its placed length, after silence up to its first sample:
        # one concatenation, sample-exact, puts every line in its place.
        pads, cursor = "", 0
        for n, (path, first, count) in enumerate(sound.lines):
            count -= max(0, cursor - first)
            if first > cursor:
                chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,"
                              f"atrim=end_sample={first - cursor}[g{n}]")  # fmt: skip
                pads += f"[g{n}]"
            index, length = inputs.add(path, "-vn"), max(1, count)
            chains.append(f"[{index}:a:0]{FORMAT},apad=whole_len={length},"
                          f"atrim=end_sample={length},asetpts=PTS-STARTPTS[l{n}]")  # fmt: skip
            pads += f"[l{n}]"
            cursor = max(cursor, first) + length
        split = ",asplit=2[dialogue][key]" if background else "[dialogue]"
        whole = f"apad=whole_len={sound.samples},atrim=end_sample={sound.samples}"
        chains.append(f"{pads}concat=n={pads.count('[')}:v=0:a=1,{whole},"
                      f"volume={dialogue:.2f}dB{split}")  # fmt: skip
    if len(background) == 2:
        chains.append(f"{''.join(background)}amix=inputs=2:normalize=0[background]")
        background = ["[background]"]
    if sound.lines and background:
        chains.append(f"{background[0]}[key]{DUCK}[ducked]")
        chains.append("[dialogue][ducked]amix=inputs=2:normalize=0[mix]")
    else:
        chains.append(f"{(background or ['[dialogue]'])[0]}anull[mix]")
    return ";".join(chains)


@dataclass(frozen=True)
class Loudness:
    """ebur128's summary of a whole stream: what a linear (two-pass) normalisation needs."""

    integrated: float  # LUFS
    threshold: float  # LUFS, the relative gate
    range: float  # LU
    true_peak: float  # dBTP


def meter(name: str, *, peak: bool = True) -> str:
    """ebur128 as a pass-through that reports at the end (the true peak too, if `peak`), its
    per-frame log kept quiet."""
    return f"ebur128@{name}=peak={'true' if peak else 'none'}:framelog=verbose"


INTEGRATED = re.compile(r"Integrated loudness:\s+I:\s+(\S+) LUFS")
SUMMARY = re.compile(
    r"Integrated loudness:\s+I:\s+(\S+) LUFS\s+Threshold:\s+(\S+) LUFS.*?"
    r"Loudness range:\s+LRA:\s+(\S+) LU.*?True peak:\s+Peak:\s+(\S+) dBFS",
    re.DOTALL,
)


def metered(command: list[str], name: str, *, timeout: float, what: str) -> Loudness:
    """Run an audio pass whose graph has meter(name) in it; its summary."""
    result = run(command, timeout=timeout, what=what)
    report = result.stderr.decode(errors="replace")
    at = report.find(f"[ebur128@{name} @")
    match = SUMMARY.search(report, at) if at >= 0 else None
    if result.returncode != 0 or match is None:
        raise AssemblyError(f"{what}: ffmpeg could not mix the sound:\n{stderr_tail(result)}")
    return Loudness(*(decibels(value) for value in match.groups()))


def make_sound(sound: Sound, work: Path, *, loudness: float,
               what: str) -> tuple[Path, float | None]:  # fmt: skip
    """Mix the sound and normalise it to `loudness` LUFS integrated, as 48 kHz stereo AAC;
    returns the file and its loudness as measured (None when it is silent, a WAV then).

    Two passes, as loudnorm's linear (two-pass) mode does it: the mix is measured (EBU R128,
    with its true peak) as it is written, then taken to the target with one gain and
    encoded; where that gain would push its peaks past TRUE_PEAK, it is limited at
    FINAL_LIMIT as it is applied. A mix whose peaks that would cut by more than
    FINAL_HEADROOM dB (where loudnorm would compress it dynamically, and miss the target on
    a short cut) is raised and limited in a pass between, and measured again (up to
    LIMIT_TRIES times, while limiting costs it loudness the gain must make up)."""
    timeout = audio_timeout(sound.seconds)
    # One source alone needs no level of its own: the whole is normalised.
    stems = bool(sound.lines) + bool(sound.clips) + bool(sound.music)
    levels = stem_levels(sound, what=what) if stems > 1 else {}
    inputs = Inputs()
    graph = mix_graph(sound, levels, inputs)
    mix = work / "mix.wav"
    base = [ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"]
    # With the stems' levels known the mix's loudness is about the dialogue's: it is raised
    # near the target and limited as it is mixed, which spares a limiting pass most times.
    near = ""
    if levels.get("dialogue", -math.inf) > SILENT_LUFS:
        near = (f"volume={loudness - DIALOGUE_LUFS - NEAR_MARGIN:.2f}dB,"
                f"alimiter=limit={10 ** (LIMIT / 20):.4f}:level=false:latency=true,")  # fmt: skip
    measured = metered([*base, *inputs.args, "-filter_complex",
                        f"{graph};[mix]{near}{meter('mix')}[out]",
                        "-map", "[out]", "-c:a", "pcm_f32le", str(mix)], "mix",
                       timeout=timeout, what=what)  # fmt: skip
    if measured.integrated <= SILENT_LUFS:
        return mix, None
    if measured.true_peak + loudness - measured.integrated > TRUE_PEAK + FINAL_HEADROOM:
        # Aim a little above the target, so that what is left for the final gain is a cut, not a
        # boost; the limiter takes some loudness with the peaks, so measure and aim again.
        source, mix = mix, work / "limited.wav"
        raise_by = loudness - measured.integrated + 1.0
        for _ in range(LIMIT_TRIES):
            chain = (f"volume={raise_by:.2f}dB,alimiter=limit={10 ** (LIMIT / 20):.4f}"
                     f":level=false:latency=true,{meter('limited')}")  # fmt: skip
            measured = metered([*base, "-i", str(source), "-af", chain, "-c:a", "pcm_f32le",
                                str(mix)], "limited", timeout=timeout, what=what)  # fmt: skip
            short = loudness - measured.integrated
            if measured.true_peak + short <= TRUE_PEAK:
                break
            raise_by += short + 0.3
    final = work / "sound.m4a"
    # The one gain loudnorm's linear mode would apply, applied by `volume`: loudnorm works at
    # 192 kHz whatever it is given, which took most of a cut's time for the same result. The
    # sound is metered again as it is encoded: the loudness reported is the output's own.
    gain = loudness - measured.integrated
    final_limit = ""
    if measured.true_peak + gain > TRUE_PEAK:
        # The peaks past the limit take some loudness with them: a little more gain makes
        # it up (about 0.4 LU a dB cut, for speech).
        gain += LIMIT_LOSS * (measured.true_peak + gain - FINAL_LIMIT)
        final_limit = (f"alimiter=limit={10 ** (FINAL_LIMIT / 20):.4f}:level=false"
                       ":latency=true,")  # fmt: skip
    result = run([*base, "-i", str(mix), "-af",
                  f"volume={gain:.3f}dB,{final_limit}{meter('output', peak=False)},"
                  f"aresample={SAMPLE_RATE}",
                  "-c:a", "aac", "-b:a", "128k", "-ac", "2", str(final)],
                 timeout=timeout, what=what)  # fmt: skip
    report = result.stderr.decode(errors="replace")
    at = report.find("[ebur128@output @")
    match = INTEGRATED.search(report, at) if at >= 0 else None
    if result.returncode != 0 or match is None:
        raise AssemblyError(f"{what}: ffmpeg could not encode the sound:\n{stderr_tail(result)}")
    output = decibels(match[1])
    return final, output if output > SILENT_LUFS else None


# ---------------------------------------------------------------- the cut
def assemble_episode(scenes: Sequence[CutScene], out: Path, *, music: Path | None = None,
                     width: int | None = None, height: int | None = None, fps: int = 24,
                     loudness: float = -14.0) -> Cut:  # fmt: skip
    """Join the scenes' clips in order into the MP4 `out` and return what was written.

    The frame is `width`x`height` (default: the first clip's size, made even). The sound
    (the clips' audio, the voiced lines, the `music` bed looped) is normalised to `loudness`
    LUFS; a cut with nothing to hear has no audio stream, one with no dialogue no captions
    and no subtitle stream. The file appears at `out` only once it is complete; on any
    failure nothing new is left there and AssemblyError says why.
    """
    if not scenes:
        raise AssemblyError("An episode cut needs at least one scene.")
    if fps < 1:
        raise AssemblyError(f"An episode cut needs a positive frame rate, not {fps}.")
    out = Path(out).absolute()
    videos = [Path(scene.video).absolute() for scene in scenes]
    music = Path(music).absolute() if music is not None else None
    with ThreadPoolExecutor(max_workers=4) as pool:
        media = list(pool.map(probe, videos))
        if music is not None:
            probe(music)
        line_lengths = [list(pool.map(line_length, scene.lines)) for scene in scenes]
    for video, clip in zip(videos, media, strict=True):
        if not clip.has_video or not clip.width or not clip.height:
            raise AssemblyError(f"{video.name} has no video stream.")
    width = even(width or media[0].width)
    height = even(height or media[0].height)
    clip_lengths = [clip.duration if clip.duration is not None else decoded_duration(video)
                    for video, clip in zip(videos, media, strict=True)]  # fmt: skip
    timeline = place(scenes, clip_lengths, line_lengths, fps=fps)
    cues = schedule(timeline.lines)
    # Each scene's first sample, from the frames before it, so no rounding adds up.
    bounds = [round(sum(timeline.frames[:n]) * SAMPLE_RATE / fps)
              for n in range(len(scenes) + 1)]  # fmt: skip
    sound = Sound(
        scenes=[(video if clip.has_audio else None, bounds[n + 1] - bounds[n])
                for n, (video, clip) in enumerate(zip(videos, media, strict=True))],
        lines=[(path, round(line.start * SAMPLE_RATE), round(line.duration * SAMPLE_RATE))
               for path, line in timeline.voiced],
        music=music, samples=bounds[-1],
    )  # fmt: skip
    audible = bool(sound.clips or sound.lines or sound.music)
    seconds = sum(timeline.frames) / fps

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cut-") as name:
        work = Path(name)
        subtitles = track = None
        if cues:
            subtitles, track = "captions.ass", work / "dialogue.ass"
            (work / subtitles).write_text(ass(cues, width, height, bold=True), encoding="utf-8")
            track.write_text(ass(cues, width, height), encoding="utf-8")
            write_font(work / "fonts")
        picture = work / "picture.mp4"
        inputs = Inputs()
        for video in videos:
            inputs.add(video, "-an", "-sn")
        ready = [clip.plain and (clip.width, clip.height) == (width, height) for clip in media]
        graph = video_graph(timeline.frames, width=width, height=height, fps=fps,
                            subtitles=subtitles, ready=ready)  # fmt: skip
        encode = [
            ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs.args,
            "-filter_complex", graph, "-map", "[v]", "-map_metadata", "-1",
            *CUT_CODEC,
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-f", "mp4", str(picture),
        ]  # fmt: skip
        # The picture is encoded while the sound is mixed: the sound's passes are short.
        with ThreadPoolExecutor(max_workers=1) as pool:
            encoding = pool.submit(run, encode, timeout=encode_timeout(seconds),
                                   what=f"Cutting {out.name}", cwd=work)  # fmt: skip
            mixed = (make_sound(sound, work, loudness=loudness, what=f"Mixing {out.name}")
                     if audible else None)  # fmt: skip
            result = encoding.result()
        if result.returncode != 0:
            raise AssemblyError(f"ffmpeg could not cut {out.name}:\n{stderr_tail(result)}")

        streams = Inputs()
        streams.add(picture)
        maps = ["-map", "0:v:0"]
        if mixed is not None:
            streams.add(mixed[0])
            # The sound comes encoded, but for a silent mix, left as it was made.
            encoded = mixed[0].suffix != ".wav"
            codec = ["-c:a", "copy"] if encoded else ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
            maps += ["-map", "1:a:0", *codec]
        if track is not None:
            index = streams.add(track)
            maps += ["-map", f"{index}:s:0", "-c:s", "mov_text", "-metadata:s:s:0",
                     "language=und", "-disposition:s:0", "default"]  # fmt: skip
        # Beside `out`, so the final rename stays on one filesystem and is atomic.
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=".part")
        os.close(handle)
        partial = Path(name)
        try:
            command = [
                ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                *streams.args, *maps, "-c:v", "copy", "-map_metadata", "-1",
                "-movflags", "+faststart", "-f", "mp4", str(partial),
            ]  # fmt: skip
            result = run(command, timeout=audio_timeout(seconds), what=f"Joining {out.name}")
            if result.returncode != 0:
                raise AssemblyError(f"ffmpeg could not join {out.name}:\n{stderr_tail(result)}")
            duration = probe_duration(partial)
            partial.chmod(0o644)  # mkstemp makes it private; the cut is served as media
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Cut(path=out, duration=duration, width=width, height=height, cues=cues,
               webvtt=webvtt(cues), scenes=timeline.scenes, lines=timeline.lines,
               music=music is not None, loudness=mixed[1] if mixed else None)  # fmt: skip
