"""The jobs that write a script: from a premise, improved from feedback, and the critique.

Each calls the script provider, then hands the plain result to a `dramas` service inside the
transaction that completes the job, so a worker that lost its lease saves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from dramaplatform.errors import PreconditionFailed
from dramas import services as drama_services
from dramas.models import Drama
from generation.models import Job
from generation.providers.base import ScriptOptions, ScriptProvider
from generation.providers.registry import script_provider
from generation.services import job_create, job_finish, job_record_calls

SCRIPT_KINDS = (Job.Kind.SCRIPT, Job.Kind.IMPROVE, Job.Kind.CRITIQUE)


class ScriptConflict(Exception):
    """An improve job lost the race against an edit."""


# ---------------------------------------------------------------- requests
@transaction.atomic
def drama_create_from_premise(*, owner: AbstractBaseUser, options: dict) -> tuple[Drama, Job]:
    """Creates the drama in `writing` state and queues the job that writes its script."""
    drama = drama_services.drama_create_writing(
        owner=owner,
        premise=options["premise"],
        genre=options.get("genre", ""),
        tone=options.get("tone", ""),
    )
    job = job_create(drama=drama, kind=Job.Kind.SCRIPT, prompt=drama.premise, metadata=options)
    return drama, job


def drama_request_improve(*, drama: Drama, feedback: str) -> Job:
    drama_services.require_script(drama=drama)
    return job_create(drama=drama, kind=Job.Kind.IMPROVE, prompt=feedback)


def drama_request_critique(*, drama: Drama) -> Job:
    drama_services.require_script(drama=drama)
    return job_create(drama=drama, kind=Job.Kind.CRITIQUE)


# ---------------------------------------------------------------- the jobs
@contextmanager
def recorded_provider(job: Job) -> Iterator[ScriptProvider]:
    """The configured script provider; its calls are kept on the job, failed ones too."""
    provider = script_provider()
    try:
        yield provider
    finally:
        job_record_calls(job=job, calls=provider.calls)


def script_write_job(*, job: Job) -> str:
    options = job.metadata
    with recorded_provider(job) as provider:
        script = provider.write(
            ScriptOptions(
                premise=options["premise"],
                genre=options.get("genre", ""),
                tone=options.get("tone", ""),
                episode_count=options.get("episode_count", 3),
                character_count=options.get("character_count", 4),
                scenes_per_episode=options.get("scenes_per_episode", 3),
            )
        )

    def save() -> dict:
        drama = drama_services.script_save(drama=job.drama, script=script, expected_version=None)
        return {"dramaId": drama.public_id, "version": drama.version}

    return _complete(job, save)


def script_improve_job(*, job: Job) -> str:
    """Rewrites the script from feedback, unless someone edited it while the job ran."""
    drama = Drama.objects.get(pk=job.drama_id)
    base_version = drama.version
    with recorded_provider(job) as provider:
        improved = provider.improve(drama_services.script_of(drama), job.prompt)

    def save() -> dict:
        try:
            drama_services.script_save(drama=drama, script=improved, expected_version=base_version)
        except PreconditionFailed as exc:
            raise ScriptConflict(
                f"The drama was edited while the improve job ran (it started from version "
                f"{base_version}); nothing was overwritten. Run improve again."
            ) from exc
        return {"dramaId": drama.public_id, "version": drama.version, "baseVersion": base_version}

    return _complete(job, save)


def script_critique_job(*, job: Job) -> str:
    drama = Drama.objects.get(pk=job.drama_id)
    with recorded_provider(job) as provider:
        critique = provider.critique(drama_services.script_of(drama))

    def save() -> dict:
        drama_services.drama_save_critique(drama=drama, critique=critique)
        return critique

    return _complete(job, save)


def _complete(job: Job, save) -> str:
    try:
        done = job_finish(job=job, status=Job.Status.COMPLETED, apply=save)
    except ScriptConflict as exc:
        done = job_finish(job=job, status=Job.Status.FAILED, error=f"conflict: {exc}")
        return Job.Status.FAILED if done else "lease lost"
    return Job.Status.COMPLETED if done else "lease lost"


HANDLERS = {
    Job.Kind.SCRIPT: script_write_job,
    Job.Kind.IMPROVE: script_improve_job,
    Job.Kind.CRITIQUE: script_critique_job,
}


def script_job_finished(job: Job) -> None:
    """Outcome effects: a drama whose first script could not be written is marked failed."""
    if job.kind == Job.Kind.SCRIPT and job.status != Job.Status.COMPLETED:
        drama_services.drama_mark_script_failed(drama_id=job.drama_id)
