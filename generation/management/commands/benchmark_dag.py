"""`manage.py benchmark_dag`: how close the DAG's schedule comes to the best possible one.

It builds a drama of the given size, runs its whole DAG through real worker processes with the
offline provider made as slow as remote ones (time-scaled), once releasing each node as soon as
its own inputs are done and once level by level, and prints for each: the makespan, the lower
bound — the larger of the critical path and, per provider, the total work over its concurrency
limit, both from the nodes' measured durations — and their ratio. Then it measures the
scheduling overhead per node at zero latency: the time its tasks spend outside the provider and
the asset store (claiming it, planning it, finishing it and releasing what waits on it), and,
apart, how long nodes queued for their provider's slots and the worker processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dramas.models import Drama
from dramas.services import drama_create
from generation import runs
from generation.models import Job
from generation.slots import slot_limit


def benchmark_script(*, characters: int, episodes: int, scenes: int, seconds: int) -> dict:
    """A drama whose every scene has two of the cast and two lines."""
    cast = [{"id": f"char_{c + 1:03d}", "name": f"Person {c + 1}", "role": "lead",
             "description": "", "appearance": f"look {c}"} for c in range(characters)]  # fmt: skip
    return {
        "title": f"Benchmark {characters}x{episodes}x{scenes}",
        "characters": cast,
        "episodes": [
            {"id": f"ep_{e + 1:02d}", "number": e + 1, "title": f"Episode {e + 1}",
             "scenes": [
                 {"id": f"sc_{e + 1:02d}_{s + 1:02d}", "number": s + 1, "title": f"Scene {s + 1}",
                  "visual_prompt": f"place {e}-{s}", "target_duration": seconds,
                  "characters": sorted({cast[(e + s) % characters]["id"],
                                        cast[(e + s + 1) % characters]["id"]}),
                  "dialogue": [{"character": cast[(e + s) % characters]["id"], "line": "Go."}]}
                 for s in range(scenes)
             ]}
            for e in range(episodes)
        ],
    }  # fmt: skip


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--characters", type=int, default=8)
        parser.add_argument("--episodes", type=int, default=6)
        parser.add_argument("--scenes", type=int, default=6, help="Scenes per episode.")
        parser.add_argument("--image-ms", type=int, default=2000, help="An image's latency.")
        parser.add_argument("--video-ms", type=int, default=20000, help="A render's latency.")
        parser.add_argument(
            "--scale", type=float, default=0.25, help="Time scale applied to both latencies."
        )
        parser.add_argument("--clip-seconds", type=int, default=1, help="Length of each clip.")
        parser.add_argument(
            "--workers", type=int, default=8,
            help="Worker processes: enough for every image and assembly slot to be busy while "
                 "renders are submitted and polled, as the lower bound assumes.",
        )  # fmt: skip
        parser.add_argument(
            "--overhead-nodes", type=int, default=0,
            help="Size of the zero-latency run that measures the scheduling overhead per node "
                 "(e.g. 1000, about three minutes; 0: skip it).",
        )  # fmt: skip
        parser.add_argument(
            "--overhead-workers", type=int, default=os.cpu_count() or 1,
            help="Worker processes of the zero-latency run (default: one per core, so that "
                 "it times the machinery, not processes taking turns on a core).",
        )  # fmt: skip
        parser.add_argument("--timeout", type=float, default=600, help="Seconds per run, at most.")
        parser.add_argument(
            "--keep", action="store_true", help="Keep the benchmark's dramas to look at."
        )
        parser.add_argument(
            "--modes", default="dependency,level", help="Which schedules to run, in order."
        )

    def handle(self, *args, **o) -> None:
        if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
            raise CommandError("benchmark_dag needs a database the workers can share.")
        owner, _ = get_user_model().objects.get_or_create(username="benchmark")
        scaled = {"image": round(o["image_ms"] * o["scale"]),
                  "video": round(o["video_ms"] * o["scale"])}  # fmt: skip
        self.stdout.write(
            f"workload: {o['characters']} characters, {o['episodes']} episodes x {o['scenes']} "
            f"scenes; image {o['image_ms']} ms, video {o['video_ms']} ms, time scale "
            f"{o['scale']} (image {scaled['image']} ms, video {scaled['video']} ms); "
            f"{o['workers']} worker processes; limits {settings.PROVIDER_CONCURRENCY}"
        )
        size = {k: o[k] for k in ("characters", "episodes", "scenes")}
        results = {}
        modes = [m for m in o["modes"].split(",") if m]
        if modes:
            with (
                tempfile.TemporaryDirectory(prefix="benchmark-") as tmp,
                self.workers(
                    Path(tmp), o["workers"], image_ms=scaled["image"], video_ms=scaled["video"]
                ),
            ):
                for mode in modes:
                    results[mode] = self.run(owner, mode, size, o["clip_seconds"], o["timeout"],
                                             keep=o["keep"])  # fmt: skip
                    self.report(mode, results[mode])
        if {"dependency", "level"} <= set(results):
            dep, level = results["dependency"], results["level"]
            self.stdout.write(
                f"dependency mode is {level['makespan'] / dep['makespan']:.2f}x faster than "
                f"level mode; dependency/lower bound {dep['ratio']:.3f} (aim: at most 1.10)"
            )
        if o["overhead_nodes"]:
            self.overhead(owner, o["overhead_nodes"], o["overhead_workers"], o["timeout"])
        else:
            self.stdout.write(
                "(the scheduling overhead per node at zero latency: --overhead-nodes 1000)"
            )

    # ---------------------------------------------------------------- running
    def workers(self, tmp: Path, count: int, *, image_ms: int, video_ms: int):
        env = {**os.environ, "WORKERS": str(count), "LOCAL_IMAGE_LATENCY_MS": str(image_ms),
               "LOCAL_VIDEO_LATENCY_MS": str(video_ms), "JOB_TICK_MS": "100",
               "OUTPUTS_DIR": str(tmp / "outputs")}  # fmt: skip
        return _Cluster(env, tmp / "worker.log", count)

    def run(
        self, owner, mode: str, size: dict, seconds: int, timeout: float, keep: bool = False
    ) -> dict:
        drama = drama_create(owner=owner, data=benchmark_script(**size, seconds=seconds))
        try:
            settings.DAG_SCHEDULING = mode
            run = runs.run_start(drama=drama)
            run = self.wait(run, timeout)
            return measure(run)
        finally:
            if not keep:
                Drama.objects.filter(pk=drama.pk).delete()

    def wait(self, run: Job, timeout: float) -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status not in Job.ACTIVE:
                if run.status != Job.Status.COMPLETED:
                    raise CommandError(f"the run ended {run.status}")
                return run
            time.sleep(0.2)
        raise CommandError(f"the run did not end within {timeout} s")

    def report(self, mode: str, r: dict) -> None:
        self.stdout.write(
            f"{mode:>10} mode: {r['nodes']} nodes, makespan {r['makespan']:.2f} s, lower bound "
            f"{r['bound']:.2f} s (critical path {r['critical']:.2f} s; "
            + ", ".join(f"{p} {w:.2f} s" for p, w in r["by_provider"].items())
            + f"), ratio {r['ratio']:.3f}"
        )

    def overhead(self, owner, nodes: int, workers: int, timeout: float) -> None:
        # 1,000 nodes: characters c give 2c nodes, each scene 2, each episode 1 more.
        characters = 25
        per_episode = 20
        episodes = max(1, round((nodes - 2 * characters) / (2 * per_episode + 1)))
        size = {"characters": characters, "episodes": episodes, "scenes": per_episode}
        with (
            tempfile.TemporaryDirectory(prefix="benchmark-") as tmp,
            self.workers(Path(tmp), workers, image_ms=0, video_ms=0),
        ):
            drama = drama_create(owner=owner, data=benchmark_script(**size, seconds=1))
            try:
                settings.DAG_SCHEDULING = "dependency"
                run = self.wait(runs.run_start(drama=drama), timeout)
                children = list(Job.objects.filter(parent=run))
                per_node = [node_overhead(n) for n in children]
                wait, scheduling, prepare = (
                    sum(v[i] for v in per_node) / len(per_node) for i in range(3)
                )
                self.stdout.write(
                    f"zero latency, {len(children)} nodes on {workers} worker processes: "
                    f"makespan {(run.completed_at - run.started_at).total_seconds():.1f} s; "
                    f"scheduling overhead per node (claiming it, taking its slot, finishing it, "
                    f"releasing what waits on it) {1000 * scheduling:.1f} ms (aim: under 20 ms); "
                    f"preparing a node (reading the drama for its prompt and inputs) "
                    f"{1000 * prepare:.1f} ms; a node waited {wait:.1f} s on average from "
                    f"release to start, queued for its provider's slots and the worker processes"
                )
            finally:
                Drama.objects.filter(pk=drama.pk).delete()


class _Cluster:
    def __init__(self, env: dict, log: Path, workers: int) -> None:
        self.env, self.log, self.workers = env, log, workers

    def __enter__(self):
        self.out = self.log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "worker"],
            env=self.env, stdout=self.out, stderr=self.out, start_new_session=True,
        )  # fmt: skip
        # A run's makespan starts when its request is made: start it on a cluster that is up.
        deadline = time.monotonic() + 60
        while self.log.read_text().count("ready for work") < self.workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise CommandError(f"the workers did not start; see {self.log}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.out.close()


# ---------------------------------------------------------------- measuring
def measure(run: Job) -> dict:
    """Makespan, and the lower bound from the nodes' measured durations."""
    children = list(Job.objects.filter(parent=run).prefetch_related("depends_on"))
    duration = {n.pk: (n.completed_at - n.started_at).total_seconds() for n in children}
    finish: dict[int, float] = {}
    for n in sorted(children, key=lambda j: j.level):  # inputs sit on lower levels
        finish[n.pk] = duration[n.pk] + max((finish[d.pk] for d in n.depends_on.all()), default=0)
    work: dict[str, float] = defaultdict(float)
    for n in children:
        work[n.provider] += duration[n.pk]
    by_provider = {p: w / (slot_limit(p) or 1) for p, w in work.items()}
    critical = max(finish.values())
    bound = max(critical, *by_provider.values())
    makespan = (run.completed_at - run.started_at).total_seconds()
    return {"nodes": len(children), "makespan": makespan, "critical": critical,
            "by_provider": by_provider, "bound": bound, "ratio": makespan / bound}  # fmt: skip


def node_overhead(job: Job) -> tuple[float, float, float]:
    """(release → start, scheduling, preparation), in seconds.

    Scheduling is the node's task time outside its own work: claiming it, taking a slot,
    finishing it and releasing what waits on it. Its own work is the provider's calls, the
    store and the assembly, and its preparation: reading the drama for its prompt and inputs.
    """
    timing = job.metadata.get("timing", {})
    released = job.released_at
    wait = max(0.0, (job.started_at - released).total_seconds()) if released else 0.0
    prepare = timing.get("prepareSeconds", 0.0)
    own = timing.get("workSeconds", 0.0) + prepare
    return wait, max(0.0, timing.get("taskSeconds", 0.0) - own), prepare
