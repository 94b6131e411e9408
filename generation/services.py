"""Writes to jobs: create and enqueue, claim with a lease, renew it, finish, and the sweep.

Every state change is a conditional UPDATE on the database's clock, so a duplicate delivery, a
second worker or a second sweeper changes nothing it should not. Finishing a job and its
effects (the script saved, an asset made current, dependants released, the drama's status)
happen in one transaction with the UPDATE that finishes it, and not at all when that UPDATE
matched no row because the lease was lost.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce, Now
from django_q.tasks import async_task

from dramas.models import Drama
from generation.models import Job
from generation.slots import URGENCY, free_slots, slots_free_abandoned

logger = logging.getLogger(__name__)
TASK = "generation.tasks.run_job"
SWEEP_BATCH = 500
SMALL = models.PositiveSmallIntegerField()


# Set by `manage.py worker` for its cluster: the workers' names start with it, so that the
# jobs they hold can be handed back when it stops.
WORKER_ID_ENV = "DRAMA_WORKER_ID"


def worker_name() -> str:
    """Who holds a job while a task works on it: the cluster and the worker process."""
    cluster = os.environ.get(WORKER_ID_ENV)
    name = f"{cluster}/{os.getpid()}" if cluster else f"{socket.gethostname()}:{os.getpid()}"
    return name[:80]


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _send_on_commit(job_id: int) -> None:
    transaction.on_commit(lambda: async_task(TASK, job_id, task_name=f"job-{job_id}"))


def jobs_send(*, job_ids: list[int]) -> None:
    """Wakes workers for jobs whose `sent_at` the caller has set, once its transaction commits."""
    for job_id in job_ids:
        _send_on_commit(job_id)


def job_enqueue(*, job_id: int) -> None:
    """Wakes a worker for the job once the caller's transaction has committed."""
    Job.objects.filter(pk=job_id).update(sent_at=Now())
    _send_on_commit(job_id)


def jobs_enqueue(*, job_ids: list[int]) -> None:
    if not job_ids:
        return
    Job.objects.filter(pk__in=job_ids).update(sent_at=Now())
    for job_id in job_ids:
        _send_on_commit(job_id)


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
    )
    job_enqueue(job_id=job.pk)
    return job


def job_record_calls(*, job: Job, calls: list, save: bool = True) -> None:
    """Keeps the provider calls a job made (model, latency, attempts, usage, cost) on it.

    Recorded whether or not the job still holds its lease: the money was spent either way.
    With `save=False` they are written by whatever lets go of the job next (finishing it,
    requeuing it), in the same statement, or on their own if the lease turns out lost.
    """
    if not calls:
        return
    recorded = [*job.metadata.get("calls", []), *(c.as_dict() for c in calls)]
    costs = [c["cost_usd"] for c in recorded if c.get("cost_usd") is not None]
    job.metadata = {**job.metadata, "calls": recorded, "costUsd": round(sum(costs), 6)}
    calls.clear()
    if save:
        Job.objects.filter(pk=job.pk).update(metadata=job.metadata)
        job._calls_unsaved = False
    else:
        job._calls_unsaved = True


def _lost_lease(job: Job) -> None:
    """This worker no longer holds the job: only the calls it paid for are still written."""
    job._let_go = True
    if getattr(job, "_calls_unsaved", False):
        Job.objects.filter(pk=job.pk).update(metadata=job.metadata)
        job._calls_unsaved = False


def _let_go(job: Job) -> dict:
    """Marks the job let go by this task, with the task's time added to a node's timing.

    Returns the metadata to write with the statement that lets go of it.
    """
    job._let_go = True
    started = getattr(job, "_task_clock", None)
    if job.parent_id is not None and started is not None:
        now = time.monotonic()
        timing = job.metadata.setdefault("timing", {})
        timing["taskSeconds"] = round(timing.get("taskSeconds", 0.0) + now - started, 6)
        # The provider's and the store's share of it; the rest is the job machinery's own.
        provider = sum(c.get("latency_ms", 0) for c in job.metadata.get("calls", [])) / 1000
        timing["workSeconds"] = round(provider + timing.get("storeSeconds", 0.0), 6)
        job._task_clock = now
    return job.metadata


def job_task_started(job: Job) -> None:
    """Starts the clock of this task's time on the job (kept in a node's timing)."""
    job._task_clock = time.monotonic()
    job._let_go = False


def job_let_go(job: Job) -> bool:
    """Whether this task has finished, requeued or handed back the job (or lost it)."""
    return getattr(job, "_let_go", False)


# ---------------------------------------------------------------- claim and lease
def claimable() -> Q:
    """Jobs a worker may take now: queued and due, or running under an expired lease.

    A node whose remote render is in flight (`provider_job_id` set) is polled under the same
    rule: its lease expires when the next poll is due, and a poll spends no attempt.
    """
    due = Q(not_before__isnull=True) | Q(not_before__lte=Now())
    attempts_left = Q(attempts__lt=F("max_attempts"))
    rendering = ~Q(provider_job_id="")
    return (Q(status=Job.Status.QUEUED) & due & attempts_left) | (
        Q(status=Job.Status.RUNNING, lease_expires_at__lt=Now()) & (attempts_left | rendering)
    )


def job_claim(*, job_id: int, worker: str) -> Job | None:
    """Takes the job if it is claimable; None otherwise (another delivery has it)."""
    claimed = Job.objects.filter(claimable(), pk=job_id).update(
        status=Job.Status.RUNNING,
        lease_owner=worker,
        lease_expires_at=Now() + _lease(),
        # A poll of a render in flight spends no attempt.
        attempts=F("attempts") + Case(When(provider_job_id="", then=1), default=0),
        started_at=Coalesce(F("started_at"), Now()),
    )
    if claimed != 1:
        return None
    return Job.objects.select_related("drama__owner").get(pk=job_id)


def held(job: Job) -> Q:
    """Only the holder of the current attempt may change a running job."""
    return Q(pk=job.pk, status=Job.Status.RUNNING, lease_owner=job.lease_owner,
             attempts=job.attempts)  # fmt: skip


def job_heartbeat(*, job: Job) -> bool:
    """Renews the lease; False when it was lost (another worker took the job, or it ended)."""
    return Job.objects.filter(held(job)).update(lease_expires_at=Now() + _lease()) == 1


def job_save_metadata(*, job: Job) -> bool:
    """Writes the job's metadata (and render id) if this worker still holds it."""
    saved = Job.objects.filter(held(job)).update(
        metadata=job.metadata, provider_job_id=job.provider_job_id
    )
    if saved != 1:
        _lost_lease(job)
        return False
    job._calls_unsaved = False
    return True


def _written(job: Job, changed: int) -> bool:
    """After a statement that lets go of the job: whether it did (else the lease was lost)."""
    if changed != 1:
        _lost_lease(job)
        return False
    job._calls_unsaved = False
    return True


def job_unclaim(*, job: Job) -> bool:
    """Hands the job back untouched (it could not start yet): the attempt is not spent."""
    return _written(
        job,
        Job.objects.filter(held(job)).update(
            metadata=_let_go(job),
            status=Job.Status.QUEUED,
            lease_owner="",
            lease_expires_at=None,
            attempts=F("attempts") - 1,
            # Unsent: a freed slot wakes it, or the dispatcher sends it once a slot is free.
            sent_at=None,
            # It never really started: its time is counted from when it gets a slot.
            started_at=None,
        ),
    )


def job_wait_for_render(*, job: Job, poll_in: float) -> bool:
    """Lets go of a node whose render is in flight until its next poll is due."""
    return _written(
        job,
        Job.objects.filter(held(job)).update(
            lease_owner="",
            lease_expires_at=Now() + timedelta(seconds=max(0.0, poll_in)),
            metadata=_let_go(job),
            provider_job_id=job.provider_job_id,
        ),
    )


# ---------------------------------------------------------------- finishing
def job_finish(
    *,
    job: Job,
    status: str,
    result: object = None,
    error: str = "",
    apply: Callable[[], object] | None = None,
    guard: Q | None = None,
) -> bool:
    """Ends the job (completed, failed, cancelled) and applies its effects, all or nothing.

    `apply` makes the job's result real (saves the script, stores the asset, setting
    `job.asset`) and may return the result to record. Returns False, changing nothing, when
    `guard` (by default: this worker holds the job) matched no row.
    """
    with transaction.atomic():
        ended = Job.objects.filter(guard if guard is not None else held(job)).update(
            status=status,
            error=error,
            completed_at=Now(),
            # `lease_owner` stays: it says which worker finished the job.
            lease_expires_at=None,
            not_before=None,
        )
        if not _written(job, ended):
            return False
        if apply is not None:
            applied = apply()
            if applied is not None:
                result = applied
        # What the finishing made, in one more statement of the same transaction.
        Job.objects.filter(pk=job.pk).update(
            result=result, asset=job.asset_id, fingerprint=job.fingerprint, metadata=_let_go(job)
        )
        job.status, job.result, job.error = status, result, error
        _on_finished(job)
    return True


def job_requeue(*, job: Job, error: str, retry_in: float | None = None) -> bool:
    """Puts the job back for another attempt, not before `retry_in` seconds from now."""
    not_before = Now() + timedelta(seconds=retry_in) if retry_in else None
    with transaction.atomic():
        changed = Job.objects.filter(held(job)).update(
            metadata=_let_go(job),
            status=Job.Status.QUEUED,
            error=error,
            lease_owner="",
            lease_expires_at=None,
            not_before=not_before,
            sent_at=Now(),
        )
        if not _written(job, changed):
            return False
        if not_before is None:
            _send_on_commit(job.pk)
        # Otherwise the dispatcher sends it when it is due.
    return True


def job_fail(
    *, job: Job, error: str, retryable: bool = False, retry_in: float | None = None
) -> str:
    """Requeues the job when it may succeed later and has attempts left, else fails it.

    Returns the status the job is in afterwards, read back when this worker no longer held it.
    """
    if retryable and job.attempts < job.max_attempts:
        if job_requeue(job=job, error=error, retry_in=retry_in):
            return Job.Status.QUEUED
    elif job_finish(job=job, status=Job.Status.FAILED, error=error):
        return Job.Status.FAILED
    return Job.objects.filter(pk=job.pk).values_list("status", flat=True).first() or ""


# The outcome effects of a finished job, run inside its finishing transaction: one for the
# nodes of a run, one for the other jobs. The modules that own them register them at start-up
# (`GenerationConfig.ready`), so this core imports neither.
OUTCOME_EFFECTS: dict[str, Callable[[Job], None]] = {}


def _on_finished(job: Job) -> None:
    OUTCOME_EFFECTS["node" if job.parent_id is not None else "job"](job)


# ---------------------------------------------------------------- the sweep
def jobs_sweep() -> int:
    """Fails what died on its last attempt; re-sends what a lost message or a dead worker
    left behind, and delayed jobs and render polls that are due. Returns how many it sent.

    Each due job is sent once per due time: a message sent after the job became due (or less
    than JOB_RESEND_SECONDS ago) is left to arrive.
    """
    _fail_exhausted()
    resend = Now() - timedelta(seconds=settings.JOB_RESEND_SECONDS)
    unsent = Q(sent_at__isnull=True) | Q(sent_at__lt=resend)
    due_running = Q(status=Job.Status.RUNNING, lease_expires_at__lt=Now()) & (
        unsent | Q(sent_at__lt=F("lease_expires_at"))
    )
    due_queued = (
        Q(status=Job.Status.QUEUED)
        & (Q(not_before__isnull=True) | Q(not_before__lte=Now()))
        & (unsent | Q(sent_at__lt=F("not_before")))
    )
    due = due_running | due_queued
    slots_free_abandoned()
    sent = 0
    room: dict[str, int | None] = {}
    candidates = Job.objects.filter(due).order_by(*URGENCY)
    for job_id, status, provider in candidates.values_list("pk", "status", "provider")[
        :SWEEP_BATCH
    ]:
        if status == Job.Status.QUEUED and provider:
            # A node waiting for its provider's slot is sent only when one is free: sending
            # the others would only hand them back, and bury the polls behind them.
            if provider not in room:
                room[provider] = free_slots(provider)
            if room[provider] is not None:
                if room[provider] <= 0:
                    continue
                room[provider] -= 1
        # Another sweeper may have sent it a moment ago: only the one that moves sent_at does.
        if Job.objects.filter(due, pk=job_id).update(sent_at=Now()):
            async_task(TASK, job_id, task_name=f"job-{job_id}-resent")
            sent += 1
    return sent


def jobs_hand_back(*, worker_id: str) -> int:
    """Makes the jobs a stopping cluster's workers held claimable at once, and due for the
    dispatcher to send: another worker takes them up now, not when their leases expire. The
    attempt a stop cut short is not counted (a render's poll spends none anyway). A node whose
    submit was cut short keeps its mark, so whoever takes it looks for the render first."""
    return Job.objects.filter(
        status=Job.Status.RUNNING, lease_owner__startswith=f"{worker_id}/"
    ).update(
        lease_owner="",
        lease_expires_at=Now(),
        sent_at=None,
        attempts=Case(
            When(Q(provider_job_id="") & Q(attempts__gt=0), then=F("attempts") - 1),
            default=F("attempts"),
            output_field=SMALL,
        ),
    )


def _fail_exhausted() -> None:
    exhausted = Job.objects.filter(
        status=Job.Status.RUNNING,
        lease_expires_at__lt=Now(),
        attempts__gte=F("max_attempts"),
        provider_job_id="",
    ).select_related("drama", "parent")[:SWEEP_BATCH]
    for job in exhausted:
        guard = Q(pk=job.pk, status=Job.Status.RUNNING, lease_expires_at__lt=Now(),
                  attempts=job.attempts)  # fmt: skip
        if job_finish(
            job=job,
            status=Job.Status.FAILED,
            error="The worker running this job stopped, and no attempts are left.",
            guard=guard,
        ):
            logger.warning("failed job %s: its worker died on its last attempt", job.public_id)
