from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand

from generation.providers.base import ImageRequest, ReferenceImage, VideoRequest
from generation.providers.local.image import LocalImageProvider
from generation.providers.local.video import LocalVideoProvider

CAST = [
    {"id": "char_001", "name": "Ava Hart", "role": "protagonist",
     "appearance": "long auburn hair, red silk dress"},
    {"id": "char_002", "name": "Leo Vale", "role": "rival",
     "appearance": "short black hair, navy trench coat"},
]  # fmt: skip
GOALS = {"image": 0.3, "clip": 2.0}


class Command(BaseCommand):
    help = (
        "Times the offline provider on this machine: seconds per image (portraits and "
        "storyboards) and per clip of --seconds encoded. Prints figures; asserts nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--images", type=int, default=20)
        parser.add_argument("--clips", type=int, default=3)
        parser.add_argument("--seconds", type=int, default=10)

    def handle(self, *args, images: int, clips: int, seconds: int, **options) -> None:
        image_provider = LocalImageProvider()
        portraits = [image_provider.generate(ImageRequest(prompt=c["appearance"],
                                                          kind="portrait", context=c))
                     for c in CAST]  # fmt: skip
        references = tuple(ReferenceImage(p.data) for p in portraits)
        image_times = []
        for n in range(images):
            request = ImageRequest(
                prompt=f"scene {n}",
                kind="storyboard" if n % 2 else "portrait",
                references=references if n % 2 else (),
                context={"location": f"location {n}", "time_of_day": "dusk",
                         "characters": CAST, "action": f"Action number {n}.",
                         **CAST[n % 2]},
            )  # fmt: skip
            started = time.perf_counter()
            image_provider.generate(request)
            image_times.append(time.perf_counter() - started)

        storyboard = image_provider.generate(
            ImageRequest(prompt="board", references=references, context={"characters": CAST})
        )
        video_provider = LocalVideoProvider()
        clip_times = []
        for n in range(clips):
            request = VideoRequest(
                prompt=f"clip {n}",
                duration_seconds=seconds,
                reference=ReferenceImage(storyboard.data),
                context={"dialogue": [{"speaker": "Ava", "line": f"Line {n} of the scene."},
                                      {"speaker": "Leo", "line": "And the answer."}]},
            )  # fmt: skip
            # The encoding is the work; LOCAL_VIDEO_LATENCY_MS only delays when the clip is
            # ready, so the render is timed at submit and then removed, not waited for.
            started = time.perf_counter()
            handle = video_provider.submit(request)
            clip_times.append(time.perf_counter() - started)
            video_provider.cancel(handle)

        for label, times, goal in (("image", image_times, GOALS["image"]),
                                   (f"{seconds} s clip", clip_times, GOALS["clip"])):  # fmt: skip
            if not times:
                continue
            median = statistics.median(times)
            self.stdout.write(
                f"{label:>10}: median {median:.3f} s, min {min(times):.3f} s, "
                f"max {max(times):.3f} s over {len(times)}; goal {goal} s "
                f"({median / goal:.2f} of the goal)"
            )
