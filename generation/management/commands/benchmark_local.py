from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
from django.core.management.base import BaseCommand

from generation.assembly import CUT_CODEC, CutLine, CutScene, assemble_episode
from generation.providers.base import ImageRequest, ReferenceImage, VideoRequest
from generation.providers.local import video
from generation.providers.local.image import LocalImageProvider, size_for
from generation.providers.local.music import compose
from generation.providers.local.video import LocalVideoProvider

CAST = [
    {"id": "char_001", "name": "Ava Hart", "role": "protagonist",
     "appearance": "long auburn hair, red silk dress"},
    {"id": "char_002", "name": "Leo Vale", "role": "rival",
     "appearance": "short black hair, navy trench coat"},
]  # fmt: skip
GOALS = {"image": 0.3, "clip": 2.0}
# Each beside its bare baseline: the clip encode within 1.2x of x264 encoding a plain lavfi
# source of the same size and length, the cut within 1.5x of joining and encoding its clips.
RATIO_GOALS = {"clip": 1.2, "cut": 1.5}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-y",  # noqa: S603
                    "-loglevel", "error", *args], check=True, capture_output=True,
                   timeout=600)  # fmt: skip


def voice(path: Path, text: str) -> Path:
    """A spoken line from espeak-ng, or where it is missing a babble of the same length."""
    if espeak := shutil.which("espeak-ng"):
        subprocess.run([espeak, "-w", str(path), text], check=True, capture_output=True,  # noqa: S603
                       timeout=60)  # fmt: skip
    else:
        seconds = 0.3 + 0.07 * len(text)
        ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.3*sin(2*PI*(140+40*sin(2*PI*3*t))*t)"
               f"*abs(sin(2*PI*4*t))':s=22050:d={seconds:.2f}", str(path))  # fmt: skip
    return path


class Command(BaseCommand):
    help = (
        "Times the offline provider on this machine: seconds per image (portraits and "
        "storyboards) and per clip of --seconds encoded, the clip encode beside a bare x264 "
        "encode of the same size and length, and an episode cut of the clips (voices, music, "
        "captions) beside a bare join and encode of them. Prints figures; asserts nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--images", type=int, default=20)
        parser.add_argument("--clips", type=int, default=3)
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--cuts", type=int, default=3, help="Runs of the cut and its bare "
                            "baseline, taken in turn.")  # fmt: skip

    def handle(self, *args, images: int, clips: int, seconds: int, cuts: int,
               **options) -> None:  # fmt: skip
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
            image_times.append(timed(lambda request=request: image_provider.generate(request)))

        storyboard = image_provider.generate(
            ImageRequest(prompt="board", references=references, context={"characters": CAST})
        )
        video_provider = LocalVideoProvider()
        clip_times, bare_times = [], []
        size = size_for("9:16", video.WIDTH)
        with tempfile.TemporaryDirectory(prefix="benchmark-") as name:
            work = Path(name)
            kept, scenes = [], []
            for n in range(clips):
                dialogue = [{"speaker": "Ava", "line": f"Line {n} of the scene, said slowly."},
                            {"speaker": "Leo", "line": "And the answer to it."}]  # fmt: skip
                request = VideoRequest(
                    prompt=f"clip {n}", duration_seconds=seconds,
                    reference=ReferenceImage(storyboard.data), context={"dialogue": dialogue},
                )  # fmt: skip
                # The encoding is the work; LOCAL_VIDEO_LATENCY_MS only delays when the clip
                # is ready, so the render is timed at submit, kept for the cut and removed.
                started = time.perf_counter()
                handle = video_provider.submit(request)
                clip_times.append(time.perf_counter() - started)
                path = work / f"clip{n}.mp4"
                shutil.copyfile(video.renders_dir() / f"{handle['id']}.mp4", path)
                video_provider.cancel(handle)
                kept.append(path)
                # The bare baseline: x264 as the clips use it on a plain source of that size.
                bare_times.append(timed(lambda: ffmpeg(
                    "-f", "lavfi", "-i", f"color=c=0x404070:s={size[0]}x{size[1]}:r={video.FPS}"
                    f":d={seconds}", *video.CODEC, "-movflags", "+faststart",
                    str(work / "bare.mp4"))))  # fmt: skip
                lines = tuple(
                    CutLine(d["speaker"], d["line"], voice(work / f"line{n}-{k}.wav", d["line"]))
                    for k, d in enumerate(dialogue)
                )
                scenes.append(CutScene(path, lines, key=f"scene_{n + 1}"))
            cut_times, join_times = self.time_cut(scenes, work, runs=cuts)

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
        if clip_times:
            self.ratio("clip encode", clip_times, "bare x264 encode of a lavfi colour source",
                       bare_times, RATIO_GOALS["clip"])  # fmt: skip
        if cut_times:
            self.ratio(f"cut of {clips}", cut_times, "bare concat + encode of the same clips",
                       join_times, RATIO_GOALS["cut"])  # fmt: skip

    def time_cut(self, scenes: list[CutScene], work: Path, *,
                 runs: int) -> tuple[list[float], list[float]]:  # fmt: skip
        """The cut (voices, a music bed, captions, loudness) and a bare join of its clips,
        run in turn so that a busy moment of the machine falls on both alike."""
        if not scenes:
            return [], []
        music = work / "music.wav"
        music.write_bytes(compose("thriller", "tense", 30))
        clips = [str(scene.video) for scene in scenes]
        inputs = [arg for clip in clips for arg in ("-i", clip)]
        join = "".join(f"[{n}:v:0]" for n in range(len(clips))) + f"concat=n={len(clips)}:v=1[v]"
        cut_times, join_times = [], []
        for _ in range(runs):
            join_times.append(timed(lambda: ffmpeg(
                *inputs, "-filter_complex", join, "-map", "[v]", *CUT_CODEC,
                "-movflags", "+faststart", str(work / "joined.mp4"))))  # fmt: skip
            cut_times.append(timed(lambda: assemble_episode(scenes, work / "cut.mp4",
                                                            music=music)))  # fmt: skip
        return cut_times, join_times

    def ratio(self, label: str, times: list[float], baseline: str, base_times: list[float],
              goal: float) -> None:  # fmt: skip
        median, base = statistics.median(times), statistics.median(base_times)
        self.stdout.write(
            f"{label:>12}: median {median:.3f} s beside {base:.3f} s for a {baseline}: "
            f"{median / base:.2f}x (goal {goal}x)"
        )
