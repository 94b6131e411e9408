"""django-q2 task entry points. A task gets a job id, claims the row and calls a service.

A task never leaves a job running when it returns or raises: whatever the handler did not
finish is failed here (an unknown kind, a bug), and a provider's failure is recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from generation import nodes, script_jobs
from generation.models import Job
from generation.providers.base import ProviderError
from generation.services import (
    held,
    job_claim,
    job_fail,
    job_heartbeat,
    job_let_go,
    job_task_started,
    worker_name,
)

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[..., str]] = {
    **script_jobs.HANDLERS,
    Job.Kind.IMAGE: nodes.run_node,
    Job.Kind.VIDEO: nodes.run_node,
    Job.Kind.SPEECH: nodes.run_node,
    Job.Kind.MUSIC: nodes.run_node,
    Job.Kind.ASSEMBLY: nodes.run_node,
}


def run_job(job_id: int) -> str:
    """Runs the job if this delivery wins the claim; returns what happened, for the log."""
    job = job_claim(job_id=job_id, worker=worker_name())
    if job is None:
        return "not claimed"
    handler = HANDLERS.get(job.kind)
    if handler is None:
        return job_fail(job=job, error=f"internal error: no handler for jobs of kind {job.kind!r}")
    job_task_started(job)
    try:
        with lease_kept(job):
            outcome = handler(job=job)
    except ProviderError as exc:
        return job_fail(job=job, error=str(exc), **job_retry_policy(exc))
    except Exception as exc:
        # A bug must not leave the job running forever: record it, then let django-q log it.
        job_fail(job=job, error=f"internal error: {exc.__class__.__name__}: {exc}")
        raise
    # A handler lets go of its job (finishes, requeues, hands it back) before it returns.
    if not job_let_go(job) and Job.objects.filter(held(job)).exists():
        return job_fail(job=job, error=f"internal error: the {job.kind} handler left it running")
    return outcome


def job_retry_policy(exc: ProviderError) -> dict:
    """The job retries only what the provider's own retry loop could not absorb.

    The loop already spent `1 + MAX_RETRIES` tries on a transient failure: the job fails. It
    stopped early when the service asked for a longer wait than it sleeps through: the job
    goes back to the queue, not before that wait. A retryable failure raised outside the
    loop (no tries counted) gets another attempt.
    """
    if not exc.retryable:
        return {"retryable": False}
    if exc.defer_seconds is not None:
        return {"retryable": True, "retry_in": exc.defer_seconds}
    return {"retryable": exc.tries == 0}


@contextmanager
def lease_kept(job: Job) -> Iterator[None]:
    """Renews the job's lease every third of its length while the handler works.

    The first renewal comes only after a third of the lease, so quick jobs write nothing.
    """
    stop = threading.Event()
    interval = settings.JOB_LEASE_SECONDS / 3

    def beat() -> None:
        try:
            while not stop.wait(interval):
                if not job_heartbeat(job=job):
                    logger.warning("job %s: lease lost while working", job.public_id)
                    return
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"lease-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
