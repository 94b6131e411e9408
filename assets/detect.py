"""What a file really is, found from its bytes: never from its name or a client's header."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass

import imageio_ffmpeg
from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class Detected:
    media_type: str  # image, video, audio, text
    content_type: str
    ext: str


class UnsupportedFile(Exception):
    """Not a type the library accepts (415)."""


class DamagedFile(Exception):
    """The type is right but the content is broken, e.g. a truncated image (400)."""


# Extensions a client's file name may carry for each detected type; anything else is refused.
NAME_EXTENSIONS = {
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/webp": {"webp"},
    "image/gif": {"gif"},
    "video/mp4": {"mp4", "m4v"},
    "video/quicktime": {"mov"},
    "video/webm": {"webm"},
    "audio/mpeg": {"mp3"},
    "audio/wav": {"wav"},
    "audio/ogg": {"ogg", "oga"},
    "application/json": {"json"},
    "text/plain": {"txt", "text", "md", "srt", "vtt"},
}


def sniff(data: bytes) -> Detected:
    """Returns the type the bytes show; raises UnsupportedFile for anything else."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detected("image", "image/png", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return Detected("image", "image/jpeg", "jpg")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Detected("image", "image/webp", "webp")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Detected("image", "image/gif", "gif")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return Detected("video", "video/quicktime", "mov")
        if brand.startswith(b"M4A"):
            raise UnsupportedFile("AAC audio in an MP4 container is not accepted.")
        return Detected("video", "video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Detected("video", "video/webm", "webm")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return Detected("audio", "audio/mpeg", "mp3")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Detected("audio", "audio/wav", "wav")
    if head.startswith(b"OggS"):
        return Detected("audio", "audio/ogg", "ogg")
    return _text(data)


def _text(data: bytes) -> Detected:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedFile("The file is not an image, video, audio or UTF-8 text.") from None
    if "\x00" in text:
        raise UnsupportedFile("The file is binary data of an unsupported type.")
    head = text.lstrip("\ufeff")
    if head.startswith("WEBVTT") and head[6:7] in ("", "\n", "\r", " ", "\t"):
        return Detected("text", "text/vtt", "vtt")
    try:
        document = json.loads(text)
    except ValueError:
        return Detected("text", "text/plain", "txt")
    if isinstance(document, dict) and str(document.get("OTIO_SCHEMA", "")).startswith("Timeline."):
        # An OpenTimelineIO timeline (an episode's editorial export).
        return Detected("text", "application/vnd.pixar.opentimelineio+json", "otio")
    return Detected("text", "application/json", "json")


def verify(data: bytes, detected: Detected) -> dict:
    """Checks that the content decodes; returns what it learnt (an image's width and height;
    a video's or a sound's duration, codec, and for a video its size)."""
    if detected.media_type == "image":
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            # verify() skips the pixel data: decoding it finds truncated files.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return {"width": image.width, "height": image.height}
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise DamagedFile(f"The image is damaged or truncated ({exc}).") from None
        except Image.DecompressionBombError:
            raise DamagedFile("The image is too large to decode safely.") from None
    if detected.media_type in ("video", "audio"):
        return probe(data, detected)
    return {}


# ---------------------------------------------------------------- video and sound
# imageio-ffmpeg ships ffmpeg without ffprobe: one ffmpeg run opens the file with the demuxer
# its header names, decodes the first seconds of its main stream, and reads every packet of
# the rest without decoding (cheap; finds a file cut short or corrupt further in).
DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "video/webm": "matroska",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/ogg": "ogg",
}
PROBE_SECONDS = 20.0
DECODE_SECONDS = "2"
# Frames larger than this (8K is 33 Mpx) are refused before the decoder allocates them.
MAX_PIXELS = str(64 * 1024 * 1024)
DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)
STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
# `\b` and two digits keep codec tags such as "0x31637661" from reading as a size.
SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
RATE = re.compile(r"\b(\d+) Hz\b")
# With `-loglevel level+…` every line carries its level: `[h264 @ 0x…] [error] message`.
LEVEL = re.compile(r"^\[info\] ", re.MULTILINE)
PROBLEM = re.compile(r"^(?:\[[^]]* @ [^]]*\] )*\[(?:error|fatal|panic)\] (.*)$", re.MULTILINE)


def probe(data: bytes, detected: Detected) -> dict:
    """Decodes the start of a video's picture or of a sound and reads the rest through;
    returns its duration, codec and (for a video) size. Raises DamagedFile when ffmpeg cannot
    open it as the type its header claims, finds none of that stream, or fails on any of it."""
    kind = "video" if detected.media_type == "video" else "sound"
    main = "0:v:0" if detected.media_type == "video" else "0:a:0"
    with tempfile.NamedTemporaryFile(suffix=f".{detected.ext}") as source:
        source.write(data)
        source.flush()
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin",
            "-loglevel", "level+info", "-xerror",
            "-f", DEMUXERS[detected.content_type], "-max_pixels", MAX_PIXELS, "-i", source.name,
            # Output 1: the main stream decoded, one line per frame on stdout.
            "-map", main, "-t", DECODE_SECONDS, "-f", "framecrc", "pipe:1",
            # Output 2: every packet of every picture and sound stream, read and dropped.
            "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "null", "-",
        ]  # fmt: skip
        try:
            result = subprocess.run(  # noqa: S603 - argument list, no shell
                command, capture_output=True, stdin=subprocess.DEVNULL,
                timeout=PROBE_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise DamagedFile(
                f"The {kind} could not be decoded within {PROBE_SECONDS:g} seconds."
            ) from None
    report = result.stderr.decode(errors="replace")
    problems = PROBLEM.findall(report)
    # The input's own description comes before ffmpeg maps it to the outputs.
    described = LEVEL.sub("", report.split("Stream mapping:", 1)[0])
    if "Input #0" not in described:
        reason = problems[0].rstrip(".") if problems else "not recognised"
        raise DamagedFile(f"The {kind} is damaged or is not {detected.content_type} ({reason}).")
    streams = [m.groups() for m in map(STREAM.match, described.splitlines()) if m]
    wanted = "Video" if detected.media_type == "video" else "Audio"
    # Cover art in a sound file is a one-frame video stream, not a picture to play.
    own = [d for k, d in streams if k == wanted and "attached pic" not in d]
    if not own:
        raise DamagedFile(f"The file holds no {'picture' if kind == 'video' else 'sound'}.")
    if result.returncode != 0:
        reason = problems[0].rstrip(".") if problems else f"ffmpeg exited with {result.returncode}"
        raise DamagedFile(f"The {kind} is damaged or truncated ({reason}).")
    lines = result.stdout.decode(errors="replace").splitlines()
    if not any(line and not line.startswith("#") for line in lines):
        raise DamagedFile(f"The {kind} holds nothing that decodes.")
    return _facts(described, own[0], streams, detected)


def _facts(described: str, main: str, streams: list[tuple[str, str]], detected: Detected) -> dict:
    facts: dict = {"codec": main.split(" ", 1)[0].rstrip(",")}
    if match := DURATION.search(described):
        hours, minutes, seconds = match.groups()
        facts["durationSeconds"] = round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)
    if detected.media_type == "video":
        if size := SIZE.search(main):
            facts["width"], facts["height"] = int(size[1]), int(size[2])
        sound = next((d for k, d in streams if k == "Audio"), None)
        if sound:
            facts["audioCodec"] = sound.split(" ", 1)[0].rstrip(",")
    elif rate := RATE.search(main):
        facts["sampleRate"] = int(rate[1])
    return facts


def name_matches(filename: str, detected: Detected) -> bool:
    """A name without an extension is fine; one that claims another type is not."""
    if "." not in filename:
        return True
    return filename.rsplit(".", 1)[-1].lower() in NAME_EXTENSIONS[detected.content_type]
