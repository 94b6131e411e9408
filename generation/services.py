"""Writes to jobs: create and enqueue, claim with a lease, finish, fail, requeue.

Every state change is a conditional UPDATE, so a duplicate delivery, a second worker or a
second sweeper changes nothing it should not.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django_q.tasks import async_task

from dramas.models import Drama
from generation.models import Job

logger = logging.getLogger(__name__)
TASK = "generation.tasks.run_job"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_enqueue(*, job_id: int) -> None:
    """Wakes a worker for the job once the caller's transaction has committed."""
    Job.objects.filter(pk=job_id).update(sent_at=Now())
    _wake(job_id)


def _wake(job_id: int) -> None:
    transaction.on_commit(lambda: async_task(TASK, job_id, task_name=f"job-{job_id}"))


@transaction.atomic
def job_create(
    *,
    drama: Drama,
    kind: str,
    prompt: str = "",
    metadata: dict | None = None,
    parent: Job | None = None,
) -> Job:
    job = Job.objects.create(
        drama=drama,
        kind=kind,
        prompt=prompt,
        metadata=metadata or {},
        parent=parent,
        status=Job.Status.QUEUED,
        max_attempts=1 + settings.MAX_RETRIES,
        sent_at=timezone.now(),
    )
    _wake(job.pk)
    return job


def job_record_calls(*, job: Job, calls: list) -> None:
    """Keeps the provider calls a job made (model, latency, attempts, usage, cost) on it."""
    if not calls:
        return
    recorded = [*job.metadata.get("calls", []), *(c.as_dict() for c in calls)]
    costs = [c["cost_usd"] for c in recorded if c.get("cost_usd") is not None]
    job.metadata = {**job.metadata, "calls": recorded, "costUsd": round(sum(costs), 6)}
    Job.objects.filter(pk=job.pk).update(metadata=job.metadata)


def job_claim(*, job_id: int, worker: str) -> Job | None:
    """Takes the job if it is queued, or running under an expired lease; None otherwise."""
    lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, lease_expires_at__lt=Now())
        )
        .filter(attempts__lt=F("max_attempts"))
        .update(
            status=Job.Status.RUNNING,
            lease_owner=worker,
            lease_expires_at=Now() + lease,
            attempts=F("attempts") + 1,
            started_at=Now(),
        )
    )
    if claimed != 1:
        return None
    return Job.objects.select_related("drama").get(pk=job_id)


def _held(job: Job) -> Q:
    # Only the holder of the current attempt may finish the job.
    return Q(pk=job.pk, status=Job.Status.RUNNING, lease_owner=job.lease_owner,
             attempts=job.attempts)  # fmt: skip


def job_complete(*, job: Job, result: object = None) -> bool:
    done = Job.objects.filter(_held(job)).update(
        status=Job.Status.COMPLETED,
        result=result,
        error="",
        completed_at=Now(),
        lease_expires_at=None,
    )
    return done == 1


def job_fail(*, job: Job, error: str, retryable: bool = False) -> str:
    """Records the failure; requeues the job when it may succeed and has attempts left.

    Returns the status the job was left in.
    """
    if retryable and job.attempts < job.max_attempts:
        changed = Job.objects.filter(_held(job)).update(
            status=Job.Status.QUEUED, error=error, lease_owner="", lease_expires_at=None
        )
        if changed:
            job_enqueue(job_id=job.pk)
            return Job.Status.QUEUED
    Job.objects.filter(_held(job)).update(
        status=Job.Status.FAILED, error=error, completed_at=Now(), lease_expires_at=None
    )
    return Job.Status.FAILED


def jobs_requeue_stale(*, queued_for: timedelta = timedelta(minutes=2)) -> int:
    """Re-sends the jobs a lost message or a dead worker left behind; returns how many.

    Expired leases are taken over by whoever claims next; jobs that used every attempt fail.
    """
    now = timezone.now()
    exhausted = Job.objects.filter(
        status=Job.Status.RUNNING, lease_expires_at__lt=now, attempts__gte=F("max_attempts")
    ).update(
        status=Job.Status.FAILED,
        error="The worker running this job stopped, and no attempts are left.",
        completed_at=now,
        lease_expires_at=None,
    )
    if exhausted:
        logger.warning("failed %d job(s) whose worker died on their last attempt", exhausted)
    candidates = Job.objects.filter(
        Q(status=Job.Status.RUNNING, lease_expires_at__lt=now)
        | Q(status=Job.Status.QUEUED, sent_at__lt=now - queued_for)
    ).values_list("pk", flat=True)[:500]
    sent = 0
    for job_id in candidates:
        # Another sweeper may have re-sent it a moment ago: only the one that moves sent_at does.
        if (
            Job.objects.filter(pk=job_id)
            .filter(
                Q(sent_at__isnull=True)
                | Q(sent_at__lt=now - queued_for)
                | Q(status=Job.Status.RUNNING)
            )
            .update(sent_at=now)
        ):
            async_task(TASK, job_id, task_name=f"job-{job_id}-resent")
            sent += 1
    return sent
