"""What a file really is, found from its bytes: never from its name or a client's header."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

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
    try:
        json.loads(text)
    except ValueError:
        return Detected("text", "text/plain", "txt")
    return Detected("text", "application/json", "json")


def verify(data: bytes, detected: Detected) -> dict:
    """Checks that the content decodes; returns what it learnt (image width and height)."""
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
    if detected.media_type == "video" and len(data) < 32:
        raise DamagedFile("The video is too short to be a real file.")
    return {}


def name_matches(filename: str, detected: Detected) -> bool:
    """A name without an extension is fine; one that claims another type is not."""
    if "." not in filename:
        return True
    return filename.rsplit(".", 1)[-1].lower() in NAME_EXTENSIONS[detected.content_type]
