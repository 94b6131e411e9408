"""Stopping and losing a worker (`manage.py worker`): SIGTERM to its main process or to its
whole process group stops it within 30 s and hands back the job it held, which another worker
takes up at once; after kill -9 another worker finishes the job within 60 s.

Real process trees on PostgreSQL (with Redis in CI); skipped on SQLite.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection

from generation.models import Job
from tests.test_dag import generate, small_drama
from tests.test_dag_workers import wait_until
from tests.workers import kill_cluster, running_cluster

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="multi-process worker tests run on PostgreSQL"
    ),
]

# The first worker's image call takes a minute: it is in the middle of it when stopped.
BUSY = {"LOCAL_IMAGE_LATENCY_MS": "60000", "JOB_TICK_MS": "100", "WORKERS": "1"}
QUICK = {"LOCAL_IMAGE_LATENCY_MS": "0", "JOB_TICK_MS": "100", "WORKERS": "1"}


@pytest.fixture(autouse=True)
def _shared_outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"


def _one_portrait(api) -> Job:
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    run = generate(api, drama["id"], "/characters/char_001", kinds=["portrait"])
    return Job.objects.get(parent__public_id=run["id"])


def _held(node: Job) -> Job:
    wait_until(
        lambda: (
            Job.objects.filter(pk=node.pk, status=Job.Status.RUNNING)
            .exclude(lease_owner="")
            .exists()
        ),
        timeout=60,
        what="the first worker to start the portrait",
    )
    return Job.objects.get(pk=node.pk)


def _ready(log) -> None:
    wait_until(lambda: "ready for work" in log.read_text(), timeout=60, what="a worker")


@pytest.mark.parametrize("to", ["the whole group", "the main process"])
def test_sigterm_stops_the_worker_within_30_s_and_hands_back_its_job(api, tmp_path, to):
    # Leases far longer than the test: only the hand-back lets the other worker take over.
    lease = {"JOB_LEASE_SECONDS": "300", "WORKER_STOP_SECONDS": "2"}
    node = _one_portrait(api)
    with running_cluster(tmp_path, name="busy", **BUSY, **lease) as busy:
        held = _held(node)
        with running_cluster(tmp_path, name="quick", **QUICK, **lease):
            _ready(tmp_path / "quick.log")
            stopped = time.monotonic()
            if to == "the whole group":
                os.killpg(busy.pid, signal.SIGTERM)
            else:
                busy.send_signal(signal.SIGTERM)
            busy.wait(timeout=30)
            stop_seconds = time.monotonic() - stopped
            wait_until(
                lambda: Job.objects.get(pk=node.pk).status == Job.Status.COMPLETED,
                timeout=20,
                what="the other worker to finish the handed-back portrait",
            )
            taken_over = time.monotonic() - stopped
    node.refresh_from_db()
    assert node.status == Job.Status.COMPLETED
    assert stop_seconds < 30
    assert taken_over < 20  # not after the 300 s lease
    # The stopped worker's attempt was not counted, and the other worker finished it.
    assert node.attempts == 1
    busy_cluster = held.lease_owner.rsplit("/", 1)[0]
    assert not node.lease_owner.startswith(busy_cluster)
    assert "handed back 1 job" in (tmp_path / "busy.log").read_text()


def test_after_kill_9_another_worker_finishes_the_job_within_60_s(api, tmp_path):
    node = _one_portrait(api)
    with running_cluster(tmp_path, name="busy", **BUSY) as busy:
        _held(node)
        with running_cluster(tmp_path, name="quick", **QUICK):
            _ready(tmp_path / "quick.log")
            killed = time.monotonic()
            kill_cluster(busy)
            wait_until(
                lambda: Job.objects.get(pk=node.pk).status == Job.Status.COMPLETED,
                timeout=60,
                every=0.1,
                what="another worker to finish the dead worker's portrait",
            )
            recovered = time.monotonic() - killed
    print(f"recovered {recovered:.1f} s after kill -9")
    assert recovered < 60
