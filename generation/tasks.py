"""django-q2 task entry points. A task gets a job id, claims the row and calls a service."""

from __future__ import annotations

import logging
from collections.abc import Callable

from dramas import services as drama_services
from generation.models import Job
from generation.providers.base import ProviderError
from generation.services import job_claim, job_complete, job_fail, worker_name

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[..., object]] = {
    Job.Kind.SCRIPT: drama_services.script_write_job,
    Job.Kind.IMPROVE: drama_services.script_improve_job,
    Job.Kind.CRITIQUE: drama_services.script_critique_job,
}


def run_job(job_id: int) -> str:
    """Runs the job if this delivery wins the claim; returns what happened, for the log."""
    job = job_claim(job_id=job_id, worker=worker_name())
    if job is None:
        return "not claimed"
    handler = HANDLERS[job.kind]
    try:
        result = handler(job=job)
    except ProviderError as exc:
        status = job_fail(job=job, error=str(exc), retryable=exc.retryable)
    except drama_services.ScriptConflict as exc:
        status = job_fail(job=job, error=f"conflict: {exc}")
    except Exception as exc:
        # A bug must not leave the job running forever: record it, then let django-q log it.
        job_fail(job=job, error=f"internal error: {exc.__class__.__name__}: {exc}")
        drama_services.script_job_failed(job=job)
        raise
    else:
        job_complete(job=job, result=result)
        return Job.Status.COMPLETED
    if status == Job.Status.FAILED:
        drama_services.script_job_failed(job=job)
    return status
