"""Offline images drawn with Pillow: 9:16 portraits and storyboards, labelled as previews.

A portrait shows the character's name, role and appearance on a figure in the character's own
colours; a storyboard shows the scene's location and time of day as its sky, each character in
the scene as a figure carrying their portrait (the reference images, so faces stay consistent),
and the action. Same request, same bytes.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
import time

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from generation.providers.base import CallRecord, ImageRequest, ImageResult, Usage
from generation.providers.pricing import estimate_cost

WIDTH, HEIGHT = 720, 1280
LABEL = "OFFLINE PREVIEW"
SKIES = {
    "dawn": ((255, 170, 120), (120, 90, 160)),
    "morning": ((150, 200, 255), (230, 240, 255)),
    "afternoon": ((110, 170, 240), (250, 230, 180)),
    "dusk": ((250, 120, 80), (60, 40, 100)),
    "night": ((15, 20, 60), (50, 60, 120)),
    "late night": ((5, 5, 25), (30, 20, 60)),
}
DEFAULT_SKY = ((90, 100, 130), (200, 200, 210))
HAIR = {"blonde": (230, 200, 120), "auburn": (150, 60, 30), "black": (25, 20, 20),
        "silver": (190, 190, 200), "dark": (60, 40, 30), "red": (170, 40, 30)}  # fmt: skip
# Where the portrait's figure stands, as fractions of the image: storyboards cut the face out.
PORTRAIT_BASE, PORTRAIT_SCALE = 0.62, 1.5


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def colour_of(text: str) -> tuple[int, int, int]:
    """A stable, fairly saturated colour for a name."""
    digest = hashlib.sha256(text.encode()).digest()
    return (60 + digest[0] % 170, 60 + digest[1] % 170, 60 + digest[2] % 170)


def size_for(aspect_ratio: str, width: int = WIDTH) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in aspect_ratio.split(":"))
    except ValueError:
        w, h = 9, 16
    return width, round(width * h / w / 2) * 2


def gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    # A 1-pixel-wide gradient stretched across is far cheaper than drawing every line.
    column = Image.new("RGB", (1, size[1]))
    for y in range(size[1]):
        f = y / max(1, size[1] - 1)
        shade = tuple(int(a + (b - a) * f) for a, b in zip(top, bottom, strict=True))
        column.putpixel((0, y), shade)
    return column.resize(size)


def draw_text_block(draw, xy, text: str, size: int, width_chars: int, fill) -> int:
    """Draws wrapped text; returns the y below it."""
    x, y = xy
    for line in textwrap.wrap(text, width_chars)[:8]:
        draw.text((x, y), line, font=font(size), fill=fill)
        y += int(size * 1.3)
    return y


def draw_label(image: Image.Image) -> None:
    draw = ImageDraw.Draw(image)
    w = image.width
    draw.rectangle((0, 0, w, 56), fill=(0, 0, 0))
    draw.text((w // 2, 28), LABEL, font=font(30), fill=(255, 210, 0), anchor="mm")


def head_box(centre_x: int, base_y: int, scale: float) -> tuple[int, int, int, int]:
    head, body_h = int(90 * scale), int(260 * scale)
    top = base_y - body_h - head * 2
    return (centre_x - head, top, centre_x + head, top + head * 2)


def face_of(portrait: Image.Image) -> Image.Image:
    """The head of a portrait drawn by render_portrait (or the middle of any other image)."""
    w, h = portrait.size
    box = head_box(w // 2, int(h * PORTRAIT_BASE), PORTRAIT_SCALE * w / WIDTH)
    if box[1] < 0 or box[3] > h:
        side = min(w, h) // 2
        box = ((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)
    return portrait.crop(box)


def draw_figure(image: Image.Image, centre_x: int, base_y: int, scale: float, colour,
                face: Image.Image | None, name: str, hair=None) -> None:  # fmt: skip
    draw = ImageDraw.Draw(image)
    head = int(90 * scale)
    body_w, body_h = int(150 * scale), int(260 * scale)
    draw.rounded_rectangle(
        (centre_x - body_w // 2, base_y - body_h, centre_x + body_w // 2, base_y),
        radius=int(40 * scale), fill=colour,
    )  # fmt: skip
    box = head_box(centre_x, base_y, scale)
    if face is not None:
        thumb = face.convert("RGB").resize((head * 2, head * 2))
        mask = Image.new("L", thumb.size, 0)
        ImageDraw.Draw(mask).ellipse((0, 0, *thumb.size), fill=255)
        image.paste(thumb, box[:2], mask)
    else:
        draw.ellipse(box, fill=(235, 200, 170), outline=colour, width=6)
        if hair is not None:
            draw.pieslice(box, 180, 360, fill=hair)
        eye_y = box[1] + head
        for dx in (-head // 3, head // 3):
            draw.ellipse((centre_x + dx - 8, eye_y - 8, centre_x + dx + 8, eye_y + 8),
                         fill=(30, 30, 30))  # fmt: skip
    draw.text((centre_x, base_y + 30), name, font=font(int(30 * max(scale, 0.8))),
              fill=(255, 255, 255), anchor="mm", stroke_width=3, stroke_fill=(0, 0, 0))  # fmt: skip


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def render_portrait(request: ImageRequest) -> Image.Image:
    ctx = request.context
    name = ctx.get("name", "Unnamed")
    colour = colour_of(ctx.get("id", name) + name)
    size = size_for(request.aspect_ratio)
    image = gradient(size, tuple(c // 3 for c in colour), (30, 30, 40))
    appearance = (ctx.get("appearance") or request.prompt).lower()
    hair = next((rgb for word, rgb in HAIR.items() if word in appearance), None)
    scale = PORTRAIT_SCALE * size[0] / WIDTH
    draw_figure(image, size[0] // 2, int(size[1] * PORTRAIT_BASE), scale, colour, None, "", hair)
    draw = ImageDraw.Draw(image)
    y = int(size[1] * 0.68)
    draw.text((40, y), name, font=font(54), fill=(255, 255, 255))
    draw.text((40, y + 70), ctx.get("role", "").title(), font=font(34), fill=colour)
    draw_text_block(draw, (40, y + 130), ctx.get("appearance") or request.prompt, 28, 40,
                    (220, 220, 220))  # fmt: skip
    draw_label(image)
    return image


def render_storyboard(request: ImageRequest) -> Image.Image:
    ctx = request.context
    size = size_for(request.aspect_ratio)
    top, bottom = SKIES.get(ctx.get("time_of_day", "").lower(), DEFAULT_SKY)
    image = gradient(size, top, bottom)
    draw = ImageDraw.Draw(image)
    # Ground, and the place written on it.
    draw.rectangle((0, int(size[1] * 0.72), size[0], size[1]), fill=(40, 38, 36))
    draw.text((40, 80), (ctx.get("location") or "Somewhere").upper(), font=font(46),
              fill=(255, 255, 255), stroke_width=3, stroke_fill=(0, 0, 0))  # fmt: skip
    draw.text((40, 140), (ctx.get("time_of_day") or "").title(), font=font(32),
              fill=(255, 230, 160))  # fmt: skip
    cast = ctx.get("characters", [])
    faces = [face_of(Image.open(io.BytesIO(ref.data))) for ref in request.references]
    count = max(1, len(cast))
    for index, person in enumerate(cast):
        x = int(size[0] * (index + 1) / (count + 1))
        face = faces[index] if index < len(faces) else None
        colour = colour_of(person.get("id", "") + person.get("name", ""))
        draw_figure(image, x, int(size[1] * 0.72), 1.0 if count > 2 else 1.3, colour, face,
                    person.get("name", "").split(" ")[0])  # fmt: skip
    action = ctx.get("action") or ctx.get("description") or request.prompt
    draw_text_block(draw, (40, int(size[1] * 0.78)), action, 30, 40, (240, 240, 240))
    draw_label(image)
    return image


class LocalImageProvider:
    name = "local"
    model = "offline-image-1"

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def generate(self, request: ImageRequest) -> ImageResult:
        started = time.monotonic()
        if settings.LOCAL_IMAGE_LATENCY_MS:
            time.sleep(settings.LOCAL_IMAGE_LATENCY_MS / 1000)
        render = render_portrait if request.kind == "portrait" else render_storyboard
        data = encode_png(render(request))
        self.calls.append(
            CallRecord(
                provider=self.name,
                model=self.model,
                operation="image",
                latency_ms=int((time.monotonic() - started) * 1000),
                attempts=1,
                usage=Usage(images=1),
                # Free, unless an operator prices the offline model (benchmarks, estimates).
                cost_usd=estimate_cost(self.model, Usage(images=1)),
            )  # fmt: skip
        )
        return ImageResult(data=data, content_type="image/png", model=self.model,
                           metadata={"offlinePreview": True})  # fmt: skip
