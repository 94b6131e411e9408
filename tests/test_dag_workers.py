"""The DAG under real worker processes (`manage.py worker`): a worker killed mid-run, two
workers sharing a run, fifty renders in flight on four processes, per-provider limits across
workers, and a video service that never answers a submit.

These start several process trees and wait on slow offline renders, so they run once, on
PostgreSQL (with Redis in CI): on SQLite they are skipped.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from assets.models import Asset
from generation.models import Job
from generation.services import jobs_sweep
from tests.test_dag import drain, generate, nodes_of, small_drama
from tests.workers import kill_cluster, running_cluster

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="multi-process DAG tests run on PostgreSQL"
    ),
]

# Short leases and quick re-sends, so a dead worker's nodes are taken over in seconds.
FAST = {"JOB_LEASE_SECONDS": "3", "JOB_RESEND_SECONDS": "2", "JOB_TICK_MS": "200"}


@pytest.fixture(autouse=True)
def _shared_outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"


def wait_until(check, *, timeout: float, every: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    states = [(n.node, n.target_key, n.status, n.provider_job_id, n.lease_owner,
               n.lease_expires_at, n.sent_at, n.error[:80])
              for n in Job.objects.exclude(parent=None).order_by("id")]  # fmt: skip
    raise AssertionError(f"timed out waiting for {what or check}: {states}")


def run_of(run_id: str) -> Job:
    return Job.objects.get(public_id=run_id)


def nodes_done(run_id: str, *kinds: str) -> int:
    done = Job.objects.filter(parent__public_id=run_id, status=Job.Status.COMPLETED)
    return (done.filter(kind__in=kinds) if kinds else done).count()


def one_version_each() -> None:
    """No node made its asset twice: every slot has exactly one version."""
    versions = Asset.objects.values("slot").annotate(n=Count("id")).filter(n__gt=1)
    assert list(versions) == []


def test_a_run_survives_a_worker_killed_in_the_middle(api, tmp_path):
    drama = small_drama(api, episodes=2, scenes=2, characters=3, seconds=1)
    slow = {**FAST, "LOCAL_IMAGE_LATENCY_MS": "1200", "LOCAL_VIDEO_LATENCY_MS": "2500"}
    with running_cluster(tmp_path, name="first", **slow) as first:
        run = generate(api, drama["id"])
        # The 8 lines and 2 music beds have no latency and are done at once: kill the worker
        # once four of the slow images and renders are made too.
        wait_until(
            lambda: nodes_done(run["id"], Job.Kind.IMAGE, Job.Kind.VIDEO) >= 4,
            timeout=90, what="four images or renders done",
        )  # fmt: skip
        kill_cluster(first)
    done_before = {
        n.pk: (n.asset_id, n.attempts, len(n.metadata.get("calls", [])))
        for n in nodes_of(run["id"])
        if n.status == Job.Status.COMPLETED
    }
    assert run_of(run["id"]).status == Job.Status.RUNNING
    started = time.monotonic()
    with running_cluster(tmp_path, name="second", **slow):
        wait_until(lambda: run_of(run["id"]).status not in Job.ACTIVE, timeout=150,
                   what="the run to end")  # fmt: skip
    resumed_in = time.monotonic() - started

    assert run_of(run["id"]).status == Job.Status.COMPLETED, [
        (n.node, n.target_key, n.status, n.error) for n in nodes_of(run["id"])]  # fmt: skip
    after = {n.pk: n for n in nodes_of(run["id"])}
    for pk, (asset_id, attempts, calls) in done_before.items():
        node = after[pk]
        assert (node.asset_id, node.attempts, len(node.metadata.get("calls", []))) == (
            asset_id, attempts, calls)  # fmt: skip
    one_version_each()
    # 26 nodes (3 portraits, 3 auditions, 4 storyboards, 8 lines, 4 clips, 2 music beds, 2 cuts),
    # one asset each, and each cut's subtitles and timeline: 26 + 2 * 2.
    assert len(after) == 26
    assert Asset.objects.filter(drama__public_id=drama["id"], is_current=True).count() == 30
    print(f"resumed and finished {len(after) - len(done_before)} nodes in {resumed_in:.1f} s")


def test_two_workers_share_one_run_and_no_node_runs_twice(api, tmp_path):
    drama = small_drama(api, episodes=2, scenes=3, characters=4, seconds=1)
    env = {**FAST, "LOCAL_IMAGE_LATENCY_MS": "400", "LOCAL_VIDEO_LATENCY_MS": "800"}
    with (
        running_cluster(tmp_path, name="a", **env) as a,
        running_cluster(tmp_path, name="b", **env) as b,
    ):
        run = generate(api, drama["id"])
        wait_until(lambda: run_of(run["id"]).status not in Job.ACTIVE, timeout=180,
                   what="the run to end")  # fmt: skip

    assert run_of(run["id"]).status == Job.Status.COMPLETED
    nodes = nodes_of(run["id"])
    # A worker's name: host:main process id:cluster/worker process id.
    finishers = Counter(int(n.lease_owner.split("/")[0].split(":")[1]) for n in nodes)
    by_cluster = {main: finishers[main] for main in (a.pid, b.pid)}
    assert all(count > 0 for count in by_cluster.values()), finishers
    assert sum(by_cluster.values()) == len(nodes)
    # Each node was claimed once (polls spend no attempt) and made one asset.
    assert {n.attempts for n in nodes} == {1}
    one_version_each()


def children_of(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        path = Path(f"/proc/{parent}/task/{parent}/children")
        kids = [int(k) for k in path.read_text().split()] if path.exists() else []
        found.update(kids)
        frontier.extend(kids)
    return found


def test_fifty_renders_are_in_flight_at_once_on_four_worker_processes(api, tmp_path, settings):
    drama = small_drama(api, episodes=5, scenes=10, characters=2, seconds=1)
    # The storyboards first, in this process; then the clips, and the 100 lines they wait for
    # (two a scene), through the workers.
    drain(generate(api, drama["id"], kinds=["image"])["id"], timeout=300)
    env = {**FAST, "WORKERS": "4", "LOCAL_VIDEO_LATENCY_MS": "40000",
           "PROVIDER_CONCURRENCY": "video=50"}  # fmt: skip
    settings.PROVIDER_CONCURRENCY = {**settings.PROVIDER_CONCURRENCY, "video": 50}
    peak = 0
    with running_cluster(tmp_path, **env) as cluster:
        run = generate(api, drama["id"], kinds=["clip"])
        deadline = time.monotonic() + 240
        while run_of(run["id"]).status in Job.ACTIVE and time.monotonic() < deadline:
            rendering = Job.objects.filter(
                parent__public_id=run["id"], status=Job.Status.RUNNING
            ).exclude(provider_job_id="")
            peak = max(peak, rendering.count())
            time.sleep(0.25)
        processes = len(children_of(cluster.pid))
    print(f"peak renders in flight: {peak}; processes in the worker's tree: {processes}")

    assert run_of(run["id"]).status == Job.Status.COMPLETED
    assert Counter(n.node for n in nodes_of(run["id"])) == {"clip": 50, "dialogue_audio": 100}
    assert peak == 50
    # The cluster's four workers, its guard processes and the dispatcher: no process per render.
    assert processes < 10


def test_a_provider_limit_holds_across_two_workers(api, tmp_path, settings):
    from generation.models import ProviderSlot

    drama = small_drama(api, episodes=1, scenes=4, characters=6, seconds=1)
    env = {**FAST, "LOCAL_IMAGE_LATENCY_MS": "700", "PROVIDER_CONCURRENCY": "image=2"}
    peak = 0
    with running_cluster(tmp_path, name="a", **env), running_cluster(tmp_path, name="b", **env):
        run = generate(api, drama["id"], kinds=["image"])
        deadline = time.monotonic() + 120
        while run_of(run["id"]).status in Job.ACTIVE and time.monotonic() < deadline:
            held = ProviderSlot.objects.filter(provider="image:local", job__isnull=False)
            peak = max(peak, held.count())
            time.sleep(0.05)

    assert run_of(run["id"]).status == Job.Status.COMPLETED
    assert peak == 2
    # From taking its slot to finishing, never more than two images at once.
    edges = sorted(
        [(n.started_at, 1) for n in nodes_of(run["id"])]
        + [(n.completed_at, -1) for n in nodes_of(run["id"])]
    )
    at_once = overlap = 0
    for _, step in edges:
        at_once += step
        overlap = max(overlap, at_once)
    assert overlap == 2


@pytest.mark.parametrize("lists", [True, False], ids=["found-on-the-service", "not-found"])
def test_a_submit_that_times_out_is_sent_once_per_node(api, tmp_path, settings, lists):
    from tests.fakes.videos_server import API_KEY, VideosFake, error

    drama = small_drama(api, episodes=1, scenes=1, characters=1, seconds=4)
    drain(generate(api, drama["id"], kinds=["image"])["id"])
    with VideosFake() as fake:
        fake.submit_fault = "stall"
        if not lists:
            fake.reply("list", *[error(404, "Invalid URL (GET /v1/videos)")] * 10)
        env = {**FAST, "VIDEO_PROVIDER": "gateway", "SORA_API_KEY": API_KEY,
               "SORA_API_BASE": fake.base_url, "PROVIDER_TIMEOUT": "1"}  # fmt: skip
        settings.VIDEO_PROVIDER, settings.SORA_API_BASE = "gateway", fake.base_url
        settings.SORA_API_KEY = API_KEY
        with running_cluster(tmp_path, **env):
            run = generate(api, drama["id"], kinds=["video"])
            wait_until(lambda: run_of(run["id"]).status not in Job.ACTIVE, timeout=90,
                       what="the run to end")  # fmt: skip
            # Sweeps and redeliveries after the timeout never send a submit again.
            time.sleep(3)
            jobs_sweep()
        submits = fake.submits_received

    # The audition and the clip, and the scene's two lines the clip waits for (voiced offline).
    nodes = [n for n in nodes_of(run["id"]) if n.kind == Job.Kind.VIDEO]
    lines = [n for n in nodes_of(run["id"]) if n.kind == Job.Kind.SPEECH]
    assert submits == len(nodes) == 2
    assert len(lines) == 2 and all(n.status == Job.Status.COMPLETED for n in lines)
    if lists:
        assert run_of(run["id"]).status == Job.Status.COMPLETED
        assert all(n.status == Job.Status.COMPLETED for n in nodes)
    else:
        # Both renders failed, the lines were made: the run is partial.
        assert run_of(run["id"]).status == Job.Status.PARTIAL
        assert all("submit outcome unknown — retrying may bill again" in n.error for n in nodes)
